"""The three workflows as data: pull request, main branch, release tag.

- pull request: drift check, then lint, test and build only the services whose paths changed;
- main: full suite, images (latest, commit, branch) scanned and pushed, staging with end-to-end
  tests, then production behind the ``production`` environment's approval;
- release tags ``v*``: full validation, semver images, then production (approval, canary,
  promotion, smoke tests) with an automatic rollback when anything after approval fails.
"""

from __future__ import annotations

from nexusgen.engine.text import dump_yaml
from nexusgen.families.workflows.deploy import Deploy
from nexusgen.families.workflows.jobs import RUNNER

CHANGED_MATRIX = """\
set -euo pipefail
matrix=$(jq -c --argjson changed "$CHANGED" '[.[] | select(.service | IN($changed[]))]' <<< "$SERVICES")
echo "matrix=$matrix" >> "$GITHUB_OUTPUT"
"""

SEMVER = """\
set -euo pipefail
version="${GITHUB_REF_NAME#v}"
if ! [[ "$version" =~ ^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "::error::tag $GITHUB_REF_NAME is not v<semver>"
  exit 1
fi
echo "tag=$version" >> "$GITHUB_OUTPUT"
"""

SHA_TAG = "sha-${{ github.sha }}"


def _workflow(name: str, on: dict, concurrency: dict, jobs: dict) -> dict:
    return {"name": name, "on": on, "permissions": {"contents": "read"}, "concurrency": concurrency, "jobs": jobs}


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
             "run": CHANGED_MATRIX},
        ],
    }
    jobs = {"drift": d.drift_job(), "changes": changes, "lint-test": d.lint_test_job(True), "build": d.pr_build_job()}
    return _workflow("pull request", {"pull_request": None},
                     {"group": "pr-${{ github.event.pull_request.number }}", "cancel-in-progress": True}, jobs)


def main(d: Deploy) -> dict:
    tags = ["type=raw,value=latest,enable={{is_default_branch}}", "type=sha,format=long", "type=ref,event=branch"]
    jobs = {
        "drift": d.drift_job(),
        "lint-test": d.lint_test_job(False),
        "images": d.images_job(["drift", "lint-test"], tags, SHA_TAG),
        **d.staging_jobs("images", SHA_TAG),
        **d.production_jobs("e2e" if d.c["e2e"] else "deploy-staging", SHA_TAG),
    }
    return _workflow("main", {"push": {"branches": ["main"]}}, {"group": "main", "cancel-in-progress": False}, jobs)


def release(d: Deploy) -> dict:
    tag = "${{ needs.version.outputs.tag }}"
    version = {
        "name": "Version from the tag",
        "runs-on": RUNNER,
        "timeout-minutes": 5,
        "permissions": {},
        "outputs": {"tag": "${{ steps.version.outputs.tag }}"},
        "steps": [{"name": "Semantic version", "id": "version", "run": SEMVER}],
    }
    tags = ["type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}", "type=sha,format=long"]
    jobs = {
        "version": version,
        "drift": d.drift_job(),
        "lint-test": d.lint_test_job(False),
        "images": d.images_job(["version", "drift", "lint-test"], tags, tag),
        **d.production_jobs(["version", "images"], tag, ["version"]),
    }
    return _workflow("release", {"push": {"tags": ["v*"]}}, {"group": "release", "cancel-in-progress": False}, jobs)


PIPELINES = {"pr": pr, "main": main, "release": release}
