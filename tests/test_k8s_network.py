"""NetworkPolicies, parsed back from the built overlays into edges and compared with the catalogue."""

from __future__ import annotations

import copy
from collections import Counter

import pytest

from nexusgen.plan import CLUSTER_ENVIRONMENTS
from test_k8s import CLUSTER_INFRA, NAME, PLAN

NS_LABEL = "kubernetes.io/metadata.name"
PRIVATE = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8"}
ON_CLUSTER = set(PLAN.services) | set(CLUSTER_INFRA)
CONTROLLER = PLAN.catalogue.platform.ingress
# The platform's own traffic (monitoring stack, HTTP-01 solver): proven in test_k8s_platform.py.
PLATFORM_POLICIES = {"prometheus", "alertmanager", "grafana", "prometheus-operator", "kube-state-metrics", "acme-http01-solver"}


def port_of(name: str) -> int:
    return PLAN.services[name].ports["http"].port if name in PLAN.services else PLAN.infrastructure[name].port


def peer_kind(peer: dict, env: str) -> tuple:
    """What a peer of a rule is: a component, DNS, Prometheus, the ingress controller or an address block."""
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        return ("cidr", block["cidr"], tuple(sorted(block.get("except", []))))
    assert set(peer) == {"namespaceSelector", "podSelector"}, f"peer must name a namespace and pods: {peer}"
    ns = peer["namespaceSelector"]["matchLabels"][NS_LABEL]
    labels = peer["podSelector"]["matchLabels"]
    if ns == "kube-system" and labels == {"k8s-app": "kube-dns"}:
        return ("dns",)
    if ns == PLAN.namespace("monitoring", env) and labels == {NAME: "prometheus"}:
        return ("prometheus",)
    if ns == CONTROLLER.namespace and labels == CONTROLLER.labels:
        return ("ingress-controller",)
    name = labels.get(NAME)
    assert name in ON_CLUSTER and PLAN.service_namespace(name, env) == ns, f"peer matches no workload: {peer}"
    return ("component", name)


def graph_problems(docs: list[dict], env: str) -> list[str]:
    """Every difference between the policies in ``docs`` and the catalogue's graph (empty: they agree)."""
    problems: list[str] = []
    out_edges, in_edges, external, scrape_in, scrape_out, controller, api = (Counter() for _ in range(7))
    namespaces = {d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"}
    deny, dns = set(), set()
    cluster = PLAN.environment(env).cluster  # the only API server egress allowed is to its CIDRs
    api_blocks = tuple(sorted((c, ()) for c in cluster.api_server_cidrs))
    api_ports = (("TCP", cluster.api_server_port),)
    # Stores AWS runs here (issue 18): reached in the data subnets, on their port, never as pods.
    from nexusgen.plan import cloud

    managed = cloud.managed_stores(PLAN.catalogue.cloud, env)
    data_blocks = tuple(sorted((c, ()) for c in cloud.subnets(PLAN.catalogue.cloud.environments[env]).data)) if managed else ()
    by_port = {(("TCP", port_of(store)),): store for store in managed}
    to_managed = Counter()  # (owner, store) of rules that are not a service's edge: the exporter, the roles Job
    for policy in (d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] not in PLATFORM_POLICIES):
        ns, spec = policy["metadata"]["namespace"], policy["spec"]
        selector = spec["podSelector"].get("matchLabels", {})
        if not selector:
            if spec["policyTypes"] == ["Ingress", "Egress"] and not spec.get("ingress") and not spec.get("egress"):
                deny.add(ns)
            elif spec["policyTypes"] == ["Egress"] and not spec.get("ingress"):
                for rule in spec["egress"]:
                    kinds = [peer_kind(p, env) for p in rule["to"]]
                    ports = sorted((p["protocol"], p["port"]) for p in rule["ports"])
                    if kinds == [("dns",)] and ports == [("TCP", 53), ("UDP", 53)]:
                        dns.add(ns)
                    else:
                        problems.append(f"{ns}: namespace-wide egress {kinds} {ports}")
            else:
                problems.append(f"{ns}/{policy['metadata']['name']}: namespace-wide rule that is neither deny nor DNS")
            continue
        owner = "prometheus" if selector == {NAME: "prometheus"} else selector[NAME]
        for rule in spec.get("ingress", []):
            ports = tuple(sorted((p["protocol"], p["port"]) for p in rule["ports"]))
            for kind in (peer_kind(p, env) for p in rule["from"]):
                if kind[0] == "component":
                    in_edges[(kind[1], owner)] += 1
                    if ports != (("TCP", port_of(owner)),):
                        problems.append(f"{kind[1]} -> {owner}: ingress on {ports}")
                elif kind == ("prometheus",):
                    scrape_in[(owner, ports)] += 1
                elif kind == ("ingress-controller",):
                    controller[(owner, ports)] += 1
                else:
                    problems.append(f"{owner}: unexpected ingress from {kind}")
        for rule in spec.get("egress", []):
            ports = tuple(sorted((p["protocol"], p["port"]) for p in rule["ports"]))
            kinds = [peer_kind(p, env) for p in rule["to"]]
            if owner == "prometheus":
                assert all(k[0] == "component" for k in kinds), kinds
                scrape_out.update((k[1], ports) for k in kinds)
            elif all(k[0] == "component" for k in kinds):
                for kind in kinds:
                    out_edges[(owner, kind[1])] += 1
                    if ports != (("TCP", port_of(kind[1])),):
                        problems.append(f"{owner} -> {kind[1]}: egress on {ports}")
            elif all(k[0] == "cidr" for k in kinds) and managed and tuple(sorted(k[1:] for k in kinds)) == data_blocks:
                store = by_port.get(ports)
                if store is None:
                    problems.append(f"{owner}: data subnets on {ports}")
                elif owner in PLAN.services:
                    out_edges[(owner, store)] += 1
                else:
                    to_managed[(owner, store)] += 1
            elif all(k[0] == "cidr" for k in kinds):
                blocks = tuple(sorted(k[1:] for k in kinds))
                (api if blocks == api_blocks and ports == api_ports else external)[(owner, blocks, ports)] += 1
            else:
                problems.append(f"{owner}: unexpected egress to {kinds}")

    graph = Counter((e.source, e.target) for e in PLAN.edges if e.kind != "external")
    inbound = Counter({edge: n for edge, n in graph.items() if edge[1] not in managed})  # no pod listens for a managed store
    for label, got, want in (("egress", out_edges, graph), ("ingress", in_edges, inbound)):
        if got != want:
            problems.append(f"{label} edges differ: extra {got - want}, missing {want - got}")
    own = Counter({(store, store): 1 for store in managed})  # each exporter reads its store
    own.update({(f"{store}-roles", store): 1 for store, kind in managed.items() if kind == "postgres"})
    if to_managed != own:
        problems.append(f"managed-store egress differs: {to_managed} != {own}")
    want_external = Counter()
    for edge in (e for e in PLAN.edges if e.kind == "external"):
        ext = PLAN.catalogue.external[edge.target]
        blocks = tuple(sorted((c, tuple(sorted(PRIVATE)) if c == "0.0.0.0/0" else ()) for c in ext.cidrs))
        want_external[(edge.source, blocks, tuple(sorted(("TCP", p) for p in ext.ports)))] += 1
    got_external = Counter()
    for (owner, blocks, ports), n in external.items():
        # at least the private ranges are excluded; more exclusions are allowed
        blocks = tuple((c, tuple(sorted(PRIVATE)) if PRIVATE <= set(ex) else ex) for c, ex in blocks)
        got_external[(owner, blocks, ports)] += n
    if got_external != want_external:
        problems.append(f"external egress differs: extra {got_external - want_external}, missing {want_external - got_external}")
    targets = Counter((t.component, (("TCP", t.port),)) for t in PLAN.scrape_targets if t.component in ON_CLUSTER)
    if scrape_in != targets or scrape_out != targets:
        problems.append(f"scrapes differ: ingress {scrape_in}, egress {scrape_out}, targets {targets}")
    ingress = Counter((n, (("TCP", s.ports["http"].port),)) for n, s in PLAN.services.items() if s.ingress)
    if controller != ingress:
        problems.append(f"ingress-controller rules {controller} != {ingress}")
    if Counter(owner for owner, _, _ in api.elements()) != Counter(n for n, s in PLAN.services.items() if s.kubernetes_api):
        problems.append(f"API server egress for {set(api)}")
    for label, covered in (("default-deny", deny), ("DNS", dns)):
        if covered != namespaces:
            problems.append(f"{label} missing in {sorted(namespaces - covered)}")
    return problems


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_policies_match_the_dependency_graph(built, env):
    assert graph_problems(built[env], env) == []


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_every_policy_selects_pods_that_exist(built, env):
    pods = {(d["metadata"]["namespace"], d["spec"]["template"]["metadata"]["labels"][NAME])
            for d in built[env] if d["kind"] in ("Deployment", "StatefulSet", "Job")}  # fmt: skip
    for policy in (d for d in built[env] if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] not in PLATFORM_POLICIES):
        labels = policy["spec"]["podSelector"].get("matchLabels", {})
        if labels and labels != {NAME: "prometheus"}:
            assert (policy["metadata"]["namespace"], labels[NAME]) in pods, policy["metadata"]["name"]


def _mutations(docs: list[dict]):
    """Copies of ``docs`` each with one plausible policy bug."""
    policies = [i for i, d in enumerate(docs) if d["kind"] == "NetworkPolicy" and d["spec"]["podSelector"].get("matchLabels")]
    gateway = next(i for i in policies if docs[i]["metadata"]["name"] == "gateway")

    def edit(fn):
        changed = copy.deepcopy(docs)
        fn(changed)
        return changed

    yield "extra edge", edit(lambda d: d[gateway]["spec"]["egress"].append(copy.deepcopy(d[gateway]["spec"]["egress"][-1])))
    yield "missing ingress", edit(lambda d: d[gateway]["spec"]["ingress"].pop(0))
    yield "wrong port", edit(lambda d: d[gateway]["spec"]["egress"][-1]["ports"][0].update(port=1))
    yield "no default deny", edit(lambda d: d.pop(next(i for i, x in enumerate(d) if x["kind"] == "NetworkPolicy" and x["metadata"]["name"] == "default-deny")))
    yield "metadata reachable", edit(lambda d: [
        r["to"][0]["ipBlock"]["except"].remove("169.254.0.0/16")
        for x in d if x["kind"] == "NetworkPolicy"
        for r in x["spec"].get("egress", []) if "ipBlock" in r["to"][0] and r["to"][0]["ipBlock"].get("except")
    ])  # fmt: skip


def test_graph_comparison_catches_policy_bugs(built):
    docs = built["production"]
    for label, broken in _mutations(docs):
        assert graph_problems(broken, "production"), f"{label} went unnoticed"
