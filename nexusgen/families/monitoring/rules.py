"""Rule files (for the compose Prometheus) and the same groups as PrometheusRule objects.

Files: ``recording`` (per-job request rate, 5xx ratio, p99, read by the alerts and the
dashboards), ``service-<name>`` (the generic alerts of one service; one file each keeps its unit
tests from evaluating every other service's rules), ``business`` (the catalogue's alerts) and
``platform`` (infrastructure, volumes, certificates, the alerting pipeline itself).
"""

from __future__ import annotations

from dataclasses import dataclass

from nexusgen.plan import Plan
from nexusgen.plan import cluster
from nexusgen.families.monitoring.business import business_alerts
from nexusgen.families.monitoring.model import Alert
from nexusgen.families.monitoring.platform import platform_alerts
from nexusgen.families.monitoring.services import recording_rules, service_alerts

RECORDING = "recording"


@dataclass(frozen=True)
class RuleFile:
    stem: str
    groups: tuple[tuple[str, tuple[Alert, ...]], ...]  # (group name, alerts)

    @property
    def alerts(self) -> list[Alert]:
        return [alert for _, alerts in self.groups for alert in alerts]


def alert_files(plan: Plan) -> list[RuleFile]:
    project = plan.project
    by_service: dict[str, list[Alert]] = {}
    for alert in service_alerts(plan):
        by_service.setdefault(alert.service, []).append(alert)
    return [
        *(RuleFile(f"service-{name}", ((f"{project}.{name}", tuple(alerts)),)) for name, alerts in sorted(by_service.items())),
        RuleFile("business", ((f"{project}.business", tuple(business_alerts(plan))),)),
        RuleFile("platform", ((f"{project}.platform", tuple(platform_alerts(plan))),)),
    ]


def rule_groups(plan: Plan, files: list[RuleFile]) -> dict[str, list[dict]]:
    """The ``groups:`` of every rule file by stem, ``recording`` first, then each file with alerts,
    as Prometheus and the PrometheusRule CRD both take them (built once for the two)."""
    base = plan.catalogue.monitoring.runbook_base_url
    out = {RECORDING: [{"name": f"{plan.project}.{RECORDING}", "rules": recording_rules(plan)}]}
    for found in files:
        if found.alerts:
            out[found.stem] = [{"name": name, "rules": [a.rule(base) for a in alerts]} for name, alerts in found.groups if alerts]
    return out


def prometheus_rule(plan: Plan, stem: str, groups: list[dict]) -> dict:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        # kube-prometheus-stack's Prometheus evaluates only rules labelled `release: <release>`.
        "metadata": {"name": f"{plan.project}-{stem}",
                     "labels": {**labels(plan, "alerting"), **cluster.prometheus_selector(plan)}},
        "spec": {"groups": groups},
    }


def labels(plan: Plan, component: str) -> dict[str, str]:
    """The monitoring stack's objects: the common labels, in name order."""
    return dict(sorted(cluster.common_labels(plan, component).items()))
