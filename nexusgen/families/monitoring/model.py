"""The alert model the rule, unit-test and runbook renderers share.

An ``Alert`` is one Prometheus alerting rule together with the evidence that it works: the
series of a healthy system (``calm``) and the ``cases`` that must make it fire, each with
the labels and value the expression yields. Annotations are built from parts, so the
Prometheus template in the rule and the text ``promtool test rules`` expects after expansion
come from one definition and cannot drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

from nexusgen.escape import promql_matchers
from nexusgen.errors import TemplateError

SEVERITY = {"P1": "critical", "P2": "warning", "P3": "info"}
WARMUP_MINUTES = 10  # series run this long before a condition must have held for its `for`


@dataclass(frozen=True)
class Value:
    """The alert's ``$value``: a printf format, or ``%`` for humanizePercentage."""

    fmt: str


@dataclass(frozen=True)
class Label:
    """One label of the alert, ``$labels.<name>``."""

    name: str


@dataclass(frozen=True)
class Pair:
    """`` name=<value>`` when the alert has label ``name``, nothing when it has not."""

    name: str


Part = str | Value | Label | Pair


def go_template(parts: tuple[Part, ...]) -> str:
    """The annotation as Prometheus expands it; literal ``{{`` from the catalogue is escaped."""
    out = []
    for part in parts:
        if isinstance(part, Value):
            out.append("{{ $value | humanizePercentage }}" if part.fmt == "%" else f'{{{{ printf "{part.fmt}" $value }}}}')
        elif isinstance(part, Label):
            out.append(f"{{{{ $labels.{part.name} }}}}")
        elif isinstance(part, Pair):
            out.append(f"{{{{ with $labels.{part.name} }}}} {part.name}={{{{ . }}}}{{{{ end }}}}")
        else:
            out.append(part.replace("{{", '{{ "{{" }}'))
    return "".join(out)


def format_value(fmt: str, value: float) -> str:
    """What Go's printf (or humanizePercentage, ``%.4g%%`` of v*100) prints for ``value``."""
    return "%.4g%%" % (value * 100) if fmt == "%" else fmt % value


def expanded(parts: tuple[Part, ...], labels: dict[str, str], value: float) -> str:
    """The annotation text promtool must see for an alert with these labels and value."""
    out = []
    for part in parts:
        if isinstance(part, Value):
            out.append(format_value(part.fmt, value))
        elif isinstance(part, Label):
            out.append(labels[part.name])
        elif isinstance(part, Pair):
            out.append(f" {part.name}={labels[part.name]}" if labels.get(part.name) else "")
        else:
            out.append(part)
    return "".join(out)


def stable(fmt: str, value: float) -> bool:
    """True when float noise in the last bits cannot change the printed value."""
    delta = abs(value) * 1e-9
    return format_value(fmt, value - delta) == format_value(fmt, value + delta)


def minutes(duration: str) -> int:
    """``90s`` -> 2, ``5m`` -> 5, ``6h`` -> 360, ``1d`` -> 1440 (rounded up)."""
    unit = {"s": 1 / 60, "m": 1, "h": 60, "d": 1440}[duration[-1]]
    return math.ceil(int(duration[:-1]) * unit)


def num(value: float) -> str:
    """A number as promtool series notation and Prometheus label values write it."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


@dataclass(frozen=True)
class Series:
    """One input series of a promtool test: explicit first samples, then a line (one sample a minute)."""

    metric: str
    labels: tuple[tuple[str, str], ...] = ()
    start: float = 0
    step: float = 0  # per minute
    head: tuple[float, ...] = ()
    absent: bool = False  # in a case: remove this series from the healthy background
    key: str = field(init=False, repr=False, compare=False)  # the series as promtool names it

    def __post_init__(self) -> None:
        # Every series is keyed (30,000 at 1,000 services): set once here, around the frozen __setattr__,
        # where a cached_property took its lock on each first read.
        object.__setattr__(self, "key", self.metric + promql_matchers(dict(self.labels)))

    def values(self, length: int) -> str:
        """``length`` minutes of samples (length + 1 samples)."""
        rest = length - len(self.head)
        if rest < 0:
            raise TemplateError(f"series {self.key} needs {len(self.head)} minutes, the test runs {length}")
        sign = "-" if self.step < 0 else "+"
        line = f"{num(self.start)}{sign}{num(abs(self.step))}x{rest}"
        return " ".join([*(num(v) for v in self.head), line]) if self.head else line


def series(metric: str, start: float = 0, step: float = 0, **labels: str) -> Series:
    return Series(metric, tuple(sorted(labels.items())), start, step)


@dataclass(frozen=True)
class Case:
    """Series (over the healthy background) under which the alert must fire with these labels and value."""

    series: tuple[Series, ...]
    labels: dict[str, str]  # labels the expression yields, besides the rule's own
    value: float


@dataclass(frozen=True)
class Alert:
    name: str
    service: str
    priority: str
    expr: str
    for_: str
    summary: tuple[Part, ...]
    description: tuple[Part, ...]
    calm: tuple[Series, ...]
    cases: tuple[Case, ...]
    quiet: tuple[tuple[Series, ...], ...] = ()  # unhealthy-looking series under which it must stay silent
    warmup: int = WARMUP_MINUTES
    facts: dict[str, str] = field(default_factory=dict)  # what the runbook says about this alert
    always: bool = False  # fires all the time by design (the Watchdog): no silent test

    @property
    def labels(self) -> dict[str, str]:
        return {"priority": self.priority, "service": self.service, "severity": SEVERITY[self.priority]}

    @cached_property  # asked for every test group of the alert
    def eval_minutes(self) -> int:
        return minutes(self.for_) + self.warmup

    def runbook_url(self, base: str) -> str:
        return f"{base}/{self.name}.md"

    def rule(self, runbook_base: str) -> dict:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.for_,
            "labels": self.labels,
            "annotations": {
                "description": go_template(self.description),
                "runbook_url": self.runbook_url(runbook_base),
                "summary": go_template(self.summary),
            },
        }

    def expected(self, case: Case, runbook_base: str) -> dict:
        """The alert as promtool must see it firing in ``case``."""
        for part in (*self.summary, *self.description):
            if isinstance(part, Value) and not stable(part.fmt, case.value):
                raise TemplateError(f"{self.name} ({self.service}): test value {case.value} prints ambiguously")
        labels = {**case.labels, **self.labels}
        return {
            "exp_labels": dict(sorted(labels.items())),
            "exp_annotations": {
                "description": expanded(self.description, labels, case.value),
                "runbook_url": self.runbook_url(runbook_base),
                "summary": expanded(self.summary, labels, case.value),
            },
        }
