"""Rules about how a service gets its image: built from ``source`` with a declared runtime, or a
prebuilt image pinned by digest, never both; and runtimes complete enough to build with."""

from __future__ import annotations

from collections.abc import Iterator

from nexusgen.catalogue import runtimes
from nexusgen.catalogue.findings import Finding
from nexusgen.catalogue.model import Catalogue

BUILT = ("source", "runtime", "command")  # what a service built from source declares


def image_or_source(cat: Catalogue) -> Iterator[Finding]:
    """``image`` excludes ``source``/``runtime``/``command``; without ``image`` all three are required."""
    for name, svc in cat.services.items():
        base = ("services", name)
        if svc.image is not None:
            for field in BUILT:
                if getattr(svc, field) is not None:
                    yield (*base, field), (
                        f"a service runs a prebuilt 'image' or is built from 'source' with a 'runtime', not both: "
                        f"remove {field!r} or 'image'"
                    )
            if svc.image.digest is None:
                yield (*base, "image"), (
                    f"the prebuilt image {svc.image.image}:{svc.image.tag} needs its 'digest' (sha256:...): "
                    "production runs exactly the image that was reviewed, and a tag can be moved"
                )
            if svc.migration is not None:
                yield (*base, "migration"), "a prebuilt image is not rebuilt per release: run its migration from its own release process"
        else:
            for field in BUILT:
                if getattr(svc, field) is None:
                    yield base, f"{field!r} is required: a service is built from 'source' with a 'runtime' and a 'command', or runs a prebuilt 'image'"


def complete_runtimes(cat: Catalogue) -> Iterator[Finding]:
    """A runtime that follows no shipped toolchain declares its own build, CI and health records;
    an action it sets up itself is pinned like every other."""
    for name, runtime in cat.runtimes.items():
        missing = runtimes.missing(name, runtime)
        if missing:
            yield ("runtimes", name), (
                f"declare {' and '.join(repr(m) for m in missing)}, or name a shipped 'toolchain' "
                f"({', '.join(sorted(runtimes.SHIPPED))}) whose records it takes"
            )
        if runtime.ci is not None and runtime.ci.action not in cat.actions:
            yield ("runtimes", name, "ci", "action"), f"pin {runtime.ci.action!r} under 'actions:' (its commit SHA and version)"


def self_checks(cat: Catalogue) -> Iterator[Finding]:
    """The Dockerfile's HEALTHCHECK (liveness) and compose's check (readiness) run inside the image:
    a tcp or grpc check needs Python's or Node.js's shipped one-liners, or a binary that answers
    its own ``health tcp://...`` and ``health grpc://...`` (a health record without ``program``)."""
    for name, svc in cat.services.items():
        runtime = cat.runtimes.get(svc.runtime or "")
        if runtime is None or runtimes.missing(svc.runtime, runtime):
            continue  # a prebuilt image, or a runtime refused above
        toolchain = runtimes.resolve(svc.runtime, runtime)
        able = toolchain.health.program is None or (toolchain.language in runtimes.INTERPRETER_PROBES and runtime.health is None)
        for role in ("liveness", "readiness"):
            probe = getattr(svc.health, role)
            if probe is not None and probe.kind in ("tcp", "grpc") and not able:
                yield ("services", name, "health", role, "kind"), (
                    f"runtime {svc.runtime!r} checks its health with {toolchain.health.program!r}, which nexusgen cannot ask "
                    f"for a {probe.kind} check inside the image: use an http or exec probe, or a health record without "
                    "'program' (the service's own 'health <url>' answers tcp:// and grpc:// too)"
                )


RULES = [image_or_source, complete_runtimes, self_checks]
