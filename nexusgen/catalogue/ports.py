"""Which of a service's named ports does what: facts validation and the plan both need."""

from __future__ import annotations

from nexusgen.catalogue.model import METRICS, NamedPort, Probe, Service


def served(svc: Service) -> dict[str, NamedPort]:
    """The ports callers use (every port but ``metrics``), sorted by name."""
    return {name: p for name, p in sorted(svc.ports.items()) if name != METRICS}


def ordered(svc: Service) -> dict[str, NamedPort]:
    """Every port: the served ones by name, then ``metrics`` (the order of container and Service ports)."""
    out = served(svc)
    if METRICS in svc.ports:
        out[METRICS] = svc.ports[METRICS]
    return out


def primary(svc: Service) -> str | None:
    """The port a dependency edge means: ``http`` if there is one, else the first served port by name."""
    ports = served(svc)
    return "http" if "http" in ports else next(iter(ports), None)


def service_port(port: NamedPort) -> int:
    """The Kubernetes Service port: the declared one, or the container port."""
    return port.service_port or port.port


def probe_port(svc: Service, probe: Probe) -> str | None:
    """The port a probe checks: its own ``port``, else the service's port of the probe's protocol
    (``http`` first for http), else for tcp the primary port. None: no such port (a finding)."""
    if probe.kind in ("exec", "none"):
        return None
    if probe.port is not None:
        return probe.port
    if probe.kind == "tcp":
        return primary(svc)
    candidates = [name for name, p in served(svc).items() if p.protocol == probe.kind]
    if probe.kind in candidates:
        return probe.kind
    return candidates[0] if len(candidates) == 1 else None


def serves(svc: Service) -> bool:
    """A long-running server: it has a port callers use (a worker or a scheduled job has none)."""
    return bool(served(svc))
