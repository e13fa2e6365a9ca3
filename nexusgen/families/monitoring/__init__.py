"""The monitoring family: alert rules and their unit tests, Prometheus, Alertmanager, Grafana, runbooks.

``out/monitoring/`` serves the compose stack (prometheus.yml, rules, alertmanager.yml, Grafana
provisioning and dashboards) and the on-call (runbooks); ``out/k8s/base/observability/`` holds
the same rules as PrometheusRule objects and the same dashboards as ConfigMaps for the cluster.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from nexusgen.errors import TemplateError
from nexusgen.engine.text import dump_json, dump_yaml
from nexusgen.plan import COMPOSE_ENVIRONMENT, Plan, paths
from nexusgen.catalogue.reserved import GENERATED_ALERTS, SELF_SCRAPED
from nexusgen.engine.templates import Templates
from nexusgen.families.monitoring import runbooks as monitoring_runbooks
from nexusgen.families.monitoring.dashboards import DATASOURCE, dashboards
from nexusgen.families.monitoring.rules import RECORDING, alert_files, labels, prometheus_rule, rule_groups
from nexusgen.families.monitoring.unittests import alert_tests, recording_tests

CLUSTER = paths.OBSERVABILITY
SCRAPE_INTERVAL = "15s"
ENV = COMPOSE_ENVIRONMENT
ROUTES = (  # priority -> receiver; P1 is answered at once and repeated hourly until resolved
    {"priority": "P1", "receiver": "pagerduty-p1", "severity": "critical", "pagerduty": True, "group_wait": "10s",
     "repeat_interval": "1h", "channel": "slack_channel"},
    {"priority": "P2", "receiver": "slack-p2", "severity": "warning", "pagerduty": False, "group_wait": "30s",
     "repeat_interval": "4h", "channel": "slack_channel"},
    {"priority": "P3", "receiver": "notices-p3", "severity": "info", "pagerduty": False, "group_wait": "5m",
     "repeat_interval": "24h", "channel": "notice_channel"},
)


def render(plan: Plan, templates: Templates) -> dict[PurePosixPath, str]:
    files = alert_files(plan)
    alerts = [a for f in files for a in f.alerts]
    _check_names(plan, alerts)
    out: dict[PurePosixPath, str] = {}
    for stem, groups in rule_groups(plan, files).items():
        out[paths.PROMETHEUS_RULES / f"{stem}.yml"] = dump_yaml({"groups": groups})
        out[CLUSTER / f"prometheusrule-{stem}.yaml"] = dump_yaml(prometheus_rule(plan, stem, groups))
    out[paths.PROMETHEUS_TESTS / f"{RECORDING}.yml"] = dump_yaml(recording_tests(plan))
    for rule_file in files:
        if rule_file.alerts:
            out[paths.PROMETHEUS_TESTS / f"{rule_file.stem}.yml"] = dump_yaml(alert_tests(plan, rule_file))
    out[paths.PROMETHEUS_CONFIG] = _prometheus(plan, templates)
    out[paths.ALERTMANAGER_CONFIG] = _alertmanager(plan)
    out.update(_grafana(plan, templates))
    out[CLUSTER / "kustomization.yaml"] = templates.render(
        "monitoring/k8s/kustomization.yaml.j2", resources=sorted(p.name for p in out if p.parent == CLUSTER))
    out.update(monitoring_runbooks.render(plan, templates, alerts))
    return out


def _check_names(plan: Plan, alerts) -> None:
    """Generated alerts are the plan's list (validation keeps the catalogue's alerts off it)."""
    mine = {a.alert for a in plan.catalogue.monitoring.alerts}
    for alert in alerts:
        if alert.name not in mine and alert.name not in GENERATED_ALERTS:
            raise TemplateError(f"{alert.name!r} is generated but missing from reserved.GENERATED_ALERTS")


def _jobs(plan: Plan) -> list[dict]:
    jobs = [
        {"name": t.job, "host": t.component,  # compose host name (a sidecar exporter shares its component's network)
         "port": t.port, "optional": t.optional, "profile": plan.infrastructure[t.component].profile
         if t.component in plan.infrastructure else None}
        for t in plan.scrape_targets
    ]
    for own in SELF_SCRAPED:  # the monitoring stack watches itself
        if own in plan.infrastructure:
            host = "localhost" if own == "prometheus" else own
            jobs.append({"name": own, "host": host, "port": plan.infrastructure[own].port, "optional": False,
                         "profile": None})
    names = [j["name"] for j in jobs]
    if len(set(names)) != len(names):
        raise TemplateError(f"two scrape jobs share a name: {sorted(names)}")  # a bug: checks.py rules it out
    return sorted(jobs, key=lambda j: j["name"])


def _prometheus(plan: Plan, templates: Templates) -> str:
    am = plan.infrastructure.get("alertmanager")
    return templates.render(
        "monitoring/prometheus/prometheus.yml.j2", project=plan.project, environment=ENV, jobs=_jobs(plan),
        scrape_interval=SCRAPE_INTERVAL, alertmanager=f"{plan.host('alertmanager', ENV)}:{am.port}" if am else None,
    )


# Alertmanager's own templates (Go text/template), written as they are: the file is data.
PAGE = "{{ .CommonLabels.priority }} {{ .CommonLabels.alertname }} on {{ .CommonLabels.service }}: " \
    "{{ .CommonAnnotations.summary }}"
PAGE_DETAILS = {"description": "{{ .CommonAnnotations.description }}",
                "runbook": "{{ .CommonAnnotations.runbook_url }}", "firing": "{{ .Alerts.Firing | len }}"}
SLACK_TITLE = "[{{ .Status | toUpper }}] {{ .CommonLabels.priority }} {{ .CommonLabels.alertname }} on " \
    "{{ .CommonLabels.service }}"
SLACK_TEXT = '{{ range .Alerts }}{{ .Annotations.description }} Runbook: {{ .Annotations.runbook_url }}{{ "\\n" }}{{ end }}'


def _alertmanager(plan: Plan) -> str:
    """P1 pages (PagerDuty, and Slack for the record), P2 goes to Slack, P3 to the low-urgency
    channel; a P1 on a service inhibits its own P2 and P3 alerts (the page already says what is
    wrong); the Watchdog goes to the heartbeat receiver; a deliberate trading halt inhibits its
    service's P1 pages. Credentials are files mounted into the container, never values here."""
    receivers = plan.catalogue.monitoring.receivers
    # The Watchdog fires all the time: it goes to the heartbeat monitor every minute, and nowhere else.
    # Without monitoring.receivers.heartbeat_url the receiver is empty: the Watchdog reaches nobody.
    heartbeat: dict = {"name": "heartbeat"}
    if receivers.heartbeat_url:
        heartbeat["webhook_configs"] = [{
            "url": receivers.heartbeat_url, "send_resolved": False,
            "http_config": {"authorization": {"type": receivers.heartbeat_auth_scheme,
                                              "credentials_file": receivers.heartbeat_token_file}}}]
    configs = [heartbeat]
    for r in ROUTES:
        receiver: dict = {"name": r["receiver"]}
        if r["pagerduty"]:
            receiver["pagerduty_configs"] = [{
                "routing_key_file": receivers.pagerduty_routing_key_file, "severity": r["severity"],
                "send_resolved": True, "description": PAGE, "details": PAGE_DETAILS}]
        receiver["slack_configs"] = [{
            "api_url_file": receivers.slack_api_url_file, "channel": getattr(receivers, r["channel"]),
            "send_resolved": True, "title": SLACK_TITLE, "text": SLACK_TEXT}]
        configs.append(receiver)
    return dump_yaml({
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": "slack-p2", "group_by": ["service", "alertname"], "group_wait": "30s",
            "group_interval": "5m", "repeat_interval": "4h",
            "routes": [{"receiver": "heartbeat", "matchers": ['alertname="Watchdog"'], "group_wait": "0s",
                        "group_interval": "1m", "repeat_interval": "1m"}]
            + [{"receiver": r["receiver"], "matchers": [f'priority="{r["priority"]}"'],
                "group_wait": r["group_wait"], "repeat_interval": r["repeat_interval"]} for r in ROUTES],
        },
        "inhibit_rules": [
            # A P1 on a service silences its own P2 and P3 alerts (not the notice that trading is halted on purpose).
            {"source_matchers": ['priority="P1"'], "target_matchers": ['priority=~"P2|P3"', 'alertname!="TradingHalted"'],
             "equal": ["service"]},
            # Trading halted on purpose (kill switch): the service's P1 pages (ServiceDown while it is stopped
            # or replaced) are inhibited; the TradingHalted notice says so instead.
            {"source_matchers": ['alertname="TradingHalted"'], "target_matchers": ['priority="P1"'],
             "equal": ["service"]},
        ],
        "receivers": configs,
    })


def _grafana(plan: Plan, templates: Templates) -> dict[PurePosixPath, str]:
    out: dict[PurePosixPath, str] = {}
    for slug, board in dashboards(plan).items():
        text = dump_json(board)
        out[paths.GRAFANA_DASHBOARDS / f"{slug}.json"] = text
        out[CLUSTER / f"dashboard-{slug}.yaml"] = dump_yaml({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{plan.project}-dashboard-{slug}",
                         "labels": {**labels(plan, "dashboards"), "grafana_dashboard": "1"}},
            "data": {f"{plan.project}-{slug}.json": str(text)},  # a value now, not a file's whole text
        })
    prometheus = plan.infrastructure.get("prometheus")
    if "grafana" in plan.infrastructure and prometheus is not None:
        out[paths.GRAFANA_PROVISIONING / "datasources" / "prometheus.yml"] = templates.render(
            "monitoring/grafana/datasource.yml.j2", datasource=DATASOURCE, scrape_interval=SCRAPE_INTERVAL,
            url=f"http://{plan.host('prometheus', ENV)}:{prometheus.port}")
        out[paths.GRAFANA_PROVISIONING / "dashboards" / f"{plan.project}.yml"] = templates.render(
            "monitoring/grafana/dashboards.yml.j2", project=plan.project, path=paths.GRAFANA_DASHBOARDS_MOUNT)
    return out
