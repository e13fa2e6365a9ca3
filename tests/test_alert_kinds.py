"""The business alert kinds are one registry (nexusgen/catalogue/alert_kinds.py) that drives the
catalogue model, validation, the rules, the dashboards, the runbooks and the promtool tests."""

from __future__ import annotations

import shutil
import subprocess
import typing
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, nexusgen_here
from nexusgen.catalogue import checks
from nexusgen.catalogue.alert_kinds import ALERT_KINDS, Query
from nexusgen.catalogue.model import BusinessAlert, Catalogue, Metric
from nexusgen.catalogue.schema import catalogue_schema
from nexusgen.families.monitoring.business import TESTS
from nexusgen.families.monitoring.model import format_value

SHOP = ROOT / "tests" / "invalid" / "alert-kind-mismatch" / "services.yaml"  # valid but for its alert's kind
MINIMAL = ROOT / "tests" / "cases" / "minimal" / "services.yaml"
TEMPLATES = ROOT / "nexusgen" / "families"
METRIC_TYPES = typing.get_args(Metric.model_fields["type"].annotation)


def test_the_registry_drives_the_model_and_its_schema():
    assert typing.get_args(BusinessAlert.model_fields["kind"].annotation) == tuple(ALERT_KINDS)
    schema = catalogue_schema()["$defs"]["BusinessAlert"]["properties"]["kind"]
    assert schema["enum"] == list(ALERT_KINDS)


def test_every_kind_has_its_promtool_tests():
    assert list(TESTS) == list(ALERT_KINDS)


@pytest.mark.parametrize("name", list(ALERT_KINDS))
def test_every_entry_is_complete(name: str):
    kind = ALERT_KINDS[name]
    assert kind.metric_type in METRIC_TYPES
    assert format_value(kind.value_format, 0.5)
    assert isinstance(kind.unit, str)
    expr = kind.expr(Query("app_thing", "app", ["venue"], "42", {"result": "ok"} if kind.needs_good else {}))
    assert "app_thing" in expr and expr.endswith("42"), expr
    template = kind.runbook(name)
    assert (TEMPLATES / "monitoring" / "templates" / template.removeprefix("monitoring/")).is_file(), template


def _shop(kind: str, metric_type: str, threshold: float = 0.9) -> dict:
    doc = yaml.safe_load(SHOP.read_text())
    doc["actions"] = yaml.safe_load(MINIMAL.read_text())["actions"]  # every action the workflows use, pinned
    doc["services"]["api"]["metrics"][0]["type"] = metric_type
    alert = doc["monitoring"]["alerts"][0]
    alert["kind"] = kind
    alert["threshold"] = threshold
    if ALERT_KINDS[kind].needs_good:
        alert["good"] = {"result": "ok"}
    return doc


@pytest.mark.parametrize("name", list(ALERT_KINDS))
@pytest.mark.parametrize("metric_type", METRIC_TYPES)
def test_validation_accepts_exactly_the_registrys_metric_type(name: str, metric_type: str):
    findings = checks.check(Catalogue.model_validate(_shop(name, metric_type)))
    on_kind = [msg for loc, msg in findings if loc[-1] == "kind"]
    assert bool(on_kind) == (metric_type != ALERT_KINDS[name].metric_type), findings
    assert not [f for f in findings if f[0][-1] != "kind"], findings


# Thresholds whose natural test value (1.5x, 0.5x, 2x, or half the ratio) sits on a rounding
# boundary of the description's format: the test must move its value, not exit 3.
AWKWARD = [("above", 0.667), ("below", 2.001), ("rate_above", 0.50025), ("ratio_below", 0.02001)]


@pytest.mark.parametrize("name, threshold", [(n, 0.9) for n in ALERT_KINDS] + AWKWARD)
def test_every_kind_renders_and_fires_under_promtool(name: str, threshold: float, tmp_path: Path):
    """The rule, its runbook, its dashboard panel and its promtool test, for each kind."""
    if shutil.which("promtool") is None:
        pytest.fail("promtool is required (Debian package prometheus)")
    catalogue = tmp_path / "services.yaml"
    catalogue.write_text(yaml.safe_dump(_shop(name, ALERT_KINDS[name].metric_type, threshold), sort_keys=False))
    out = tmp_path / "out"
    result = nexusgen_here("render", "--catalogue", str(catalogue), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (out / "monitoring" / "runbooks" / "OrdersFailing.md").is_file()
    kind = ALERT_KINDS[name]
    good = {"result": "ok"} if kind.needs_good else {}
    rules = yaml.safe_load((out / "monitoring" / "prometheus" / "rules" / "business.yml").read_text())
    expected = kind.expr(Query("shop_orders_total", "api", [] if good else ["result"], repr(threshold), good))
    assert rules["groups"][0]["rules"][0]["expr"] == expected
    board = (out / "monitoring" / "grafana" / "dashboards" / "trading.json").read_text()
    assert ("Orders placed (age)" in board) == kind.age_panel
    tests = out / "monitoring" / "prometheus" / "tests" / "business.yml"
    proc = subprocess.run(["promtool", "test", "rules", tests.name], cwd=tests.parent, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_reserved_alert_names_are_the_generated_ones():
    """Validation keeps business alerts off GENERATED_ALERTS; each has its own runbook template,
    and the monitoring family asserts at render time that it generates no other name."""
    from nexusgen.catalogue.reserved import GENERATED_ALERTS

    own = TEMPLATES / "monitoring" / "templates" / "runbooks" / "alerts"
    assert sorted(p.name.removesuffix(".md.j2") for p in own.glob("*.md.j2")) == sorted(GENERATED_ALERTS)


def test_saturation_thresholds_on_a_rounding_boundary_render_and_fire(tmp_path: Path):
    """cpu_ratio 0.985 made the CpuSaturation test value 1.0025 (ambiguous as a percentage): exit 3."""
    doc = _shop("rate_below", "counter")
    doc["monitoring"]["thresholds"] = {"cpu_ratio": 0.985, "memory_ratio": 0.991}
    catalogue = tmp_path / "services.yaml"
    catalogue.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = nexusgen_here("render", "--catalogue", str(catalogue), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    tests = tmp_path / "out" / "monitoring" / "prometheus" / "tests"
    proc = subprocess.run(["promtool", "test", "rules", "service-api.yml"], cwd=tests, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
