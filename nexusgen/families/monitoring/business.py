"""The catalogue's own alerts (``monitoring.alerts``): rules from the kind registry, and their tests.

The expression, value format and unit of each kind are the registry's
(``nexusgen/catalogue/alert_kinds.py``); this module adds what a promtool unit test needs per
kind (``TESTS``): the healthy series, the series under which the alert must fire, and the
labels and value it must fire with.
"""

from __future__ import annotations

from collections.abc import Callable

from nexusgen.catalogue.alert_kinds import ALERT_KINDS, Query
from nexusgen.catalogue.model import BusinessAlert, Metric
from nexusgen.plan import Plan
from nexusgen.errors import TemplateError
from nexusgen.families.monitoring.model import WARMUP_MINUTES, Alert, Case, Pair, Series, Value, minutes, num, series, stable
from nexusgen.families.monitoring.services import fast_histogram, slow_histogram

TEST_LABEL_VALUE = "test"  # the value each declared label gets in unit tests


def _bad_value(good: str) -> str:
    return "error" if good != "error" else "failure"


def business_alerts(plan: Plan) -> list[Alert]:
    out = []
    for alert in sorted(plan.catalogue.monitoring.alerts, key=lambda a: a.alert):
        metric = next(m for m in plan.services[alert.service].metrics if m.name == alert.metric)
        out.append(_alert(plan, alert, metric))
    return out


class Test:
    """What a kind's test builder gets: the alert, the labels of its series and of its result."""

    def __init__(self, alert: BusinessAlert, job: str, keys: dict[str, str], both: dict[str, str]):
        self.alert, self.job, self.keys, self.both = alert, job, keys, both
        self.m, self.t = alert.metric, alert.threshold
        self.step = abs(self.t) / 2 if self.t else 1  # how far from the threshold the test values sit
        self.fmt = ALERT_KINDS[alert.kind].value_format
        self.quiet: tuple[tuple[Series, ...], ...] = ()  # series under which it must stay silent

    def printable(self, factors: tuple[float, ...], value: Callable[[float], float]) -> float:
        """The first factor whose firing value the description prints unambiguously (a threshold
        such as 0.667 puts 1.5 times it on a rounding boundary: 1.0005)."""
        for factor in factors:
            if stable(self.fmt, value(factor)):
                return factor
        raise TemplateError(f"{self.alert.alert}: no test value prints stably for threshold {self.t}")

    def absent(self, **labels: str) -> Series:
        return Series(self.m, tuple(sorted({**self.both, **labels}.items())), absent=True)


# Each returns (calm series, cases, extra warm-up minutes).
Tests = tuple[tuple[Series, ...], tuple[Case, ...], int]


def _stale(x: Test) -> Tests:
    warmup = int(x.t // 60)
    at = (minutes(x.alert.for_) + WARMUP_MINUTES + warmup) * 60  # the stuck timestamp is 0, so its age is the evaluation time
    cases = (Case((series(x.m, 0, 0, **x.both),), x.keys, at), Case((x.absent(),), {"job": x.job}, at))
    return (series(x.m, 0, 60, **x.both),), cases, warmup


def _level(sign: int) -> Callable[[Test], Tests]:
    def tests(x: Test) -> Tests:
        calm = (series(x.m, x.t - sign * x.step, 0, **x.both),)
        step = x.step * x.printable((1, 1.1, 1.2, 1.3), lambda f: x.t + sign * x.step * f)
        return calm, (Case((series(x.m, x.t + sign * step, 0, **x.both),), x.keys, x.t + sign * step),), 0

    return tests


def _p99_above(x: Test) -> Tests:
    slow, p99 = slow_histogram(x.m, x.t, x.both)
    return fast_histogram(x.m, x.t, x.both), (Case(slow, x.keys, p99),), 0


def _ratio_below(x: Test) -> Tests:
    good, t, floor = x.alert.good, x.t, x.alert.min_rate
    volume = max(200.0, 60 * 4 * floor) if floor else 200.0  # events a minute: far above the minimum rate
    first = min(good)
    bad = {**x.both, **good, first: _bad_value(good[first])}
    good_labels = {**x.both, **good}
    calm_good = volume * (1 + t) / 2
    calm = (series(x.m, 0, calm_good, **good_labels), series(x.m, 0, volume - calm_good, **bad))
    half = volume * t / x.printable((2, 3, 4, 5), lambda f: t / f)
    cases = (
        Case((series(x.m, 0, half, **good_labels), series(x.m, 0, volume - half, **bad)), x.keys, half / volume),
        Case((x.absent(**good), series(x.m, 0, volume, **bad)), x.keys, 0),  # nothing succeeds at all
    )
    if floor:  # only failures, but below the minimum rate: silent
        x.quiet = ((x.absent(**good), series(x.m, 0, 60 * floor / 2, **bad)),)
    return calm, cases, 0


def _rate_above(x: Test) -> Tests:
    f = x.printable((2, 3, 4, 5), lambda f: f * x.t)
    return (series(x.m, 0, 60 * x.t / 2, **x.both),), (Case((series(x.m, 0, 60 * f * x.t, **x.both),), x.keys, f * x.t),), 0


def _rate_below(x: Test) -> Tests:
    calm = (series(x.m, 0, 60 * 2 * x.t if x.t > 0 else 60, **x.both),)
    return calm, (Case((series(x.m, 0, 0, **x.both),), {}, 0), Case((x.absent(),), {}, 0)), 0


TESTS: dict[str, Callable[[Test], Tests]] = {
    "stale": _stale, "above": _level(1), "below": _level(-1), "p99_above": _p99_above,
    "ratio_below": _ratio_below, "rate_above": _rate_above, "rate_below": _rate_below,
}  # fmt: skip


def _alert(plan: Plan, alert: BusinessAlert, metric: Metric) -> Alert:
    target = next(t for t in plan.scrape_targets if t.component == alert.service)
    keep = [label for label in metric.labels if label not in alert.good]
    inst = {"job": target.job, "instance": target.instance}
    keys = {label: inst.get(label, TEST_LABEL_VALUE) for label in keep}
    kind = ALERT_KINDS[alert.kind]
    t = alert.threshold
    expr = kind.expr(Query(metric.name, target.job, keep, num(t), dict(alert.good),
                           None if alert.min_rate is None else num(alert.min_rate)))
    test = Test(alert, target.job, keys, {**keys, **inst})
    calm, cases, warmup = TESTS[alert.kind](test)
    shown = keep if kind.shows_labels else []
    description = (
        alert.description, " Current value:", *(Pair(label) for label in shown), " ", Value(kind.value_format), kind.unit,
        f" (threshold {num(t)}, {alert.kind.replace('_', ' ')}).",
    )
    return Alert(
        name=alert.alert, service=alert.service, priority=alert.priority, expr=expr, for_=alert.for_,
        summary=(alert.summary,), description=description, calm=calm, cases=cases, quiet=test.quiet,
        warmup=WARMUP_MINUTES + warmup,
        facts={"kind": alert.kind, "metric": metric.name, "threshold": num(t), "help": metric.help},
    )
