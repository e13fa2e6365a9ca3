"""Render a plan into ``{path: text}`` through the artifact families' templates.

Each family module exposes ``render(plan, templates) -> dict[PurePosixPath, str]``.
Nothing here touches the disk; ``text.finish`` adds headers and parses every file back.
``render_all`` hands each finished file to a step of ``output`` (stage it, or compare it) in the
process that rendered it, and yields the steps' answers one family at a time.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path

import jinja2

from nexusgen.errors import TemplateError, UsageError
from nexusgen.text import dump_yaml, finish
from nexusgen.plan import Plan, image_ref
from nexusgen.render.forked import Forked
from nexusgen.names import env_key

FAMILIES = ("docker", "compose", "k8s", "workflows", "monitoring")
# Rendered (and staged or compared) in a forked child on machines with two cores or more, while
# the parent does the rest: about an even split of a large render (see bench/run.py).
FORKED = ("docker", "k8s", "workflows")
Each = Callable[[str, bytes], object]  # what to do with one finished file (POSIX path in out/, bytes)

# Characters JSON leaves raw but YAML would fold, refuse or misread inside a quoted scalar.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps would build one per call
_JSON_STR = json.encoder.encode_basestring  # what _JSON does for a str, without the dispatch


def quote(value: object) -> str:
    """The one quoting filter: a JSON literal, which is also a YAML scalar of exactly that value."""
    text = _JSON_STR(value) if type(value) is str else _JSON.encode(value)
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_BLOCKS: dict[tuple, str] = {}  # small string mappings (labels, selectors) recur thousands of times
_BLOCKS_LIMIT = 10_000


def block(value: object, indent: int = 0) -> str:
    """A mapping or list as block YAML, indented by ``indent`` spaces after the first line."""
    key = None
    if type(value) is dict and len(value) <= 4:
        items = tuple(value.items())
        if all(type(k) is str and type(v) is str for k, v in items):
            key = (indent, items)
            text = _BLOCKS.get(key)
            if text is not None:
                return text
    text = dump_yaml(value).rstrip("\n").replace("\n", "\n" + " " * indent)
    if key is not None and len(_BLOCKS) < _BLOCKS_LIMIT:
        _BLOCKS[key] = text
    return text


class _Cache(jinja2.FileSystemBytecodeCache):
    """Compiled templates, keyed by template source: a cache, never an input (safe to delete)."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:  # a read-only or full home: render without caching
            pass


def _bytecode_cache(flavour: str) -> jinja2.BytecodeCache | None:
    """``$XDG_CACHE_HOME/nexusgen/jinja-<flavour>`` (default ``~/.cache``), one per delimiter set
    (Jinja keys bytecode by template name and source, not by environment);
    ``NEXUSGEN_NO_CACHE=1`` turns it off."""
    if os.environ.get("NEXUSGEN_NO_CACHE"):
        return None
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nexusgen" / f"jinja-{flavour}"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _Cache(str(root))


class Templates:
    """Two Jinja environments over one folder.

    ``*.j2`` use Jinja's usual ``{{ }}``. ``*.alt.j2`` are for files whose own syntax is
    ``{{ }}`` or ``${{ }}`` (GitHub Actions, Prometheus and Alertmanager templates): they use
    ``<{ }>``, ``<% %>`` and ``<# #>``, so the target syntax is written as it is.
    """

    def __init__(self, root: Path):
        self.root = root
        common = dict(
            loader=jinja2.FileSystemLoader(str(root)),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
            auto_reload=False,  # templates do not change during a run: no stat per get_template
        )
        self._plain = jinja2.Environment(**common, bytecode_cache=_bytecode_cache("plain"))
        self._alt = jinja2.Environment(
            **common,
            bytecode_cache=_bytecode_cache("alt"),
            variable_start_string="<{",
            variable_end_string="}>",
            block_start_string="<%",
            block_end_string="%>",
            comment_start_string="<#",
            comment_end_string="#>",
        )
        for env in (self._plain, self._alt):
            env.filters.update(tojson=quote, yaml=block, env_key=env_key, image_ref=image_ref)
        self._loaded: dict[str, jinja2.Template] = {}  # get_template's own cache costs more per call

    def render(self, name: str, /, **context: object) -> str:
        try:
            template = self._loaded.get(name)
            if template is None:
                env = self._alt if name.endswith(".alt.j2") else self._plain
                template = self._loaded[name] = env.get_template(name)
            return template.render(**context)
        except jinja2.TemplateNotFound:
            raise UsageError(f"template {name!r} not found under {self.root}") from None
        except jinja2.TemplateError as exc:
            raise TemplateError(f"template {name}: {exc}") from None


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
    from nexusgen.render import index  # last: it lists every other file

    for path, text in index.render(plan, templates, seen).items():
        name = str(path)
        yield name, each(name, finish(path, text, plan.source_name).encode())


def _families(plan: Plan, templates: Templates, families: Sequence[str], each: Each) -> Iterator[tuple[str, str, object]]:
    for family in families:
        module = importlib.import_module(f"nexusgen.render.{family}")
        for path, text in module.render(plan, templates).items():
            name = str(path)
            yield family, name, each(name, finish(path, text, plan.source_name).encode())
