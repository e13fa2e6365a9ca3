"""Each escaping function round-trips hostile strings through its consumer's own rules.

PromQL: promql-parser (Prometheus's grammar) reads the matcher back as the value, and promtool
evaluates a rule whose ``good`` label tries to close its matcher: the rule still means the value.
Kubernetes: a port of the kubelet's ``$(VAR)`` expansion gives the value back unchanged.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import promql_parser
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, examples, nexusgen_here, tool
from nexusgen.escape import kubernetes_literal, promql_matchers, promql_string
from nexusgen.engine.text import dump_yaml

HOSTILE = ['ok",result=~".*', 'a\\', '\\"', "x\ny", "$(POSTGRES_PASSWORD)", "$$(X)", "\u00e9$\u00e9", "}", "\t", "'", "`"]
text = st.one_of(st.sampled_from(HOSTILE), st.text(st.characters(exclude_categories=("Cs",)), max_size=30))


def _matchers(expr: str) -> dict[str, str]:
    parsed = promql_parser.parse(expr)
    return {m.name: m.value for m in parsed.matchers.matchers}


@settings(max_examples=examples(300), deadline=None)
@given(value=text)
def test_promql_string_parses_back_to_the_value(value: str):
    assert _matchers(f"m{{label={promql_string(value)},job=\"x\"}}") == {"label": value, "job": "x"}
    assert _matchers("m" + promql_matchers({"b": value, "a": "plain"})) == {"a": "plain", "b": value}


def test_unescaped_value_would_close_the_matcher():
    """The attack the escaping stops: written raw, the value adds a matcher of its own (with
    Prometheus 3's ``or`` in braces, one that matches every series)."""
    value = 'ok",result=~".*'
    parsed = promql_parser.parse(f'm{{result="{value}"}}').matchers.matchers
    assert [(m.name, m.value) for m in parsed] == [("result", "ok"), ("result", ".*")]
    everything = 'x" or job=~".*'
    assert promql_parser.parse(f'm{{result="{everything}"}}').matchers.or_matchers
    assert _matchers("m" + promql_matchers({"result": everything})) == {"result": everything}


# --- Kubernetes $(VAR) --------------------------------------------------------------------


def kubelet_expand(value: str, env: dict[str, str]) -> str:
    """kubernetes third_party/forked/golang/expansion/expand.go ``Expand``, byte for byte (Go indexes bytes)."""
    data = value.encode()
    out = bytearray()
    checkpoint, cursor = 0, 0
    while cursor < len(data):
        if data[cursor : cursor + 1] == b"$" and cursor + 1 < len(data):
            out += data[checkpoint:cursor]
            rest = data[cursor + 1 :]
            if rest[:1] == b"$":
                read, advance = b"$", 1
            elif rest[:1] == b"(":
                close = rest.find(b")", 1)
                if close != -1:
                    name = rest[1:close].decode()
                    read, advance = env.get(name, f"$({name})").encode(), close + 1
                else:
                    read, advance = b"$(", 1
            else:  # "$" and the next byte, that byte read as a rune (string(input[0]) in Go)
                read, advance = b"$" + chr(rest[0]).encode(), 1
            out += read
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    return (bytes(out) + data[checkpoint:]).decode("utf-8", "replace")


def test_kubelet_port_expands_like_the_kubelet():
    env = {"POSTGRES_PASSWORD": "s3cret"}
    assert kubelet_expand("cluster_name=$(POSTGRES_PASSWORD)", env) == "cluster_name=s3cret"
    assert kubelet_expand("$$(POSTGRES_PASSWORD)", env) == "$(POSTGRES_PASSWORD)"
    assert kubelet_expand("$(UNKNOWN) $x $", env) == "$(UNKNOWN) $x $"


@settings(max_examples=examples(300), deadline=None)
@given(value=text)
def test_kubernetes_literal_round_trips(value: str):
    env = {"POSTGRES_PASSWORD": "s3cret", "X": "expanded"}
    assert kubelet_expand(kubernetes_literal(value), env) == value


def test_kubernetes_command_args_env_and_probes_are_escaped(tmp_path: Path):
    """Every field the kubelet expands gets the escape: infrastructure args, exec probes, sidecar env."""
    data = yaml.safe_load((ROOT / "services.yaml").read_text())
    postgres = data["infrastructure"]["postgres"]
    postgres["command"] = ["postgres", "-c", "cluster_name=$(POSTGRES_PASSWORD)"]
    postgres["healthcheck"] = ["pg_isready", "-d", "$(POSTGRES_PASSWORD)"]
    postgres["exporter"]["config"]["PG_EXPORTER_EXTEND_QUERY_PATH"] = "/x/$(POSTGRES_PASSWORD)"
    catalogue = tmp_path / "services.yaml"
    catalogue.write_text(dump_yaml(data))
    out = tmp_path / "out"
    result = nexusgen_here("render", "-q", "--catalogue", str(catalogue), "--out", str(out))
    assert result.returncode == 0, result.stderr
    sts = yaml.safe_load((out / "k8s/base/infrastructure/postgres/statefulset.yaml").read_text())
    main, exporter = sts["spec"]["template"]["spec"]["containers"]
    env = {"POSTGRES_PASSWORD": "s3cret"}
    assert [kubelet_expand(a, env) for a in main["args"]] == postgres["command"]
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert [kubelet_expand(a, env) for a in main[probe]["exec"]["command"]] == postgres["healthcheck"]
    values = {e["name"]: kubelet_expand(e["value"], env) for e in exporter["env"] if "value" in e}
    assert values["PG_EXPORTER_EXTEND_QUERY_PATH"] == "/x/$(POSTGRES_PASSWORD)"


# --- PromQL, proven by promtool -------------------------------------------------------------

INJECTION = 'ok",result=~".*'


def _render_hostile_good(tmp_path: Path) -> Path:
    data = yaml.safe_load((ROOT / "tests" / "cases" / "minimal" / "services.yaml").read_text())
    data["monitoring"]["alerts"][0]["good"] = {"result": INJECTION}
    catalogue = tmp_path / "services.yaml"
    catalogue.write_text(dump_yaml(data))
    out = tmp_path / "out"
    result = nexusgen_here("render", "-q", "--catalogue", str(catalogue), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def _promtool_test(tmp_path: Path, rules: Path, expr: str, series: str, samples: list[dict]) -> subprocess.CompletedProcess:
    test = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [{"series": series, "values": "0+60x30"}],
            "promql_expr_test": [{"expr": expr, "eval_time": "20m", "exp_samples": samples}],
        }],
    }
    path = tmp_path / "injection-test.yml"
    path.write_text(json.dumps(test))
    return subprocess.run([tool("promtool"), "test", "rules", str(path)], capture_output=True, text=True, timeout=120)


def test_promql_good_label_means_the_value(tmp_path: Path):
    out = _render_hostile_good(tmp_path)
    rules = out / "monitoring/prometheus/rules/business.yml"
    rule = yaml.safe_load(rules.read_text())["groups"][0]["rules"][0]
    expr = rule["expr"]
    selectors = [s for s in _selectors(promql_parser.parse(expr)) if "result" in s]
    assert selectors == [{"job": selectors[0]["job"], "result": INJECTION}], "the matcher holds the value, nothing more"
    job = selectors[0]["job"]

    # Only failed orders: the ratio of good ones is 0, so the P1 alert's expression yields a sample.
    failed = f'shop_orders_total{{job="{job}",result="error"}}'
    fired = _promtool_test(tmp_path, rules, expr, failed, [{"labels": "{}", "value": 0}])
    assert fired.returncode == 0, fired.stdout + fired.stderr
    # Series whose label is exactly the hostile string are the good ones: ratio 1, no sample.
    good = "shop_orders_total" + promql_matchers({"job": job, "result": INJECTION})
    calm = _promtool_test(tmp_path, rules, expr, good, [])
    assert calm.returncode == 0, calm.stdout + calm.stderr
    # The expression written the old way (the value pasted raw) means something else: it reads
    # result="ok" and result=~".*", so the same good orders count as none and it fires.
    raw = expr.replace(promql_string(INJECTION), f'"{INJECTION}"')
    assert raw != expr
    wrong = _promtool_test(tmp_path, rules, raw, good, [])
    assert wrong.returncode != 0, "the unescaped expression should have misread the good orders"


def test_generated_rule_tests_pass_with_a_hostile_good_label(tmp_path: Path):
    out = _render_hostile_good(tmp_path)
    prom = out / "monitoring/prometheus"
    checked = subprocess.run([tool("promtool"), "check", "rules", str(prom / "rules/business.yml")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([tool("promtool"), "test", "rules", str(prom / "tests/business.yml")], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def _selectors(node) -> list[dict[str, str]]:
    """The label matchers of every vector selector in a parsed expression."""
    found = []
    if isinstance(node, promql_parser.VectorSelector):
        return [{m.name: m.value for m in node.matchers.matchers}]
    for attr in ("args", "lhs", "rhs", "expr", "vector_selector", "param"):
        child = getattr(node, attr, None)
        for item in child if isinstance(child, list) else [child]:
            if item is not None and type(item).__module__.startswith("promql_parser"):
                found += _selectors(item)
    return found
