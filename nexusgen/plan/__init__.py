"""Facts every artifact shares, derived once from the catalogue.

A port, an image reference, a namespace or a dependency edge is computed here and
nowhere else, so Dockerfile EXPOSE, compose ports, Service ports, probes, scrape
targets and NetworkPolicies cannot disagree.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property

from nexusgen.catalogue import environments, names, runtimes
from nexusgen.catalogue.model import ENVIRONMENTS, METRICS, BaseImage, Catalogue, Environment, Infrastructure, Resources, Runtime, Secret, Service
from nexusgen.catalogue.names import LIVE_TRADING_ENV, dependency_env, env_key
from nexusgen.plan import cloud, datastores
from nexusgen.plan.dependencies import DependencyGraph, Edge  # noqa: F401 - Edge and PortFact are the plan's too
from nexusgen.plan.ports import NamedPorts, PortFact

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


def image_ref(image: BaseImage) -> str:
    """``python:3.11-slim`` or ``python:3.11-slim@sha256:...`` (tag kept for readers)."""
    ref = f"{image.image}:{image.tag}"
    return f"{ref}@{image.digest}" if image.digest else ref


@dataclass(frozen=True)
class Plan(DependencyGraph, NamedPorts):
    catalogue: Catalogue
    source_name: str  # the catalogue's file name, for headers
    # What a family derives once and asks for twice (its findings, then its render): ``remember``.
    _remembered: dict = field(default_factory=dict, compare=False, repr=False)

    def remember(self, key: Hashable, derive):
        """``derive()``, computed once per plan under ``key`` (a plan is frozen, so it never goes stale)."""
        if key not in self._remembered:
            self._remembered[key] = derive()
        return self._remembered[key]

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

    # --- which services are built from source, and which image each runs: here only ---------
    def built(self, service: str) -> bool:
        """Built from its ``source`` (a Dockerfile, a build job, a repository); else a prebuilt image."""
        return self.catalogue.services[service].image is None

    @cached_property
    def built_services(self) -> tuple[str, ...]:
        """The services the Dockerfiles, the build jobs and the image repositories are for, sorted like `services`."""
        return tuple(name for name in self.services if self.built(name))

    def toolchain(self, service: str) -> runtimes.Toolchain:
        """How a built service's runtime builds, checks and health-checks it (catalogue/runtimes.py);
        resolved once per runtime (every service's Dockerfile, build job and probes ask)."""
        name = self.catalogue.services[service].runtime
        return self.remember(("toolchain", name), lambda: runtimes.resolve(name, self.catalogue.runtimes[name]))

    def environment(self, env: str) -> Environment:
        return getattr(self.catalogue.environments, env)

    @cached_property
    def scrape_targets(self) -> tuple[ScrapeTarget, ...]:
        out = [
            ScrapeTarget(name, name, svc.ports[METRICS].port, "service", False, None, "up")
            for name, svc in self.services.items()
            if METRICS in svc.ports
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
        singletons are Deployments; scheduled services CronJobs; stateful services and every infrastructure component StatefulSets."""
        svc = self.services.get(name)
        if svc is not None and svc.schedule is not None:
            return "CronJob"  # a scheduled job (services.<name>.schedule)
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
        """The repository the service's image comes from: the project's registry, or the prebuilt image's own."""
        prebuilt = self.services[service].image
        return prebuilt.image if prebuilt else f"{self.registry(env)}/{service}"

    def image(self, service: str, env: str) -> str:
        """The image a service runs in ``env``: tag, plus digest where the environment pins one
        (a prebuilt image: its own tag and digest, the same in every environment)."""
        prebuilt = self.services[service].image
        if prebuilt is not None:
            return image_ref(prebuilt)
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
        """Every environment variable of a service container in ``env``, sorted by name (derived
        once per plan: every family asks, several times per service)."""
        return dict(self.remember(("env", service, env), lambda: self._env(service, env)))

    def _env(self, service: str, env: str) -> dict[str, str | SecretRef]:
        svc = self.services[service]
        out: dict[str, str | SecretRef] = {"NEXUS_ENVIRONMENT": env, "SERVICE_NAME": service}
        for var, port in names.port_env(self.catalogue, service).items():
            out[var] = str(self.named_port(service, port).container)
        for var, dep, fact in dependency_env(self.catalogue, service):
            out[var] = self.dependency_fact(dep, fact, env)
        for var, template in svc.env_from_dependencies.items():
            out[var] = "".join(p if isinstance(p, str) else self.dependency_fact(*p, env) for p in names.template_parts(template))
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

    def dependency_fact(self, dep: str, fact: str, env: str) -> str:
        """``host``, ``port`` (the primary port), ``port.<name>`` or ``url`` of a dependency, as a
        caller in ``env`` reaches it: compose DNS and container port, or cluster DNS and Service port."""
        host = self.host(dep, env)
        if fact == "host":
            return host
        port = self.named_port(dep, fact.removeprefix("port.")) if fact.startswith("port.") else self.primary_port(dep)
        number = str(self.caller_port(port, env))
        return f"http://{host}:{number}" if fact == "url" else number

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
