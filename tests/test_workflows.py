"""The CI/CD workflows as rendered for the shipped catalogue: real validators, then the rules
that matter for NEXUS (drift check on every PR, production behind an approval, least privilege,
no expression inside a shell script)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import CATALOGUE, tool
from nexusgen import catalogue as catalogue_io
from nexusgen.plan import build

PLAN = build(catalogue_io.parse(CATALOGUE.read_bytes(), CATALOGUE.name))
from nexusgen import catalogue as catalogue_io
from nexusgen.families.workflows.facts import MAJORS

PIPELINES = ("pr", "main", "release")
YAMLLINT = "{extends: default, rules: {truthy: {check-keys: false}, line-length: disable, document-start: disable, indentation: {indent-sequences: consistent}}}"  # consistent: the YAML writer does not indent sequences
# Write scopes a job may hold, and the step that needs each one.
WRITE_SCOPES = {
    "packages": "docker/login-action",  # pushes images to ghcr.io with GITHUB_TOKEN
    "id-token": "aws-actions/configure-aws-credentials",  # OIDC to the cloud
    "security-events": "github/codeql-action/upload-sarif",  # Trivy results to code scanning
}


@pytest.fixture(scope="module")
def files(rendered: Path) -> list[Path]:
    found = sorted((rendered / "github" / "workflows").glob("*.yml"))
    assert [p.stem for p in found] == sorted((*PIPELINES, "restore-drill"))  # the drill: tests/test_terraform.py
    return found


@pytest.fixture(scope="module")
def workflows(files) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in files}


@pytest.fixture(scope="module")
def model():
    return catalogue_io.parse(CATALOGUE.read_bytes(), CATALOGUE.name)


def triggers(doc: dict) -> dict:
    return doc.get("on", doc.get(True))  # YAML 1.1 reads the key `on` as true


def uses(job: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in job.get("steps", []) if "uses" in step]


def needs(job: dict) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def environment(job: dict) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


PRODUCTION_ROLE = PLAN.environment("production").cluster.deploy_role


def deploys_to_production(job: dict) -> bool:
    """Holds production credentials or applies the production overlay."""
    text = json.dumps(job)
    return PRODUCTION_ROLE in text or "overlays/production" in text


def ungated_production_jobs(doc: dict) -> list[str]:
    """Jobs that reach production without being, or transitively needing, a `production` job."""
    jobs = doc["jobs"]

    def closure(name: str, seen: set[str]) -> set[str]:
        for parent in needs(jobs[name]):
            if parent not in seen:
                seen.add(parent)
                closure(parent, seen)
        return seen

    return [
        name
        for name, job in jobs.items()
        if deploys_to_production(job)
        and not any(environment(jobs[n]) == "production" for n in closure(name, {name}))
    ]


# --- the real consumers ---------------------------------------------------------------


def test_actionlint_with_shellcheck(files, tmp_path):
    shellcheck = tool("shellcheck")
    env = {**os.environ, "PATH": f"{Path(shellcheck).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([tool("actionlint"), "-oneline", *map(str, files)], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
    # The same run over a script with an unquoted variable must fail: shellcheck is really wired in.
    broken = tmp_path / "broken.yml"
    broken.write_text(files[0].read_text().replace("run: nexusgen check --full", "run: echo $UNQUOTED"))
    result = subprocess.run([tool("actionlint"), "-oneline", str(broken)], capture_output=True, text=True, env=env)
    assert result.returncode == 1 and "SC2086" in result.stdout, result.stdout


def test_github_workflow_schema(files):
    cmd = [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, files)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_yamllint(files):
    cmd = [tool("yamllint"), "-s", "-f", "parsable", "-d", YAMLLINT, *map(str, files)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "", result.stdout


def test_checkov_finds_nothing(files, tmp_path):
    """checkov only reads workflows under `.github/workflows/`: lay them out as the repository will."""
    target = tmp_path / ".github" / "workflows"
    target.mkdir(parents=True)
    for path in files:
        shutil.copy(path, target / path.name)
    cmd = [tool("checkov"), "-d", str(tmp_path), "--framework", "github_actions", "--skip-download", "-o", "json"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    report = json.loads(result.stdout)
    report = report[0] if isinstance(report, list) else report
    summary = report["summary"]
    failed = [(c["check_id"], c["file_path"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == [] and summary["parsing_errors"] == 0, failed
    assert summary["passed"] > 0  # the files were actually checked
    assert result.returncode == 0


# --- what the pipelines promise ---------------------------------------------------------


def test_drift_check_runs_on_every_pull_request(workflows):
    pr = workflows["pr"]
    trigger = triggers(pr)
    assert "pull_request" in trigger and not (trigger["pull_request"] or {})  # no paths or branches filter
    drift = pr["jobs"]["drift"]
    assert "if" not in drift and "needs" not in drift
    runs = [step.get("run", "") for step in drift["steps"]]
    assert "python -m pip install ." in runs and "nexusgen check --full" in runs


def test_pull_requests_never_deploy_or_push(workflows):
    pr = workflows["pr"]
    for name, job in pr["jobs"].items():
        assert "environment" not in job, name
        assert "docker/login-action" not in uses(job), name
        for step in job.get("steps", []):
            assert step.get("with", {}).get("push") in (None, False), name
    assert pr["concurrency"]["cancel-in-progress"] is True
    assert "github.event.pull_request.number" in pr["concurrency"]["group"]


@pytest.mark.parametrize("name", ["main", "release"])
def test_production_is_unreachable_without_the_gate(workflows, name):
    doc = workflows[name]
    deployers = [n for n, job in doc["jobs"].items() if deploys_to_production(job)]
    assert {"deploy-production", "rollback-production"} <= set(deployers)
    assert ungated_production_jobs(doc) == []
    gates = [n for n, job in doc["jobs"].items() if environment(job) == "production"]
    assert gates == ["approve-production"]
    gate = doc["jobs"]["approve-production"]
    assert gate["permissions"] == {} and not deploys_to_production(gate)  # a gate only, no credentials
    # The check can fail: drop the gate from the graph and the deployment is reported.
    cut = json.loads(json.dumps(doc))
    cut["jobs"]["deploy-production"]["needs"] = [n for n in needs(cut["jobs"]["deploy-production"]) if n != "approve-production"]
    assert "deploy-production" in ungated_production_jobs(cut)


def test_pull_request_workflow_has_no_production_access(workflows):
    assert not any(deploys_to_production(job) for job in workflows["pr"]["jobs"].values())


@pytest.mark.parametrize("name", PIPELINES)
def test_permissions_are_least_privilege(workflows, name):
    doc = workflows[name]
    assert doc["permissions"] in ({"contents": "read"}, {})
    for job_name, job in doc["jobs"].items():
        granted = job.get("permissions", doc["permissions"])
        assert isinstance(granted, dict), f"{job_name}: permissions must be a mapping, not {granted!r}"
        writes = {scope for scope, level in granted.items() if level == "write"}
        needed = {scope for scope, action in WRITE_SCOPES.items() if action in uses(job)}
        assert writes == needed, f"{job_name}: holds {sorted(writes)}, needs {sorted(needed)}"
        assert set(granted.values()) <= {"read", "write", "none"}, job_name
        if "pull-requests" in granted:
            assert "dorny/paths-filter" in uses(job), job_name


@pytest.mark.parametrize("name", PIPELINES)
def test_every_job_has_a_timeout(workflows, name):
    for job_name, job in workflows[name]["jobs"].items():
        minutes = job.get("timeout-minutes")
        assert isinstance(minutes, int) and 0 < minutes <= 60, job_name


@pytest.mark.parametrize("name", PIPELINES)
def test_no_expression_inside_run_scripts(workflows, name):
    """Untrusted event fields, and every other expression, reach scripts only through `env:`."""
    for job_name, job in workflows[name]["jobs"].items():
        for step in job.get("steps", []):
            script = step.get("run", "")
            assert not re.search(r"\$\{\{[^}]*github\.(event|head_ref)", script), (job_name, step.get("name"))
            assert "${{" not in script, (job_name, step.get("name"))


@pytest.mark.parametrize("name", PIPELINES)
def test_actions_are_current_majors(workflows, name):
    for job in workflows[name]["jobs"].values():
        for step in job.get("steps", []):
            if "uses" in step:
                action, _, ref = step["uses"].partition("@")
                pin = PLAN.catalogue.actions.get(action) or PLAN.catalogue.actions.get("/".join(action.split("/")[:2]))
                assert ref == (pin or MAJORS[action]), step["uses"]


def test_no_secret_but_the_workflow_token(files):
    for path in files:
        text = path.read_text()
        assert set(re.findall(r"secrets\.([A-Za-z_]+)", text)) <= {"GITHUB_TOKEN"}, path.name
        assert "aws-access-key-id" not in text and "aws-secret-access-key" not in text, path.name


# --- the catalogue reaches every pipeline ---------------------------------------------


def test_every_service_is_in_every_matrix_and_filter(workflows, model):
    names = sorted(model.services)
    assert _services_everywhere(workflows) == {key: names for key in _services_everywhere(workflows)}


def _services_everywhere(workflows: dict) -> dict[str, list[str]]:
    """Service names as each place in the workflows lists them."""
    pr = workflows["pr"]["jobs"]["changes"]["steps"]
    filters = yaml.safe_load(pr[0]["with"]["filters"])
    matrix = json.loads(pr[1]["env"]["SERVICES"])
    found = {"pr filters": sorted(filters), "pr matrix": sorted(row["service"] for row in matrix)}
    for name in ("main", "release"):
        jobs = workflows[name]["jobs"]
        for job_name in ("lint-test", "images"):
            found[f"{name} {job_name}"] = sorted(row["service"] for row in jobs[job_name]["strategy"]["matrix"]["include"])
        lines = jobs["rollback-production"]["steps"][-1]["env"]["WORKLOADS"].splitlines()
        found[f"{name} production workloads"] = sorted(line.split()[2] for line in lines)
    lines = workflows["main"]["jobs"]["deploy-staging"]["steps"][-1]["env"]["WORKLOADS"].splitlines()
    found["staging workloads"] = sorted(line.split()[2] for line in lines)
    return found


def test_path_filters_follow_build_contexts(workflows, model):
    filters = yaml.safe_load(workflows["pr"]["jobs"]["changes"]["steps"][0]["with"]["filters"])
    for name, svc in model.services.items():
        assert f"{svc.source}/**" in filters[name] and f"out/docker/{name}/**" in filters[name]


def test_singletons_never_get_a_canary(workflows, model):
    step = next(s for s in workflows["release"]["jobs"]["deploy-production"]["steps"] if "CANARY" in s.get("env", {}))
    canaries = {line.split()[2] for line in step["env"]["CANARIES"].splitlines()}
    stateless = {n for n, s in model.services.items() if s.scaling.mode == "stateless"}
    assert canaries == stateless and "execution-engine" not in canaries


def test_images_are_scanned_before_they_are_pushed(workflows):
    for name in ("main", "release"):
        steps = workflows[name]["jobs"]["images"]["steps"]
        order = [step.get("uses", "").split("@")[0] + ("+push" if step.get("with", {}).get("push") else "") for step in steps]
        gate = next(i for i, s in enumerate(steps) if s.get("with", {}).get("exit-code") == "1")
        assert steps[gate]["with"]["severity"] == "CRITICAL"
        assert order.index("github/codeql-action/upload-sarif") < gate < order.index("docker/build-push-action+push")
        for step in steps:
            if step.get("uses", "").startswith("docker/build-push-action"):
                assert step["with"]["cache-from"].startswith("type=gha")


def test_tag_strategies(workflows):
    main = workflows["main"]["jobs"]["images"]["steps"]
    release = workflows["release"]["jobs"]["images"]["steps"]
    main_tags = next(s for s in main if s.get("id") == "meta")["with"]["tags"].splitlines()
    release_tags = next(s for s in release if s.get("id") == "meta")["with"]["tags"].splitlines()
    assert {"type=sha,format=long", "type=ref,event=branch"} <= set(main_tags)
    assert any(t.startswith("type=raw,value=latest") for t in main_tags)
    assert "type=semver,pattern={{version}}" in release_tags
    assert triggers(workflows["release"])["push"]["tags"] == ["v*"]


def test_rollback_runs_when_the_smoke_tests_fail(workflows):
    for name in ("main", "release"):
        rollback = workflows[name]["jobs"]["rollback-production"]
        assert {"deploy-production", "smoke-production"} <= set(needs(rollback))
        assert "failure()" in rollback["if"]
        assert "rollout undo" in rollback["steps"][-1]["run"]


def test_end_to_end_tests_target_the_staging_frontend(workflows, model):
    e2e = workflows["main"]["jobs"]["e2e"]
    frontend = model.services["frontend"]
    url = f"https://{frontend.ingress.subdomain}.{model.environments.staging.domain}"
    assert any(step.get("env", {}).get("PLAYWRIGHT_BASE_URL") == url for step in e2e["steps"])
    report = next(s for s in e2e["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert report["with"]["path"].startswith(frontend.source)
    assert needs(workflows["main"]["jobs"]["approve-production"]) == ["e2e"]
