"""Catalogue variants: overrides stay in their overlay, stateful services, digests; checkov finds nothing."""

from __future__ import annotations

import json
import subprocess
import re
from pathlib import Path

import pytest
import yaml

from conftest import CATALOGUE, kustomize, nexusgen_here, tool
from nexusgen.engine.fingerprint import MANIFEST
from test_k8s import PLAN, check_object


def _render(tmp: Path, name: str, catalogue: dict) -> Path:
    (tmp / name).mkdir()
    (tmp / name / "services.yaml").write_text(yaml.safe_dump(catalogue, sort_keys=False))
    result = nexusgen_here("render", cwd=tmp / name)
    assert result.returncode == 0, result.stderr
    return tmp / name / "out"


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.mark.slow  # renders a variant and builds it with kubectl kustomize
def test_staging_override_changes_only_the_staging_overlay(tmp_path: Path):
    data = yaml.safe_load(CATALOGUE.read_text())
    before = _render(tmp_path, "before", data)
    gateway = data["environments"]["staging"]["services"]["gateway"]
    gateway["max_replicas"] = gateway.get("max_replicas", 1) + 2
    after = _render(tmp_path, "after", data)
    old, new = _files(before), _files(after)
    assert old.keys() == new.keys()
    changed = {name for name in old if old[name] != new[name]}
    k8s = {name for name in changed if name.startswith("k8s/")}
    assert k8s, "the override must reach the staging overlay"
    assert all(name.startswith("k8s/overlays/staging/") for name in k8s), sorted(k8s)
    assert MANIFEST in changed
    hpa = next(d for d in kustomize(after / "k8s" / "overlays" / "staging")
               if d["kind"] == "HorizontalPodAutoscaler" and d["metadata"]["name"] == "gateway")  # fmt: skip
    assert hpa["spec"]["maxReplicas"] == gateway["max_replicas"]


def _base_name(doc: dict) -> str:
    """An object's name, without the content hash the overlays append to a ConfigMap's (overlays.py)."""
    name = doc["metadata"]["name"]
    if doc["kind"] == "ConfigMap" and re.fullmatch(r".+-[0-9a-f]{10}", name):
        return name[:-11]
    return name


@pytest.mark.slow  # renders variants and builds them with kustomize
def test_secret_and_config_overrides_reach_only_their_environment(tmp_path: Path):
    """A staging-only secret variable, a secret that differs per environment, a config value and a
    removed variable: each lands in the staging build only, and the base names no store path of them."""
    data = yaml.safe_load(CATALOGUE.read_text())
    data["secrets"]["staging-only"] = {"description": "x", "path": "nexus/staging/only", "property": "p"}
    data["secrets"]["notification-staging"] = {"description": "x", "path": "nexus/staging/slack", "property": "p"}
    staging = data["environments"]["staging"]["services"]
    staging["notification"] = {
        "secrets": {"EXTRA_TOKEN": "staging-only", "SLACK_WEBHOOK_URL": "notification-staging", "TELEGRAM_BOT_TOKEN": None},
        "config": {"LOG_LEVEL": "debug"},
    }
    out = _render(tmp_path, "overrides", data)
    built = {env: kustomize(out / "k8s" / "overlays" / env) for env in ("staging", "production")}

    def of(env: str, kind: str) -> dict:
        return next(d for d in built[env] if d["kind"] == kind and _base_name(d) == "notification")

    for env, extra, slack, log, telegram in (
        ("staging", True, "nexus/staging/slack", "debug", False),
        ("production", False, "nexus/notification/slack", "info", True),
    ):
        env_vars = {e["name"] for e in of(env, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]}
        refs = {d["secretKey"]: d["remoteRef"]["key"] for d in of(env, "ExternalSecret")["spec"]["data"]}
        assert ("EXTRA_TOKEN" in env_vars) == extra and ("EXTRA_TOKEN" in refs) == extra, env
        assert ("TELEGRAM_BOT_TOKEN" in env_vars) == telegram and ("TELEGRAM_BOT_TOKEN" in refs) == telegram, env
        assert refs["SLACK_WEBHOOK_URL"] == slack and of(env, "ConfigMap")["data"]["LOG_LEVEL"] == log, env
        sources = of(env, "Deployment")["spec"]["template"]["spec"]["containers"][0].get("envFrom", [])
        assert of(env, "ConfigMap")["metadata"]["name"] in [s["configMapRef"]["name"] for s in sources if "configMapRef" in s]
    base = "".join(p.read_text() for p in (out / "k8s" / "base").rglob("*.yaml"))
    assert "nexus/staging/" not in base and "nexus/notification/slack" not in base
    patch = (out / "k8s/overlays/staging/core/patches/notification.yaml").read_text()
    assert "environments.staging.services.notification: config.LOG_LEVEL, secrets.EXTRA_TOKEN -> staging-only" in patch


def _checkov(built: list[dict], folder: Path, outcome: str = "failed_checks") -> list[dict]:
    """Failed (or skipped) checks of checkov on the built manifests (the objects exactly as they are applied)."""
    folder.mkdir()
    (folder / "manifests.yaml").write_text(yaml.safe_dump_all(built, sort_keys=False))
    result = subprocess.run(
        [tool("checkov"), "-d", str(folder), "--framework", "kubernetes", "--skip-download", "-o", "json"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    assert sum(r["summary"]["passed"] for r in reports) > 0, "checkov checked nothing"
    return [c for r in reports for c in r.get("results", {}).get(outcome, [])]


@pytest.mark.parametrize("env", ["staging", "production"])
def test_checkov_is_clean_and_skips_only_missing_digests(rendered, tmp_path: Path, env: str):
    """Zero failures; CKV_K8S_43 (image by digest) is skipped, with its reason, exactly where the
    shipped catalogue pins a tag and no digest, and no other check is skipped but the two documented ones."""
    built = kustomize(rendered / "k8s" / "overlays" / env)
    assert _checkov(built, tmp_path / "scan") == []
    skipped = _checkov(built, tmp_path / "scan-skips", "skipped_checks")
    undigested = {n for n in PLAN.services if "@sha256:" not in PLAN.image(n, env)}
    undigested |= {
        n for n, i in PLAN.infrastructure.items()
        if i.group == "infrastructure" and not i.optional
        and (not i.image.digest or (i.exporter and i.exporter.image and not i.exporter.image.digest))
    }  # fmt: skip
    # the Job creating the services' roles on a managed PostgreSQL runs the store's image (k8s/managed.py)
    undigested |= {d["metadata"]["name"] for d in built if d["kind"] == "Job"
                   and not PLAN.infrastructure[d["metadata"]["name"].split("-roles-")[0]].image.digest}  # fmt: skip
    digest_skips = {c["resource"].rsplit(".", 1)[-1] for c in skipped if c["check_id"] == "CKV_K8S_43"}
    assert digest_skips == undigested
    assert {c["check_id"] for c in skipped} <= {"CKV_K8S_43", "CKV_K8S_35", "CKV_K8S_38"}
    assert all(c["check_result"].get("suppress_comment") for c in skipped), "every skip carries its reason"


def test_checkov_is_clean_when_the_catalogue_pins_digests(tmp_path: Path):
    data = yaml.safe_load(CATALOGUE.read_text())
    digest = "sha256:" + "0" * 64
    data["environments"]["production"]["digests"] = {name: digest for name in data["services"]}
    for infra in data["infrastructure"].values():
        infra["image"]["digest"] = digest
        if (infra.get("exporter") or {}).get("image"):
            infra["exporter"]["image"]["digest"] = digest
    out = _render(tmp_path, "pinned", data)
    built = kustomize(out / "k8s" / "overlays" / "production")
    images = [c["image"] for d in built if d["kind"] in ("Deployment", "StatefulSet") for c in d["spec"]["template"]["spec"]["containers"]]
    assert images and all(i.endswith("@" + digest) for i in images)
    assert [(c["check_id"], c["resource"]) for c in _checkov(built, tmp_path / "scan")] == []
    skipped = _checkov(built, tmp_path / "scan-skips", "skipped_checks")
    assert not [c for c in skipped if c["check_id"] == "CKV_K8S_43"], "pinned digests leave nothing to skip"


@pytest.mark.slow  # renders a variant and builds it with kubectl kustomize
def test_stateful_service_becomes_a_statefulset(tmp_path: Path):
    data = yaml.safe_load(CATALOGUE.read_text())
    name = "analytics"
    data["services"][name]["scaling"] = {"mode": "stateful", "storage": "7Gi"}
    out = _render(tmp_path, "stateful", data)
    for env in ("staging", "production"):
        built = kustomize(out / "k8s" / "overlays" / env)
        assert [p for doc in built for p in check_object(doc)] == []
        kinds = {d["kind"] for d in built if d["metadata"]["name"] == name}
        assert "Deployment" not in kinds and "HorizontalPodAutoscaler" not in kinds and "PodDisruptionBudget" not in kinds
        (sts,) = [d for d in built if d["kind"] == "StatefulSet" and d["metadata"]["name"] == name]
        assert sts["spec"]["replicas"] == 1
        (claim,) = sts["spec"]["volumeClaimTemplates"]
        assert claim["spec"]["resources"]["requests"]["storage"] == "7Gi"
        (container,) = sts["spec"]["template"]["spec"]["containers"]
        assert claim["metadata"]["name"] in {m["name"] for m in container["volumeMounts"]}
        governing = [d for d in built if d["kind"] == "Service" and d["metadata"]["name"] == sts["spec"]["serviceName"]]
        assert len(governing) == 1 and governing[0]["spec"]["clusterIP"] == "None"


@pytest.mark.slow  # renders a variant and builds it with kubectl kustomize
def test_a_configuration_change_rolls_the_pods(tmp_path: Path):
    data = yaml.safe_load(CATALOGUE.read_text())
    before = _render(tmp_path, "before", data)
    data["services"]["gateway"]["config"]["LOG_LEVEL"] = "debug"
    after = _render(tmp_path, "after", data)
    for env in ("staging", "production"):
        old, new = (
            {(d["kind"], _base_name(d)): d for d in kustomize(out / "k8s" / "overlays" / env)} for out in (before, after)
        )
        assert new[("ConfigMap", "gateway")]["data"]["LOG_LEVEL"] == "debug"
        pods = [o[("Deployment", "gateway")]["spec"]["template"] for o in (old, new)]
        assert pods[0] != pods[1], f"{env}: the pod template must change so the pods pick up the new value"
        assert old[("Deployment", "risk-manager")] == new[("Deployment", "risk-manager")]
