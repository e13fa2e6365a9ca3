"""``docker/<service>/Dockerfile`` and its ``Dockerfile.dockerignore``, one pair per service.

The build context is the service's ``source`` folder; BuildKit reads ``<Dockerfile>.dockerignore``
beside the Dockerfile. Base images, dependency manifests, ports, command and health paths come
from the catalogue; how each language installs and builds is its runtime's ``docker`` record
(catalogue/runtimes.py). Services that run a prebuilt image get neither file.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from nexusgen.catalogue.model import DockerBuild
from nexusgen.plan import SERVICE_UID, Plan, paths, probe

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


def _install(docker: DockerBuild, manifests: list[str]) -> str:
    return docker.install.format(requirements=" ".join(f"--requirement {m}" for m in manifests))


def serves_distroless(plan: Plan, name: str) -> bool:
    """A distroless stage is rendered when the runtime names one and the command starts with a
    program that image holds: distroless has no shell and no console scripts."""
    svc = plan.services[name]
    toolchain = plan.toolchain(name)
    return toolchain.runtime.distroless is not None and svc.command[0] in toolchain.docker.programs


def _dockerfile(plan: Plan, templates, name: str) -> str:
    svc = plan.services[name]
    toolchain = plan.toolchain(name)
    runtime = toolchain.runtime
    liveness = probe.checks(plan, name)["liveness"]
    timing = liveness and probe.engine_timing(liveness, HEALTH_INTERVAL, HEALTH_TIMEOUT, HEALTH_RETRIES)
    return templates.render(
        "docker/Dockerfile.j2",
        service=name,
        svc=svc,
        runtime=runtime,
        docker=toolchain.docker,
        install=_install(toolchain.docker, runtime.manifests),
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
    for name in plan.built_services:  # a prebuilt image has no Dockerfile
        svc = plan.services[name]
        dockerfile = paths.dockerfile(name)
        files[dockerfile] = _dockerfile(plan, templates, name)
        files[dockerfile.with_name("Dockerfile.dockerignore")] = templates.render(
            "docker/dockerignore.j2",
            service=name,
            source=svc.source,
            patterns=sorted({*COMMON_IGNORE, *plan.toolchain(name).docker.ignore}),
        )
    return files
