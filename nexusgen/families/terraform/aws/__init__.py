"""AWS: the provider-specific half of the Terraform family (GCP or Azure would be a sibling package
with the same ``files(plan)``). Shared modules under ``modules/``, one root per cluster environment,
``modules/environment`` (what every cluster environment is, rendered from the catalogue) called once by
each environment root, ``bootstrap`` for the state backend and ``registry`` (ECR and the push roles, shared account)."""

from __future__ import annotations

from nexusgen.families.terraform.aws import cluster, datastores, environment, identity, network, roots, storage
from nexusgen.plan import Plan

MODULES = {
    "network": network.module,
    "cluster": cluster.module,
    "workload-role": cluster.workload_role,
    "kms": storage.kms,
    "bucket": storage.bucket,
    "registry": storage.registry,
    "secrets": storage.secrets,
    "github-oidc": identity.github_oidc,
    "ci-role": identity.ci_role,
    "postgres": datastores.postgres,
    "redis": datastores.redis,
    "restore-target": datastores.restore_target,
}


def files(plan: Plan) -> dict[str, list]:
    """``{path under terraform/: blocks}``."""
    out: dict[str, list] = {"bootstrap/main.tf": roots.bootstrap(plan), "registry/main.tf": roots.registry(plan)}
    for env in plan.catalogue.cloud.environments:
        out[f"{env}/main.tf"] = roots.environment(plan, env)
        out[f"{env}/moved.tf"] = roots.moved(plan, env)
        out[f"{env}-backup/main.tf"] = roots.backup(plan, env)
    for name, build in MODULES.items():
        for file, blocks in build().items():
            out[f"modules/{name}/{file}"] = blocks
    for file, blocks in environment.module(plan).items():
        out[f"modules/environment/{file}"] = blocks
    return out
