"""Alerts on what the services stand on: infrastructure, disks, certificates, and the alerting itself.

Disk space comes from the kubelet's volume stats for the claims that exist on the clusters: the
``data-<component>-<n>`` of nexusgen's StatefulSets and the claims kube-prometheus-stack gives
Prometheus and Alertmanager (Grafana keeps none; optional compose-only components run nowhere); certificate expiry from cert-manager for the ``<service>-tls`` certificates
the Ingresses request. Both exist in the cluster only.
"""

from __future__ import annotations

from dataclasses import replace

from nexusgen.escape import promql_matchers
from nexusgen.plan import Plan, cluster
from nexusgen.families.monitoring.model import Alert, Case, Label, Series, Value, series
from nexusgen.catalogue.model import memory_bytes
from nexusgen.families.monitoring.services import percent



def platform_alerts(plan: Plan) -> list[Alert]:
    out = [_infrastructure(plan, target) for target in plan.scrape_targets if target.kind == "infrastructure"]
    out += [_volume(plan, *volume) for volume in volumes(plan)]
    out += [_certificate(plan, name) for name, svc in plan.services.items() if svc.ingress is not None]
    out += [_halted(plan, name, svc.kill_switch.halted_metric) for name, svc in plan.services.items()
            if svc.kill_switch is not None and svc.kill_switch.halted_metric]
    return out + _alerting()


HALT_MEMORY = "1h"  # a halt seen this recently still counts while the halted service is stopped or replaced


def _halted(plan: Plan, name: str, metric: str) -> Alert:
    """Trading halted on purpose (the kill switch): a notice, and Alertmanager inhibits the service's P1
    pages while it fires. It remembers the halt for HALT_MEMORY: the gauge vanishes while the pod is
    stopped or replaced, which is when ServiceDown would otherwise page."""
    target = next(t for t in plan.scrape_targets if t.component == name)
    sel = promql_matchers({"job": target.job})
    inst = {"job": target.job, "instance": target.instance}
    return Alert(
        name="TradingHalted", service=name, priority="P3", for_="1m",
        expr=f"max(max_over_time({metric}{sel}[{HALT_MEMORY}])) == 1 unless on() max({metric}{sel}) == 0",
        summary=(f"{name} is halted on purpose (kill switch)",),
        description=(f"{name} reported {metric} = ", Value("%.0f"), f" within the last {HALT_MEMORY} and has not resumed: "
                     "its P1 pages (ServiceDown, InstanceDown, its business alerts) are inhibited while this fires.",),
        calm=(series(metric, 0, 0, **inst),),
        cases=(Case((series(metric, 1, 0, **inst),), {}, 1),),
    )


def volumes(plan: Plan) -> list[tuple[str, str, str, str, str]]:
    """(component, size, claim pattern, one claim's name, namespace) of every volume on the clusters."""
    found = []
    for name in cluster.workloads(plan):
        size = plan.volume(name)
        if size:
            found.append((name, size, plan.claim_pattern(name), f"{plan.CLAIM}-{name}-0", plan.service_namespace(name, "production")))
    stack = cluster.stack_objects(plan)
    for name, infra in plan.infrastructure.items():
        claim = stack.get(name, {}).get("claim") if infra.group == cluster.MONITORING else None
        if claim and plan.volume(name):
            found.append((name, plan.volume(name), claim, claim.replace("[0-9]+", "0"), cluster.stack_namespace(plan, "production")))
    return sorted(found)


def _infrastructure(plan: Plan, target) -> Alert:
    name, job = target.component, target.job
    infra = plan.infrastructure[name]
    health = target.up_metric
    inst = {"job": job, "instance": target.instance}
    selector = health + promql_matchers({"job": job})
    gone = Series(health, tuple(sorted(inst.items())), absent=True)
    cases = [Case((series(health, 0, 0, **inst),), {}, 0)]
    if target.optional:  # not deployed is not down: only a scraped, failing component alerts
        expr = f"max({selector}) < 1"
    else:
        expr = f"(max({selector}) or vector(0)) < 1"
        cases.append(Case((gone,), {}, 0))
    callers = plan.dependents[name]
    return Alert(
        name="InfrastructureDown", service=name, priority="P1", for_="2m", expr=expr,
        summary=(f"{name} is down",),
        description=(f"{infra.description}: no healthy instance (", Value("%.0f"), f" reporting {health} = 1) for 2 minutes. "
                     + (f"{', '.join(callers)} depend on it." if callers else "No service depends on it."),),
        calm=(series(health, 1, 0, **inst),), cases=tuple(cases),
    )


def _volume(plan: Plan, name: str, size: str, pattern: str, one: str, namespace: str) -> Alert:
    claim = {"namespace": namespace, "persistentvolumeclaim": one}
    pvc = f'persistentvolumeclaim=~"{pattern}"'
    capacity = memory_bytes(size)
    limit = plan.catalogue.monitoring.thresholds.volume_free_ratio
    free = limit / 3
    return Alert(
        name="VolumeSpaceLow", service=name, priority="P3", for_="30m",
        expr=(f"kubelet_volume_stats_available_bytes{{{pvc}}} / kubelet_volume_stats_capacity_bytes{{{pvc}}}"
              f" < {limit}"),
        summary=(f"The volume of {name} is filling up",),
        description=("Volume ", Label("persistentvolumeclaim"), " in ", Label("namespace"), " has ", Value("%"),
                     f" free space left (threshold {percent(limit)}, size {size}).",),
        calm=(series("kubelet_volume_stats_available_bytes", capacity / 2, 0, **claim),
              series("kubelet_volume_stats_capacity_bytes", capacity, 0, **claim)),
        cases=(Case((series("kubelet_volume_stats_available_bytes", capacity * free, 0, **claim),), claim, free),),
    )


def _certificate(plan: Plan, name: str) -> Alert:
    cert = {"name": plan.tls_secret(name), "namespace": plan.service_namespace(name, "production")}
    metric = "certmanager_certificate_expiration_timestamp_seconds"
    alert = Alert(
        name="CertificateExpiringSoon", service=name, priority="P3", for_="1h",
        expr=f'(min by (namespace, name) ({metric}{promql_matchers({"name": plan.tls_secret(name)})}) - time()) / 86400 < {plan.catalogue.monitoring.thresholds.certificate_days}',
        summary=(f"The TLS certificate of {name} expires soon",),
        description=("Certificate ", Label("name"), " in ", Label("namespace"), " expires in ", Value("%.1f"),
                     f" days (threshold {plan.catalogue.monitoring.thresholds.certificate_days}); cert-manager should have renewed it 30 days ahead.",),
        calm=(series(metric, 90 * 86400, 0, **cert),), cases=(),
    )
    at = alert.eval_minutes * 60
    return replace(alert, cases=(Case((series(metric, at + 7 * 86400, 0, **cert),), cert, 7.0),))


def _alerting() -> list[Alert]:
    rule_group = {"rule_group": "rules/example.yml;example"}
    integration = {"integration": "pagerduty"}
    return [
        Alert(
            name="Watchdog", service="prometheus", priority="P3", for_="1m", expr="vector(1)",
            summary=("Alerting pipeline heartbeat",),
            description=("Always firing (value ", Value("%.0f"), "): Alertmanager forwards it to the heartbeat monitor every "
                         "minute. When the monitor stops hearing it, Prometheus, Alertmanager or the route between them is down.",),
            calm=(), cases=(Case((), {}, 1),), always=True,
        ),
        Alert(
            name="PrometheusRuleFailures", service="prometheus", priority="P2", for_="5m",
            expr="sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total[10m])) > 0",
            summary=("Alert rules fail to evaluate",),
            description=("Rule group ", Label("rule_group"), " failed ", Value("%.0f"),
                         " evaluations in 10 minutes: its alerts cannot fire.",),
            calm=(series("prometheus_rule_evaluation_failures_total", 0, 0, **rule_group),),
            cases=(Case((series("prometheus_rule_evaluation_failures_total", 0, 1, **rule_group),), rule_group, 10),),
        ),
        Alert(
            name="AlertmanagerNotificationsFailing", service="alertmanager", priority="P2", for_="5m",
            expr="sum by (integration) (rate(alertmanager_notifications_failed_total[5m])) > 0",
            summary=("Alert notifications are not delivered",),
            description=("Alertmanager fails to notify ", Label("integration"), " (", Value("%.3g"),
                         " failures/s): pages or messages are lost.",),
            calm=(series("alertmanager_notifications_failed_total", 0, 0, **integration),),
            cases=(Case((series("alertmanager_notifications_failed_total", 0, 6, **integration),), integration, 0.1),),
        ),
    ]
