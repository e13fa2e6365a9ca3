"""The artifact families: one package each, ``families/<family>/`` with its code and templates.

Each family exposes ``render(plan, templates) -> dict[PurePosixPath, str]``; families never
import each other (what two families share is in the plan). Adding a family is a folder and
a line in ``FAMILIES``.
Nothing here touches the disk; ``text.finish`` adds headers and parses every file back.
``render_all`` hands each finished file to a step of ``output`` (stage it, or compare it) as
soon as it is rendered, and yields the steps' answers one family at a time (one process:
rendering some families in a forked child saved 12 % at 1,000 services, below the 25 % it had
to earn; see README "Benchmark").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path

from nexusgen.engine.templates import Templates
from nexusgen.engine.text import finish
from nexusgen.errors import TemplateError
from nexusgen.plan import Plan, image_ref

FAMILIES = ("docker", "compose", "k8s", "workflows", "monitoring", "terraform")
# Each output tree and the families it holds: out/, and .github/ at the repository root (where
# GitHub reads workflows; it does not follow symlinks). Each tree has its own manifest.
TREES = {"out": ("docker", "compose", "k8s", "monitoring", "terraform"), "github": ("workflows",)}
# The templates' domain filters (the engine's own only quote and escape).
FILTERS = {"image_ref": image_ref}
Each = Callable[[str, bytes], object]  # what to do with one finished file (POSIX path in out/, bytes)


def templates(root: Path | None = None) -> Templates:
    """The template environment the families render through: ``root`` (a ``--templates`` folder)
    or their own template folders, with their filters."""
    return Templates(root, FILTERS)


def findings(plan: Plan) -> list[tuple[tuple[str | int, ...], str]]:
    """What a family finds wrong with a valid catalogue that only it can judge (the workflows: an
    action they use that the catalogue does not pin), as (location in the catalogue, message);
    the pipeline reports them like validation findings, before anything is written."""
    found = []
    for family in FAMILIES:
        check = getattr(importlib.import_module(f"nexusgen.families.{family}"), "findings", None)
        if check is not None:
            found.extend(check(plan))
    return found


def render_all(
    plan: Plan, templates: Templates, each: Each, tree: str = "out"
) -> Generator[tuple[str, object], None, None]:
    """``(name, each(name, data))`` for every generated file (``name``: its POSIX path in out/),
    finished (header, newline, parsed back) and encoded, one family at a time, so only one
    family's text is held at once; the index of all files comes last."""
    seen: set[str] = set()
    for family, name, answer in _families(plan, templates, TREES[tree], each):
        if name in seen:
            raise TemplateError(f"{name} is rendered twice (by {family} and another family)")
        seen.add(name)
        yield name, answer
    if tree != "out":
        return
    from nexusgen.families import index  # last: it lists every other file of out/

    for path, text in index.render(plan, templates, seen).items():
        name = str(path)
        yield name, each(name, finish(path, text, plan.source_name).encode())


def _families(plan: Plan, templates: Templates, families: Sequence[str], each: Each) -> Iterator[tuple[str, str, object]]:
    for family in families:
        module = importlib.import_module(f"nexusgen.families.{family}")
        for path, text in module.render(plan, templates).items():
            name = str(path)
            yield family, name, each(name, finish(path, text, plan.source_name).encode())
