"""Block YAML text, byte for byte what libyaml's emitter writes with nexusgen's settings, faster.

PyYAML spends most of a dump in its Python representer and serializer (a node object per
value), not in libyaml. Here the layout is written directly: block mappings, block
sequences (indentless under a mapping key, as libyaml writes them), ``{}`` and ``[]``.
Each distinct scalar's text is found once and remembered: a one-line printable ASCII string
the representer leaves unstyled goes through libyaml's own plain-or-quoted analysis, redone
here (``_block_plain``) with PyYAML's resolver; one it double-quotes (a number's text) holds
nothing libyaml escapes; an int, a bool and None are plain, as SafeRepresenter writes them;
any other scalar is written by libyaml itself, through ``scalar_dump`` (nexusgen's dumper).

A document outside these rules (a scalar at the root, a key libyaml would not write as a
one-line simple key, a scalar whose text depends on its column, a ``|+`` block that libyaml
may close with ``...``) raises ``Unsupported``, and the caller dumps it with libyaml alone.
``tests/test_emit.py`` holds the two to identical bytes on generated data.
"""

from __future__ import annotations

from collections.abc import Callable

from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

_RESOLVE = Resolver().resolve  # the YAML 1.1 resolver libyaml's caller consults: plain only if it reads back a str
_IMPLICIT = Resolver.yaml_implicit_resolvers  # its patterns by first character (None: for any), read live
_STR = "tag:yaml.org,2002:str"
_FIRST = frozenset("#,[]{}&*!|>'\"%@`")  # indicators that forbid a plain scalar as first character
_SPACED = frozenset("-?:")  # ... when followed by a space or the end
_OTHER_BREAKS = ("\r", "\x85", "\u2028", "\u2029")  # line breaks to libyaml besides LF
MAX_SIMPLE_KEY = 128  # longer keys are written as '? key' by libyaml
MEMO_LIMIT = 50_000  # distinct scalars remembered before the memory starts afresh


def _shift(literal: str, indent: int) -> str:
    """A literal block written at column 0, moved under a key or dash at ``indent``:
    its lines sit 2 columns past it (blank lines stay empty)."""
    return literal.replace("\n  ", "\n" + " " * indent + "  ") if indent else literal


def _memo_key(value: object) -> object:
    """What tells two non-string scalars apart: their type, and for floats their text
    (``0.0 == -0.0`` and ``nan != nan``, but each is written differently)."""
    return (float, repr(value)) if type(value) is float else (type(value), value)


# Non-strings SafeRepresenter writes as plain text that reads back as themselves (floats are
# libyaml's: its text for them is its own, ``.inf``, ``1.0e+17``).
_PLAIN: dict[type, Callable[[object], str]] = {
    int: int.__repr__, bool: lambda value: "true" if value else "false", type(None): lambda value: "null"}


class Unsupported(Exception):
    """This document needs libyaml's own layout."""


def _block_plain(text: str) -> bool:
    """libyaml's analysis of a one-line printable ASCII scalar: may it be plain in block context?"""
    first = text[0]
    if first == " " or text[-1] == " " or first in _FIRST or text.startswith(("---", "...")):
        return False
    if first in _SPACED and (len(text) == 1 or text[1] == " "):
        return False
    return ": " not in text and " #" not in text and text[-1] != ":"


class Emitter:
    """Text of block YAML documents.

    ``scalar_dump(value)`` is libyaml's ``k: <value>`` document; ``style(text)`` is the style the
    representer picks for this string (``|`` or ``"``), or None.
    """

    def __init__(self, scalar_dump: Callable[[object], str], style: Callable[[str], str | None]):
        self._dump = scalar_dump
        self._style = style
        self._values: dict[object, str] = {}
        self._keys: dict[object, str] = {}

    def document(self, data: object) -> str:
        if len(self._values) > MEMO_LIMIT:  # remembered texts save time, not memory
            self._values.clear()
            self._keys.clear()
        out: list[str] = []
        if type(data) is dict:
            if not data:
                return "{}\n"
            self._mapping(data, 0, "", out)
        elif type(data) is list:
            if not data:
                return "[]\n"
            self._sequence(data, 0, "", out)
        else:
            raise Unsupported
        out.append("")
        return "\n".join(out)

    # --- layout (the hot path: locals and dict lookups only) -----------------

    def _mapping(self, data: dict, indent: int, lead: str, out: list[str]) -> None:
        """``lead`` goes before the first key: its indentation, or the ``- `` of a sequence item."""
        pad = " " * indent
        keys, values, append = self._keys, self._values, out.append
        for key, value in data.items():
            name = (keys.get(key) if type(key) is str else None) or self._key(key)
            kind = type(value)
            if kind is str:
                text = values.get(value) or self._value(value)
                append(f"{lead}{name}: {_shift(text, indent) if text[0] == '|' else text}")
            elif kind is dict:
                if value:
                    append(f"{lead}{name}:")
                    self._mapping(value, indent + 2, pad + "  ", out)
                else:
                    append(f"{lead}{name}: {{}}")
            elif kind is list:
                if value:
                    append(f"{lead}{name}:")
                    self._sequence(value, indent, pad, out)  # indentless under a key
                else:
                    append(f"{lead}{name}: []")
            else:
                text = self._value(value)
                append(f"{lead}{name}: {_shift(text, indent) if text[0] == '|' else text}")
            lead = pad

    def _sequence(self, data: list, indent: int, lead: str, out: list[str]) -> None:
        pad = " " * indent
        values, append = self._values, out.append
        for item in data:
            kind = type(item)
            if kind is dict:
                if item:
                    self._mapping(item, indent + 2, lead + "- ", out)
                else:
                    append(f"{lead}- {{}}")
            elif kind is list:
                if item:
                    self._sequence(item, indent + 2, lead + "- ", out)
                else:
                    append(f"{lead}- []")
            else:
                text = (values.get(item) if kind is str else None) or self._value(item)
                append(f"{lead}- {_shift(text, indent) if text[0] == '|' else text}")
            lead = pad

    # --- scalars --------------------------------------------------------------

    def _value(self, value: object) -> str:
        """The scalar as a mapping value or sequence item at column 0, remembered."""
        memo = value if type(value) is str else _memo_key(value)
        text = self._values.get(memo)
        if text is None:
            text = self._values[memo] = self._value_text(value)
        return text

    def _value_text(self, value: object) -> str:
        plain = _PLAIN.get(type(value))
        if plain is not None:
            return plain(value)
        text = self._fast(value)
        if text is not None:
            return text
        text = self._scalar(value)
        if any(mark in text for mark in _OTHER_BREAKS):
            raise Unsupported  # a line break libyaml writes raw: the text depends on the column
        if text[0] == "|":
            if "+" in text.partition("\n")[0]:
                raise Unsupported  # libyaml may end such a document with '...'
        elif "\n" in text:
            raise Unsupported  # a quoted scalar broken over lines: its text depends on the column
        return text

    def _key(self, key: object) -> str:
        memo = key if type(key) is str else _memo_key(key)
        text = self._keys.get(memo)
        if text is None:
            text = self._fast(key) if type(key) is not str or len(key) <= MAX_SIMPLE_KEY else None
            if text is None:
                dumped = self._dump({key: 0})
                if not dumped.endswith(": 0\n") or "\n" in dumped[:-4] or dumped.startswith("? "):
                    raise Unsupported  # not a one-line simple key
                text = dumped[:-4]
            self._keys[memo] = text
        return text

    def _fast(self, value: object) -> str | None:
        """A one-line printable ASCII string: unstyled, plain where libyaml allows it and the YAML
        1.1 resolver reads a str back, else single-quoted (libyaml's choice when plain is not
        allowed); double-quoted as it is when the representer asks for that and it holds no ``"``
        or ``\\`` (nothing else in printable ASCII is escaped, and no line is folded at nexusgen's
        width); None otherwise."""
        if type(value) is not str or not value or not value.isascii() or not value.isprintable():
            return None
        style = self._style(value)
        if style is not None:
            return f'"{value}"' if style == '"' and '"' not in value and "\\" not in value else None
        if _block_plain(value) and (
            (value[0] not in _IMPLICIT and None not in _IMPLICIT) or _RESOLVE(ScalarNode, value, (True, False)) == _STR
        ):  # no implicit pattern for its first character: the resolver would answer str
            return value
        return "'" + value.replace("'", "''") + "'"

    def _scalar(self, value: object) -> str:
        if type(value) not in (str, int, float, bool, type(None)):
            raise Unsupported
        dumped = self._dump({"k": value})
        if not dumped.startswith("k: ") or not dumped.endswith("\n"):
            raise Unsupported
        return dumped[3:-1]
