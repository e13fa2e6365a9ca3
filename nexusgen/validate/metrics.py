"""Every metric a rule, a recording rule, a rule unit test or a dashboard reads must exist.

A name exists when the catalogue declares it (custom metrics, request metrics, recording rules),
when ``shared/metrics/*.txt`` lists it (kube-state-metrics; the cAdvisor metrics that survive
kube-prometheus-stack's kubelet relabelling), or when an exporter inventory kept in
``inventory/*.txt`` lists it (each file names its source). promtool proves syntax only: a metric
nobody exports passes it and its alert can never fire.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import yaml

from nexusgen.catalogue.model import Catalogue
from nexusgen.plan import paths

INVENTORY = Path(__file__).parent / "inventory"
# cAdvisor's full list is not all scraped: kube-prometheus-stack drops some (container_spec_* among them).
SHARED = ("kube-state-metrics.txt", "cadvisor-kube-prometheus-stack.txt")
_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "counter": ("",), "gauge": ("",)}


def shared_dir() -> Path | None:
    """``$NEXUSGEN_METRICS``, else the first ``shared/metrics`` above the repository."""
    if os.environ.get("NEXUSGEN_METRICS"):
        path = Path(os.environ["NEXUSGEN_METRICS"])
        return path if path.is_dir() else None
    root = Path(__file__).resolve().parents[2]
    return next((p / "shared" / "metrics" for p in (root, *root.parents) if (p / "shared" / "metrics").is_dir()), None)


def _names(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")}


def declared(cat: Catalogue) -> set[str]:
    """What the catalogue says its services export (histograms as their series)."""
    names = set()
    for svc in cat.services.values():
        for metric in svc.metrics:
            names |= {metric.name + s for s in _SUFFIXES[metric.type]}
    requests, duration = cat.monitoring.http_requests_metric, cat.monitoring.http_duration_metric
    names |= {requests, *(duration + s for s in _SUFFIXES["histogram"])}
    names |= {i.exporter.up_metric for i in cat.infrastructure.values() if i.exporter}
    return names


def known(cat: Catalogue, shared: Path) -> set[str]:
    names = declared(cat)
    for file in SHARED:
        names |= _names(shared / file)
    for file in sorted(INVENTORY.glob("*.txt")):
        names |= _names(file)
    return names


def read(node) -> Iterator[str]:
    """Metric names a parsed PromQL expression reads."""
    kind = type(node).__name__
    if kind == "VectorSelector":
        if node.name:
            yield node.name
        return
    for attr in ("vector_selector", "expr", "lhs", "rhs", "param"):
        child = getattr(node, attr, None) if kind != "NumberLiteral" else None
        if child is not None and type(child).__module__.startswith("promql_parser"):
            yield from read(child)
    for arg in getattr(node, "args", None) or []:
        yield from read(arg)


def expressions(out: Path) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every rule, recording rule, unit-test expression and input series, and dashboard query."""
    for path in sorted((out / paths.PROMETHEUS_RULES).glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                yield f"{path.relative_to(out)}: {rule.get('alert') or rule.get('record')}", str(rule["expr"])
    for path in sorted((out / paths.PROMETHEUS_TESTS).glob("*.yml")):
        for case in yaml.safe_load(path.read_text()).get("tests", []):
            for series in case.get("input_series", []):
                yield f"{path.relative_to(out)}: input_series", series["series"]
            for test in case.get("promql_expr_test", []):
                yield f"{path.relative_to(out)}: promql_expr_test", test["expr"]
    for path in sorted((out / paths.GRAFANA_DASHBOARDS).glob("*.json")):
        for panel in json.loads(path.read_text()).get("panels", []):
            for target in panel.get("targets", []):
                yield f"{path.relative_to(out)}: {panel.get('title')}", target["expr"]


def unknown(out: Path, cat: Catalogue, shared: Path) -> tuple[int, list[str]]:
    """(expressions read, findings): each finding names the file, the rule or panel, and the metric."""
    import promql_parser  # type: ignore[import-not-found]

    names = known(cat, shared) | recorded(out)
    findings, count = [], 0
    for where, expr in expressions(out):
        count += 1
        try:
            tree = promql_parser.parse(expr)
        except Exception as exc:  # the parser raises its own error types
            findings.append(f"{where}: cannot parse {expr!r}: {exc}")
            continue
        findings += [f"{where}: metric {name!r} is exported by nothing nexusgen knows" for name in sorted(set(read(tree)) - names)]
    return count, findings


def recorded(out: Path) -> set[str]:
    """Names the recording rules define."""
    found = set()
    for path in (out / paths.PROMETHEUS_RULES).glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            found |= {r["record"] for r in group["rules"] if "record" in r}
    return found
