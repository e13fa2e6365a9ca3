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
    """``<env>``: its backend and providers, one call of ``modules/environment`` with what this
    environment differs in (facts.inputs), and the outputs workflows and runbooks read."""
    ce = plan.catalogue.cloud.environments[env]
    cluster = plan.environment(env).cluster
    account = c.account_id(cluster.deploy_role)
    return [
        _terraform(plan, _backend(plan, env)),
        _provider(plan, cluster.region, account, env),
        _provider(plan, ce.backup_region, account, env, alias="backup"),
        _module("environment", "environment", providers={"aws": Raw("aws"), Raw("aws.backup"): Raw("aws.backup")}, **facts.inputs(plan, env)),
        output("cluster_name", "module.environment.cluster_name", "The EKS cluster the overlays deploy to"),
        output("artifacts_bucket", "module.environment.artifacts_bucket", "Pipeline artifacts (E2E reports)"),
    ]


def moved(plan: Plan, env: str) -> list:
    """``<env>/moved.tf``: where each object of the root's state went when the environment became
    one call of ``modules/environment`` (Terraform ``moved`` blocks, 1.1+), so the first plan after
    it moves state instead of replacing the cluster and the databases. Delete once every state of
    this root has been applied with it."""
    ce = plan.catalogue.cloud.environments[env]
    to = "module.environment"
    pairs = [(f"module.{name}", f"{to}.module.{name}") for name in ("kms", "network", "cluster", "secrets", "artifacts", "github_oidc", "deploy_role", "ebs_csi_role")]
    pairs += [(f"module.secrets_{group.replace('-', '_')}_role", f'{to}.module.secrets_reader["{group}"]') for group in c.secret_paths(plan, env)]
    pairs.append(("aws_eks_addon.ebs_csi", f"{to}.aws_eks_addon.ebs_csi"))
    if ce.data_stores == "managed":
        stores = [kind for kind, store in (("postgres", ce.postgres), ("redis", ce.redis)) if store is not None]
        pairs += [(f"module.{kind}", f"{to}.module.{kind}[0]") for kind in stores]
        pairs += [("aws_route53_zone.data", f"{to}.aws_route53_zone.data[0]")]
        pairs += [(f"aws_route53_record.{kind}", f"{to}.aws_route53_record.{kind}[0]") for kind in stores]
        if plan.catalogue.cloud.recovery.drill_environment == env and ce.postgres is not None:
            pairs.append(("module.restore_drill_role", f"{to}.module.restore_drill_role[0]"))
    return [Block("moved", (), [Attr("from", Raw(old)), Attr("to", Raw(new))]) for old, new in pairs]


__all__ = ["backup", "bootstrap", "environment", "moved", "registry"]
