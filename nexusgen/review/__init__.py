"""``nexusgen diff``: what a change to the catalogue means, for the people who review it.

``sources`` reads the two sides (a git revision or a file, and each side's manifest), ``facts``
turns a plan into comparable facts by area, ``changes`` compares them, ``report`` prints the
summary as text or Markdown. Nothing is rendered, so it answers in well under a second.
"""

from __future__ import annotations

from pathlib import Path

from nexusgen.errors import UsageError
from nexusgen.review import report
from nexusgen.review.changes import Summary, compare
from nexusgen.review.sources import file_side, git_side, working_tree


def summarise(files: tuple[Path, ...], base: str | None, catalogue: Path, out: Path) -> Summary:
    """Two files compared (each with the out/ beside it), or ``catalogue`` at ``base`` (default:
    the merge base with main) against the working tree's."""
    if files:
        if len(files) != 2 or base is not None:
            raise UsageError("give two catalogue files, or --base REF (or neither), not both")
        return compare(file_side(files[0]), file_side(files[1]))
    return compare(git_side(base, catalogue, out), working_tree(catalogue, out))


def show(summary: Summary, fmt: str) -> str:
    return report.markdown(summary) if fmt == "markdown" else report.text(summary)
