"""Settings of the exporter sidecar images, until the catalogue can state them (see the report).

Keyed by image repository; taken from each exporter's own documentation. ``{host}`` and
``{port}`` are the component's address in dev, ``{config[X]}`` one of its config values,
and ``InfraSecret("X")`` passes the component's own secret variable ``X`` on by reference.
An image not listed here gets only the listen address.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexusgen.plan import Plan, SecretRef


@dataclass(frozen=True)
class InfraSecret:
    variable: str  # a key of the component's ``secrets``


SETTINGS: dict[str, dict[str, str | InfraSecret]] = {
    "oliver006/redis_exporter": {"REDIS_ADDR": "redis://{host}:{port}"},
    "quay.io/prometheuscommunity/postgres-exporter": {
        "DATA_SOURCE_URI": "{host}:{port}/postgres?sslmode=disable",
        "DATA_SOURCE_USER": "{config[POSTGRES_USER]}",
        "DATA_SOURCE_PASS": InfraSecret("POSTGRES_PASSWORD"),
    },
}


def command(plan: Plan, infra: str) -> list[str]:
    """Both exporters take the Prometheus exporter-toolkit flag: listen on the catalogue's port."""
    return [f"--web.listen-address=:{plan.infrastructure[infra].exporter.port}"]


def environment(plan: Plan, infra: str) -> dict[str, str | SecretRef]:
    component = plan.infrastructure[infra]
    secrets = plan.secret_env(infra)
    facts = {"host": plan.host(infra, "dev"), "port": component.port, "config": component.config}
    out: dict[str, str | SecretRef] = {}
    for var, value in SETTINGS.get(component.exporter.image.image, {}).items():
        if isinstance(value, InfraSecret):
            if value.variable in secrets:
                out[var] = secrets[value.variable]
        else:
            try:
                out[var] = value.format(**facts)
            except KeyError:  # the component does not set that config value: leave the exporter's default
                continue
    return dict(sorted(out.items()))
