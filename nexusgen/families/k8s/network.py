"""NetworkPolicies from the catalogue's dependency graph, one environment at a time.

Every namespace denies all ingress and egress, then allows DNS. Each edge of
``plan.edges`` becomes one egress rule on the caller's policy and, unless the target is
external, one ingress rule on the callee's policy. Prometheus scrapes and the ingress
controller are allowed the same way, on exactly the ports the catalogue declares. The
platform's own traffic (the monitoring stack, cert-manager's HTTP-01 solver) comes from
``network_platform``, derived from the catalogue's ``platform`` section.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexusgen.plan import Plan
from nexusgen.plan import cloud, cluster, datastores
from nexusgen.families.k8s import managed, network_platform


@dataclass(frozen=True)
class Rule:
    comment: str
    peers: list[dict]
    ports: list[tuple[str, int]]  # (protocol, port)


@dataclass(frozen=True)
class Policy:
    name: str
    comment: str
    selector: dict  # matchLabels; empty: every pod in the namespace
    ingress: list[Rule] | None = None  # None: this policy does not govern ingress
    egress: list[Rule] | None = None


def _pods(namespace: str, labels: dict[str, str]) -> dict:
    return {
        "namespaceSelector": {"matchLabels": {cluster.NAMESPACE_LABEL: namespace}},
        "podSelector": {"matchLabels": dict(labels)},
    }


def _cidr(cidr: str) -> dict:
    if cidr == "0.0.0.0/0":
        return {"ipBlock": {"cidr": cidr, "except": list(cluster.NOT_INTERNET)}}
    return {"ipBlock": {"cidr": cidr}}


def _tcp(*ports: int) -> list[tuple[str, int]]:
    return [("TCP", p) for p in ports]


class _Builder:
    def __init__(self, plan: Plan, env: str):
        self.plan, self.env = plan, env
        self.targets = cluster.scrape_targets(plan)
        self.scraped: dict[str, list] = {}
        for target in self.targets:
            self.scraped.setdefault(target.component, []).append(target)
        self._peers: dict[str, dict] = {}  # component -> its pods as a peer (read-only, shared by rules)
        self._served: dict[str, list[tuple[str, int]]] = {}  # component -> its served ports (read-only, shared)

    def component(self, name: str) -> dict:
        peer = self._peers.get(name)
        if peer is None:
            namespace = self.plan.service_namespace(name, self.env)
            peer = self._peers[name] = _pods(namespace, {cluster.NAME_LABEL: name})
        return peer

    def served(self, name: str) -> list[tuple[str, int]]:
        """The container ports callers reach (a NetworkPolicy sees the pod's port, not the Service's)."""
        ports = self._served.get(name)
        if ports is None:
            ports = self._served[name] = _tcp(*sorted({p.container for p in self.plan.served_ports(name)}))
        return ports

    def prometheus(self) -> dict:
        return _pods(cluster.stack_namespace(self.plan, self.env), cluster.PROMETHEUS_LABELS)

    def controller(self) -> dict:
        ingress = self.plan.catalogue.platform.ingress
        return _pods(ingress.namespace, ingress.labels)

    def managed(self, source: str, store: str) -> Rule:
        """To a store AWS runs in this environment: the data subnets (cloud.subnets), on its port."""
        data = cloud.subnets(self.plan.catalogue.cloud.environments[self.env]).data
        host = cloud.managed_host(self.plan.project, self.env, store)
        return Rule(f"{source} -> {store} (managed: {host}, in the data subnets)",
                    [{"ipBlock": {"cidr": c}} for c in data], _tcp(self.plan.primary_port(store).container))

    def roles_jobs(self, group: str) -> list[Policy]:
        """The Job creating the services' roles on a managed PostgreSQL (k8s/managed.py) reaches it, nothing else."""
        out = []
        for store, kind in cloud.managed_stores(self.plan.catalogue.cloud, self.env).items():
            if kind == "postgres" and self.plan.group(store) == group and datastores.postgres_init(self.plan.catalogue, store):
                job = managed.roles_job(store)
                out.append(Policy(job, f"the Job creating each service's role on {store} (RDS)", {cluster.NAME_LABEL: job}, [],
                                  [self.managed(job, store)]))
        return out

    def workload(self, name: str) -> Policy:
        plan = self.plan
        managed = cloud.managed_stores(plan.catalogue.cloud, self.env)
        ingress = [
            Rule(f"{caller} -> {name}", [self.component(caller)], self.served(name))
            for caller in plan.dependents[name]
            if name not in managed  # nothing listens there: the store is in AWS
        ]
        svc = plan.services.get(name)
        if svc is not None and svc.ingress is not None:
            ingress.append(Rule(f"ingress controller -> {name}: {name} is exposed (services.{name}.ingress)",
                                [self.controller()], _tcp(plan.named_port(name, "http").container)))
        ingress += [
            Rule(f"prometheus scrapes {t.component}: only the Prometheus pods reach the metrics port", [self.prometheus()], _tcp(t.port))
            for t in self.scraped.get(name, ())
        ]
        egress = []
        for edge in plan.edges_from[name]:
            if edge.kind == "external":
                ext = plan.catalogue.external[edge.target]
                peers = [_cidr(c) for c in sorted(ext.cidrs)]
                egress.append(Rule(f"{name} -> {edge.target} (external)", peers, _tcp(*sorted(ext.ports))))
            elif edge.target in managed:
                egress.append(self.managed(name, edge.target))
            else:
                egress.append(Rule(f"{name} -> {edge.target}", [self.component(edge.target)], self.served(edge.target)))
        if name in managed:
            egress.append(self.managed(f"{name}'s exporter", name))
        if svc is not None and svc.kubernetes_api:
            api = plan.environment(self.env).cluster  # checks.py requires it in every cluster environment
            peers = [{"ipBlock": {"cidr": c}} for c in sorted(api.api_server_cidrs)]
            egress.append(Rule(f"{name} -> Kubernetes API server (kubernetes_api)", peers, _tcp(api.api_server_port)))
        return Policy(name, f"traffic of {name}, from the catalogue's dependency graph", {cluster.NAME_LABEL: name}, ingress, egress)

    def scrapes(self) -> Policy:
        egress = [
            Rule(f"prometheus scrapes {t.component}", [self.component(t.component)], _tcp(t.port))
            for t in self.targets
        ]
        comment = "Prometheus (from the Prometheus Operator) scrapes every metrics port the catalogue declares."
        return Policy("prometheus-scrape", comment, cluster.PROMETHEUS_LABELS, None, egress)

    def namespace(self, group: str) -> list[Policy]:
        dns = self.plan.catalogue.platform.dns
        policies = [
            Policy("default-deny", "nothing in or out unless a policy below allows it", {}, [], []),
            Policy(
                "allow-dns",
                "every pod resolves names through the cluster DNS (platform.dns)",
                {},
                None,
                [Rule("cluster DNS", [_pods(dns.namespace, dns.labels)], [("UDP", cluster.DNS_PORT), ("TCP", cluster.DNS_PORT)])],
            ),
        ]
        policies += [self.workload(name) for name in cluster.members(self.plan, group)]
        policies += self.roles_jobs(group)
        policies += network_platform.solver(self, group)
        if group == cluster.MONITORING:
            policies.append(self.scrapes())
            policies += network_platform.stack(self)
        return policies


def policies(plan: Plan, env: str, group: str) -> list[Policy]:
    return _Builder(plan, env).namespace(group)
