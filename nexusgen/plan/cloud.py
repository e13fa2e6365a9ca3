"""Cloud facts shared by the Terraform, workflow and runbook families (issue 18).

Names computed once: the GitHub OIDC subject a role trusts, the roles CI assumes, the database
and cache identifiers the drill and runbooks address, the subnets of each VPC, the secret store's
entries. Everything is derived from the catalogue's ``cloud`` block and ``environments.<env>.cluster``.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass

from nexusgen.catalogue.datastores import ADMIN_PASSWORD
from nexusgen.catalogue.model import Cloud, CloudEnvironment

_ARN = re.compile(r"^arn:aws:iam::(?P<account>[0-9]{12}):role/(?P<name>.+)$")
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# RDS uploads transaction logs to S3 every five minutes: the latest restorable time trails by at most that.
RDS_LOG_UPLOAD_MINUTES = 5


@dataclass(frozen=True)
class Subnets:
    private: tuple[str, ...]  # nodes and the cluster's control-plane interfaces
    data: tuple[str, ...]  # databases and caches only; no route to the internet
    public: tuple[str, ...]  # load balancers only


def github_repository(repository_url: str) -> str:
    """``owner/repo`` of ``https://github.com/owner/repo`` (a trailing ``.git`` or ``/`` dropped)."""
    path = repository_url.split("://", 1)[1].split("/", 1)[1]
    return path.removesuffix("/").removesuffix(".git")


def oidc_subject(repository: str, github_environment: str) -> str:
    """The ``sub`` claim of a GitHub OIDC token issued to a job running in ``github_environment``."""
    return f"repo:{repository}:environment:{github_environment}"


def account_id(role_arn: str) -> str:
    return _ARN.match(role_arn)["account"]


def role_name(role_arn: str) -> str:
    return _ARN.match(role_arn)["name"]


def role_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def subnets(env: CloudEnvironment) -> Subnets:
    """The VPC cut into 16 equal blocks: private 0-3, data 8-11, public 12-15, one per zone."""
    return _subnets(env.vpc_cidr, len(env.zones))


@functools.lru_cache(maxsize=64)  # every NetworkPolicy to a managed store asks
def _subnets(vpc_cidr: str, count: int) -> Subnets:
    vpc = ipaddress.ip_network(vpc_cidr, strict=False)
    blocks = [str(b) for b in vpc.subnets(prefixlen_diff=4)]
    return Subnets(tuple(blocks[:count]), tuple(blocks[8 : 8 + count]), tuple(blocks[12 : 12 + count]))


def backup_key(project: str, env: str) -> str:
    """Alias (without ``alias/``) of the key in the backup region (the ``<env>-backup`` root)."""
    return f"{project}-{env}-backup"


def backup_zones(env: CloudEnvironment) -> list[str]:
    """The backup region's zones: the primary's zone letters there (``eu-west-1a`` -> ``eu-central-1a``)."""
    return [f"{env.backup_region}{zone[-1]}" for zone in env.zones]


def drill_environment(project: str, env: str) -> str:
    """The GitHub environment the restore drill runs in (no approval: it is scheduled)."""
    return f"{env}-restore-drill"


def drill_role(project: str, env: str) -> str:
    return f"{project}-{env}-restore-drill"


def database_id(project: str, env: str) -> str:
    """The RDS instance identifier of the environment's PostgreSQL."""
    return f"{project}-{env}-postgres"


def cache_id(project: str, env: str) -> str:
    return f"{project}-{env}-redis"


def artifacts_bucket(project: str, env: str, account: str) -> str:
    return f"{project}-{env}-pipeline-artifacts-{account}"


def cloud_environment(cloud: Cloud | None, env: str) -> CloudEnvironment | None:
    return cloud.environments.get(env) if cloud else None


def database_password(plan, env: str):
    """The catalogue secret (a ``SecretRef``) that is the managed database's master password."""
    infra = plan.catalogue.cloud.environments[env].postgres.replaces
    # The superuser's password (POSTGRES_PASSWORD, datastores.ADMIN_PASSWORD), never a service's own user.
    return plan.secret_ref(plan.infrastructure[infra].secrets[ADMIN_PASSWORD["postgres"]])


def secret_ref(plan, name: str) -> tuple[str, str]:
    """(path, property) of a catalogue secret."""
    secret = plan.catalogue.secrets[name]
    return secret.path, secret.property


def private_zone(project: str, env: str) -> str:
    """The VPC's private DNS zone, where the managed data stores get stable names."""
    return f"{env}.{project}.internal"


def managed_host(project: str, env: str, infra: str) -> str:
    """The stable host name of the managed store replacing ``infra``: a CNAME Terraform writes in
    the VPC's private zone (to the RDS address or the ElastiCache primary endpoint), and the
    services' ``<INFRA>_HOST`` in that environment (Plan.host)."""
    return f"{infra}.{private_zone(project, env)}"


def managed_stores(cloud: Cloud | None, env: str) -> dict[str, str]:
    """``{infrastructure entry: engine}`` of the stores AWS runs in ``env`` (data_stores: managed):
    the overlay runs no StatefulSet for them and the services reach them by ``managed_host``."""
    ce = cloud_environment(cloud, env)
    if ce is None or ce.data_stores != "managed":
        return {}
    return {store.replaces: kind for kind, store in (("postgres", ce.postgres), ("redis", ce.redis)) if store is not None}


# --- the image registry: ECR in the shared account -------------------------------------------------
# One registry for every cluster environment, in the account that holds Terraform's state
# (cloud.state.account_id): main builds an image once and staging and production run the same
# bytes (a release re-tags, never copies). The environments' nodes pull across accounts
# (the repository policy names each environment's account).
MAIN_BRANCH = "main"  # the main workflow's trigger: its images job runs as refs/heads/main
# The tags main's images job re-points on every push (docker/metadata-action: latest on the default
# branch, the branch name): the only tags ECR lets move; sha-<commit> and versions never do.
MOVING_TAGS = ("latest", MAIN_BRANCH)
RELEASE_ENVIRONMENT = "release"  # the GitHub environment of the release's promote job (tags v*)


def registry(cloud: Cloud, project: str) -> str:
    """``<account>.dkr.ecr.<region>.amazonaws.com/<project>``: the ECR registry and the prefix of
    every repository (``<project>/<service>``)."""
    return f"{cloud.state.account_id}.dkr.ecr.{cloud.state.region}.amazonaws.com/{project}"


def branch_subject(repository: str, branch: str = MAIN_BRANCH) -> str:
    """The ``sub`` claim of a job outside any GitHub environment, run by a push to ``branch``."""
    return f"repo:{repository}:ref:refs/heads/{branch}"


def push_role(project: str) -> str:
    """The role main's images job assumes to push (trusted for refs/heads/main only)."""
    return f"{project}-image-push"


def promote_role(project: str) -> str:
    """The role the release's promote job assumes to re-tag (trusted for the ``release`` environment)."""
    return f"{project}-image-promote"


# --- the runners of jobs that reach the cluster ----------------------------------------------------


def runner_labels(cloud: Cloud | None, project: str, env: str) -> list[str] | None:
    """``runs-on`` of the jobs that talk to ``env``'s cluster API: declared, else (the EKS endpoint is
    private: Terraform sets endpoint_public_access = false) a self-hosted runner inside the VPC.
    None: the environment has no cloud section (GitHub-hosted runners)."""
    ce = cloud_environment(cloud, env)
    if ce is None:
        return None
    return list(ce.runner_labels) if ce.runner_labels else ["self-hosted", "linux", "x64", f"{project}-{env}"]


def managed_exporter_env(plan, infra: str, env: str) -> dict[str, str]:
    """The plain variables of ``infra``'s exporter where AWS runs the store: the exporter stays in
    the cluster (the InfrastructureDown alerts, the dashboards and the runbooks read its metrics) and
    connects to the managed endpoint, over TLS: ``localhost`` becomes ``managed_host``,
    ``sslmode=disable`` ``sslmode=require`` (RDS for PostgreSQL 15+ sets rds.force_ssl) and
    ``redis://`` ``rediss://`` (ElastiCache transit encryption)."""
    host = managed_host(plan.project, env, infra)
    out = {}
    for var, value in plan.infrastructure[infra].exporter.config.items():
        new = re.sub(r"(?<![A-Za-z0-9.-])(localhost|127\.0\.0\.1)(?=[:/]|$)", host, value)
        new = new.replace("sslmode=disable", "sslmode=require").replace("redis://", "rediss://")
        if new != value:
            out[var] = new
    return out


# --- external-secrets: one role per namespace ------------------------------------------------------
# Each namespace that syncs secrets has its own SecretStore (environments.<env>.secret_store, kind
# SecretStore) authenticating as this ServiceAccount through IRSA: its role reads only the entries
# that namespace's ExternalSecrets name (``secret_paths``), so a namespace cannot read another's.
SECRETS_SERVICE_ACCOUNT = "external-secrets-reader"


def secrets_role(project: str, env: str, group: str) -> str:
    return f"{project}-{env}-{group}-secrets"


def secret_paths(plan, env: str) -> dict[str, tuple[str, ...]]:
    """``{group: store paths}`` its namespace's ExternalSecrets read in ``env`` (services, the
    infrastructure with its exporter, the monitoring stack's secrets). Derived once per plan and
    environment: Terraform asks for each environment's roots, module inputs and moves."""
    return dict(plan.remember(("secret paths", env), lambda: _secret_paths(plan, env)))


def _secret_paths(plan, env: str) -> dict[str, tuple[str, ...]]:
    from nexusgen.plan import SecretRef, cluster  # cluster imports this package

    out = {}
    for group in cluster.groups(plan):
        refs: list[SecretRef] = []
        for name in cluster.members(plan, group):
            if name in plan.services:
                refs += plan.secret_env(name, env).values()
                continue
            refs += plan.secret_env(name).values()
            exporter = plan.infrastructure[name].exporter
            if exporter is not None and exporter.image is not None:
                refs += [v for v in plan.exporter_env(name).values() if isinstance(v, SecretRef)]
        if group == cluster.MONITORING:
            for name in cluster.monitoring_secrets(plan):
                refs += plan.secret_env(name).values()
        if refs:
            out[group] = tuple(sorted({ref.path for ref in refs}))
    return out
