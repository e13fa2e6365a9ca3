"""Grafana dashboards built as dicts: System Overview, Trading Operations, Infrastructure.

Panel ids and grid positions are assigned in order, so the JSON is the same on every render.
Every query reads series the rules and scrape configs define (recording rules, ``up``, cAdvisor,
the catalogue's custom metrics, the exporters' metrics); none uses a Grafana variable, so each
is also a valid plain PromQL query (the tests run them against a real Prometheus).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nexusgen.catalogue.alert_kinds import ALERT_KINDS
from nexusgen.catalogue.model import Metric
from nexusgen.plan import Plan
from nexusgen.families.monitoring.platform import volumes
from nexusgen.families.monitoring.exporters import exporter_panels
from nexusgen.families.monitoring.services import http_rules
from nexusgen.escape import promql_matchers

DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
WIDTH = 24
GAUGE_UNITS = {"_usd": "currencyUSD", "_ratio": "percentunit", "_bytes": "bytes", "_seconds": "s"}  # by name suffix


def _regex(names) -> str:
    return "|".join(sorted(names))


@dataclass
class Board:
    """Lays panels out left to right, top to bottom, numbering them."""

    panels: list[dict] = field(default_factory=list)
    x: int = 0
    y: int = 0
    row_height: int = 0

    def row(self, title: str) -> None:
        self._newline()
        self._add({"type": "row", "title": title, "collapsed": False, "panels": []}, WIDTH, 1)

    def panel(self, kind: str, title: str, queries: list[tuple[str, str]], unit: str = "short",
              width: int = 8, height: int = 8, thresholds: list[float] = (), **options) -> None:
        steps = [{"color": "green", "value": None}, *({"color": "red", "value": t} for t in thresholds)]
        custom = {"thresholdsStyle": {"mode": "line" if thresholds else "off"}} if kind == "timeseries" else {}
        if self.x + width > WIDTH:
            self._newline()
        self._add({
            "type": kind,
            "title": title,
            "datasource": DATASOURCE,
            "targets": [
                {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": chr(ord("A") + i),
                 **({"instant": True, "format": "table"} if kind == "table" else {})}
                for i, (expr, legend) in enumerate(queries)
            ],
            "fieldConfig": {
                "defaults": {"unit": unit, "custom": custom, "thresholds": {"mode": "absolute", "steps": steps}},
                "overrides": [],
            },
            "options": options,
        }, width, height)

    def _newline(self) -> None:
        if self.x:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0

    def _add(self, panel: dict, width: int, height: int) -> None:
        panel["id"] = len(self.panels) + 1
        panel["gridPos"] = {"h": height, "w": width, "x": self.x, "y": self.y}
        self.panels.append(panel)
        self.x += width
        self.row_height = max(self.row_height, height)
        if self.x >= WIDTH:
            self._newline()


def _dashboard(plan: Plan, slug: str, title: str, board: Board) -> dict:
    return {
        "uid": f"{plan.project}-{slug}",
        "title": f"{plan.project.upper()} {title}",
        "tags": [plan.project, "nexusgen"],
        "editable": False,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "timezone": "utc",
        "templating": {"list": []},
        "annotations": {"list": []},
        "panels": board.panels,
    }


HEALTH = {"colorMode": "background", "graphMode": "none", "textMode": "value_and_name", "justifyMode": "auto"}


def overview(plan: Plan) -> dict:
    jobs = [t.job for t in plan.scrape_targets if t.kind == "service"]
    sel = f'{{job=~"{_regex(jobs)}"}}'
    containers = f'{{container=~"{_regex(plan.services)}"}}'
    names = http_rules(plan)
    th = plan.catalogue.monitoring.thresholds
    b = Board()
    b.row("Service health")
    b.panel("stat", "Instances up per service", [(f"sum by (job) (up{sel})", "{{job}}")], width=16, thresholds=[],
            **HEALTH)
    b.panels[-1]["fieldConfig"]["defaults"]["thresholds"]["steps"] = [
        {"color": "red", "value": None}, {"color": "green", "value": 1}]
    b.panel("table", "Firing alerts", [(
        'sort(sum by (priority, service, alertname) (ALERTS{alertstate="firing"}))', "")], width=8)
    b.row("Traffic, errors and latency")
    b.panel("timeseries", "Requests per second", [(f"{names['rate']}{sel}", "{{job}}")], unit="reqps")
    b.panel("timeseries", "5xx error ratio", [(f"{names['ratio']}{sel}", "{{job}}")], unit="percentunit",
            thresholds=[th.error_ratio])
    b.panel("timeseries", "p99 latency", [(f"{names['p99']}{sel}", "{{job}}")], unit="s",
            thresholds=[th.latency_p99_seconds])
    b.row("Resource use")
    _resource_panels(b, containers)
    b.panel("timeseries", "Restarts in the last hour", [(
        f"sum by (job) (changes(process_start_time_seconds{sel}[1h]))", "{{job}}")],
            thresholds=[th.restarts_per_hour])
    return _dashboard(plan, "overview", "System Overview", b)


def _metric_query(metric: Metric, job: str, stale: bool, below: bool = False) -> tuple[str, str, str]:
    """(PromQL, legend, unit) that shows one custom metric the way an operator reads it; a gauge
    alerted on when it falls ``below`` a threshold shows its lowest series, as its alert reads it."""
    sel = promql_matchers({"job": job})
    by = f" by ({', '.join(metric.labels)})" if metric.labels else ""
    legend = " ".join(f"{{{{{label}}}}}" for label in metric.labels) or metric.name
    if metric.type == "histogram":
        labels = ", ".join(["le", *metric.labels])
        return f"histogram_quantile(0.99, sum by ({labels}) (rate({metric.name}_bucket{sel}[5m])))", legend, "s"
    if metric.type == "counter":
        return f"sum{by} (rate({metric.name}{sel}[5m]))", legend, "ops"
    if stale:
        return f"time() - max{by} ({metric.name}{sel})", legend, "s"
    unit = next((u for suffix, u in GAUGE_UNITS.items() if metric.name.endswith(suffix)), "short")
    return f"{'min' if below else 'max'}{by} ({metric.name}{sel})", legend, unit


def trading(plan: Plan) -> dict:
    alerts = plan.catalogue.monitoring.alerts
    b = Board()
    b.row("Business alerts")
    b.panel("table", "Firing business alerts", [(
        f'sum by (priority, service, alertname) (ALERTS{{alertstate="firing",alertname=~"{_regex(a.alert for a in alerts)}"}})',
        "")], width=WIDTH, height=6)
    jobs = {t.component: t.job for t in plan.scrape_targets}
    for name, svc in plan.services.items():
        if not svc.metrics or name not in jobs:
            continue
        b.row(f"{name}: {svc.description}")
        for metric in sorted(svc.metrics, key=lambda m: m.name):
            mine = [a for a in alerts if a.metric == metric.name and a.service == name]
            stale = any(ALERT_KINDS[a.kind].age_panel for a in mine)
            below = any(ALERT_KINDS[a.kind].gauge_aggregation == "min" for a in mine)
            expr, legend, unit = _metric_query(metric, jobs[name], stale, below)
            title = f"{metric.help} (age)" if stale else metric.help
            b.panel("timeseries", title, [(expr, legend)], unit=unit,
                    thresholds=[a.threshold for a in mine if ALERT_KINDS[a.kind].threshold_line])
    return _dashboard(plan, "trading", "Trading Operations", b)


def _resource_panels(b: Board, containers: str) -> None:
    """CPU and memory of the containers matched by ``containers`` (a label selector)."""
    b.panel("timeseries", "CPU (cores)", [(
        f"sum by (container) (rate(container_cpu_usage_seconds_total{containers}[5m]))", "{{container}}")])
    b.panel("timeseries", "Memory working set", [(
        f"sum by (container) (container_memory_working_set_bytes{containers})", "{{container}}")], unit="bytes")


def infrastructure(plan: Plan) -> dict:
    targets = [t for t in plan.scrape_targets if t.kind == "infrastructure"]
    b = Board()
    b.row("Health")
    health = [(f'max({t.up_metric}{promql_matchers({"job": t.job})})', t.job) for t in targets]
    if health:
        b.panel("stat", "Components up", health, width=WIDTH, height=4, **HEALTH)
        b.panels[-1]["fieldConfig"]["defaults"]["thresholds"]["steps"] = [
            {"color": "red", "value": None}, {"color": "green", "value": 1}]
    for target in targets:
        panels = exporter_panels(plan.infrastructure[target.component].image.image)
        if not panels:
            continue
        b.row(f"{target.component}: {plan.infrastructure[target.component].description}")
        sel = promql_matchers({"job": target.job})
        for title, unit, expr, legend in panels:
            b.panel("timeseries", title, [(expr.replace("{sel}", sel), legend)], unit=unit, width=6)
    containers = f'{{container=~"{_regex(plan.infrastructure)}"}}'
    claims = _regex(pattern for _, _, pattern, _, _ in volumes(plan))  # the claims that exist on the clusters
    b.row("Resources and storage")
    _resource_panels(b, containers)
    b.panel("timeseries", "Volume space free", [(
        f'kubelet_volume_stats_available_bytes{{persistentvolumeclaim=~"{claims}"}}'
        f' / kubelet_volume_stats_capacity_bytes{{persistentvolumeclaim=~"{claims}"}}', "{{persistentvolumeclaim}}")],
            unit="percentunit")
    return _dashboard(plan, "infrastructure", "Infrastructure", b)


def dashboards(plan: Plan) -> dict[str, dict]:
    """``{slug: dashboard}``."""
    return {"infrastructure": infrastructure(plan), "overview": overview(plan), "trading": trading(plan)}
