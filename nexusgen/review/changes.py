"""Two sides compared: the changes in meaning (fact by fact), the services added and removed,
the generated files changed per family (from the manifests), and the diagram of both."""

from __future__ import annotations

from dataclasses import dataclass, field

from nexusgen.catalogue.model import ENVIRONMENTS
from nexusgen.plan.graph import Graph, graph, marks
from nexusgen.review.facts import AREAS, HIGH, Fact, facts
from nexusgen.review.sources import Side

RISKS = (HIGH, "medium", "low")
# Facts an added service brings along that its own line already says; a removed service's
# line says all but what it took away from exposure, secrets and network.
_FOLDED_ADDED = ("capacity", "images")
_KEPT_REMOVED = ("exposure", "secrets", "network")


@dataclass(frozen=True, order=True)
class Change:
    area: str
    risk: str
    sign: str  # "+" added, "-" removed, "~" changed
    what: str
    old: str
    new: str
    envs: tuple[str, ...] = ()

    def sort_key(self) -> tuple:
        return (AREAS.index(self.area), RISKS.index(self.risk), "+~-".index(self.sign), self.what, self.envs)


@dataclass(frozen=True)
class FamilyFiles:
    family: str
    added: int
    removed: int
    changed: int

    @property
    def total(self) -> int:
        return self.added + self.removed + self.changed


@dataclass
class Summary:
    before: str
    after: str
    changes: list[Change]
    services_added: list[tuple[str, tuple[str, ...]]]  # name, its marks (exposed, trade, read)
    services_removed: list[str]
    families: list[FamilyFiles] | None  # None: a side has no manifest
    diagram: tuple[Graph, set, set] = field(default=None)  # merged graph, added, removed

    @property
    def high(self) -> int:
        return sum(c.risk == HIGH for c in self.changes)


def compare(before: Side, after: Side) -> Summary:
    old_names, new_names = set(before.plan.services), set(after.plan.services)
    added, removed = sorted(new_names - old_names), sorted(old_names - new_names)
    old = {(f.area, f.what, f.env): f for f in facts(before.plan)}
    new = {(f.area, f.what, f.env): f for f in facts(after.plan)}
    raw: list[tuple[Fact, str, str, str]] = []  # fact, sign, old value, new value
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        fact = b or a
        if (fact.service in added and fact.area in _FOLDED_ADDED) or (
                fact.service in removed and fact.area not in _KEPT_REMOVED):
            continue
        if a is None and not b.quiet:
            raw.append((b, "+", "", b.value))
        elif b is None and not a.quiet:
            raw.append((a, "-", a.value, ""))
        elif a is not None and b is not None and a.value != b.value:
            raw.append((b, "~", a.value, b.value))
    return Summary(before.label, after.label, _merge_envs(raw), [(n, marks(after.plan, n)) for n in added], removed,
                   _families(before.files, after.files), _diagram(before, after))


def _merge_envs(raw: list[tuple[Fact, str, str, str]]) -> list[Change]:
    """One change per (fact, sign, values), listing the environments where it happens."""
    grouped: dict[tuple, list[str]] = {}
    for fact, sign, old, new in raw:
        risk = fact.removal_risk if sign == "-" else fact.risk
        grouped.setdefault((fact.area, risk, sign, fact.what, old, new), []).append(fact.env)
    out = []
    for (area, risk, sign, what, old, new), envs in grouped.items():
        named = tuple(e for e in ENVIRONMENTS if e in envs)
        out.append(Change(area, risk, sign, what, old, new, named))
    return sorted(out, key=Change.sort_key)


def family_of(path: str) -> str:
    """The artifact family a file in out/ belongs to (by its first folder)."""
    top = path.split("/", 1)[0] if "/" in path else ""
    return {"github": "workflows", "": "index"}.get(top, top)


def _families(before: dict[str, str] | None, after: dict[str, str] | None) -> list[FamilyFiles] | None:
    if before is None or after is None:
        return None
    counts: dict[str, list[int]] = {}
    for path in before.keys() | after.keys():
        if before.get(path) == after.get(path):
            continue
        slot = 0 if path not in before else 1 if path not in after else 2
        counts.setdefault(family_of(path), [0, 0, 0])[slot] += 1
    return [FamilyFiles(name, *c) for name, c in sorted(counts.items())]


def _diagram(before: Side, after: Side) -> tuple[Graph, set, set]:
    """The after-graph with what the before-graph had and lost, each side's own marked apart."""
    old, new = graph(before.plan), graph(after.plan)
    names = {(n.kind, n.name) for n in new.nodes}
    gone = {n for n in old.nodes if (n.kind, n.name) not in names}
    born = {n for n in new.nodes if (n.kind, n.name) not in {(m.kind, m.name) for m in old.nodes}}
    lost = [link for link in old.links if link not in set(new.links)]
    merged = Graph(tuple(sorted({*new.nodes, *gone})), (*new.links, *lost))
    return merged, born | set(new.links) - set(old.links), gone | set(lost)
