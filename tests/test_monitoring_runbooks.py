"""Runbooks: one per alert with the sections an on-call needs, the operational procedures, links that
resolve, and content that is concrete to the catalogue (namespaces, key store paths, recovery targets)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from conftest import CATALOGUE

RUNBOOKS = Path("monitoring/runbooks")
SECTIONS = ("## What it means", "## First checks", "## Mitigation", "## Escalation")
OPERATIONS = ("incident-response", "service-restart", "database-failover", "disaster-recovery")


def alert_names(out: Path) -> set[str]:
    return {
        rule["alert"]
        for path in (out / "monitoring/prometheus/rules").glob("*.yml")
        for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"] if "alert" in rule
    }


def test_one_runbook_per_alert_with_every_section(rendered: Path):
    names = alert_names(rendered)
    pages = {p.stem for p in (rendered / RUNBOOKS).glob("*.md")}
    assert pages == names | set(OPERATIONS) | {"README"}, "a runbook for each alert, no stray pages"
    for name in names:
        text = (rendered / RUNBOOKS / f"{name}.md").read_text()
        assert text.splitlines()[1] == f"# {name}"
        positions = [text.find(section) for section in SECTIONS]
        assert -1 not in positions and positions == sorted(positions), f"{name}: sections missing or out of order"


def test_every_relative_link_resolves(rendered: Path):
    for page in sorted((rendered / RUNBOOKS).glob("*.md")):
        for target in re.findall(r"\]\(([^)#]+)\)", page.read_text()):
            if not target.startswith("https://"):
                assert (page.parent / target).is_file(), f"{page.name} links to missing {target}"


def test_execution_failures_runbook_is_concrete(rendered: Path):
    """Exchange status, API key validity (by store path), and how to halt trading."""
    cat = yaml.safe_load(CATALOGUE.read_text())
    alert = next(a for a in cat["monitoring"]["alerts"] if a["alert"] == "ExecutionFailures")
    service = cat["services"][alert["service"]]
    text = (rendered / RUNBOOKS / "ExecutionFailures.md").read_text()
    assert "status page" in text
    trade_paths = {cat["secrets"][ref]["path"] for ref in service["secrets"].values()
                   if cat["secrets"][ref].get("exchange") == "trade"}
    assert trade_paths and all(f"`{path}`" in text for path in trade_paths)
    traders = [n for n, s in cat["services"].items() if s.get("exchange_access") == "trade"]
    assert all(f"scale deployment/{n} --replicas=0" in text for n in traders)
    assert "nexus-production-core" in text


def test_disaster_recovery_states_the_targets_and_the_order(rendered: Path):
    text = (rendered / RUNBOOKS / "disaster-recovery.md").read_text()
    for target in ("| RTO, critical (trading path) | 15 minutes |", "| RTO, full platform | 1 hour |", "| RPO (data) | 5 minutes |"):
        assert target in text
    cat = yaml.safe_load(CATALOGUE.read_text())
    critical = text.split("## 5-15 minutes")[1].split("## 15-60 minutes")[0]
    rest = text.split("## 15-60 minutes")[1]
    for name, svc in cat["services"].items():
        if svc.get("exchange_access", "none") != "none":
            assert f"`{name}`" in critical, f"{name} trades or reads exchanges: it is on the critical path"
        assert (f"`{name}`" in critical) != (f"`{name}`" in rest), f"{name} is restored exactly once"
    order = re.findall(r"^   \d+\. `([a-z-]+)`", critical, re.M)
    for position, name in enumerate(order):  # each component after everything it depends on
        deps = cat["services"].get(name, {}).get("depends_on", {})
        for dep in [*deps.get("services", []), *deps.get("infrastructure", [])]:
            assert dep in order[:position], f"{name} is restored before its dependency {dep}"


def test_operational_runbooks_name_real_components(rendered: Path):
    cat = yaml.safe_load(CATALOGUE.read_text())
    restart = (rendered / RUNBOOKS / "service-restart.md").read_text()
    compose_only = next(line for line in restart.splitlines() if line.startswith("Compose only"))
    for name, infra in cat["infrastructure"].items():
        if infra.get("optional"):  # runs nowhere on the clusters: no row pretends it does
            assert f"| `{name}` |" not in restart and f"`{name}`" in compose_only
    for name in [*cat["services"], *(n for n, i in cat["infrastructure"].items() if not i.get("optional"))]:
        assert f"| `{name}` |" in restart
    failover = (rendered / RUNBOOKS / "database-failover.md").read_text()
    assert "`postgres`" in failover and "5 minutes" in failover
    response = (rendered / RUNBOOKS / "incident-response.md").read_text()
    receivers = cat["monitoring"]["receivers"]
    assert receivers["slack_channel"] in response and receivers["notice_channel"] in response


def test_the_trader_is_halted_through_its_kill_switch_before_a_restart(rendered: Path):
    """service-restart, incident-response and disaster-recovery halt the trader through the endpoint the
    catalogue declares (and check its halted gauge) before anything restarts or replaces it."""
    services = yaml.safe_load(CATALOGUE.read_text())["services"]
    traders = {n: s for n, s in services.items() if s.get("exchange_access") == "trade"}
    assert traders
    for name, svc in traders.items():
        switch = svc["kill_switch"]
        halt = f"curl -fsS -X {switch['halt'].get('method', 'POST')} http://127.0.0.1:{svc['ports']['http']}{switch['halt']['path']}"
        resume = f"{switch['resume'].get('method', 'POST')} http://127.0.0.1:{svc['ports']['http']}{switch['resume']['path']}"
        for page in ("service-restart", "incident-response", "disaster-recovery", "database-failover"):
            text = (rendered / RUNBOOKS / f"{page}.md").read_text()
            assert halt in text and switch["halted_metric"] in text, page
        restart = (rendered / RUNBOOKS / "service-restart.md").read_text()
        section = restart[restart.index("## Trading services"):]
        assert section.index(halt) < section.index(f"rollout restart deployment/{name}") < section.index(resume)
