"""The alerts every scraped service gets, and the recording rules they read.

Availability and restarts come from Prometheus's own ``up`` and the client libraries'
``process_start_time_seconds`` (scraped in compose and in the cluster alike); error ratio and
p99 latency from the catalogue's HTTP metrics through recording rules; saturation from
cAdvisor's ``container_*`` series (kubelet in the cluster), compared with the container's own
limits from kube-state-metrics (``kube_pod_container_resource_limits``: kube-prometheus-stack's
kubelet relabelling drops cAdvisor's ``container_spec_*``), so the alert is right in every
environment whatever its overrides;
scaling headroom from kube-state-metrics. The Kubernetes container and HPA carry the service name.
"""

from __future__ import annotations

import math

from nexusgen.errors import TemplateError
from nexusgen.escape import promql_matchers
from nexusgen.catalogue.model import cpu_cores, memory_bytes
from nexusgen.plan import Plan, ScrapeTarget
from nexusgen.catalogue.reserved import RESTART_PLATEAU
from nexusgen.families.monitoring.jobs import job_alerts
from nexusgen.families.monitoring.model import Alert, Case, Label, Series, Value, num, series, stable

PERCENT = Value("%")
LIMITS = "kube_pod_container_resource_limits"  # kube-state-metrics: one series per container and resource
BUCKET_FACTORS = (4, 5, 6, 8)  # upper bound of the slow bucket, in thresholds; the first that prints stably


def http_rules(plan: Plan) -> dict[str, str]:
    """Recording rule names for request rate, 5xx rate, 5xx ratio and p99 per job."""
    mon = plan.catalogue.monitoring
    base = mon.http_requests_metric.removesuffix("_total")
    return {
        "rate": f"job:{base}:rate5m",
        "errors": f"job:{base}_errors:rate5m",
        "ratio": f"job:{base}_errors:ratio_rate5m",
        "p99": f"job:{mon.http_duration_metric}:p99_rate5m",
    }


def recording_rules(plan: Plan) -> list[dict]:
    mon = plan.catalogue.monitoring
    names, req = http_rules(plan), mon.http_requests_metric
    return [
        {"record": names["rate"], "expr": f"sum by (job) (rate({req}[5m]))"},
        {"record": names["errors"], "expr": f'sum by (job) (rate({req}{{status=~"5.."}}[5m]))'},
        # No 5xx series at all means a ratio of 0, not no ratio.
        {"record": names["ratio"], "expr": f"({names['errors']} or {names['rate']} * 0) / {names['rate']}"},
        {
            "record": names["p99"],
            "expr": f"histogram_quantile(0.99, sum by (job, le) (rate({mon.http_duration_metric}_bucket[5m])))",
        },
    ]


def percent(ratio: float) -> str:
    return f"{ratio * 100:g}%"


def over(threshold: float) -> float:
    """A ratio clearly above ``threshold``, printed without ambiguity (a threshold such as 0.985
    puts the first choice, 1.0025, on a rounding boundary of humanizePercentage)."""
    first = (1 + threshold) / 2 + 0.025 if threshold < 0.9 else threshold + (1 - threshold) / 2 + 0.01
    for value in (first + k * 0.0001 for k in range(10)):
        if stable(PERCENT.fmt, value):
            return value
    raise TemplateError(f"no test ratio above {threshold} prints stably")


def histogram(metric: str, bounds: tuple[float, ...], hot: int, labels: dict[str, str]) -> tuple[Series, ...]:
    """Buckets where all observations (60 a minute) fall in bucket ``hot`` (index into bounds)."""
    out = []
    for index, bound in enumerate((*bounds, "+Inf")):
        le = bound if isinstance(bound, str) else num(bound)
        out.append(series(f"{metric}_bucket", 0, 60 if index >= hot else 0, le=le, **labels))
    return tuple(out)


def slow_histogram(metric: str, threshold: float, labels: dict[str, str]) -> tuple[tuple[Series, ...], float]:
    """Series whose p99 is well above ``threshold``, and that p99 as histogram_quantile computes it."""
    for factor in BUCKET_FACTORS:
        low, high = 2 * threshold, factor * threshold
        p99 = low + (high - low) * 0.99
        if stable("%.3g", p99):
            return histogram(metric, (threshold / 2, low, high), 2, labels), p99
    raise TemplateError(f"no latency test histogram prints stably for threshold {threshold}")


def fast_histogram(metric: str, threshold: float, labels: dict[str, str]) -> tuple[Series, ...]:
    return histogram(metric, (threshold / 2, 2 * threshold, 4 * threshold), 0, labels)


def service_alerts(plan: Plan) -> list[Alert]:
    out = []
    for target in plan.scrape_targets:
        if target.kind == "service":
            out += _alerts(plan, target)
    return out + job_alerts(plan)


def _impact(plan: Plan, name: str) -> str:
    callers = plan.dependents[name]
    return f"{', '.join(callers)} call it." if callers else "No other service calls it."


def _saturation(name: str, what: str, effect: str, expr: str, threshold: float, pod: dict[str, str],
                usage: str, limits: tuple[Series, ...], full: float, per_minute: bool) -> Alert:
    """``usage`` at half the threshold when calm and above it in the case; ``full`` is usage at the limit."""
    hot = over(threshold)

    def use(ratio: float) -> Series:
        return series(usage, 0, 60 * full * ratio, **pod) if per_minute else series(usage, full * ratio, 0, **pod)

    return Alert(
        name=f"{what.capitalize()}Saturation", service=name, priority="P2", expr=expr, for_="15m",
        summary=(f"{name} is close to its {what} limit",),
        description=("Pod ", Label("pod"), " in ", Label("namespace"), " uses ", PERCENT,
                     f" of its {what} limit (threshold {percent(threshold)}) for 15 minutes. {effect}",),
        calm=(use(threshold / 2), *limits),
        cases=(Case((use(hot),), {"namespace": pod["namespace"], "pod": pod["pod"]}, hot),),
    )


def _cpu(plan: Plan, name: str, pod: dict[str, str]) -> Alert:
    cores = cpu_cores(plan.resources(name, "production").limits.cpu)
    threshold = plan.catalogue.monitoring.thresholds.cpu_ratio
    sel = promql_matchers({"container": name})
    limit = promql_matchers({"container": name, "resource": "cpu"})
    expr = (f"sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{sel}[5m]))"
            f" / sum by (namespace, pod) ({LIMITS}{limit}) > {num(threshold)}")
    limits = (series(LIMITS, cores, 0, resource="cpu", unit="core", **pod),)
    return _saturation(name, "CPU", "Above the limit the container is throttled: latency rises.", expr, threshold, pod,
                       "container_cpu_usage_seconds_total", limits, cores, per_minute=True)


def _memory(plan: Plan, name: str, pod: dict[str, str]) -> Alert:
    size = memory_bytes(plan.resources(name, "production").limits.memory)
    threshold = plan.catalogue.monitoring.thresholds.memory_ratio
    sel = promql_matchers({"container": name})
    limit = promql_matchers({"container": name, "resource": "memory"})
    expr = (f"max by (namespace, pod) (container_memory_working_set_bytes{sel})"
            f" / max by (namespace, pod) ({LIMITS}{limit} > 0) > {num(threshold)}")
    limits = (series(LIMITS, size, 0, resource="memory", unit="byte", **pod),)
    return _saturation(name, "memory", "At the limit the kernel kills the container (OOMKilled).", expr, threshold, pod,
                       "container_memory_working_set_bytes", limits, size, per_minute=False)


def _alerts(plan: Plan, target: ScrapeTarget) -> list[Alert]:
    name, job = target.component, target.job
    sel = promql_matchers({"job": job})
    th = plan.catalogue.monitoring.thresholds
    names = http_rules(plan)
    mon = plan.catalogue.monitoring
    inst = {"job": job, "instance": target.instance}
    pod = {"container": name, "namespace": plan.service_namespace(name, "production"), "pod": f"{name}-0"}
    up = series("up", 1, 0, **inst)
    ok = {"status": "200", **inst}
    bad = {"status": "500", **inst}
    req = mon.http_requests_metric

    # Per minute: 5xx and 2xx answers, at twice the minimum rate at least (a firing case must clear the guard).
    scale = max(1, math.ceil(th.min_request_rate * 2))
    errors = (30 * scale, 30 * scale) if th.error_ratio < 0.5 else (999 * scale, scale)
    trickle = th.min_request_rate * 60 / 2  # per minute, every answer a 5xx: half the minimum rate
    slow, p99 = slow_histogram(mon.http_duration_metric, th.latency_p99_seconds, inst)
    restarts = th.restarts_per_hour
    plateaus = tuple(float(k * 300) for k in range(restarts + 1) for _ in range(RESTART_PLATEAU))
    if len(plateaus) > 50:
        raise TemplateError(f"restarts_per_hour {restarts} is too many to simulate within one hour")  # checks.py rules it out

    alerts = [
        Alert(
            name="ServiceDown", service=name, priority="P1", for_="1m",
            expr=f'(sum(up{sel}) or vector(0)) < 1',
            summary=(f"{name} is down",),
            description=(f"No instance of {name} answers Prometheus scrapes (", Value("%.0f"), f" up). {_impact(plan, name)}",),
            calm=(up,),
            cases=(Case((series("up", 0, 0, **inst),), {}, 0), Case((Series("up", up.labels, absent=True),), {}, 0)),
        ),
        Alert(
            name="InstanceDown", service=name, priority="P2", for_="5m",
            expr=f'up{sel} == 0',
            summary=(f"An instance of {name} is down",),
            description=("Instance ", Label("instance"), f" of {name} has failed every scrape for 5 minutes (up = ",
                         Value("%.0f"), "); the other replicas carry its load.",),
            calm=(up,), cases=(Case((series("up", 0, 0, **inst),), inst, 0),),
        ),
        Alert(
            name="HighErrorRate", service=name, priority="P2", for_="5m",
            expr=(f'{names["ratio"]}{sel} > {num(th.error_ratio)}'
                  f' and on(job) {names["rate"]}{sel} >= {num(th.min_request_rate)}'),
            summary=(f"{name} answers with server errors",),
            description=(PERCENT, f" of the HTTP requests to {name} failed with a 5xx status over 5 minutes"
                         f" (threshold {percent(th.error_ratio)}, at {num(th.min_request_rate)} requests/s or more).",),
            calm=(series(req, 0, 60, **ok), series(req, 0, 0, **bad)),
            cases=(Case((series(req, 0, errors[1], **ok), series(req, 0, errors[0], **bad)), {"job": job},
                        errors[0] / sum(errors)),),
            quiet=((series(req, 0, 0, **ok), series(req, 0, trickle, **bad)),) if th.min_request_rate > 0 else (),
        ),
        Alert(
            name="HighLatency", service=name, priority="P2", for_="10m",
            expr=f'{names["p99"]}{sel} > {num(th.latency_p99_seconds)}',
            summary=(f"{name} is slow",),
            description=(f"The 99th percentile of {name}'s HTTP request duration is ", Value("%.3g"),
                         f" s over 5 minutes (threshold {num(th.latency_p99_seconds)} s).",),
            calm=fast_histogram(mon.http_duration_metric, th.latency_p99_seconds, inst),
            cases=(Case(slow, {"job": job}, p99),),
        ),
        _cpu(plan, name, pod),
        _memory(plan, name, pod),
        Alert(
            name="FrequentRestarts", service=name, priority="P2", for_="0s",
            expr=f'changes(process_start_time_seconds{sel}[1h]) >= {restarts}',
            summary=(f"{name} keeps restarting",),
            description=("Instance ", Label("instance"), f" of {name} restarted ", Value("%.0f"),
                         f" times in the last hour (threshold {restarts}).",),
            calm=(series("process_start_time_seconds", 0, 0, **inst),),
            cases=(Case((Series("process_start_time_seconds", tuple(sorted(inst.items())), plateaus[-1], 0, plateaus),),
                        inst, restarts),),
            warmup=len(plateaus) + 5,
        ),
    ]
    low, high = plan.replicas(name, "production")
    if plan.services[name].scaling.mode == "stateless" and high > low:
        hpa = {"horizontalpodautoscaler": name, "namespace": pod["namespace"]}
        hpa_sel = promql_matchers({"horizontalpodautoscaler": name})
        alerts.append(Alert(
            name="ScalingAtMaximum", service=name, priority="P3", for_="30m",
            expr=(f'kube_horizontalpodautoscaler_status_current_replicas{hpa_sel}'
                  f' >= kube_horizontalpodautoscaler_spec_max_replicas{hpa_sel}'),
            summary=(f"{name} has no scaling headroom left",),
            description=(f"The autoscaler of {name} in ", Label("namespace"), " has run at its maximum of ",
                         Value("%.0f"), " replicas for 30 minutes; more load will not be absorbed.",),
            calm=(series("kube_horizontalpodautoscaler_status_current_replicas", low, 0, **hpa),
                  series("kube_horizontalpodautoscaler_spec_max_replicas", high, 0, **hpa)),
            cases=(Case((series("kube_horizontalpodautoscaler_status_current_replicas", high, 0, **hpa),), hpa, high),),
        ))
    return alerts
