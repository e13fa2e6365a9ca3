"""Frozen pydantic models of the catalogue (``services.yaml``).

Field-level rules live here; rules that relate several fields (the dependency graph,
port collisions, secret reach, environment overrides) live in ``checks.py``.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from nexusgen.catalogue.alert_kinds import ALERT_KINDS

DNS_LABEL = r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
METRIC_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
ALERT_NAME = r"^[A-Z][A-Za-z0-9]*$"
LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
HTTP_PATH = r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$"
DOMAIN = r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
# OCI distribution reference: [registry[:port]/]path[:tag]; a digest is a separate field.
IMAGE_REPO = r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
IMAGE_TAG = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
DIGEST = r"^sha256:[a-f0-9]{64}$"
COMMIT_SHA = r"^[a-f0-9]{40}$"
CPU = r"^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$"
MEMORY = r"^[0-9]+(Ki|Mi|Gi|Ti)?$"
STORAGE = r"^[0-9]+(Mi|Gi|Ti)$"
DURATION = r"^[0-9]+(s|m|h|d)$"
SOURCE_PATH = r"^(?!(.*/)?\.\.?(/|$))[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$"
LANGUAGE_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*")
SECRET_PATH = r"^[A-Za-z0-9][A-Za-z0-9_./-]*$"


def _text(pattern: str, what: str, max_length: int = 253, *after: AfterValidator, before: BeforeValidator | None = None,
          min_length: int = 1):
    """A string matching all of ``pattern``; the message says what was expected, not the regex.

    The one way a field is pattern-checked: ``re.fullmatch``, because ``$`` alone also matches
    before a final newline (``"3.11-slim\\n"`` would split a Dockerfile's FROM line). The pattern
    is published in the JSON Schema; ``tests/test_patterns.py`` finds every field there.
    """
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    extra = {"pattern": pattern}
    return Annotated[str, *([before] if before else []), Field(min_length=min_length, max_length=max_length, json_schema_extra=extra),
                     AfterValidator(check), *after]


def _quantity(value: object) -> object:
    """Let ``cpu: 1`` and ``cpu: 0.5`` stand for the strings Kubernetes expects."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return value


# Quantities are parsed here and nowhere else (checks, monitoring and compose read them).
def cpu_millicores(value: str) -> int:
    """A valid ``Cpu`` quantity in millicores, exactly (at most three decimals): ``250m`` -> 250, ``1.5`` -> 1500."""
    return int(value[:-1]) if value.endswith("m") else int(Decimal(value) * 1000)


def cpu_cores(value: str) -> float:
    """A valid ``Cpu`` quantity in cores: ``250m`` -> 0.25, ``1.5`` -> 1.5."""
    return cpu_millicores(value) / 1000


BINARY_UNITS = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4}


def memory_parts(value: str) -> tuple[str, str]:
    """A valid ``Memory`` or ``Storage`` quantity as (digits, binary suffix): ``256Mi`` -> ("256", "Mi")."""
    suffix = next((s for s in BINARY_UNITS if value.endswith(s)), "")
    return value[: len(value) - len(suffix)], suffix


def memory_bytes(value: str) -> int:
    """A valid ``Memory`` or ``Storage`` quantity in bytes: ``256Mi`` -> 268435456."""
    digits, suffix = memory_parts(value)
    return int(digits) * BINARY_UNITS.get(suffix, 1)


def _at_most(limit: float, measure, shown: str) -> AfterValidator:
    """Refuse a (pattern-valid) value whose size exceeds ``limit``; ``shown`` names the limit."""

    def check(value: str) -> str:
        if measure(value) > limit:
            raise ValueError(f"{value!r} is above the supported maximum of {shown}")
        return value

    return AfterValidator(check)


def duration_seconds(value: str) -> int:
    """A valid ``Duration`` in seconds: ``90s`` -> 90, ``5m`` -> 300, ``1d`` -> 86400."""
    return int(value[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[value[-1]]


def _container_path(value: str) -> str:
    """``/tmp/`` -> ``/tmp``; a ``.`` or ``..`` segment or an empty one (``//``) is refused."""
    trimmed = value.rstrip("/") if len(value) > 1 else value
    segments = trimmed.split("/")[1:]
    if any(part in ("", ".", "..") for part in segments):
        raise ValueError(f"{value!r} is not a plain absolute path (no '.', '..' or empty segments)")
    return trimmed


def _cidr(value: str) -> str:
    try:
        ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 CIDR (octets 0-255, prefix 0-32)") from None
    return value


MAX_CPU_CORES = 1000
MAX_MEMORY = 64 * 1024**4  # 64Ti
MAX_STORAGE = 1024**5  # 1Pi (1024Ti)
MAX_DURATION = 7 * 86400  # 7d
MAX_THRESHOLD = 1e15

Name = _text(DNS_LABEL, "a DNS-1123 label (lower-case letters, digits and '-', starting with a letter)", 63)
EnvName = _text(ENV_NAME, "an environment variable name (A-Z, 0-9 and '_', not starting with a digit)", 128)
MetricName = _text(METRIC_NAME, "a Prometheus metric name", 200)
AlertName = _text(ALERT_NAME, "an alert name in CamelCase", 100)
LabelName = _text(LABEL_NAME, "a Prometheus label name", 100)
HttpPath = _text(HTTP_PATH, "an HTTP path starting with '/'", 200)
Domain = _text(DOMAIN, "a lower-case DNS domain such as 'nexus.example.com'")
ImageRepo = _text(IMAGE_REPO, "an image repository such as 'ghcr.io/org/name'", 255)
ImageTag = _text(IMAGE_TAG, "an image tag (letters, digits, '_', '.', '-'; at most 128)", 128)
Digest = _text(DIGEST, "a digest of the form 'sha256:<64 hex digits>'", 71)
CommitSha = _text(COMMIT_SHA, "a full 40-character commit SHA", 40)
Cpu = _text(CPU, "a CPU quantity such as '250m' or '1.5'", 20, _at_most(MAX_CPU_CORES, lambda v: cpu_cores(v), "1000 cores"),
            before=BeforeValidator(_quantity))
Memory = _text(MEMORY, "a memory quantity such as '256Mi' or '1Gi'", 20, _at_most(MAX_MEMORY, lambda v: memory_bytes(v), "64Ti"),
               before=BeforeValidator(_quantity))
Storage = _text(STORAGE, "a storage size such as '10Gi'", 20, _at_most(MAX_STORAGE, lambda v: memory_bytes(v), "1024Ti"))
Duration = _text(DURATION, "a duration such as '30s', '5m' or '1h'", 20, _at_most(MAX_DURATION, lambda v: duration_seconds(v), "7d"))
SecretPath = _text(SECRET_PATH, "a secret-store path such as 'nexus/exchanges/binance'", 253)
SourcePath = _text(SOURCE_PATH, "a folder inside the repository such as 'services/gateway' (no '.' or '..')", 200)
Cidr = _text(r"^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$", "an IPv4 CIDR such as '10.0.0.0/16'", 18, AfterValidator(_cidr))
ContainerPath = _text(r"^/[A-Za-z0-9._/-]+$", "an absolute path in the container such as '/var/lib/data'", 253,
                      AfterValidator(_container_path))
FilePath = _text(r"^/[A-Za-z0-9._/-]+$", "an absolute file path such as '/etc/alertmanager/secrets/slack'", 253,
                 AfterValidator(_container_path))
HttpsUrl = _text(r"^https://[A-Za-z0-9./_-]+$", "an https URL", 300)
RepositoryUrl = _text(r"^https://[A-Za-z0-9.-]+/[A-Za-z0-9_./-]+$", "an https repository URL such as 'https://github.com/org/repo'", 300)
FileName = _text(r"^[A-Za-z0-9._-]+$", "a file name (letters, digits, '.', '_', '-')", 253)
ApiGroup = _text(r"^[a-z0-9.-]*$", "a Kubernetes API group ('' is the core group)", 253, min_length=0)
SecretProperty = _text(r"^[A-Za-z0-9_.-]+$", "a secret property name (letters, digits, '_', '.', '-')", 253)
Region = _text(r"^[a-z]{2}(-[a-z]+)+-[0-9]$", "a cloud region such as 'eu-west-1'", 50)
RoleArn = _text(r"^arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$", "an IAM role ARN such as 'arn:aws:iam::123456789012:role/deploy'", 600)
Channel = _text(r"^#[a-z0-9_-]+$", "a chat channel such as '#alerts'", 80)
ActionName = _text(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+$", "a GitHub Action such as 'actions/checkout'", 200)
Port = Annotated[int, Field(ge=1, le=65535)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Value = Annotated[str, Field(max_length=4096)]


def _no_expression(value: str) -> str:
    if "${{" in value:
        raise ValueError("must not contain '${{': GitHub evaluates it as an expression in the workflows")
    return value


# A shell command the workflows run (passed through `env:`, where GitHub still evaluates `${{ }}`).
Command = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_no_expression)]
Priority = Literal["P1", "P2", "P3"]
Group = Literal["core", "data", "frontend"]


class Strict(BaseModel):
    # allow_inf_nan=False: every float is finite (.nan and .inf would make alerts that never fire)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


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


class Ports(Strict):
    http: Port
    metrics: Port | None = None


class Health(Strict):
    liveness: HttpPath
    readiness: HttpPath
    startup_seconds: Annotated[int, Field(ge=0, le=600)] = 0


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
    ports: Ports
    health: Health
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


class Exporter(Strict):
    """Where Prometheus scrapes a component: its own port, or a sidecar exporter image.

    A sidecar shares the component's network (the same pod on Kubernetes, the component's
    network namespace in compose), so its ``config`` reaches the component on localhost.
    """

    port: Port
    image: BaseImage | None = None  # None: the component serves metrics itself
    up_metric: MetricName = "up"  # 1 while the component itself answers (not only its exporter)
    config: dict[EnvName, Value] = {}
    secrets: dict[EnvName, Name] = {}
    resources: Resources | None = None

    @model_validator(mode="after")
    def _sidecar(self) -> Exporter:
        if self.image is None and (self.config or self.secrets or self.resources):
            raise ValueError("config, secrets and resources belong to a sidecar exporter: give its 'image' too")
        if self.image is not None and self.resources is None:
            raise ValueError("a sidecar exporter needs 'resources' (requests and limits)")
        return self


class Infrastructure(Strict):
    """A stateful or third-party component the services depend on."""

    description: Text
    image: BaseImage
    group: Literal["infrastructure", "monitoring"]
    port: Port
    optional: bool = False
    profile: Name | None = None
    command: list[Annotated[str, Field(min_length=1, max_length=500)]] = []
    healthcheck: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(min_length=1)
    startup_seconds: Annotated[int, Field(ge=5, le=1800)] = 300  # a first start may run initdb or replay a log
    config: dict[EnvName, Value] = {}
    secrets: dict[EnvName, Name] = {}
    storage: ContainerPath | None = None
    storage_size: Storage = "10Gi"
    writable_paths: list[ContainerPath] = ["/tmp"]
    exporter: Exporter | None = None
    resources: Resources

    @model_validator(mode="after")
    def _profile(self) -> Infrastructure:
        if self.optional != (self.profile is not None):
            raise ValueError("optional infrastructure needs a 'profile', and only optional infrastructure has one")
        return self


class External(Strict):
    """An endpoint outside the cluster (an exchange API, a chat service) reached over the internet."""

    description: Text
    cidrs: list[Cidr] = Field(min_length=1)
    ports: list[Port] = Field(min_length=1)
    exchange: bool = False  # an exchange's API: the egress exchange_access is for


class Secret(Strict):
    """A secret known by reference only: where it lives in the store, never its value."""

    description: Text
    path: SecretPath
    property: SecretProperty
    # read: market data only; trade: places real orders; testnet: places orders on the
    # exchange's test network (play money), what a non-live environment's trader holds.
    exchange: Literal["none", "read", "trade", "testnet"] = "none"


class Override(Strict):
    """What one environment changes about one service. ``config`` and ``secrets`` are merged over the
    service's own (a key set to null removes that variable in this environment)."""

    min_replicas: Annotated[int, Field(ge=1, le=1000)] | None = None
    max_replicas: Annotated[int, Field(ge=1, le=1000)] | None = None
    resources: Resources | None = None
    config: dict[EnvName, Value | None] = {}
    secrets: dict[EnvName, Name | None] = {}


class SecretStore(Strict):
    kind: Literal["SecretStore", "ClusterSecretStore"] = "ClusterSecretStore"
    name: Name
    refresh: Duration = "1h"


class Cluster(Strict):
    """The Kubernetes cluster of an environment: how CI reaches it (OIDC, no stored keys) and
    where its API server answers (the only egress a service with `kubernetes_api` gets)."""

    name: Name
    region: Region
    deploy_role: RoleArn
    api_server_cidrs: list[Cidr] = Field(min_length=1)
    api_server_port: Port = 443
    # Where the nodes' addresses lie: Prometheus scrapes the kubelets (10250) and node-exporter (9100,
    # host network) there. Empty: no such egress is allowed, and those scrapes fail.
    node_cidrs: list[Cidr] = []


Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Clock = _text(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "a time of day such as '08:00' (UTC)", 5)
Date = _text(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", "a date such as '2026-12-24'", 10)


class ChangeWindow(Strict):
    """When production may change: on ``days``, from ``start`` to ``end`` (UTC, end excluded)."""

    days: list[Day] = Field(min_length=1)
    start: Clock
    end: Clock

    @model_validator(mode="after")
    def _ordered(self) -> "ChangeWindow":
        if self.start >= self.end:
            raise ValueError(f"end {self.end!r} must be after start {self.start!r} (windows do not cross midnight)")
        return self


class Freeze(Strict):
    """Days (``start`` to ``end``, both included, UTC) when production does not change at all."""

    start: Date
    end: Date
    reason: Text

    @model_validator(mode="after")
    def _ordered(self) -> "Freeze":
        if self.start > self.end:
            raise ValueError(f"end {self.end!r} is before start {self.start!r}")
        return self


class PrometheusService(Strict):
    """Where CI reaches the cluster's Prometheus (through the Kubernetes API: kubectl port-forward)."""

    # None: platform.prometheus's namespace (kube-prometheus-stack's, by default <project>-<env>-monitoring).
    namespace: Name | None = None
    # The Prometheus Operator creates prometheus-operated beside every Prometheus it runs.
    service: Name = "prometheus-operated"
    port: Port = 9090


class Canary(Strict):
    """How a canary is judged after its soak: against the stable pods, from Prometheus."""

    soak: Duration = "5m"
    max_error_ratio: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.01
    max_p99_ratio: Annotated[float, Field(ge=1, le=100, allow_inf_nan=False)] = 1.5  # canary p99 / stable p99
    prometheus: PrometheusService = PrometheusService()


class Environment(Strict):
    registry: ImageRepo | None = None
    tag: ImageTag
    digests: dict[Name, Digest] = {}
    domain: Domain | None = None
    secret_store: SecretStore | None = None
    cluster: Cluster | None = None
    tls_issuer: Name | None = None
    approval: bool = False
    min_stateless_replicas: Annotated[int, Field(ge=1, le=100)] = 1
    # Whether services here may hold live exchange trade keys; unset: production only.
    live_trading: bool | None = None
    services: dict[Name, Override] = {}
    change_windows: list[ChangeWindow] = []  # none: any time (outside freezes)
    freezes: list[Freeze] = []
    canary: Canary = Canary()


class Environments(Strict):
    dev: Environment
    staging: Environment
    production: Environment


ENVIRONMENTS = tuple(Environments.model_fields)  # dev (compose), then the cluster environments


AlertKindName = Literal[tuple(ALERT_KINDS)]  # one per entry of the registry, in its order


class BusinessAlert(Strict):
    """An alert on a custom metric, stated as data so services and rules agree."""

    alert: AlertName
    service: Name
    metric: MetricName
    kind: AlertKindName
    threshold: Annotated[float, Field(ge=-MAX_THRESHOLD, le=MAX_THRESHOLD)]  # each kind narrows it (checks.py)
    good: dict[LabelName, Annotated[str, Field(max_length=200)]] = {}
    for_: Duration = Field("5m", alias="for")
    priority: Priority
    summary: Text
    description: Text
    # ratio_below only: below this many events per second the ratio is not judged (one rejected
    # order of two is no outage; the alert needs volume before it pages).
    min_rate: Annotated[float, Field(gt=0, le=1000)] | None = None

    @model_validator(mode="after")
    def _min_rate(self) -> BusinessAlert:
        if self.min_rate is not None and self.kind != "ratio_below":
            raise ValueError("min_rate guards a ratio (kind ratio_below) only")
        return self


class Thresholds(Strict):
    error_ratio: Annotated[float, Field(gt=0, lt=1)] = 0.05
    # Below this many requests per second HighErrorRate stays silent: one failed request of
    # two at night is not an outage (ServiceDown and the business alerts still watch).
    min_request_rate: Annotated[float, Field(ge=0, le=1000)] = 0.1
    latency_p99_seconds: Annotated[float, Field(gt=0, le=3600)] = 1.0
    cpu_ratio: Annotated[float, Field(gt=0, le=1)] = 0.9
    memory_ratio: Annotated[float, Field(gt=0, le=1)] = 0.9
    restarts_per_hour: Annotated[int, Field(ge=1)] = 3  # at most reserved.MAX_RESTARTS_PER_HOUR (checks.py)
    volume_free_ratio: Annotated[float, Field(gt=0, lt=1)] = 0.15
    certificate_days: Annotated[int, Field(ge=1, le=90)] = 14


class Receivers(Strict):
    """Alert destinations; credentials are files mounted into Alertmanager, never values."""

    pagerduty_routing_key_file: FilePath
    slack_api_url_file: FilePath
    slack_channel: Channel
    notice_channel: Channel
    # The dead man's switch: Alertmanager calls this URL (a heartbeat monitor outside the cluster,
    # e.g. an Opsgenie heartbeat ping) every minute while the Watchdog alert fires, with the bearer
    # token read from the file; silence from it means alerting is broken. None: the Watchdog is
    # routed to a receiver that notifies nobody (declare the URL to arm the switch).
    heartbeat_url: _text(r"^https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~/-]*)?$", "an https URL such as 'https://api.opsgenie.com/v2/heartbeats/nexus/ping'", 300) | None = None
    heartbeat_token_file: FilePath = "/etc/alertmanager/secrets/heartbeat-token"
    heartbeat_auth_scheme: _text(r"^[A-Za-z][A-Za-z0-9-]{0,30}$", "an HTTP authorization scheme such as 'Bearer'", 31) = "Bearer"  # Opsgenie: GenieKey


class Monitoring(Strict):
    runbook_base_url: HttpsUrl
    http_requests_metric: MetricName = "http_requests_total"
    http_duration_metric: MetricName = "http_request_duration_seconds"
    thresholds: Thresholds = Thresholds()
    receivers: Receivers
    alerts: list[BusinessAlert] = []


# --- platform: what the output targets (README "The platform section" names each upstream fact) ---

KUBERNETES_MINOR = r"^1\.[0-9]{1,2}$"
SEMVER = r"^[0-9]+\.[0-9]+\.[0-9]+$"
Minor = _text(KUBERNETES_MINOR, "a Kubernetes minor version such as '1.33'", 5)
Version = _text(SEMVER, "a version such as '0.17.0'", 20)
Labels = dict[_text(r"^([a-z0-9.-]+/)?[A-Za-z0-9_.-]+$", "a Kubernetes label key such as 'app.kubernetes.io/name'"),
              _text(r"^[A-Za-z0-9_.-]{0,63}$", "a Kubernetes label value (letters, digits, '_', '.', '-'; at most 63)", 63, min_length=0)]


def minor(value: str) -> int:
    """``1.33`` -> 33."""
    return int(value.split(".")[1])


def semver(value: str) -> tuple[int, int, int]:
    major, minor_, patch = value.split(".")
    return int(major), int(minor_), int(patch)


class KubernetesRange(Strict):
    """The Kubernetes minors the manifests must work on; each is validated (kubernetes-validate ships 1.25-1.37)."""

    min: Minor = "1.34"
    max: Minor = "1.36"

    @model_validator(mode="after")
    def _range(self) -> KubernetesRange:
        if minor(self.min) > minor(self.max):
            raise ValueError(f"min ({self.min}) must not be above max ({self.max})")
        if minor(self.min) < 25 or minor(self.max) > 37:
            raise ValueError("only Kubernetes 1.25 to 1.37 can be validated (kubernetes-validate's schemas)")
        return self


class Pods(Strict):
    """Pods of a cluster add-on: their namespace and labels."""

    namespace: Name
    labels: Labels = Field(min_length=1)


class ExternalSecrets(Strict):
    version: Version = "0.20.4"

    @model_validator(mode="after")
    def _served(self) -> ExternalSecrets:
        if semver(self.version) < (0, 16, 0):
            raise ValueError("external-secrets before 0.16.0 does not serve external-secrets.io/v1 (v0.17.0 stopped serving v1beta1): upgrade it")
        return self


class PrometheusStack(Strict):
    """kube-prometheus-stack (Helm): with its default selectors it picks only objects labelled ``release: <release>``."""

    release: Name = "kube-prometheus-stack"
    namespace: Name | None = None  # None: the environment's monitoring namespace (<project>-<env>-monitoring)
    chart_version: Version = "88.5.3"


class CertManager(Strict):
    issuer_kind: Literal["ClusterIssuer", "Issuer"] = "ClusterIssuer"
    solver: Literal["http01", "dns01"] = "http01"
    namespace: Name = "cert-manager"


class IngressController(Strict):
    """ingress-nginx: its pods reach the exposed services (and HTTP-01 solvers)."""

    class_name: Name = "nginx"
    namespace: Name = "ingress-nginx"
    labels: Labels = Field(default={"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}, min_length=1)


class ImagePulls(Strict):
    """How nodes pull the images: ``node`` (same-cloud registry, node or workload identity) or a pull
    secret synced from the secret store into every namespace that runs the images."""

    mode: Literal["node", "pull_secret"] = "node"
    secret: Name | None = None  # with pull_secret: the catalogue secret holding a .dockerconfigjson

    @model_validator(mode="after")
    def _secret(self) -> ImagePulls:
        if (self.mode == "pull_secret") != (self.secret is not None):
            raise ValueError("mode 'pull_secret' needs 'secret' (a .dockerconfigjson in the secret store), and only it has one")
        return self


class Platform(Strict):
    kubernetes: KubernetesRange = KubernetesRange()
    external_secrets: ExternalSecrets = ExternalSecrets()
    prometheus: PrometheusStack = PrometheusStack()
    cert_manager: CertManager = CertManager()
    ingress: IngressController = IngressController()
    dns: Pods = Pods(namespace="kube-system", labels={"k8s-app": "kube-dns"})
    image_pulls: ImagePulls = ImagePulls()


class ActionPin(Strict):
    """A GitHub Action pinned to a commit, and the release that commit is (written after it).
    A bare commit SHA is the short form: ``{sha: <it>}``, with the action's major as its comment."""

    sha: CommitSha
    version: _text(r"^v[0-9]+(\.[0-9]+){0,2}$", "a release tag such as 'v4' or 'v4.1.0'", 20) | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_sha(cls, value: object) -> object:
        return {"sha": value} if isinstance(value, str) else value


# --- Cloud infrastructure (Terraform, issue 18) ---------------------------------------------
# Everything the Terraform family needs that the rest of the catalogue does not say. Account ids
# and deploy-role names are not repeated: they come from `environments.<env>.cluster.deploy_role`.

AwsRegion = _text(r"^[a-z]{2}(-[a-z]+)+-[0-9]$", "an AWS region such as 'eu-west-1'", 30)
AwsZone = _text(r"^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", "an availability zone such as 'eu-west-1a'", 30)
Version = _text(r"^[0-9]+(\.[0-9]+){1,2}$", "a version such as '16.4' or '6.0.0'", 20)
BucketName = _text(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "an S3 bucket name (3-63 lower-case letters, digits, '.', '-')", 63)
Cron = _text(r"^[0-9*/,-]+( [0-9*/,-]+){4}$", "a five-field cron schedule such as '17 4 * * 1'", 100)


class CloudState(Strict):
    """Terraform's own state: an S3 bucket and a DynamoDB lock table, made by the bootstrap root."""

    bucket: BucketName
    lock_table: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{3,255}$")]
    region: AwsRegion
    account_id: Annotated[str, Field(pattern=r"^[0-9]{12}$")]


class NodeGroup(Strict):
    instance_types: list[Annotated[str, Field(pattern=r"^[a-z0-9]+\.[a-z0-9]+$")]] = Field(min_length=1)
    min_size: Annotated[int, Field(ge=1, le=1000)]
    max_size: Annotated[int, Field(ge=1, le=1000)]
    disk_gb: Annotated[int, Field(ge=20, le=16384)] = 50


class ManagedPostgres(Strict):
    """RDS for PostgreSQL standing in for the `replaces` infrastructure entry."""

    replaces: Name = "postgres"
    engine_version: Version
    instance_class: Annotated[str, Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")]
    storage_gb: Annotated[int, Field(ge=20, le=65536)]
    backup_retention_days: Annotated[int, Field(ge=1, le=35)]  # daily snapshots and PITR window (RDS: 1-35)


class ManagedRedis(Strict):
    """ElastiCache (Redis OSS) standing in for the `replaces` infrastructure entry."""

    replaces: Name = "redis"
    engine_version: Version
    node_type: Annotated[str, Field(pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$")]
    snapshot_retention_days: Annotated[int, Field(ge=1, le=35)] = 7
    auth_secret: Name = "redis-auth-token"  # the catalogue secret holding the AUTH token


class CloudEnvironment(Strict):
    """One cluster environment's cloud: network, cluster nodes and (optionally) managed data stores."""

    vpc_cidr: Cidr
    zones: list[AwsZone] = Field(min_length=2, max_length=4)
    kubernetes_version: Annotated[str, Field(pattern=r"^1\.[0-9]{2}$")]
    nodes: NodeGroup
    data_stores: Literal["containers", "managed"] = "containers"
    high_availability: bool = False  # Multi-AZ database and cache
    backup_region: AwsRegion
    postgres: ManagedPostgres | None = None
    redis: ManagedRedis | None = None


class Recovery(Strict):
    """Recovery objectives and the restore drill that proves them."""

    rpo_minutes: Annotated[int, Field(ge=1, le=1440)] = 5
    rto_critical_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    rto_full_minutes: Annotated[int, Field(ge=1, le=10080)] = 60
    check_query: Annotated[str, Field(min_length=1, max_length=1000, pattern=r"^[^\n]*$")]
    drill_schedule: Cron = "17 4 * * 1"
    drill_environment: Literal["staging", "production"] = "production"
    alert_secret: Name = "slack-webhook-url"  # catalogue secret: the Slack webhook a failed or slow drill posts to


class Cloud(Strict):
    provider: Literal["aws"] = "aws"
    provider_version: Version  # hashicorp/aws, pinned exactly; families/terraform/aws/arguments.json is its docs
    terraform_version: Version
    state: CloudState
    environments: dict[Literal["staging", "production"], CloudEnvironment] = Field(min_length=1)
    recovery: Recovery


# --- end of the cloud block ------------------------------------------------------------------


class Catalogue(Strict):
    version: Literal[1]
    project: Project
    runtimes: dict[Literal["python", "node"], Runtime]
    actions: dict[ActionName, ActionPin] = {}
    services: dict[Name, Service] = Field(min_length=1)
    infrastructure: dict[Name, Infrastructure] = {}
    external: dict[Name, External] = {}
    secrets: dict[Name, Secret] = {}
    environments: Environments
    monitoring: Monitoring
    cloud: Cloud | None = None  # Terraform for the cluster environments (families/terraform)
    platform: Platform = Platform()
