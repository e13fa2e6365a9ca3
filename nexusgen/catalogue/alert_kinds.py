"""The business alert kinds (``monitoring.alerts[].kind``): one entry per kind, in one place.

An entry says which metric type the kind accepts (validation), its PromQL expression and how
its description prints the value (the monitoring family's rules), how the trading dashboard
draws the metric, and which runbook template explains it. The catalogue model's allowed kinds
are this registry's keys. The promtool test series of each kind are the monitoring family's
(``families/monitoring/business.py`` ``TESTS``, one function per kind; a test keeps both key sets
equal): they are built from the family's promtool model, which the catalogue may not import.

Each expression is written so that the failure it guards against cannot hide in a missing
series: a stale timestamp that was never set counts as set at 0, a success counter that was
never incremented counts as 0 successes, and a counter expected to move counts as 0 when absent.
Aggregation keeps the metric's declared labels (minus the ``good`` ones), so the alert says which
exchange, instrument or limit is affected; ``rate_below`` looks at the service total.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nexusgen.escape import promql_matchers


@dataclass(frozen=True)
class Query:
    """What an expression is built from."""

    metric: str
    job: str
    keep: list[str]  # the metric's labels the alert keeps (its declared labels minus the `good` ones)
    threshold: str  # as Prometheus writes the number
    good: dict[str, str]  # labels of successful events (ratio_below only)
    min_rate: str | None = None  # ratio_below: events per second below which the ratio is not judged

    @property
    def selector(self) -> str:
        return promql_matchers({"job": self.job})

    @property
    def by(self) -> str:
        return f" by ({', '.join(self.keep)})" if self.keep else ""


@dataclass(frozen=True)
class Range:
    """The thresholds a kind accepts (the model first bounds every threshold to +-1e15, finite)."""

    low: float
    high: float
    text: str
    low_open: bool = False  # the bound itself is excluded
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


GAUGE = Range(-1e15, 1e15, "a gauge value, -1e15 to 1e15")
RATE = Range(0, 1e6, "events per second, above 0 and at most 1e6", low_open=True)


@dataclass(frozen=True)
class AlertKind:
    metric_type: str  # the only metric type it accepts: counter, gauge or histogram
    expr: Callable[[Query], str]  # the alert's PromQL
    value_format: str  # printf format of $value in the description; "%" for humanizePercentage
    unit: str  # printed after the value
    shows_labels: bool = True  # the description names the kept labels (False: the expression sums them away)
    needs_good: bool = False  # takes `good` (the labels of successful events), and needs it
    age_panel: bool = False  # the dashboard plots the metric's age (time() - value) rather than its value
    threshold_line: bool = True  # the dashboard draws the threshold on the metric's panel
    gauge_aggregation: str = "max"  # how the dashboard folds a gauge's series: as the alert does (below: min)
    threshold: Range = GAUGE  # the thresholds it accepts (validation)

    def runbook(self, kind: str) -> str:
        """The runbook body template that explains this kind."""
        return f"monitoring/runbooks/kinds/{kind}.md.j2"


def _stale(q: Query) -> str:
    m, sel, t = q.metric, q.selector, q.threshold
    return f"time() - max{q.by} ({m}{sel}) > {t} or time() * absent({m}{sel}) > {t}"


def _ratio_below(q: Query) -> str:
    good = promql_matchers({"job": q.job, **q.good})  # catalogue values: escaped, never closing a matcher
    total = f"sum{q.by} (rate({q.metric}{q.selector}[5m]))"
    ratio = f"(sum{q.by} (rate({q.metric}{good}[5m])) or {total} * 0) / {total} < {q.threshold}"
    return ratio if q.min_rate is None else f"{ratio} and {total} >= {q.min_rate}"


# In the catalogue schema's order.
ALERT_KINDS: dict[str, AlertKind] = {
    "stale": AlertKind("gauge", _stale, "%.0f", " s since the last update", age_panel=True,
                       threshold=Range(0, 7 * 86400, "seconds since the last update, above 0 and at most 604800 (7 days)", low_open=True)),
    "above": AlertKind("gauge", lambda q: f"max{q.by} ({q.metric}{q.selector}) > {q.threshold}", "%.4g", ""),
    "below": AlertKind("gauge", lambda q: f"min{q.by} ({q.metric}{q.selector}) < {q.threshold}", "%.4g", "",
                       gauge_aggregation="min"),
    "p99_above": AlertKind(
        "histogram",
        lambda q: f"histogram_quantile(0.99, sum by ({', '.join(['le', *q.keep])}) (rate({q.metric}_bucket{q.selector}[5m]))) > {q.threshold}",
        "%.3g", " s", threshold=Range(0, 3600, "seconds, above 0 and at most 3600", low_open=True),
    ),
    "ratio_below": AlertKind("counter", _ratio_below, "%", " good", needs_good=True, threshold_line=False,
                             threshold=Range(0, 1, "a ratio above 0 and below 1", low_open=True, high_open=True)),
    "rate_above": AlertKind("counter", lambda q: f"sum{q.by} (rate({q.metric}{q.selector}[5m])) > {q.threshold}", "%.4g", "/s",
                            threshold=RATE),
    "rate_below": AlertKind(  # the whole service is quiet; an absent counter is a quiet one
        "counter", lambda q: f"(sum(rate({q.metric}{q.selector}[5m])) or vector(0)) < {q.threshold}", "%.4g", "/s",
        shows_labels=False, threshold=RATE,
    ),
}  # fmt: skip
