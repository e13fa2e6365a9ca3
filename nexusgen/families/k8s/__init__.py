"""Kubernetes: a kustomize base per workload and one overlay per cluster environment.

    k8s/base/<group>/<component>/   environment-neutral objects of one service or infrastructure component
    k8s/overlays/<env>/             namespaces, then one kustomization per group (namespace nexus-<env>-<group>)
"""

from __future__ import annotations

from pathlib import PurePosixPath

from nexusgen.plan import CLUSTER_ENVIRONMENTS, Plan
from nexusgen.families.k8s import base
from nexusgen.plan import cluster
from nexusgen.families.k8s import overlays
from nexusgen.families.k8s import workloads as k8s_workloads


def render(plan: Plan, templates) -> dict[PurePosixPath, str]:
    workloads = {name: k8s_workloads.build(plan, name) for name in cluster.workloads(plan)}
    files: dict[PurePosixPath, str] = {}
    for w in workloads.values():
        files.update(base.workload(plan, templates, w))
    for name in cluster.monitoring_secrets(plan):
        files.update(base.monitoring_secret(plan, templates, name))
    for group in cluster.groups(plan):
        members = cluster.members(plan, group)
        if group == cluster.MONITORING:
            members = members + cluster.monitoring_secrets(plan)
        if cluster.pulls_images(plan, group):
            members = members + [cluster.pull_secret(plan)]
            files.update(base.pull_secret(plan, templates, group))
        files.update(base.group(templates, group, sorted(members)))
    for env in CLUSTER_ENVIRONMENTS:
        files.update(overlays.root(plan, templates, env))
        for group in cluster.groups(plan):
            members = [workloads[n] for n in cluster.members(plan, group)]
            files.update(overlays.group(plan, templates, env, group, members))
    files[PurePosixPath("k8s/README.md")] = templates.render(
        "k8s/README.md.j2",
        plan=plan,
        environments=CLUSTER_ENVIRONMENTS,
        groups=cluster.groups(plan),
        optional=[n for n, i in plan.infrastructure.items() if i.optional],
        stack=[n for n, i in plan.infrastructure.items() if i.group == cluster.MONITORING],
        jobs=[n for n, s in plan.services.items() if s.schedule is not None],
        workers=[n for n, s in plan.services.items() if s.schedule is None and not plan.served_ports(n)],
    )
    return files
