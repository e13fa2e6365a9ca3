"""Names derived from the catalogue that both validation and rendering need."""

from __future__ import annotations

import re
from collections.abc import Iterator

from nexusgen.catalogue import ports
from nexusgen.catalogue.model import Catalogue

# Variables nexusgen sets in every service container; config and secrets may not reuse them.
STANDARD_ENV = ("NEXUS_ENVIRONMENT", "SERVICE_NAME", "HTTP_PORT", "METRICS_PORT")
# Set in a service with exchange_access trade: "true" only where the environment trades live.
LIVE_TRADING_ENV = "NEXUS_LIVE_TRADING"


def env_key(name: str) -> str:
    """``risk-manager`` -> ``RISK_MANAGER``."""
    return name.upper().replace("-", "_")


def dependency_env(cat: Catalogue, service: str) -> Iterator[tuple[str, str, str]]:
    """``(variable, dependency, fact)`` for each variable a service gets from its dependencies:
    ``<SERVICE>_URL`` (fact ``url``) for a service whose primary port speaks HTTP, else
    ``<DEP>_HOST`` (``host``) and ``<DEP>_PORT`` (``port``), as for infrastructure."""
    deps = cat.services[service].depends_on
    for dep in deps.services:
        target = cat.services.get(dep)
        main = target and ports.primary(target)
        if main is not None and target.ports[main].protocol == "http":
            yield f"{env_key(dep)}_URL", dep, "url"
        else:
            yield f"{env_key(dep)}_HOST", dep, "host"
            yield f"{env_key(dep)}_PORT", dep, "port"
    for dep in deps.infrastructure:
        yield f"{env_key(dep)}_HOST", dep, "host"
        yield f"{env_key(dep)}_PORT", dep, "port"


# `{dependency.fact}` in env_from_dependencies: host, port (the primary port), port.<name>, url.
# No other syntax: no expressions, no escapes; a brace outside a placeholder is refused.
PLACEHOLDER = re.compile(r"\{([a-z][-a-z0-9]*)\.([a-z]+(?:\.[a-z][-a-z0-9]*)?)\}")


def template_parts(template: str) -> list[str | tuple[str, str]]:
    """Literal text and ``(dependency, fact)`` pairs, in order (a valid template)."""
    out: list[str | tuple[str, str]] = []
    end = 0
    for match in PLACEHOLDER.finditer(template):
        if match.start() > end:
            out.append(template[end : match.start()])
        out.append((match.group(1), match.group(2)))
        end = match.end()
    if end < len(template):
        out.append(template[end:])
    return out


def template_problems(cat: Catalogue, service: str, template: str) -> Iterator[str]:
    """Why a template cannot resolve for ``service``: stray braces, unknown dependencies or facts."""
    deps = cat.services[service].depends_on
    unknown: set[str] = set()
    for part in template_parts(template):
        if isinstance(part, str):
            if "{" in part or "}" in part:
                yield f"{part!r}: a brace only opens a placeholder such as {{cart.host}} or {{cart.port.grpc}}"
            continue
        dep, fact = part
        if dep in deps.infrastructure:
            facts = ["host", "port"]
        elif dep in deps.services:
            target = cat.services.get(dep)
            names = sorted(ports.served(target)) if target else []
            facts = ["host", "port", *(f"port.{n}" for n in names)]
            main = target and ports.primary(target)
            if main is not None and target.ports[main].protocol == "http":
                facts.append("url")
        else:
            if dep in unknown:
                continue
            unknown.add(dep)
            known = ", ".join(sorted([*deps.services, *deps.infrastructure])) or "none"
            yield f"{{{dep}.{fact}}}: {dep!r} is not in depends_on.services or depends_on.infrastructure (known: {known})"
            continue
        if fact not in facts:
            yield f"{{{dep}.{fact}}}: {dep} has no fact {fact!r} (known: {', '.join(facts)})"


def port_env(cat: Catalogue, service: str) -> dict[str, str]:
    """``<NAME>_PORT`` -> port name: where the process reads each of its container ports."""
    return {f"{env_key(name)}_PORT": name for name in ports.ordered(cat.services[service])}


def derived_env_names(cat: Catalogue, service: str) -> set[str]:
    """Every variable nexusgen derives for ``service``: the standard ones, its dependencies', its own
    data-store users' and, for a trader, whether the environment trades live."""
    from nexusgen.catalogue.datastores import variable_names  # it imports this module

    names = {*STANDARD_ENV, *(var for var, _, _ in dependency_env(cat, service))}
    names |= set(cat.services[service].env_from_dependencies) | set(port_env(cat, service))
    names |= variable_names(cat, service)
    if cat.services[service].exchange_access == "trade":
        names.add(LIVE_TRADING_ENV)
    return names
