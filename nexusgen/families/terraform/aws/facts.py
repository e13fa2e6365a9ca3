"""What an environment root passes to the modules, derived from the catalogue and the plan."""

from __future__ import annotations

import unicodedata

from nexusgen.families.terraform.aws.common import Attr, Block, Comment, Raw, condition, policy_document, statement
from nexusgen.plan import Plan, datastores
from nexusgen.plan import cloud as c

MODULES = "../modules"
# The aws-ebs-csi-driver EKS add-on's controller service account (EKS user guide, "Amazon EBS CSI driver").
EBS_CSI = ("kube-system", "ebs-csi-controller-sa")


def _module(name: str, source: str, /, *extra: object, **inputs: object) -> Block:
    return Block("module", (name,), [Attr("source", f"{MODULES}/{source}"), *extra, *[Attr(k, v) for k, v in inputs.items()]])


def registry_repositories(plan: Plan) -> list[str]:
    """One ECR repository per image the pipeline builds (a prebuilt image has none): the image's path
    in the registry (every cloud environment pulls from the same one, Plan.registry)."""
    return sorted({image_path(plan.image_repo(service, env)) for service in plan.built_services for env in plan.catalogue.cloud.environments})


def image_path(repository: str) -> str:
    """``ghcr.io/org/gateway`` -> ``org/gateway``: the repository name without the registry host."""
    host, _, path = repository.partition("/")
    return path if ("." in host or ":" in host or host == "localhost") else repository


def secrets(plan: Plan) -> dict[str, str]:
    """Secret store entries by name (the catalogue's paths, and each service's own data-store user
    that the plan derives, ``Plan.secrets``), with what each holds; never a value."""
    out: dict[str, list[str]] = {}
    for name, secret in plan.secrets.items():
        out.setdefault(secret.path, []).append(f"{secret.property}: {secret.description}")
    # Descriptions are prose: NFC keeps what they say (HCL would normalize them anyway).
    return {path: unicodedata.normalize("NFC", "; ".join(lines)) for path, lines in sorted(out.items())}


def _account(plan: Plan, env: str) -> str:
    return c.account_id(plan.environment(env).cluster.deploy_role)


def deploy(plan: Plan, env: str) -> list:
    """The deploy role: the one the workflows' ``<env>`` jobs assume (environments.<env>.cluster.deploy_role)."""
    cluster = plan.environment(env).cluster
    return [
        policy_document(
            "deploy",
            statement(["eks:DescribeCluster"], [Raw("module.cluster.arn")], "FindCluster"),
            # Images are pushed by the registry root's roles (shared account), never by a deploy.
            statement(["s3:PutObject"], [Raw('"${module.artifacts.arn}/*"')], "StoreReports"),
        ),
        _module(
            "deploy_role", "ci-role",
            name=c.role_name(cluster.deploy_role),
            subject=plan.oidc_subject(env),
            github_oidc_provider_arn=Raw("module.github_oidc.arn"),
            policy_json=Raw("data.aws_iam_policy_document.deploy.json"),
            cluster_name=Raw("module.cluster.name"),
            # The overlays create namespaces and cluster-scoped objects (ClusterSecretStore).
            access_policy="AmazonEKSClusterAdminPolicy",
        ),
    ]


def workload_roles(plan: Plan, env: str) -> list:
    """IRSA roles, one per use: each namespace's secret reader reads exactly the entries that
    namespace's ExternalSecrets name (plan.cloud.secret_paths), nothing of another namespace."""
    readers = []
    for group, paths in c.secret_paths(plan, env).items():
        key = group.replace("-", "_")
        readers += [
            policy_document(
                f"secrets_{key}",
                statement(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                          [Raw(f'module.secrets.arns["{path}"]') for path in paths], "ReadThisNamespacesSecrets"),
            ),
            _module(
                f"secrets_{key}_role", "workload-role",
                name=c.secrets_role(plan.project, env, group),
                oidc_provider_arn=Raw("module.cluster.oidc_provider_arn"), oidc_issuer=Raw("module.cluster.oidc_issuer"),
                namespace=plan.namespace(group, env), service_account=c.SECRETS_SERVICE_ACCOUNT,
                policy_json=Raw(f"data.aws_iam_policy_document.secrets_{key}.json"),
            ),
        ]
    return [
        *readers,
        _module(
            "ebs_csi_role", "workload-role",
            name=f"{plan.project}-{env}-ebs-csi",
            oidc_provider_arn=Raw("module.cluster.oidc_provider_arn"), oidc_issuer=Raw("module.cluster.oidc_issuer"),
            namespace=EBS_CSI[0], service_account=EBS_CSI[1],
            managed_policy_arns=["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"],
        ),
        Block("resource", ("aws_eks_addon", "ebs_csi"), [
            Attr("cluster_name", Raw("module.cluster.name")),
            Attr("addon_name", "aws-ebs-csi-driver"),
            Attr("service_account_role_arn", Raw("module.ebs_csi_role.arn")),
        ]),
    ]


def data_stores(plan: Plan, env: str) -> list:
    ce = plan.catalogue.cloud.environments[env]
    common = dict(
        vpc_id=Raw("module.network.vpc_id"), subnet_ids=Raw("module.network.data_subnet_ids"),
        client_cidrs=Raw("module.network.private_cidrs"), kms_key_arn=Raw("module.kms.arn"),
    )
    blocks = []
    if ce.postgres is not None:
        pg, pg_infra = ce.postgres, plan.infrastructure[ce.postgres.replaces]
        password = c.database_password(plan, env)
        blocks.append(_module(
            "postgres", "postgres",
            Attr("providers", {"aws": Raw("aws"), Raw("aws.backup"): Raw("aws.backup")}),
            identifier=c.database_id(plan.project, env),
            engine_version=pg.engine_version,
            parameter_family=f"postgres{pg.engine_version.split('.')[0]}",
            instance_class=pg.instance_class,
            storage_gb=pg.storage_gb,
            multi_az=ce.high_availability,
            backup_retention_days=pg.backup_retention_days,
            database=pg_infra.config.get("POSTGRES_DB", plan.project),
            username=pg_infra.config.get("POSTGRES_USER", plan.project),
            master_login_path=password.path,
            master_login_field=password.property,
            port=pg_infra.port,
            backup_kms_key_arn=Raw("data.aws_kms_alias.backup.target_key_arn"),
            **common,
        ))
    if ce.redis is not None:
        rd, rd_infra = ce.redis, plan.infrastructure[ce.redis.replaces]
        users = redis_users(plan, env, rd.replaces)
        blocks.append(_module(
            "redis", "redis",
            identifier=c.cache_id(plan.project, env),
            engine_version=rd.engine_version,
            node_type=rd.node_type,
            multi_az=ce.high_availability,
            snapshot_retention_days=rd.snapshot_retention_days,
            users=users,
            port=rd_infra.port,
            **common,
        ))
    blocks += _names(plan, env)
    if plan.catalogue.cloud.recovery.drill_environment == env:
        blocks += _drill(plan, env)
    return blocks


def redis_users(plan: Plan, env: str, infra: str) -> dict[str, dict[str, str]]:
    """ElastiCache users, by user id (``<env>-<user>``, unique in the account and region): ``default``
    with the in-cluster default user's password and rights (what the exporter uses), then each
    service's own user with its ACL (plan.datastores.redis_rules) and its derived secret."""
    admin = plan.secret_ref(plan.infrastructure[infra].secrets[datastores.ADMIN_PASSWORD["redis"]])
    out = {f"{env}-default": {"name": "default", "access": "on ~* &* +@all", "entry": admin.path, "property": admin.property}}
    for cred in plan.credentials:
        if cred.store == infra:
            access = " ".join(["on", *datastores.redis_rules(plan.catalogue, cred)])
            out[f"{env}-{cred.user}"] = {"name": cred.user, "access": access, "entry": cred.path, "property": cred.property}
    return out


def _names(plan: Plan, env: str) -> list:
    """A private zone in the VPC and one CNAME per managed store: stable names for the services."""
    ce = plan.catalogue.cloud.environments[env]
    stores = [(store.replaces, f"module.{kind}.address") for kind, store in (("postgres", ce.postgres), ("redis", ce.redis)) if store]
    zone = Block("resource", ("aws_route53_zone", "data"), [
        Comment("checkov:skip=CKV2_AWS_38:DNSSEC signing is for public hosted zones; this zone answers only inside the VPC"),
        Comment("checkov:skip=CKV2_AWS_39:Route 53 query logging covers public zones; the VPC's flow logs record the traffic"),
        Attr("name", c.private_zone(plan.project, env)),
        Attr("comment", "Stable names of the managed data stores"),
        Block("vpc", (), [Attr("vpc_id", Raw("module.network.vpc_id"))]),
    ])
    records = [
        Block("resource", ("aws_route53_record", name.replace("-", "_")), [
            Attr("zone_id", Raw("aws_route53_zone.data.zone_id")),
            Attr("name", c.managed_host(plan.project, env, name)),
            Attr("type", "CNAME"),
            Attr("ttl", 60),
            Attr("records", [Raw(address)]),
        ])
        for name, address in stores
    ]
    return [zone, *records]


def _drill(plan: Plan, env: str) -> list:
    """The restore drill's role: restore into and delete only ``<database>-drill-*`` instances."""
    cluster = plan.environment(env).cluster
    account, region = _account(plan, env), cluster.region
    db = c.database_id(plan.project, env)
    scratch = f"arn:aws:rds:{region}:{account}:db:{db}-drill-*"
    secrets = [c.database_password(plan, env).path, c.secret_ref(plan, plan.catalogue.cloud.recovery.alert_secret)[0]]
    return [
        policy_document(
            "drill",
            statement(["rds:DescribeDBInstances"], [Raw("module.postgres.arn"), scratch], "SeeInstances"),
            statement(
                ["rds:RestoreDBInstanceToPointInTime", "rds:AddTagsToResource"],
                [Raw("module.postgres.arn"), scratch, f"arn:aws:rds:{region}:{account}:subgrp:{db}", f"arn:aws:rds:{region}:{account}:pg:{db}", f"arn:aws:rds:{region}:{account}:og:*"],
                "RestoreIntoScratch",
            ),
            statement(["rds:DeleteDBInstance"], [scratch], "DeleteScratchOnly"),
            statement(["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*"], [Raw("module.kms.arn")], "UseDatabaseKey",
                      condition("StringEquals", "kms:ViaService", [f"rds.{region}.amazonaws.com"])),
            statement(["eks:DescribeCluster"], [Raw("module.cluster.arn")], "FindCluster"),
            statement(["secretsmanager:GetSecretValue"], [Raw(f'module.secrets.arns["{path}"]') for path in secrets], "ReadPasswordAndAlertHook"),
        ),
        _module(
            "restore_drill_role", "ci-role",
            name=c.drill_role(plan.project, env),
            subject=plan.oidc_subject(c.drill_environment(plan.project, env)),
            github_oidc_provider_arn=Raw("module.github_oidc.arn"),
            policy_json=Raw("data.aws_iam_policy_document.drill.json"),
            cluster_name=Raw("module.cluster.name"),
            # Runs the check query in a pod in the database clients' namespace, nothing else.
            access_policy="AmazonEKSEditPolicy",
            namespaces=[plan.service_namespace(plan.catalogue.cloud.environments[env].postgres.replaces, env)],
        ),
    ]
