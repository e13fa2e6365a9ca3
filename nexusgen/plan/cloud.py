"""Cloud facts shared by the Terraform, workflow and runbook families (issue 18).

Names computed once: the GitHub OIDC subject a role trusts, the roles CI assumes, the database
and cache identifiers the drill and runbooks address, the subnets of each VPC, the secret store's
entries. Everything is derived from the catalogue's ``cloud`` block and ``environments.<env>.cluster``.
"""

from __future__ import annotations

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
    vpc = ipaddress.ip_network(env.vpc_cidr, strict=False)
    blocks = [str(b) for b in vpc.subnets(prefixlen_diff=4)]
    count = len(env.zones)
    return Subnets(tuple(blocks[:count]), tuple(blocks[8 : 8 + count]), tuple(blocks[12 : 12 + count]))


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
    """The stable host name of the managed store replacing ``infra`` (a CNAME to its AWS endpoint):
    what the services' ``<INFRA>_HOST`` becomes once the overlays use the managed stores."""
    return f"{infra}.{private_zone(project, env)}"
