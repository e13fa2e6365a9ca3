"""A service's probes, resolved once: what Kubernetes, compose and the Dockerfile all check.

``checks`` gives each role (liveness, readiness, startup) its kind, port and timing, with the
role's default timing where the catalogue sets none. ``command`` is the argv a container runs
against itself for the same check (the Dockerfile ``HEALTHCHECK`` runs liveness, compose's
``healthcheck`` readiness): the runtime images carry no curl or wget and distroless no shell.

How an image checks itself is its runtime's (catalogue/runtimes.py): an http check is the
runtime's ``health`` record (an interpreter one-liner, or the service binary's own ``health <url>``).
For tcp and grpc, Python and Node.js run a one-liner in their interpreter (``INTERPRETER_CHECKS``;
Node.js asks ``GRPC_HEALTH_PROBE``, grpc-ecosystem/grpc-health-probe, which its image must carry),
and a self-checking binary gets ``health tcp://127.0.0.1:<port>`` or
``health grpc://127.0.0.1:<port>/<service>``; any other runtime is refused a tcp or grpc probe
(catalogue/service_checks.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace

from nexusgen.catalogue import ports
from nexusgen.catalogue.model import Probe
from nexusgen.plan import Plan, PortFact
from nexusgen.plan import cluster

TIMEOUT_SECONDS = 4  # below the Dockerfile/compose probe timeout, so the probe reports, not the engine
# (period, failure threshold, timeout) of each role where the catalogue sets none.
DEFAULTS = {"liveness": (10, 3, 3), "readiness": (5, 3, 3)}
STARTUP_DEFAULTS = (cluster.STARTUP_PERIOD_SECONDS, 12, 3)  # a minute to start
# grpc-ecosystem/grpc-health-probe v0.4: exits 0 when the server answers SERVING.
GRPC_HEALTH_PROBE = "/bin/grpc_health_probe"


@dataclass(frozen=True)
class Check:
    """One resolved probe (``kind`` none never becomes a Check)."""

    kind: str  # http, grpc, tcp, exec
    port: PortFact | None
    path: str | None
    grpc_service: str | None
    command: tuple[str, ...]
    period: int
    failures: int
    timeout: int
    initial_delay: int
    timed: bool  # the catalogue set a timing (compose and the Dockerfile follow it, not their defaults)


def _check(plan: Plan, service: str, probe: Probe, period: int, failures: int, timeout: int) -> Check | None:
    if probe.kind == "none":
        return None
    name = ports.probe_port(plan.services[service], probe)
    return Check(
        kind=probe.kind,
        port=plan.named_port(service, name) if name else None,
        path=probe.path,
        grpc_service=probe.service,
        command=tuple(probe.command or ()),
        period=probe.period_seconds or period,
        failures=probe.failure_threshold or failures,
        timeout=probe.timeout_seconds or timeout,
        initial_delay=probe.initial_delay_seconds or 0,
        timed=any(v is not None for v in (probe.period_seconds, probe.failure_threshold, probe.timeout_seconds,
                                          probe.initial_delay_seconds)),
    )


def checks(plan: Plan, service: str) -> dict[str, Check | None]:
    """``{liveness, readiness, startup}``; the short form's startup is the liveness probe, every
    5 s, until ``startup_seconds`` have passed. Derived once per plan: the Dockerfile, compose
    (each caller's ``depends_on`` asks again) and the workload ask."""
    return dict(plan.remember(("probe checks", service), lambda: _checks(plan, service)))


def _checks(plan: Plan, service: str) -> dict[str, Check | None]:
    health = plan.services[service].health
    out = {role: _check(plan, service, getattr(health, role), *DEFAULTS[role]) for role in DEFAULTS}
    if health.startup is not None:
        out["startup"] = _check(plan, service, health.startup, *STARTUP_DEFAULTS)
    elif health.startup_seconds and health.liveness.kind != "none":
        period = cluster.STARTUP_PERIOD_SECONDS
        liveness = _check(plan, service, health.liveness, period, 1, 3)
        out["startup"] = replace(liveness, period=period, failures=-(-health.startup_seconds // period), initial_delay=0)
    else:
        out["startup"] = None
    return {role: out[role] for role in ("startup", "liveness", "readiness")}


def startup_budget(plan: Plan, service: str) -> int:
    """Seconds a container may take to start before a failing check counts (compose start_period)."""
    health = plan.services[service].health
    if health.startup is None:
        return health.startup_seconds  # the short form's budget, exactly
    startup = checks(plan, service)["startup"]
    return 0 if startup is None else startup.initial_delay + startup.period * startup.failures


# --- the argv each runtime runs for a check (the seam with the runtimes) ---------------------


def _python_tcp(port: int) -> list[str]:
    return ["python3", "-c", f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout={TIMEOUT_SECONDS}).close()"]


def _python_grpc(port: int, service: str) -> list[str]:
    # grpcio-health-checking: the package a Python server serves grpc.health.v1 with, so it is installed.
    code = ("import grpc; from grpc_health.v1 import health_pb2 as h, health_pb2_grpc as g; "
            f"r = g.HealthStub(grpc.insecure_channel('127.0.0.1:{port}')).Check(h.HealthCheckRequest(service={service!r}), "
            f"timeout={TIMEOUT_SECONDS}); raise SystemExit(r.status != h.HealthCheckResponse.SERVING)")
    return ["python3", "-c", code]


def _node_tcp(port: int) -> list[str]:
    return ["node", "-e", f"require('net').connect({port}, '127.0.0.1', () => process.exit(0))"
            f".on('error', () => process.exit(1)).setTimeout({TIMEOUT_SECONDS * 1000}, () => process.exit(1))"]


def grpc_health_probe(port: int, service: str) -> list[str]:
    out = [GRPC_HEALTH_PROBE, f"-addr=127.0.0.1:{port}", f"-connect-timeout={TIMEOUT_SECONDS}s", f"-rpc-timeout={TIMEOUT_SECONDS}s"]
    return out + ([f"-service={service}"] if service else [])


@dataclass(frozen=True)
class InterpreterChecks:
    tcp: Callable[[int], list[str]]
    grpc: Callable[[int, str], list[str]]


# Keyed by the shipped toolchain a runtime follows; catalogue/runtimes.INTERPRETER_PROBES names the same
# (runtime_checks refuses other runtimes these probes; tests/test_runtimes.py keeps the two equal).
INTERPRETER_CHECKS = {
    "python": InterpreterChecks(_python_tcp, _python_grpc),
    "node": InterpreterChecks(_node_tcp, grpc_health_probe),
}


def health(plan: Plan, service: str, url: str) -> list[str]:
    """The runtime's health record (catalogue/runtimes.py) against ``url``: its program and args,
    or the service's own command followed by the args (a binary's health subcommand)."""
    check = plan.toolchain(service).health
    # json.dumps gives a JavaScript string literal of exactly the URL, whatever the path holds.
    fields = {"url": url, "url_json": json.dumps(url), "timeout": TIMEOUT_SECONDS, "timeout_ms": TIMEOUT_SECONDS * 1000}
    program = [check.program] if check.program else list(plan.services[service].command)
    return [*program, *(arg.format(**fields) for arg in check.args)]


def command(plan: Plan, service: str, check: Check) -> list[str]:
    """The argv the container runs against itself for ``check`` (exits 0 when healthy)."""
    if check.kind == "exec":
        return list(check.command)
    port = check.port.container
    if check.kind == "http":
        return health(plan, service, f"http://127.0.0.1:{port}{check.path}")
    toolchain = plan.toolchain(service)
    if toolchain.health.program is None:  # a self-checking binary: its health subcommand takes these URLs too
        target = f"tcp://127.0.0.1:{port}" if check.kind == "tcp" else f"grpc://127.0.0.1:{port}/{check.grpc_service or ''}"
        return health(plan, service, target)
    interpreter = INTERPRETER_CHECKS[toolchain.language]  # service_checks refuses any other runtime
    return interpreter.tcp(port) if check.kind == "tcp" else interpreter.grpc(port, check.grpc_service or "")


def engine_timing(check: Check, interval: int, timeout: int, retries: int) -> tuple[int, int, int]:
    """(interval, timeout, retries) of a Docker/compose health check: the engine's defaults given,
    or the catalogue's timing where it sets one (the timeout never below the check's own)."""
    if not check.timed:
        return interval, timeout, retries
    return check.period, max(check.timeout, TIMEOUT_SECONDS + 1), check.failures


def public_readiness_path(plan: Plan, service: str) -> str | None:
    """The readiness path a smoke test can ask through the ingress (an http probe on the `http` port)."""
    check = checks(plan, service)["readiness"]
    return check.path if check is not None and check.kind == "http" and check.port.name == "http" else None
