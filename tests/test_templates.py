"""The template engine's fast paths give exactly what the plain definitions give.

``quote`` (the ``tojson`` filter) skips the JSON encoder's dispatch and the unsafe-character scan
where they cannot change the text; ``block`` (the ``yaml`` filter) remembers small mappings of
strings; ``Templates.render`` builds the context without Jinja's per-call copy of the globals.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexusgen.engine.templates import _YAML_UNSAFE, Templates, block, quote
from nexusgen.engine.text import dump_yaml
from nexusgen.errors import TemplateError
from conftest import examples


def plain_quote(value: object) -> str:
    """The filter's definition: a JSON literal, with what YAML would misread escaped."""
    text = json.dumps(value, ensure_ascii=False)
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


values = st.recursive(
    st.one_of(st.text(), st.text(alphabet="\x7f\x85\u2028\ufeff\"\\\n a1"), st.integers(), st.booleans(), st.none(),
              st.floats(allow_nan=False, allow_infinity=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=examples(2000), deadline=None)
@given(values)
def test_quote_is_the_json_literal_with_yaml_unsafe_characters_escaped(value):
    assert quote(value) == plain_quote(value)


def test_quote_of_strings_that_look_like_other_scalars():
    for value in ("1.10", "no", "null", "true", "\x7f", "caf\u00e9", "a\u2028b", ""):
        assert quote(value) == plain_quote(value)
    assert [quote(v) for v in (0, -7, True, False, None)] == ["0", "-7", "true", "false", "null"]


@pytest.mark.parametrize("indent", [0, 4])
def test_block_remembers_only_mappings_of_strings(indent):
    """A remembered mapping of strings is never the answer for an equal-looking mapping of others."""
    strings = {"a": "1", "b": "x"}
    assert block(strings, indent) == block(dict(strings), indent) == dump_yaml(strings).rstrip("\n").replace(
        "\n", "\n" + " " * indent)
    for other in ({"a": 1, "b": "x"}, {"a": ["1"], "b": "x"}, {"a": {"c": "1"}, "b": "x"}, {"a": True, "b": "x"}):
        assert block(other, indent) == dump_yaml(other).rstrip("\n").replace("\n", "\n" + " " * indent)


def test_templates_see_the_globals_and_their_context(tmp_path: Path):
    """Jinja's globals (range, namespace), imported macros, and the render's own values."""
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "_m.j2").write_text("{% macro twice(x) %}{{ x }}{{ x }}{% endmacro %}")
    (tmp_path / "t" / "page.j2").write_text(
        '{% import "t/_m.j2" as m %}{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}'
        "{% endfor %}{{ ns.n }} {{ m.twice(word) }} {{ word | tojson }}\n")
    engine = Templates(tmp_path)
    assert engine.render("t/page.j2", word="ab") == '3 abab "ab"\n'
    assert engine.render("t/page.j2", word="c") == '3 cc "c"\n'  # nothing of the first render remains


def test_an_undefined_value_is_a_template_error(tmp_path: Path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "page.j2").write_text("{{ missing }}\n")
    with pytest.raises(TemplateError, match="template t/page.j2: 'missing' is undefined"):
        Templates(tmp_path).render("t/page.j2")
