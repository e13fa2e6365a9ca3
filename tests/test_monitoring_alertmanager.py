"""alertmanager.yml: amtool accepts it, each priority reaches its receiver, credentials are file
references, and a real Alertmanager lets a P1 inhibit the P2/P3 of the same service only."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from conftest import CATALOGUE, serve, tool

CONFIG = Path("monitoring/alertmanager/alertmanager.yml")
TIERS = {"P1": "pagerduty-p1", "P2": "slack-p2", "P3": "notices-p3"}


def receivers() -> dict:
    return yaml.safe_load(CATALOGUE.read_text())["monitoring"]["receivers"]


def route(config: Path, receiver: str, priority: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("amtool"), "config", "routes", "test", f"--config.file={config}", f"--verify.receivers={receiver}",
         f"priority={priority}", "service=gateway", "alertname=ServiceDown"],
        capture_output=True, text=True, timeout=60,
    )


def test_amtool_check_config(rendered: Path):
    result = subprocess.run([tool("amtool"), "check-config", str(rendered / CONFIG)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "4 receivers" in result.stdout


def test_watchdog_reaches_the_heartbeat_only(rendered: Path):
    def watchdog(receiver: str) -> int:
        return subprocess.run(
            [tool("amtool"), "config", "routes", "test", f"--config.file={rendered / CONFIG}",
             f"--verify.receivers={receiver}", "alertname=Watchdog", "priority=P3", "service=prometheus"],
            capture_output=True, text=True, timeout=60).returncode  # fmt: skip

    assert watchdog("heartbeat") == 0
    assert all(watchdog(r) != 0 for r in TIERS.values())


@pytest.mark.parametrize("priority", sorted(TIERS))
def test_each_priority_reaches_its_receiver(rendered: Path, priority: str):
    assert route(rendered / CONFIG, TIERS[priority], priority).returncode == 0
    for other in set(TIERS.values()) - {TIERS[priority]}:  # the check can fail: no other receiver matches
        assert route(rendered / CONFIG, other, priority).returncode != 0


def test_receivers_use_the_catalogue_and_file_references_only(rendered: Path):
    config = yaml.safe_load((rendered / CONFIG).read_text())
    wanted = receivers()
    by_name = {r["name"]: r for r in config["receivers"]}
    assert set(by_name) == {*TIERS.values(), "heartbeat"}
    [hook] = by_name.pop("heartbeat")["webhook_configs"]
    assert hook["url"] == wanted["heartbeat_url"]
    assert hook["http_config"]["authorization"]["credentials_file"] == wanted["heartbeat_token_file"]
    pagers = by_name["pagerduty-p1"]["pagerduty_configs"]
    assert [p["routing_key_file"] for p in pagers] == [wanted["pagerduty_routing_key_file"]]
    channels = {name: [s["channel"] for s in r["slack_configs"]] for name, r in by_name.items()}
    assert channels == {"pagerduty-p1": [wanted["slack_channel"]], "slack-p2": [wanted["slack_channel"]],
                        "notices-p3": [wanted["notice_channel"]]}
    for receiver in by_name.values():
        for slack in receiver["slack_configs"]:
            assert slack["api_url_file"] == wanted["slack_api_url_file"]
    text = (rendered / CONFIG).read_text()
    for inline in ("routing_key:", "service_key:", "api_url:"):
        assert inline not in text, f"a credential is written inline ({inline})"
    assert config["route"]["group_by"] == ["service", "alertname"]


def call(url: str, body: object | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        payload = response.read()
        return json.loads(payload) if payload else None


@pytest.fixture()
def alertmanager(rendered: Path, tmp_path: Path):
    """A real Alertmanager on 127.0.0.1 with the rendered config; always stopped afterwards."""

    def argv(port: int) -> list[str]:
        return [tool("prometheus-alertmanager"), f"--config.file={rendered / CONFIG}", f"--storage.path={tmp_path}",
                f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]  # fmt: skip

    with serve(argv, tmp_path / "alertmanager.log", "Alertmanager") as url:
        yield url


def post(alertmanager: str, *alerts: tuple[str, str, str]) -> dict[tuple[str, str], dict]:
    """Send (alertname, priority, service) alerts; their status by (alertname, service) once all are in."""
    call(f"{alertmanager}/api/v2/alerts",
         [{"labels": {"alertname": name, "priority": priority, "service": service}} for name, priority, service in alerts])
    deadline = time.monotonic() + 30
    while True:
        state = {(a["labels"]["alertname"], a["labels"]["service"]): a["status"]
                 for a in call(f"{alertmanager}/api/v2/alerts")}
        if len(state) == len(alerts) or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def test_p1_inhibits_p2_and_p3_of_the_same_service(alertmanager: str):
    state = post(alertmanager, ("ServiceDown", "P1", "gateway"), ("HighErrorRate", "P2", "gateway"),
                 ("ScalingAtMaximum", "P3", "gateway"), ("HighErrorRate", "P2", "analytics"))
    assert state[("ServiceDown", "gateway")]["state"] == "active"
    assert state[("HighErrorRate", "gateway")]["state"] == "suppressed"
    assert state[("HighErrorRate", "gateway")]["inhibitedBy"]
    assert state[("ScalingAtMaximum", "gateway")]["state"] == "suppressed"
    assert state[("HighErrorRate", "analytics")]["state"] == "active", "another service's alert stays active"


def test_a_deliberate_halt_does_not_page(alertmanager: str):
    """Trading halted through the kill switch: the halted service's P1 ServiceDown is inhibited by
    TradingHalted, whose notice stays active; another service's P1 still pages."""
    state = post(alertmanager, ("TradingHalted", "P3", "execution-engine"), ("ServiceDown", "P1", "execution-engine"),
                 ("ServiceDown", "P1", "gateway"))
    assert state[("ServiceDown", "execution-engine")]["state"] == "suppressed"
    assert state[("TradingHalted", "execution-engine")]["state"] == "active", "the halt notice itself is not muted"
    assert state[("ServiceDown", "gateway")]["state"] == "active"
