"""Where artifacts live: one definition for every family, ``nexusgen validate`` and the tests.

Paths are relative to ``out/``, which sits beside the catalogue at the repository root (the
GitHub tree's are relative to ``.github/``, beside ``out/``);
``from_root`` gives a path relative to that root (build contexts, Dockerfiles, overlays).
"""

from __future__ import annotations

import posixpath
from pathlib import PurePosixPath

OUT_DIR = PurePosixPath("out")

DOCKER = PurePosixPath("docker")
COMPOSE = PurePosixPath("compose")
COMPOSE_FILE = COMPOSE / "docker-compose.yml"
K8S = PurePosixPath("k8s")
K8S_BASE = K8S / "base"
OVERLAYS = K8S / "overlays"
OBSERVABILITY = K8S_BASE / "observability"  # the monitoring family's PrometheusRules and dashboards
# The GitHub tree: `.github/` beside out/ at the repository root (GitHub reads workflows only
# there and follows no symlink); its paths are relative to that tree, which has its own manifest.
GITHUB_DIR = PurePosixPath(".github")
WORKFLOWS = PurePosixPath("workflows")
DEPENDABOT = PurePosixPath("dependabot.yml")
ACTIONLINT = PurePosixPath("actionlint.yaml")  # the self-hosted runners' labels (actionlint reads .github/actionlint.yaml)
GATE_SCRIPT = PurePosixPath("scripts/change_window.py")
TERRAFORM = PurePosixPath("terraform")  # in out/: bootstrap/, one root per cluster environment, modules/ (issue 18)

MONITORING = PurePosixPath("monitoring")
PROMETHEUS = MONITORING / "prometheus"
PROMETHEUS_CONFIG = PROMETHEUS / "prometheus.yml"
PROMETHEUS_RULES = PROMETHEUS / "rules"
PROMETHEUS_TESTS = PROMETHEUS / "tests"
ALERTMANAGER_CONFIG = MONITORING / "alertmanager" / "alertmanager.yml"
GRAFANA = MONITORING / "grafana"
GRAFANA_PROVISIONING = GRAFANA / "provisioning"
GRAFANA_DASHBOARDS = GRAFANA / "dashboards"
RUNBOOKS = MONITORING / "runbooks"

# Where the compose stack mounts the monitoring family's files, read-only, per container:
# (path relative to out/, path in the container). The container paths are the images' defaults
# (prom/prometheus, prom/alertmanager, grafana/grafana) and what the rendered configs refer to.
MONITORING_MOUNTS: dict[str, tuple[tuple[PurePosixPath, str], ...]] = {
    "prometheus": ((PROMETHEUS_CONFIG, "/etc/prometheus/prometheus.yml"), (PROMETHEUS_RULES, "/etc/prometheus/rules")),
    "alertmanager": ((ALERTMANAGER_CONFIG, "/etc/alertmanager/alertmanager.yml"),),
    "grafana": ((GRAFANA_PROVISIONING, "/etc/grafana/provisioning"), (GRAFANA_DASHBOARDS, "/var/lib/grafana/dashboards")),
}
GRAFANA_DASHBOARDS_MOUNT = dict(MONITORING_MOUNTS["grafana"])[GRAFANA_DASHBOARDS]


def dockerfile(service: str) -> PurePosixPath:
    return DOCKER / service / "Dockerfile"


def overlay(env: str) -> PurePosixPath:
    return OVERLAYS / env


def from_root(path: PurePosixPath) -> str:
    """A path in out/ as the repository root sees it: ``out/docker/api/Dockerfile``."""
    return str(OUT_DIR / path)


def relative(path: PurePosixPath | str, start: PurePosixPath | str) -> str:
    """``path`` relative to the folder ``start``, both relative to one root (no file system access)."""
    return posixpath.relpath(posixpath.normpath(f"/{path}"), posixpath.normpath(f"/{start}"))
