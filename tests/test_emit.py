"""The fast emitter writes exactly libyaml's bytes (nexusgen's dumper), for any plain data."""

from __future__ import annotations

import itertools
import json
from pathlib import PurePosixPath

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from nexusgen.engine.emit import Emitter, Unsupported
from nexusgen.engine.text import Whole, _libyaml, _style, dump_json, dump_yaml, finish, trailing_comments
from conftest import examples

# Characters libyaml's scalar analysis treats specially, and ones it does not.
SPECIAL = " -?:#,[]{}&*!|>'\"%@`.=~<+0129eExab\\\t\n"
scalars = st.one_of(
    st.text(alphabet=SPECIAL, max_size=8),
    st.text(max_size=12),
    st.sampled_from(["yes", "No", "on", "~", "null", "0o12", "1_000", "1:20", "2001-12-14", "<<", "=", ".inf", "---", "...",
                     "a\n", "a\n\n", " lead\nx", "x\n  indented\n", "trail \nx", "line\u2028sep", "tab\tx", "caf\u00e9"]),
    st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
)  # fmt: skip
keys = st.one_of(st.text(alphabet=SPECIAL, min_size=0, max_size=6), st.text(max_size=10), st.integers(), st.booleans())
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=25,
)


def fresh(dump=_libyaml) -> Emitter:
    return Emitter(dump, style=_style)


def same_as_libyaml(data: object) -> None:
    try:
        text = fresh().document(data)
    except Unsupported:
        return  # dump_yaml hands this document to libyaml
    assert text == _libyaml(data)


@settings(max_examples=examples(3000), deadline=None)
@given(st.one_of(st.lists(documents, max_size=4), st.dictionaries(keys, documents, max_size=4)))
def test_any_document_is_written_as_libyaml_writes_it(data):
    same_as_libyaml(data)


@settings(max_examples=examples(3000), deadline=None)
@given(st.one_of(st.lists(documents, max_size=4), st.dictionaries(keys, documents, max_size=4)))
def test_what_the_writer_writes_parses_back_to_what_it_was_given(data):
    """The proof ``finish`` relies on to skip parsing ``Whole`` text back: whatever the one writer
    (``dump_yaml``, ``dump_json``) is given comes back from a YAML or JSON reader unchanged, with a
    header comment before it, as ``finish`` writes it."""
    text = dump_yaml(data)
    assert type(text) is Whole
    assert yaml.load("# a header\n" + text, Loader=yaml.CSafeLoader) == data


json_documents = st.recursive(
    st.one_of(st.text(max_size=12), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=examples(1000), deadline=None)
@given(json_documents)
def test_what_the_json_writer_writes_parses_back_to_what_it_was_given(data):
    text = dump_json(data)
    assert type(text) is Whole
    assert json.loads(text) == data


def test_finish_parses_back_whatever_was_edited_after_the_writer():
    from nexusgen.errors import TemplateError

    broken = dump_yaml({"k": "v"}) + "  : : [\n"  # a plain str again: parsed back, and refused
    with pytest.raises(TemplateError):
        finish(PurePosixPath("x.yaml"), broken, "services.yaml")
    assert finish(PurePosixPath("x.yaml"), dump_yaml({"k": "v"}), "services.yaml").endswith("k: v\n")


@pytest.mark.parametrize("length", [1, 2, pytest.param(3, marks=pytest.mark.slow)])
def test_every_short_string_of_special_characters(length):
    emitter = fresh()  # one emitter for all: its memory must not change any text
    for chars in itertools.product(SPECIAL, repeat=length):
        text = "".join(chars)
        for data in ({"k": text}, [text], {text: 1}, {"k": [{"j": text}]}, [[text]]):
            try:
                assert emitter.document(data) == _libyaml(data), data
            except Unsupported:
                pass


def test_literal_blocks_follow_their_column():
    data = {"a": {"b": ["x\ny\n", {"c": "p\n\n q\n", "d": [["r\ns"]]}]}, "e": "  lead\nz"}
    assert fresh().document(data) == _libyaml(data)


def test_fast_path_covers_the_common_shapes():
    """Most scalars must not need libyaml at all, or the emitter is not worth having."""
    calls = []
    emitter = fresh(lambda data: calls.append(data) or _libyaml(data))
    data = {"metadata": {"name": "gateway", "labels": {"app.kubernetes.io/name": "gateway"}},
            "expr": 'rate(http_requests_total{job="gateway",code=~"5.."}[5m]) > 0.05',
            "image": "ghcr.io/nexus/gateway:1.2.3", "url": "http://gateway:8080/health", "summary": "It's down: see #ops"}  # fmt: skip
    assert emitter.document(data) == _libyaml(data)
    assert calls == []


def test_numbers_and_strings_yaml_would_misread_need_no_libyaml():
    """Ints, bools and None are plain; a string that reads as a number or a bool is quoted the way
    libyaml quotes it (double where the representer asks, single where YAML 1.1 would misread it)."""
    calls = []
    emitter = fresh(lambda data: calls.append(data) or _libyaml(data))
    data = {"port": 8080, "delta": -1, "big": 10**20, "on": True, "off": False, "none": None, "text": "8080",
            "flag": "true", "yes": "yes", "tilde": "~", "date": "2001-12-14", "merge": "<<", "octal": "0o12"}
    assert emitter.document(data) == _libyaml(data)
    assert calls == []


@pytest.mark.parametrize("text", ["#!/bin/sh", "#!/bin/sh\n", "#!/bin/sh\necho\n\n", "# syntax=docker/dockerfile:1\nFROM x",
                                  "", "\n\n", "a\r\nb\r\n", "x"])
def test_finish_puts_the_header_after_a_first_line_that_must_stay_first(text):
    header = "# Generated by nexusgen from s.yaml. Do not edit by hand: change s.yaml, then run `nexusgen render`.\n"
    body = text.replace("\r\n", "\n").strip("\n") + "\n"
    first, _, rest = body.partition("\n")
    expected = f"{first}\n{header}{rest}" if body.startswith(("#!", "# syntax=")) else header + body
    assert finish(PurePosixPath("run.sh"), text, "s.yaml") == expected


def test_what_it_cannot_write_goes_to_libyaml():
    for data in ("root scalar", {"k": "line\u2028sep"}, {"k" * 200: 1}, {"k": (1, 2)}):
        with pytest.raises(Unsupported):
            fresh().document(data)
        assert dump_yaml(data) == _libyaml(data)


PIN = "owner/action@" + "a" * 40
pinned = st.recursive(
    st.one_of(scalars, st.just(PIN), st.sampled_from([f"x: {PIN}\n", f"- {PIN}\n{PIN}\n", f"k: |\n  y: {PIN}\n"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=examples(1500), deadline=None)
@given(st.dictionaries(keys, pinned, min_size=1, max_size=4))
def test_trailing_comments_never_change_a_value(data):
    """A version comment after a pinned `uses:` is only ever a comment, never part of a value
    (not inside a literal block that happens to hold the same text)."""
    text = dump_yaml(data)
    commented = trailing_comments(text, {PIN: "v1.2.3"})
    assert yaml.safe_load(commented) == yaml.safe_load(text)


def test_trailing_comment_follows_a_pinned_uses():
    text = dump_yaml({"steps": [{"uses": PIN}, {"run": f"echo\nuses: {PIN}\n"}]})
    assert trailing_comments(text, {PIN: "v4"}).split("\n")[1] == f"- uses: {PIN}  # v4"
    assert trailing_comments(text, {PIN: "v4"}).count("# v4") == 1


@pytest.mark.parametrize("value", ["\n", "\n\n", "keep\n\n", "a\nb\n\n\n", " \n", "x\n"])
def test_trailing_newlines_survive_inside_a_template(value):
    """A ``|+`` block would end with a ``...`` document marker, which inside a template (``block``)
    ends the document early: such values are quoted instead, and arrive exactly."""
    from nexusgen.engine.templates import block

    text = "before: 1\nitems:\n  " + block({"k": [value]}, 2) + "\nafter: 2\n"
    assert yaml.safe_load(text) == {"before": 1, "items": {"k": [value]}, "after": 2}


def test_a_whole_text_embedded_as_a_value_is_written_as_a_string():
    inner = dump_json({"a": 1})
    assert dump_yaml({"data": {"x.json": inner}}) == dump_yaml({"data": {"x.json": str(inner)}})
