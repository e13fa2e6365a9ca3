"""Names derived from the catalogue that both validation and rendering need."""

from __future__ import annotations

from nexusgen.catalogue.model import Catalogue

# Variables nexusgen sets in every service container; config and secrets may not reuse them.
STANDARD_ENV = ("NEXUS_ENVIRONMENT", "SERVICE_NAME", "HTTP_PORT", "METRICS_PORT")


def env_key(name: str) -> str:
    """``risk-manager`` -> ``RISK_MANAGER``."""
    return name.upper().replace("-", "_")


def derived_env_names(cat: Catalogue, service: str) -> set[str]:
    """Every variable nexusgen derives for ``service`` from its dependencies."""
    deps = cat.services[service].depends_on
    names = set(STANDARD_ENV)
    names.update(f"{env_key(d)}_URL" for d in deps.services)
    for infra in deps.infrastructure:
        names.update((f"{env_key(infra)}_HOST", f"{env_key(infra)}_PORT"))
    return names
