"""Deployments as data: staging (main), production (release), each in its GitHub environment.

Every job that assumes a cloud role runs in the environment it deploys to, so its OIDC subject
is ``repo:<owner>/<repo>:environment:<env>`` and only that environment's role trusts it
(production's has required reviewers). A deploy applies the overlay with the digests main
pushed: migrations first (a Job per service that declares one), then for production a canary of
every stateless Deployment judged from Prometheus, the kill switch of each trading singleton
before it is replaced, the rollout, smoke tests, and on any failure the previous release's
whole overlay. Singletons never get a canary: two execution engines would trade twice.
"""

from __future__ import annotations

from nexusgen.families.workflows import scripts
from nexusgen.families.workflows.facts import seconds
from nexusgen.families.workflows.jobs import DIGESTS_FILE, RUNNER, Steps

CLOUD = {"contents": "read", "id-token": "write"}
KUBELOGIN_VERSION = "v0.2.19"  # Azure/kubelogin's latest release (2026-06-23)


class Deploy(Steps):
    def cluster_login(self, env: dict) -> list[dict]:
        """GitHub's OIDC token for the cloud's short-lived credentials (no stored key), then a
        kubeconfig for kubectl; the last step is ``cluster`` (a rollback needs it to have passed)."""
        cluster = env["cluster"]
        return getattr(self, f"_login_{cluster.provider}")(env["name"], cluster)

    def _login_aws(self, env: str, cluster) -> list[dict]:
        return [
            {"name": "AWS credentials (OIDC)", "uses": self.uses("aws-actions/configure-aws-credentials"),
             "with": {"role-to-assume": cluster.deploy_role,
                      "role-session-name": f"nexus-{env}-${{{{ github.run_id }}}}",
                      "aws-region": cluster.region}},
            {"name": "Kubeconfig", "id": "cluster", "env": {"CLUSTER": cluster.name, "REGION": cluster.region},
             "run": scripts.KUBECONFIG},
        ]

    def _login_gcp(self, env: str, cluster) -> list[dict]:
        # google-github-actions/auth v3: Workload Identity Federation impersonating service_account;
        # get-gke-credentials v3 writes a kubeconfig with a short-lived token (no gcloud plugin needed).
        return [
            {"name": "Google Cloud credentials (OIDC, Workload Identity Federation)",
             "uses": self.uses("google-github-actions/auth"),
             "with": {"project_id": cluster.project, "workload_identity_provider": cluster.workload_identity_provider,
                      "service_account": cluster.service_account}},
            {"name": "Kubeconfig", "id": "cluster", "uses": self.uses("google-github-actions/get-gke-credentials"),
             "with": {"project_id": cluster.project, "location": cluster.location, "cluster_name": cluster.name}},
        ]

    def _login_azure(self, env: str, cluster) -> list[dict]:
        # azure/login v3 with client-id, tenant-id and subscription-id and no secret: OIDC (a federated
        # credential). aks-set-context v5 with use-kubelogin runs `kubelogin convert-kubeconfig -l azurecli`
        # (Entra ID clusters, no admin credentials); its README installs kubelogin with azure/use-kubelogin.
        return [
            {"name": "Azure credentials (OIDC, federated credential)", "uses": self.uses("azure/login"),
             "with": {"client-id": cluster.client_id, "tenant-id": cluster.tenant_id,
                      "subscription-id": cluster.subscription_id}},
            {"name": "Set up kubelogin", "uses": self.uses("azure/use-kubelogin"),
             "with": {"kubelogin-version": KUBELOGIN_VERSION}},
            {"name": "Kubeconfig", "id": "cluster", "uses": self.uses("azure/aks-set-context"),
             "with": {"resource-group": cluster.resource_group, "cluster-name": cluster.name,
                      "use-kubelogin": "true"}},
        ]

    @staticmethod
    def environment(env: dict) -> dict:
        out = {"name": env["name"]}
        if env["url"]:
            out["url"] = env["url"]
        return out

    def migrate(self, env: dict) -> list[dict]:
        """A Job per service that declares a migration, with the new image, before anything rolls."""
        steps = []
        if env["migrations"]:
            steps.append({"name": "Migrations (a Job each, before the rollout)",
                          "env": {"DIGESTS": DIGESTS_FILE, "MIGRATIONS": env["migrations"],
                                  "MIGRATION_JOB": scripts.MIGRATION_JOB},
                          "run": scripts.MIGRATE})
        return steps

    def halt(self, env: dict) -> list[dict]:
        if not env["kill_switches"]:
            return []
        return [{"name": "Halt trading (kill switch) before the trader is replaced",
                 "env": {"KILL_SWITCHES": env["kill_switches"]}, "run": scripts.HALT}]

    def resume(self, env: dict, condition: str | None = None) -> list[dict]:
        if not env["kill_switches"]:
            return []
        step = {"name": "Resume trading", "env": {"KILL_SWITCHES": env["kill_switches"]}, "run": scripts.RESUME}
        return [{**step, "if": condition} if condition else step]

    def apply(self, env: dict) -> dict:
        return {"name": f"Apply {env['overlay']} with the pushed digests",
                "env": {"OVERLAY": env["overlay"], "DIGESTS": DIGESTS_FILE, "WORKLOADS": env["workloads"]},
                "run": scripts.APPLY}

    def staging_jobs(self, needs: str | list[str]) -> dict[str, dict]:
        env = self.c["envs"]["staging"]
        jobs = {
            "deploy-staging": {
                "name": "Deploy to staging",
                "needs": needs,
                "runs-on": env["runs_on"],
                "timeout-minutes": 30,
                "environment": self.environment(env),
                # a newer commit supersedes a staging deploy still waiting or running
                "concurrency": {"group": "deploy-staging", "cancel-in-progress": True},
                "permissions": CLOUD,
                "steps": [self.checkout(), self.download_digests(), *self.cluster_login(env), *self.migrate(env),
                          *self.halt(env), self.apply(env), *self.resume(env)],
            }
        }
        e2e = self.c["e2e"]
        if e2e:
            jobs["e2e"] = {
                "name": "End-to-end tests on staging",
                "needs": "deploy-staging",
                "runs-on": RUNNER,
                "timeout-minutes": 30,
                "permissions": {"contents": "read"},
                "concurrency": {"group": "e2e-staging", "cancel-in-progress": True},
                "steps": [
                    self.checkout(),
                    {"name": "Set up node", "uses": self.uses("actions/setup-node"),
                     "with": {"node-version": e2e.node_version, "cache": "npm",
                              "cache-dependency-path": f"{e2e.source}/package-lock.json"}},
                    {"name": "Install dependencies and browsers", "working-directory": e2e.source,
                     "run": scripts.E2E_INSTALL},
                    {"name": "Playwright", "working-directory": e2e.source,
                     "env": {"PLAYWRIGHT_BASE_URL": e2e.base_url}, "run": scripts.PLAYWRIGHT},
                    {"name": "Keep the report", "if": "${{ !cancelled() }}", "uses": self.uses("actions/upload-artifact"),
                     "with": {"name": "playwright-report", "path": f"{e2e.source}/playwright-report/",
                              "retention-days": 30}},
                ],
            }
        return jobs

    def gate(self, env: dict) -> dict:
        return {"name": "Inside a change window (or a recorded override)",
                "env": {**env["windows"], "ACTOR": "${{ github.actor }}", "GH_TOKEN": "${{ github.token }}"},
                "run": scripts.CHANGE_WINDOW}

    def production_jobs(self, needs: list[str]) -> dict[str, dict]:
        env = self.c["envs"]["production"]
        canary = env["canary"]
        canary_steps = []
        if env["canaries"]:
            canary_steps = [
                {"name": "Canary (one pod of each stateless service), judged from Prometheus",
                 "env": {"DIGESTS": DIGESTS_FILE, "CANARIES": env["canaries"], "CANARY_QUERIES": env["canary_queries"],
                         "SOAK_SECONDS": str(seconds(canary.soak)), "MAX_ERROR_RATIO": str(canary.max_error_ratio),
                         "MAX_P99_RATIO": str(canary.max_p99_ratio),
                         "PROMETHEUS_NAMESPACE": env["prometheus_namespace"],
                         "PROMETHEUS_SERVICE": canary.prometheus.service,
                         "PROMETHEUS_PORT": str(canary.prometheus.port), "CANARY": scripts.CANARY_JQ},
                 "run": scripts.CANARY},
            ]
        remove = [{"name": "Remove the canaries", "env": {"CANARIES": env["canaries"]}, "run": scripts.REMOVE_CANARIES}]
        smoke = [{"name": "Smoke tests: readiness of every public service", "env": {"URLS": env["smoke_urls"]},
                  "run": scripts.SMOKE}] if env["smoke_urls"] else []
        # Only a failure once the cluster was reached rolls back (not a closed window, say).
        rollback = [
            {"name": "Previous release", "id": "previous", "if": "failure() && steps.cluster.outcome == 'success'",
             "env": {"VERSION": "${{ needs.version.outputs.version }}", "OVERLAY": env["overlay"]},
             "run": scripts.PREVIOUS},
            *[{**s, "if": "failure() && steps.previous.outcome == 'success'"} for s in self.halt(env)],
            {"name": "Roll the whole release back (its overlay, images and configuration)", "id": "rollback",
             "if": "failure() && steps.previous.outcome == 'success'",
             "env": {"PREVIOUS_OVERLAY": "${{ steps.previous.outputs.overlay }}", "WORKLOADS": env["workloads"],
                     "CANARIES": env["canaries"]},
             "run": scripts.ROLLBACK},
            *self.resume(env, "failure() && steps.rollback.outcome == 'success'"),
        ]
        return {
            "change-window": {
                "name": "Production change window",
                "needs": needs,
                "runs-on": RUNNER,
                "timeout-minutes": 5,
                "permissions": {"contents": "read"},
                "steps": [self.checkout(**{"sparse-checkout": ".github/scripts"}), self.gate(env)],
            },
            "deploy-production": {
                "name": "Deploy to production (canary, then all)",
                "needs": [*needs, "change-window"],
                "runs-on": env["runs_on"],
                "timeout-minutes": 60,
                "environment": self.environment(env),
                # a production deploy (or its approval wait) never blocks staging and is never cancelled
                "concurrency": {"group": "deploy-production", "cancel-in-progress": False},
                "permissions": CLOUD,
                "steps": [
                    self.checkout(**{"fetch-depth": 0}),
                    self.gate(env),  # again: the approval may have come after the window closed
                    self.download_digests(),
                    *self.cluster_login(env),
                    *self.migrate(env),
                    *canary_steps,
                    *self.halt(env),
                    self.apply(env),
                    *self.resume(env),
                    *(remove if env["canaries"] else []),
                    *smoke,
                    *rollback,
                ],
            },
        }
