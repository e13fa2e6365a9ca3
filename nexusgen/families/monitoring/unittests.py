"""``promtool test rules`` files: every alert fires where it must and stays silent otherwise.

Each rule file gets one test file. One test group per alert and case lays the case's series over
the healthy (``calm``) series of every alert of the same name (the only ones that test can see)
and expects exactly that alert, with its labels and expanded annotations; a group per ``quiet``
set expects the alert to stay silent under it (an error burst on almost no traffic); one more
group runs the healthy series of the whole file and expects every alert in it to stay silent.
"""

from __future__ import annotations

from nexusgen.errors import TemplateError
from nexusgen.plan import Plan
from nexusgen.families.monitoring.model import Alert, Series, series
from nexusgen.families.monitoring.rules import RECORDING, RuleFile
from nexusgen.families.monitoring.services import http_rules

INTERVAL = "1m"


def _background(alerts: list[Alert]) -> dict[str, Series]:
    """The healthy series of ``alerts``; they must agree where they share a series."""
    out: dict[str, Series] = {}
    for alert in alerts:
        for s in alert.calm:
            if out.setdefault(s.key, s) != s:
                raise TemplateError(f"two alerts disagree on the healthy value of {s.key}")
    return out


def _inputs(found: dict[str, Series], length: int) -> list[dict]:
    return [{"series": key, "values": s.values(length)} for key, s in sorted(found.items())]


def _rule_files(stem: str) -> list[str]:
    return [f"../rules/{RECORDING}.yml", f"../rules/{stem}.yml"]


def alert_tests(plan: Plan, rule_file: RuleFile) -> dict:
    base = plan.catalogue.monitoring.runbook_base_url
    alerts = rule_file.alerts
    background = _background(alerts)
    by_name: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_name.setdefault(alert.name, []).append(alert)
    # Only alerts of the same name can answer a test: their healthy series are its background.
    namesakes = {name: _background(same) for name, same in by_name.items()}
    tests = []
    for alert in alerts:
        for case in alert.cases:
            tests.append(_group(_over(namesakes[alert.name], case.series), alert, [alert.expected(case, base)]))
        for quiet in alert.quiet:
            tests.append(_group(_over(namesakes[alert.name], quiet), alert, []))
    longest = max(a.eval_minutes for a in alerts)
    silent = sorted({(a.eval_minutes, a.name) for a in alerts if not a.always})
    tests.append({
        "interval": INTERVAL,
        "input_series": _inputs(background, longest),
        "alert_rule_test": [{"eval_time": f"{m}m", "alertname": name, "exp_alerts": []} for m, name in silent],
    })
    return {"rule_files": _rule_files(rule_file.stem), "evaluation_interval": INTERVAL, "tests": tests}


def _over(background: dict[str, Series], series: tuple[Series, ...]) -> dict[str, Series]:
    """``series`` laid over the background (an absent series removes its key)."""
    found = dict(background)
    for s in series:
        if s.absent:
            found.pop(s.key, None)
        else:
            found[s.key] = s
    return found


def _group(found: dict[str, Series], alert: Alert, expected: list[dict]) -> dict:
    return {
        "interval": INTERVAL,
        "input_series": _inputs(found, alert.eval_minutes),
        "alert_rule_test": [{"eval_time": f"{alert.eval_minutes}m", "alertname": alert.name, "exp_alerts": expected}],
    }


def recording_tests(plan: Plan) -> dict:
    """The recording rules on two jobs: one with 5xx answers, one that never had any."""
    mon = plan.catalogue.monitoring
    names = http_rules(plan)
    jobs = [t.job for t in plan.scrape_targets if t.kind == "service"][:2]
    inputs: list[Series] = []
    expected: dict[str, list[dict]] = {name: [] for name in names.values()}
    for index, job in enumerate(jobs):
        errors = 30 if index == 0 else 0  # a minute: 0.5/s of 1/s, or no 5xx series at all
        inputs.append(series(mon.http_requests_metric, 0, 60 - errors, job=job, status="200"))
        if errors:
            inputs.append(series(mon.http_requests_metric, 0, errors, job=job, status="500"))
        for le, step in (("0.25", 0), ("1", 60), ("+Inf", 60)):
            inputs.append(series(f"{mon.http_duration_metric}_bucket", 0, step, job=job, le=le))
        # histogram_quantile's interpolation, in Prometheus's own order of operations
        p99 = 0.25 + (1.0 - 0.25) * ((0.99 * 1.0) / 1.0)
        values = {"rate": 1.0, "errors": errors / 60, "ratio": errors / 60, "p99": p99}
        for key, value in values.items():
            if key == "errors" and not errors:
                continue
            expected[names[key]].append({"labels": f'{names[key]}{{job="{job}"}}', "value": value})
    return {
        "rule_files": [f"../rules/{RECORDING}.yml"],
        "evaluation_interval": INTERVAL,
        "tests": [{
            "interval": INTERVAL,
            "input_series": _inputs({s.key: s for s in inputs}, 15),
            "promql_expr_test": [
                {"expr": name, "eval_time": "10m", "exp_samples": samples} for name, samples in expected.items()
            ],
        }],
    }
