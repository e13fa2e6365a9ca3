"""The generated prometheus.yml in a real Prometheus: it loads every rendered rule, scrapes every
target of the catalogue, alerts to Alertmanager, and accepts every dashboard and alert query."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from conftest import CATALOGUE, serve, tool
from nexusgen.catalogue import parse
from nexusgen.plan import build

CONFIG = Path("monitoring/prometheus/prometheus.yml")
READY_SECONDS = 30  # upper bound for start-up; it normally takes well under a second


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def prometheus(rendered: Path, tmp_path_factory):
    """A real Prometheus on 127.0.0.1 with the rendered config; always stopped afterwards."""
    data = tmp_path_factory.mktemp("tsdb")

    def argv(port: int) -> list[str]:
        return [tool("prometheus"), f"--config.file={rendered / CONFIG}", f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{port}"]  # fmt: skip

    with serve(argv, data / "prometheus.log", "Prometheus", READY_SECONDS) as url:
        yield url


def eventually(fetch, ok, seconds: float = 30):
    """``fetch()`` until ``ok`` holds for it (service discovery hands targets over every few seconds)."""
    deadline = time.monotonic() + seconds
    while True:
        value = fetch()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def rendered_rules(out: Path) -> set[tuple[str, str, str]]:
    found = set()
    for path in sorted((out / "monitoring/prometheus/rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                found.add((path.name, group["name"], rule.get("alert") or rule["record"]))
    return found


def test_promtool_check_config(rendered: Path):
    result = subprocess.run([tool("promtool"), "check", "config", str(rendered / CONFIG)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_loads_every_rendered_rule(prometheus: str, rendered: Path):
    groups = get(f"{prometheus}/api/v1/rules")["data"]["groups"]
    loaded = {(Path(g["file"]).name, g["name"], r["name"]) for g in groups for r in g["rules"]}
    expected = rendered_rules(rendered)
    assert len(expected) > 50
    assert loaded == expected


def test_prometheus_scrapes_every_catalogue_target(prometheus: str):
    plan = build(parse(CATALOGUE.read_bytes(), CATALOGUE.name))
    config = yaml.safe_load(get(f"{prometheus}/api/v1/status/config")["data"]["yaml"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {t.job for t in plan.scrape_targets} | {"prometheus", "alertmanager"}
    for target in plan.scrape_targets:
        job = jobs[target.job]
        if target.optional:  # discovered by DNS: no container, no target, no false "down"
            assert job["dns_sd_configs"][0]["names"] == [target.component]
            assert job["dns_sd_configs"][0]["port"] == target.port
        else:
            assert job["static_configs"][0]["targets"] == [f"{target.component}:{target.port}"]
    assert jobs["alertmanager"]["static_configs"][0]["targets"] == [f"alertmanager:{plan.infrastructure['alertmanager'].port}"]
    wanted = {t.job for t in plan.scrape_targets if not t.optional}
    active = eventually(lambda: {t["labels"]["job"] for t in get(f"{prometheus}/api/v1/targets?state=any")["data"]["activeTargets"]},
                        lambda jobs: jobs >= wanted)
    assert active >= wanted


def test_prometheus_alerts_to_alertmanager(prometheus: str):
    port = build(parse(CATALOGUE.read_bytes(), CATALOGUE.name)).infrastructure["alertmanager"].port
    def urls():
        data = get(f"{prometheus}/api/v1/alertmanagers")["data"]
        return [a["url"] for a in data["activeAlertmanagers"] + data["droppedAlertmanagers"]]

    urls = eventually(urls, bool)
    assert urls == [f"http://alertmanager:{port}/api/v2/alerts"]


def _queries(out: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted((out / "monitoring/grafana/dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            found += [(f"{path.name}: {panel['title']}", t["expr"]) for t in panel.get("targets", [])]
    for path in sorted((out / "monitoring/prometheus/rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            found += [(f"{path.name}: {r.get('alert') or r['record']}", r["expr"]) for r in group["rules"]]
    return found


def test_every_dashboard_and_rule_query_is_valid_promql(prometheus: str, rendered: Path):
    queries = _queries(rendered)
    assert any(name.startswith("trading.json") for name, _ in queries)
    for name, expr in queries:
        answer = get(f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        assert answer["status"] == "success", (name, expr, answer)
