"""``k8s/base/<group>/<component>/``: every workload as the same objects in every environment."""

from __future__ import annotations

from pathlib import PurePosixPath

from nexusgen.plan import SERVICE_UID, Plan, paths
from nexusgen.plan import cluster
from nexusgen.families.k8s.workloads import Workload

BASE = paths.K8S_BASE

# checkov checks that do not apply, with the reason written next to the skip.
SKIP_SECRET_ENV = (
    "CKV_K8S_35",
    "the catalogue's contract is secrets as environment variables (`secrets`); the values come from "
    "a Secret that external-secrets creates, never from a manifest",
)
SKIP_API_TOKEN = ("CKV_K8S_38", "the catalogue grants this service Kubernetes API access (kubernetes_api)")


def labels(plan: Plan, name: str, component: str) -> dict[str, str]:
    return {cluster.NAME_LABEL: name, **cluster.common_labels(plan, component)}


def _skips(plan: Plan, w: Workload) -> dict[str, str]:
    skips = []
    infra = plan.infrastructure.get(w.name)
    if infra is not None:
        unpinned = [i for i in (infra.image, infra.exporter and infra.exporter.image) if i and not i.digest]
        if unpinned:
            tags = ", ".join(f"{i.image}:{i.tag}" for i in unpinned)
            skips.append(("CKV_K8S_43", f"third-party image pinned by version tag ({tags}); add image.digest in the catalogue to pin the bytes"))
    if any(c.secrets for c in w.containers):
        skips.append(SKIP_SECRET_ENV)
    if w.rules:
        skips.append(SKIP_API_TOKEN)
    if w.component == "service" and w.kind != "CronJob":  # checkov asks no probes of a CronJob's pods
        main = w.containers[0]
        for check, role, probe in (("CKV_K8S_8", "liveness", main.liveness), ("CKV_K8S_9", "readiness", main.readiness)):
            if probe is None:
                skips.append((check, f"services.{w.name}.health declares no {role} probe: a worker that serves nothing"))
    return {f"checkov.io/skip{i}": f"{check}={reason}" for i, (check, reason) in enumerate(skips, 1)}


def _pod_annotations(w: Workload) -> dict[str, str]:
    out = {}
    if w.strategy == "Recreate":
        out["cluster-autoscaler.kubernetes.io/safe-to-evict"] = "false"
    if w.component != "service" and w.config:  # a service's configuration differs per environment: its overlay sets this
        out["checksum/config"] = cluster.checksum(w.config)
    return out


def workload(plan: Plan, templates, w: Workload) -> dict[PurePosixPath, str]:
    """The base of one service or infrastructure component, with its kustomization."""
    own = labels(plan, w.name, w.component)
    context = dict(
        w=w,
        labels=own,
        monitor_labels={**own, **cluster.prometheus_selector(plan)},
        pull_secret=cluster.pull_secret(plan) if w.component == "service" else None,
        selector={cluster.NAME_LABEL: w.name},
        uid=SERVICE_UID,
        annotations=_skips(plan, w),
        pod_annotations=_pod_annotations(w),
    )
    wanted = {
        "configmap.yaml": "configmap" if w.component == "service" or w.config else None,
        "serviceaccount.yaml": "serviceaccount",
        "rbac.yaml": "rbac" if w.rules else None,
        f"{w.kind.lower()}.yaml": "cronjob" if w.kind == "CronJob" else "workload",
        "service.yaml": "service" if w.has_service else None,
        "hpa.yaml": "hpa" if w.autoscale else None,
        "pdb.yaml": "pdb" if w.disruption_budget else None,
        "externalsecret.yaml": "externalsecret" if w.secret_refs else None,
        "servicemonitor.yaml": "servicemonitor" if w.monitored else None,
    }
    folder = BASE / w.group / w.name
    files = {
        folder / file: templates.render(f"k8s/{template}.yaml.j2", secret=w.name, refs=w.secret_refs, secret_type=None, **context)
        for file, template in wanted.items()
        if template
    }
    for _, config_map, data in w.files:
        files[folder / f"configmap-{config_map.removeprefix(w.name + '-')}.yaml"] = templates.render(
            "k8s/configmap-files.yaml.j2", name=config_map, data=data, **context
        )
    names = sorted(p.name for p in files)
    files[folder / "kustomization.yaml"] = templates.render("k8s/kustomization-workload.yaml.j2", files=names, **context)
    return files


def monitoring_secret(plan: Plan, templates, name: str) -> dict[PurePosixPath, str]:
    """An ExternalSecret for a component the monitoring stack runs (e.g. Grafana's admin password)."""
    folder = BASE / cluster.MONITORING / name
    refs = [(var, ref.path, ref.property) for var, ref in plan.secret_env(name).items()]
    lab = labels(plan, name, "monitoring")
    return {
        folder / "externalsecret.yaml": templates.render("k8s/externalsecret.yaml.j2", secret=name, refs=refs, labels=lab,
                                                         secret_type=None),
        folder / "kustomization.yaml": templates.render(
            "k8s/kustomization-group.yaml.j2", members=["externalsecret.yaml"]
        ),
    }


def group(templates, group: str, members: list[str]) -> dict[PurePosixPath, str]:
    return {BASE / group / "kustomization.yaml": templates.render("k8s/kustomization-group.yaml.j2", members=members)}


def pull_secret(plan: Plan, templates, group: str) -> dict[PurePosixPath, str]:
    """The image pull Secret of a group that runs the project's images (platform.image_pulls: pull_secret)."""
    name = cluster.pull_secret(plan)
    secret = plan.catalogue.secrets[plan.catalogue.platform.image_pulls.secret]
    folder = BASE / group / name
    return {
        folder / "externalsecret.yaml": templates.render(
            "k8s/externalsecret.yaml.j2", secret=name, refs=[(".dockerconfigjson", secret.path, secret.property)],
            labels=labels(plan, name, "image-pulls"), secret_type="kubernetes.io/dockerconfigjson"),
        folder / "kustomization.yaml": templates.render("k8s/kustomization-group.yaml.j2", members=["externalsecret.yaml"]),
    }
