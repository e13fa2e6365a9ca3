"""Rule files (for the compose Prometheus) and the same groups as PrometheusRule objects.

Files: ``recording`` (per-job request rate, 5xx ratio, p99, read by the alerts and the
dashboards), ``service-<name>`` (the generic alerts of one service; one file each keeps its unit
tests from evaluating every other service's rules), ``business`` (the catalogue's alerts) and
``platform`` (infrastructure, volumes, certificates, the alerting pipeline itself).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nexusgen.engine.text import Whole, dump_yaml
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
    return {**_head(plan, stem), "spec": {"groups": groups}}


def _head(plan: Plan, stem: str) -> dict:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        # kube-prometheus-stack's Prometheus evaluates only rules labelled `release: <release>`.
        "metadata": {"name": f"{plan.project}-{stem}",
                     "labels": {**labels(plan, "alerting"), **cluster.prometheus_selector(plan)}},
    }


_LINE = re.compile(r"^(?=.)", re.MULTILINE)  # the start of every line that is not empty
_BREAKS = ("\r", "\x85", "\u2028", "\u2029")  # line breaks libyaml may write raw, besides LF


def prometheus_rule_text(plan: Plan, stem: str, groups: list[dict], text: Whole) -> Whole:
    """``dump_yaml(prometheus_rule(plan, stem, groups))``, from ``text``, the rule file's
    ``dump_yaml({"groups": groups})``, without writing the groups a second time (1,000 times at
    1,000 services). The writer lays a mapping out by indentation alone, so the groups under
    ``spec:`` are the file's lines two columns further in (empty lines stay empty). A text with a
    line break other than LF, or that libyaml ended with a ``...`` marker, is dumped again instead.
    ``tests/test_monitoring_rules.py`` holds the two to the same bytes on generated groups."""
    if text.endswith("\n...\n") or any(mark in text for mark in _BREAKS):
        return dump_yaml(prometheus_rule(plan, stem, groups))
    # Empty lines come only from literal blocks; without them one replace does it (ten times the regex's speed).
    shifted = _LINE.sub("  ", text) if "\n\n" in text else "  " + text[:-1].replace("\n", "\n  ") + "\n"
    return Whole(f"{dump_yaml(_head(plan, stem))}spec:\n{shifted}")


def labels(plan: Plan, component: str) -> dict[str, str]:
    """The monitoring stack's objects: the common labels, in name order."""
    return dict(sorted(cluster.common_labels(plan, component).items()))
