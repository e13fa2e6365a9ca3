"""Issue 19's whole in one golden case (tests/cases/polyglot): what it must keep covering, read from
its expected tree (test_golden proves the tree is what nexusgen renders, and passes every validator)."""

from __future__ import annotations

from pathlib import Path

import yaml

from conftest import ROOT

CASE = ROOT / "tests" / "cases" / "polyglot"
OUT = CASE / "expected"


def _doc(path: str) -> dict:
    return yaml.safe_load((OUT / path).read_text())


def test_the_go_grpc_service_is_probed_over_grpc_and_checks_itself():
    catalogue = yaml.safe_load((CASE / "services.yaml").read_text())
    assert catalogue["services"]["checkout"]["runtime"] == "go"
    container = _doc("k8s/base/core/checkout/deployment.yaml")["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["grpc"] == {"port": 5050}
    assert container["readinessProbe"]["grpc"] == {"port": 5050, "service": "boutique.CheckoutService"}
    compose = _doc("compose/docker-compose.yml")["services"]["checkout"]
    assert compose["healthcheck"]["test"] == ["CMD", "/opt/app/checkout", "health", "grpc://127.0.0.1:5050/boutique.CheckoutService"]
    assert 'CMD ["/opt/app/checkout", "health", "grpc://127.0.0.1:5050/"]' in (OUT / "docker/checkout/Dockerfile").read_text()


def test_a_multi_port_service_maps_service_ports_to_container_ports():
    ports = {p["name"]: (p["port"], p["targetPort"]) for p in _doc("k8s/base/core/checkout/service.yaml")["spec"]["ports"]}
    assert ports == {"grpc": (5050, "grpc"), "http": (80, "http"), "metrics": (9081, "metrics")}
    container = _doc("k8s/base/core/checkout/deployment.yaml")["spec"]["template"]["spec"]["containers"][0]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"grpc": 5050, "http": 8081, "metrics": 9081}


def test_java_and_dotnet_run_on_distroless_images():
    def final_from(service: str) -> str:
        return [line for line in (OUT / "docker" / service / "Dockerfile").read_text().splitlines() if line.startswith("FROM ")][-1]

    assert final_from("ads").startswith("FROM gcr.io/distroless/java21-debian13:nonroot")
    assert final_from("cart").startswith("FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled")


def test_the_prebuilt_image_is_pinned_and_never_built():
    assert not (OUT / "docker" / "flags").exists()
    for env in ("staging", "production"):
        images = {i["name"]: i for i in _doc(f"k8s/overlays/{env}/core/kustomization.yaml")["images"]}
        assert images["flags"]["newName"] == "ghcr.io/open-feature/flagd"
        assert images["flags"]["newTag"].startswith("v0.12.9@sha256:")
    main = (CASE / "expected-github" / "workflows" / "main.yml").read_text()
    assert "flagd" not in main and '"service": "flags"' not in main


def test_the_worker_has_no_service_and_the_job_is_a_cronjob():
    assert not (OUT / "k8s/base/data/loadgen/service.yaml").exists()
    cronjob = _doc("k8s/base/core/cleanup/cronjob.yaml")
    assert cronjob["kind"] == "CronJob" and cronjob["spec"]["schedule"] == "30 2 * * *"
    assert _doc("compose/docker-compose.yml")["services"]["cleanup"]["profiles"] == ["jobs"]
    rules = "".join(p.read_text() for p in (OUT / "monitoring").rglob("*.yml"))
    assert "CronJobNotSucceeding" in rules and "JobFailed" in rules


def test_the_addr_variable_resolves_in_compose_and_on_each_cluster():
    assert _doc("compose/docker-compose.yml")["services"]["frontend"]["environment"]["CHECKOUT_ADDR"] == "checkout:5050"
    for env in ("staging", "production"):
        patch = (OUT / "k8s/overlays" / env / "frontend/patches/frontend.yaml").read_text()
        assert f'"CHECKOUT_ADDR": "checkout.boutique-{env}-core.svc.cluster.local:5050"' in patch


def test_the_deploy_waits_for_no_cronjob_rollout_and_gives_no_worker_a_canary():
    steps = []
    for name in ("main", "release"):  # staging's deploy, then production's (with its canaries)
        workflow = yaml.safe_load((CASE / "expected-github" / "workflows" / f"{name}.yml").read_text())
        steps += [s for job in workflow["jobs"].values() for s in job.get("steps", [])]
    workloads = next(s["env"]["WORKLOADS"] for s in steps if "WORKLOADS" in s.get("env", {}))
    assert " cronjob cleanup " in workloads  # its image is set like every workload's...
    assert " deployment flags -\n" in workloads  # a prebuilt image: waited for, no image to set
    apply = next(s["run"] for s in steps if "rollout status" in s.get("run", "") and "WORKLOADS" in s["run"])
    assert '[ "$kind" = cronjob ] && continue' in apply  # ...but a CronJob has no rollout to wait for
    assert '[ "$image" = - ] && continue' in apply
    canaries = [s["env"]["CANARIES"] for s in steps if "CANARIES" in s.get("env", {})]
    assert canaries and all("loadgen" not in c and "cleanup" not in c for c in canaries)
    assert any(" checkout " in c for c in canaries)
