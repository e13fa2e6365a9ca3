"""A ``Summary`` as plain text (a terminal) or Markdown (a pull request), at most ``LIMIT`` lines
before the diagram: areas in risk order (exposure first), high-risk changes first in each;
an area with more changes than fit says how many it left out."""

from __future__ import annotations

from nexusgen.engine.markup import md, md_code
from nexusgen.engine.mermaid import flowchart
from nexusgen.review.changes import Change, Summary
from nexusgen.review.facts import AREAS, HIGH

LIMIT = 40
_SIGNS = {"+": "added", "-": "removed", "~": "changed"}
_TEXT_RISK = {HIGH: "!", "medium": "*", "low": " "}
_MD_RISK = {HIGH: "**high**", "medium": "medium", "low": "low"}
_MARKS = {"exposed": "public", "trade": "trade keys", "read": "read keys"}


def text(summary: Summary) -> str:
    return "\n".join(_fit(summary, _text_lines)) + "\n"


def markdown(summary: Summary) -> str:
    lines = _fit(summary, _md_lines)
    graph, added, removed = summary.diagram
    lines += ["", "<details><summary>Dependency diagram: added in green, removed in red and dashed</summary>", "",
              "```mermaid", flowchart(graph, added, removed).rstrip("\n"), "```", "", "</details>"]
    return "\n".join(lines) + "\n"


def _fit(summary: Summary, lines_for) -> list[str]:
    for cap in (12, 8, 6, 4, 3, 2, 1):
        lines = lines_for(summary, cap)
        if len(lines) <= LIMIT:
            break
    return lines


def _counts(summary: Summary) -> str:
    if not summary.changes:
        return "no change in meaning"
    others = len(summary.changes) - summary.high
    return f"{summary.high} high-risk change{'s' * (summary.high != 1)}, {others} other{'s' * (others != 1)}"


def _services(summary: Summary, code) -> list[str]:
    parts = []
    if summary.services_added:
        parts.append("services added: " + ", ".join(
            code(n) + (f" ({', '.join(_MARKS[m] for m in marks)})" if marks else "")
            for n, marks in summary.services_added))
    if summary.services_removed:
        parts.append("services removed: " + ", ".join(code(n) for n in summary.services_removed))
    return ["; ".join(parts)] if parts else []


def _by_area(summary: Summary, cap: int) -> list[tuple[str, list[Change], int]]:
    out = []
    for area in AREAS:
        changes = [c for c in summary.changes if c.area == area]
        if changes:
            out.append((area, changes[:cap], len(changes) - len(changes[:cap])))
    return out


def _describe(change: Change, esc) -> str:
    what = change.what
    if change.sign == "~":
        what += f": {change.old} -> {change.new}"
    elif change.new or change.old:
        what += f": {change.new or change.old}"
    if change.envs:
        what += f" ({', '.join(change.envs)})"
    return esc(what)


def _text_lines(summary: Summary, cap: int) -> list[str]:
    lines = [f"nexusgen diff {summary.before} -> {summary.after}: {_counts(summary)}", *_services(summary, str)]
    for area, changes, left in _by_area(summary, cap):
        lines.append(f"{area}:")
        lines += [f"  {_TEXT_RISK[c.risk]} {c.sign} {_describe(c, str)}" for c in changes]
        if left:
            lines.append(f"    ... {left} more")
    lines.append(_files_title(summary))
    lines += [f"  {family:<11}{count}" for family, count in _family_rows(summary)]
    if summary.changes:
        lines.append("(! high risk, * medium risk; + added, - removed, ~ changed)")
    return lines


def _md_lines(summary: Summary, cap: int) -> list[str]:
    lines = [f"### nexusgen diff: {md(summary.before)} → {md(summary.after)}", _counts(summary).capitalize()]
    services = _services(summary, md_code)
    if services:
        lines[-1] += f"; {services[0]}"
    for area, changes, left in _by_area(summary, cap):
        lines.append(f"#### {area.capitalize()}")
        lines += [f"- {_MD_RISK[c.risk]}, {_SIGNS[c.sign]}: {_describe(c, md)}" for c in changes]
        if left:
            lines.append(f"- … {left} more")
    rows = _family_rows(summary)
    lines += ["", _files_title(summary).capitalize()]
    if rows:
        lines += ["", "| family | files |", "|---|---|", *(f"| {family} | {count} |" for family, count in rows)]
    return lines


def _files_title(summary: Summary) -> str:
    if summary.families is None:
        return "generated files: not compared (a side has no out/ manifest)"
    total = sum(f.total for f in summary.families)
    return f"generated files: {total} changed" if total else "generated files: none changed"


def _family_rows(summary: Summary) -> list[tuple[str, str]]:
    """(family, "12 (3 added, 1 removed)") for each family with a changed file."""
    rows = []
    for f in summary.families or ():
        detail = [f"{n} {word}" for n, word in ((f.added, "added"), (f.removed, "removed")) if n]
        rows.append((f.family, f"{f.total}" + (f" ({', '.join(detail)})" if detail else "")))
    return rows
