"""The loader's plain-scalar resolution: YAML 1.2 core schema, with a first-character shortcut."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from nexusgen.catalogue.load import load_bytes
from nexusgen.catalogue.scalars import NOT_STR_FIRST, PLAIN_SCALARS

# Every character the core schema's patterns use, and a few they do not.
ALPHABET = "~nNtTfF0123456789+-.eEoxXaluRUALSbcdinfI _:/#"


def _resolves(text: str) -> bool:
    return any(pattern.match(text) for _, pattern in PLAIN_SCALARS)


def test_only_strings_skip_the_core_schema():
    """A plain scalar whose first character is outside ``NOT_STR_FIRST`` is a string by every pattern."""
    for size in range(4):
        for chars in itertools.product(ALPHABET, repeat=size):
            text = "".join(chars)
            if _resolves(text):
                assert text == "" or text[0] in NOT_STR_FIRST, text


@given(st.one_of([st.from_regex(pattern, fullmatch=True) for _, pattern in PLAIN_SCALARS]))
def test_whatever_the_patterns_match_passes_the_shortcut(text: str):
    assert text == "" or text[0] in NOT_STR_FIRST, text


def test_plain_scalars_load_by_the_core_schema():
    cases = {
        "null": None, "~": None, "true": True, "FALSE": False, "12": 12, "-3": -3, "0o17": 15, "0x1F": 31,
        "1.5": 1.5, "-1e3": -1000.0, ".inf": float("inf"), "-.Inf": float("-inf"),
        "no": "no", "on": "on", "yes": "yes", "y": "y", "1.10.2": "1.10.2", "nginx": "nginx", "Team": "Team",
        "tcp": "tcp", "_x": "_x", "v1": "v1", "+": "+", "-x": "-x", ".git": ".git",
    }  # fmt: skip
    text = "".join(f"k{i}: {source}\n" for i, source in enumerate(cases))
    data = load_bytes(text.encode(), "t.yaml").data
    for i, (source, expected) in enumerate(cases.items()):
        assert data[f"k{i}"] == expected and type(data[f"k{i}"]) is type(expected), source
