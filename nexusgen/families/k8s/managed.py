"""Managed data stores in an overlay (``cloud.environments.<env>.data_stores: managed``).

Where AWS runs a store, the overlay keeps the store's StatefulSet with its exporter only, pointed
at the managed endpoint (the InfrastructureDown alerts, the dashboards and the runbooks keep
reading the exporter's metrics), and adds, for PostgreSQL, a Job that creates each service's role
on RDS with the same init script the in-cluster StatefulSet runs (idempotent: it creates what is
missing and resets each password to the secret store's). Services reach the store by the name
Terraform writes in the VPC's private zone (``Plan.host``); NetworkPolicies allow the data
subnets on the store's port (``network``).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from nexusgen.families.k8s.base import labels
from nexusgen.plan import SERVICE_UID, Plan, cloud, cluster, datastores, image_ref

ROLES_TTL_SECONDS = 86400  # a finished Job goes after a day; the next deploy runs it again (idempotent)


def roles_job(infra: str) -> str:
    """The name label (and NetworkPolicy) of the Job creating the services' roles on a managed PostgreSQL."""
    return f"{infra}-roles"


def _security() -> dict:
    return {"runAsNonRoot": True, "runAsUser": SERVICE_UID, "runAsGroup": SERVICE_UID, "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False, "privileged": False, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}}


def exporter_patch(plan: Plan, templates, env: str, infra: str) -> str:
    """Strategic-merge patch: the store's own container goes, its exporter connects to AWS."""
    return templates.render(
        "k8s/patch-managed-store.yaml.j2",
        infra=infra, env=env, kind=cloud.managed_stores(plan.catalogue.cloud, env)[infra],
        host=cloud.managed_host(plan.project, env, infra), exporter=f"{infra}-exporter",
        values=dict(sorted(cloud.managed_exporter_env(plan, infra, env).items())),
    )


def postgres_roles(plan: Plan, templates, env: str, infra: str) -> str | None:
    """A Job running the init script (datastores.postgres_init) against the managed database as
    its master user (the same POSTGRES_PASSWORD secret RDS is created with)."""
    script = datastores.postgres_init(plan.catalogue, infra)
    if script is None:
        return None
    entry = plan.infrastructure[infra]
    name = roles_job(infra)
    env_vars = [
        {"name": "PGHOST", "value": cloud.managed_host(plan.project, env, infra)},
        {"name": "PGPORT", "value": str(entry.port)},
        {"name": "PGSSLMODE", "value": "require"},
        {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": infra, "key": datastores.ADMIN_PASSWORD["postgres"]}}},
        *[{"name": var, "valueFrom": {"secretKeyRef": {"name": infra, "key": var}}}
          for var in sorted(datastores.store_secrets(plan.catalogue, infra))],
    ]
    # A new script or endpoint is a new Job (a Job's pod template cannot change).
    checksum = cluster.checksum({"script": script, **{e["name"]: e.get("value", "") for e in env_vars}})[:10]
    return templates.render(
        "k8s/job-roles.yaml.j2",
        env=env, infra=infra, name=f"{name}-{checksum}",
        labels={**labels(plan, infra, "infrastructure"), cluster.NAME_LABEL: name},
        annotations={
            **({} if entry.image.digest else {"checkov.io/skip1": (
                f"CKV_K8S_43=third-party image pinned by version tag ({image_ref(entry.image)}); add image.digest in the catalogue to pin the bytes")}),
            "checkov.io/skip2": "CKV_K8S_35=the init script reads each password from the environment (psql \\getenv), as in the StatefulSet",
        },
        ttl=ROLES_TTL_SECONDS,
        pod_security={"runAsNonRoot": True, "runAsUser": SERVICE_UID, "runAsGroup": SERVICE_UID, "seccompProfile": {"type": "RuntimeDefault"}},
        image=image_ref(entry.image),
        command=["sh", f"{datastores.INIT_FOLDER}/{datastores.INIT_SCRIPT}"],
        env_vars=env_vars,
        resources={"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
        security=_security(),
        init_folder=datastores.INIT_FOLDER,
    )


def files(plan: Plan, templates, env: str, folder: PurePosixPath, members: list[str]) -> tuple[dict[PurePosixPath, str], list[str]]:
    """(files of the group's overlay, their patch paths) for the managed stores among ``members``."""
    out: dict[PurePosixPath, str] = {}
    patches = []
    for infra, kind in cloud.managed_stores(plan.catalogue.cloud, env).items():
        if infra not in members:
            continue
        path = PurePosixPath("patches") / f"{infra}.yaml"
        out[folder / path] = exporter_patch(plan, templates, env, infra)
        patches.append(str(path))
        job = postgres_roles(plan, templates, env, infra) if kind == "postgres" else None
        if job:
            out[folder / f"job-{roles_job(infra)}.yaml"] = job
    return out, patches


def secret_store(plan: Plan, templates, env: str, group: str, folder: PurePosixPath) -> dict[PurePosixPath, str]:
    """A cloud environment's per-namespace SecretStore and the ServiceAccount whose IRSA role reads
    only this namespace's secret entries (cloud.secret_paths; terraform: one role per namespace)."""
    if cloud.cloud_environment(plan.catalogue.cloud, env) is None:
        return {}
    cluster_ = plan.environment(env).cluster
    role = cloud.role_arn(cloud.account_id(cluster_.deploy_role), cloud.secrets_role(plan.project, env, group))
    text = templates.render(
        "k8s/secretstore-aws.yaml.j2", env=env, account=cloud.SECRETS_SERVICE_ACCOUNT, role=role,
        store=plan.environment(env).secret_store.name, region=cluster_.region, module=f'environment.module.secrets_reader["{group}"]',
    )
    return {folder / "secretstore.yaml": text}
