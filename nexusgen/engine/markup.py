"""Escaping for the two prose targets: Markdown (GitHub Flavored) and Mermaid flowcharts.

One function per target, used wherever that target is written (``templates.py`` registers the
Markdown ones as the ``md`` and ``md_code`` filters; ``mermaid.py`` uses the Mermaid ones):

- ``md``: a catalogue value as inline Markdown text (a table cell, a sentence). Line breaks become
  spaces (a newline would end a table row or start a block); every character CommonMark/GFM gives
  meaning inline is backslash-escaped (``<`` so ``<!--`` cannot open a comment that hides the rest
  of the page, ``|`` so a cell cannot split, ``$`` so GitHub's math does not start, ``[``/``]``,
  emphasis, code and strikethrough marks, an ``&`` that would start an entity); a leading block
  marker (``#``, ``-``, ``+``, ``=``, ``1.``) is escaped too.
- ``md_code``: a value as one inline code span, fenced with more backticks than the value holds
  (CommonMark 0.31 §6.1), line breaks as spaces (as a code span renders them); ``cell=True`` also
  escapes ``|`` for a GFM table cell (GFM 0.29 §4.10: the pipe splits cells even inside code).
- ``mermaid_label``: text inside a quoted Mermaid label (``["..."]``): ``"`` would end the
  label, ``<``/``>``/``&`` would be HTML, ``#`` starts Mermaid's entity codes (``#quot;``),
  so each becomes a numeric entity code; line breaks become spaces.
- ``mermaid_id``: a node or subgraph id: a fixed prefix per kind and the name with every
  character outside ``[A-Za-z0-9_]`` replaced, so no id is a keyword (``end``, ``click``,
  ``subgraph``, ``style``...) or starts with the ``o``/``x`` edge heads Mermaid reads after ``--``.
"""

from __future__ import annotations

import re

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u0085\u2028\u2029]")
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~$]|&(?=#?[A-Za-z0-9]+;))")
_MD_BLOCK_START = re.compile(r"^(\s*)([#+=-]|\d+(?=[.)]))")


def md(value: object) -> str:
    """``value`` as inline Markdown text that renders exactly as written."""
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _MD_INLINE.sub(r"\\\1", text)
    # "#", "-", "+", "=" escaped themselves; "1." and "1)" by escaping the character after the digits
    return _MD_BLOCK_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2)), text)


def md_code(value: object, cell: bool = False) -> str:
    """``value`` as one inline code span (``cell``: inside a GFM table row)."""
    text = _LINE_BREAKS.sub(" ", str(value))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ") and text.strip()):
        text = f" {text} "  # CommonMark strips one space from each side when both are present
    if cell:
        text = text.replace("|", "\\|")
    return f"{fence}{text}{fence}"


_MERMAID_ENTITIES = {'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}
_MERMAID_SPECIAL = re.compile(r'["#<>&]')


def mermaid_label(value: object) -> str:
    """Text for inside a quoted Mermaid label; the caller adds the quotes."""
    text = _LINE_BREAKS.sub(" ", str(value))
    return _MERMAID_SPECIAL.sub(lambda m: _MERMAID_ENTITIES[m.group(0)], text)


def mermaid_id(kind: str, name: str) -> str:
    """A node or subgraph id: ``<kind>_<name>`` with ``-`` (and anything else) as ``_``.

    ``kind`` is a short lower-case word (``svc``, ``infra``, ``ext``, ``ns``): no id can then be a
    Mermaid keyword, and DNS-label names (no ``_``) map one to one."""
    return f"{kind}_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
