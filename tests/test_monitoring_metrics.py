"""Every metric a rule, recording rule, rule unit test or dashboard reads exists (issue 14)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from conftest import CATALOGUE
from nexusgen import pipeline
from nexusgen.validate import metrics

CAT = pipeline.load(CATALOGUE)
SHARED = metrics.shared_dir()


def test_every_metric_read_is_known(rendered: Path):
    count, findings = metrics.unknown(rendered, CAT, SHARED)
    assert count > 100  # rules, tests and dashboards were all read
    assert findings == []


def test_every_kind_of_expression_is_read(rendered: Path):
    where = {w.split(":")[0].split("/")[2] for w, _ in metrics.expressions(rendered)}
    assert where == {"rules", "tests", "dashboards"}
    kinds = {w.rsplit(": ", 1)[-1] for w, _ in metrics.expressions(rendered) if "/tests/" in w}
    assert kinds == {"input_series", "promql_expr_test"}


def test_a_planted_unknown_metric_fails(rendered: Path, tmp_path: Path):
    out = tmp_path / "out"
    shutil.copytree(rendered, out)
    rules = out / "monitoring" / "prometheus" / "rules" / "platform.yml"
    doc = yaml.safe_load(rules.read_text())
    doc["groups"][0]["rules"][0]["expr"] = "sum(rate(nexus_invented_total[5m])) > 0"
    rules.write_text(yaml.safe_dump(doc))
    board = next((out / "monitoring" / "grafana" / "dashboards").glob("*.json"))
    data = json.loads(board.read_text())
    next(p for p in data["panels"] if p.get("targets"))["targets"][0]["expr"] = "container_spec_cpu_quota"  # cAdvisor, but dropped by kube-prometheus-stack
    board.write_text(json.dumps(data))
    _, findings = metrics.unknown(out, CAT, SHARED)
    assert any("'nexus_invented_total'" in f and "platform.yml" in f for f in findings)
    assert any("'container_spec_cpu_quota'" in f for f in findings)


def test_inventories_name_their_source():
    files = sorted(metrics.INVENTORY.glob("*.txt"))
    assert {f.stem for f in files} >= {"postgres_exporter", "redis_exporter", "ingress-nginx", "node-exporter"}
    for path in files:
        first, *names = path.read_text().splitlines()
        assert first.startswith("# source: ") and names == sorted(set(names)), path.name
