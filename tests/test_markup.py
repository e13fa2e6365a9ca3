"""Markdown escaping (issue 20 class 8): a catalogue value reaches out/README.md and the runbooks
as the text it is, proven by a CommonMark parser (markdown-it-py, with GFM tables and
strikethrough), for hostile strings and for a whole hostile catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from conftest import ROOT, examples, nexusgen_here
from nexusgen.engine.markup import md, md_code

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
HOSTILE = [
    "<!-- the rest of the page is hidden",
    "-->",
    "a | b | c",
    "`code` and ``more``",
    "*bold* _em_ ~~strike~~",
    "[link](https://example.com) ![img](x.png)",
    "<script>alert(1)</script> <b>bold</b>",
    "costs $5 and $10: $x$",
    "&amp; &#60; &lt;",
    "# heading",
    "- item",
    "1. first",
    "> quote",
    "line one\nline two\r\n\nline four",
    "back\\slash\\",
    "trailing `",
    " spaced ",
]
ALPHABET = st.sampled_from(list("ab #-+=>|`*_[]()!<>&;$~\\\n\r\t0123456789.:/\"'") + ["<!--", "-->", "${{", "$("])


def inline_tokens(source: str) -> list:
    blocks = PARSER.parse(source)
    inline = [t for t in blocks if t.type == "inline"]
    assert len(inline) == 1, [t.type for t in blocks]
    return inline[0].children


def plain(value: str) -> str:
    """What the reader must see: line breaks are spaces, as in the escaped text."""
    return value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def text_of(children) -> str:
    assert all(t.type == "text" for t in children), [t.type for t in children]
    return "".join(t.content for t in children)


@pytest.mark.parametrize("value", HOSTILE)
def test_md_is_read_back_as_the_same_text(value: str):
    assert text_of(inline_tokens("x " + md(value))) == "x " + plain(value).rstrip(" ")
    assert text_of(inline_tokens(md(value.lstrip()))).strip() == plain(value.lstrip()).strip()


@given(st.lists(ALPHABET, min_size=1, max_size=30).map("".join))
@settings(max_examples=examples(300), deadline=None)
def test_md_round_trips_any_string(value: str):
    shown = text_of(inline_tokens("x " + md(value) + " y"))
    assert shown.split() == ("x " + plain(value) + " y").split()  # Markdown folds runs of spaces


@pytest.mark.parametrize("value", HOSTILE)
def test_md_keeps_a_table_row_one_row(value: str):
    tokens = PARSER.parse(f"| a | b |\n|---|---|\n| {md(value)} | end |\n")
    cells = [t for t in tokens if t.type == "inline"][2:]
    assert len(cells) == 2 and text_of(cells[1].children) == "end"
    assert text_of(cells[0].children).strip() == plain(value).strip()


@pytest.mark.parametrize("value", HOSTILE + ['sum(rate(x{result="ok|fail"}[5m]))'])
def test_md_code_is_one_code_span(value: str):
    (token,) = [t for t in inline_tokens("x " + md_code(value)) if t.type != "text"]
    assert token.type == "code_inline" and token.content == plain(value)
    row = PARSER.parse(f"| a |\n|---|\n| {md_code(value, cell=True)} |\n")
    (cell,) = [t for t in row if t.type == "inline"][1:]
    (code,) = cell.children
    assert code.type == "code_inline" and code.content == plain(value)


def hostile_catalogue(folder: Path) -> Path:
    """The minimal catalogue with Markdown in every prose field that reaches a Markdown file."""
    data = yaml.safe_load((ROOT / "tests" / "cases" / "minimal" / "services.yaml").read_text())
    data["project"]["description"] = "Shop <!-- everything after this would be hidden"
    for name, svc in data["services"].items():
        svc["description"] = f"{name} | <b>bold</b> `tick` $x$ [link](https://e.com) *em* &amp;"
        for metric in svc.get("metrics", []):
            metric["help"] = "Orders <!-- placed --> | counted"
    for infra in data["infrastructure"].values():
        infra["description"] = "<!-- store"
    for secret in data["secrets"].values():  # none reaches Markdown today; if one does, it is escaped
        secret["description"] = "<!-- secret"
    data["external"] = {"bank": {"description": "<!-- bank", "cidrs": ["203.0.113.0/24"], "ports": [443]}}
    data["services"]["api"]["depends_on"]["external"] = ["bank"]
    for alert in data["monitoring"]["alerts"]:
        alert["summary"] = "Orders <img src=x onerror=alert(1)> failing"
        alert["description"] = "Fewer than 90% | of `orders` <!-- succeed"
        alert["good"] = {label: "ok`|<!--" for label in alert["good"]}
    path = folder / "services.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_hostile_prose_arrives_as_text_in_every_markdown_file(tmp_path: Path):
    hostile_catalogue(tmp_path)
    result = nexusgen_here("render", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pages = sorted((tmp_path / "out").rglob("*.md"))
    assert len(pages) > 5
    seen = ""
    for page in pages:
        tokens = PARSER.parse(page.read_text())
        assert tokens[0].type == "html_block" and tokens[0].content.startswith("<!-- Generated by nexusgen")
        tokens = tokens[1:]  # the header is nexusgen's own comment
        kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
        assert not kinds & {"html_block", "html_inline"}, f"{page}: raw HTML from a catalogue value"
        seen += "\n".join(c.content for t in tokens for c in (t.children or []) if c.type in ("text", "code_inline"))
    for shown in ("Shop <!-- everything after this would be hidden", "<b>bold</b> `tick` $x$ [link](https://e.com) *em* &amp;",
                  "Orders <!-- placed --> | counted", "Orders <img src=x onerror=alert(1)> failing",
                  "Fewer than 90% | of `orders` <!-- succeed", "<!-- store"):
        assert shown in seen, f"{shown!r} does not arrive as text"
    readme = PARSER.parse((tmp_path / "out" / "README.md").read_text())
    rows = [t for t in readme if t.type == "tr_open"]
    assert len(rows) >= 1 + 2 + 1 + 1, "the service and infrastructure tables keep every row"


def test_diff_markdown_shows_hostile_values_as_text(tmp_path: Path):
    """`nexusgen diff --format markdown` escapes what it quotes from the catalogue (a PR comment)."""
    (tmp_path / "before").mkdir()
    (tmp_path / "before" / "services.yaml").write_text((ROOT / "tests" / "cases" / "minimal" / "services.yaml").read_text())
    hostile_catalogue(tmp_path)
    result = nexusgen_here("diff", "before/services.yaml", "services.yaml", "--format", "markdown", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = result.stdout.split("<details>")[0]
    tokens = PARSER.parse(summary)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
    assert not kinds & {"html_block", "html_inline"}, summary
    texts = "\n".join(c.content for t in tokens for c in (t.children or []) if c.type == "text")
    assert "result='ok`|<!--'" in texts, summary  # the alert's hostile label value, as written
