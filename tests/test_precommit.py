"""The repository's own pre-commit hook, run through pre-commit itself (issue 17 item 5): it builds
its own environment (no venv on PATH), passes on a clean tree and fails on a drifted one."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

CONFIG = ROOT / ".pre-commit-config.yaml"


def hook() -> dict:
    (repo,) = yaml.safe_load(CONFIG.read_text())["repos"]
    (found,) = [h for h in repo["hooks"] if h["id"] == "nexusgen-check"]
    return found


def test_hook_installs_its_own_environment_with_nexusgens_dependencies():
    found = hook()
    assert found["language"] == "python", "a system hook needs nexusgen on PATH"
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert found["additional_dependencies"] == dependencies


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A git repository holding what the hook needs: the package, the catalogue, out/, the config."""
    root = tmp_path_factory.mktemp("precommit") / "repo"
    root.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("nexusgen", "out", ".github"):
        shutil.copytree(ROOT / name, root / name, ignore=ignore)
    for name in ("services.yaml", "pyproject.toml", ".pre-commit-config.yaml", "README.md"):
        shutil.copy(ROOT / name, root / name)
    for args in (("init", "-q"), ("add", "-A")):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


def run_hook(root: Path) -> subprocess.CompletedProcess:
    """``pre-commit run`` with no virtual environment on PATH (only the system's)."""
    pre_commit = shutil.which("pre-commit")
    assert pre_commit, "pre-commit is installed with the test extras"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    return subprocess.run([pre_commit, "run", "nexusgen-check", "--all-files"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=900)


def test_hook_passes_on_a_clean_tree_and_fails_on_drift(checkout: Path):
    assert shutil.which("nexusgen", path="/usr/local/bin:/usr/bin:/bin") is None, "the hook must not rely on PATH"
    clean = run_hook(checkout)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "nexusgen check (out/ matches services.yaml)" in clean.stdout and "Passed" in clean.stdout
    readme = checkout / "out" / "README.md"
    readme.write_text(readme.read_text() + "edited by hand\n")
    drifted = run_hook(checkout)
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert "Failed" in drifted.stdout and "README.md" in drifted.stdout
