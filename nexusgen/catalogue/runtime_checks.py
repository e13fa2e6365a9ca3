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


RULES = [image_or_source, complete_runtimes]
