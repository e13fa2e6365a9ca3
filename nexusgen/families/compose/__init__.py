"""``compose/docker-compose.yml`` (the development stack) and ``compose/.env.example``.

Every container is built here as a plain mapping from plan facts and written through the one
YAML dumper; the template adds the layout and the instructions. Compose interpolates ``$`` in
the file, so every catalogue string is escaped (``$`` -> ``$$``) and only the secret references
nexusgen writes itself (``${SECRET_...:?...}``) are interpolated, from the uncommitted ``.env``.
"""

from __future__ import annotations

import posixpath
from decimal import Decimal
from pathlib import PurePosixPath

from nexusgen.catalogue.model import Resources, cpu_millicores, memory_parts
from nexusgen.catalogue.names import env_key
from nexusgen.plan import COMPOSE_ENVIRONMENT, SERVICE_UID, Plan, SecretRef, datastores, image_ref, paths
from nexusgen.plan import probe

ENV = COMPOSE_ENVIRONMENT
FOLDER = paths.COMPOSE
ROOT_FROM_COMPOSE = "../.."  # out/ sits beside the catalogue; build contexts are relative to it
HEALTH = (10, 5, 5)  # interval and timeout (seconds) and retries where the catalogue sets no timing
JOBS = "jobs"  # the profile of scheduled jobs: `docker compose run --rm <job>` runs one (see the file's header)
HARDENING = {"cap_drop": ["ALL"], "security_opt": ["no-new-privileges:true"]}

ALERTMANAGER_SECRETS = "./secrets/alertmanager"  # not committed: one file per receiver credential
INITDB = "initdb"  # initdb/<postgres>/: the script that creates each service's role (plan.datastores)


def escape(value):
    """Keep catalogue strings literal under compose interpolation."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, list):
        return [escape(v) for v in value]
    return value


def secret_variable(ref: SecretRef) -> str:
    """One ``.env`` variable per catalogue secret, so containers sharing a secret share its value."""
    return f"SECRET_{env_key(ref.secret)}"


def _reference(ref: SecretRef) -> str:
    """Compose reads the value from .env (or the shell) and refuses to start without it."""
    name = secret_variable(ref)
    return f"${{{name}:?set {name} in .env, see .env.example}}"


def _environment(env: dict[str, str | SecretRef]) -> dict[str, str]:
    out = {}
    for var, value in sorted(env.items()):
        if isinstance(value, SecretRef):
            out[var] = _reference(value)
        else:
            out[var] = escape(value)
    return out


def _cpus(quantity: str) -> str:
    """Cores as a decimal: 250m -> 0.25, 2 -> 2."""
    return format((Decimal(cpu_millicores(quantity)) / 1000).normalize(), "f")


def _memory(quantity: str) -> str:
    """Kubernetes binary suffixes as compose's (which are binary too): 512Mi -> 512M."""
    digits, suffix = memory_parts(quantity)
    return digits + suffix[:1]


def _deploy(resources: Resources) -> dict:
    def quantities(q):
        return {"cpus": _cpus(q.cpu), "memory": _memory(q.memory)}

    return {"resources": {"limits": quantities(resources.limits), "reservations": quantities(resources.requests)}}


def _port(port: int, published: int | None = None) -> dict:
    """Published on the loopback address only: the dev stack is not reachable from the network."""
    return {"target": port, "published": published or port, "host_ip": "127.0.0.1", "protocol": "tcp"}


def _healthcheck(test: list[str], start_period: str, timing: tuple[int, int, int] = HEALTH) -> dict:
    interval, timeout, retries = timing
    return {"test": ["CMD", *escape(test)], "interval": f"{interval}s", "timeout": f"{timeout}s", "retries": retries,
            "start_period": start_period}


def _readiness(plan: Plan, name: str) -> probe.Check | None:
    """The readiness check compose runs: none for a worker or job that serves nothing, and for a
    prebuilt image only its catalogue-declared exec check (nexusgen cannot know what tools it holds)."""
    check = probe.checks(plan, name)["readiness"]
    if check is None or (not plan.built(name) and check.kind != "exec"):
        return None
    return check


def _service_healthcheck(plan: Plan, name: str) -> dict:
    """The readiness check (callers start once it passes)."""
    check = _readiness(plan, name)
    if check is None:
        return {}
    return _healthcheck(probe.command(plan, name, check), f"{probe.startup_budget(plan, name)}s", probe.engine_timing(check, *HEALTH))


def _ready(plan: Plan, dep: str) -> str:
    """What a dependent waits for: healthy where the dependency has a check compose runs, else started
    (a prebuilt image without an exec check; workers and jobs have no dependents, service_checks)."""
    return "service_started" if dep in plan.services and _readiness(plan, dep) is None else "service_healthy"


def service(plan: Plan, name: str, network: str) -> dict:
    svc = plan.services[name]
    dockerfile = paths.from_root(paths.dockerfile(name))
    depends = [*plan.depends_on(name, "service"), *plan.depends_on(name, "infrastructure")]
    built = plan.built(name)  # a prebuilt image is pulled by digest: no build, and no known health tool in it
    out = {
        "image": plan.image(name, ENV),
        "build": {
            "context": f"{ROOT_FROM_COMPOSE}/{svc.source}",
            "dockerfile": paths.relative(dockerfile, svc.source),
            "target": "runtime",
        } if built else {},
        "user": f"{SERVICE_UID}:{SERVICE_UID}",
        "read_only": True,
        "tmpfs": sorted(svc.writable_paths),
        **HARDENING,
        "environment": _environment(plan.env(name, ENV)),
        "ports": [_port(p.container, p.published) for p in plan.ports(name) if p.published],
        "expose": [str(p.container) for p in plan.ports(name) if not p.published],
        "depends_on": {dep: {"condition": _ready(plan, dep)} for dep in sorted(depends)},
        "healthcheck": _service_healthcheck(plan, name),
        "deploy": _deploy(plan.resources(name, ENV)),
        "networks": [network],
        "restart": "unless-stopped",
    }
    if svc.schedule is not None:  # a one-off: `docker compose --profile jobs run --rm <name>`
        out["profiles"] = [JOBS]
        out["restart"] = "no"
    return {k: v for k, v in out.items() if v != [] and v != {}}


def _volumes(plan: Plan, name: str) -> list[dict]:
    infra = plan.infrastructure[name]
    out = []
    if infra.storage is not None:
        out.append({"type": "volume", "source": f"{name}-data", "target": infra.storage})
    if datastores.postgres_init(plan.catalogue, name) is not None:
        out.append({"type": "bind", "source": f"./{INITDB}/{name}", "target": datastores.INIT_FOLDER, "read_only": True})
    for source, target in paths.MONITORING_MOUNTS.get(name, ()):  # config the monitoring family renders
        out.append({"type": "bind", "source": paths.relative(source, FOLDER), "target": target, "read_only": True})
    if name == "alertmanager":
        receivers = plan.catalogue.monitoring.receivers
        folders = sorted({posixpath.dirname(receivers.pagerduty_routing_key_file), posixpath.dirname(receivers.slack_api_url_file)})
        for folder in folders:
            source = ALERTMANAGER_SECRETS if len(folders) == 1 else f"{ALERTMANAGER_SECRETS}{folder}"
            out.append({"type": "bind", "source": source, "target": folder, "read_only": True})
    return out


def _store_args(plan: Plan, name: str) -> list[str]:
    """Redis's password and ACL users, interpolated by compose from .env like every secret."""
    env = plan.secret_env(name)
    return datastores.redis_args(plan.catalogue, name, lambda var: _reference(env[var]))


def infrastructure(plan: Plan, name: str, network: str) -> dict:
    infra = plan.infrastructure[name]
    exporter = infra.exporter
    out = {
        "image": image_ref(infra.image),
        "profiles": [infra.profile] if infra.profile else [],
        "command": escape(infra.command) + _store_args(plan, name),
        "environment": _environment({**infra.config, **plan.secret_env(name)}),
        "ports": [_port(infra.port)],
        "expose": [str(exporter.port)] if exporter is not None else [],
        "volumes": _volumes(plan, name),
        "healthcheck": _healthcheck(infra.healthcheck, f"{infra.startup_seconds}s"),
        "deploy": _deploy(infra.resources),
        "networks": [network],
        "restart": "unless-stopped",
    }
    return {k: v for k, v in out.items() if v != [] and v != {}}


def exporter(plan: Plan, name: str) -> dict:
    """The sidecar of ``name``, in its network namespace (as in a pod): the catalogue's exporter
    config reaches the component on localhost, and Prometheus scrapes ``<name>:<port>``. Exporter
    images have no shell for a healthcheck; Prometheus's ``up`` and the exporter's own metric watch it."""
    infra = plan.infrastructure[name]
    out = {
        "image": image_ref(infra.exporter.image),
        "profiles": [infra.profile] if infra.profile else [],
        "command": escape(plan.exporter_args(name)),
        "user": f"{SERVICE_UID}:{SERVICE_UID}",
        "read_only": True,
        **HARDENING,
        "environment": _environment(plan.exporter_env(name)),
        "depends_on": {name: {"condition": "service_healthy"}},
        "network_mode": f"service:{name}",
        "deploy": _deploy(infra.exporter.resources),
        "restart": "unless-stopped",
    }
    return {k: v for k, v in out.items() if v != [] and v != {}}


def containers(plan: Plan) -> dict[str, dict[str, dict]]:
    """Compose services by kind: application services, infrastructure, exporter sidecars."""
    network = f"{plan.project}-network"
    return {
        "services": {n: service(plan, n, network) for n in plan.services},
        "infrastructure": {n: infrastructure(plan, n, network) for n in plan.infrastructure},
        "exporters": {t.sidecar: exporter(plan, t.component) for t in plan.scrape_targets if t.sidecar},
    }


def secrets(plan: Plan) -> list[dict]:
    """Rows of ``.env.example``: each secret variable, its store reference and who reads it."""
    env_of = {n: plan.env(n, ENV) for n in plan.services}
    env_of.update({n: plan.secret_env(n) for n in plan.infrastructure})
    env_of.update({t.sidecar: plan.exporter_env(t.component) for t in plan.scrape_targets if t.sidecar})
    rows: dict[str, dict] = {}
    for container, env in sorted(env_of.items()):
        for var, value in env.items():
            if isinstance(value, SecretRef):
                row = rows.setdefault(secret_variable(value), {"ref": value, "users": []})
                row["users"].append(f"{container} {var}")
    described = plan.secrets
    return [
        {"variable": variable, "ref": row["ref"], "users": row["users"],
         "description": " ".join(described[row["ref"].secret].description.split())}
        for variable, row in sorted(rows.items())
    ]


def render(plan: Plan, templates) -> dict[PurePosixPath, str]:
    groups = containers(plan)
    network = f"{plan.project}-network"
    volumes = {f"{n}-data": {} for n, i in plan.infrastructure.items() if i.storage is not None}
    profiles = sorted({i.profile for i in plan.infrastructure.values() if i.profile})
    return {
        FOLDER / "docker-compose.yml": templates.render(
            "compose/docker-compose.yml.j2",
            plan=plan,
            groups=groups,
            network=network,
            volumes=volumes,
            profiles=profiles,
            jobs={n: s.schedule.cron for n, s in plan.services.items() if s.schedule},
            alertmanager_secrets=ALERTMANAGER_SECRETS if "alertmanager" in plan.infrastructure else None,
        ),
        FOLDER / ".env.example": templates.render("compose/env.example.j2", plan=plan, rows=secrets(plan)),
        **{
            FOLDER / INITDB / name / datastores.INIT_SCRIPT: script
            for name in plan.infrastructure
            if (script := datastores.postgres_init(plan.catalogue, name)) is not None
        },
    }
