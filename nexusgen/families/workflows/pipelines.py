"""The three workflows as data.

- pull request: drift check, what the change means (``nexusgen diff``), then lint, test and
  build only the services whose paths changed;
- main: drift check, full suite, images built, scanned and pushed once (their digests kept as an
  artifact), then staging and end-to-end tests on exactly those digests;
- release (tags ``v*``): the digests of the tag's commit that passed main (staging and E2E) are
  re-tagged, never rebuilt, and deployed to production inside a change window, then recorded
  in the repository.

No workflow-wide concurrency: each deploy job has its own group per environment.
"""

from __future__ import annotations

from nexusgen.engine.text import dump_yaml
from nexusgen.families.workflows import release_scripts
from nexusgen.families.workflows.deploy import Deploy
from nexusgen.families.workflows.jobs import DIGESTS_FILE, RUNNER
from nexusgen.plan.cloud import RELEASE_ENVIRONMENT

TOKEN = {"GH_TOKEN": "${{ github.token }}"}


def _workflow(name: str, on: dict, jobs: dict, concurrency: dict | None = None) -> dict:
    doc = {"name": name, "on": on, "permissions": {}}
    if concurrency:
        doc["concurrency"] = concurrency
    return {**doc, "jobs": jobs}


def pr(d: Deploy) -> dict:
    changes = {
        "name": "Changed services",
        "runs-on": RUNNER,
        "timeout-minutes": 5,
        "permissions": {"contents": "read", "pull-requests": "read"},
        "outputs": {"matrix": "${{ steps.matrix.outputs.matrix }}"},
        "steps": [
            {"name": "Match paths", "id": "filter", "uses": d.uses("dorny/paths-filter"),
             "with": {"filters": dump_yaml(d.c["filters"])}},
            {"name": "Matrix of changed services", "id": "matrix",
             "env": {"CHANGED": "${{ steps.filter.outputs.changes }}", "SERVICES": d.c["matrix_json"]},
             "run": release_scripts.CHANGED_MATRIX},
        ],
    }
    plan_diff = {
        "name": "What this change means",
        "runs-on": RUNNER,
        "timeout-minutes": 10,
        # the only job that may write to the pull request: one comment, kept up to date
        "permissions": {"contents": "read", "pull-requests": "write"},
        "steps": [
            d.checkout(**{"fetch-depth": 0}),
            *d.setup_nexusgen(),
            {"name": "Plan diff against the merge base", "env": {"BASE": "${{ github.event.pull_request.base.sha }}"},
             "run": release_scripts.PLAN_DIFF},
            {"name": "Comment on the pull request", "env": {**TOKEN, "PR": "${{ github.event.pull_request.number }}"},
             "run": release_scripts.PLAN_COMMENT},
        ],
    }
    jobs = {"drift": d.drift_job(), "diff": plan_diff, "changes": changes, "lint-test": d.lint_test_job(True),
            "build": d.pr_build_job()}
    return _workflow("pull request", {"pull_request": None}, jobs,
                     {"group": "pr-${{ github.event.pull_request.number }}", "cancel-in-progress": True})


def main(d: Deploy) -> dict:
    tags = ["type=raw,value=latest,enable={{is_default_branch}}", "type=sha,format=long", "type=ref,event=branch"]
    jobs = {
        "drift": d.drift_job(),
        "lint-test": d.lint_test_job(False),
        "images": d.images_job(["drift", "lint-test"], tags, "sha-${{ github.sha }}"),
        "digests": d.digests_job(),
        **d.staging_jobs("digests"),
    }
    return _workflow("main", {"push": {"branches": ["main"]}}, jobs)


def release(d: Deploy) -> dict:
    production = d.c["envs"]["production"]
    logins = d.registry_logins("promote")
    # ECR's promote role trusts the `release` environment (tag runs have no branch subject).
    promote_environment = {"environment": {"name": RELEASE_ENVIRONMENT}} if d.c["ecr"] else {}
    jobs = {
        "version": {
            "name": "Version from the tag",
            "runs-on": RUNNER,
            "timeout-minutes": 5,
            "permissions": {},
            "outputs": {"version": "${{ steps.version.outputs.version }}"},
            "steps": [{"name": "Semantic version", "id": "version", "run": release_scripts.VERSION}],
        },
        "promote": {
            "name": "Promote the digests that passed staging",
            "needs": "version",
            "runs-on": RUNNER,
            "timeout-minutes": 15,
            **promote_environment,
            "permissions": {"actions": "read", "contents": "read", **d.registry_permissions()},
            "steps": [
                {"name": "Digests of the main run that passed staging", "env": TOKEN, "run": release_scripts.PASSED_STAGING},
                *logins,
                {"name": "Re-tag them with the version (no rebuild)",
                 "env": {"VERSION": "${{ needs.version.outputs.version }}", "DIGESTS": DIGESTS_FILE,
                         "WORKLOADS": production["workloads"]},
                 "run": release_scripts.RETAG},
                d.upload_digests(),
            ],
        },
        **d.production_jobs(["version", "promote"]),
        "record": {
            "name": "Record what production runs",
            "needs": ["version", "deploy-production"],
            "runs-on": RUNNER,
            "timeout-minutes": 15,
            "permissions": {"contents": "write", "pull-requests": "write"},
            "steps": [
                d.checkout(),
                *d.setup_nexusgen(),
                d.download_digests(),
                {"name": "Digests into services.yaml, re-rendered, tagged, proposed to main",
                 "env": {**TOKEN, "VERSION": "${{ needs.version.outputs.version }}", "DIGESTS": DIGESTS_FILE},
                 "run": release_scripts.RECORD},
            ],
        },
    }
    # Dispatched by hand (no inputs), from the tag, to retry a release, e.g. once a window opens.
    on = {"push": {"tags": ["v*"]}, "workflow_dispatch": None}
    return _workflow("release", on, jobs)


PIPELINES = {"pr": pr, "main": main, "release": release}
