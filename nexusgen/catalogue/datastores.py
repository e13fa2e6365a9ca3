"""Least privilege for data stores: the names of each service's own user on each data store it uses.

A data store is known by its image (``postgres``, ``redis``, ``rabbitmq``). Every service that
depends on one gets a user named after it and a password of its own, read from the secret store
at a path derived from the catalogue (``<project>/<store>/users/<service>``, property
``password``); nobody but the store itself holds the superuser password. Validation and the plan
(``plan/datastores.py``: how each store learns its users) both read these names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from nexusgen.catalogue.model import Catalogue, Infrastructure, Secret
from nexusgen.catalogue.names import env_key

# The variable that holds each engine's superuser password in its own container (the official
# images' contract: postgres and rabbitmq read theirs; nexusgen passes Redis's as --requirepass).
ADMIN_PASSWORD = {"postgres": "POSTGRES_PASSWORD", "redis": "REDIS_PASSWORD", "rabbitmq": "RABBITMQ_DEFAULT_PASS"}
ENGINE_NAMES = {"postgres": "PostgreSQL", "redis": "Redis", "rabbitmq": "RabbitMQ"}


def engine(infra: Infrastructure) -> str | None:
    """``postgres`` for ``postgres:16`` or ``docker.io/library/postgres``; None for anything else."""
    name = infra.image.image.rsplit("/", 1)[-1]
    return name if name in ADMIN_PASSWORD else None


@dataclass(frozen=True)
class Credential:
    """One service's own user on one data store."""

    store: str  # the infrastructure component
    engine: str
    service: str
    user: str  # PostgreSQL role or Redis ACL user
    secret: str  # the derived secret's name (compose's .env variable is SECRET_<NAME>)
    path: str
    property: str
    store_var: str  # the password's variable in the data store's own container

    @property
    def description(self) -> str:
        return f"Password of {self.service}'s own {ENGINE_NAMES[self.engine]} user {self.user!r} on {self.store}"


T = TypeVar("T")


def _last_catalogue(function: Callable[[Catalogue], T]) -> Callable[[Catalogue], T]:
    """Remember the answer for the last catalogue asked about. A catalogue is frozen, so the answer
    never goes stale; it is held with its catalogue, so an id is never mistaken for another's.
    Validation, the plan and every family ask per service: without this a render is quadratic."""
    last: tuple[Catalogue, T] | None = None

    @functools.wraps(function)
    def remembered(cat: Catalogue) -> T:
        nonlocal last
        if last is None or last[0] is not cat:
            last = (cat, function(cat))
        return last[1]

    return remembered


@_last_catalogue
def credentials(cat: Catalogue) -> tuple[Credential, ...]:
    """Every (store, service) credential, sorted by store then service."""
    out = []
    for store, infra in sorted(cat.infrastructure.items()):
        kind = engine(infra)
        if kind is None:
            continue
        for service, svc in sorted(cat.services.items()):
            if store in svc.depends_on.infrastructure:
                user = service.replace("-", "_") if kind == "postgres" else service
                out.append(Credential(
                    store, kind, service, user, f"{store}-user-{service}",
                    f"{cat.project.name}/{store}/users/{service}", "password", f"ROLE_{env_key(service)}_PASSWORD",
                ))  # fmt: skip
    return tuple(out)


def derived_secrets(cat: Catalogue) -> dict[str, Secret]:
    return {c.secret: Secret(description=c.description, path=c.path, property=c.property) for c in credentials(cat)}


@_last_catalogue
def _by_service(cat: Catalogue) -> dict[str, list[Credential]]:
    out: dict[str, list[Credential]] = {}
    for c in credentials(cat):
        out.setdefault(c.service, []).append(c)
    return out


def service_variables(cat: Catalogue, service: str) -> tuple[dict[str, str], dict[str, str]]:
    """What a service learns about its own users: plain values (``POSTGRES_USER`` -> role,
    ``POSTGRES_DATABASE``) and secrets (``POSTGRES_PASSWORD`` -> derived secret name)."""
    plain, secret = {}, {}
    for c in _by_service(cat).get(service, ()):
        key = env_key(c.store)
        plain[f"{key}_USER"] = c.user
        secret[f"{key}_PASSWORD"] = c.secret
        if c.engine == "postgres":
            plain[f"{key}_DATABASE"] = database(cat.infrastructure[c.store])
    return plain, secret


def variable_names(cat: Catalogue, service: str) -> set[str]:
    """The variable names ``service_variables`` sets, from the dependency list alone."""
    names = set()
    for store in cat.services[service].depends_on.infrastructure:
        infra = cat.infrastructure.get(store)
        if infra is not None and engine(infra) is not None:
            names |= {f"{env_key(store)}_USER", f"{env_key(store)}_PASSWORD"}
            if engine(infra) == "postgres":
                names.add(f"{env_key(store)}_DATABASE")
            if engine(infra) == "redis":
                names.add(f"{env_key(store)}_TLS")  # "true" where ElastiCache replaces it (Plan.env)
    return names


def database(infra: Infrastructure) -> str:
    """The database the postgres image creates: POSTGRES_DB, else POSTGRES_USER, else postgres."""
    return infra.config.get("POSTGRES_DB") or infra.config.get("POSTGRES_USER") or "postgres"
