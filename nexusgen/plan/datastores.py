"""How each data store learns the users of ``catalogue/datastores.py`` at start-up, from its own
environment (the passwords, never written in a file): PostgreSQL through an init script in
``/docker-entrypoint-initdb.d``, Redis through ``--user`` ACL arguments (``--requirepass``
protects the default user, which only its healthcheck and exporter use).
"""

from __future__ import annotations

from nexusgen.catalogue.datastores import (
    ADMIN_PASSWORD, ENGINE_NAMES, Credential, credentials, database, derived_secrets, engine, service_variables,
)  # fmt: skip
from nexusgen.catalogue.model import Catalogue, RedisAcl

__all__ = ["ADMIN_PASSWORD", "ENGINE_NAMES", "Credential", "credentials", "database", "derived_secrets", "engine", "service_variables"]

# What a service's Redis user may do unless services.<name>.redis_acl says otherwise (model.RedisAcl):
# every key and channel, no administration and none of the commands Redis marks dangerous
# (FLUSHALL, KEYS, CONFIG, DEBUG, ...).
DEFAULT_REDIS_ACL = RedisAcl()
INIT_SCRIPT = "10-service-roles.sh"  # in /docker-entrypoint-initdb.d
INIT_FOLDER = "/docker-entrypoint-initdb.d"


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
            args += ["--user", c.user, "on", ">" + reference(c.store_var), *redis_rules(cat, c)]
    return args


def redis_rules(cat: Catalogue, c: Credential) -> list[str]:
    """A service's Redis ACL rules (keys, channels, commands): the same in redis-server's ``--user``
    and in ElastiCache's access string (terraform, modules/redis)."""
    acl = cat.services[c.service].redis_acl.get(c.store, DEFAULT_REDIS_ACL)
    return [*(f"~{k}" for k in acl.keys), *(f"&{ch}" for ch in acl.channels), *acl.commands]


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
