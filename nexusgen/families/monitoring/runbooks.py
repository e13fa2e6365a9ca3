"""Runbooks in Markdown: one per alert name, and the operational ones they link to.

A runbook is the page an alert's ``runbook_url`` opens. Its body comes from
``templates/monitoring/runbooks/alerts/<Alert>.md.j2`` for nexusgen's own alerts and from
``kinds/<kind>.md.j2`` for the catalogue's; the frame (rules, affected services, escalation)
is shared. Facts about each component (namespace, workload, callers, exchange keys by store
path) are derived here once from the plan.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from types import SimpleNamespace

from nexusgen.catalogue.alert_kinds import ALERT_KINDS
from nexusgen.plan import Plan, cluster, paths
from nexusgen.plan import cloud as cloud_facts
from nexusgen.engine.templates import Templates
from nexusgen.families.monitoring.model import SEVERITY, Alert
from nexusgen.families.monitoring.services import percent

FOLDER = paths.RUNBOOKS
WHERE = "monitoring/runbooks/where.md.j2"  # a component in one line: ``c.where``
OPERATIONS = ("incident-response", "service-restart", "database-failover", "disaster-recovery")
PROD = "production"
RTO_CRITICAL, RTO_FULL, RPO = "15 minutes", "1 hour", "5 minutes"


def component(plan: Plan, name: str) -> SimpleNamespace:
    """What an operator needs to know about one service or infrastructure component, as attributes
    (the templates read ``c.name`` thousands of times: Jinja tries a dict's keys only after a
    failed attribute lookup)."""
    svc = plan.services.get(name)
    if svc is None and name not in plan.infrastructure:
        return SimpleNamespace(name=name, known=False)
    infra = plan.infrastructure.get(name)
    stack = cluster.stack_objects(plan).get(name) if infra and infra.group == cluster.MONITORING else None
    if infra is not None and infra.optional:
        workload = None  # compose only (a profile): nothing runs it on the cluster
    elif infra is not None and infra.group == cluster.MONITORING:
        workload = stack["workload"] if stack else None  # kube-prometheus-stack runs the monitoring stack
    else:
        workload = f"{plan.workload_kind(name).lower()}/{name}"
    keys = sorted({(plan.catalogue.secrets[ref].path, plan.catalogue.secrets[ref].exchange)
                   for ref in (svc.secrets.values() if svc else ()) if plan.catalogue.secrets[ref].exchange != "none"})
    return SimpleNamespace(
        name=name,
        known=True,
        description=(svc or plan.infrastructure[name]).description,
        namespace=(cluster.stack_namespace(plan, PROD) if stack else plan.service_namespace(name, PROD)),
        workload=workload,
        singleton=bool(svc and svc.scaling.mode == "singleton" and svc.schedule is None),
        callers=plan.dependents.get(name, ()),
        services=plan.depends_on(name, "service") if svc else (),
        infrastructure=plan.depends_on(name, "infrastructure") if svc else (),
        external=plan.depends_on(name, "external") if svc else (),
        exchange_access=svc.exchange_access if svc else "none",
        exchange_keys=keys,
        kill_switch=kill_switch(plan, name),
    )


def kill_switch(plan: Plan, name: str) -> dict | None:
    """How an operator halts and resumes a trader: its own HTTP endpoints (services.<name>.kill_switch)."""
    svc = plan.services.get(name)
    switch = svc.kill_switch if svc else None
    if switch is None:
        return None
    return {
        "port": plan.named_port(name, "http").container,
        "metrics_port": plan.metrics_port(name),
        "halt": (switch.halt.method, switch.halt.path),
        "resume": (switch.resume.method, switch.resume.path),
        "metric": switch.halted_metric,
    }


def trading_path(plan: Plan) -> list[str]:
    """What the 15-minute RTO covers: services that touch an exchange and everything they need, then
    every core service whose dependencies are all on that path (detection, allocation); in start order."""
    todo = [n for n, s in plan.services.items() if s.exchange_access != "none"]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            if name in plan.services:
                todo += [*plan.depends_on(name, "service"), *plan.depends_on(name, "infrastructure")]
    for name in plan.start_order:  # dependencies come first, so one pass grows the path fully
        svc = plan.services.get(name)
        if svc is not None and svc.group == "core" and name not in seen and all(
            d in seen for d in (*plan.depends_on(name, "service"), *plan.depends_on(name, "infrastructure"))
        ):
            seen.add(name)
    return [n for n in plan.start_order if n in seen]


def context(plan: Plan) -> dict:
    receivers = plan.catalogue.monitoring.receivers
    traders = [n for n, s in plan.services.items() if s.exchange_access == "trade"]
    databases = [n for n, i in plan.infrastructure.items() if i.image.image.rsplit("/", 1)[-1] == "postgres"]
    critical = trading_path(plan)
    on_path = set(critical)
    return {
        "plan": plan,
        "project": plan.project,
        "components": {n: component(plan, n) for n in (*plan.services, *plan.infrastructure)},
        "traders": traders,
        "databases": databases,
        "order": list(plan.start_order),
        "critical": critical,
        "rest": [n for n in plan.start_order if n not in on_path
                 and getattr(plan.infrastructure.get(n), "group", None) != cluster.MONITORING],
        "routes": {"P1": f"PagerDuty (and {receivers.slack_channel})", "P2": receivers.slack_channel,
                   "P3": receivers.notice_channel},
        "severity": SEVERITY,
        **objectives(plan),
        "cloud": managed(plan),
        "thresholds": plan.catalogue.monitoring.thresholds,
        "volume_free": percent(plan.catalogue.monitoring.thresholds.volume_free_ratio),
        "cert_days": plan.catalogue.monitoring.thresholds.certificate_days,
    }


def _minutes(count: int) -> str:
    if count % 60 == 0:
        hours = count // 60
        return f"{hours} hour" + ("s" if hours > 1 else "")
    return f"{count} minute" + ("s" if count > 1 else "")


def objectives(plan: Plan) -> dict[str, str]:
    """RTO and RPO: the catalogue's (cloud.recovery) where it states them, else the platform brief's."""
    cloud = plan.catalogue.cloud
    if cloud is None:
        return {"rto_critical": RTO_CRITICAL, "rto_full": RTO_FULL, "rpo": RPO}
    r = cloud.recovery
    return {"rto_critical": _minutes(r.rto_critical_minutes), "rto_full": _minutes(r.rto_full_minutes), "rpo": _minutes(r.rpo_minutes)}


def managed(plan: Plan) -> dict[str, dict] | None:
    """Per cloud environment with managed data stores: the names the runbooks' commands use."""
    cloud = plan.catalogue.cloud
    if cloud is None:
        return None
    out = {}
    for env, ce in cloud.environments.items():
        if ce.data_stores != "managed" or ce.postgres is None:
            continue
        cluster = plan.environment(env).cluster
        out[env] = {
            "database": cloud_facts.database_id(plan.project, env),
            "cache": cloud_facts.cache_id(plan.project, env),
            "region": cluster.region,
            "backup_region": ce.backup_region,
            "cluster": cluster.name,
            "multi_az": ce.high_availability,
            "retention_days": ce.postgres.backup_retention_days if ce.postgres else None,
            "instance_class": ce.postgres.instance_class if ce.postgres else None,
            "has_cache": ce.redis is not None,
            "root": paths.from_root(paths.TERRAFORM / env),
        }
    drill = cloud.recovery
    return {"environments": out, "drill_environment": drill.drill_environment, "drill_schedule": drill.drill_schedule,
            "upload_minutes": cloud_facts.RDS_LOG_UPLOAD_MINUTES} if out else None


def render(plan: Plan, templates: Templates, alerts: list[Alert]) -> dict[PurePosixPath, str]:
    ctx = context(plan)
    components = ctx["components"]
    for alert in alerts:  # the monitoring stack's own alerts name components that may not be in the catalogue
        if alert.service not in components:
            components[alert.service] = component(plan, alert.service)
    for c in components.values():  # once per component, where a macro wrote it once per alert (8,000 at 1,000 services)
        c.where = templates.render(WHERE, c=c)
    by_name: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_name.setdefault(alert.name, []).append(alert)
    out = {}
    for name, group in sorted(by_name.items()):
        own = f"monitoring/runbooks/alerts/{name}.md.j2"
        body = own if templates.exists(own) else ALERT_KINDS[group[0].facts["kind"]].runbook(group[0].facts["kind"])
        out[FOLDER / f"{name}.md"] = templates.render(
            "monitoring/runbooks/alert.md.j2", alert_name=name, alerts=group, body=body, **ctx)
    for name in OPERATIONS:
        out[FOLDER / f"{name}.md"] = templates.render(f"monitoring/runbooks/{name}.md.j2", **ctx)
    out[FOLDER / "README.md"] = templates.render(
        "monitoring/runbooks/README.md.j2", alerts=sorted(by_name.items()), operations=OPERATIONS, **ctx)
    return out
