"""The deploy scripts name real objects: every `namespace kind name image` line the workflows
roll out, canary or undo is a workload of the rendered overlay, and the image override the
deploy step adds with `kustomize edit set image` reaches exactly that workload."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import tool


@pytest.fixture(scope="module")
def deploy_lines(rendered: Path) -> dict[str, list[list[str]]]:
    """Workload lines per environment, as the apply steps carry them (staging: main, production: release)."""
    workflows = rendered.parent / ".github" / "workflows"
    out = {}
    for env, workflow, job in (("staging", "main", "deploy-staging"), ("production", "release", "deploy-production")):
        doc = yaml.safe_load((workflows / f"{workflow}.yml").read_text())
        step = next(s for s in doc["jobs"][job]["steps"] if "OVERLAY" in s.get("env", {}) and "WORKLOADS" in s["env"])
        assert step["env"]["OVERLAY"] == f"out/k8s/overlays/{env}"
        out[env] = [line.split() for line in step["env"]["WORKLOADS"].splitlines()]
    return out


def _build(overlay: Path) -> list[dict]:
    result = subprocess.run([tool("kubectl"), "kustomize", str(overlay)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _containers(docs: list[dict]) -> dict[tuple[str, str, str], dict[str, str]]:
    return {
        (d["metadata"]["namespace"], d["kind"].lower(), d["metadata"]["name"]): {
            c["name"]: c["image"] for c in d["spec"]["template"]["spec"]["containers"]
        }
        for d in docs
        if d["kind"] in ("Deployment", "StatefulSet")
    }


@pytest.mark.parametrize("env", ["staging", "production"])
def test_workload_lines_match_the_overlay(rendered, deploy_lines, env):
    workloads = _containers(_build(rendered / "k8s" / "overlays" / env))
    for namespace, kind, name, image in deploy_lines[env]:
        containers = workloads.get((namespace, kind, name))
        assert containers is not None, f"{kind}/{name} not in {namespace}"
        if image != "-":  # a prebuilt image ('-') is pinned by the overlay, never set by the deploy
            assert containers[name].split(":")[0].split("@")[0] == image  # the container the canary swaps


@pytest.mark.parametrize("env", ["staging", "production"])
def test_set_image_reaches_only_its_workload(rendered, deploy_lines, env, tmp_path):
    """What `kustomize edit set image IMAGE=IMAGE@DIGEST` writes in the overlay, built by kubectl."""
    copy = tmp_path / "k8s"
    shutil.copytree(rendered / "k8s", copy)
    namespace, kind, name, image = deploy_lines[env][0]
    kustomization = copy / "overlays" / env / "kustomization.yaml"
    doc = yaml.safe_load(kustomization.read_text())
    digest = "sha256:" + "0" * 64
    doc.setdefault("images", []).append({"name": image, "newName": image, "digest": digest})
    kustomization.write_text(yaml.safe_dump(doc))
    before = _containers(_build(rendered / "k8s" / "overlays" / env))
    after = _containers(_build(copy / "overlays" / env))
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {(namespace, kind, name)}
    assert after[(namespace, kind, name)][name] == f"{image}@{digest}"
