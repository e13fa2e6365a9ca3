"""The k8s family, proven on what `kubectl kustomize` builds from the rendered overlays.

Shared helpers (``PLAN``, ``kustomize``, ``objects``, the CRD checker) live here; the other
tests/test_k8s_*.py modules import them.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from conftest import CATALOGUE, ROOT, kustomize, tool
from nexusgen import catalogue
from nexusgen.catalogue.model import cpu_cores, memory_bytes
from nexusgen.plan import CLUSTER_ENVIRONMENTS, SERVICE_UID, SecretRef, build, image_ref
from nexusgen.families import templates as family_templates
from nexusgen.families import k8s
from nexusgen import validate as validators
from nexusgen.validate import crds

PLAN = build(catalogue.parse(CATALOGUE.read_bytes(), "services.yaml"))
K8S_VERSIONS = validators.kubernetes_versions(PLAN.catalogue.platform)
CRD_SCHEMAS = crds.schema_dir()
assert CRD_SCHEMAS is not None, "the operators' CRD schemas (shared/crds) are needed; set NEXUSGEN_CRDS"
NAME = "app.kubernetes.io/name"
WORKLOAD_KINDS = ("Deployment", "StatefulSet")
CLUSTER_INFRA = sorted(n for n, i in PLAN.infrastructure.items() if i.group == "infrastructure" and not i.optional)


def objects(docs: list[dict], kind: str) -> dict[tuple[str, str], dict]:
    """(namespace, name) -> object of one kind."""
    return {(d["metadata"].get("namespace", ""), d["metadata"]["name"]): d for d in docs if d["kind"] == kind}


def one(docs: list[dict], kind: str, name: str) -> dict:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def workload(docs: list[dict], name: str) -> dict:
    """The Deployment or StatefulSet of a service."""
    return one(docs, PLAN.workload_kind(name), name)


def namespace_of(name: str, env: str) -> str:
    return PLAN.service_namespace(name, env)


# --- objects: built-in kinds for every declared Kubernetes minor, custom resources against the operators' schemas


def builtin(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def check_object(doc: dict, platform=PLAN.catalogue.platform) -> list[str]:
    """Problems with one object: strict schema for built-in kinds (every Kubernetes minor the platform
    declares) and for custom resources (shared/crds, the served versions only)."""
    where = f"{doc.get('kind')} {doc.get('metadata', {}).get('name')}"
    api = doc.get("apiVersion", "")
    if builtin(api):
        for version in K8S_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                return [f"{where}: no schema for built-in {api} {doc.get('kind')} in {version}"]
            except kubernetes_validate.ValidationError as exc:
                return [f"{where}: {version}: {exc.message} at {'.'.join(map(str, exc.absolute_path))}"]
        return []
    problems = [] if doc["metadata"].get("namespace") else ["metadata.namespace is required"]
    problems += crds.check(doc, platform, CRD_SCHEMAS)
    if doc.get("kind") == "ExternalSecret" and not (doc.get("spec", {}).get("secretStoreRef") or {}).get("name"):
        problems.append("spec.secretStoreRef.name: the overlay names the environment's store")
    return [f"{where}: {p}" for p in problems]


# --- validity -----------------------------------------------------------------


@pytest.mark.slow  # kubernetes-validate over every object, three minors
@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_every_object_is_valid(built, env):
    docs = built[env]
    assert docs
    problems = [p for doc in docs for p in check_object(doc)]
    assert problems == []


def test_object_checker_fails_on_broken_objects(built):
    docs = built["production"]
    secret = next(d for d in docs if d["kind"] == "ExternalSecret")
    broken = {**secret, "spec": {k: v for k, v in secret["spec"].items() if k != "secretStoreRef"}}
    assert any("secretStoreRef.name" in p for p in check_object(broken))
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    assert check_object({**deployment, "spec": {**deployment["spec"], "replica": 2}})
    assert check_object({**deployment, "kind": "Deploymnt"})
    assert check_object({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "x"}})


def test_custom_resources_are_checked_strictly_against_the_served_schemas(built):
    """Each CRD kind NEXUS uses: an invented field, a wrong type and an unserved apiVersion all fail."""
    docs = built["production"]
    for kind in ("ExternalSecret", "ServiceMonitor", "PrometheusRule"):
        doc = next(d for d in docs if d["kind"] == kind)
        assert check_object(doc) == []
        assert any("'refreshIntervall' was unexpected" in p or "Additional properties" in p
                   for p in check_object({**doc, "spec": {**doc["spec"], "refreshIntervall": "1h"}})), kind
    secret = next(d for d in docs if d["kind"] == "ExternalSecret")
    assert any("not served" in p for p in check_object({**secret, "apiVersion": "external-secrets.io/v1beta1"}))
    typo = {**secret, "spec": {**secret["spec"], "target": {**secret["spec"]["target"], "creationPolicy": "Ownr"}}}
    assert any("creationPolicy" in p for p in check_object(typo))
    monitor = next(d for d in docs if d["kind"] == "ServiceMonitor")
    endpoint = {**monitor["spec"]["endpoints"][0], "intreval": "30s"}
    assert any("intreval" in p for p in check_object({**monitor, "spec": {**monitor["spec"], "endpoints": [endpoint]}}))


# --- workloads ----------------------------------------------------------------


def pod_templates(docs):
    for doc in docs:
        if doc["kind"] in WORKLOAD_KINDS:
            yield doc, doc["spec"]["template"]["spec"]


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_every_container_is_hardened(built, env):
    seen = 0
    for doc, pod in pod_templates(built[env]):
        name = doc["metadata"]["name"]
        pod_ctx = pod.get("securityContext", {})
        assert pod_ctx.get("runAsNonRoot") is True, name
        assert pod_ctx.get("seccompProfile") == {"type": "RuntimeDefault"}, name
        assert not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")), name
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        claims = {c["metadata"]["name"] for c in doc["spec"].get("volumeClaimTemplates", [])}
        config_maps = {d["metadata"]["name"] for d in built[env] if d["kind"] == "ConfigMap"}
        for volume in volumes.values():  # scratch space, or files nexusgen renders (a data store's init script)
            assert set(volume) == {"name", "emptyDir"} or (
                set(volume) == {"name", "configMap"} and volume["configMap"]["name"] in config_maps
            ), f"{name}: only emptyDir volumes and generated ConfigMaps"
        for container in pod["containers"] + pod.get("initContainers", []):
            seen += 1
            where = f"{name}/{container['name']}"
            ctx = container.get("securityContext", {})
            assert ctx.get("runAsNonRoot") is True, where
            assert ctx.get("runAsUser") == SERVICE_UID and ctx.get("runAsGroup") == SERVICE_UID, where
            assert ctx.get("readOnlyRootFilesystem") is True, where
            assert ctx.get("allowPrivilegeEscalation") is False, where
            assert ctx.get("privileged") in (None, False), where
            assert ctx.get("capabilities") == {"drop": ["ALL"]}, where
            assert ctx.get("seccompProfile", pod_ctx.get("seccompProfile")) == {"type": "RuntimeDefault"}, where
            res = container.get("resources", {})
            for bound in ("requests", "limits"):
                assert set(res.get(bound, {})) >= {"cpu", "memory"}, f"{where}: {bound}"
            assert cpu_cores(str(res["requests"]["cpu"])) <= cpu_cores(str(res["limits"]["cpu"])), where
            assert memory_bytes(res["requests"]["memory"]) <= memory_bytes(res["limits"]["memory"]), where
            assert "livenessProbe" in container and "readinessProbe" in container, where
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes or mount["name"] in claims, where
            if container["name"] == name and "initContainers" not in pod:
                assert "/tmp" in {m["mountPath"] for m in container.get("volumeMounts", [])}, where
    assert seen >= len(PLAN.services) + len(CLUSTER_INFRA)


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_service_containers_follow_the_catalogue(built, env):
    for name, svc in PLAN.services.items():
        doc = workload(built[env], name)
        assert doc["metadata"]["namespace"] == namespace_of(name, env)
        pod = doc["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["image"] == PLAN.image(name, env)
        assert container["resources"] == PLAN.resources(name, env).model_dump()
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == {n: p.port for n, p in svc.ports.items()}
        assert container["livenessProbe"]["httpGet"] == {"path": svc.health.liveness.path, "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": svc.health.readiness.path, "port": "http"}
        startup = container.get("startupProbe")
        assert (startup is not None) == (svc.health.startup_seconds > 0), name
        if startup:
            budget = startup["periodSeconds"] * startup["failureThreshold"]
            assert svc.health.startup_seconds <= budget < svc.health.startup_seconds + startup["periodSeconds"]
        volumes = {v["name"] for v in pod.get("volumes", [])}
        mounted = {m["mountPath"] for m in container["volumeMounts"] if m["name"] in volumes}
        assert mounted == set(svc.writable_paths), name


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_environment_reaches_containers(built, env):
    """Plain values through the ConfigMap, secrets through secretKeyRef to the ExternalSecret's Secret."""
    docs = built[env]
    assert not [d for d in docs if d["kind"] == "Secret"], "no Secret may be rendered: external-secrets creates them"
    config_maps = objects(docs, "ConfigMap")
    external = objects(docs, "ExternalSecret")
    for name in PLAN.services:
        ns = namespace_of(name, env)
        (container,) = workload(docs, name)["spec"]["template"]["spec"]["containers"]
        got: dict[str, object] = {}
        for source in container.get("envFrom", []):
            got.update(config_maps[(ns, source["configMapRef"]["name"])]["data"])
        stores = {(e["spec"]["target"]["name"]): e for (n, _), e in external.items() if n == ns}
        for var in container.get("env", []):
            ref = var["valueFrom"]["secretKeyRef"]
            data = {d["secretKey"]: d["remoteRef"] for d in stores[ref["name"]]["spec"]["data"]}
            remote = data[ref["key"]]
            got[var["name"]] = SecretRef("?", remote["key"], remote["property"])
        want = {k: (SecretRef("?", v.path, v.property) if isinstance(v, SecretRef) else v) for k, v in PLAN.env(name, env).items()}
        assert got == want, name
        store = PLAN.environment(env).secret_store
        for secret in stores.values():
            assert secret["spec"]["secretStoreRef"] == {"kind": store.kind, "name": store.name}
            assert secret["spec"]["refreshInterval"] == store.refresh


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_service_accounts_and_rbac_are_least_privilege(built, env):
    docs = built[env]
    accounts = objects(docs, "ServiceAccount")
    roles, bindings = objects(docs, "Role"), objects(docs, "RoleBinding")
    assert not [d for d in docs if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    with_api = {n for n, s in PLAN.services.items() if s.kubernetes_api}
    assert {n for _, n in roles} == with_api == {n for _, n in bindings}
    for doc, pod in pod_templates(docs):
        name, ns = doc["metadata"]["name"], doc["metadata"]["namespace"]
        assert pod["serviceAccountName"] == name
        assert accounts[(ns, name)]["automountServiceAccountToken"] is (name in with_api)
        assert pod["automountServiceAccountToken"] is (name in with_api)
    for name in with_api:
        ns = namespace_of(name, env)
        want = [
            {"apiGroups": [r.api_group], "resources": list(r.resources), "verbs": list(r.verbs)}
            for r in PLAN.services[name].kubernetes_api
        ]
        assert roles[(ns, name)]["rules"] == want
        binding = bindings[(ns, name)]
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": name, "namespace": ns}]


# --- scaling and images -----------------------------------------------------


def _selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_scaling(built, env):
    docs = built[env]
    hpas = {d["spec"]["scaleTargetRef"]["name"]: d for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    pdbs = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    floor = PLAN.environment(env).min_stateless_replicas
    for name, svc in PLAN.services.items():
        deployed = workload(docs, name)
        labels = deployed["spec"]["template"]["metadata"]["labels"]
        budgets = [p for p in pdbs if p["metadata"]["namespace"] == deployed["metadata"]["namespace"]
                   and _selects(p["spec"]["selector"], labels)]  # fmt: skip
        if svc.scaling.mode == "stateless":
            low, high = PLAN.replicas(name, env)
            hpa = hpas[name]["spec"]
            assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
            assert (hpa["minReplicas"], hpa["maxReplicas"]) == (low, high)
            assert low >= floor
            assert hpa["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": svc.scaling.cpu_target_percent}}}]  # fmt: skip
            assert "replicas" not in deployed["spec"], f"{name}: the HPA owns the replica count"
            if low > 1:
                assert len(budgets) == 1, f"{name} runs {low}+ replicas and needs a PodDisruptionBudget"
            for budget in budgets:
                assert budget["spec"].get("maxUnavailable", 0) >= 1, f"{name}: the budget must let drains proceed"
        else:
            assert deployed["spec"]["replicas"] == 1
            assert name not in hpas
            assert budgets == [], f"{name}: a budget on one replica would block node drains"


def test_production_keeps_two_replicas_of_every_stateless_service(built):
    hpas = {d["spec"]["scaleTargetRef"]["name"]: d["spec"] for d in built["production"] if d["kind"] == "HorizontalPodAutoscaler"}
    stateless = [n for n, s in PLAN.services.items() if s.scaling.mode == "stateless"]
    assert stateless and sorted(hpas) == sorted(stateless)
    assert all(hpas[n]["minReplicas"] >= 2 for n in stateless)


def test_execution_engine_is_a_singleton(built):
    for env in CLUSTER_ENVIRONMENTS:
        spec = one(built[env], "Deployment", "execution-engine")["spec"]
        assert spec["replicas"] == 1
        assert spec["strategy"] == {"type": "Recreate"}
        targets = [d["spec"]["scaleTargetRef"]["name"] for d in built[env] if d["kind"] == "HorizontalPodAutoscaler"]
        assert "execution-engine" not in targets


def test_production_images_are_immutable(built):
    env = PLAN.environment("production")
    for doc, pod in pod_templates(built["production"]):
        for container in pod["containers"] + pod.get("initContainers", []):
            image = container["image"]
            assert not image.endswith(":latest") and ":latest@" not in image
            assert re.search(r":[^/:@]+(@sha256:[0-9a-f]{64})?$", image), f"{image} has no tag"
            if doc["metadata"]["name"] in PLAN.services:
                assert image == PLAN.image(doc["metadata"]["name"], "production")
                assert f":{env.tag}" in image


# --- infrastructure, services, ingress, monitoring ----------------------------


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_infrastructure_statefulsets(built, rendered, env):
    from nexusgen.plan import cloud

    docs = built[env]
    managed = cloud.managed_stores(PLAN.catalogue.cloud, env)
    stateful = {d["metadata"]["name"] for d in docs if d["kind"] == "StatefulSet"}
    assert stateful >= set(CLUSTER_INFRA)
    deployed = {d["metadata"]["name"] for d in docs if d["kind"] in WORKLOAD_KINDS}
    assert not deployed & {n for n, i in PLAN.infrastructure.items() if i.optional or i.group == "monitoring"}
    for name in CLUSTER_INFRA:
        infra = PLAN.infrastructure[name]
        doc = one(docs, "StatefulSet", name)
        assert doc["metadata"]["namespace"] == PLAN.namespace("infrastructure", env)
        containers = {c["name"]: c for c in doc["spec"]["template"]["spec"]["containers"]}
        if name in managed:  # AWS runs the store here: only the exporter stays (tests/test_terraform.py)
            assert name not in containers
            base = yaml.safe_load((rendered / "k8s" / "base" / infra.group / name / "statefulset.yaml").read_text())
            containers = {**containers, name: base["spec"]["template"]["spec"]["containers"][0]}
        main = containers[name]
        assert main["image"] == image_ref(infra.image)
        assert main["resources"] == infra.resources.model_dump()
        assert main["livenessProbe"]["exec"]["command"] == list(infra.healthcheck)
        if infra.storage:
            (claim,) = doc["spec"]["volumeClaimTemplates"]
            assert claim["spec"]["resources"]["requests"]["storage"] == infra.storage_size
            assert {"name": claim["metadata"]["name"], "mountPath": infra.storage} in main["volumeMounts"]
        if infra.exporter and infra.exporter.image:
            sidecar = containers[f"{name}-exporter"]
            assert sidecar["image"] == image_ref(infra.exporter.image)
            assert sidecar["ports"][0]["containerPort"] == infra.exporter.port
        service = objects(docs, "Service")[(PLAN.namespace("infrastructure", env), name)]
        ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
        assert infra.port in ports.values()
        if infra.exporter:
            assert ports["metrics"] == infra.exporter.port


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_services_ingress_and_service_monitors(built, env):
    docs = built[env]
    services = objects(docs, "Service")
    monitors = objects(docs, "ServiceMonitor")
    ingresses = objects(docs, "Ingress")
    e = PLAN.environment(env)
    for name, svc in PLAN.services.items():
        ns = namespace_of(name, env)
        ports = {p["name"]: p["port"] for p in services[(ns, name)]["spec"]["ports"]}
        assert ports == {n: p.service_port or p.port for n, p in svc.ports.items()}
        ingress = ingresses.get((ns, name))
        assert (ingress is not None) == (svc.ingress is not None)
        if ingress:
            host = f"{svc.ingress.subdomain}.{e.domain}"
            assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == e.tls_issuer
            assert ingress["spec"]["tls"] == [{"hosts": [host], "secretName": f"{name}-tls"}]
            (rule,) = ingress["spec"]["rules"]
            assert rule["host"] == host
            (path,) = rule["http"]["paths"]
            assert path["path"] == svc.ingress.path
            assert path["backend"] == {"service": {"name": name, "port": {"name": "http"}}}
    on_cluster = [t for t in PLAN.scrape_targets if t.component in PLAN.services or t.component in CLUSTER_INFRA]
    assert len(monitors) == len(on_cluster)
    for target in on_cluster:
        ns = namespace_of(target.component, env)
        monitor = monitors[(ns, target.component)]["spec"]
        selected = [s for (n, _), s in services.items() if n == ns and _selects(monitor["selector"], s["metadata"]["labels"])]
        scraped = [p for s in selected for p in s["spec"]["ports"] if p["name"] == monitor["endpoints"][0]["port"]]
        assert [p["port"] for p in scraped] == [target.port], f"{target.job} must be scraped exactly once"


@pytest.mark.parametrize("env", CLUSTER_ENVIRONMENTS)
def test_namespaces_by_group_are_restricted(built, env):
    groups = {s.group for s in PLAN.services.values()} | {"infrastructure", "monitoring"}
    namespaces = {d["metadata"]["name"]: d for d in built[env] if d["kind"] == "Namespace"}
    assert set(namespaces) == {PLAN.namespace(g, env) for g in groups}
    for ns in namespaces.values():
        for mode in ("enforce", "audit", "warn"):
            assert ns["metadata"]["labels"][f"pod-security.kubernetes.io/{mode}"] == "restricted"
    used = {d["metadata"].get("namespace") for d in built[env] if d["kind"] != "Namespace"}
    assert used == set(namespaces)


def test_rendered_yaml_is_lint_clean(rendered):
    ours = k8s.render(PLAN, family_templates())  # this family's files, not its neighbours'
    files = sorted(str(rendered / p) for p in ours if p.suffix == ".yaml")
    assert files
    config = "{extends: default, rules: {line-length: disable, document-start: disable}}"
    result = subprocess.run([tool("yamllint"), "-s", "-f", "parsable", "-d", config, *files], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
