"""The artifact families: one package each, ``families/<family>/`` with its code and templates.

Each family exposes ``render(plan, templates) -> dict[PurePosixPath, str]``; families never
import each other (what two families share is in the plan). Adding a family is a folder and
a line in ``FAMILIES``.
Nothing here touches the disk; ``text.finish`` adds headers and parses every file back.
``render_all`` hands each finished file to a step of ``output`` (stage it, or compare it) in the
process that rendered it, and yields the steps' answers one family at a time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Generator, Iterator, Sequence

from nexusgen.engine.forked import Forked
from nexusgen.engine.templates import Templates
from nexusgen.engine.text import finish
from nexusgen.errors import TemplateError
from nexusgen.plan import Plan

FAMILIES = ("docker", "compose", "k8s", "workflows", "monitoring", "terraform")
# Rendered (and staged or compared) in a forked child on machines with two cores or more, while
# the parent does the rest: about an even split of a large render (see bench/run.py).
FORKED = ("docker", "k8s", "workflows", "terraform")
Each = Callable[[str, bytes], object]  # what to do with one finished file (POSIX path in out/, bytes)


def render_all(plan: Plan, templates: Templates, each: Each) -> Generator[tuple[str, object], None, None]:
    """``(name, each(name, data))`` for every generated file (``name``: its POSIX path in out/),
    finished (header, newline, parsed back) and encoded, one family at a time, so only one
    family's text is held at once; the index of all files comes last.

    With two cores the ``FORKED`` families render in a child process meanwhile (``forked.py``),
    which runs ``each`` on its own files: the disk work (staging, comparing) is split too, and
    only the answers come back."""
    seen: set[str] = set()

    def accept(family: str, name: str) -> str:
        if name in seen:
            raise TemplateError(f"{name} is rendered twice (by {family} and another family)")
        seen.add(name)
        return name

    child = Forked.start(lambda: _families(plan, templates, FORKED, each))
    try:
        own = [f for f in FAMILIES if child is None or f not in FORKED]
        for family, name, answer in _families(plan, templates, own, each):
            yield accept(family, name), answer
        if child is not None:
            for family, name, answer in child.results():
                yield accept(family, name), answer
    finally:
        if child is not None:
            child.stop()
    from nexusgen.families import index  # last: it lists every other file

    for path, text in index.render(plan, templates, seen).items():
        name = str(path)
        yield name, each(name, finish(path, text, plan.source_name).encode())


def _families(plan: Plan, templates: Templates, families: Sequence[str], each: Each) -> Iterator[tuple[str, str, object]]:
    for family in families:
        module = importlib.import_module(f"nexusgen.families.{family}")
        for path, text in module.render(plan, templates).items():
            name = str(path)
            yield family, name, each(name, finish(path, text, plan.source_name).encode())
