"""YAML text -> plain tree plus the line/column of every node.

Safe by construction: only the YAML 1.2 core scalars (so ``no``, ``on`` and ``1.10``
are what they look like: ``no`` and ``on`` are strings, ``1.10`` a float), no custom
tags, no anchors or aliases (so no alias bombs), no duplicate keys, one document,
UTF-8 only, bounded size and depth.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nexusgen.catalogue.scalars import MAP, NOT_STR_FIRST, PLAIN_SCALARS, SCALAR_TAGS, SEQ, STR, construct, hidden_character
from nexusgen.errors import CatalogueError, Problem

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32

Loc = tuple[str | int, ...]

try:  # libyaml parses several times faster; the pure-Python parser is the fallback
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, text: str):
            Reader.__init__(self, text)
            Scanner.__init__(self)
            Parser.__init__(self)


@dataclass(frozen=True)
class Document:
    """A loaded catalogue: its tree, where each node stood, and its name for messages."""

    data: dict[str, Any]
    marks: dict[Loc, tuple[int, int]]
    name: str
    source: bytes

    def where(self, loc: Loc) -> tuple[int, int]:
        """Line and column (1-based) of the deepest known node on ``loc``."""
        for end in range(len(loc), -1, -1):
            mark = self.marks.get(tuple(loc[:end]))
            if mark is not None:
                return mark
        return (1, 1)

    def problem(self, loc: Loc, message: str) -> Problem:
        line, column = self.where(loc)
        return Problem(self.name, line, column, format_loc(loc), message)


def format_loc(loc: Loc) -> str:
    """``("services", "gateway", "ports", 0)`` -> ``services.gateway.ports[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(str(part)):  # a key with a newline or a quote cannot forge a message line
            out += f"[{json.dumps(str(part), ensure_ascii=True)}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_./-]+")


def read_bytes(path: Path, name: str) -> bytes:
    """The catalogue's bytes (at most one byte past the size limit); a failure is located."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise CatalogueError([Problem(name, 1, 1, "", "file not found")]) from None
    except IsADirectoryError:
        raise CatalogueError([Problem(name, 1, 1, "", "is a directory, not a YAML file")]) from None
    except OSError as exc:
        raise CatalogueError([Problem(name, 1, 1, "", f"cannot be read: {exc.strerror}")]) from None
    return raw


def load_bytes(raw: bytes, name: str) -> Document:
    if len(raw) > MAX_BYTES:
        raise CatalogueError([Problem(name, 1, 1, "", f"is larger than {MAX_BYTES // (1024 * 1024)} MiB")])
    text = _decode(raw, name)
    if not text.strip():
        raise CatalogueError([Problem(name, 1, 1, "", "is empty: expected a mapping with 'version' and 'services'")])
    builder = _Builder(name)
    parser = _Parser(text)
    try:
        data = builder.run(parser)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        detail = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        if mark and text[mark.index : mark.index + 1] == "\t":
            detail += " (a tab: YAML is indented with spaces only)"
        raise CatalogueError([Problem(name, line, column, "", f"invalid YAML: {detail}")]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        before = text[: exc.position]
        line, column = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"character U+{code:04X} is not allowed in YAML (control characters must be escaped)"
        raise CatalogueError([Problem(name, line, column, "", message)]) from None
    finally:
        parser.dispose()
    if builder.problems:
        raise CatalogueError(builder.problems)
    return Document(data=data, marks=builder.marks, name=name, source=raw)


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise CatalogueError(
            [Problem(name, line, column, "", f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x})")]
        ) from None


class _Abort(Exception):
    """Stop reading: the rest of the stream cannot be trusted."""


class _Builder:
    """Builds dicts, lists and scalars straight from parser events, without recursion.

    Working from events (not a composed node graph) keeps memory flat, lets depth
    be bounded before anything deep is built, and sees anchors and aliases as they come.
    """

    def __init__(self, name: str):
        self.name = name
        self.marks: dict[Loc, tuple[int, int]] = {}
        self.problems: list[Problem] = []

    def _fail(self, event: yaml.Event, loc: Loc, message: str) -> None:
        mark = event.start_mark
        self.problems.append(Problem(self.name, mark.line + 1, mark.column + 1, format_loc(loc), message))

    def run(self, parser: Any) -> Any:
        try:
            return self._run(parser)
        except _Abort:
            return None

    def _run(self, parser: Any) -> Any:
        get = parser.get_event
        get()  # StreamStart
        event = get()
        if isinstance(event, yaml.StreamEndEvent):
            self._fail(event, (), "is empty: expected a mapping with 'version' and 'services'")
            raise _Abort
        root: Any = None
        # Each frame: [container, loc, pending key (mappings), key event]
        stack: list[list[Any]] = []
        while True:
            event = get()
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                stack.pop()
                if not stack:
                    break
                continue
            frame = stack[-1] if stack else None
            if frame is not None and isinstance(frame[0], dict) and frame[2] is None:
                frame[2], frame[3] = self._key(event, frame[1], frame[0]), event
                continue
            loc = self._child_loc(frame)
            value = self._value(event, loc, frame)
            if frame is None:
                root = value
                if not isinstance(value, dict):
                    kind = "list" if isinstance(value, list) else "scalar"
                    self._fail(event, (), f"the document must be a mapping, not a {kind}")
                    raise _Abort
            elif isinstance(frame[0], dict):
                if frame[2] is not _SKIP:
                    frame[0][frame[2]] = value
                frame[2] = None
            else:
                frame[0].append(value)
            if isinstance(value, (dict, list)):
                if len(stack) >= MAX_DEPTH:
                    self._fail(event, loc, f"nested deeper than {MAX_DEPTH} levels")
                    raise _Abort
                stack.append([value, loc, None, None])
            elif frame is None:
                break
        get()  # DocumentEnd
        event = get()
        if not isinstance(event, yaml.StreamEndEvent):
            self._fail(event, (), "holds more than one YAML document; expected exactly one")
        return root

    @staticmethod
    def _child_loc(frame: list[Any] | None) -> Loc:
        if frame is None:
            return ()
        container, loc, key = frame[0], frame[1], frame[2]
        if isinstance(container, dict):
            return (*loc, key) if key is not _SKIP else (*loc, "?")
        return (*loc, len(container))

    def _key(self, event: yaml.Event, loc: Loc, mapping: dict[str, Any]) -> Any:
        if not isinstance(event, yaml.ScalarEvent):
            self._fail(event, loc, "mapping keys must be plain strings")
            raise _Abort
        hidden = hidden_character(event.value)
        if hidden:
            self._fail(event, (*loc, event.value), hidden)
            return _SKIP
        key = self._scalar(event, loc)
        if key is None or isinstance(key, bool):
            self._fail(event, loc, f"mapping key {event.value!r} must be a string")
            return _SKIP
        key = key if isinstance(key, str) else event.value
        if key in mapping:
            first = self.marks.get((*loc, key), (0, 0))[0]
            self._fail(event, (*loc, key), f"duplicate key {key!r} (first defined on line {first})")
            return _SKIP
        self.marks[(*loc, key)] = (event.start_mark.line + 1, event.start_mark.column + 1)
        return key

    def _value(self, event: yaml.Event, loc: Loc, frame: list[Any] | None) -> Any:
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            self._fail(event, loc, "anchors and aliases (&, *) are not allowed; write each value out")
            raise _Abort  # one report is enough, and an alias bomb is never expanded
        if frame is None or not isinstance(frame[0], dict):
            self.marks[loc] = (event.start_mark.line + 1, event.start_mark.column + 1)
        elif isinstance(event, yaml.ScalarEvent):  # a scalar value is located by itself, not its key
            self.marks[loc] = (event.start_mark.line + 1, event.start_mark.column + 1)
        if isinstance(event, yaml.MappingStartEvent):
            if event.tag not in (None, MAP):
                self._fail(event, loc, f"tag {event.tag!r} is not allowed")
            return {}
        if isinstance(event, yaml.SequenceStartEvent):
            if event.tag not in (None, SEQ):
                self._fail(event, loc, f"tag {event.tag!r} is not allowed")
            return []
        return self._scalar(event, loc)

    def _scalar(self, event: yaml.ScalarEvent, loc: Loc) -> Any:
        tag, text = event.tag, event.value
        if tag in (None, "!"):
            tag = STR
            if event.implicit[0] and (not text or text[0] in NOT_STR_FIRST):  # plain: YAML 1.2 core schema
                for candidate, pattern in PLAIN_SCALARS:
                    if pattern.fullmatch(text):
                        tag = candidate
                        break
        elif tag not in SCALAR_TAGS:
            self._fail(event, loc, f"tag {tag!r} is not allowed")
            return None
        try:
            value = construct(tag, text)
        except ValueError:
            self._fail(event, loc, f"{text!r} is not a valid {tag.rsplit(':', 1)[-1]}")
            return None
        hidden = hidden_character(value) if isinstance(value, str) else None
        if hidden:
            self._fail(event, loc, hidden)
            return None
        return value


_SKIP = object()
