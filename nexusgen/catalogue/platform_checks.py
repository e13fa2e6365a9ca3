"""Cross-field rules about what the output targets: the ``platform`` section and the base images."""

from __future__ import annotations

from collections.abc import Iterator

from nexusgen.catalogue import runtimes
from nexusgen.catalogue.images import DISTROLESS, END_OF_LIFE, RUNTIME_FREE, language_version, run_version
from nexusgen.catalogue.findings import Finding, choices
from nexusgen.catalogue.model import Catalogue


def pull_secret(cat: Catalogue) -> Iterator[Finding]:
    pulls = cat.platform.image_pulls
    loc = ("platform", "image_pulls", "secret")
    if pulls.secret is None:
        return
    secret = cat.secrets.get(pulls.secret)
    if secret is None:
        yield loc, f"unknown secret {pulls.secret!r}{choices(cat.secrets)}"
    elif secret.exchange != "none":
        yield loc, f"secret {pulls.secret!r} is an exchange credential, not registry credentials"


def base_images(cat: Catalogue) -> Iterator[Finding]:
    """Build, run and distroless stages carry one supported language version (one ABI)."""
    for name, runtime in cat.runtimes.items():
        base = ("runtimes", name)
        lang = runtimes.language(name, runtime)
        build = language_version(lang, runtime.build.tag) if lang else None
        if build is None:
            continue  # reported by checks._runtimes (or a language nexusgen has no facts about)
        ended = END_OF_LIFE.get(lang, {}).get(build)
        if ended:
            yield (*base, "build", "tag"), f"{lang} {build} reached end of life in {ended}: its images get no fixes; use a supported version"
        run = run_version(lang, runtime.run.image, runtime.run.tag)
        if run != build and runtime.run.image not in RUNTIME_FREE:
            yield (*base, "run", "tag"), (
                f"{runtime.run.tag!r} must carry {lang} {build} like the build stage ({runtime.build.tag!r}): "
                "dependencies built for one version do not load in another"
            )
        if runtime.distroless is None:
            continue
        image = runtime.distroless.image
        if image not in DISTROLESS:
            yield (*base, "distroless", "image"), f"{image!r} is not a distroless image nexusgen knows the {lang} version of ({', '.join(i for i, v in DISTROLESS.items() if v)})"
        elif DISTROLESS[image] is None:
            yield (*base, "distroless", "image"), f"{image!r} is no longer published; remove 'distroless' or name a current image"
        elif DISTROLESS[image] != build:
            yield (*base, "distroless", "image"), (
                f"{image!r} ships {lang} {DISTROLESS[image]}, the build stage {lang} {build}: no distroless image fits; "
                "remove 'distroless' (or build with the same version)"
            )


RULES = [pull_secret, base_images]
