"""Facts every artifact shares, derived once from the catalogue.

A port, an image reference, a namespace or a dependency edge is computed here and
nowhere else, so Dockerfile EXPOSE, compose ports, Service ports, probes, scrape
targets and NetworkPolicies cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from nexusgen.catalogue import environments
from nexusgen.catalogue.model import ENVIRONMENTS, BaseImage, Catalogue, Environment, Infrastructure, Resources, Runtime, Secret, Service
from nexusgen.catalogue.names import LIVE_TRADING_ENV, STANDARD_ENV, dependency_env, env_key
from nexusgen.plan import cloud, datastores

COMPOSE_ENVIRONMENT = ENVIRONMENTS[0]  # dev: the compose stack
CLUSTER_ENVIRONMENTS = ENVIRONMENTS[1:]  # staging and production
SERVICE_UID = 10001  # fixed non-root UID/GID of every service container


@dataclass(frozen=True)
class SecretRef:
    """An environment variable whose value comes from the secret store."""

    secret: str  # catalogue name of the secret
    path: str  # path in the store
    property: str  # property at that path


@dataclass(frozen=True)
class ScrapeTarget:
    """One thing Prometheus scrapes: a service's metrics port or an infrastructure exporter."""

    job: str  # the Prometheus job name, and the `service` label of alerts
    component: str  # the service or infrastructure entry it belongs to; also the host to scrape
    port: int
    kind: str  # "service" or "infrastructure"
    optional: bool  # behind a compose profile
    sidecar: str | None  # `<infra>-exporter`: the container that serves the port, on the component's network
    up_metric: str  # 1 while the component itself answers

    @property
    def instance(self) -> str:
        """The ``instance`` label Prometheus gives the target: the address it scrapes."""
        return f"{self.component}:{self.port}"


@dataclass(frozen=True)
class Edge:
    """``source`` talks to ``target``; ``kind`` is service, infrastructure or external."""

    source: str
    target: str
    kind: str


def image_ref(image: BaseImage) -> str:
    """``python:3.11-slim`` or ``python:3.11-slim@sha256:...`` (tag kept for readers)."""
    ref = f"{image.image}:{image.tag}"
    return f"{ref}@{image.digest}" if image.digest else ref


@dataclass(frozen=True)
class Plan:
    catalogue: Catalogue
    source_name: str  # the catalogue's file name, for headers

    @property
    def project(self) -> str:
        return self.catalogue.project.name

    @cached_property
    def services(self) -> dict[str, Service]:
        return dict(sorted(self.catalogue.services.items()))

    @cached_property
    def infrastructure(self) -> dict[str, Infrastructure]:
        return dict(sorted(self.catalogue.infrastructure.items()))

    @cached_property
    def secrets(self) -> dict[str, Secret]:
        """The catalogue's secrets and the derived ones (each service's own data-store password)."""
        return dict(sorted({**self.catalogue.secrets, **datastores.derived_secrets(self.catalogue)}.items()))

    @cached_property
    def credentials(self) -> tuple[datastores.Credential, ...]:
        """Each service's own user on each data store it uses."""
        return datastores.credentials(self.catalogue)

    def secret_ref(self, name: str) -> SecretRef:
        secret = self.secrets[name]
        return SecretRef(name, secret.path, secret.property)

    def live_trading(self, env: str) -> bool:
        return environments.live_trading(self.catalogue, env)

    def runtime(self, service: str) -> Runtime:
        return self.catalogue.runtimes[self.catalogue.services[service].runtime]

    def environment(self, env: str) -> Environment:
        return getattr(self.catalogue.environments, env)

    # --- the dependency graph -------------------------------------------------

    @cached_property
    def edges(self) -> tuple[Edge, ...]:
        out = []
        for name, svc in self.services.items():
            deps = svc.depends_on
            out += [Edge(name, t, "service") for t in deps.services]
            out += [Edge(name, t, "infrastructure") for t in deps.infrastructure]
            out += [Edge(name, t, "external") for t in deps.external]
        return tuple(sorted(out, key=lambda e: (e.source, e.kind, e.target)))

    @cached_property
    def edges_from(self) -> dict[str, tuple[Edge, ...]]:
        """Each caller's edges, in ``edges`` order (every component has an entry)."""
        out: dict[str, list[Edge]] = {n: [] for n in (*self.services, *self.infrastructure)}
        for edge in self.edges:
            out[edge.source].append(edge)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def dependents(self) -> dict[str, tuple[str, ...]]:
        """Who calls each service or infrastructure component (sorted)."""
        out: dict[str, list[str]] = {n: [] for n in (*self.services, *self.infrastructure)}
        for edge in self.edges:
            if edge.kind != "external":
                out[edge.target].append(edge.source)
        return {k: tuple(sorted(v)) for k, v in out.items()}

    @cached_property
    def _depends(self) -> dict[tuple[str, str], tuple[str, ...]]:
        out = {}
        for name, svc in self.services.items():
            deps = svc.depends_on
            out[(name, "service")] = tuple(sorted(deps.services))
            out[(name, "infrastructure")] = tuple(sorted(deps.infrastructure))
            out[(name, "external")] = tuple(sorted(deps.external))
        return out

    def depends_on(self, service: str, kind: str = "service") -> tuple[str, ...]:
        """What ``service`` talks to, of one kind (service, infrastructure or external), sorted."""
        return self._depends[(service, kind)]

    @cached_property
    def start_order(self) -> tuple[str, ...]:
        """Infrastructure, then services each after everything it depends on (Kahn's algorithm,
        sorted within each layer): the order to start, restart or restore the system in."""
        waiting = {n: len(self.depends_on(n)) for n in self.services}
        callers: dict[str, list[str]] = {n: [] for n in self.services}
        for name in self.services:
            for dep in self.depends_on(name):
                callers[dep].append(name)
        order = list(self.infrastructure)
        layer = sorted(n for n, count in waiting.items() if count == 0)
        while layer:
            order += layer
            following = []
            for name in layer:
                for caller in callers[name]:
                    waiting[caller] -= 1
                    if waiting[caller] == 0:
                        following.append(caller)
            layer = sorted(following)
        return tuple(order)

    @cached_property
    def scrape_targets(self) -> tuple[ScrapeTarget, ...]:
        out = [
            ScrapeTarget(name, name, svc.ports.metrics, "service", False, None, "up")
            for name, svc in self.services.items()
            if svc.ports.metrics is not None
        ]
        for name, infra in self.infrastructure.items():
            exporter = infra.exporter
            if exporter is not None:
                sidecar = f"{name}-exporter" if exporter.image else None
                out.append(ScrapeTarget(name, name, exporter.port, "infrastructure", infra.optional, sidecar, exporter.up_metric))
        return tuple(out)

    def exporter_env(self, infra: str) -> dict[str, str | SecretRef]:
        """Variables of an infrastructure component's sidecar exporter, sorted."""
        exporter = self.infrastructure[infra].exporter
        out: dict[str, str | SecretRef] = dict(exporter.config)
        for var, ref in exporter.secrets.items():
            out[var] = self.secret_ref(ref)
        return dict(sorted(out.items()))

    def exporter_args(self, infra: str) -> list[str]:
        """Sidecar exporters are Prometheus exporter-toolkit images: they listen where the catalogue says."""
        return [f"--web.listen-address=:{self.infrastructure[infra].exporter.port}"]

    # where artifacts live: nexusgen.plan.paths

    # Names the Kubernetes objects share with the alerts and dashboards that watch them.
    CLAIM = "data"  # the StatefulSets' volumeClaimTemplate: claims are data-<workload>-<ordinal>

    @classmethod
    def claim_pattern(cls, workload: str) -> str:
        return f"{cls.CLAIM}-{workload}-[0-9]+"

    @staticmethod
    def tls_secret(service: str) -> str:
        """The Ingress's TLS Secret, which cert-manager's Certificate of the same name fills."""
        return f"{service}-tls"

    def volume(self, name: str) -> str | None:
        """The size of the persistent volume a service or infrastructure component keeps its data on, if any."""
        svc = self.services.get(name)
        if svc is not None:
            return svc.scaling.storage if svc.scaling.mode == "stateful" else None
        infra = self.infrastructure[name]
        return infra.storage_size if infra.storage is not None else None

    def workload_kind(self, name: str) -> str:
        """The Kubernetes workload of a service or infrastructure component: stateless services and
        singletons are Deployments; stateful services and every infrastructure component StatefulSets."""
        svc = self.services.get(name)
        return "Deployment" if svc is not None and svc.scaling.mode != "stateful" else "StatefulSet"

    # --- per environment ------------------------------------------------------

    def namespace(self, group: str, env: str) -> str:
        """``nexus-production-core``: namespaces by group, per environment."""
        return f"{self.project}-{env}-{group}"

    def component(self, name: str) -> Service | Infrastructure:
        """A service or infrastructure component by name (names are unique across both)."""
        return self.services[name] if name in self.services else self.infrastructure[name]

    def group(self, name: str) -> str:
        """The group of a service or infrastructure component (its namespace on a cluster)."""
        return self.component(name).group

    def service_namespace(self, name: str, env: str) -> str:
        return self.namespace(self.group(name), env)

    def port(self, name: str) -> int:
        """The port callers of a service or infrastructure component connect to."""
        return self.services[name].ports.http if name in self.services else self.infrastructure[name].port

    def host(self, name: str, env: str) -> str:
        """How other containers reach ``name``: the compose service name in dev, cluster DNS elsewhere."""
        if env == COMPOSE_ENVIRONMENT:
            return name
        if name in cloud.managed_stores(self.catalogue.cloud, env):
            return cloud.managed_host(self.project, env, name)
        return f"{name}.{self.service_namespace(name, env)}.svc.cluster.local"

    def public_url(self, service: str, env: str) -> str | None:
        """``https://<subdomain>.<domain>`` of a service with an ingress, in a cluster environment."""
        ingress, domain = self.services[service].ingress, self.environment(env).domain
        return f"https://{ingress.subdomain}.{domain}" if ingress and domain else None

    def registry(self, env: str) -> str:
        """Where ``env``'s images live: the cloud's ECR registry for a cloud environment (cloud.py)."""
        if cloud.cloud_environment(self.catalogue.cloud, env) is not None:
            return cloud.registry(self.catalogue.cloud, self.project)
        return self.environment(env).registry or self.catalogue.project.registry

    def image_repo(self, service: str, env: str) -> str:
        return f"{self.registry(env)}/{service}"

    def image(self, service: str, env: str) -> str:
        """The image a service runs in ``env``: tag, plus digest where the environment pins one."""
        environment = self.environment(env)
        ref = f"{self.image_repo(service, env)}:{environment.tag}"
        digest = environment.digests.get(service)
        return f"{ref}@{digest}" if digest else ref

    def replicas(self, service: str, env: str) -> tuple[int, int]:
        """(min, max) replicas in ``env``: overrides applied, then the environment's floor for stateless."""
        svc = self.services[service]
        if svc.scaling.mode != "stateless":
            return (1, 1)
        override = self.environment(env).services.get(service)
        low = (override and override.min_replicas) or svc.scaling.min_replicas
        high = (override and override.max_replicas) or svc.scaling.max_replicas
        floor = self.environment(env).min_stateless_replicas
        return (max(low, floor), max(high, floor))

    def resources(self, service: str, env: str) -> Resources:
        override = self.environment(env).services.get(service)
        return (override and override.resources) or self.services[service].resources

    def overrides(self, service: str, env: str) -> list[str]:
        """What ``environments.<env>.services.<service>`` changes, one entry per field or variable
        (names only: values are in the files that carry them), for reviewers."""
        override = self.environment(env).services.get(service)
        if override is None:
            return []
        out = [field for field in ("min_replicas", "max_replicas", "resources") if getattr(override, field) is not None]
        out += [f"config.{var}" + (" (removed)" if value is None else "") for var, value in override.config.items()]
        out += [f"secrets.{var}" + (" (removed)" if ref is None else f" -> {ref}") for var, ref in override.secrets.items()]
        return out

    def env(self, service: str, env: str) -> dict[str, str | SecretRef]:
        """Every environment variable of a service container in ``env``, sorted by name."""
        svc = self.services[service]
        standard = (env, service, str(svc.ports.http), svc.ports.metrics and str(svc.ports.metrics))
        out: dict[str, str | SecretRef] = {var: value for var, value in zip(STANDARD_ENV, standard, strict=True) if value}
        for var, dep, what in dependency_env(svc.depends_on):
            host, port = self.host(dep, env), str(self.port(dep))
            out[var] = {"url": f"http://{host}:{port}", "host": host, "port": port}[what]
        for dep, kind in cloud.managed_stores(self.catalogue.cloud, env).items():
            if kind == "redis" and dep in svc.depends_on.infrastructure:
                out[f"{env_key(dep)}_TLS"] = "true"  # ElastiCache encrypts in transit: rediss://
        if svc.exchange_access == "trade":
            out[LIVE_TRADING_ENV] = "true" if self.live_trading(env) else "false"
        plain, own = datastores.service_variables(self.catalogue, service)
        out.update(plain)
        out.update(environments.config(self.catalogue, service, env))
        for var, ref in {**own, **environments.secrets(self.catalogue, service, env)}.items():
            out[var] = self.secret_ref(ref)
        return dict(sorted(out.items()))

    # --- cloud (issue 18): shared by Terraform, the workflows and the runbooks ----------

    @property
    def github_repository(self) -> str:
        """``owner/repo`` from ``project.repository``."""
        return cloud.github_repository(self.catalogue.project.repository)

    def oidc_subject(self, github_environment: str) -> str:
        """The OIDC ``sub`` of a job in ``github_environment``: what a cloud role's trust names exactly."""
        return cloud.oidc_subject(self.github_repository, github_environment)

    def secret_env(self, name: str, env: str | None = None) -> dict[str, SecretRef]:
        """Secret variables of a service (in ``env``) or an infrastructure component, sorted."""
        if name in self.services:
            assert env is not None, "a service's secrets depend on the environment"
            return {k: v for k, v in self.env(name, env).items() if isinstance(v, SecretRef)}
        refs = {**self.infrastructure[name].secrets, **datastores.store_secrets(self.catalogue, name)}
        return {var: self.secret_ref(ref) for var, ref in sorted(refs.items())}


def build(catalogue: Catalogue, source_name: str = "services.yaml") -> Plan:
    return Plan(catalogue, source_name)
