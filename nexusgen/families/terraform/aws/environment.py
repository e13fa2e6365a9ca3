"""``modules/environment``: everything a cluster environment is, called once by each environment
root with only what differs (``facts.inputs``). What every environment shares is here, either
written out or as locals rendered from the catalogue (secret entries, each managed store's database
and users, the secret reads every environment has). Optional parts are nullable object inputs used
with ``count`` (their null-ness is known at plan: the roots pass literals); the secret readers are a
``for_each`` over a literal map, so no key is unknown at plan."""

from __future__ import annotations

from nexusgen.families.terraform.aws import facts
from nexusgen.families.terraform.aws.common import Attr, Block, Comment, Raw, condition, output, policy_document, statement, variable
from nexusgen.plan import Plan
from nexusgen.plan import cloud as c

# The aws-ebs-csi-driver EKS add-on's controller service account (EKS user guide, "Amazon EBS CSI driver").
EBS_CSI = ("kube-system", "ebs-csi-controller-sa")
KMS, CLUSTER, SECRETS = Raw("module.kms.arn"), Raw("module.cluster.name"), Raw("module.secrets.arns")
OIDC = dict(oidc_provider_arn=Raw("module.cluster.oidc_provider_arn"), oidc_issuer=Raw("module.cluster.oidc_issuer"))
STORE = dict(vpc_id=Raw("module.network.vpc_id"), subnet_ids=Raw("module.network.data_subnet_ids"), client_cidrs=Raw("module.network.private_cidrs"), kms_key_arn=KMS)


def _module(name: str, source: str, /, *extra: object, **inputs: object) -> Block:
    """A call of a sibling module (``modules/<source>``)."""
    return Block("module", (name,), [Attr("source", f"../{source}"), *extra, *[Attr(k, v) for k, v in inputs.items()]])


def _t(template: str) -> Raw:
    """A string template (interpolating variables), written as is."""
    return Raw(f'"{template}"')


def _if(var: str) -> Attr:
    return Attr("count", Raw(f"var.{var} == null ? 0 : 1"))


def _arns(entries: str) -> Raw:
    return Raw(f"[for entry in {entries} : module.secrets.arns[entry]]")


def _core() -> list:
    return [
        _module("kms", "kms", name=Raw("var.name"), description=_t("${var.name}: cluster, data stores, logs, images")),
        # The backup region's key is the <env>-backup root's (applied first): found by its alias.
        Block("data", ("aws_kms_alias", "backup"), [Attr("provider", Raw("aws.backup")), Attr("name", Raw("var.backup_key_alias"))]),
        _module(
            "network", "network",
            name=Raw("var.cluster_name"), cidr=Raw("var.vpc_cidr"), zones=Raw("var.zones"), public_subnets=Raw("var.public_subnets"),
            private_subnets=Raw("var.private_subnets"), data_subnets=Raw("var.data_subnets"), kms_key_arn=KMS,
        ),
        _module(
            "cluster", "cluster",
            name=Raw("var.cluster_name"), kubernetes_version=Raw("var.kubernetes_version"),
            private_subnet_ids=Raw("module.network.private_subnet_ids"), kms_key_arn=KMS,
            node_instance_types=Raw("var.nodes.instance_types"), node_min=Raw("var.nodes.min"), node_max=Raw("var.nodes.max"),
            node_disk_gb=Raw("var.nodes.disk_gb"),
            # The deploy jobs' runners (runs-on: plan.cloud.runner_labels) run in the private subnets.
            api_client_cidrs=Raw("var.private_subnets"),
        ),
        _module("secrets", "secrets", secrets=Raw("local.secrets"), kms_key_arn=KMS),
        _module("artifacts", "bucket", name=Raw("var.artifacts_bucket"), kms_key_arn=KMS, expire_days=90),
        _module("github_oidc", "github-oidc"),
    ]


def _roles() -> list:
    """The deploy role the workflows' ``<env>`` jobs assume; IRSA roles, one per use: each namespace's
    secret reader reads exactly the entries that namespace's ExternalSecrets name
    (plan.cloud.secret_paths), nothing of another namespace."""
    return [
        policy_document(
            "deploy",
            statement(["eks:DescribeCluster"], [Raw("module.cluster.arn")], "FindCluster"),
            # Images are pushed by the registry root's roles (shared account), never by a deploy.
            statement(["s3:PutObject"], [Raw('"${module.artifacts.arn}/*"')], "StoreReports"),
        ),
        _module(
            "deploy_role", "ci-role",
            name=Raw("var.deploy_role.name"), subject=Raw("var.deploy_role.subject"),
            github_oidc_provider_arn=Raw("module.github_oidc.arn"), policy_json=Raw("data.aws_iam_policy_document.deploy.json"),
            cluster_name=CLUSTER,
            # The overlays create namespaces and cluster-scoped objects (ClusterSecretStore).
            access_policy="AmazonEKSClusterAdminPolicy",
        ),
        Block("data", ("aws_iam_policy_document", "secrets"), [
            Attr("for_each", Raw("var.secret_readers")),
            statement(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                      _arns("concat(lookup(local.secret_reads, each.key, []), each.value.extra_entries)"), "ReadThisNamespacesSecrets"),
        ]),
        _module(
            "secrets_reader", "workload-role",
            Attr("for_each", Raw("var.secret_readers")),
            name=Raw("each.value.role"), **OIDC, namespace=Raw("each.value.namespace"), service_account=c.SECRETS_SERVICE_ACCOUNT,
            policy_json=Raw("data.aws_iam_policy_document.secrets[each.key].json"),
        ),
        _module(
            "ebs_csi_role", "workload-role",
            name=_t("${var.name}-ebs-csi"), **OIDC, namespace=EBS_CSI[0], service_account=EBS_CSI[1],
            managed_policy_arns=["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"],
        ),
        Block("resource", ("aws_eks_addon", "ebs_csi"), [
            Attr("cluster_name", CLUSTER), Attr("addon_name", "aws-ebs-csi-driver"), Attr("service_account_role_arn", Raw("module.ebs_csi_role.arn")),
        ]),
    ]


def _stores() -> list:
    pg = "local.postgres[var.postgres.replaces]"
    return [
        _module(
            "postgres", "postgres",
            _if("postgres"), Attr("providers", {"aws": Raw("aws"), Raw("aws.backup"): Raw("aws.backup")}),
            identifier=Raw("var.postgres.identifier"), engine_version=Raw("var.postgres.engine_version"),
            parameter_family=_t('postgres${split(".", var.postgres.engine_version)[0]}'),
            instance_class=Raw("var.postgres.instance_class"), storage_gb=Raw("var.postgres.storage_gb"), multi_az=Raw("var.high_availability"),
            backup_retention_days=Raw("var.postgres.backup_retention_days"),
            database=Raw(f"{pg}.database"), username=Raw(f"{pg}.username"),
            master_login_path=Raw(f"{pg}.master_login_path"), master_login_field=Raw(f"{pg}.master_login_field"), port=Raw(f"{pg}.port"),
            backup_kms_key_arn=Raw("data.aws_kms_alias.backup.target_key_arn"), **STORE,
        ),
        _module(
            "redis", "redis",
            _if("redis"),
            identifier=Raw("var.redis.identifier"), engine_version=Raw("var.redis.engine_version"), node_type=Raw("var.redis.node_type"),
            multi_az=Raw("var.high_availability"), snapshot_retention_days=Raw("var.redis.snapshot_retention_days"),
            # User ids are unique in the account and region: <environment>-<name>.
            users=Raw('{ for name, user in local.redis[var.redis.replaces].users : "${var.environment}-${name}" => user }'),
            port=Raw("local.redis[var.redis.replaces].port"), **STORE,
        ),
        # A private zone in the VPC and one CNAME per managed store: stable names for the services.
        Block("resource", ("aws_route53_zone", "data"), [
            Comment("checkov:skip=CKV2_AWS_38:DNSSEC signing is for public hosted zones; this zone answers only inside the VPC"),
            Comment("checkov:skip=CKV2_AWS_39:Route 53 query logging covers public zones; the VPC's flow logs record the traffic"),
            _if("private_zone"), Attr("name", Raw("var.private_zone")), Attr("comment", "Stable names of the managed data stores"),
            Block("vpc", (), [Attr("vpc_id", Raw("module.network.vpc_id"))]),
        ]),
        *[
            Block("resource", ("aws_route53_record", kind), [
                _if(kind), Attr("zone_id", Raw("aws_route53_zone.data[0].zone_id")), Attr("name", Raw(f"var.{kind}.host")),
                Attr("type", "CNAME"), Attr("ttl", 60), Attr("records", [Raw(f"module.{kind}[0].address")]),
            ])
            for kind in ("postgres", "redis")
        ],
    ]


def _drill() -> list:
    """The restore drill's role: restore into and delete only ``<database>-drill-*`` instances."""
    rds = "arn:aws:rds:${var.restore_drill.region}:${var.restore_drill.account}"
    scratch = _t(f"{rds}:db:${{var.postgres.identifier}}-drill-*")
    db = Raw("module.postgres[0].arn")
    document = policy_document(
        "drill",
        statement(["rds:DescribeDBInstances"], [db, scratch], "SeeInstances"),
        statement(
            ["rds:RestoreDBInstanceToPointInTime", "rds:AddTagsToResource"],
            [db, scratch, *[_t(f"{rds}:{kind}:${{var.postgres.identifier}}") for kind in ("subgrp", "pg")], _t(f"{rds}:og:*")],
            "RestoreIntoScratch",
        ),
        statement(["rds:DeleteDBInstance"], [scratch], "DeleteScratchOnly"),
        statement(["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*"], [KMS], "UseDatabaseKey",
                  condition("StringEquals", "kms:ViaService", [_t("rds.${var.restore_drill.region}.amazonaws.com")])),
        statement(["eks:DescribeCluster"], [Raw("module.cluster.arn")], "FindCluster"),
        statement(["secretsmanager:GetSecretValue"], _arns("var.restore_drill.entries"), "ReadPasswordAndAlertHook"),
    )
    return [
        Block("data", document.labels, [_if("restore_drill"), *document.body]),
        _module(
            "restore_drill_role", "ci-role",
            _if("restore_drill"),
            name=Raw("var.restore_drill.role"), subject=Raw("var.restore_drill.subject"),
            github_oidc_provider_arn=Raw("module.github_oidc.arn"), policy_json=Raw("data.aws_iam_policy_document.drill[0].json"),
            cluster_name=CLUSTER,
            # Runs the check query in a pod in the database clients' namespace, nothing else.
            access_policy="AmazonEKSEditPolicy", namespaces=[Raw("var.restore_drill.namespace")],
        ),
    ]


STRINGS = "list(string)"
VARIABLES = [
    ("environment", "string", "Environment name (ElastiCache user ids are <environment>-<user>)"),
    ("name", "string", "Name of the environment's key and the prefix of its own roles"),
    ("backup_key_alias", "string", "Alias of the <env>-backup root's key in the backup region"),
    ("cluster_name", "string", "EKS cluster and VPC name"),
    ("kubernetes_version", "string", "EKS Kubernetes version"),
    ("vpc_cidr", "string", "VPC address range"),
    ("zones", STRINGS, "Availability zones, one subnet of each tier per zone"),
    ("public_subnets", STRINGS, "Public subnet ranges, by zone"),
    ("private_subnets", STRINGS, "Private (node) subnet ranges, by zone; the cluster API's clients"),
    ("data_subnets", STRINGS, "Data subnet ranges, by zone (managed stores, no route out)"),
    ("nodes", "object({ instance_types = list(string), min = number, max = number, disk_gb = number })", "The node group's sizes"),
    ("artifacts_bucket", "string", "Pipeline artifacts bucket name"),
    ("deploy_role", "object({ name = string, subject = string })", "The deploy jobs' role and their OIDC subject"),
    ("secret_readers", "map(object({ role = string, namespace = string, extra_entries = optional(list(string), []) }))",
     "By group: its namespace's secret reader role, and the entries it reads beyond local.secret_reads"),
    ("high_availability", "bool", "Multi-AZ data stores"),
]
OPTIONAL = [
    ("private_zone", "string", "Private zone of the managed stores' names (null: no managed store)"),
    ("postgres", "object({ replaces = string, identifier = string, host = string, engine_version = string, instance_class = string, storage_gb = number, backup_retention_days = number })",
     "The RDS instance replacing an in-cluster store (null: none)"),
    ("redis", "object({ replaces = string, identifier = string, host = string, engine_version = string, node_type = string, snapshot_retention_days = number })",
     "The ElastiCache group replacing an in-cluster store (null: none)"),
    ("restore_drill", "object({ role = string, subject = string, namespace = string, region = string, account = string, entries = list(string) })",
     "The restore drill's role (null: the drill runs in another environment)"),
]


def module(plan: Plan) -> dict[str, list]:
    locals_ = Block("locals", (), [
        Attr("secrets", facts.secrets(plan)),
        Attr("secret_reads", facts.shared_reads(plan)),
        Attr("postgres", facts.postgres_stores(plan)),
        Attr("redis", facts.redis_stores(plan)),
    ])
    return {
        "main.tf": [locals_, *_core(), *_roles(), *_stores(), *_drill()],
        "versions.tf": [Block("terraform", (), [Block("required_providers", (), [Attr("aws", {"source": "hashicorp/aws", "configuration_aliases": [Raw("aws.backup")]})])])],
        "variables.tf": [variable(n, t, d) for n, t, d in VARIABLES] + [variable(n, t, d, None) for n, t, d in OPTIONAL],
        "outputs.tf": [
            output("cluster_name", "module.cluster.name", "The EKS cluster the overlays deploy to"),
            output("artifacts_bucket", "module.artifacts.id", "Pipeline artifacts (E2E reports)"),
        ],
    }
