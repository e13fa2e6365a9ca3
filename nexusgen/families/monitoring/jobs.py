"""Alerts on scheduled jobs (services with a ``schedule``), from kube-state-metrics.

``kube_job_status_failed`` (a Job's failed pods; its ``job_name`` is the CronJob's name and the
scheduled minute, ``<cronjob>-<digits>``, as the CronJob controller names it) and
``kube_cronjob_status_last_successful_time`` (label ``cronjob``), both in kube-state-metrics
v2 (``../shared/metrics/kube-state-metrics.txt``). A Job that failed stays counted until the
CronJob's ``failedJobsHistoryLimit`` removes it or someone deletes it, as upstream's KubeJobFailed.
"""

from __future__ import annotations

from nexusgen.escape import promql_matchers
from nexusgen.families.monitoring.model import Alert, Case, Label, Value, series
from nexusgen.plan import Plan

FAILED = "kube_job_status_failed"
LAST_SUCCESS = "kube_cronjob_status_last_successful_time"


def job_alerts(plan: Plan) -> list[Alert]:
    out = []
    for name, svc in plan.services.items():
        if svc.schedule is None:
            continue
        namespace = plan.service_namespace(name, "production")
        job = {"job_name": f"{name}-29000000", "namespace": namespace}
        jobs = promql_matchers({"job_name": f"{name}-[0-9]+"}, "=~")
        cron = {"cronjob": name, "namespace": namespace}
        max_age = svc.schedule.max_age_seconds
        long_ago = -(max_age + 3600)  # the last success, seconds before the test's time 0
        out += [
            Alert(
                name="JobFailed", service=name, priority="P3", for_="0s",
                expr=f"{FAILED}{jobs} > 0",
                summary=(f"A run of the scheduled job {name} failed",),
                description=("Job ", Label("job_name"), " in ", Label("namespace"), " has ", Value("%.0f"),
                             f" failed pod(s); it stays counted until the Job is deleted or replaced (history {svc.schedule.failed_history}).",),
                calm=(series(FAILED, 0, 0, **job),),
                cases=(Case((series(FAILED, 1, 0, **job),), job, 1),),
            ),
            Alert(
                name="CronJobNotSucceeding", service=name, priority="P2", for_="0s",
                expr=f"time() - {LAST_SUCCESS}{promql_matchers({'cronjob': name})} > {max_age}",
                summary=(f"The scheduled job {name} has not succeeded for too long",),
                description=(f"The last successful run of {name} in ", Label("namespace"), " ended ", Value("%.0f"),
                             f" s ago (schedule {svc.schedule.cron!r}, threshold {max_age} s).",),
                calm=(series(LAST_SUCCESS, 0, 60, **cron),),
                cases=(Case((series(LAST_SUCCESS, long_ago, 0, **cron),), cron, max_age + 3600 + 600),),
            ),
        ]
    return out
