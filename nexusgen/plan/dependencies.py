"""The dependency graph of a plan: who calls whom, and the order to start the system in.

A part of ``Plan`` (a mixin: it reads ``services`` and ``infrastructure``), kept here so the plan's
module stays readable; everything else imports these from ``nexusgen.plan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Edge:
    """``source`` talks to ``target``; ``kind`` is service, infrastructure or external."""

    source: str
    target: str
    kind: str


class DependencyGraph:
    """``Plan``'s edges, callers and start order."""

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
