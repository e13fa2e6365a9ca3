"""Least privilege for data stores: each service gets its own user on each data store it uses.

The data store is known by its image (``postgres``, ``redis``, ``rabbitmq``). Every service that
depends on one gets a user named after it and a password of its own, read from the secret store
at a path derived from the catalogue (``<project>/<store>/users/<service>``, property
``password``); nobody but the store itself holds the superuser password. The store learns the
users at start-up from its own environment (the passwords, never written in a file):
PostgreSQL through an init script in ``/docker-entrypoint-initdb.d``, Redis through ``--user``
ACL arguments (``--requirepass`` protects the default user, which only its healthcheck and
exporter use). Functions here take the catalogue, so validation and rendering agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexusgen.catalogue.model import Catalogue, Infrastructure, RedisAcl, Secret
from nexusgen.catalogue.names import env_key

# The variable that holds each engine's superuser password in its own container (the official
# images' contract: postgres and rabbitmq read theirs; nexusgen passes Redis's as --requirepass).
ADMIN_PASSWORD = {"postgres": "POSTGRES_PASSWORD", "redis": "REDIS_PASSWORD", "rabbitmq": "RABBITMQ_DEFAULT_PASS"}
ENGINE_NAMES = {"postgres": "PostgreSQL", "redis": "Redis", "rabbitmq": "RabbitMQ"}
# What a service's Redis user may do unless services.<name>.redis_acl says otherwise (model.RedisAcl):
# every key and channel, no administration and none of the commands Redis marks dangerous
# (FLUSHALL, KEYS, CONFIG, DEBUG, ...).
DEFAULT_REDIS_ACL = RedisAcl()
INIT_SCRIPT = "10-service-roles.sh"  # in /docker-entrypoint-initdb.d
INIT_FOLDER = "/docker-entrypoint-initdb.d"


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


def service_variables(cat: Catalogue, service: str) -> tuple[dict[str, str], dict[str, str]]:
    """What a service learns about its own users: plain values (``POSTGRES_USER`` -> role,
    ``POSTGRES_DATABASE``) and secrets (``POSTGRES_PASSWORD`` -> derived secret name)."""
    plain, secret = {}, {}
    for c in credentials(cat):
        if c.service == service:
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
    return names


def database(infra: Infrastructure) -> str:
    """The database the postgres image creates: POSTGRES_DB, else POSTGRES_USER, else postgres."""
    return infra.config.get("POSTGRES_DB") or infra.config.get("POSTGRES_USER") or "postgres"


def store_secrets(cat: Catalogue, store: str) -> dict[str, str]:
    """Variables nexusgen adds to a data store's own container: each user's password (and, for
    Redis, ``REDISCLI_AUTH`` so its healthcheck's redis-cli authenticates)."""
    infra = cat.infrastructure[store]
    out = {c.store_var: c.secret for c in credentials(cat) if c.store == store}
    admin = infra.secrets.get(ADMIN_PASSWORD.get(engine(infra) or "", ""))
    if engine(infra) == "redis" and admin:
        out["REDISCLI_AUTH"] = admin
    return out


def redis_args(cat: Catalogue, store: str, reference) -> list[str]:
    """Arguments appended to redis-server: the default user's password, then one ACL user per
    service. redis-server (7.x, src/server.c ``main``) turns ``--name arg...`` into the config line
    ``name "arg" ...``, quoting each argument (``sdscatrepr``): a password is one token whatever it holds. ``reference(var)`` is how the target refers to a variable of the container
    (``$(VAR)`` for the kubelet, a compose interpolation in compose)."""
    infra = cat.infrastructure[store]
    if engine(infra) != "redis" or ADMIN_PASSWORD["redis"] not in infra.secrets:
        return []
    args = ["--requirepass", reference(ADMIN_PASSWORD["redis"])]
    for c in credentials(cat):
        if c.store == store:
            acl = cat.services[c.service].redis_acl.get(store, DEFAULT_REDIS_ACL)
            rules = [*(f"~{k}" for k in acl.keys), *(f"&{ch}" for ch in acl.channels), *acl.commands]
            args += ["--user", c.user, "on", ">" + reference(c.store_var), *rules]
    return args


def postgres_init(cat: Catalogue, store: str) -> str | None:
    """The init script that creates each service's role (run once, on an empty data directory;
    idempotent, so it can be run again by hand against an existing database). Passwords come from
    the container's environment through psql's ``\\getenv`` (PostgreSQL 15+): never in the file,
    never on a command line."""
    users = [c for c in credentials(cat) if c.store == store and c.engine == "postgres"]
    if not users:
        return None
    lines = [
        "#!/bin/sh",
        f"# Creates the role of each service that uses {store}: its own login, CONNECT on the",
        "# database and a schema of its own; no superuser, no CREATEDB, no CREATEROLE. The postgres",
        "# image runs this once, on an empty data directory. On an existing database run it by hand:",
        f"#   sh {INIT_FOLDER}/{INIT_SCRIPT}   (inside the {store} container)",
        *[f': "${{{c.store_var}:?{c.store_var} is not set}}"' for c in users],
        'psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" <<\'SQL\'',
        "\\getenv database POSTGRES_DB",
        "REVOKE ALL ON DATABASE :\"database\" FROM PUBLIC;",
    ]
    for c in users:
        lines += [
            f"\\getenv password {c.store_var}",
            f"SELECT 'CREATE ROLE \"{c.user}\"' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{c.user}')\\gexec",
            f"ALTER ROLE \"{c.user}\" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'password';",
            f"GRANT CONNECT ON DATABASE :\"database\" TO \"{c.user}\";",
            f"CREATE SCHEMA IF NOT EXISTS AUTHORIZATION \"{c.user}\";",
        ]
    lines.append("SQL")
    return "\n".join(lines) + "\n"
