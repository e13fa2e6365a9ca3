"""The environment-neutral shape of every workload: containers, probes, volumes, scaling.

Templates get these plain values; every number and name comes from the plan or the
catalogue entry, never from a template.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from nexusgen.catalogue.model import METRICS, ApiAccess, Schedule
from nexusgen.escape import kubernetes_literal
from nexusgen.plan import Plan, SecretRef, image_ref
from nexusgen.plan import cluster, datastores, probe


@dataclass(frozen=True)
class Probe:
    period: int
    failures: int
    http_path: str | None = None  # httpGet on the named port `http_port`
    command: tuple[str, ...] = ()  # exec
    tcp_port: str | None = None  # tcpSocket on a named port
    timeout: int = 3
    http_port: str = "http"
    grpc_port: int | None = None  # the native gRPC probe (GA in 1.27) takes a number, not a name
    grpc_service: str | None = None
    initial_delay: int = 0


def _probe(check: probe.Check | None) -> Probe | None:
    """A plan check as a Kubernetes probe; exec arguments kept literal under $(VAR) expansion."""
    if check is None:
        return None
    timing = dict(period=check.period, failures=check.failures, timeout=check.timeout, initial_delay=check.initial_delay)
    if check.kind == "http":
        return Probe(http_path=check.path, http_port=check.port.name, **timing)
    if check.kind == "grpc":
        return Probe(grpc_port=check.port.container, grpc_service=check.grpc_service, **timing)
    if check.kind == "tcp":
        return Probe(tcp_port=check.port.name, **timing)
    return Probe(command=tuple(kubernetes_literal(arg) for arg in check.command), **timing)


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    ports: list[tuple[str, int]]
    resources: dict
    liveness: Probe | None
    readiness: Probe | None
    startup: Probe | None = None
    args: list[str] = field(default_factory=list)
    config_map: str | None = None  # envFrom
    values: dict[str, str] = field(default_factory=dict)  # literal env
    secrets: list[tuple[str, str, str]] = field(default_factory=list)  # (variable, Secret, key)
    mounts: list[tuple[str, str]] = field(default_factory=list)  # (volume, path)


@dataclass(frozen=True)
class Workload:
    name: str
    kind: str  # Deployment, StatefulSet or CronJob
    component: str  # service or infrastructure
    group: str
    containers: list[Container]
    ports: list[tuple[str, int]]  # the Service's ports
    replicas: int | None  # None: the HorizontalPodAutoscaler owns the count
    strategy: str = "RollingUpdate"
    scratch: list[str] = field(default_factory=list)  # emptyDir volumes
    claims: list[tuple[str, str]] = field(default_factory=list)  # (volume, size)
    rules: list[ApiAccess] = field(default_factory=list)
    autoscale: tuple[int, int, int] | None = None  # (min, max, cpu %) of the catalogue
    disruption_budget: bool = False
    config: dict[str, str] = field(default_factory=dict)  # ConfigMap data shared by every environment
    env_config: dict[str, dict[str, str]] = field(default_factory=dict)  # the rest, per cluster environment
    secret_refs: list[tuple[str, str, str]] = field(default_factory=list)  # (key, store path, property)
    # A service whose secret references differ per environment has its ExternalSecret in each
    # overlay (and secret variables only some environments have are added by the overlay's patch).
    env_secret_refs: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    env_secrets: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # (variable, Secret, key)
    monitored: bool = False  # has a `metrics` port a ServiceMonitor scrapes
    schedule: Schedule | None = None  # a CronJob's timing
    has_service: bool = True  # a Service object (a worker or a job that serves nothing has none)
    files: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # (volume, ConfigMap, {file: text})


def _volumes(paths: list[str], taken: set[str]) -> list[tuple[str, str]]:
    return [(cluster.volume_name(p, taken), p) for p in paths]


def service(plan: Plan, name: str) -> Workload:
    svc = plan.services[name]
    mode = svc.scaling.mode
    taken: set[str] = {plan.CLAIM}
    mounts = _volumes(list(svc.writable_paths), taken)
    claims = [(plan.CLAIM, plan.volume(name))] if plan.volume(name) else []
    checks = probe.checks(plan, name)
    container_ports = [(p.name, p.container) for p in plan.ports(name)]
    shared, own = cluster.split_config(plan, name)
    secret_vars, env_vars, secret_refs, same = cluster.split_secrets(plan, name)
    refs = {env: [(var, ref.path, ref.property) for var, ref in values.items()] for env, values in secret_refs.items()}
    container = Container(
        name=name,
        image=name,  # a placeholder: each overlay's `images:` sets the environment's repository and tag
        ports=container_ports,
        resources=svc.resources.model_dump(),
        liveness=_probe(checks["liveness"]),
        readiness=_probe(checks["readiness"]),
        startup=_probe(checks["startup"]),
        config_map=name,
        secrets=[(var, name, var) for var in secret_vars],
        mounts=mounts + [(v, svc.scaling.storage_path) for v, _ in claims],
    )
    return Workload(
        name=name,
        kind=plan.workload_kind(name),
        component="service",
        group=plan.group(name),
        containers=[container],
        ports=[(p.name, p.service) for p in plan.ports(name)],
        replicas=None if mode == "stateless" else 1,
        strategy="Recreate" if mode == "singleton" and svc.schedule is None else "RollingUpdate",
        scratch=[v for v, _ in mounts],
        claims=claims,
        rules=list(svc.kubernetes_api),
        autoscale=(svc.scaling.min_replicas, svc.scaling.max_replicas, svc.scaling.cpu_target_percent)
        if mode == "stateless" and svc.schedule is None
        else None,
        disruption_budget=mode == "stateless" and svc.schedule is None,
        config=shared,
        env_config=own,
        secret_refs=next(iter(refs.values())) if same else [],
        env_secret_refs={} if same else refs,
        env_secrets={env: [(var, name, var) for var in names] for env, names in env_vars.items()},
        monitored=METRICS in svc.ports,
        schedule=svc.schedule,
        has_service=bool(svc.ports),
    )


def infrastructure(plan: Plan, name: str) -> Workload:
    infra = plan.infrastructure[name]
    taken: set[str] = {plan.CLAIM}
    scratch = _volumes(sorted(infra.writable_paths), taken)
    claims = [(plan.CLAIM, plan.volume(name))] if plan.volume(name) else []
    check = tuple(kubernetes_literal(arg) for arg in infra.healthcheck)  # exec probes expand $(VAR) too
    period = cluster.STARTUP_PERIOD_SECONDS
    exporter = infra.exporter
    serves_metrics = exporter is not None and exporter.image is None
    files, file_mounts = [], []
    init = datastores.postgres_init(plan.catalogue, name)
    if init is not None:  # each service's role, created on the first start (plan.datastores)
        volume = cluster.volume_name("initdb", taken)
        files.append((volume, f"{name}-initdb", {datastores.INIT_SCRIPT: init}))
        file_mounts.append((volume, datastores.INIT_FOLDER))
    # the kubelet expands $(VAR) from the container's own environment: no password in a manifest
    args = [kubernetes_literal(arg) for arg in infra.command] + datastores.redis_args(plan.catalogue, name, lambda var: f"$({var})")
    main = Container(
        name=name,
        image=image_ref(infra.image),
        ports=[("tcp", infra.port)] + ([("metrics", exporter.port)] if serves_metrics else []),
        resources=infra.resources.model_dump(),
        liveness=Probe(10, 6, command=check, timeout=5),
        readiness=Probe(10, 3, command=check, timeout=5),
        startup=Probe(period, math.ceil(infra.startup_seconds / period), command=check, timeout=5),
        args=args,
        config_map=name if infra.config else None,
        secrets=[(var, name, var) for var in plan.secret_env(name)],
        mounts=scratch + [(plan.CLAIM, infra.storage)] * bool(claims) + file_mounts,
    )
    containers = [main]
    service_ports = [("tcp", infra.port)]
    secret_refs = dict(plan.secret_env(name))
    if exporter is not None and exporter.image is not None:
        env = plan.exporter_env(name)
        secret_refs.update({var: ref for var, ref in env.items() if isinstance(ref, SecretRef)})
        tmp = cluster.volume_name("/tmp", taken)
        scratch.append((tmp, "/tmp"))
        containers.append(
            Container(
                name=f"{name}-exporter",
                image=image_ref(exporter.image),
                ports=[("metrics", exporter.port)],
                resources=exporter.resources.model_dump(),
                liveness=Probe(10, 3, tcp_port="metrics"),
                readiness=Probe(10, 3, tcp_port="metrics"),
                args=[kubernetes_literal(arg) for arg in plan.exporter_args(name)],
                values={var: kubernetes_literal(value) for var, value in env.items() if isinstance(value, str)},
                secrets=[(var, name, var) for var, value in env.items() if isinstance(value, SecretRef)],
                mounts=[(tmp, "/tmp")],
            )
        )
    if exporter is not None:
        service_ports.append(("metrics", exporter.port))
    return Workload(
        name=name,
        kind=plan.workload_kind(name),
        component="infrastructure",
        group=plan.group(name),
        containers=containers,
        ports=service_ports,
        replicas=1,
        scratch=[v for v, _ in scratch],
        claims=claims,
        config=dict(sorted(infra.config.items())),
        secret_refs=[(var, ref.path, ref.property) for var, ref in sorted(secret_refs.items())],
        monitored=exporter is not None,
        files=files,
    )


def build(plan: Plan, name: str) -> Workload:
    return service(plan, name) if name in plan.services else infrastructure(plan, name)
