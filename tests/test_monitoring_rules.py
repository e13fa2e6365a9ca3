"""Alert and recording rules: promtool accepts them, their generated unit tests pass and can fail,
every alert has a firing and a silent test and a runbook, and the cluster objects carry the same rules."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import CATALOGUE, ROOT, nexusgen_here, tool

PROM = Path("monitoring/prometheus")
CLUSTER = Path("k8s/base/observability")
SEVERITY = {"P1": "critical", "P2": "warning", "P3": "info"}


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rule_files(out: Path) -> list[Path]:
    return sorted((out / PROM / "rules").glob("*.yml"))


def alert_rules(out: Path) -> list[dict]:
    """Every alerting rule of every rendered rule file, with the file it came from."""
    return [
        {**rule, "file": path.name}
        for path in rule_files(out) for group in load(path)["groups"] for rule in group["rules"] if "alert" in rule
    ]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


def catalogue() -> dict:
    return load(CATALOGUE)


def test_promtool_check_rules(rendered: Path):
    files = rule_files(rendered)
    assert {f.stem for f in files} >= {"recording", "business", "platform"}
    result = run(tool("promtool"), "check", "rules", *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


def test_promtool_unit_tests_pass(rendered: Path):
    tests = sorted((rendered / PROM / "tests").glob("*.yml"))
    assert [t.stem for t in tests] == [f.stem for f in rule_files(rendered)], "one test file per rule file"
    result = run(tool("promtool"), "test", "rules", *map(str, tests))
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr
    assert result.stdout.count("SUCCESS") == len(tests)


@pytest.mark.parametrize("mutation, expect", [
    ("vector(0) > 1", "firing"),  # an alert that never fires fails its firing cases
    ("vector(1)", "silent"),  # an alert that always fires fails its silent case
])
def test_unit_tests_catch_a_broken_rule(rendered: Path, tmp_path: Path, mutation: str, expect: str):
    """The generated tests are not vacuous: break every alert and every alert name is reported."""
    copy = tmp_path / "prometheus"
    shutil.copytree(rendered / PROM, copy)
    names = set()
    for path in sorted((copy / "rules").glob("*.yml")):
        doc = load(path)
        for group in doc["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    rule["expr"] = mutation
                    names.add(rule["alert"])
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    if expect == "silent":
        names.discard("Watchdog")  # fires all the time by design: it has no silent case
    result = run(tool("promtool"), "test", "rules", *map(str, sorted((copy / "tests").glob("*.yml"))))
    assert result.returncode != 0
    reported = {line.split("alertname: ")[1].split(",")[0] for line in (result.stdout + result.stderr).splitlines() if "alertname: " in line}
    assert reported == names, f"{expect} cases missing for {sorted(names - reported)}"


def test_error_ratio_alert_is_silent_on_a_trickle_of_traffic(rendered: Path, tmp_path: Path):
    """Without its traffic guard, HighErrorRate would fire on one failed request of one: the
    generated quiet case (every answer a 5xx, at half the minimum rate) must catch that."""
    copy = tmp_path / "prometheus"
    shutil.copytree(rendered / PROM, copy)
    stripped = 0
    for path in sorted((copy / "rules").glob("service-*.yml")):
        doc = load(path)
        for group in doc["groups"]:
            for rule in group["rules"]:
                if rule.get("alert") == "HighErrorRate":
                    rule["expr"] = rule["expr"].split(" and on(job) ")[0]
                    stripped += 1
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert stripped
    result = run(tool("promtool"), "test", "rules", *map(str, sorted((copy / "tests").glob("service-*.yml"))))
    assert result.returncode != 0
    output = (result.stdout + result.stderr).splitlines()
    reported = {line.split("alertname: ")[1].split(",")[0] for line in output if "alertname: " in line}
    assert reported == {"HighErrorRate"}


def test_execution_failures_needs_volume_before_it_pages(rendered: Path, tmp_path: Path):
    """Issue 14: one rejected order paged P1. Without the minimum-volume guard the generated quiet
    case (only failures, at half the minimum rate) fires."""
    rule = next(r for r in alert_rules(rendered) if r["alert"] == "ExecutionFailures")
    assert rule["labels"]["priority"] == "P1" and " and sum by (exchange) (rate(" in rule["expr"]
    copy = tmp_path / "prometheus"
    shutil.copytree(rendered / PROM, copy)
    path = copy / "rules" / "business.yml"
    doc = load(path)
    for group in doc["groups"]:
        for r in group["rules"]:
            if r.get("alert") == "ExecutionFailures":
                r["expr"] = r["expr"].split(" and sum by")[0]
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = run(tool("promtool"), "test", "rules", str(copy / "tests" / "business.yml"))
    assert result.returncode != 0 and "ExecutionFailures" in result.stdout + result.stderr


@pytest.mark.slow  # reads every rule test of a full render
def test_every_alert_has_a_firing_test_a_silent_test_and_a_runbook(rendered: Path):
    """Done-when check, from the rendered files alone: rules on one side, unit tests and runbooks on the other."""
    firing, silent = set(), set()
    covered_files: dict[str, set[str]] = {}
    for path in sorted((rendered / PROM / "tests").glob("*.yml")):
        doc = load(path)
        loaded = {Path(f).name for f in doc["rule_files"]}
        for group in doc["tests"]:
            for case in group.get("alert_rule_test", []):
                covered_files.setdefault(case["alertname"], set()).update(loaded)
                if case["exp_alerts"]:
                    firing.update((case["alertname"], a["exp_labels"]["service"]) for a in case["exp_alerts"])
                else:
                    silent.add(case["alertname"])
    rules = alert_rules(rendered)
    assert rules
    for rule in rules:
        key = (rule["alert"], rule["labels"]["service"])
        assert key in firing, f"no firing test for {key}"
        assert rule["alert"] in silent or rule["alert"] == "Watchdog", f"no silent test for {rule['alert']}"
        assert rule["file"] in covered_files[rule["alert"]], f"the tests of {rule['alert']} do not load {rule['file']}"
        base = catalogue()["monitoring"]["runbook_base_url"]
        url = rule["annotations"]["runbook_url"]
        assert url == f"{base}/{rule['alert']}.md"
        assert (rendered / "monitoring" / "runbooks" / url.removeprefix(base + "/")).is_file(), url


def test_alert_labels_and_annotations(rendered: Path):
    cat = catalogue()
    components = {*cat["services"], *cat["infrastructure"]}
    for rule in alert_rules(rendered):
        labels, notes = rule["labels"], rule["annotations"]
        assert labels["severity"] == SEVERITY[labels["priority"]], rule["alert"]
        assert labels["service"] in components, rule["alert"]
        assert set(notes) == {"summary", "description", "runbook_url"}
        assert "$value" in notes["description"], f"{rule['alert']} does not show its firing value"


def test_tiers_and_catalogue_alerts(rendered: Path):
    """P1 pages for down services and the catalogue's P1s; P2 for errors, latency, saturation; P3 notices."""
    cat = catalogue()
    by_key = {(r["alert"], r["labels"]["service"]): r for r in alert_rules(rendered)}
    scraped = [name for name, svc in cat["services"].items() if svc["ports"].get("metrics")]
    thresholds = cat["monitoring"]["thresholds"]
    for name in scraped:
        assert by_key[("ServiceDown", name)]["labels"]["priority"] == "P1"
        assert f'job="{name}"' in by_key[("ServiceDown", name)]["expr"]
        for alert in ("HighErrorRate", "HighLatency", "CpuSaturation", "MemorySaturation", "FrequentRestarts"):
            assert by_key[(alert, name)]["labels"]["priority"] == "P2", (alert, name)
        ratio, guard = by_key[("HighErrorRate", name)]["expr"].split(" and on(job) ")
        assert ratio.endswith(f"> {thresholds['error_ratio']}")
        assert guard == f'job:http_requests:rate5m{{job="{name}"}} >= {thresholds["min_request_rate"]}'
        assert by_key[("HighLatency", name)]["expr"].endswith(f"> {float(thresholds['latency_p99_seconds']):g}")
    for alert in cat["monitoring"]["alerts"]:
        rule = by_key[(alert["alert"], alert["service"])]
        assert rule["labels"]["priority"] == alert["priority"]
        assert rule["for"] == alert["for"]
        assert alert["metric"] in rule["expr"]
        assert rule["annotations"]["summary"] == alert["summary"]
    priorities = {r["labels"]["priority"] for r in by_key.values()}
    assert priorities == {"P1", "P2", "P3"}
    assert any(a == "CertificateExpiringSoon" for a, _ in by_key) and any(a == "VolumeSpaceLow" for a, _ in by_key)


def test_recording_rules_use_the_catalogue_metrics(rendered: Path):
    mon = catalogue()["monitoring"]
    rules = load(rendered / PROM / "rules" / "recording.yml")["groups"][0]["rules"]
    exprs = " ".join(r["expr"] for r in rules)
    assert mon.get("http_requests_metric", "http_requests_total") in exprs
    assert mon.get("http_duration_metric", "http_request_duration_seconds") + "_bucket" in exprs
    recorded = {r["record"] for r in rules}
    for rule in alert_rules(rendered):
        if rule["alert"] in ("HighErrorRate", "HighLatency"):
            assert rule["expr"].split("{")[0] in recorded, "the alert reads a recording rule"


# The PrometheusRule CRD's schema for spec (monitoring.coreos.com/v1), as far as nexusgen writes it.
PROMETHEUS_RULE_SPEC = {
    "type": "object",
    "additionalProperties": False,
    "required": ["groups"],
    "properties": {"groups": {"type": "array", "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "rules"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "interval": {"type": "string"},
            "rules": {"type": "array", "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["expr"],
                "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
                "properties": {
                    "alert": {"type": "string"}, "record": {"type": "string"}, "expr": {"type": "string"},
                    "for": {"type": "string", "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }},
        },
    }}},
}


def test_prometheusrule_objects_carry_the_rule_files(rendered: Path):
    files = {p.stem: load(p) for p in rule_files(rendered)}
    objects = sorted((rendered / CLUSTER).glob("prometheusrule-*.yaml"))
    assert {p.stem.removeprefix("prometheusrule-") for p in objects} == set(files)
    for path in objects:
        doc = load(path)
        assert (doc["apiVersion"], doc["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
        assert "namespace" not in doc["metadata"]
        jsonschema.validate(doc["spec"], PROMETHEUS_RULE_SPEC)
        assert doc["spec"]["groups"] == files[path.stem.removeprefix("prometheusrule-")]["groups"]


def test_another_catalogue_renders_rules_whose_tests_pass(tmp_path: Path):
    """Not tuned to one catalogue: the minimal case (other thresholds, a ratio_below alert) passes too."""
    out = tmp_path / "out"
    result = nexusgen_here("render", "--catalogue", str(ROOT / "tests/cases/minimal/services.yaml"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    tests = sorted((out / PROM / "tests").glob("*.yml"))
    checked = run(tool("promtool"), "test", "rules", *map(str, tests))
    assert checked.returncode == 0, checked.stdout[-5000:]
    assert "OrdersFailing" in {r["alert"] for r in alert_rules(out)}


def test_watchdog_always_fires(rendered: Path):
    """The dead man's switch: an alert that fires all the time, so its absence at the heartbeat monitor is the signal."""
    [watchdog] = [r for r in alert_rules(rendered) if r["alert"] == "Watchdog"]
    assert watchdog["expr"] == "vector(1)"
