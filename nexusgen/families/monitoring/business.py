"""The catalogue's own alerts (``monitoring.alerts``) as PromQL, one expression per kind.

Each kind is written so that the failure it guards against cannot hide in a missing series:
a stale timestamp that was never set counts as set at 0, a success counter that was never
incremented counts as 0 successes, and a counter expected to move counts as 0 when absent.
Aggregation keeps the metric's declared labels (minus the ``good`` ones), so the alert says
which exchange, instrument or limit is affected; ``rate_below`` looks at the service total.
"""

from __future__ import annotations

from nexusgen.catalogue.model import BusinessAlert, Metric
from nexusgen.plan import Plan
from nexusgen.families.monitoring.model import WARMUP_MINUTES, Alert, Case, Pair, Series, Value, minutes, num, series
from nexusgen.families.monitoring.services import fast_histogram, slow_histogram

TEST_LABEL_VALUE = "test"  # the value each declared label gets in unit tests
FORMAT = {"stale": "%.0f", "above": "%.4g", "below": "%.4g", "p99_above": "%.3g", "ratio_below": "%",
          "rate_above": "%.4g", "rate_below": "%.4g"}  # fmt: skip
UNIT = {"stale": " s since the last update", "above": "", "below": "", "p99_above": " s",
        "ratio_below": " good", "rate_above": "/s", "rate_below": "/s"}  # fmt: skip


def _by(labels: list[str]) -> str:
    return f" by ({', '.join(labels)})" if labels else ""


def _bad_value(good: str) -> str:
    return "error" if good != "error" else "failure"


def business_alerts(plan: Plan) -> list[Alert]:
    out = []
    for alert in sorted(plan.catalogue.monitoring.alerts, key=lambda a: a.alert):
        metric = next(m for m in plan.services[alert.service].metrics if m.name == alert.metric)
        out.append(_alert(plan, alert, metric))
    return out


def _alert(plan: Plan, alert: BusinessAlert, metric: Metric) -> Alert:
    job = next(t.job for t in plan.scrape_targets if t.component == alert.service)
    keep = [label for label in metric.labels if label not in alert.good]
    inst = {"job": job, "instance": f"{alert.service}:{plan.services[alert.service].ports.metrics}"}
    keys = {label: inst.get(label, TEST_LABEL_VALUE) for label in keep}
    both = {**keys, **inst}
    m, t, sel = metric.name, alert.threshold, f'{{job="{job}"}}'
    step = abs(t) / 2 if t else 1  # how far from the threshold the test values sit
    kind = alert.kind
    warmup = WARMUP_MINUTES
    quiet: tuple = ()

    if kind == "stale":
        expr = f"time() - max{_by(keep)} ({m}{sel}) > {num(t)} or time() * absent({m}{sel}) > {num(t)}"
        calm = (series(m, 0, 60, **both),)
        warmup += int(t // 60)
        at = (minutes(alert.for_) + warmup) * 60  # the stuck timestamp is 0, so its age is the evaluation time
        cases = (Case((series(m, 0, 0, **both),), keys, at),
                 Case((Series(m, tuple(sorted(both.items())), absent=True),), {"job": job}, at))
    elif kind in ("above", "below"):
        op, agg, sign = (">", "max", 1) if kind == "above" else ("<", "min", -1)
        expr = f"{agg}{_by(keep)} ({m}{sel}) {op} {num(t)}"
        calm = (series(m, t - sign * step, 0, **both),)
        cases = (Case((series(m, t + sign * step, 0, **both),), keys, t + sign * step),)
    elif kind == "p99_above":
        expr = f"histogram_quantile(0.99, sum by ({', '.join(['le', *keep])}) (rate({m}_bucket{sel}[5m]))) > {num(t)}"
        calm = fast_histogram(m, t, both)
        slow, p99 = slow_histogram(m, t, both)
        cases = (Case(slow, keys, p99),)
    elif kind == "ratio_below":
        good = ",".join(f'{k}="{v}"' for k, v in sorted(alert.good.items()))
        total = f"sum{_by(keep)} (rate({m}{sel}[5m]))"
        expr = f'(sum{_by(keep)} (rate({m}{{job="{job}",{good}}}[5m])) or {total} * 0) / {total} < {num(t)}'
        volume = 200.0  # events per minute in the tests: far above any minimum rate
        if alert.min_rate is not None:
            expr += f" and {total} >= {num(alert.min_rate)}"
            volume = max(volume, 60 * 4 * alert.min_rate)
        first = min(alert.good)
        bad = {**both, **alert.good, first: _bad_value(alert.good[first])}
        good_labels = {**both, **alert.good}
        calm_good = volume * (1 + t) / 2
        calm = (series(m, 0, calm_good, **good_labels), series(m, 0, volume - calm_good, **bad))
        half = volume * t / 2
        cases = (
            Case((series(m, 0, half, **good_labels), series(m, 0, volume - half, **bad)), keys, half / volume),
            # nothing succeeds at all
            Case((Series(m, tuple(sorted(good_labels.items())), absent=True), series(m, 0, volume, **bad)), keys, 0),
        )
        if alert.min_rate is not None:  # a few failures at low volume stay silent
            quiet = ((Series(m, tuple(sorted(good_labels.items())), absent=True),
                      series(m, 0, 60 * alert.min_rate / 2, **bad)),)
    elif kind == "rate_above":
        expr = f"sum{_by(keep)} (rate({m}{sel}[5m])) > {num(t)}"
        calm = (series(m, 0, 60 * t / 2, **both),)
        cases = (Case((series(m, 0, 60 * 2 * t, **both),), keys, 2 * t),)
    else:  # rate_below: the whole service is quiet; an absent counter is a quiet one
        expr = f"(sum(rate({m}{sel}[5m])) or vector(0)) < {num(t)}"
        calm = (series(m, 0, 60 * 2 * t if t > 0 else 60, **both),)
        cases = (Case((series(m, 0, 0, **both),), {}, 0),
                 Case((Series(m, tuple(sorted(both.items())), absent=True),), {}, 0))

    shown = [] if kind == "rate_below" else keep  # rate_below sums the labels away
    description = (
        alert.description, " Current value:", *(Pair(label) for label in shown), " ", Value(FORMAT[kind]), UNIT[kind],
        f" (threshold {num(t)}, {kind.replace('_', ' ')}).",
    )
    return Alert(
        name=alert.alert, service=alert.service, priority=alert.priority, expr=expr, for_=alert.for_,
        summary=(alert.summary,), description=description, calm=calm, cases=cases, quiet=quiet, warmup=warmup,
        facts={"kind": kind, "metric": m, "threshold": num(t), "help": metric.help},
    )
