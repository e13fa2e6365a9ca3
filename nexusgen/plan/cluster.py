"""Cluster conventions the catalogue does not state, and small facts the k8s family derives once.

Everything here is either a fixed convention of the clusters NEXUS runs on (where the
ingress controller, Prometheus and DNS live) or a fact computed from the plan that only
Kubernetes needs (which groups become namespaces, Ingress hosts, volume names).
"""

from __future__ import annotations

import hashlib
import json
import re

from pathlib import PurePosixPath

from nexusgen.plan import CLUSTER_ENVIRONMENTS, Plan, paths

MONITORING = "monitoring"
INFRASTRUCTURE = "infrastructure"
NAME_LABEL = "app.kubernetes.io/name"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"


def common_labels(plan: Plan, component: str) -> dict[str, str]:
    """The recommended labels every generated object carries (``labels`` adds the name)."""
    return {
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": plan.project,
        "app.kubernetes.io/managed-by": "nexusgen",
    }

# Where cluster add-ons run and what they select: derived from the catalogue's `platform` section.
DNS_PORT = 53
PROMETHEUS_LABELS = {NAME_LABEL: "prometheus"}  # pods of the Prometheus Operator's Prometheus
ALERTMANAGER_LABELS = {NAME_LABEL: "alertmanager"}  # pods of the operator's Alertmanager
GRAFANA_LABELS = {NAME_LABEL: "grafana"}  # kube-prometheus-stack's Grafana subchart
OPERATOR_LABELS = {"app": "kube-prometheus-stack-operator"}  # the Prometheus Operator deployment
KUBE_STATE_METRICS = ({NAME_LABEL: "kube-state-metrics"}, 8080)
# node-exporter runs with hostNetwork (kube-prometheus-stack's default): it answers on node IPs.
NODE_EXPORTER_PORT = 9100
KUBELET_PORT = 10250
# cert-manager's ACME HTTP-01 solver pods (created beside the Ingress) carry this label and serve 8089.
# An idle WebSocket stays open this long through ingress-nginx (its proxy timeouts default to 60 s).
WEBSOCKET_TIMEOUT_SECONDS = 3600
HTTP01_SOLVER = ({"acme.cert-manager.io/http01-solver": "true"}, 8089)


def prometheus_selector(plan: Plan) -> dict[str, str]:
    """The labels kube-prometheus-stack's Prometheus selects ServiceMonitors and PrometheusRules by
    (``*SelectorNilUsesHelmValues: true``: ``release: <Helm release>``)."""
    return {"release": plan.catalogue.platform.prometheus.release}


def stack_namespace(plan: Plan, env: str) -> str:
    """Where kube-prometheus-stack runs: declared, or the environment's monitoring namespace."""
    return plan.catalogue.platform.prometheus.namespace or plan.namespace(MONITORING, env)


def stack_objects(plan: Plan) -> dict[str, dict[str, str | None]]:
    """kube-prometheus-stack's workloads and volume claims, by the catalogue's monitoring component.

    Names follow the chart's ``kube-prometheus-stack.fullname`` (the release name when it contains
    the chart name, else ``<release>-kube-prometheus-stack``; at most 26 characters) and the
    Prometheus Operator's claim template ``<prometheus|alertmanager>-<name>-db``. Grafana (subchart
    ``<release>-grafana``) keeps no volume by default (grafana.persistence.enabled: false).
    """
    release = plan.catalogue.platform.prometheus.release
    chart = "kube-prometheus-stack"
    full = (release if chart in release else f"{release}-{chart}")[:26].rstrip("-")
    out: dict[str, dict[str, str | None]] = {"grafana": {"workload": f"deployment/{release}-grafana", "claim": None}}
    for part in ("prometheus", "alertmanager"):
        sts = f"{part}-{full}-{part}"
        out[part] = {"workload": f"statefulset/{sts}", "claim": f"{sts}-db-{sts}-[0-9]+"}
    return out


def issuer_annotation(plan: Plan) -> str:
    kind = plan.catalogue.platform.cert_manager.issuer_kind
    return "cert-manager.io/cluster-issuer" if kind == "ClusterIssuer" else "cert-manager.io/issuer"


def pull_secret(plan: Plan) -> str | None:
    """The Secret pods pull images with, when the platform pulls through a secret."""
    pulls = plan.catalogue.platform.image_pulls
    return "registry-pull" if pulls.mode == "pull_secret" else None


def pulls_images(plan: Plan, group: str) -> bool:
    """A group that runs the project's images gets the pull Secret (when the platform uses one)."""
    return pull_secret(plan) is not None and any(n in plan.services for n in members(plan, group))

# 0.0.0.0/0 in the catalogue means "the internet": never the cluster, the VPC or the
# cloud metadata service (169.254.169.254 hands out node credentials).
NOT_INTERNET = ("10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16")


# Kustomizations other families render, added to a group's overlay: the monitoring family's
# PrometheusRules and dashboards join the monitoring namespace.
GROUP_RESOURCES: dict[str, tuple[PurePosixPath, ...]] = {MONITORING: (paths.OBSERVABILITY,)}


def group_resources(env: str, group: str) -> list[str]:
    """``GROUP_RESOURCES`` of ``group``, relative to its overlay folder in ``env``."""
    return [paths.relative(p, paths.overlay(env) / group) for p in GROUP_RESOURCES.get(group, ())]

STARTUP_PERIOD_SECONDS = 5


def cluster_infrastructure(plan: Plan) -> list[str]:
    """Infrastructure run as workloads on the cluster, sorted.

    Optional components (compose profiles such as rabbitmq) are not: no service may depend
    on them, so on a cluster they would run with every connection denied. Monitoring
    components come from the Prometheus Operator (kube-prometheus), not from nexusgen.
    """
    return [n for n, i in plan.infrastructure.items() if i.group == INFRASTRUCTURE and not i.optional]


def workloads(plan: Plan) -> list[str]:
    """Every service and cluster infrastructure component, sorted."""
    return sorted([*plan.services, *cluster_infrastructure(plan)])


def groups(plan: Plan) -> list[str]:
    """Groups that become namespaces: those with workloads, and monitoring (scrapes point at it)."""
    return list(_members(plan))


def members(plan: Plan, group: str) -> list[str]:
    return list(_members(plan).get(group, ()))


def _members(plan: Plan) -> dict[str, tuple[str, ...]]:
    """Each group's workloads, groups sorted; derived once per plan (asked per group, environment
    and family: a hundred times over every workload)."""
    def derive() -> dict[str, tuple[str, ...]]:
        by_group: dict[str, list[str]] = {MONITORING: []}
        for name in workloads(plan):
            by_group.setdefault(plan.group(name), []).append(name)
        return {group: tuple(by_group[group]) for group in sorted(by_group)}

    return plan.remember("members by group", derive)


def monitoring_secrets(plan: Plan) -> list[str]:
    """Monitoring components whose secrets nexusgen delivers to the stack's namespace."""
    return [n for n, i in plan.infrastructure.items() if i.group == MONITORING and i.secrets]


def ingress_host(plan: Plan, name: str, env: str) -> str:
    """The host of the service's public URL (the same URL smoke tests and docs use)."""
    return plan.public_url(name, env).removeprefix("https://")


def scrape_targets(plan: Plan):
    """Scrape targets that run on the cluster."""
    on_cluster = set(workloads(plan))
    return [t for t in plan.scrape_targets if t.component in on_cluster]


def split_config(plan: Plan, name: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Plain variables of a service: those every cluster environment shares (base), and the rest per environment."""
    per_env = {env: {k: v for k, v in plan.env(name, env).items() if isinstance(v, str)} for env in CLUSTER_ENVIRONMENTS}
    first = per_env[CLUSTER_ENVIRONMENTS[0]]
    shared = {k: v for k, v in first.items() if all(e.get(k) == v for e in per_env.values())}
    return shared, {env: {k: v for k, v in values.items() if k not in shared} for env, values in per_env.items()}


def split_secrets(plan: Plan, name: str):
    """A service's secret variables across the cluster environments: the names every environment
    has (the base Deployment reads them), the names only some have (per environment), and the
    store references if they are the same everywhere (the base ExternalSecret), else per environment."""
    per_env = {env: plan.secret_env(name, env) for env in CLUSTER_ENVIRONMENTS}
    first = per_env[CLUSTER_ENVIRONMENTS[0]]
    shared = [var for var in first if all(var in e for e in per_env.values())]
    own = {env: [var for var in refs if var not in shared] for env, refs in per_env.items()}
    same = all(refs == first for refs in per_env.values())
    return shared, own, per_env, same


def volume_name(path: str, taken: set[str]) -> str:
    """``/var/run/postgresql`` -> ``var-run-postgresql`` (a DNS label, unique within the pod)."""
    base = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[:50].strip("-") or "root"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def checksum(config: dict[str, str]) -> str:
    """Digest of a ConfigMap's data, put on the pod template so a configuration change rolls the pods."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


# Workload identity: the ServiceAccount annotation each cloud reads to give a pod its identity
# (README "Clusters on AWS, GCP and Azure"): EKS's pod identity webhook (IRSA) injects the role's
# web-identity token; GKE's metadata server answers as the Google service account; the Azure Workload
# Identity webhook (v1.x) injects a token for the client id, and only into pods labelled ``use: "true"``.
IDENTITY_ANNOTATION = {
    "aws": "eks.amazonaws.com/role-arn",
    "gcp": "iam.gke.io/gcp-service-account",
    "azure": "azure.workload.identity/client-id",
}
IDENTITY_POD_LABELS = {"azure": {"azure.workload.identity/use": "true"}}


def workload_identity(plan: Plan, name: str, env: str) -> tuple[dict[str, str], dict[str, str]] | None:
    """(ServiceAccount annotations, pod labels) that give ``name`` its cloud identity in ``env``, or
    None where ``environments.<env>.cluster.workload_identities`` names none."""
    target = plan.environment(env).cluster
    identity = target.workload_identities.get(name) if target else None
    if identity is None:
        return None
    return {IDENTITY_ANNOTATION[target.provider]: identity}, IDENTITY_POD_LABELS.get(target.provider, {})
