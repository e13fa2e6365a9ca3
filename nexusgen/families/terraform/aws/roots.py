"""The root modules: ``bootstrap`` (state bucket and lock table) and one per cluster environment."""

from __future__ import annotations

from nexusgen.families.terraform.aws.common import Attr, Block, Raw, block, output, policy_document, resource, statement
from nexusgen.families.terraform.aws import facts
from nexusgen.plan import Plan
from nexusgen.plan import cloud as c

MODULES = "../modules"


def _terraform(plan: Plan, backend: Block | None) -> Block:
    cloud = plan.catalogue.cloud
    items = [
        Attr("required_version", f">= {cloud.terraform_version}, < 2.0.0"),
        Block("required_providers", (), [Attr("aws", {"source": "hashicorp/aws", "version": cloud.provider_version})]),
    ]
    return Block("terraform", (), items + ([backend] if backend else []))


def _provider(plan: Plan, region: str, account: str, env: str, alias: str | None = None) -> Block:
    items = [Attr("alias", alias)] if alias else []
    items += [Attr("region", region), Attr("allowed_account_ids", [account])]
    tags = {"Project": plan.project, "Environment": env, "ManagedBy": "terraform", "Source": plan.source_name}
    return Block("provider", ("aws",), items + [block("default_tags", tags=tags)])


def _module(name: str, source: str, /, **inputs: object) -> Block:
    return Block("module", (name,), [Attr("source", f"{MODULES}/{source}"), *[Attr(k, v) for k, v in inputs.items()]])


def bootstrap(plan: Plan) -> list:
    """Applied once per organisation with local state, before any environment (README)."""
    state = plan.catalogue.cloud.state
    return [
        _terraform(plan, None),
        _provider(plan, state.region, state.account_id, "shared"),
        _module("kms", "kms", name=f"{plan.project}-terraform-state", description="Terraform state"),
        _module("state", "bucket", name=state.bucket, kms_key_arn=Raw("module.kms.arn"), expire_days=3650),
        resource(
            "aws_dynamodb_table", "lock",
            block("attribute", name="LockID", type="S"),
            block("server_side_encryption", enabled=True, kms_key_arn=Raw("module.kms.arn")),
            block("point_in_time_recovery", enabled=True),
            name=state.lock_table,
            billing_mode="PAY_PER_REQUEST",
            hash_key="LockID",  # the S3 backend's lock key (Terraform docs, backend "s3")
            deletion_protection_enabled=True,
        ),
        output("state_bucket", "module.state.id", "Bucket of every environment's state"),
        output("lock_table", "aws_dynamodb_table.lock.name", "Lock table of the S3 backend"),
    ]


def _backend(plan: Plan, key: str) -> Block:
    state = plan.catalogue.cloud.state
    return Block(
        "backend", ("s3",),
        [
            Attr("bucket", state.bucket),
            Attr("key", f"{key}/terraform.tfstate"),
            Attr("region", state.region),
            Attr("dynamodb_table", state.lock_table),
            Attr("encrypt", True),
        ],
    )


def registry(plan: Plan) -> list:
    """The image registry in the shared account (cloud.state.account_id), applied after bootstrap
    and before the environments: one ECR repository per image, the roles CI pushes with."""
    cloud = plan.catalogue.cloud
    state = cloud.state
    accounts = sorted({c.account_id(plan.environment(env).cluster.deploy_role) for env in cloud.environments})
    push = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"]
    return [
        _terraform(plan, _backend(plan, "registry")),
        _provider(plan, state.region, state.account_id, "shared"),
        _module("kms", "kms", name=f"{plan.project}-registry", description=f"{plan.project}: container images"),
        _module("registry", "registry", repositories=facts.registry_repositories(plan), kms_key_arn=Raw("module.kms.arn"), pull_accounts=accounts),
        _module("github_oidc", "github-oidc"),
        policy_document(
            "push",
            statement(["ecr:GetAuthorizationToken"], ["*"], "LogInToRegistry"),
            statement(push, Raw("module.registry.arns"), "PushImages"),
        ),
        # main's images job runs in no GitHub environment (one per matrix row would record a
        # deployment for every image and gate builds on reviewers): its subject is the branch.
        _module(
            "push_role", "ci-role",
            name=c.push_role(plan.project), subject=c.branch_subject(plan.github_repository),
            github_oidc_provider_arn=Raw("module.github_oidc.arn"), policy_json=Raw("data.aws_iam_policy_document.push.json"),
        ),
        # The release's promote job re-tags (no rebuild) from the `release` environment, whose
        # deployment rule admits only v* tags (README): a tag run has no branch subject to trust.
        _module(
            "promote_role", "ci-role",
            name=c.promote_role(plan.project), subject=plan.oidc_subject(c.RELEASE_ENVIRONMENT),
            github_oidc_provider_arn=Raw("module.github_oidc.arn"), policy_json=Raw("data.aws_iam_policy_document.push.json"),
        ),
        output("registry_urls", "module.registry.urls", "Where the pipeline pushes each image and the clusters pull it from"),
        output("push_role_arn", "module.push_role.arn", "main's images job"),
        output("promote_role_arn", "module.promote_role.arn", "The release's promote job"),
    ]


def backup(plan: Plan, env: str) -> list:
    """``<env>-backup``: the backup region of ``env`` (cloud.environments.<env>.backup_region), applied
    before ``<env>``: the key RDS's replicated automated backups are encrypted with, and where a
    region-loss restore lands (a VPC mirroring the primary's addressing, never peered with it; the
    database's subnet group and security group). The cluster is not pre-built here: the restore
    runbook applies ``<env>`` with the region switched once the database is back."""
    ce = plan.catalogue.cloud.environments[env]
    cluster = plan.environment(env).cluster
    account = c.account_id(cluster.deploy_role)
    nets = c.subnets(ce)
    blocks = [
        _terraform(plan, _backend(plan, f"{env}-backup")),
        _provider(plan, ce.backup_region, account, env),
        _module("kms", "kms", name=c.backup_key(plan.project, env), description=f"{plan.project} {env}: backups copied to {ce.backup_region}"),
        _module(
            "network", "network",
            name=f"{cluster.name}-backup", cidr=ce.vpc_cidr, zones=c.backup_zones(ce),
            public_subnets=list(nets.public), private_subnets=list(nets.private), data_subnets=list(nets.data),
            kms_key_arn=Raw("module.kms.arn"),
        ),
        output("backup_key_arn", "module.kms.arn", "Encrypts the RDS automated backups replicated here"),
    ]
    if ce.postgres is not None:
        blocks.insert(-1, _module(
            "restore_target", "restore-target",
            identifier=c.database_id(plan.project, env), port=plan.infrastructure[ce.postgres.replaces].port,
            vpc_id=Raw("module.network.vpc_id"), subnet_ids=Raw("module.network.data_subnet_ids"),
            client_cidrs=Raw("module.network.private_cidrs"),
        ))
        blocks += [
            output("restore_subnet_group", "module.restore_target.subnet_group", "Where a region-loss restore of the database lands"),
            output("restore_security_group_id", "module.restore_target.security_group_id", "Its security group"),
        ]
    return blocks


def environment(plan: Plan, env: str) -> list:
    cloud, ce = plan.catalogue.cloud, plan.catalogue.cloud.environments[env]
    cluster = plan.environment(env).cluster
    account = c.account_id(cluster.deploy_role)
    nets = c.subnets(ce)
    backend = _backend(plan, env)
    blocks = [
        _terraform(plan, backend),
        _provider(plan, cluster.region, account, env),
        _provider(plan, ce.backup_region, account, env, alias="backup"),
        _module("kms", "kms", name=f"{plan.project}-{env}", description=f"{plan.project} {env}: cluster, data stores, logs, images"),
        # The backup region's key is the <env>-backup root's (applied first): found by its alias.
        Block("data", ("aws_kms_alias", "backup"), [Attr("provider", Raw("aws.backup")), Attr("name", f"alias/{c.backup_key(plan.project, env)}")]),
        _module(
            "network", "network",
            name=cluster.name, cidr=ce.vpc_cidr, zones=list(ce.zones),
            public_subnets=list(nets.public), private_subnets=list(nets.private), data_subnets=list(nets.data),
            kms_key_arn=Raw("module.kms.arn"),
        ),
        _module(
            "cluster", "cluster",
            name=cluster.name, kubernetes_version=ce.kubernetes_version,
            private_subnet_ids=Raw("module.network.private_subnet_ids"), kms_key_arn=Raw("module.kms.arn"),
            node_instance_types=list(ce.nodes.instance_types), node_min=ce.nodes.min_size, node_max=ce.nodes.max_size,
            node_disk_gb=ce.nodes.disk_gb,
            # The deploy jobs' runners (runs-on: plan.cloud.runner_labels) run in the private subnets.
            api_client_cidrs=list(nets.private),
        ),
        _module("secrets", "secrets", secrets=facts.secrets(plan), kms_key_arn=Raw("module.kms.arn")),
        _module("artifacts", "bucket", name=c.artifacts_bucket(plan.project, env, account), kms_key_arn=Raw("module.kms.arn"), expire_days=90),
        _module("github_oidc", "github-oidc"),
        *facts.deploy(plan, env),
        *facts.workload_roles(plan, env),
    ]
    if ce.data_stores == "managed":
        blocks += facts.data_stores(plan, env)
    blocks += [
        output("cluster_name", "module.cluster.name", "The EKS cluster the overlays deploy to"),
        output("artifacts_bucket", "module.artifacts.id", "Pipeline artifacts (E2E reports)"),
    ]
    return blocks


__all__ = ["backup", "bootstrap", "environment", "registry"]
