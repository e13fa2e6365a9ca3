"""Cloud infrastructure (Terraform, issue 18).

Everything the Terraform family needs that the rest of the catalogue does not say. Account ids
and deploy-role names are not repeated: they come from `environments.<env>.cluster.deploy_role`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from nexusgen.catalogue.model.fields import Cidr, Name, Strict, _text


AwsRegion = _text(r"^[a-z]{2}(-[a-z]+)+-[0-9]$", "an AWS region such as 'eu-west-1'", 30)
AwsZone = _text(r"^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", "an availability zone such as 'eu-west-1a'", 30)
EngineVersion = _text(r"^[0-9]+(\.[0-9]+){1,2}$", "a version such as '16.4' or '6.0.0'", 20)
BucketName = _text(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "an S3 bucket name (3-63 lower-case letters, digits, '.', '-')", 63)
Cron = _text(r"^[0-9*/,-]+( [0-9*/,-]+){4}$", "a five-field cron schedule such as '17 4 * * 1'", 100)


class CloudState(Strict):
    """Terraform's own state: an S3 bucket and a DynamoDB lock table, made by the bootstrap root."""

    bucket: BucketName
    lock_table: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{3,255}$")]
    region: AwsRegion
    account_id: Annotated[str, Field(pattern=r"^[0-9]{12}$")]


class NodeGroup(Strict):
    instance_types: list[Annotated[str, Field(pattern=r"^[a-z0-9]+\.[a-z0-9]+$")]] = Field(min_length=1)
    min_size: Annotated[int, Field(ge=1, le=1000)]
    max_size: Annotated[int, Field(ge=1, le=1000)]
    disk_gb: Annotated[int, Field(ge=20, le=16384)] = 50


class ManagedPostgres(Strict):
    """RDS for PostgreSQL standing in for the `replaces` infrastructure entry."""

    replaces: Name = "postgres"
    engine_version: EngineVersion
    instance_class: Annotated[str, Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")]
    storage_gb: Annotated[int, Field(ge=20, le=65536)]
    backup_retention_days: Annotated[int, Field(ge=1, le=35)]  # daily snapshots and PITR window (RDS: 1-35)


class ManagedRedis(Strict):
    """ElastiCache (Redis OSS) standing in for the `replaces` infrastructure entry."""

    replaces: Name = "redis"
    engine_version: EngineVersion
    node_type: Annotated[str, Field(pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$")]
    snapshot_retention_days: Annotated[int, Field(ge=1, le=35)] = 7
    # No AUTH token: ElastiCache RBAC users mirror the in-cluster ones (the replaced entry's
    # default-user password and each service's own user, terraform modules/redis).


class CloudEnvironment(Strict):
    """One cluster environment's cloud: network, cluster nodes and (optionally) managed data stores."""

    vpc_cidr: Cidr
    zones: list[AwsZone] = Field(min_length=2, max_length=4)
    kubernetes_version: Annotated[str, Field(pattern=r"^1\.[0-9]{2}$")]
    nodes: NodeGroup
    data_stores: Literal["containers", "managed"] = "containers"
    high_availability: bool = False  # Multi-AZ database and cache
    backup_region: AwsRegion
    postgres: ManagedPostgres | None = None
    redis: ManagedRedis | None = None
    # `runs-on` of the jobs that reach this cluster's API (private: only from inside the VPC).
    # Unset: ["self-hosted", "linux", "x64", "<project>-<env>"] (README "The runner").
    runner_labels: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]] | None = Field(None, min_length=1, max_length=10)


class Recovery(Strict):
    """Recovery objectives and the restore drill that proves them."""

    rpo_minutes: Annotated[int, Field(ge=1, le=1440)] = 5
    rto_critical_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    rto_full_minutes: Annotated[int, Field(ge=1, le=10080)] = 60
    check_query: Annotated[str, Field(min_length=1, max_length=1000, pattern=r"^[^\n]*$")]
    drill_schedule: Cron = "17 4 * * 1"
    drill_environment: Literal["staging", "production"] = "production"
    alert_secret: Name = "slack-webhook-url"  # catalogue secret: the Slack webhook a failed or slow drill posts to


class Cloud(Strict):
    provider: Literal["aws"] = "aws"
    provider_version: EngineVersion  # hashicorp/aws, pinned exactly; families/terraform/aws/arguments.json is its docs
    terraform_version: EngineVersion
    state: CloudState
    environments: dict[Literal["staging", "production"], CloudEnvironment] = Field(min_length=1)
    recovery: Recovery
