"""Trading safety and least privilege: rules across services, secrets and environments.

Live trade keys only where an environment trades live (production unless declared), and only on
a singleton with a kill switch; exchange access only where a key and an egress use it; data
stores with a password, and no service holding a store's superuser credential. Each rule yields
``(loc, message)`` like those in ``checks.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nexusgen.catalogue import environments
from nexusgen.catalogue.findings import Finding
from nexusgen.catalogue.model import ENVIRONMENTS, Catalogue
from nexusgen.catalogue.names import derived_env_names
from nexusgen.catalogue import datastores

# The keys that satisfy each exchange_access: a read service reads, a trader trades (live or testnet).
USES = {"read": ("read",), "trade": ("trade", "testnet")}


def _overrides(cat: Catalogue):
    """(env, service, override) for each override of a known service."""
    for env in ENVIRONMENTS:
        for name, override in environments.environment(cat, env).services.items():
            if name in cat.services:
                yield env, name, override


def override_names(cat: Catalogue) -> Iterator[Finding]:
    """Override variables follow the service's own rules: no name nexusgen sets, not in both maps."""
    for env, name, override in _overrides(cat):
        base = ("environments", env, "services", name)
        derived = derived_env_names(cat, name)
        config, secrets = environments.config(cat, name, env), environments.secrets(cat, name, env)
        for field, values in (("config", override.config), ("secrets", override.secrets)):
            for var, value in values.items():
                if var in derived:
                    yield (*base, field, var), f"{var} is set by nexusgen from the catalogue; choose another name"
                elif value is not None and var in config and var in secrets:
                    yield (*base, field, var), f"{var} would be set both in config and in secrets in {env}"


def live_trading(cat: Catalogue) -> Iterator[Finding]:
    if cat.environments.dev.live_trading:
        yield ("environments", "dev", "live_trading"), (
            "the development compose stack never trades live; remove live_trading or set it to false"
        )
    for env in ENVIRONMENTS:
        if environments.live_trading(cat, env):
            continue
        declare = "" if env == "dev" else f", or declare environments.{env}.live_trading: true"
        for name in sorted(cat.services):
            for var, ref in environments.secrets(cat, name, env).items():
                secret = cat.secrets.get(ref)
                if secret is not None and secret.exchange == "trade":
                    yield environments.secret_origin(cat, name, env, var), (
                        f"{env} does not trade live, yet {name!r} would receive the live trade key {ref!r} there; "
                        f"override {var} under environments.{env}.services.{name}.secrets with a testnet key "
                        f"(a secret with exchange: testnet) or null{declare}"
                    )


def trade_singletons(cat: Catalogue) -> Iterator[Finding]:
    for name, svc in cat.services.items():
        if svc.exchange_access == "trade" and svc.scaling.mode != "singleton":
            yield ("services", name, "exchange_access"), (
                f"trade keys only go to a singleton: {name!r} is {svc.scaling.mode}, and two live copies could "
                "place every order twice; set scaling.mode: singleton"
            )


def excess_access(cat: Catalogue) -> Iterator[Finding]:
    """exchange_access that no key and no exchange egress uses is privilege nobody needs."""
    for name, svc in cat.services.items():
        if svc.exchange_access == "none":
            continue
        loc = ("services", name, "exchange_access")
        refs = set(svc.secrets.values())
        refs |= {ref for env in ENVIRONMENTS for ref in environments.secrets(cat, name, env).values()}
        if not any(ref in cat.secrets and cat.secrets[ref].exchange in USES[svc.exchange_access] for ref in refs):
            yield loc, (
                f"exchange_access {svc.exchange_access!r} is unused: {name!r} receives no exchange "
                f"{' or '.join(USES[svc.exchange_access])} key in any environment; remove it"
            )
        elif not any(cat.external.get(e) and cat.external[e].exchange for e in svc.depends_on.external):
            yield loc, (
                f"exchange_access {svc.exchange_access!r} is unused: {name!r} has no exchange egress "
                "(depends_on.external names no endpoint with exchange: true); remove it or add the exchange"
            )


def trade_paths(cat: Catalogue) -> Iterator[Finding]:
    """A live trade key's store path holds live trade keys only (the store grants access by path)."""
    trade = {s.path: n for n, s in sorted(cat.secrets.items()) if s.exchange == "trade"}
    for name, secret in cat.secrets.items():
        if secret.exchange != "trade" and secret.path in trade:
            yield ("secrets", name, "path"), (
                f"{secret.path!r} holds the live trade key {trade[secret.path]!r}; give this {secret.exchange!r} "
                "secret a path of its own"
            )


def kill_switch(cat: Catalogue) -> Iterator[Finding]:
    for name, svc in cat.services.items():
        switch = svc.kill_switch
        if switch is None:
            if svc.exchange_access == "trade":
                yield ("services", name), (
                    "a service with exchange_access 'trade' needs a 'kill_switch' (halt, resume, halted_metric): "
                    "runbooks and deployments halt trading before restarting or replacing it"
                )
            continue
        loc = ("services", name, "kill_switch", "halted_metric")
        if switch.halted_metric is None:
            if svc.exchange_access == "trade":
                yield ("services", name, "kill_switch"), (
                    "'halted_metric' is needed: a gauge that reads 1 while trading is halted, checked after each halt"
                )
            continue
        metric = next((m for m in svc.metrics if m.name == switch.halted_metric), None)
        if metric is None:
            yield loc, f"{name!r} declares no metric {switch.halted_metric!r} under 'metrics'"
        elif metric.type != "gauge":
            yield loc, f"{switch.halted_metric} is a {metric.type}; the halted metric is a gauge (1 while halted)"


def data_stores(cat: Catalogue) -> Iterator[Finding]:
    admin: dict[str, str] = {}  # superuser secret -> its data store
    for name, infra in cat.infrastructure.items():
        kind = datastores.engine(infra)
        if kind is None:
            continue
        variable = datastores.ADMIN_PASSWORD[kind]
        if variable not in infra.secrets:
            yield ("infrastructure", name, "secrets"), (
                f"{datastores.ENGINE_NAMES[kind]} requires a password: set {variable} to a secret reference"
            )
        else:
            admin[infra.secrets[variable]] = name
        major = re.match(r"[0-9]+", infra.image.tag)
        if kind == "postgres" and major and int(major.group()) < 15:
            yield ("infrastructure", name, "image", "tag"), (
                "the script that creates each service's role needs PostgreSQL 15 or later (psql \\getenv)"
            )
    holders = [(("services", n, "secrets"), s.secrets) for n, s in cat.services.items()]
    holders += [(("environments", e, "services", n, "secrets"), o.secrets) for e, n, o in _overrides(cat)]
    for base, secrets in holders:
        for var, ref in secrets.items():
            if ref in admin:
                key = admin[ref].upper().replace("-", "_")
                yield (*base, var), (
                    f"{ref!r} is the superuser password of {admin[ref]!r}; each service gets its own user: "
                    f"nexusgen sets {key}_USER and {key}_PASSWORD (depend on {admin[ref]!r} under depends_on.infrastructure)"
                )
    for name, svc in cat.services.items():
        for store in svc.redis_acl:
            infra = cat.infrastructure.get(store)
            if store not in svc.depends_on.infrastructure or infra is None or datastores.engine(infra) != "redis":
                yield ("services", name, "redis_acl", store), (
                    f"{store!r} is not a Redis component {name!r} depends on (depends_on.infrastructure)"
                )
    for name in sorted(set(cat.secrets) & set(datastores.derived_secrets(cat))):
        yield ("secrets", name), f"{name!r} is the name of a password nexusgen derives; choose another name"


RULES = [override_names, live_trading, trade_singletons, excess_access, trade_paths, kill_switch, data_stores]
