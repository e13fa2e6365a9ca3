"""A ``plan.graph.Graph`` as a Mermaid flowchart (the syntax of mermaid 11, which GitHub renders).

Every id comes from ``markup.mermaid_id`` and every label is quoted through
``markup.mermaid_label``, so no catalogue name (``end``, ``click``, ``subgraph``...) can break
the diagram. ``added``/``removed`` (nodes and links) are drawn apart for ``nexusgen diff``:
added in green, removed in red and dashed, and each says so in its label (colour is not the
only sign).
"""

from __future__ import annotations

from collections.abc import Collection

from nexusgen.engine.markup import mermaid_id, mermaid_label
from nexusgen.plan.graph import INTERNET, Graph, Node

_SHAPES = {"service": ('["', '"]'), "infrastructure": ('[("', '")]'), "external": ('{{"', '"}}')}
_KIND_IDS = {"service": "svc", "infrastructure": "infra", "external": "ext"}
_ARROWS = {"service": "-->", "external": "==>", "store": "-.->", "monitoring": "-.->"}
_MARKS = {"exposed": "public", "trade": "trade keys", "read": "read keys"}
CLASSES = {
    "exposed": "stroke:#c0392b,stroke-width:3px",
    "trade": "fill:#fdebd0,stroke:#b9770e,stroke-width:3px",
    "read": "fill:#fef9e7",
    "added": "fill:#d5f5e3,stroke:#1e8449,stroke-width:3px",
    "removed": "fill:#fadbd8,stroke:#c0392b,stroke-width:2px,stroke-dasharray:5 5",
}
_LINK_STYLES = {"added": "stroke:#1e8449,stroke-width:3px", "removed": "stroke:#c0392b,stroke-width:2px,stroke-dasharray:5 5"}


def node_id(node: Node) -> str:
    return mermaid_id(_KIND_IDS[node.kind], node.name)


def box_id(box: str) -> str:
    return mermaid_id("ns", box)


def flowchart(graph: Graph, added: Collection[object] = (), removed: Collection[object] = ()) -> str:
    """The diagram's source (no fence), ending with a newline."""
    ids = {n.name: node_id(n) for n in graph.nodes}
    lines = ["flowchart LR"]
    for box in graph.boxes:
        title = "internet" if box == INTERNET else f"{box} namespace"
        lines.append(f'  subgraph {box_id(box)}["{mermaid_label(title)}"]')
        for node in (n for n in graph.nodes if n.box == box):
            text = mermaid_label(node.name) + "".join(f"<br/>{_MARKS[m]}" for m in node.marks)
            text += _state(node, added, removed, "<br/>")
            start, end = _SHAPES[node.kind]
            lines.append(f"    {ids[node.name]}{start}{text}{end}")
        lines.append("  end")
    styles = []
    for index, link in enumerate(graph.links):
        label = mermaid_label(link.label) + _state(link, added, removed, ": " if link.label else "")
        arrow = _ARROWS[link.kind] + (f'|"{label}"|' if label else "")
        lines.append(f"  {_end(link.source, ids)} {arrow} {_end(link.target, ids)}")
        state = "added" if link in added else "removed" if link in removed else None
        if state:
            styles.append(f"  linkStyle {index} {_LINK_STYLES[state]}")
    lines += styles
    classes: dict[str, list[str]] = {}
    for node in graph.nodes:
        state = ("added",) if node in added else ("removed",) if node in removed else ()
        for mark in (*node.marks, *state):
            classes.setdefault(mark, []).append(ids[node.name])
    for mark, members in sorted(classes.items()):
        lines.append(f"  classDef {mark} {CLASSES[mark]}")
        lines.append(f"  class {','.join(members)} {mark}")
    return "\n".join(lines) + "\n"


def _state(item: object, added: Collection[object], removed: Collection[object], before: str) -> str:
    return f"{before}added" if item in added else f"{before}removed" if item in removed else ""


def _end(end: tuple[str, str], ids: dict[str, str]) -> str:
    kind, name = end
    return ids[name] if kind == "node" else box_id(name)
