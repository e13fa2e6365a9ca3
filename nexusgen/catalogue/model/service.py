"""The project, its runtimes and its services."""

from __future__ import annotations

import string
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from nexusgen.catalogue.model.fields import (
    LANGUAGE_VERSION, ActionName, ApiGroup, Command, ContainerPath, Cpu, Digest, EnvName, FileName, Group, HttpPath, ImageRepo,
    ImageTag, LabelName, Memory, MetricName, Name, RepositoryUrl, SourcePath, Storage, Strict, Text, Value, _no_expression, _text,
)
from nexusgen.catalogue.model.serving import DependencyTemplate, Health, HealthEntry, Ports, Schedule


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


# A line of a Dockerfile instruction (RUN, ENV): no control character, so no newline starts a new instruction.
DockerLine = _text(r"^[^\x00-\x1f\x7f]+$", "one line without control characters", 2000)
# A .dockerignore pattern (Go filepath.Match syntax plus '**').
IgnorePattern = _text(r"^[A-Za-z0-9_.*?/\[\]!-]+$", "a .dockerignore pattern such as '**/node_modules'", 253)
EnvWord = _text(r"^[A-Za-z0-9_./:$=,+@-]*$", "an ENV value without spaces or quotes (letters, digits, _./:$=,+@-)", 500, min_length=0)
InputName = _text(r"^[a-z][a-z0-9-]*$", "an action input name such as 'go-version'", 100)
_FIELDS = {"requirements", "url", "url_json", "timeout", "timeout_ms"}


def _format_fields(allowed: set[str]):
    """A str.format template naming only ``allowed`` fields (``{url!r}`` is Python's repr of the URL)."""

    def check(value: str) -> str:
        try:
            parsed = list(string.Formatter().parse(value))
        except ValueError as error:
            raise ValueError(f"{value!r}: {error} (write a literal brace as '{{{{' or '}}}}')") from None
        for _, field, spec, conversion in parsed:
            if field is None:
                continue
            if field not in allowed or spec or conversion not in (None, "r"):
                raise ValueError(f"{value!r}: unknown placeholder {{{field}}} (known: {', '.join(sorted(allowed))})")
        return value

    return AfterValidator(check)


class DockerBuild(Strict):
    """What the Dockerfile's build stage runs and what the run stage takes from it (all as root in
    the build stage; the run stage runs as the service user)."""

    cache: ContainerPath  # BuildKit cache mount of the package manager
    env: dict[EnvName, EnvWord] = {}  # build stage ENV
    # After the manifests are copied, before the source (the cached layer). `{requirements}`: every
    # manifest as `--requirement FILE` (pip).
    install: Annotated[DockerLine, _format_fields({"requirements"})]
    compile: DockerLine | None = None  # after the source is copied: where the artifact is made
    artifacts: list[ContainerPath] = Field(min_length=1)  # copied from the build stage, same path
    run_env: dict[EnvName, EnvWord] = {}
    ignore: list[IgnorePattern] = []  # besides the patterns every service ignores
    # Programs a service command may start with in the `distroless` image (it has no shell).
    programs: list[Annotated[str, Field(min_length=1, max_length=200)]] = []


class CiSetup(Strict):
    """How CI prepares a checkout for lint and test: the setup action, its version input, its cache."""

    action: ActionName  # pinned under `actions:` like every other action
    version_input: InputName  # python-version, node-version, go-version, java-version, dotnet-version
    version: _text(r"^[0-9][0-9A-Za-z.x-]*$", "a version such as '21' or '8.0.x'", 50) | None = None  # default: the build tag's
    inputs: dict[InputName, Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_expression)]] = {}
    # The action's `cache` input: a package manager (pip, npm, maven) or `true` where it is a switch (setup-go, setup-dotnet).
    cache: _text(r"^[a-z]+$", "a package manager's name such as 'pip' or 'maven', or 'true'", 20)
    cache_file: FileName | None = None  # default: the first manifest
    # `pip-requirements`/`npm-lockfile`: nexusgen's scripts (every manifest and dev manifest as a
    # requirements file; `npm ci` with a lockfile); otherwise `install` runs as a command.
    script: Literal["pip-requirements", "npm-lockfile"] | None = None
    install: Command | None = None


class HealthCheck(Strict):
    """How a container checks its own HTTP endpoint with what its image already holds (no curl,
    no shell): ``program args...``; without ``program``, the service's own command followed by
    ``args`` (a binary's health subcommand). Placeholders: {url} ({url!r}: Python's repr),
    {url_json} (a JavaScript/JSON string literal), {timeout} (seconds), {timeout_ms}."""

    program: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    args: list[Annotated[str, Field(min_length=1, max_length=1000), _format_fields(_FIELDS - {"requirements"})]] = Field(
        min_length=1)


class Runtime(Strict):
    """How services of one language are built, checked and health-checked: a data record.

    ``docker``, ``ci`` and ``health`` may be left out when ``toolchain`` (default: the runtime's own
    name) names a record nexusgen ships (catalogue/runtimes.py: python, node, go, java, dotnet)."""

    toolchain: Literal["python", "node", "go", "java", "dotnet"] | None = None
    build: BaseImage
    run: BaseImage
    distroless: BaseImage | None = None
    manifests: list[FileName] = Field(min_length=1)
    # What CI installs, after `manifests`, before `lint` and `test` run (their tools: ruff, pytest...).
    # npm installs devDependencies from package.json with everything else, so node needs none.
    dev_manifests: list[FileName] = []
    lint: Command
    test: Command
    docker: DockerBuild | None = None
    ci: CiSetup | None = None
    health: HealthCheck | None = None

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
    runtime: Name | None = None  # a key of `runtimes` (built from `source`)
    group: Group
    source: SourcePath | None = None  # the build context: the service is built from source...
    image: BaseImage | None = None  # ...or runs a prebuilt image, pinned by digest (no Dockerfile, no build job)
    # The image's entrypoint (the Dockerfile's ENTRYPOINT); a prebuilt image keeps its own.
    command: list[Annotated[str, Field(min_length=1, max_length=500)]] | None = Field(None, min_length=1)
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
