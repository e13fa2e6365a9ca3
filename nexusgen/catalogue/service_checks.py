"""Rules about how services serve: ports, probes, workers, schedules and dependency variables.

Ports: a container port must be at least 1024. Every container runs as UID 10001 with every
capability dropped (NET_BIND_SERVICE too) and nexusgen sets no ``net.ipv4.ip_unprivileged_port_start``
sysctl, so binding a lower port fails at start; a conventional port (80, 443) is a Service port
(``service_port``) in front of a high container port. Container ports need only be unique within
a container's network namespace (a service; an infrastructure component and its exporter sidecar);
host ports only among the ports compose publishes (a service's ``publish``, infrastructure ports).
"""

from __future__ import annotations

from collections.abc import Iterator

from nexusgen.catalogue import ports
from nexusgen.catalogue.findings import Finding, choices
from nexusgen.catalogue.model import METRICS, Catalogue, Service
from nexusgen.catalogue.names import dependency_env, port_env, template_problems

PRIVILEGED = "is privileged; containers run as non-root, use 1024 or above"


def _ports(cat: Catalogue) -> Iterator[Finding]:
    published: dict[int, str] = {}

    def publish(loc: tuple[str | int, ...], port: int) -> Iterator[Finding]:
        if port in published:
            yield loc, f"port {port} is already used by {published[port]}"
        else:
            published[port] = ".".join(str(part) for part in loc)

    for name, svc in cat.services.items():
        inside: dict[int, str] = {}
        for pname, port in svc.ports.items():
            loc = ("services", name, "ports", pname)
            if port.port in inside:
                yield loc, f"container port {port.port} is already used by port {inside[port.port]!r} of {name}"
            inside.setdefault(port.port, pname)
            if port.port < 1024:
                yield loc, f"port {port.port} {PRIVILEGED} (a Service port may be lower: service_port)"
            if port.publish is not None:
                if port.publish < 1024 and port.publish != port.port:  # the same low port is reported once
                    yield loc, f"host port {port.publish} is privileged: rootless Docker and Podman cannot publish it; use 1024 or above"
                yield from publish(loc, port.publish)
        if METRICS in svc.ports and svc.ports[METRICS].protocol != "http":
            yield ("services", name, "ports", METRICS, "protocol"), "Prometheus scrapes the metrics port over http"
    for name, infra in cat.infrastructure.items():
        loc = ("infrastructure", name, "port")
        yield from publish(loc, infra.port)
        if infra.port < 1024:
            yield loc, f"port {infra.port} {PRIVILEGED}"
        if infra.exporter is not None:
            loc = ("infrastructure", name, "exporter", "port")
            if infra.exporter.port == infra.port:
                yield loc, f"port {infra.port} is already used by infrastructure.{name}.port (the exporter shares its network)"
            if infra.exporter.port < 1024:
                yield loc, f"port {infra.exporter.port} {PRIVILEGED}"


def _probes(cat: Catalogue) -> Iterator[Finding]:
    for name, svc in cat.services.items():
        for role in ("liveness", "readiness", "startup"):
            probe = getattr(svc.health, role)
            if probe is None or probe.kind in ("exec", "none"):
                continue
            loc = ("services", name, "health", role)
            if probe.port is not None:
                if probe.port not in svc.ports:
                    yield (*loc, "port"), f"unknown port {probe.port!r}" + choices(svc.ports)
                elif probe.kind != "tcp" and svc.ports[probe.port].protocol != probe.kind:
                    yield (*loc, "port"), f"{'an' if probe.kind == 'http' else 'a'} {probe.kind} probe needs a port of protocol {probe.kind}; {probe.port!r} is {svc.ports[probe.port].protocol}"
            elif ports.probe_port(svc, probe) is None:
                have = [n for n, p in ports.served(svc).items() if probe.kind == "tcp" or p.protocol == probe.kind]
                yield loc, (f"{'an' if probe.kind == 'http' else 'a'} {probe.kind} probe needs a port to check, and {name} has "
                            + (f"several ({', '.join(have)}): name one with 'port'" if have else f"no {'' if probe.kind == 'tcp' else probe.kind + ' '}port"))
        if ports.serves(svc) and svc.health.readiness.kind == "none":
            yield ("services", name, "health", "readiness"), (
                f"{name} serves {', '.join(ports.served(svc))}: a readiness probe keeps traffic off a pod that cannot answer")


def _no_port_dependency(cat: Catalogue, svc: Service) -> list[str]:
    return [d for d in svc.depends_on.services if d in cat.services and not ports.serves(cat.services[d])]


def _workers(cat: Catalogue) -> Iterator[Finding]:
    """A worker serves nothing: nobody calls it, no ingress reaches it; a job runs and exits."""
    for name, svc in cat.services.items():
        base = ("services", name)
        for dep in _no_port_dependency(cat, svc):
            what = "a scheduled job" if cat.services[dep].schedule else "a worker without a port"
            index = svc.depends_on.services.index(dep)
            yield (*base, "depends_on", "services", index), f"{dep} is {what}: nothing listens for {name} to call"
        for field in ("ingress", "kill_switch"):  # both call the service's own `http` port
            if getattr(svc, field) is None:
                continue
            if "http" not in svc.ports:
                yield (*base, field), f"{'an ingress routes to' if field == 'ingress' else 'the kill switch calls'} the port named 'http', and {name} has none"
            elif svc.ports["http"].protocol != "http":
                yield (*base, field), "the port named 'http' must be of protocol http"
        if svc.schedule is None:
            continue
        loc = (*base, "schedule")
        if svc.ingress is not None:
            yield loc, "a scheduled job runs and exits: it cannot have an ingress"
        if svc.ports:
            yield loc, f"a scheduled job serves nothing: remove ports ({', '.join(svc.ports)})"
        for role in ("liveness", "readiness", "startup"):
            probe = getattr(svc.health, role)
            if probe is not None and probe.kind != "none":
                yield (*base, "health", role), "a scheduled job has no probes (its timeout_seconds bounds a run): use health: none"
        if svc.scaling.mode != "singleton":
            yield (*base, "scaling", "mode"), "a scheduled job runs one Job per schedule: scaling mode singleton (concurrency says whether runs overlap)"
        if svc.kill_switch is not None or svc.migration is not None:
            yield loc, "a scheduled job has no kill switch or migration"


def _dependency_env(cat: Catalogue) -> Iterator[Finding]:
    for name, svc in cat.services.items():
        base = ("services", name)
        derived = {var for var, _, _ in dependency_env(cat, name)}
        for var, pname in port_env(cat, name).items():
            if var in derived:
                yield (*base, "ports", pname), f"{var} would be both this port's variable and a dependency's: rename the port"
        for var, template in svc.env_from_dependencies.items():
            loc = (*base, "env_from_dependencies", var)
            if var in derived or var in port_env(cat, name):
                yield loc, f"{var} is set by nexusgen from the catalogue; choose another name"
            for problem in template_problems(cat, name, template):
                yield loc, problem


RULES = [_ports, _probes, _workers, _dependency_env]
