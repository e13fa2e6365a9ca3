"""`nexusgen validate`: every validator over out/ and .github/, one table, no missing tool counted as a pass."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import nexusgen
from nexusgen import validate as validators

TOOLS = ("kustomize", "kubernetes-validate", "hadolint", "compose specification", "docker compose config",
         "promtool", "amtool", "actionlint", "GitHub workflow schema", "Dependabot schema", "zizmor",
         "checkov", "Terraform HCL", "Terraform layout", "Terraform arguments", "checkov (terraform)")  # fmt: skip


def test_rendered_tree_is_clean_under_every_validator(rendered: Path):
    result = nexusgen("validate", "--out", str(rendered))
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
    result = nexusgen("validate", "--out", str(out))
    assert result.returncode == 1
    assert "DL3008" in result.stderr  # hadolint: pin versions in apt-get install
    assert [r for r in result.stdout.splitlines() if r.startswith("hadolint") and "FINDINGS" in r]


def test_a_missing_validator_is_never_a_pass(rendered: Path, monkeypatch):
    monkeypatch.setattr(validators, "find_tool", lambda name: None)
    monkeypatch.setattr(validators, "compose_binary", lambda: None)
    results = {r.tool: r for r in validators.run_all(rendered)}
    missing = [r for r in results.values() if r.status == "MISSING"]
    assert {r.tool.split()[0] for r in missing} >= {"kustomize", "hadolint", "docker", "actionlint", "promtool", "amtool",
                                                    "zizmor", "checkov"}
    table = "\n".join(validators.table(list(results.values())))
    assert "MISSING: checkov" in [line for line in table.splitlines() if line.startswith("checkov (terraform)")][0]
    in_process = ("kubernetes-validate", "Terraform HCL", "Terraform layout", "Terraform arguments")  # Python libraries, no tool
    rows = [line for line in table.splitlines()[1:] if not line.startswith(in_process)]
    assert "MISSING: hadolint" in table and not any(line.endswith(" ok") for line in rows)


def test_an_empty_tree_is_not_a_pass(tmp_path: Path):
    (tmp_path / "out").mkdir()
    result = nexusgen("validate", "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "NO FILES" in result.stdout
