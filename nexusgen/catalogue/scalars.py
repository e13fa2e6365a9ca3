"""The YAML 1.2 core schema's scalars, as the catalogue reads them, and the characters no catalogue
text may hold. The loader resolves every plain scalar here; the YAML writer (engine/text.py) quotes
any string these patterns would read as something else."""

from __future__ import annotations

import math
import re
from typing import Any

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"


PLAIN_SCALARS = [
    (NULL, re.compile(r"^(?:~|null|Null|NULL|)$")),
    (BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")),
    (INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")),
    (
        FLOAT,
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
    ),
]
SCALAR_TAGS = {STR, INT, FLOAT, BOOL, NULL}
# What a YAML escape ("\\0", "\\u202e") can put into a string but no catalogue text may hold: C0 and C1
# controls but tab and newline (a NUL makes a file binary to git, hiding its diff from review), and
# the Unicode bidirectional controls (Trojan Source, CVE-2021-42574): every key and value, one rule.
BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + "".join(chr(c) for c in sorted(BIDI)) + "]")
# Every non-string above starts with one of these (or is empty): any other plain scalar is a string.
NOT_STR_FIRST = frozenset("~nNtTfF0123456789+-.")


def hidden_character(text: str) -> str | None:
    """Why ``text`` may not stand in a catalogue (a control or bidirectional character), or None."""
    found = HIDDEN.search(text)
    if found is None:
        return None
    code = ord(found.group())
    what = "a bidirectional control: text would read differently from what it does" if code in BIDI else "a control character"
    return f"character U+{code:04X} at offset {found.start()} is {what}; it is not allowed"


def construct(tag: str, text: str) -> Any:
    if tag == STR:
        return text
    if tag == NULL:
        if text not in ("", "~", "null", "Null", "NULL"):
            raise ValueError(text)
        return None
    if tag == BOOL:
        if text.lower() not in ("true", "false"):
            raise ValueError(text)
        return text.lower() == "true"
    if tag == INT:
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)
    lowered = text.lower().lstrip("+")
    specials = {".inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
    return specials[lowered] if lowered in specials else float(text)
