"""Dashboards, Grafana provisioning and the cluster's observability folder; YAML hygiene; determinism."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path, PurePosixPath

import kubernetes_validate
import yaml

from conftest import CATALOGUE, ROOT, tool
from nexusgen.catalogue import parse
from nexusgen.plan import build
from nexusgen.families import templates as family_templates
from nexusgen.families import monitoring

DASHBOARDS = Path("monitoring/grafana/dashboards")
CLUSTER = Path("k8s/base/observability")
TITLES = {"overview": "System Overview", "trading": "Trading Operations", "infrastructure": "Infrastructure"}


def catalogue() -> dict:
    return yaml.safe_load(CATALOGUE.read_text())


def boards(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((out / DASHBOARDS).glob("*.json"))}


def exprs(board: dict) -> str:
    return "\n".join(t["expr"] for p in board["panels"] for t in p.get("targets", []))


def test_three_dashboards_with_sound_layout(rendered: Path):
    found = boards(rendered)
    assert {slug: b["title"].split(" ", 1)[1] for slug, b in found.items()} == TITLES
    uids = [b["uid"] for b in found.values()]
    assert len(set(uids)) == len(uids) and all(len(u) <= 40 for u in uids)
    for slug, board in found.items():
        ids = [p["id"] for p in board["panels"]]
        assert ids == list(range(1, len(ids) + 1)), slug
        cells = set()
        for panel in board["panels"]:
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24, (slug, panel["title"])
            for x in range(pos["x"], pos["x"] + pos["w"]):
                for y in range(pos["y"], pos["y"] + pos["h"]):
                    assert (x, y) not in cells, f"{slug}: {panel['title']} overlaps another panel"
                    cells.add((x, y))
            for target in panel.get("targets", []):
                assert target["datasource"] == panel["datasource"]


def test_dashboards_show_what_the_issue_asks(rendered: Path):
    cat = catalogue()
    found = boards(rendered)
    overview = exprs(found["overview"])
    for needle in ('ALERTS{alertstate="firing"}', "up{", "error", "container_cpu_usage_seconds_total",
                   "container_memory_working_set_bytes"):
        assert needle in overview, needle
    trading = exprs(found["trading"])
    for name, svc in cat["services"].items():
        for metric in svc.get("metrics", []):
            assert metric["name"] in trading, f"trading dashboard misses {name}'s {metric['name']}"
    for alert in cat["monitoring"]["alerts"]:
        assert alert["alert"] in trading
    infra = exprs(found["infrastructure"])
    for needle in ("pg_", "redis_keyspace_hits_total", "rabbitmq_queue_messages_ready", "kubelet_volume_stats"):
        assert needle in infra, needle


def test_grafana_provisioning_points_at_the_compose_prometheus(rendered: Path):
    infra = catalogue()["infrastructure"]
    prov = rendered / "monitoring/grafana/provisioning"
    sources = yaml.safe_load((prov / "datasources/prometheus.yml").read_text())["datasources"]
    assert [s["url"] for s in sources] == [f"http://prometheus:{infra['prometheus']['port']}"]
    uids = {p["datasource"]["uid"] for b in boards(rendered).values() for p in b["panels"] if "datasource" in p}
    assert uids == {sources[0]["uid"]}
    providers = yaml.safe_load((prov / "dashboards/nexus.yml").read_text())["providers"]
    assert [p["options"]["path"] for p in providers] == ["/var/lib/grafana/dashboards"]


def test_observability_folder_builds_and_validates(rendered: Path):
    folder = rendered / CLUSTER
    listed = yaml.safe_load((folder / "kustomization.yaml").read_text())
    assert "namespace" not in listed
    assert sorted(listed["resources"]) == sorted(p.name for p in folder.iterdir() if p.name != "kustomization.yaml")
    built = subprocess.run([tool("kubectl"), "kustomize", str(folder)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    docs = list(yaml.safe_load_all(built.stdout))
    kinds = sorted(d["kind"] for d in docs)
    assert set(kinds) == {"ConfigMap", "PrometheusRule"}
    dashboards = boards(rendered)
    for doc in docs:
        assert "namespace" not in doc["metadata"]
        if doc["kind"] != "ConfigMap":
            continue  # PrometheusRule (a CRD) is checked against its schema in test_monitoring_rules
        kubernetes_validate.validate(doc, "1.33.0", strict=True)  # raises on any schema finding
        assert doc["metadata"]["labels"]["grafana_dashboard"] == "1"
        (key, text), = doc["data"].items()
        slug = key.removesuffix(".json").split("-", 1)[1]
        assert json.loads(text) == dashboards[slug]
        assert len(text.encode()) < 1024 * 1024, "a ConfigMap holds at most 1 MiB"


def test_yamllint(rendered: Path):
    files = [*sorted((rendered / "monitoring").rglob("*.yml")), *sorted((rendered / CLUSTER).glob("*.yaml"))]
    config = "{extends: default, rules: {line-length: disable, document-start: disable, indentation: {indent-sequences: consistent}}}"
    result = subprocess.run([tool("yamllint"), "-s", "-f", "parsable", "-d", config, *map(str, files)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout


def test_render_is_deterministic_and_stays_in_its_folders():
    plan = build(parse(CATALOGUE.read_bytes(), CATALOGUE.name))
    first = monitoring.render(plan, family_templates())
    second = monitoring.render(build(parse(CATALOGUE.read_bytes(), CATALOGUE.name)), family_templates())
    assert first == second
    for path in first:
        assert path.parts[0] == "monitoring" or path.parent == PurePosixPath("k8s/base/observability"), path
    text = "\n".join(first.values())
    assert str(ROOT) not in text and "/tmp/" not in text


def test_a_panel_aggregates_like_the_alert_on_its_metric(rendered: Path):
    """The margin panel showed max where PositionMarginAtRisk takes min: it hid the position at risk."""
    board = boards(rendered)["trading"]
    text = exprs(board)
    for alert in catalogue()["monitoring"]["alerts"]:
        if alert["kind"] in ("below", "above"):
            agg = "min" if alert["kind"] == "below" else "max"
            assert f"{agg} by" in text and f"({alert['metric']}{{" in text
            other = "max" if agg == "min" else "min"
            assert not any(f"{other} by" in e and alert["metric"] in e for e in text.split("\n")), alert["alert"]
