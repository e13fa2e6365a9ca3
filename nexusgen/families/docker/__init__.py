"""``docker/<service>/Dockerfile`` and its ``Dockerfile.dockerignore``, one pair per service.

The build context is the service's ``source`` folder; BuildKit reads ``<Dockerfile>.dockerignore``
beside the Dockerfile. Base images, dependency manifests, ports, command and health paths come
from the catalogue; how each language installs its dependencies is the ``Recipe`` below.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from nexusgen.plan import SERVICE_UID, Plan, paths
from nexusgen.plan import probe
from nexusgen.plan.probe import INTERPRETER

# Probe timing of the image's HEALTHCHECK (liveness) where the catalogue sets none; the start
# period is the service's startup budget (plan.probe.startup_budget).
HEALTH_INTERVAL = 30
HEALTH_TIMEOUT = 5
HEALTH_RETRIES = 3

# Never sent to the builder, whatever the language: VCS data, local secrets, the Dockerfiles themselves.
COMMON_IGNORE = (
    "**/.env",
    "**/.env.*",
    "**/*.key",
    "**/*.pem",
    "**/secrets",
    ".dockerignore",
    ".git",
    ".gitignore",
    "Dockerfile*",
)


@dataclass(frozen=True)
class Recipe:
    """How one language turns its manifests and source into files the runtime stage copies."""

    cache: str  # BuildKit cache mount target of the package manager (build stage runs as root)
    install: str  # run after the manifests are copied, before the source (the cached layer)
    after_source: str | None  # run after the source is copied (build steps), if any
    copies: tuple[str, ...]  # absolute paths copied from the build stage into the runtime stage
    build_env: tuple[tuple[str, str], ...]
    run_env: tuple[tuple[str, str], ...]
    ignore: tuple[str, ...]


RECIPES = {
    "python": Recipe(
        cache="/root/.cache/pip",
        # --target keeps dependencies interpreter-path free, so the slim and distroless stages share them.
        install="pip install --target=/opt/deps {requirements}",
        after_source=None,
        copies=("/opt/deps", "/app"),
        build_env=(("PIP_DISABLE_PIP_VERSION_CHECK", "1"), ("PIP_ROOT_USER_ACTION", "ignore")),
        run_env=(
            ("PATH", "/opt/deps/bin:$PATH"),
            ("PYTHONDONTWRITEBYTECODE", "1"),
            ("PYTHONPATH", "/app:/opt/deps"),
            ("PYTHONUNBUFFERED", "1"),
        ),
        ignore=("**/*.py[cod]", "**/.mypy_cache", "**/.pytest_cache", "**/.ruff_cache", "**/__pycache__", ".venv"),
    ),
    "node": Recipe(
        cache="/root/.npm",
        install="npm ci --no-audit --no-fund",
        after_source="npm run build --if-present && npm prune --omit=dev --no-audit --no-fund",
        copies=("/app",),
        build_env=(),
        run_env=(),
        ignore=("**/node_modules", "coverage", "npm-debug.log*"),
    ),
}


def _install(runtime: str, manifests: list[str]) -> str:
    recipe = RECIPES[runtime]
    if runtime == "python":  # each python manifest is a requirements file
        return recipe.install.format(requirements=" ".join(f"--requirement {m}" for m in manifests))
    return recipe.install


def serves_distroless(plan: Plan, name: str) -> bool:
    """A distroless stage is rendered when the runtime names one and the command starts with the
    interpreter: distroless has no shell and no console scripts, only ``python``/``python3``."""
    svc = plan.services[name]
    runtime = plan.runtime(name)
    return runtime.distroless is not None and svc.command[0] in {"python", "python3", INTERPRETER[svc.runtime]}


def _dockerfile(plan: Plan, templates, name: str) -> str:
    svc = plan.services[name]
    runtime = plan.runtime(name)
    liveness = probe.checks(plan, name)["liveness"]
    timing = liveness and probe.engine_timing(liveness, HEALTH_INTERVAL, HEALTH_TIMEOUT, HEALTH_RETRIES)
    return templates.render(
        "docker/Dockerfile.j2",
        service=name,
        svc=svc,
        runtime=runtime,
        recipe=RECIPES[svc.runtime],
        install=_install(svc.runtime, runtime.manifests),
        distroless=serves_distroless(plan, name),
        ports=[p.container for p in plan.ports(name)],
        uid=SERVICE_UID,
        health=liveness and probe.command(plan, name, liveness),
        health_options=liveness and (
            f"--interval={timing[0]}s --timeout={timing[1]}s "
            f"--start-period={probe.startup_budget(plan, name)}s --retries={timing[2]}"
        ),
        repository=plan.catalogue.project.repository,
    )


def render(plan: Plan, templates) -> dict[PurePosixPath, str]:
    files: dict[PurePosixPath, str] = {}
    for name, svc in plan.services.items():
        dockerfile = paths.dockerfile(name)
        files[dockerfile] = _dockerfile(plan, templates, name)
        files[dockerfile.with_name("Dockerfile.dockerignore")] = templates.render(
            "docker/dockerignore.j2",
            service=name,
            source=svc.source,
            patterns=sorted({*COMMON_IGNORE, *RECIPES[svc.runtime].ignore}),
        )
    return files
