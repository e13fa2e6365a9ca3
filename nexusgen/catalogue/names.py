"""Names derived from the catalogue that both validation and rendering need."""

from __future__ import annotations

from nexusgen.catalogue.model import Catalogue

# Variables nexusgen sets in every service container; config and secrets may not reuse them.
STANDARD_ENV = ("NEXUS_ENVIRONMENT", "SERVICE_NAME", "HTTP_PORT", "METRICS_PORT")
# Set in a service with exchange_access trade: "true" only where the environment trades live.
LIVE_TRADING_ENV = "NEXUS_LIVE_TRADING"


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
    from nexusgen.catalogue.datastores import variable_names  # it imports this module

    names |= variable_names(cat, service)
    if cat.services[service].exchange_access == "trade":
        names.add(LIVE_TRADING_ENV)
    return names
