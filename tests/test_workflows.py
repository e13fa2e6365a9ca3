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

PIPELINES = ("pr", "main", "release")
# The one YAML writer puts a list at its key's indentation (as libyaml does), in every file alike.
YAMLLINT = ("{extends: default, rules: {truthy: {check-keys: false}, line-length: disable, document-start: disable, "
            "indentation: {indent-sequences: consistent}}}")
# Write scopes jobs hold for `gh` (no action to name): the PR comment, the record pull request.
JOB_WRITES = {"diff": {"pull-requests"}, "record": {"contents", "pull-requests"}}
# Write scopes a job may hold, and the step that needs each one.
WRITE_SCOPES = {
    "packages": "docker/login-action",  # pushes images to ghcr.io with GITHUB_TOKEN
    "id-token": "aws-actions/configure-aws-credentials",  # OIDC to the cloud
    "security-events": "github/codeql-action/upload-sarif",  # Trivy results to code scanning
}


@pytest.fixture(scope="module")
def files(rendered: Path) -> list[Path]:
    found = sorted((rendered.parent / ".github" / "workflows").glob("*.yml"))
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
    # The self-hosted runners' labels, as rendered (.github/actionlint.yaml).
    config = ["-config-file", str(files[0].parent.parent / "actionlint.yaml")]
    result = subprocess.run([tool("actionlint"), "-oneline", *config, *map(str, files)], capture_output=True, text=True, env=env)
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


def test_production_is_unreachable_without_the_gate(workflows):
    """Only the release deploys to production, in the `production` environment itself (its
    required reviewers approve that job; its OIDC subject is the environment's)."""
    assert not any(deploys_to_production(job) for job in workflows["main"]["jobs"].values())
    doc = workflows["release"]
    deployers = [n for n, job in doc["jobs"].items() if deploys_to_production(job)]
    assert deployers == ["deploy-production"]
    assert ungated_production_jobs(doc) == []
    # The check can fail: take the environment away and the deployment is reported.
    cut = json.loads(json.dumps(doc))
    del cut["jobs"]["deploy-production"]["environment"]
    assert "deploy-production" in ungated_production_jobs(cut)


def cloud_role_jobs(doc: dict) -> dict[str, dict]:
    return {n: job for n, job in doc["jobs"].items() if "aws-actions/configure-aws-credentials" in uses(job)}


@pytest.mark.parametrize("name", PIPELINES)
def test_every_cloud_role_job_runs_in_its_environment(workflows, name):
    """Issue 16, item 2: the OIDC subject is `repo:<owner>/<repo>:environment:<env>`, and the role
    assumed is that environment's. Issue 18: the registry's push role is assumed only by main's
    images job (subject refs/heads/main, no environment), its promote role only from `release`."""
    from nexusgen.plan import cloud

    roles = {env: PLAN.environment(env).cluster.deploy_role for env in ("staging", "production")}
    account = PLAN.catalogue.cloud.state.account_id
    if name == "main":
        roles[None] = cloud.role_arn(account, cloud.push_role(PLAN.project))
    roles[cloud.RELEASE_ENVIRONMENT] = cloud.role_arn(account, cloud.promote_role(PLAN.project))
    for job_name, job in cloud_role_jobs(workflows[name]).items():
        env = environment(job)
        assert env in roles, job_name
        assert env is not None or job_name == "images", job_name
        assumed = {step["with"]["role-to-assume"] for step in job["steps"] if "role-to-assume" in step.get("with", {})}
        assert assumed == {roles[env]}, job_name
    assert name == "pr" or cloud_role_jobs(workflows[name])


def test_pull_request_workflow_has_no_production_access(workflows):
    assert not any(deploys_to_production(job) for job in workflows["pr"]["jobs"].values())


@pytest.mark.parametrize("name", PIPELINES)
def test_permissions_are_least_privilege(workflows, name):
    doc = workflows[name]
    assert doc["permissions"] == {}
    for job_name, job in doc["jobs"].items():
        granted = job.get("permissions", doc["permissions"])
        assert isinstance(granted, dict), f"{job_name}: permissions must be a mapping, not {granted!r}"
        writes = {scope for scope, level in granted.items() if level == "write"}
        needed = {scope for scope, action in WRITE_SCOPES.items() if action in uses(job)} | JOB_WRITES.get(job_name, set())
        assert writes == needed, f"{job_name}: holds {sorted(writes)}, needs {sorted(needed)}"
        assert set(granted.values()) <= {"read", "write", "none"}, job_name
        if "pull-requests" in granted:
            assert "dorny/paths-filter" in uses(job) or job_name in JOB_WRITES, job_name


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


def _script_constants() -> set[str]:
    """Every module-level string of the workflows family: the only text a `run:` may hold."""
    import importlib
    import pkgutil

    import nexusgen.families.workflows as family

    found: set[str] = set()
    for info in pkgutil.iter_modules(family.__path__):
        module = importlib.import_module(f"{family.__name__}.{info.name}")
        for value in vars(module).values():
            found |= {value} if isinstance(value, str) else {v for v in getattr(value, "values", lambda: [])()
                                                             if isinstance(v, str)} if isinstance(value, dict) else set()
    return found


def run_scripts(doc: dict) -> list[tuple[str, str]]:
    """(job, script) of every `run:` in a workflow."""
    return [(name, step["run"]) for name, job in doc["jobs"].items() for step in job.get("steps", []) if "run" in step]


@pytest.mark.parametrize("name", PIPELINES)
def test_every_run_script_is_code_not_catalogue_text(workflows, name):
    """Issue 20, class 4: no catalogue value reaches a `run:` script except through `env:`.
    Each script is a constant of the workflows family, the same for every catalogue."""
    constants = _script_constants()
    scripts = run_scripts(workflows[name])
    assert scripts
    for job, script in scripts:
        assert script in constants, (job, script)
    catalogue_texts = {PLAN.catalogue.runtimes[r].lint for r in PLAN.catalogue.runtimes} | {
        PLAN.catalogue.runtimes[r].test for r in PLAN.catalogue.runtimes}
    assert not any(text in script for text in catalogue_texts for _, script in scripts)


PINNED_USES = re.compile(r"\s*(?:- )?uses: ([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+)@([0-9a-f]{40})  # (v[0-9][0-9.]*)")


@pytest.mark.parametrize("name", PIPELINES)
def test_every_uses_is_pinned_to_a_commit_from_the_catalogue(files, name):
    """Issue 16, item 3: `owner/repo@<40 hex>  # <version>`, the SHA and version those of the
    catalogue's `actions:`; any other `uses:` line fails."""
    text = next(p for p in files if p.stem == name).read_text()
    lines = [line for line in text.splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert lines
    for line in lines:
        match = PINNED_USES.fullmatch(line)
        assert match, line
        action, sha, version = match.groups()
        pin = PLAN.catalogue.actions.get(action) or PLAN.catalogue.actions["/".join(action.split("/")[:2])]
        assert (sha, version) == (pin.sha, pin.version), line
    assert not PINNED_USES.fullmatch("      - uses: actions/checkout@v7")  # the rule can fail


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
    jobs = workflows["main"]["jobs"]
    for job_name in ("lint-test", "images"):
        found[f"main {job_name}"] = sorted(row["service"] for row in jobs[job_name]["strategy"]["matrix"]["include"])
    for workflow, job, label in (("main", "deploy-staging", "staging"), ("release", "deploy-production", "production"),
                                 ("release", "promote", "release re-tag")):
        for step in workflows[workflow]["jobs"][job]["steps"]:
            if "WORKLOADS" in step.get("env", {}):
                found[f"{label} {step['name']}"] = sorted(line.split()[2] for line in step["env"]["WORKLOADS"].splitlines())
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
    for name in ("main",):
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
    main_tags = next(s for s in main if s.get("id") == "meta")["with"]["tags"].splitlines()
    assert {"type=sha,format=long", "type=ref,event=branch"} <= set(main_tags)
    assert any(t.startswith("type=raw,value=latest") for t in main_tags)
    retag = next(s for s in workflows["release"]["jobs"]["promote"]["steps"] if "VERSION" in s.get("env", {}))
    assert 'imagetools create --tag "$image:$VERSION" "$image@$digest"' in retag["run"]
    assert triggers(workflows["release"])["push"]["tags"] == ["v*"]


def test_rollback_restores_the_previous_release_when_anything_fails(workflows):
    steps = workflows["release"]["jobs"]["deploy-production"]["steps"]
    names = [s["name"] for s in steps]
    first = next(i for i, s in enumerate(steps) if s.get("if", "").startswith("failure()"))
    smoke = next(i for i, n in enumerate(names) if n.startswith("Smoke"))
    assert smoke < first  # the rollback follows every deploy step, the smoke tests included
    assert all(s.get("if", "").startswith("failure()") for s in steps[first:])
    previous = steps[first]
    assert "production/v*" in previous["run"] and "git worktree add" in previous["run"]
    rollback = next(s for s in steps[first:] if s.get("id") == "rollback")
    assert 'kubectl apply -k "$PREVIOUS_OVERLAY"' in rollback["run"] and "rollout undo" not in rollback["run"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # the production/v* tags are there


def test_end_to_end_tests_target_the_staging_frontend(workflows, model):
    e2e = workflows["main"]["jobs"]["e2e"]
    frontend = model.services["frontend"]
    url = f"https://{frontend.ingress.subdomain}.{model.environments.staging.domain}"
    assert any(step.get("env", {}).get("PLAYWRIGHT_BASE_URL") == url for step in e2e["steps"])
    report = next(s for s in e2e["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert report["with"]["path"].startswith(frontend.source)
    # a release promotes only what passed main, end-to-end tests included: nothing may skip them
    assert not any(n for n, job in workflows["main"]["jobs"].items() if "e2e" in needs(job))
