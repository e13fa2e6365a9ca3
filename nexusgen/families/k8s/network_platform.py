"""NetworkPolicies for the platform's own traffic, derived from the catalogue's ``platform`` section.

kube-prometheus-stack runs in the monitoring namespace (unless ``platform.prometheus.namespace``
puts it elsewhere), which denies everything by default: each of its paths is opened here, each
rule saying why. cert-manager's HTTP-01 solver pods, created beside every Ingress, are reached
by the ingress controller when the issuer solves HTTP-01.
"""

from __future__ import annotations

from nexusgen.plan import cluster


# kube-prometheus-stack 88.5.3 defaults: Grafana serves on 3000, the operator (metrics and admission
# webhook, TLS) on 10250; CoreDNS exports metrics on 9153.
GRAFANA_PORT, OPERATOR_PORT, COREDNS_METRICS = 3000, 10250, 9153


def _internet() -> dict:
    return {"ipBlock": {"cidr": "0.0.0.0/0", "except": list(cluster.NOT_INTERNET)}}


def solver(builder, group: str) -> list:
    """The ingress controller reaches cert-manager's HTTP-01 solver pods in namespaces with an Ingress."""
    from nexusgen.families.k8s.network import Policy, Rule, _tcp

    plan = builder.plan
    exposed = [n for n in cluster.members(plan, group) if n in plan.services and plan.services[n].ingress]
    if not exposed or plan.catalogue.platform.cert_manager.solver != "http01":
        return []
    labels, port = cluster.HTTP01_SOLVER
    rule = Rule("ingress controller -> solver: Let's Encrypt fetches /.well-known/acme-challenge through it",
                [builder.controller()], _tcp(port))
    comment = (f"cert-manager's HTTP-01 solver pods (platform.cert_manager.solver), created here for the\n"
               f"# certificates of {', '.join(exposed)}; they answer ACME challenges and need no egress.")
    return [Policy("acme-http01-solver", comment, labels, [rule], [])]


def stack(builder) -> list:
    """kube-prometheus-stack's own paths, in the namespace it runs in (when that is ours)."""
    from nexusgen.families.k8s.network import Policy, Rule, _pods, _tcp

    plan, env = builder.plan, builder.env
    dns = plan.catalogue.platform.dns
    if plan.catalogue.platform.prometheus.namespace is not None:
        return []  # the stack runs in a namespace nexusgen does not manage
    ns = cluster.stack_namespace(plan, env)
    prometheus, alertmanager = _pods(ns, cluster.PROMETHEUS_LABELS), _pods(ns, cluster.ALERTMANAGER_LABELS)
    grafana, operator = _pods(ns, cluster.GRAFANA_LABELS), _pods(ns, cluster.OPERATOR_LABELS)
    ksm_labels, ksm_port = cluster.KUBE_STATE_METRICS
    ksm = _pods(ns, ksm_labels)
    target = plan.environment(env).cluster
    api = [{"ipBlock": {"cidr": c}} for c in sorted(target.api_server_cidrs)] if target else []
    nodes = [{"ipBlock": {"cidr": c}} for c in sorted(target.node_cidrs)] if target else []
    api_port = target.api_server_port if target else 443

    def to_api(who: str) -> list:
        return [Rule(f"{who} -> Kubernetes API server: {why}", api, _tcp(api_port))
                for why in ("it watches the objects it serves",) if api]

    prom_egress = [
        *to_api("prometheus"),
        *([Rule("prometheus scrapes the kubelets (cAdvisor, volume stats) and node-exporter (host network)",
                nodes, _tcp(cluster.KUBELET_PORT, cluster.NODE_EXPORTER_PORT))] if nodes else []),
        Rule("prometheus scrapes kube-state-metrics (limits, requests, HPA state)", [ksm], _tcp(ksm_port)),
        Rule("prometheus sends alerts to Alertmanager and scrapes it", [alertmanager], _tcp(9093)),
        Rule("prometheus scrapes itself", [prometheus], _tcp(9090)),
        Rule("prometheus scrapes grafana (the stack's own ServiceMonitor)", [grafana], _tcp(GRAFANA_PORT)),
        Rule("prometheus scrapes the operator (the stack's own ServiceMonitor)", [operator], _tcp(OPERATOR_PORT)),
        Rule("prometheus scrapes the cluster DNS (the stack's coreDns ServiceMonitor)",
             [_pods(dns.namespace, dns.labels)], _tcp(COREDNS_METRICS)),
    ]
    return [
        Policy("prometheus", "kube-prometheus-stack's Prometheus: discovery, scrapes, alerts, queries",
               cluster.PROMETHEUS_LABELS,
               [Rule("grafana queries prometheus", [grafana], _tcp(9090)),
                Rule("prometheus scrapes itself", [prometheus], _tcp(9090))],
               prom_egress),
        Policy("alertmanager", "Alertmanager: alerts in from Prometheus, notifications out to PagerDuty and Slack",
               cluster.ALERTMANAGER_LABELS,
               [Rule("prometheus sends alerts and scrapes alertmanager", [prometheus], _tcp(9093)),
                Rule("alertmanager replicas gossip (HA cluster)", [alertmanager], [("TCP", 9094), ("UDP", 9094)])],
               [Rule("alertmanager -> PagerDuty and Slack (HTTPS on the internet)", [_internet()], _tcp(443)),
                Rule("alertmanager replicas gossip (HA cluster)", [alertmanager], [("TCP", 9094), ("UDP", 9094)])]),
        Policy("grafana", "Grafana: reads Prometheus; its sidecar loads dashboards from ConfigMaps",
               cluster.GRAFANA_LABELS, [Rule("prometheus scrapes grafana", [prometheus], _tcp(GRAFANA_PORT))],
               [Rule("grafana queries prometheus", [prometheus], _tcp(9090)), *to_api("grafana's dashboard sidecar")]),
        Policy("prometheus-operator", "the Prometheus Operator: reconciles the stack; the API server calls its admission webhook",
               cluster.OPERATOR_LABELS,
               [*([Rule("Kubernetes API server -> operator admission webhook (PrometheusRule validation)", api,
                        _tcp(OPERATOR_PORT))] if api else []),
                Rule("prometheus scrapes the operator", [prometheus], _tcp(OPERATOR_PORT))],
               to_api("prometheus-operator")),
        Policy("kube-state-metrics", "kube-state-metrics: reads the API server, scraped by Prometheus",
               ksm_labels, [Rule("prometheus scrapes kube-state-metrics", [prometheus], _tcp(ksm_port))],
               to_api("kube-state-metrics")),
    ]
