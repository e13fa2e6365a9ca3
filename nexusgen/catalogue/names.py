"""Names derived from the catalogue that both validation and rendering need."""

from __future__ import annotations

from collections.abc import Iterator

from nexusgen.catalogue.model import Catalogue, Dependencies

# Variables nexusgen sets in every service container; config and secrets may not reuse them.
STANDARD_ENV = ("NEXUS_ENVIRONMENT", "SERVICE_NAME", "HTTP_PORT", "METRICS_PORT")
# Set in a service with exchange_access trade: "true" only where the environment trades live.
LIVE_TRADING_ENV = "NEXUS_LIVE_TRADING"


def env_key(name: str) -> str:
    """``risk-manager`` -> ``RISK_MANAGER``."""
    return name.upper().replace("-", "_")


def dependency_env(deps: Dependencies) -> Iterator[tuple[str, str, str]]:
    """``(variable, dependency, what)`` for each variable a service gets from its dependencies:
    ``<SERVICE>_URL`` (what ``url``), ``<INFRA>_HOST`` (``host``) and ``<INFRA>_PORT`` (``port``)."""
    for dep in deps.services:
        yield f"{env_key(dep)}_URL", dep, "url"
    for dep in deps.infrastructure:
        yield f"{env_key(dep)}_HOST", dep, "host"
        yield f"{env_key(dep)}_PORT", dep, "port"


def derived_env_names(cat: Catalogue, service: str) -> set[str]:
    """Every variable nexusgen derives for ``service``: the standard ones, its dependencies', its own
    data-store users' and, for a trader, whether the environment trades live."""
    from nexusgen.catalogue.datastores import variable_names  # it imports this module

    names = {*STANDARD_ENV, *(var for var, _, _ in dependency_env(cat.services[service].depends_on))}
    names |= variable_names(cat, service)
    if cat.services[service].exchange_access == "trade":
        names.add(LIVE_TRADING_ENV)
    return names
