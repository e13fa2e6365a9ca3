"""The template environment every family renders through, and the filters that keep values intact.

Each family keeps its templates in ``families/<family>/templates/``; a template is named
``<family>/<file>`` (``docker/Dockerfile.j2``), which is also its path under a ``--templates``
override folder.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import jinja2
from jinja2.runtime import new_context

from nexusgen.engine.fingerprint import template_roots
from nexusgen.engine.markup import md, md_code
from nexusgen.engine.text import dump_yaml
from nexusgen.errors import TemplateError, UsageError


# Characters JSON leaves raw but YAML would fold, refuse or misread inside a quoted scalar.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps would build one per call
_JSON_STR = json.encoder.encode_basestring  # what _JSON does for a str, without the dispatch


_LITERALS = {True: "true", False: "false", None: "null"}  # what JSON writes for them


def quote(value: object) -> str:
    """The one quoting filter: a JSON literal, which is also a YAML scalar of exactly that value.

    The filter of every templated value (220,000 calls at 1,000 services): an int, a bool or
    None is written as the JSON encoder writes it, and a string the encoder left ASCII without
    DEL (``str.isascii`` is a flag, not a scan) holds nothing ``_YAML_UNSAFE`` would replace."""
    kind = type(value)
    if kind is str:
        text = _JSON_STR(value)
        if text.isascii() and "\x7f" not in text:
            return text
    elif kind is int:
        return int.__repr__(value)
    elif kind is bool or value is None:
        return _LITERALS[value]
    else:
        text = _JSON.encode(value)
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_BLOCKS: dict[tuple, str] = {}  # small string mappings (labels, selectors) recur thousands of times
_BLOCKS_LIMIT = 10_000


def block(value: object, indent: int = 0) -> str:
    """A mapping or list as block YAML, indented by ``indent`` spaces after the first line.

    A small mapping of strings is remembered by its items. Only such mappings are stored, so a
    hit is one (strings equal strings only); a value no key can hold (a list) is a miss."""
    key = None
    if type(value) is dict and len(value) <= 4:
        key = (indent, *value.items())
        try:
            text = _BLOCKS.get(key)
        except TypeError:  # an unhashable value: not a mapping of strings
            text = key = None
        if text is not None:
            return text
        if key is not None and not all(type(k) is str and type(v) is str for k, v in value.items()):
            key = None
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


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """``$XDG_CACHE_HOME/nexusgen/jinja`` (default ``~/.cache``); ``NEXUSGEN_NO_CACHE=1`` turns it off."""
    if os.environ.get("NEXUSGEN_NO_CACHE"):
        return None
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nexusgen" / "jinja"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _Cache(str(root))


class Templates:
    """The Jinja environment over the families' template folders (or one ``--templates`` folder
    laid out as ``<family>/<file>``).

    Templates are for prose-like files (Dockerfiles, Markdown) and small YAML; files whose own
    syntax is ``{{ }}`` or ``${{ }}`` (GitHub workflows, Alertmanager) are built as data and
    written by ``text.dump_yaml``, so no template needs other delimiters.
    """

    def __init__(self, root: Path | None = None, filters: Mapping[str, Callable] | None = None):
        """``filters``: the families' own (domain) filters, added to the engine's quoting ones."""
        self.root = root
        if root is None:
            loader: jinja2.BaseLoader = jinja2.PrefixLoader(
                {family: jinja2.FileSystemLoader(str(path)) for family, path in template_roots().items()})
        else:
            loader = jinja2.FileSystemLoader(str(root))
        self._env = jinja2.Environment(
            loader=loader,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
            auto_reload=False,  # templates do not change during a run: no stat per get_template
            bytecode_cache=_bytecode_cache(),
        )
        self._env.filters.update(tojson=quote, yaml=block, md=md, md_code=md_code, **(filters or {}))
        # name -> (template, its globals as a plain dict): get_template's own cache costs more per call
        self._loaded: dict[str, tuple[jinja2.Template, dict]] = {}

    def exists(self, name: str) -> bool:
        try:
            self._env.loader.get_source(self._env, name)
        except jinja2.TemplateNotFound:
            return False
        return True

    def render(self, name: str, /, **context: object) -> str:
        """``Template.render`` without its per-call copies of the globals (a ``ChainMap``, a third of
        a small template's time, then again for every ``{% import %}``): the context is the
        template's globals, copied once per template, then ``context``. Its set of global names is
        left empty: that set only tells an import which of the importer's globals the imported
        template lacks, and every template here has the environment's globals alone."""
        try:
            loaded = self._loaded.get(name)
            if loaded is None:
                template = self._env.get_template(name)
                loaded = self._loaded[name] = (template, dict(template.globals))
            template, names = loaded
            ctx = new_context(self._env, template.name, template.blocks, {**names, **context}, shared=True)
            return "".join(template.root_render_func(ctx))
        except jinja2.TemplateNotFound:
            where = self.root or "the families' templates"
            raise UsageError(f"template {name!r} not found under {where}") from None
        except jinja2.TemplateError as exc:
            raise TemplateError(f"template {name}: {exc}") from None


