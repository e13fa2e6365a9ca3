"""Issue 16's promises, proven on the rendered workflows: promotion of what staging tested,
concurrency per environment, the change-window gate (and its script, unit-tested), kill switch,
canary judged from Prometheus, migrations, whole-release rollback, the repository recording what
production runs, Dependabot, zizmor; and the PR's plan diff (issue 17, item 2)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import CATALOGUE, ROOT, nexusgen_here, tool
from test_workflows import PLAN, cloud_role_jobs, needs, uses
from nexusgen.families.workflows import change_window

WINDOWS = [{"days": ["mon", "tue", "wed", "thu"], "start": "08:00", "end": "16:00"}]
FREEZES = [{"start": "2026-12-21", "end": "2027-01-04"}]


@pytest.fixture(scope="module")
def github(rendered: Path) -> Path:
    return rendered.parent / ".github"


@pytest.fixture(scope="module")
def wf(github: Path) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text()) for p in (github / "workflows").glob("*.yml")}


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def step_named(job: dict, prefix: str) -> dict:
    return next(s for s in steps(job) if s.get("name", "").startswith(prefix))


# --- where GitHub reads them --------------------------------------------------------------


def test_workflows_are_written_where_github_reads_them(github: Path, rendered: Path):
    assert sorted(p.name for p in (github / "workflows").glob("*.yml")) == ["main.yml", "pr.yml", "release.yml", "restore-drill.yml"]
    assert not (rendered / "github").exists()
    assert not any(p.is_symlink() for p in github.rglob("*"))
    manifest = json.loads((github / ".nexusgen-manifest.json").read_text())
    assert set(manifest["files"]) == {"actionlint.yaml", "dependabot.yml", "scripts/change_window.py", "workflows/main.yml",
                                      "workflows/pr.yml", "workflows/release.yml", "workflows/restore-drill.yml"}  # actionlint.yaml: the self-hosted runners' labels


def test_the_repository_ships_its_workflows_in_dot_github():
    assert (ROOT / ".github" / "workflows" / "pr.yml").is_file()
    assert not (ROOT / "out" / "github").exists()
    readme = (ROOT / "README.md").read_text()
    assert "ln -s" not in readme


def test_dependabot_schema_and_ecosystems(github: Path):
    path = github / "dependabot.yml"
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    updates = yaml.safe_load(path.read_text())["updates"]
    assert {u["package-ecosystem"] for u in updates} == {"github-actions", "docker"}
    docker = next(u for u in updates if u["package-ecosystem"] == "docker")
    assert docker["directories"] == sorted(f"/out/docker/{name}" for name in PLAN.services)


# --- zizmor -------------------------------------------------------------------------------


def zizmor(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([tool("zizmor"), "--offline", "--no-progress", "--format", "plain", *map(str, paths)],
                          capture_output=True, text=True)


def test_zizmor_finds_nothing(github: Path, tmp_path: Path):
    result = zizmor(*(github / "workflows").glob("*.yml"), github / "dependabot.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout
    # It can fail: the same workflow with a catalogue value inside a script (issue 20, class 4).
    main = (github / "workflows" / "main.yml").read_text()
    broken = tmp_path / ".github" / "workflows" / "main.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(main.replace('bash -euo pipefail -c "$COMMAND"', "echo ${{ github.event.head_commit.message }}", 1))
    assert zizmor(broken).returncode != 0


# --- development tools, concurrency, promotion ---------------------------------------------


def test_lint_and_test_tools_come_from_the_dev_manifests(wf):
    job = wf["main"]["jobs"]["lint-test"]
    install = step_named(job, "Install dependencies (python)")
    assert install["env"]["MANIFESTS"].split() == ["requirements.txt", "requirements-dev.txt"]
    names = [s["name"] for s in steps(job)]
    assert names.index("Install dependencies (python)") < names.index("Lint (python)") < names.index("Test (python)")


def test_deploy_concurrency_is_per_environment(wf):
    for name in ("main", "release"):
        assert "concurrency" not in wf[name]  # a production approval wait never blocks staging
    staging = wf["main"]["jobs"]["deploy-staging"]["concurrency"]
    production = wf["release"]["jobs"]["deploy-production"]["concurrency"]
    assert staging == {"group": "deploy-staging", "cancel-in-progress": True}
    assert production == {"group": "deploy-production", "cancel-in-progress": False}


BUILDERS = ("docker/build-push-action", "docker/setup-buildx-action", "actions/setup-node")


def test_release_promotes_digests_and_builds_nothing(wf):
    release = wf["release"]["jobs"]
    for name, job in release.items():
        assert not set(uses(job)) & set(BUILDERS), name
        for step in steps(job):
            assert not re.search(r"docker (buildx )?build\b|npm ci|--requirement", step.get("run", "")), name
    promote = release["promote"]
    passed = step_named(promote, "Digests of the main run")["run"]
    assert '--workflow main.yml --commit "$GITHUB_SHA" --status success' in passed and "exit 1" in passed
    assert "gh run download" in passed and "--name digests" in passed
    assert set(needs(release["deploy-production"])) >= {"promote", "change-window"}
    apply = step_named(release["deploy-production"], "Apply")
    assert 'kustomize edit set image "$image=$image@$digest"' in apply["run"]


def test_main_builds_once_and_staging_runs_those_digests(wf):
    main = wf["main"]["jobs"]
    builders = [n for n, job in main.items() if "docker/build-push-action" in uses(job)]
    assert builders == ["images"]
    assert needs(main["digests"]) == ["images"] and needs(main["deploy-staging"]) == ["digests"]
    assert "actions/download-artifact" in uses(main["deploy-staging"])
    assert "@$digest" in step_named(main["deploy-staging"], "Apply")["run"]
    push = next(s for s in steps(main["images"]) if s.get("id") == "push")
    record = step_named(main["images"], "Record the digest")
    assert record["env"]["DIGEST"] == "${{ steps.push.outputs.digest }}" and push["with"]["push"] is True


# --- production: gate, kill switch, migration, canary, record -----------------------------


def test_change_window_gate_precedes_the_production_deploy(wf):
    jobs = wf["release"]["jobs"]
    gate = jobs["change-window"]
    assert "change-window" in needs(jobs["deploy-production"])
    assert step_named(gate, "Inside a change window")["env"]["WINDOWS"] == json.dumps(WINDOWS, sort_keys=True)
    deploy = steps(jobs["deploy-production"])
    first_gate = next(i for i, s in enumerate(deploy) if s["name"].startswith("Inside a change window"))
    first_cloud = next(i for i, s in enumerate(deploy) if "aws-actions" in s.get("uses", ""))
    assert first_gate < first_cloud  # checked again after the approval, before any credentials


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize("when, allowed", [
    ("2026-11-30T09:00", True),   # a Monday, inside 08:00-16:00
    ("2026-11-30T07:59", False),  # before the window opens
    ("2026-11-30T16:00", False),  # the end is excluded
    ("2026-12-04T10:00", False),  # a Friday: no window
    ("2026-12-22T10:00", False),  # a Tuesday in the year-end freeze
    ("2027-01-05T10:00", True),   # the day after the freeze
])  # fmt: skip
def test_change_window_gate(when, allowed):
    assert change_window.decide(at(when), WINDOWS, FREEZES, "")[0] is allowed


def test_an_override_is_explicit_and_recorded(tmp_path):
    message = "Release 1.2.3\n\nChange-Window-Override: incident 42 ::set-env x\n"
    reason = change_window.override_reason(message)
    assert reason == "incident 42 : :set-env x"  # one line, never a workflow command
    allowed, why = change_window.decide(at("2026-12-22T10:00"), WINDOWS, FREEZES, reason)
    assert allowed and "OVERRIDDEN: incident 42" in why and "frozen" in why
    summary = tmp_path / "summary.md"
    env = {"NOW": "2026-12-22T10:00+00:00", "WINDOWS": json.dumps(WINDOWS), "FREEZES": json.dumps(FREEZES),
           "TAG_MESSAGE": message, "ACTOR": "alice", "GITHUB_STEP_SUMMARY": str(summary)}
    assert change_window.main(env) == 0 and "OVERRIDDEN" in summary.read_text() and "alice" in summary.read_text()
    assert change_window.main({**env, "TAG_MESSAGE": "Release 1.2.3\n"}) == 1


def test_the_shipped_gate_script_is_the_tested_one(github: Path):
    shipped = (github / "scripts" / "change_window.py").read_text()
    assert shipped.endswith(Path(change_window.__file__).read_text())
    env = {"PATH": "/usr/bin:/bin", "NOW": "2026-12-04T10:00", "WINDOWS": json.dumps(WINDOWS), "FREEZES": "[]"}
    run = subprocess.run(["python3", str(github / "scripts" / "change_window.py")], env=env, capture_output=True, text=True)
    assert run.returncode == 1 and "outside every change window" in run.stdout


def test_trading_is_halted_before_the_trader_is_replaced(wf):
    deploy = [s["name"] for s in steps(wf["release"]["jobs"]["deploy-production"]) if "if" not in s]
    halt, apply, resume = (next(i for i, n in enumerate(deploy) if n.startswith(p)) for p in ("Halt", "Apply", "Resume"))
    assert halt < apply < resume
    lines = step_named(wf["release"]["jobs"]["deploy-production"], "Halt")["env"]["KILL_SWITCHES"].splitlines()
    assert [line.split()[2] for line in lines] == ["execution-engine"]
    ns, kind, name, port, method, path, _, _, _, metric = lines[0].split()
    assert (method, path, metric) == ("POST", "/admin/trading/halt", "nexus_trading_halted")


def test_migrations_run_as_a_job_before_the_rollout(wf):
    deploy = [s["name"] for s in steps(wf["release"]["jobs"]["deploy-production"])]
    migrate = step_named(wf["release"]["jobs"]["deploy-production"], "Migrations")
    rows = [json.loads(line) for line in migrate["env"]["MIGRATIONS"].splitlines()]
    assert [(r["service"], r["command"]) for r in rows] == [("position-manager", ["python", "-m", "position_manager.migrate"])]
    assert deploy.index(migrate["name"]) < next(i for i, n in enumerate(deploy) if n.startswith("Apply"))
    assert '"batch/v1"' in migrate["env"]["MIGRATION_JOB"] and "wait --for=condition=complete" in migrate["run"]


def test_canary_is_judged_from_prometheus_with_the_catalogue_thresholds(wf):
    canary = step_named(wf["release"]["jobs"]["deploy-production"], "Canary")
    thresholds = PLAN.environment("production").canary
    assert canary["env"]["MAX_ERROR_RATIO"] == str(thresholds.max_error_ratio)
    assert canary["env"]["MAX_P99_RATIO"] == str(thresholds.max_p99_ratio)
    assert canary["env"]["SOAK_SECONDS"] == "600"
    queries = {json.loads(line)["service"]: json.loads(line) for line in canary["env"]["CANARY_QUERIES"].splitlines()}
    assert set(queries) == {line.split()[2] for line in canary["env"]["CANARIES"].splitlines()}
    gateway = queries["gateway"]
    assert 'pod=~"gateway-canary-.+"' in gateway["errors"] and 'status=~"5.."' in gateway["errors"]
    assert 'pod!~"gateway-canary-.+"' in gateway["stable_p99"] and "[10m]" in gateway["p99"]
    assert "/api/v1/query" in canary["run"] and "MAX_P99_RATIO" in canary["run"]


def test_promql_of_the_canary_parses():
    import promql_parser as promql

    from nexusgen.families.workflows.facts import canary_queries

    for line in canary_queries(PLAN, "production").splitlines():
        for key in ("errors", "p99", "stable_p99"):
            promql.parse(json.loads(line)[key])


def test_production_is_recorded_in_the_repository(wf):
    record = wf["release"]["jobs"]["record"]
    assert needs(record) == ["version", "deploy-production"] and "environment" not in record
    script = step_named(record, "Digests into services.yaml")["run"]
    for command in ("nexusgen record-deployment --environment production", "nexusgen render",
                    'git tag "production/$VERSION"', "gh pr create"):
        assert command in script
    assert not cloud_role_jobs({"jobs": {"record": record}})


# --- the PR's plan diff (issue 17, item 2) ------------------------------------------------


def test_pull_request_posts_the_plan_diff(wf):
    jobs = wf["pr"]["jobs"]
    diff = jobs["diff"]
    writers = [n for n, job in jobs.items() if job.get("permissions", {}).get("pull-requests") == "write"]
    assert writers == ["diff"]
    assert diff["permissions"] == {"contents": "read", "pull-requests": "write"}
    plan = step_named(diff, "Plan diff")
    assert 'nexusgen diff --base "$BASE" --format markdown' in plan["run"] and "GITHUB_STEP_SUMMARY" in plan["run"]
    assert plan["env"]["BASE"] == "${{ github.event.pull_request.base.sha }}"
    comment = step_named(diff, "Comment")
    assert "PATCH" in comment["run"] and "<!-- nexusgen diff -->" in comment["run"]


# --- ConfigMaps roll back with their pods ---------------------------------------------------


def test_configmaps_have_content_hashed_names(rendered: Path):
    result = subprocess.run([tool("kubectl"), "kustomize", str(rendered / "k8s" / "overlays" / "production")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    maps = {d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"}
    for d in docs:
        if d["kind"] == "Deployment" and d["metadata"]["name"] in PLAN.services:
            refs = [e["configMapRef"]["name"] for c in d["spec"]["template"]["spec"]["containers"]
                    for e in c.get("envFrom", []) if "configMapRef" in e]
            name = d["metadata"]["name"]
            assert refs and all(r in maps and r.startswith(f"{name}-") and len(r) == len(name) + 11 for r in refs), refs


# --- .github/ is managed exactly like out/ --------------------------------------------------


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    shutil.copy(CATALOGUE, tmp_path / "services.yaml")
    result = nexusgen_here("render", "--catalogue", str(tmp_path / "services.yaml"), "--out", str(tmp_path / "out"))
    assert result.returncode == 0 and "generated files in" in result.stdout, result.stderr
    return tmp_path


def check(repo: Path, *extra: str) -> subprocess.CompletedProcess:
    return nexusgen_here("check", "--catalogue", str(repo / "services.yaml"), "--out", str(repo / "out"), *extra)


@pytest.mark.slow  # renders twice and checks the tree six times per path
@pytest.mark.parametrize("full", [False, True], ids=["fast path", "full"])
def test_check_covers_the_github_tree(repo: Path, full: bool):
    flags = ("--full",) if full else ()
    assert check(repo, *flags).returncode == 0
    workflow = repo / ".github" / "workflows" / "pr.yml"
    workflow.write_text(workflow.read_text() + "# edited by hand\n")
    result = check(repo, *flags)
    assert result.returncode == 1 and "workflows/pr.yml" in result.stderr
    workflow.unlink()
    assert check(repo, *flags).returncode == 1
    assert nexusgen_here("render", "--catalogue", str(repo / "services.yaml"), "--out", str(repo / "out")).returncode == 0
    (repo / ".github" / "workflows" / "mine.yml").write_text("name: mine\n")
    result = check(repo, *flags)  # render leaves a hand-written workflow alone, so check warns and passes
    assert result.returncode == 0 and "mine.yml is not generated by nexusgen" in result.stderr


def test_render_never_overwrites_a_hand_written_workflow(repo: Path):
    manifest = repo / ".github" / ".nexusgen-manifest.json"
    data = json.loads(manifest.read_text())
    del data["files"]["workflows/main.yml"]  # as if a user had written main.yml before nexusgen
    manifest.write_text(json.dumps(data))
    mine = repo / ".github" / "workflows" / "main.yml"
    mine.write_text("name: mine\n")
    result = nexusgen_here("render", "--catalogue", str(repo / "services.yaml"), "--out", str(repo / "out"))
    assert result.returncode == 2 and "main.yml exists and was not generated by nexusgen" in result.stderr
    assert mine.read_text() == "name: mine\n"


def test_the_github_tree_can_be_moved(repo: Path, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    result = nexusgen_here("render", "--catalogue", str(repo / "services.yaml"), "--out", str(repo / "out"),
                           "--github", str(elsewhere))
    assert result.returncode == 0 and (elsewhere / "workflows" / "main.yml").is_file()
    assert check(repo, "--github", str(elsewhere)).returncode == 0


def test_a_closed_window_never_rolls_production_back(wf):
    """The rollback runs only after a failure once the cluster was reached: a gate that stops
    the deploy leaves production alone."""
    deploy = steps(wf["release"]["jobs"]["deploy-production"])
    previous = next(s for s in deploy if s.get("id") == "previous")
    assert previous["if"] == "failure() && steps.cluster.outcome == 'success'"
    names = [s.get("id") for s in deploy]
    assert names.index("cluster") > next(i for i, s in enumerate(deploy) if s["name"].startswith("Inside a change window"))


def test_canary_reaches_prometheus_where_the_platform_section_says_it_runs():
    """environments.<env>.canary.prometheus.namespace defaults to platform.prometheus's namespace
    (kube-prometheus-stack's: the environment's monitoring namespace unless declared); a declared one wins."""
    from nexusgen import catalogue as catalogue_io
    from nexusgen.families.workflows import render
    from nexusgen.plan import build

    def namespace(data: dict) -> str:
        plan = build(catalogue_io.parse(yaml.safe_dump(data).encode(), "services.yaml"))
        release = yaml.safe_load(render(plan, None)[Path("workflows/release.yml")])
        return step_named(release["jobs"]["deploy-production"], "Canary")["env"]["PROMETHEUS_NAMESPACE"]

    data = yaml.safe_load(CATALOGUE.read_text())
    assert namespace(data) == PLAN.namespace("monitoring", "production")
    data.setdefault("platform", {})["prometheus"] = {"namespace": "observability"}
    assert namespace(data) == "observability"
    data["environments"]["production"]["canary"] = {"prometheus": {"namespace": "elsewhere"}}
    assert namespace(data) == "elsewhere"
