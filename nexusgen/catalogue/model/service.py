"""The project, its runtimes and its services."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from nexusgen.catalogue.model.serving import DependencyTemplate, Health, HealthEntry, Ports, Schedule
from nexusgen.catalogue.model.fields import ApiGroup, Command, ContainerPath, Cpu, Digest, EnvName, FileName, Group, HttpPath, ImageRepo, ImageTag, LabelName, LANGUAGE_VERSION, Memory, MetricName, Name, _no_expression, RepositoryUrl, SourcePath, Storage, Strict, Text, Value


class Project(Strict):
    """Who owns the system and where its code and images live."""

    name: Name
    description: Text
    repository: RepositoryUrl
    registry: ImageRepo


class BaseImage(Strict):
    """A pinned base image: a tag, and a digest where one is recorded."""

    image: ImageRepo
    tag: ImageTag
    digest: Digest | None = None


class Runtime(Strict):
    """How services of one language are built: base images and dependency manifests."""

    build: BaseImage
    run: BaseImage
    distroless: BaseImage | None = None
    manifests: list[FileName] = Field(min_length=1)
    # What CI installs, after `manifests`, before `lint` and `test` run (their tools: ruff, pytest...).
    # npm installs devDependencies from package.json with everything else, so node needs none.
    dev_manifests: list[FileName] = []
    lint: Command
    test: Command

    @property
    def language_version(self) -> str | None:
        """The version the build image's tag starts with (``3.11-slim`` -> ``3.11``): CI sets it up."""
        match = LANGUAGE_VERSION.match(self.build.tag)
        return match.group() if match else None


class Dependencies(Strict):
    services: list[Name] = []
    infrastructure: list[Name] = []
    external: list[Name] = []


class Scaling(Strict):
    mode: Literal["stateless", "singleton", "stateful"]
    min_replicas: Annotated[int, Field(ge=1, le=1000)] = 1
    max_replicas: Annotated[int, Field(ge=1, le=1000)] = 1
    cpu_target_percent: Annotated[int, Field(ge=10, le=100)] = 70
    storage: Storage | None = None
    storage_path: ContainerPath = "/data"

    @model_validator(mode="after")
    def _bounds(self) -> Scaling:
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"min_replicas ({self.min_replicas}) must not exceed max_replicas ({self.max_replicas})")
        if self.mode == "singleton" and (self.min_replicas, self.max_replicas) != (1, 1):
            raise ValueError("a singleton runs exactly one replica: min_replicas and max_replicas must be 1")
        if self.mode == "stateful" and self.storage is None:
            raise ValueError("a stateful service needs 'storage' (for example '10Gi')")
        return self


class Quantities(Strict):
    cpu: Cpu
    memory: Memory


class Resources(Strict):
    requests: Quantities
    limits: Quantities


class Metric(Strict):
    """A custom metric a service exports; alerts and dashboards refer to it by name."""

    name: MetricName
    type: Literal["counter", "gauge", "histogram"]
    help: Text
    labels: list[LabelName] = []


class ApiAccess(Strict):
    """One least-privilege RBAC rule for a service that talks to the Kubernetes API."""

    api_group: ApiGroup
    resources: list[Name] = Field(min_length=1)
    verbs: list[Literal["get", "list", "watch", "create", "update", "patch", "delete"]] = Field(min_length=1)


class Ingress(Strict):
    """Expose a service at ``<subdomain>.<environment domain>`` over TLS."""

    subdomain: Name
    path: HttpPath = "/"
    # The service holds WebSocket connections: the ingress controller keeps them open this long
    # without traffic instead of its 60 s default (ingress-nginx proxy-read/send-timeout).
    websockets: bool = False


class Endpoint(Strict):
    """An HTTP call to the service's own port."""

    method: Literal["POST", "PUT"] = "POST"
    path: HttpPath


class KillSwitch(Strict):
    """How trading is halted on purpose (before the trader is restarted or replaced) and resumed."""

    halt: Endpoint
    resume: Endpoint
    halted_metric: MetricName | None = None  # a gauge the service exports: 1 while trading is halted


class RedisAcl(Strict):
    """What a service's own Redis user may touch (Redis ACL rules; the defaults: every key and
    channel, every command but the administrative and dangerous ones)."""

    keys: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_:.*?{}\[\]-]+$", max_length=200)]] = Field(["*"], min_length=1)
    channels: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_:.*?{}\[\]-]+$", max_length=200)]] = ["*"]
    commands: list[Annotated[str, Field(pattern=r"^[+-]@?[a-z]+(\|[a-z]+)?$", max_length=100)]] = Field(
        ["+@all", "-@admin", "-@dangerous"], min_length=1
    )


class Service(Strict):
    description: Text
    runtime: Literal["python", "node"]
    group: Group
    source: SourcePath
    command: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(min_length=1)
    ports: Ports = {}  # named ports; none for a worker that serves nothing (model/serving.py)
    health: HealthEntry = Health()
    schedule: Schedule | None = None  # a CronJob instead of a long-running workload
    # Extra variables formed from dependency facts: {CART_ADDR: "{cart.host}:{cart.port.grpc}"} (names.py)
    env_from_dependencies: dict[EnvName, DependencyTemplate] = {}
    depends_on: Dependencies = Dependencies()
    scaling: Scaling
    resources: Resources
    config: dict[EnvName, Value] = {}
    secrets: dict[EnvName, Name] = {}
    exchange_access: Literal["none", "read", "trade"] = "none"
    kubernetes_api: list[ApiAccess] = []
    ingress: Ingress | None = None
    writable_paths: list[ContainerPath] = ["/tmp"]
    metrics: list[Metric] = []
    kill_switch: KillSwitch | None = None
    # Run once as a Kubernetes Job with the new image before the rollout (expand/contract: it must
    # leave the schema usable by the release still running, so a rollback needs no reverse migration).
    migration: list[Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_no_expression)]] | None = Field(
        None, min_length=1)
    redis_acl: dict[Name, RedisAcl] = {}  # per Redis dependency: the key patterns and commands it needs
