"""HCL (Terraform) as data -> text, in ``terraform fmt`` layout.

A file is a list of ``Block``s; a body is a list of ``Attr``, ``Block``, ``Comment`` and ``BLANK``.
Values: ``str`` (quoted, escaped), ``int``, ``float``, ``bool``, ``None`` (``null``), ``Raw`` (an
expression written as is: ``aws_vpc.main.id``, ``list(string)``), ``list`` and ``dict``.

``layout`` re-lays out any HCL text the way hashicorp/hcl's ``hclwrite.Format`` (what
``terraform fmt`` runs) does for indentation and ``=`` alignment: indent two spaces per line that
opens brackets (several openers on one line count once), and align the ``=`` of consecutive lines
whose right-hand side is a whole expression, one space past the longest name. The emitter's output
is a fixed point of ``layout`` (tested), so what we write is what ``terraform fmt`` would leave.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")
ONE_LINE = 100  # a list of scalars stays on one line up to this many characters


@dataclass(frozen=True)
class Raw:
    """An HCL expression written verbatim (a reference, a function call, a type)."""

    text: str


@dataclass(frozen=True)
class Call:
    """``name(value)`` where value may span lines: ``jsonencode({ ... })``."""

    name: str
    value: object


@dataclass(frozen=True)
class Attr:
    name: str
    value: object


@dataclass(frozen=True)
class Comment:
    text: str


@dataclass(frozen=True)
class Block:
    type: str
    labels: tuple[str, ...] = ()
    body: list = field(default_factory=list)


BLANK = Comment("")  # an empty line between groups (ends an alignment group, as in terraform fmt)


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SPECIAL = re.compile('[\x00-\x1f"\\\\\x7f]')  # what ``_escape`` rewrites: one scan in C finds them


def _escape(match: re.Match) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def string(value: str) -> str:
    """An HCL quoted string. HCL knows only the escapes ``\\n \\r \\t \\" \\\\`` and ``\\uNNNN`` (no
    ``\\b`` or ``\\f``, unlike JSON); ``${`` and ``%{`` are doubled so no template runs."""
    if not unicodedata.is_normalized("NFC", value):
        # HCL normalizes every string to NFC, escapes included: other text would change meaning.
        raise ValueError(f"{value!r} is not in Unicode NFC; HCL would change it")
    text = _SPECIAL.sub(_escape, value)
    return '"' + text.replace("${", "$${").replace("%{", "%%{") + '"'



def _scalar(value: object) -> str | None:
    if isinstance(value, Raw):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("HCL numbers are finite")
        return repr(value)
    if isinstance(value, str):
        return string(value)
    return None


def _key(name: str | Raw) -> str:
    if isinstance(name, Raw):  # a reference as key, as in a module's `providers` map
        return name.text
    return name if IDENT.match(name) else string(name)


def _value(value: object, indent: str) -> list[str]:
    """The lines of an expression; the first continues the line it starts on."""
    scalar = _scalar(value)
    if scalar is not None:
        return [scalar]
    inner = indent + "  "
    if isinstance(value, Call):
        lines = _value(value.value, indent)
        return [f"{value.name}({lines[0]}", *lines[1:-1], f"{lines[-1]})"] if len(lines) > 1 else [f"{value.name}({lines[0]})"]
    if isinstance(value, (list, tuple)):
        if not value:
            return ["[]"]
        items = [_scalar(v) for v in value]
        if all(i is not None for i in items) and len(", ".join(items)) <= ONE_LINE:
            return ["[" + ", ".join(items) + "]"]
        lines = ["["]
        for item in value:
            sub = _value(item, inner)
            lines += [inner + sub[0], *sub[1:-1], sub[-1] + ","] if len(sub) > 1 else [inner + sub[0] + ","]
        return lines + [indent + "]"]
    if isinstance(value, dict):
        if not value:
            return ["{}"]
        return ["{", *_body([Attr(k, v) for k, v in value.items()], inner, keys=True), indent + "}"]
    raise TypeError(f"no HCL form for {type(value).__name__}")


def _body(items: list, indent: str, keys: bool = False) -> list[str]:
    lines: list[str] = []
    group: list[tuple[str, str]] = []  # (name, value) of consecutive one-line attributes

    def flush() -> None:
        width = max((len(name) for name, _ in group), default=0)
        lines.extend(f"{indent}{name.ljust(width)} = {value}" for name, value in group)
        group.clear()

    for item in items:
        if isinstance(item, Attr):
            name = _key(item.name) if keys else item.name
            value = _value(item.value, indent)
            if len(value) == 1:
                group.append((name, value[0]))
                continue
            flush()
            lines += [f"{indent}{name} = {value[0]}", *value[1:]]
        elif isinstance(item, Block):
            flush()
            lines += _block(item, indent)
        elif isinstance(item, Comment):
            flush()
            lines.append(f"{indent}# {item.text}" if item.text else "")
        else:
            raise TypeError(f"not an HCL body item: {item!r}")
    flush()
    return lines


def _block(block: Block, indent: str) -> list[str]:
    head = " ".join([block.type, *(string(label) for label in block.labels)])
    if not block.body:
        return [f"{indent}{head} {{}}"]
    return [f"{indent}{head} {{", *_body(block.body, indent + "  "), f"{indent}}}"]


def dumps(blocks: list) -> str:
    """A file of top-level blocks (and comments), one blank line between blocks."""
    out: list[str] = []
    for item in blocks:
        if out and isinstance(item, Block):
            out.append("")
        out += _block(item, "") if isinstance(item, Block) else _body([item], "")
    return "\n".join(out) + "\n"


# --- layout: hclwrite.Format's indentation and alignment, on text -----------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_OPEN, _CLOSE = "([{", ")]}"


def _code(line: str) -> str:
    """The line without string contents and without a trailing comment."""
    text = _STRING.sub('""', line.strip())
    for marker in ("#", "//"):
        if text.startswith(marker):
            return ""
        text = text.split(f" {marker}", 1)[0]
    return text


def _net(code: str) -> int:
    return sum(1 for c in code if c in _OPEN) - sum(1 for c in code if c in _CLOSE)


def _assign(code: str) -> int | None:
    """Index of the ``=`` that makes this line an alignable assignment, as hclwrite decides."""
    match = re.search(r"(?<![=!<>])=(?![=>])", code)
    if match is None or match.start() == 0 or _net(code[match.start() :]) != 0:
        return None
    return match.start()


def layout(text: str) -> str:
    lines = [line.strip() for line in text.split("\n")]
    indents: list[int] = []
    shaped: list[tuple[str, str | None, str | None]] = []  # (indent, lead, rhs) ; rhs None: not aligned
    for line in lines:
        code = _code(line)
        net = _net(code)
        if net < 0:
            closed = -net
            while closed > 0 and indents:
                if closed >= indents[-1]:
                    closed -= indents.pop()
                else:
                    indents[-1] -= closed
                    closed = 0
        pad = "  " * len(indents) if line else ""
        if net > 0:
            indents.append(net)
        at = _assign(code)
        if at is None:
            shaped.append((pad, line, None))
        else:
            real = _index_in_line(line, at)
            shaped.append((pad, line[:real].rstrip(), line[real + 1 :].lstrip()))
    out: list[str] = []
    chain: list[tuple[str, str, str]] = []

    def flush() -> None:
        width = max((len(pad) + len(lead) for pad, lead, _ in chain), default=0)
        out.extend(f"{pad}{lead}{' ' * (width - len(pad) - len(lead))} = {rhs}" for pad, lead, rhs in chain)
        chain.clear()

    for pad, lead, rhs in shaped:
        if rhs is None:
            flush()
            out.append(f"{pad}{lead}")
        else:
            chain.append((pad, lead, rhs))
    flush()
    return "\n".join(out)


def _index_in_line(line: str, code_index: int) -> int:
    """Map an index in ``_code(line)`` (strings emptied) back to ``line``."""
    stripped = line.strip()
    position, code_position = 0, 0
    for match in _STRING.finditer(stripped):
        gap = match.start() - position
        if code_index < code_position + gap:
            break
        code_position += gap + 2
        position = match.end()
    return position + (code_index - code_position)
