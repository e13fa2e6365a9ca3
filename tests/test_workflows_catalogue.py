"""The workflows follow the catalogue: a new service joins every matrix and path filter, and an
`actions:` entry pins that action to its commit everywhere it is used."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import CATALOGUE, nexusgen_here, tool
from test_workflows import PIPELINES, PLAN, _services_everywhere, ungated_production_jobs

LEDGER = """\
services:
  ledger:
    description: Double-entry ledger of every fill and transfer
    runtime: python
    group: data
    source: services/ledger
    command: [python, -m, ledger]
    ports: {http: 8010, metrics: 9111}
    health: {liveness: /health/live, readiness: /health/ready}
    scaling: {mode: stateless, min_replicas: 1, max_replicas: 2}
    resources:
      requests: {cpu: 100m, memory: 128Mi}
      limits: {cpu: 500m, memory: 256Mi}

"""
CHECKOUT_SHA = "ab" * 20
TRIVY_SHA = "57a97c7e7821a5776cebc9bb87c984fa69cba8f1"
CODEQL_SHA = "cd" * 20
# Three pins replaced (bare SHAs: the version comment is the action's major); the rest stay as shipped.
PINS = {"actions/checkout": CHECKOUT_SHA, "aquasecurity/trivy-action": TRIVY_SHA, "github/codeql-action": CODEQL_SHA}


@pytest.fixture(scope="module")
def edited(tmp_path_factory) -> Path:
    """The shipped catalogue plus one service and three actions pinned anew, rendered by the CLI."""
    root = tmp_path_factory.mktemp("edited")
    text = CATALOGUE.read_text(encoding="utf-8")
    assert text.count("\nservices:\n") == 1
    text = text.replace("\nservices:\n", "\n" + LEDGER, 1)
    for action, sha in PINS.items():
        text, count = re.subn(rf"\n  {re.escape(action)}: [^\n]+\n", f"\n  {action}: {sha}\n", text)
        assert count == 1, action
    (root / "services.yaml").write_text(text, encoding="utf-8")
    result = nexusgen_here("render", "--catalogue", str(root / "services.yaml"), "--out", str(root / "out"))
    assert result.returncode == 0, result.stderr
    return root / ".github" / "workflows"


def test_a_new_service_joins_every_matrix_and_filter(edited):
    workflows = {name: yaml.safe_load((edited / f"{name}.yml").read_text()) for name in PIPELINES}
    found = _services_everywhere(workflows)
    assert found and all("ledger" in names for names in found.values()), found
    filters = yaml.safe_load(workflows["pr"]["jobs"]["changes"]["steps"][0]["with"]["filters"])
    assert filters["ledger"] == ["services/ledger/**", "out/docker/ledger/**"]
    for name in ("main", "release"):
        assert ungated_production_jobs(workflows[name]) == []


def test_catalogue_pins_replace_tags(edited):
    for name in PIPELINES:
        text = (edited / f"{name}.yml").read_text()
        assert "actions/checkout@v" not in text
        assert f"uses: actions/checkout@{CHECKOUT_SHA}  # v7" in text
        if name == "main":  # the only workflow that builds and scans
            assert f"uses: aquasecurity/trivy-action@{TRIVY_SHA}  # v0.35.0" in text
            # a pin of the repository covers its sub-actions
            assert f"uses: github/codeql-action/upload-sarif@{CODEQL_SHA}  # v4" in text
        assert re.findall(r"uses: ([^@\s]+)@v", text) == []  # every action pinned (an unpinned one is refused)


def test_edited_workflows_pass_actionlint(edited):
    shellcheck = tool("shellcheck")
    env_path = f"{Path(shellcheck).parent}:{Path(tool('actionlint')).parent}"
    files = sorted(str(p) for p in edited.glob("*.yml"))
    result = subprocess.run(
        [tool("actionlint"), "-oneline", "-config-file", str(edited.parent / "actionlint.yaml"), *files], capture_output=True, text=True, env={"PATH": env_path + ":/usr/bin:/bin"}
    )
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
    assert shutil.which("shellcheck", path=env_path)


def test_smallest_catalogue_renders_valid_workflows(tmp_path):
    """tests/cases/minimal: one canary, one public URL, no frontend (so no end-to-end job).

    Rendered through this family alone and finished as `output` finishes every file, so the
    check holds whatever state the other families are in."""
    from nexusgen import catalogue as catalogue_io
    from nexusgen.engine.text import finish
    from nexusgen.plan import build
    from nexusgen.families import templates as family_templates
    from nexusgen.families import workflows

    source = CATALOGUE.parent / "tests" / "cases" / "minimal" / "services.yaml"
    plan = build(catalogue_io.parse(source.read_bytes(), source.name))
    files, config = [], []
    for path, text in workflows.render(plan, family_templates()).items():
        if path.parent.name == "workflows":
            files.append(tmp_path / path.name)
            files[-1].write_text(finish(path, text, source.name))
        elif path.name == "actionlint.yaml":  # the runner labels of a cloud catalogue
            (tmp_path / path.name).write_text(finish(path, text, source.name))
            config = ["-config-file", str(tmp_path / path.name)]
    env = {"PATH": f"{Path(tool('shellcheck')).parent}:/usr/bin:/bin"}
    result = subprocess.run([tool("actionlint"), "-oneline", *config, *map(str, files)], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and result.stdout == "", result.stdout
    main = yaml.safe_load((tmp_path / "main.yml").read_text())
    release = yaml.safe_load((tmp_path / "release.yml").read_text())
    assert "e2e" not in main["jobs"] and list(main["jobs"])[-1] == "deploy-staging"
    canary = next(s for s in release["jobs"]["deploy-production"]["steps"] if "CANARIES" in s.get("env", {}))
    assert canary["env"]["CANARIES"].splitlines() == ["shop-production-core deployment api ghcr.io/example/api"]
    assert ungated_production_jobs(release) == []
