"""Deployments shared by the main and release workflows, as data: staging, then production behind
its gate (a canary of every stateless Deployment, promotion, smoke tests, and a rollback when
anything after the gate fails). Singletons never get a canary: two execution engines would
trade twice. Cluster access is OIDC to AWS (no stored keys); role, region and cluster come from
the catalogue (``environments.<env>.cluster``)."""

from __future__ import annotations

from nexusgen.families.workflows.jobs import RUNNER, Steps

APPLY = """\
set -euo pipefail
while read -r _ _ _ image; do
  (cd "$OVERLAY" && kustomize edit set image "$image=$image:$TAG")
done < <(printf '%s' "$WORKLOADS")
kubectl apply -k "$OVERLAY"
while read -r namespace kind name _; do
  kubectl -n "$namespace" rollout status "$kind/$name" --timeout=10m
done < <(printf '%s' "$WORKLOADS")
"""

CANARY_JQ = """\
.metadata = {name: (.metadata.name + "-canary"), namespace: .metadata.namespace,
             labels: ((.metadata.labels // {}) + {"nexus.io/canary-of": $name})}
| .spec.replicas = 1
| .spec.selector.matchLabels["nexus.io/canary-of"] = $name
| .spec.template.metadata.labels["nexus.io/canary-of"] = $name
| (.spec.template.spec.containers[] | select(.name == $name) | .image) = $image
| del(.status)
"""

CANARY = """\
set -euo pipefail
while read -r namespace kind name image; do
  kubectl -n "$namespace" get "$kind/$name" -o json \\
    | jq --arg name "$name" --arg image "$image:$TAG" "$CANARY" \\
    | kubectl apply -f -
done < <(printf '%s' "$CANARIES")
while read -r namespace _ name _; do
  kubectl -n "$namespace" rollout status "deployment/$name-canary" --timeout=10m
done < <(printf '%s' "$CANARIES")
sleep "$SOAK_SECONDS"
while read -r namespace _ name _; do
  restarts=$(kubectl -n "$namespace" get pods -l "nexus.io/canary-of=$name" -o json \\
    | jq '[.items[].status.containerStatuses[]?.restartCount] | add // 0')
  if [ "$restarts" -gt 0 ]; then
    echo "::error::canary of $name restarted $restarts times"
    exit 1
  fi
done < <(printf '%s' "$CANARIES")
"""

REMOVE_CANARIES = """\
set -euo pipefail
while read -r namespace _ name _; do
  kubectl -n "$namespace" delete deployment "$name-canary" --ignore-not-found
done < <(printf '%s' "$CANARIES")
"""

SMOKE = """\
set -euo pipefail
while read -r url; do
  curl --fail --silent --show-error --location --max-time 10 \\
    --retry 5 --retry-delay 5 --retry-all-errors --output /dev/null "$url"
  echo "ok: $url"
done < <(printf '%s' "$URLS")
"""

ROLLBACK = """\
set -euo pipefail
while read -r namespace kind name image; do
  kubectl -n "$namespace" delete deployment "$name-canary" --ignore-not-found
  current=$(kubectl -n "$namespace" get "$kind/$name" \\
    -o "jsonpath={.spec.template.spec.containers[?(@.name=='$name')].image}")
  case "$current" in
    "$image:$TAG" | "$image:$TAG@"*)
      kubectl -n "$namespace" rollout undo "$kind/$name"
      kubectl -n "$namespace" rollout status "$kind/$name" --timeout=10m
      ;;
  esac
done < <(printf '%s' "$WORKLOADS")
"""

E2E_INSTALL = "npm ci\nnpx playwright install --with-deps chromium\n"
KUBECONFIG = 'aws eks update-kubeconfig --name "$CLUSTER" --region "$REGION"'
PLAYWRIGHT = "npx playwright test"
APPROVED = 'echo "Deployment of $TAG to production approved"'


class Deploy(Steps):
    def cluster_login(self, env: dict) -> list[dict]:
        cluster = env["cluster"]
        return [
            {"name": "AWS credentials (OIDC)", "uses": self.uses("aws-actions/configure-aws-credentials"),
             "with": {"role-to-assume": cluster.deploy_role,
                      "role-session-name": f"nexus-{env['name']}-${{{{ github.run_id }}}}",
                      "aws-region": cluster.region}},
            {"name": "Kubeconfig", "env": {"CLUSTER": cluster.name, "REGION": cluster.region},
             "run": KUBECONFIG},
        ]

    @staticmethod
    def deploy_env(env: dict, tag: str, overlay: bool = True) -> dict:
        out = {"OVERLAY": env["overlay"]} if overlay else {}
        return {**out, "TAG": tag, "WORKLOADS": env["workloads"]}

    def apply_step(self, env: dict, tag: str) -> dict:
        """Apply the overlay with the new tag on every image, then wait for every rollout."""
        return {"name": f"Apply {env['overlay']} with the new images", "env": self.deploy_env(env, tag), "run": APPLY}

    @staticmethod
    def environment(env: dict) -> dict:
        out = {"name": env["name"]}
        if env["url"]:
            out["url"] = env["url"]
        return out

    def staging_jobs(self, needs: str | list[str], tag: str) -> dict[str, dict]:
        env = self.c["envs"]["staging"]
        jobs = {
            "deploy-staging": {
                "name": "Deploy to staging",
                "needs": needs,
                "runs-on": RUNNER,
                "timeout-minutes": 30,
                "environment": self.environment(env),
                "concurrency": {"group": "deploy-staging", "cancel-in-progress": False},
                "permissions": {"contents": "read", "id-token": "write"},
                "steps": [self.checkout(), *self.cluster_login(env), self.apply_step(env, tag)],
            }
        }
        e2e = self.c["e2e"]
        if e2e:
            jobs["e2e"] = {
                "name": "End-to-end tests on staging",
                "needs": "deploy-staging",
                "runs-on": RUNNER,
                "timeout-minutes": 30,
                "steps": [
                    self.checkout(),
                    {"name": "Set up node", "uses": self.uses("actions/setup-node"),
                     "with": {"node-version": e2e.node_version, "cache": "npm",
                              "cache-dependency-path": f"{e2e.source}/package-lock.json"}},
                    {"name": "Install dependencies and browsers", "working-directory": e2e.source,
                     "run": E2E_INSTALL},
                    {"name": "Playwright", "working-directory": e2e.source,
                     "env": {"PLAYWRIGHT_BASE_URL": e2e.base_url}, "run": PLAYWRIGHT},
                    {"name": "Keep the report", "if": "${{ !cancelled() }}", "uses": self.uses("actions/upload-artifact"),
                     "with": {"name": "playwright-report", "path": f"{e2e.source}/playwright-report/",
                              "retention-days": 30}},
                ],
            }
        return jobs

    def production_jobs(self, needs: str | list[str], tag: str, tag_needs: list[str] = []) -> dict[str, dict]:
        """A gate bound to the ``production`` environment (required reviewers are set in the
        repository settings), then canary, promotion, smoke tests and rollback."""
        env = self.c["envs"]["production"]
        production = {"contents": "read", "id-token": "write"}
        return {
            "approve-production": {
                "name": "Approve the production deployment",
                "needs": needs,
                "runs-on": RUNNER,
                "timeout-minutes": 5,
                "environment": self.environment(env),
                "permissions": {},
                "steps": [{"name": "Record the approval", "env": {"TAG": tag},
                           "run": APPROVED}],
            },
            "deploy-production": {
                "name": "Deploy to production (canary, then all)",
                "needs": ["approve-production", *tag_needs],
                "runs-on": RUNNER,
                "timeout-minutes": 45,
                "concurrency": {"group": "deploy-production", "cancel-in-progress": False},
                "permissions": production,
                "steps": [
                    self.checkout(),
                    *self.cluster_login(env),
                    {"name": "Canary (one pod of each stateless service on the new image)",
                     "env": {"TAG": tag, "CANARIES": env["canaries"], "SOAK_SECONDS": "300", "CANARY": CANARY_JQ},
                     "run": CANARY},
                    self.apply_step(env, tag),
                    {"name": "Remove the canaries", "env": {"CANARIES": env["canaries"]}, "run": REMOVE_CANARIES},
                ],
            },
            "smoke-production": {
                "name": "Smoke tests on production",
                "needs": "deploy-production",
                "runs-on": RUNNER,
                "timeout-minutes": 10,
                "permissions": {},
                "steps": [{"name": "Readiness of every public service", "env": {"URLS": env["smoke_urls"]},
                           "run": SMOKE}],
            },
            "rollback-production": {
                "name": "Roll production back",
                "needs": ["approve-production", "deploy-production", "smoke-production", *tag_needs],
                "if": "failure() && needs.approve-production.result == 'success'",
                "runs-on": RUNNER,
                "timeout-minutes": 30,
                "permissions": production,
                "steps": [
                    *self.cluster_login(env),
                    {"name": "Undo every rollout that reached the new images; remove canaries",
                     "env": self.deploy_env(env, tag, False), "run": ROLLBACK},
                ],
            },
        }
