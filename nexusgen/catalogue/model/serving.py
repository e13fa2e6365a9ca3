"""How a service serves and is watched: named ports, probes and a schedule.

Each keeps the short form of the first catalogues (``ports: {http: 8080, metrics: 9090}``,
``health: {liveness: /live, readiness: /ready, startup_seconds: 20}``) as a spelling of the long
one, converted before validation; a bad short value is reported exactly as before.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from nexusgen.catalogue.model.fields import HttpPath, Port, Strict, _text

# A Kubernetes port name (IANA_SVC_NAME): at most 15 characters, lower-case letters, digits and '-'.
PortName = _text(r"^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$", "a port name (IANA service name: at most 15 lower-case letters, digits and '-')", 15)
# A gRPC service name as the grpc.health.v1 protocol takes it (package.Service), or '' for the server.
GrpcService = _text(r"^[A-Za-z_][A-Za-z0-9_.]*$", "a gRPC service name such as 'hipstershop.CartService'", 200)
# A five-field cron expression (minute hour day-of-month month day-of-week) or a macro the CronJob
# controller accepts (robfig/cron: @hourly, @daily ...). No CRON_TZ/TZ prefix: Kubernetes refuses it.
Cron = _text(r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9*/,?A-Za-z-]+( [0-9*/,?A-Za-z-]+){4})$",
             "a cron expression with five fields such as '*/15 * * * *', or @hourly/@daily/...", 100)
Argument = Annotated[str, Field(min_length=1, max_length=500)]
PROTOCOLS = ("http", "grpc", "tcp")
METRICS = "metrics"  # the port Prometheus scrapes (protocol http, /metrics)


def _reraise(adapter: TypeAdapter, value: Any) -> Any:
    """Validate a short-form value; a bad one is reported at the field itself, with its usual message."""
    try:
        return adapter.validate_python(value, strict=True)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise PydanticCustomError(err["type"], err["msg"].replace("{", "{{").replace("}", "}}")) from None


def _short_protocol(name: str) -> str:
    return name if name in ("http", "grpc") else "http" if name == METRICS else "tcp"


class NamedPort(Strict):
    """One port the container listens on."""

    port: Port  # the container port
    protocol: Literal["http", "grpc", "tcp"] = "http"
    service_port: Port | None = None  # the Kubernetes Service port callers use (default: the container port)
    publish: Port | None = None  # compose publishes it on 127.0.0.1:<publish> (default: not published)


def _short_ports(value: Any) -> Any:
    """``{http: 8080, metrics: 9090}``: http is published on the same host port (as it always was),
    a port named grpc speaks gRPC, metrics and http HTTP, any other name plain TCP."""
    if not isinstance(value, dict):
        return value
    out = {}
    for name, port in value.items():
        if type(port) is int and 1 <= port <= 65535:
            port = {"port": port, "protocol": _short_protocol(str(name)), **({"publish": port} if name == "http" else {})}
        out[name] = port
    return out


_PORT = TypeAdapter(Port)
_PATH = TypeAdapter(HttpPath)
PortEntry = Annotated[NamedPort, BeforeValidator(lambda v: v if isinstance(v, dict | NamedPort) else _reraise(_PORT, v),
                                                  json_schema_input_type=Port | NamedPort)]
Ports = Annotated[dict[PortName, PortEntry], BeforeValidator(_short_ports)]


class Probe(Strict):
    """One probe: what runs, against which named port, and how often (unset timings: the role's default)."""

    kind: Literal["http", "grpc", "tcp", "exec", "none"]
    path: HttpPath | None = None  # http
    port: PortName | None = None  # http, grpc, tcp (default: the service's port of that protocol)
    service: GrpcService | None = None  # grpc: the service the health protocol is asked about ('' = the server)
    command: list[Argument] | None = Field(None, min_length=1)  # exec: argv run in the container, no shell
    period_seconds: Annotated[int, Field(ge=1, le=3600)] | None = None
    initial_delay_seconds: Annotated[int, Field(ge=0, le=3600)] | None = None
    failure_threshold: Annotated[int, Field(ge=1, le=100)] | None = None
    timeout_seconds: Annotated[int, Field(ge=1, le=60)] | None = None

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Probe:
        allowed = {"http": {"path", "port"}, "grpc": {"port", "service"}, "tcp": {"port"}, "exec": {"command"}, "none": set()}
        timing = {"period_seconds", "initial_delay_seconds", "failure_threshold", "timeout_seconds"}
        given = {f for f in self.model_fields_set if f != "kind"}
        wrong = sorted(given - allowed[self.kind] - (timing if self.kind != "none" else set()))
        if wrong:
            raise ValueError(f"a probe of kind {self.kind} takes no {', '.join(wrong)}")
        if self.kind == "http" and self.path is None:
            raise ValueError("a probe of kind http needs 'path'")
        if self.kind == "exec" and self.command is None:
            raise ValueError("a probe of kind exec needs 'command'")
        return self


NONE = Probe(kind="none")
ProbeEntry = Annotated[Probe, BeforeValidator(lambda v: {"kind": "http", "path": _reraise(_PATH, v)} if isinstance(v, str) else v,
                                               json_schema_input_type=HttpPath | Probe)]


class Health(Strict):
    """Liveness, readiness and startup probes; ``health: none`` for a process that serves nothing."""

    liveness: ProbeEntry = NONE
    readiness: ProbeEntry = NONE
    startup: ProbeEntry | None = None  # default: the liveness probe, every 5 s until startup_seconds
    startup_seconds: Annotated[int, Field(ge=0, le=600)] = 0  # the short form's startup budget

    @model_validator(mode="after")
    def _one_startup(self) -> Health:
        if self.startup is not None and self.startup_seconds:
            raise ValueError("give either 'startup' (a probe) or 'startup_seconds', not both")
        return self


HealthEntry = Annotated[Health, BeforeValidator(lambda v: {} if v == "none" else v, json_schema_input_type=Literal["none"] | Health)]


class Schedule(Strict):
    """Run the service as a Kubernetes CronJob (in compose: a one-off under the `jobs` profile)."""

    cron: Cron
    concurrency: Literal["Forbid", "Allow", "Replace"] = "Forbid"  # CronJob concurrencyPolicy
    successful_history: Annotated[int, Field(ge=0, le=100)] = 3
    failed_history: Annotated[int, Field(ge=0, le=100)] = 1
    timeout_seconds: Annotated[int, Field(ge=1, le=86400)] = 3600  # Job activeDeadlineSeconds
    retries: Annotated[int, Field(ge=0, le=10)] = 0  # Job backoffLimit
    # P3 alert when no run has succeeded for this long (kube_cronjob_status_last_successful_time)
    max_age_seconds: Annotated[int, Field(ge=60, le=35 * 86400)] = 26 * 3600


# `{dependency.fact}` placeholders in literal text (catalogue/names.py resolves and checks them).
DependencyTemplate = _text(r"^[^\x00-\x1f\x7f]+$", "a line of text with {dependency.fact} placeholders", 1000)
