"""What a service receives in one environment: its own values with ``environments.<env>`` overrides.

Validation and the plan both read these, so a rule checks exactly what the files will carry.
"""

from __future__ import annotations

from nexusgen.catalogue.model import Catalogue, Environment

LIVE_BY_DEFAULT = ("production",)  # environments that trade live unless they say otherwise


def environment(cat: Catalogue, env: str) -> Environment:
    return getattr(cat.environments, env)


def live_trading(cat: Catalogue, env: str) -> bool:
    """Whether ``env`` may hold live trade keys: declared, or production only. The dev stack never is."""
    declared = environment(cat, env).live_trading
    if env == "dev":
        return False
    return declared if declared is not None else env in LIVE_BY_DEFAULT


def _merged(base: dict[str, str], override: dict[str, str | None]) -> dict[str, str]:
    out = {**base, **override}
    return {k: v for k, v in sorted(out.items()) if v is not None}


def config(cat: Catalogue, service: str, env: str) -> dict[str, str]:
    """The service's config in ``env``, sorted (an override's null removes a variable)."""
    override = environment(cat, env).services.get(service)
    return _merged(cat.services[service].config, override.config if override else {})


def secrets(cat: Catalogue, service: str, env: str) -> dict[str, str]:
    """Variable -> catalogue secret name of the service in ``env``, sorted."""
    override = environment(cat, env).services.get(service)
    return _merged(cat.services[service].secrets, override.secrets if override else {})


def secret_origin(cat: Catalogue, service: str, env: str, var: str) -> tuple[str | int, ...]:
    """Where the value of ``var`` in ``env`` was written: the environment's override, or the service."""
    override = environment(cat, env).services.get(service)
    if override is not None and var in override.secrets:
        return ("environments", env, "services", service, "secrets", var)
    return ("services", service, "secrets", var)
