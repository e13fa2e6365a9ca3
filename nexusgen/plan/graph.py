"""The dependency picture a reviewer looks at, as data: what ``out/README.md`` and ``nexusgen diff``
draw (``engine/mermaid.py`` writes it as a Mermaid flowchart).

- Services sit in one box per namespace group (``core``, ``data``, ``frontend``), infrastructure
  in its own (``infrastructure``, ``monitoring``), external endpoints in ``internet``.
- Marks: ``exposed`` (an Ingress), ``trade`` / ``read`` (holds exchange keys of that access).
- Shared data stores do not dominate: a service's edges to infrastructure are summarised as one
  edge per (namespace, store), labelled with how many services of that namespace use it.
- The monitoring stack is connected: Prometheus scrapes each namespace with a scrape target,
  Grafana queries Prometheus, Prometheus sends alerts to Alertmanager.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexusgen.plan import Plan

INTERNET = "internet"


@dataclass(frozen=True, order=True)
class Node:
    kind: str  # service, infrastructure, external
    name: str
    box: str  # the group (namespace) it is drawn in, or INTERNET
    marks: tuple[str, ...] = ()  # exposed, trade, read


@dataclass(frozen=True, order=True)
class Link:
    """``source`` -> ``target``; either end is ``("node", name)`` or ``("box", group)``."""

    source: tuple[str, str]
    target: tuple[str, str]
    kind: str  # service, store, external, monitoring
    label: str = ""


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]

    @property
    def boxes(self) -> tuple[str, ...]:
        """Services' namespaces first (sorted), then infrastructure's, then the internet."""
        def rank(box: str) -> tuple[int, str]:
            kinds = {n.kind for n in self.nodes if n.box == box}
            return ({"service": 0, "infrastructure": 1}.get(min(kinds), 2) if kinds else 2, box)
        return tuple(sorted({n.box for n in self.nodes}, key=rank))


def marks(plan: Plan, name: str) -> tuple[str, ...]:
    svc = plan.services[name]
    out = ["exposed"] if svc.ingress is not None else []
    access = {plan.catalogue.secrets[ref].exchange for ref in svc.secrets.values()}
    out += [a for a in ("trade", "read") if a in access][:1]  # the strongest keys it holds
    return tuple(out)


def graph(plan: Plan) -> Graph:
    nodes = [Node("service", n, s.group, marks(plan, n)) for n, s in plan.services.items()]
    nodes += [Node("infrastructure", n, i.group) for n, i in plan.infrastructure.items()]
    nodes += [Node("external", n, INTERNET) for n in sorted(plan.catalogue.external)]
    links: list[Link] = []
    users: dict[tuple[str, str], int] = {}
    for edge in plan.edges:
        if edge.kind == "infrastructure":
            key = (plan.services[edge.source].group, edge.target)
            users[key] = users.get(key, 0) + 1
        else:
            links.append(Link(("node", edge.source), ("node", edge.target), edge.kind))
    for (box, store), count in sorted(users.items()):
        links.append(Link(("box", box), ("node", store), "store", f"{count} service{'s' if count != 1 else ''}"))
    links += _monitoring(plan)
    return Graph(tuple(sorted(nodes)), tuple(links))


def _monitoring(plan: Plan) -> list[Link]:
    """The stack's own edges, as the monitoring family wires them (by these component names)."""
    infra = plan.infrastructure
    out = []
    if "prometheus" in infra:
        scraped = sorted({plan.services[t.component].group if t.kind == "service" else infra[t.component].group
                          for t in plan.scrape_targets} - {infra["prometheus"].group})
        out += [Link(("node", "prometheus"), ("box", box), "monitoring", "scrapes") for box in scraped]
        if "alertmanager" in infra:
            out.append(Link(("node", "prometheus"), ("node", "alertmanager"), "monitoring", "alerts"))
        if "grafana" in infra:
            out.append(Link(("node", "grafana"), ("node", "prometheus"), "monitoring", "queries"))
    return out
