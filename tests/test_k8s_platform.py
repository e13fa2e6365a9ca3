"""The output works with the platform the catalogue declares (issue 14): served APIs, the Prometheus
stack's selectors, the stack's own traffic, cert-manager's HTTP-01 solver, image pulls, WebSockets."""

from __future__ import annotations

import pytest

from nexusgen.plan import CLUSTER_ENVIRONMENTS
from test_k8s import NAME, PLAN

PLATFORM = PLAN.catalogue.platform
NS = "kubernetes.io/metadata.name"


def policies(docs: list[dict], name: str) -> list[dict]:
    return [d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == name]


def peers(rule: dict, key: str) -> list[tuple]:
    out = []
    for peer in rule[key]:
        if "ipBlock" in peer:
            out.append(("cidr", peer["ipBlock"]["cidr"]))
        else:
            out.append((peer["namespaceSelector"]["matchLabels"][NS], tuple(sorted(peer["podSelector"]["matchLabels"].items()))))
    return out


def paths(policy: dict, direction: str) -> set[tuple]:
    key = "from" if direction == "ingress" else "to"
    return {(peer, (p["protocol"], p["port"])) for rule in policy["spec"].get(direction, [])
            for peer in peers(rule, key) for p in rule["ports"]}  # fmt: skip


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_no_v1beta1_external_secret(built, env):
    secrets = [d for d in built[env] if d["kind"] == "ExternalSecret"]
    assert secrets and {d["apiVersion"] for d in secrets} == {"external-secrets.io/v1"}


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_monitors_and_rules_carry_the_prometheus_selector_labels(built, env):
    """kube-prometheus-stack (ruleSelectorNilUsesHelmValues / serviceMonitorSelectorNilUsesHelmValues: true)
    picks only objects labelled release: <its Helm release>."""
    found = [d for d in built[env] if d["kind"] in ("ServiceMonitor", "PrometheusRule")]
    assert {d["kind"] for d in found} == {"ServiceMonitor", "PrometheusRule"}
    for doc in found:
        assert doc["metadata"]["labels"].get("release") == PLATFORM.prometheus.release, doc["metadata"]["name"]


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_the_monitoring_stack_has_its_paths(built, env):
    docs = [d for d in built[env] if d["metadata"].get("namespace") == PLAN.namespace("monitoring", env)]
    ns = PLAN.namespace("monitoring", env)
    cluster = PLAN.environment(env).cluster

    def pods(labels):
        return (ns, tuple(sorted(labels.items())))

    prom, am = pods({NAME: "prometheus"}), pods({NAME: "alertmanager"})
    grafana, ksm = pods({NAME: "grafana"}), pods({NAME: "kube-state-metrics"})
    api = {(("cidr", c), ("TCP", cluster.api_server_port)) for c in cluster.api_server_cidrs}
    nodes = {(("cidr", c), ("TCP", port)) for c in cluster.node_cidrs for port in (10250, 9100)}
    [prometheus] = policies(docs, "prometheus")
    operator_pods = pods({"app": "kube-prometheus-stack-operator"})
    coredns = (PLATFORM.dns.namespace, tuple(sorted(PLATFORM.dns.labels.items())))
    assert api | nodes | {(ksm, ("TCP", 8080)), (am, ("TCP", 9093)), (grafana, ("TCP", 3000)),
                          (operator_pods, ("TCP", 10250)), (coredns, ("TCP", 9153))} <= paths(prometheus, "egress")
    assert (grafana, ("TCP", 9090)) in paths(prometheus, "ingress")
    [alertmanager] = policies(docs, "alertmanager")
    assert (prom, ("TCP", 9093)) in paths(alertmanager, "ingress")
    internet = [r for r in alertmanager["spec"]["egress"] if r["to"][0].get("ipBlock", {}).get("cidr") == "0.0.0.0/0"]
    assert internet and {"10.0.0.0/8", "169.254.0.0/16"} <= set(internet[0]["to"][0]["ipBlock"]["except"])
    assert internet[0]["ports"] == [{"protocol": "TCP", "port": 443}]
    [graf] = policies(docs, "grafana")
    assert (prom, ("TCP", 9090)) in paths(graf, "egress")
    [operator] = policies(docs, "prometheus-operator")
    assert api <= paths(operator, "egress")
    assert (prom, ("TCP", 10250)) in paths(operator, "ingress")
    assert paths(graf, "ingress") == {(prom, ("TCP", 3000))}
    [kube_state] = policies(docs, "kube-state-metrics")
    assert paths(kube_state, "ingress") == {(prom, ("TCP", 8080))}
    # default-deny stays, and every rule says why it exists
    assert policies(docs, "default-deny")


def test_every_policy_rule_is_commented(rendered):
    for path in rendered.glob("k8s/overlays/*/*/networkpolicies.yaml"):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.lstrip().startswith(("- from:", "- to:")):
                assert lines[i - 1].lstrip().startswith("# "), f"{path}:{i + 1}: rule without a reason"


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_http01_solver_is_reachable_from_the_ingress_controller(built, env):
    controller = (PLATFORM.ingress.namespace, tuple(sorted(PLATFORM.ingress.labels.items())))
    exposed = {PLAN.service_namespace(n, env) for n, s in PLAN.services.items() if s.ingress}
    solvers = {d["metadata"]["namespace"]: d for d in policies(built[env], "acme-http01-solver")}
    assert set(solvers) == exposed
    for policy in solvers.values():
        assert policy["spec"]["podSelector"]["matchLabels"] == {"acme.cert-manager.io/http01-solver": "true"}
        assert paths(policy, "ingress") == {(controller, ("TCP", 8089))}


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_pods_pull_from_the_cloud_registry_with_the_node_role(built, env):
    """The shipped catalogue has a cloud: images live in ECR and nodes pull with their own role
    (cloud_checks refuses a pull secret there), so no namespace syncs a registry token."""
    assert PLATFORM.image_pulls.mode == "node" and PLAN.catalogue.cloud is not None
    docs = built[env]
    assert not [d for d in docs if d["kind"] == "ExternalSecret" and d["spec"]["target"]["name"] == "registry-pull"]
    assert not [d for d in docs if d["kind"] == "ServiceAccount" and d.get("imagePullSecrets")]
    images = {c["image"].split("@")[0].rsplit(":", 1)[0] for d in docs if d["kind"] in ("Deployment", "StatefulSet")
              for c in d["spec"]["template"]["spec"]["containers"] if c["name"] in PLAN.services}
    assert images == {PLAN.image_repo(name, env) for name in PLAN.services}
    assert all(".dkr.ecr." in image for image in images)


def test_pods_can_pull_the_project_images_with_a_pull_secret():
    """platform.image_pulls: pull_secret (a catalogue without a cloud): every namespace running the
    images syncs the Secret, every service's account uses it."""
    import re

    import yaml

    from conftest import CATALOGUE
    from nexusgen import catalogue as catalogue_io
    from nexusgen.engine.templates import Templates
    from nexusgen.families import k8s
    from nexusgen.plan import build

    text = CATALOGUE.read_text(encoding="utf-8")
    text = re.sub(r"\ncloud:\n(?:[ #].*\n)+", "\n", text)
    text = text.replace("image_pulls: {mode: node}", "image_pulls: {mode: pull_secret, secret: registry-pull-credentials}")
    text = text.replace("\nenvironments:\n", "\n  registry-pull-credentials: {description: pull token, path: nexus/registry/ghcr, property: dockerconfigjson}\nenvironments:\n", 1)
    plan = build(catalogue_io.parse(text.encode(), "services.yaml"))
    files = k8s.render(plan, Templates())
    for name in plan.services:
        group = plan.group(name)
        secret = yaml.safe_load(files[next(p for p in files if p.as_posix() == f"k8s/base/{group}/registry-pull/externalsecret.yaml")])
        assert secret["spec"]["target"]["template"]["type"] == "kubernetes.io/dockerconfigjson"
        assert secret["spec"]["data"][0]["secretKey"] == ".dockerconfigjson"
        account = yaml.safe_load(files[next(p for p in files if p.as_posix() == f"k8s/base/{group}/{name}/serviceaccount.yaml")])
        assert account["imagePullSecrets"] == [{"name": "registry-pull"}]


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_websocket_ingress_keeps_connections_open(built, env):
    for ingress in (d for d in built[env] if d["kind"] == "Ingress"):
        name = ingress["metadata"]["name"]
        notes = ingress["metadata"]["annotations"]
        if PLAN.services[name].ingress.websockets:
            assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
            assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
        else:
            assert "nginx.ingress.kubernetes.io/proxy-read-timeout" not in notes
    assert PLAN.services["gateway"].ingress.websockets


def test_runbooks_and_rules_name_objects_that_exist(built, rendered):
    """service-restart.md named StatefulSets for prometheus, grafana, alertmanager and rabbitmq that no
    cluster runs, and the volume rules matched claims kube-prometheus-stack's volumes do not have."""
    import re

    import yaml

    from nexusgen.plan import cluster

    docs = built["production"]
    stack = cluster.stack_objects(PLAN)
    workloads = {f"{d['kind'].lower()}/{d['metadata']['name']}" for d in docs if d["kind"] in ("Deployment", "StatefulSet")}
    workloads |= {o["workload"] for o in stack.values()}
    text = "\n".join(p.read_text() for p in (rendered / "monitoring" / "runbooks").glob("*.md"))
    named = set(re.findall(r"\b((?:statefulset|deployment)/[a-z0-9-]+)", text))
    assert named and named <= workloads, named - workloads
    claims = {f"{t['metadata']['name']}-{d['metadata']['name']}-0" for d in docs if d["kind"] == "StatefulSet"
              for t in d["spec"].get("volumeClaimTemplates", [])}  # fmt: skip
    claims |= {o["claim"].replace("[0-9]+", "0") for o in stack.values() if o["claim"]}
    rules = yaml.safe_load((rendered / "monitoring" / "prometheus" / "rules" / "platform.yml").read_text())
    patterns = [m for g in rules["groups"] for r in g["rules"] if r["alert"] == "VolumeSpaceLow"
                for m in re.findall(r'persistentvolumeclaim=~"([^"]+)"', r["expr"])]  # fmt: skip
    assert patterns
    for pattern in patterns:
        assert any(re.fullmatch(pattern, c) for c in claims), pattern
    assert not any("rabbitmq" in p or "grafana" in p for p in patterns)


@pytest.mark.slow  # renders and validates a second platform
def test_the_output_follows_another_platform(tmp_path):
    """Other platform choices: DNS-01 issuer (no solver policy), namespaced Issuer, images pulled by the
    nodes (no pull Secret), a stack in its own namespace with another release, another ingress controller."""
    import yaml

    from conftest import CATALOGUE, nexusgen
    from conftest import kustomize
    from test_k8s import check_object

    data = yaml.safe_load(CATALOGUE.read_text())
    data["platform"] = {
        "cert_manager": {"issuer_kind": "Issuer", "solver": "dns01"},
        "image_pulls": {"mode": "node"},
        "prometheus": {"release": "monitoring", "namespace": "observability"},
        "ingress": {"class_name": "traefik", "namespace": "traefik", "labels": {"app.kubernetes.io/name": "traefik"}},
    }
    (tmp_path / "services.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    result = nexusgen("render", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    docs = kustomize(tmp_path / "out" / "k8s" / "overlays" / "production")
    names = {d["metadata"]["name"] for d in docs if d["kind"] == "NetworkPolicy"}
    assert "acme-http01-solver" not in names and "alertmanager" not in names
    assert not [d for d in docs if d["kind"] == "ServiceAccount" and d.get("imagePullSecrets")]
    assert not [d for d in docs if d["kind"] == "ExternalSecret" and d["metadata"]["name"] == "registry-pull"]
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        assert "cert-manager.io/issuer" in ingress["metadata"]["annotations"]
        assert ingress["spec"]["ingressClassName"] == "traefik"
    for doc in (d for d in docs if d["kind"] in ("ServiceMonitor", "PrometheusRule")):
        assert doc["metadata"]["labels"]["release"] == "monitoring"
    scrapes = [p for d in docs if d["kind"] == "NetworkPolicy" for r in d["spec"].get("ingress", [])
               for p in r["from"] if p.get("podSelector", {}).get("matchLabels") == {NAME: "prometheus"}]  # fmt: skip
    assert scrapes and all(p["namespaceSelector"]["matchLabels"][NS] == "observability" for p in scrapes)
    controller = [p for d in docs if d["kind"] == "NetworkPolicy" for r in d["spec"].get("ingress", [])
                  for p in r["from"] if p.get("namespaceSelector", {}).get("matchLabels", {}).get(NS) == "traefik"]  # fmt: skip
    assert controller
    assert [p for doc in docs for p in check_object(doc)] == []
    text = (tmp_path / "out" / "monitoring" / "runbooks" / "service-restart.md").read_text()
    assert "statefulset/prometheus-monitoring-kube-prometheus-stack-prometheus" not in text  # 26 characters at most
    assert "statefulset/prometheus-monitoring-kube-prometheus-prometheus" in text
