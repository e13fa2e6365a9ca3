"""The pre-commit path: an in-sync `check` answers from digests without importing the heavy libraries,
and stays exactly as strict as a full render."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import CATALOGUE, ROOT, copy_templates, nexusgen, nexusgen_here, seeded


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Path:
    """The shipped catalogue rendered from a copy of the templates, made once, to copy per test."""
    root = tmp_path_factory.mktemp("seed")
    shutil.copy(CATALOGUE, root / "services.yaml")
    copy_templates(root / "templates")
    assert nexusgen_here("render", "--templates", "templates", cwd=root).returncode == 0
    return root


@pytest.fixture
def project(seed: Path, tmp_path: Path) -> Path:
    return seeded(seed, tmp_path / "project")


def _imports(result) -> set[str]:
    return {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if line.startswith("import time:")}


def test_in_sync_check_imports_no_heavy_library(project: Path):
    result = nexusgen("check", "--templates", "templates", cwd=project, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0
    imported = _imports(result)
    assert "nexusgen" in imported, "the profile covers nexusgen's own imports"
    assert not imported & {"jinja2", "yaml", "pydantic", "click"}


def test_full_check_renders(project: Path):
    result = nexusgen("check", "--full", "--templates", "templates", cwd=project, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0
    assert {"jinja2", "pydantic"} <= _imports(result)


def test_template_change_is_found(project: Path):
    template = project / "templates" / "index" / "README.md.j2"
    template.write_text(template.read_text() + "\nOne more line.\n")
    result = nexusgen_here("check", "--templates", "templates", cwd=project)
    assert result.returncode == 1
    assert "changed: out/README.md" in result.stderr


def test_template_change_without_output_change_changes_only_the_manifest(project: Path):
    template = project / "templates" / "index" / "README.md.j2"
    template.write_text(template.read_text().replace("# {{ plan.project }}", "{# a comment #}\n# {{ plan.project }}", 1))
    result = nexusgen_here("check", "--templates", "templates", cwd=project)
    assert result.returncode == 1 and "changed:" not in result.stderr
    assert "stale: out/.nexusgen-manifest.json" in result.stderr
    assert nexusgen_here("render", "--templates", "templates", cwd=project).stdout.startswith("1 written")
    assert nexusgen_here("check", "--templates", "templates", cwd=project).returncode == 0


def test_manifest_tampering_falls_back_to_a_full_comparison(project: Path):
    manifest = project / "out" / ".nexusgen-manifest.json"
    manifest.write_text(manifest.read_text().replace('"inputs": "', '"inputs": "0', 1))
    result = nexusgen_here("check", "--templates", "templates", cwd=project)
    assert result.returncode == 1 and "stale: out/.nexusgen-manifest.json" in result.stderr
    (project / "out" / "README.md").write_text("edited\n")
    manifest.write_text("not json")
    result = nexusgen_here("check", "--templates", "templates", cwd=project)
    assert result.returncode == 2 and "is damaged" in result.stderr


def test_the_shipped_repository_answers_from_the_fast_path():
    """The committed manifest is fresh: a plain check of the repository itself passes without
    importing pydantic or Jinja (a stale inputs digest would send it to a full render, which
    fails on the stale manifest: `nexusgen render` and commit out/ after changing nexusgen)."""
    result = nexusgen("check", cwd=ROOT, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert not _imports(result) & {"jinja2", "yaml", "pydantic", "click"}, "the committed manifest is stale"
