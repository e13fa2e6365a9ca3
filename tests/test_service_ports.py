"""Issue 19 items 3-5 on the polyglot-ports case: one port fact everywhere, workers, jobs, dependency variables."""

from __future__ import annotations

from pathlib import Path

import yaml

from conftest import ROOT
from nexusgen.catalogue import parse
from nexusgen.plan import build, probe

CASE = ROOT / "tests" / "cases" / "polyglot-ports"
EXPECTED = CASE / "expected"
PLAN = build(parse((CASE / "services.yaml").read_bytes(), "services.yaml"))


def _docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_dependency_variables_resolve_per_environment():
    """compose: service name and container port; a cluster: namespaced DNS name and Service port."""
    dev, prod = PLAN.env("frontend", "dev"), PLAN.env("frontend", "production")
    assert dev["CART_ADDR"] == "cart:7070"
    assert prod["CART_ADDR"] == "cart.shop-production-core.svc.cluster.local:7070"
    assert dev["CHECKOUT_BASE"] == "http://checkout:8081/api"  # the container port
    assert prod["CHECKOUT_BASE"] == "http://checkout.shop-production-core.svc.cluster.local:80/api"  # the Service port
    assert PLAN.env("cleanup", "staging")["DATABASE_ADDR"] == "db.shop-staging-infrastructure.svc.cluster.local:5432"
    # a gRPC service is reached by host and port, not a URL
    assert {"CART_HOST", "CART_PORT"} <= set(PLAN.env("checkout", "dev")) and "CART_URL" not in PLAN.env("checkout", "dev")


def test_a_template_keeps_dollars_literal(tmp_path: Path):
    text = (CASE / "services.yaml").read_text().replace('CHECKOUT_BASE: "{checkout.url}/api"', 'CHECKOUT_BASE: "$(HOME)$X{checkout.url}"')
    plan = build(parse(text.encode(), "services.yaml"))
    assert plan.env("frontend", "dev")["CHECKOUT_BASE"] == "$(HOME)$Xhttp://checkout:8081"
    from nexusgen.families.compose import _environment

    assert _environment(plan.env("frontend", "dev"))["CHECKOUT_BASE"] == "$$(HOME)$$Xhttp://checkout:8081"


def test_service_ports_differ_from_container_ports_where_declared():
    base = EXPECTED / "k8s" / "base" / "core" / "checkout"
    (service,) = _docs(base / "service.yaml")
    assert {p["name"]: (p["port"], p["targetPort"]) for p in service["spec"]["ports"]} == {
        "grpc": (5050, "grpc"), "http": (80, "http"), "metrics": (9092, "metrics")}
    (deployment,) = _docs(base / "deployment.yaml")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"grpc": 5050, "http": 8081, "metrics": 9092}
    assert container["livenessProbe"]["tcpSocket"] == {"port": "grpc"}
    assert container["readinessProbe"]["initialDelaySeconds"] == 2


def test_network_policies_allow_container_ports_not_service_ports():
    docs = _docs(EXPECTED / "k8s" / "overlays" / "production" / "core" / "networkpolicies.yaml")
    checkout = next(d for d in docs if d["metadata"]["name"] == "checkout")
    from_frontend = [r for r in checkout["spec"]["ingress"]
                     if any(p.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") == "frontend" for p in r["from"])]
    assert [sorted(p["port"] for p in r["ports"]) for r in from_frontend] == [[5050, 8081]]


def test_grpc_probe_is_the_native_kubernetes_probe():
    (deployment,) = _docs(EXPECTED / "k8s" / "base" / "core" / "cart" / "deployment.yaml")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["grpc"] == {"port": 7070, "service": "shop.CartService"}
    assert container["startupProbe"]["initialDelaySeconds"] == 2
    compose = yaml.safe_load((EXPECTED / "compose" / "docker-compose.yml").read_text())["services"]
    assert compose["cart"]["healthcheck"]["test"] == ["CMD", *probe.INTERPRETER_CHECKS["python"].grpc(7070, "shop.CartService")]
    assert "ports" not in compose["cart"] and compose["cart"]["expose"] == ["7070", "9091"]


def test_workers_and_jobs_have_no_service_hpa_or_pdb():
    files = {p.relative_to(EXPECTED / "k8s" / "base").as_posix() for p in (EXPECTED / "k8s" / "base").rglob("*.yaml")}
    assert "data/loadgen/service.yaml" not in files and {"data/loadgen/hpa.yaml", "data/loadgen/pdb.yaml"} <= files
    assert {"data/emailer/service.yaml", "data/emailer/servicemonitor.yaml"} <= files  # a metrics port only
    assert not {"core/cleanup/service.yaml", "core/cleanup/hpa.yaml", "core/cleanup/pdb.yaml", "core/cleanup/deployment.yaml"} & files
    (cron,) = _docs(EXPECTED / "k8s" / "base" / "core" / "cleanup" / "cronjob.yaml")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False and pod["securityContext"]["runAsNonRoot"] is True
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    assert (cron["spec"]["schedule"], cron["spec"]["concurrencyPolicy"]) == ("30 2 * * *", "Forbid")
    compose = yaml.safe_load((EXPECTED / "compose" / "docker-compose.yml").read_text())["services"]
    assert compose["cleanup"]["profiles"] == ["jobs"] and "healthcheck" not in compose["cleanup"]
    assert compose["loadgen"]["depends_on"]["frontend"]["condition"] == "service_healthy"
    policies = _docs(EXPECTED / "k8s" / "overlays" / "staging" / "core" / "networkpolicies.yaml")
    assert any(d["metadata"]["name"] == "cleanup" for d in policies)


def _long_form(text: str) -> str:
    """The shipped catalogue with every short port and probe spelled out in the long form."""
    import re

    text = re.sub(r"ports: \{http: (\d+), metrics: (\d+)\}",
                  r"ports: {http: {port: \1, protocol: http, publish: \1}, metrics: {port: \2, protocol: http}}", text)

    def health(match: re.Match) -> str:
        fields = dict(part.split(": ") for part in match.group(1).split(", "))
        out = [f"{role}: {{kind: http, path: {fields[role]}}}" for role in ("liveness", "readiness")]
        if "startup_seconds" in fields:
            out.append(f"startup_seconds: {fields['startup_seconds']}")
        return "health: {" + ", ".join(out) + "}"

    return re.sub(r"health: \{([^}]*)\}", health, text)


def test_the_short_form_is_the_long_form(tmp_path: Path):
    """Backward compatibility: the shipped catalogue spelled out renders byte for byte the same."""
    from conftest import nexusgen_here
    from nexusgen.engine.output import on_disk

    source = (ROOT / "services.yaml").read_text()
    spelled = _long_form(source)
    assert spelled.count("kind: http") >= 22 and spelled.count("protocol: http, publish") >= 11
    trees = {}
    for name, text in (("short", source), ("long", spelled)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "services.yaml").write_text(text)
        result = nexusgen_here("render", "--catalogue", str(tmp_path / name / "services.yaml"), "--out", str(tmp_path / name / "out"))
        assert result.returncode == 0, result.stderr
        trees[name] = {p: (tmp_path / name / "out" / p).read_bytes() for p in on_disk(tmp_path / name / "out")
                       if not str(p).endswith("manifest.json")}
    assert len(trees["short"]) > 300 and trees["short"] == trees["long"]


def test_exec_probe_arguments_stay_literal():
    text = (CASE / "services.yaml").read_text().replace("os.stat('/tmp/ready')", "os.stat('$(HOME)/ready')")
    plan = build(parse(text.encode(), "services.yaml"))
    from nexusgen.families.compose import service as compose_service
    from nexusgen.families.k8s.workloads import service as k8s_service

    assert compose_service(plan, "loadgen", "n")["healthcheck"]["test"][-1] == "import os; os.stat('$$(HOME)/ready')"
    assert k8s_service(plan, "loadgen").containers[0].readiness.command[-1] == "import os; os.stat('$$(HOME)/ready')"
