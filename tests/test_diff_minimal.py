"""Diff-minimal output (issue 17 item 3): a fact that changes often appears only in the files
that consume it. Each catalogue is rendered into its own folder, as `render` writes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CATALOGUE, nexusgen_here, tree

GATEWAY_PRODUCTION_MAX = ("        max_replicas: 12\n", "        max_replicas: 16\n")


def changed_files(tmp_path: Path, old: str, new: str) -> set[str]:
    """The generated files (manifest included) that differ after replacing ``old`` by ``new`` once."""
    text = CATALOGUE.read_text()
    assert text.count(old) == 1, f"{old!r} must occur once in services.yaml"
    trees = []
    for name, catalogue in (("before", text), ("after", text.replace(old, new))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "services.yaml").write_text(catalogue)
        result = nexusgen_here("render", "-q", cwd=folder)
        assert result.returncode == 0, result.stderr
        trees.append(tree(folder / "out"))
    before, after = trees
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def test_raising_one_production_max_replicas_changes_at_most_five_files(tmp_path: Path):
    changed = changed_files(tmp_path, *GATEWAY_PRODUCTION_MAX)
    assert len(changed) <= 5, sorted(changed)
    # exactly the files whose meaning changes: the production patch, the service reference,
    # the ScalingAtMaximum rule test (its series reach the maximum), and the manifest
    assert changed == {
        ".nexusgen-manifest.json",
        "README.md",
        "k8s/overlays/production/core/patches/gateway.yaml",
        "monitoring/prometheus/tests/service-gateway.yml",
    }


def test_a_new_release_tag_changes_only_the_overlays_image_lists(tmp_path: Path):
    changed = changed_files(tmp_path, "    tag: 1.0.0\n", "    tag: 1.0.1\n")
    assert changed == {".nexusgen-manifest.json"} | {
        f"k8s/overlays/production/{group}/kustomization.yaml" for group in ("core", "data", "frontend")}


@pytest.mark.parametrize(
    "old, new",
    [
        ("max_replicas: 8, cpu_target_percent: 65}", "max_replicas: 9, cpu_target_percent: 65}"),
        ("          requests: {cpu: 500m, memory: 512Mi}", "          requests: {cpu: 750m, memory: 512Mi}"),
    ],
    ids=["base-max-replicas", "production-cpu-request"],
)
def test_capacity_changes_leave_the_runbooks_alone(tmp_path: Path, old: str, new: str):
    """Runbooks point to the service reference (out/README.md) instead of restating capacity."""
    changed = changed_files(tmp_path, old, new)
    assert changed, "the change must show somewhere"
    assert not [p for p in changed if p.startswith("monitoring/runbooks/")], sorted(changed)
