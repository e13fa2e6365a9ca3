"""A plan's named ports: the one place every artifact that names a port reads it from.

A part of ``Plan`` (a mixin: it reads ``services`` and ``infrastructure``); everything else
imports these from ``nexusgen.plan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from nexusgen.catalogue import ports
from nexusgen.catalogue.model import ENVIRONMENTS, METRICS


@dataclass(frozen=True)
class PortFact:
    """One named port of a service: what every artifact that names a port reads."""

    name: str
    protocol: str  # http, grpc or tcp
    container: int  # containerPort, EXPOSE, NetworkPolicy ports, probes
    service: int  # the Kubernetes Service port (callers in a cluster)
    published: int | None  # compose's host port on 127.0.0.1, if published


class NamedPorts:
    """``Plan``'s ports: container, Service and published port of each named port."""

    @cached_property
    def _ports(self) -> dict[str, tuple[PortFact, ...]]:
        return {
            name: tuple(PortFact(n, p.protocol, p.port, ports.service_port(p), p.publish) for n, p in ports.ordered(svc).items())
            for name, svc in self.services.items()
        }

    def ports(self, service: str) -> tuple[PortFact, ...]:
        """A service's named ports: served ones by name, then ``metrics``. The one place Dockerfile
        EXPOSE, compose ports, container and Service ports, probes and policies read them from."""
        return self._ports[service]

    def named_port(self, service: str, port: str) -> PortFact:
        return next(p for p in self.ports(service) if p.name == port)

    def metrics_port(self, service: str) -> int | None:
        """The container port Prometheus scrapes, if the service has one."""
        return next((p.container for p in self.ports(service) if p.name == METRICS), None)

    def served_ports(self, name: str) -> tuple[PortFact, ...]:
        """What callers of a service or infrastructure component connect to (no metrics port)."""
        if name in self.services:
            return tuple(p for p in self.ports(name) if p.name != METRICS)
        port = self.infrastructure[name].port
        return (PortFact("tcp", "tcp", port, port, port),)

    def primary_port(self, name: str) -> PortFact:
        """The port a dependency edge means (``http`` if any): ``<DEP>_URL``/``_PORT`` and ``{dep.port}``."""
        if name in self.services:
            return self.named_port(name, ports.primary(self.services[name]))
        return self.served_ports(name)[0]

    def caller_port(self, port: PortFact, env: str) -> int:
        """The port a caller connects to: the container's in compose, the Service's on a cluster."""
        return port.container if env == ENVIRONMENTS[0] else port.service  # dev: the compose stack
