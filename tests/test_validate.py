"""`nexusgen validate`: every validator over out/ and .github/, one table, no missing tool counted as a pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import CATALOGUE, nexusgen_here
from nexusgen import pipeline
from nexusgen import validate as validators
from nexusgen.validate import tool as tools

TOOLS = ("kustomize", "kubernetes-validate", "custom resources", "hadolint", "compose specification",
         "docker compose config", "promtool", "amtool", "metric inventory", "actionlint", "GitHub workflow schema",
         "Dependabot schema", "zizmor", "checkov", "Terraform HCL", "Terraform layout", "Terraform arguments",
         "checkov (terraform)")  # fmt: skip


def test_rendered_tree_is_clean_under_every_validator(rendered: Path):
    result = nexusgen_here("validate", "--out", str(rendered))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = result.stdout.splitlines()[1:]
    assert len(rows) == len(TOOLS)
    for tool, row in zip(TOOLS, rows):
        assert row.startswith(tool) and row.rstrip().endswith(" ok"), row
        assert int(row.split()[-4]) > 0, f"{tool} checked no file: {row}"


def test_a_finding_fails_and_is_named(rendered: Path, tmp_path: Path):
    out = tmp_path / "out"
    shutil.copytree(rendered, out)
    dockerfile = next(out.glob("docker/*/Dockerfile"))
    dockerfile.write_text(dockerfile.read_text() + "RUN apt-get install -y curl\n")
    result = nexusgen_here("validate", "--out", str(out))
    assert result.returncode == 1
    assert "DL3008" in result.stderr  # hadolint: pin versions in apt-get install
    assert [r for r in result.stdout.splitlines() if r.startswith("hadolint") and "FINDINGS" in r]


def test_a_missing_validator_is_never_a_pass(rendered: Path, monkeypatch):
    monkeypatch.setattr(tools, "find_tool", lambda name: None)
    monkeypatch.setattr(tools, "compose_binary", lambda: None)
    results = {r.tool: r for r in validators.run_all(rendered, pipeline.load(CATALOGUE))}
    missing = [r for r in results.values() if r.status == "MISSING"]
    assert {r.tool.split()[0] for r in missing} >= {"kustomize", "hadolint", "docker", "actionlint", "promtool", "amtool",
                                                    "zizmor", "checkov"}
    table = "\n".join(validators.table(list(results.values())))
    assert "MISSING: checkov" in [line for line in table.splitlines() if line.startswith("checkov (terraform)")][0]
    # Python libraries run in-process (kubernetes-validate, promql-parser, pygohcl): they need no external tool
    in_process = ("kubernetes-validate", "metric inventory", "Terraform HCL", "Terraform layout", "Terraform arguments")
    rows = [line for line in table.splitlines()[1:] if not line.startswith(in_process)]
    assert "MISSING: hadolint" in table and not any(line.endswith(" ok") for line in rows)


def test_an_empty_tree_is_not_a_pass(tmp_path: Path):
    (tmp_path / "out").mkdir()
    result = nexusgen_here("validate", "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "NO FILES" in result.stdout


@pytest.mark.slow  # the CRD and metric validators over a full render
def test_crd_and_metric_rows_report_findings(rendered: Path, tmp_path: Path):
    out = tmp_path / "out"
    shutil.copytree(rendered, out)
    secret = next(out.glob("k8s/base/core/*/externalsecret.yaml"))
    secret.write_text(secret.read_text().replace("external-secrets.io/v1\n", "external-secrets.io/v1beta1\n"))
    board = next(out.glob("monitoring/grafana/dashboards/*.json"))
    board.write_text(board.read_text().replace("container_memory_working_set_bytes", "container_spec_memory_limit_bytes"))
    cat = pipeline.load(CATALOGUE)
    built, _ = validators.kustomize_build(out)
    crd = validators.crd_schemas(built, cat.platform)
    assert crd.status == "FINDINGS" and any("v1beta1 is not served" in f for f in crd.findings)
    inventory = validators.metric_inventory(out, cat)
    assert inventory.status == "FINDINGS" and any("container_spec_memory_limit_bytes" in f for f in inventory.findings)
