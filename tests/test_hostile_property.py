"""Property: a hostile string in any free-text or pattern-checked field is refused, located, or keeps its meaning.

Strings are built from a hostile alphabet (newlines, ``$``, ``${{``, ``$(``, quotes, backslashes,
``<!--``, ``-->``, NUL, bidirectional controls, Mermaid keywords) and put into one field of the
minimal catalogue at a time; the fields come from the catalogue's JSON Schema (every string that
is not an enum). The render (in-process, ``nexusgen_here``) must exit 2 with every line located,
or exit 0 with every YAML/JSON file parsing, the Dockerfiles holding the same instructions, and
the value arriving exactly where it is used: compose (after ``$$`` -> ``$``), Kubernetes (after
the kubelet's expansion), the Dockerfile's exec form, and PromQL matchers (as Prometheus parses them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import promql_parser
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import ROOT, examples, nexusgen_here
from nexusgen.catalogue.load import load_bytes
from nexusgen.engine.text import dump_yaml
from test_escape import kubelet_expand
from test_patterns import STRING_FIELDS, _first, put

MINIMAL = ROOT / "tests" / "cases" / "minimal" / "services.yaml"
PIECES = ["\n", "$", "${{", "$(", "$(DB_PASSWORD)", '"', "'", "\\", "<!--", "-->", "end", "click", "subgraph",
          "{{", "}}", "#", ": ", " ", "a", "-", "/", ".", "`", "%", "{", "}", "[", "]", "ok", "1.10", "no", "x"]  # fmt: skip
HIDDEN = ["\x00", "\u202e", "\u2066", "\u200f", "\x1b"]  # refused wherever they appear: drawn less often
hostile = st.lists(st.sampled_from(PIECES * 6 + HIDDEN), min_size=1, max_size=8).map("".join)
LOCATED = re.compile(r"services\.yaml:\d+:\d+: ")


def _base() -> dict:
    data = load_bytes(MINIMAL.read_bytes(), "services.yaml").data
    data["infrastructure"]["db"]["command"] = ["postgres", "-c", "max_connections=50"]
    return data


BASE = _base()
FIELDS = [(t, loc) for t in STRING_FIELDS if (loc := _first(BASE, t)) is not None]


# Fields whose value is followed into its artifacts (see _arrives): drawn more often.
MEANING = [(t, loc) for t, loc in FIELDS if ".".join(t) in (
    "services.*.config.*", "services.*.command.[]", "infrastructure.*.command.[]", "monitoring.alerts.[].good.*")]


def test_the_fields_cover_free_text_and_patterns():
    names = {".".join(t) for t, _ in FIELDS}
    for expected in ("services.*.description", "services.*.command.[]", "services.*.config.*", "runtimes.*.lint",
                     "infrastructure.*.command.[]", "monitoring.alerts.[].good.*", "services.*.metrics.[].help",
                     "monitoring.alerts.[].summary", "runtimes.*.build.tag", "services.<key>"):
        assert expected in names
    assert len(FIELDS) >= 60 and len(MEANING) == 4


def _instructions(dockerfile: str) -> list[str]:
    """The instruction keywords, continuation lines folded in (what BuildKit's parser sees)."""
    out, continued = [], False
    for line in dockerfile.split("\n"):
        if not continued and line.strip() and not line.lstrip().startswith("#"):
            out.append(line.split()[0])
        continued = line.endswith("\\") and not line.lstrip().startswith("#")
    return out


def _render(tmp_path: Path, data: dict) -> tuple[int, str, Path]:
    catalogue = tmp_path / "services.yaml"
    catalogue.write_text(dump_yaml(data))
    out = tmp_path / "out"
    result = nexusgen_here("render", "-q", "--catalogue", str(catalogue), "--out", str(out))
    return result.returncode, result.stderr, out


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> dict[str, list[str]]:
    code, err, out = _render(tmp_path_factory.mktemp("baseline"), BASE)
    assert code == 0, err
    return {p.relative_to(out).as_posix(): _instructions(p.read_text()) for p in out.rglob("Dockerfile")}


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(field=st.one_of(st.sampled_from(FIELDS), st.sampled_from(MEANING)), value=hostile)
def test_hostile_value_is_refused_or_keeps_its_meaning(tmp_path_factory, baseline, field, value: str):
    template, loc = field
    is_key = template[-1] == "<key>"
    code, err, out = _render(tmp_path_factory.mktemp("hostile"), put(BASE, loc, value, is_key)[0])
    event(f"exit {code}")
    assert code in (0, 2), f"{'.'.join(template)} = {value!r}: exit {code}\n{err}"
    if code == 2:
        lines = err.splitlines()
        assert lines and all(LOCATED.match(line) for line in lines[:-1]), err
        assert lines[-1].startswith("nexusgen: ") and "problem" in lines[-1], err
        return
    files = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*") if p.is_file()}
    for name, text in files.items():
        if name.endswith((".yml", ".yaml")):
            list(yaml.safe_load_all(text))
        elif name.endswith(".json"):
            json.loads(text)
        elif name.endswith("Dockerfile"):
            assert _instructions(text) == baseline[name], f"{name}: instructions changed by {value!r}"
    for expr in _promql(files):
        promql_parser.parse(expr)  # every rule, unit-test series and dashboard query still parses
    if not is_key:
        _arrives(template, loc, value, files)


def _promql(files: dict[str, str]) -> list[str]:
    found = []
    for name, text in files.items():
        if name.startswith("monitoring/prometheus/rules/"):
            found += [r["expr"] for g in yaml.safe_load(text)["groups"] for r in g["rules"]]
        elif name.startswith("monitoring/prometheus/tests/"):
            found += [s["series"] for t in yaml.safe_load(text)["tests"] for s in t["input_series"]]
        elif name.startswith("monitoring/grafana/dashboards/") and name.endswith(".json"):
            found += [t["expr"] for panel in json.loads(text)["panels"] for t in panel.get("targets", [])]
    return found


def _arrives(template: tuple[str, ...], loc: tuple, value: str, files: dict[str, str]) -> None:
    """The value, un-escaped by its consumer, is exactly the catalogue's."""
    where = ".".join(template)
    if where == "services.*.config.*":
        compose = yaml.safe_load(files["compose/docker-compose.yml"])
        assert compose["services"][loc[1]]["environment"][loc[3]].replace("$$", "$") == value
        maps = [d for n, t in files.items() if n.startswith("k8s/") and n.endswith(".yaml") for d in yaml.safe_load_all(t)
                if isinstance(d, dict) and d.get("kind") == "ConfigMap" and d.get("data", {}).get(loc[3]) == value]
        assert maps, "the ConfigMap carries the value exactly (envFrom is not expanded)"
    elif where == "services.*.command.[]":
        entry = next(line for line in files[f"docker/{loc[1]}/Dockerfile"].splitlines() if line.startswith("ENTRYPOINT "))
        assert json.loads(entry.removeprefix("ENTRYPOINT "))[loc[3]] == value
    elif where == "infrastructure.*.command.[]":
        compose = yaml.safe_load(files["compose/docker-compose.yml"])
        assert compose["services"][loc[1]]["command"][loc[3]].replace("$$", "$") == value
        sts = yaml.safe_load(files[f"k8s/base/infrastructure/{loc[1]}/statefulset.yaml"])
        args = sts["spec"]["template"]["spec"]["containers"][0]["args"]
        assert kubelet_expand(args[loc[3]], {"DB_PASSWORD": "s3cret"}) == value
    elif where == "monitoring.alerts.[].good.*":
        rules = yaml.safe_load(files["monitoring/prometheus/rules/business.yml"])
        expr = rules["groups"][0]["rules"][0]["expr"]
        assert _good_matchers(promql_parser.parse(expr)) == [value]


def _good_matchers(node) -> list[str]:
    if isinstance(node, promql_parser.VectorSelector):
        return [m.value for m in node.matchers.matchers if m.name == "result"]
    found = []
    for attr in ("args", "lhs", "rhs", "expr", "vector_selector"):
        child = getattr(node, attr, None)
        for item in child if isinstance(child, list) else [child]:
            if item is not None and type(item).__module__.startswith("promql_parser"):
                found += _good_matchers(item)
    return found
