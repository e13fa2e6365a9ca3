"""modules/postgres (RDS for PostgreSQL) and modules/redis (ElastiCache, Redis OSS): in the data
subnets, reachable only from the private (node) subnets, encrypted, deletion-protected, backed up.

PostgreSQL's recovery point: automated backups keep a daily snapshot and the transaction logs,
which RDS uploads to S3 every five minutes, so any second of the retention window can be restored
(RDS user guide, "Restoring a DB instance to a specified time"); Multi-AZ adds a synchronous
standby. Automated backups are replicated to a second region (``aws_db_instance_automated_backups_replication``).
The master password is the catalogue's secret, read at apply time as an ephemeral value and sent
write-only (``password_wo``): it is in no plan and no state.
"""

from __future__ import annotations

from nexusgen.families.terraform.aws.common import Attr, Block, Raw, assume_role, block, output, resource, variable

BACKUP_WINDOW = "02:00-03:00"  # UTC, before the maintenance window
MAINTENANCE_WINDOW = "sun:03:30-sun:04:30"


def _network(name: str, port: str, skip: dict[str, str] | None = None) -> list:
    return [
        resource(
            "aws_security_group", "this",
            skip=skip,
            name=Raw(f'"${{var.identifier}}-{name}"'),
            description=Raw(f'"{name} clients: the cluster nodes only"'),
            vpc_id=Raw("var.vpc_id"),
        ),
        resource(
            "aws_vpc_security_group_ingress_rule", "clients",
            for_each=Raw("toset(var.client_cidrs)"),
            security_group_id=Raw("aws_security_group.this.id"),
            description="From the private (node) subnets",
            cidr_ipv4=Raw("each.value"),
            ip_protocol="tcp",
            from_port=Raw(port),
            to_port=Raw(port),
        ),
    ]


def postgres() -> dict[str, list]:
    main = [
        Block("ephemeral", ("aws_secretsmanager_secret_version", "master"), [Attr("secret_id", Raw("var.master_login_path"))]),
        resource("aws_db_subnet_group", "this", name=Raw("var.identifier"), subnet_ids=Raw("var.subnet_ids")),
        *_network("postgres", "var.port"),
        resource(
            "aws_db_parameter_group", "this",
            *[block("parameter", name=k, value=v) for k, v in (("log_min_duration_statement", "1000"), ("log_statement", "ddl"), ("rds.force_ssl", "1"))],
            name=Raw("var.identifier"),
            family=Raw("var.parameter_family"),
        ),
        assume_role("monitoring_assume", "monitoring.rds.amazonaws.com"),
        resource("aws_iam_role", "monitoring", name=Raw('"${var.identifier}-monitoring"'), assume_role_policy=Raw("data.aws_iam_policy_document.monitoring_assume.json")),
        resource(
            "aws_iam_role_policy_attachment", "monitoring",
            role=Raw("aws_iam_role.monitoring.name"),
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
        ),
        resource(
            "aws_db_instance", "this",
            identifier=Raw("var.identifier"),
            engine="postgres",
            engine_version=Raw("var.engine_version"),
            instance_class=Raw("var.instance_class"),
            allocated_storage=Raw("var.storage_gb"),
            max_allocated_storage=Raw("var.storage_gb * 4"),
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=Raw("var.kms_key_arn"),
            db_name=Raw("var.database"),
            username=Raw("var.username"),
            password_wo=Raw("jsondecode(ephemeral.aws_secretsmanager_secret_version.master.secret_string)[var.master_login_field]"),
            password_wo_version=Raw("var.password_version"),
            port=Raw("var.port"),
            multi_az=Raw("var.multi_az"),
            db_subnet_group_name=Raw("aws_db_subnet_group.this.name"),
            vpc_security_group_ids=[Raw("aws_security_group.this.id")],
            parameter_group_name=Raw("aws_db_parameter_group.this.name"),
            publicly_accessible=False,
            iam_database_authentication_enabled=True,
            deletion_protection=True,
            backup_retention_period=Raw("var.backup_retention_days"),
            backup_window=BACKUP_WINDOW,
            maintenance_window=MAINTENANCE_WINDOW,
            copy_tags_to_snapshot=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=Raw('"${var.identifier}-final"'),
            auto_minor_version_upgrade=True,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            performance_insights_enabled=True,
            performance_insights_kms_key_id=Raw("var.kms_key_arn"),
            performance_insights_retention_period=7,
            monitoring_interval=60,
            monitoring_role_arn=Raw("aws_iam_role.monitoring.arn"),
            skip={"CKV_AWS_157": "Multi-AZ is set per environment from the catalogue (cloud.environments.<env>.high_availability): on in production"},
        ),
        # Daily snapshots and transaction logs, copied to the backup region for the same retention.
        resource(
            "aws_db_instance_automated_backups_replication", "this",
            provider=Raw("aws.backup"),
            source_db_instance_arn=Raw("aws_db_instance.this.arn"),
            retention_period=Raw("var.backup_retention_days"),
            kms_key_id=Raw("var.backup_kms_key_arn"),
        ),
    ]
    versions = [
        Block("terraform", (), [Block("required_providers", (), [Attr("aws", {"source": "hashicorp/aws", "configuration_aliases": [Raw("aws.backup")]})])]),
    ]
    variables = [
        variable("identifier", "string", "RDS instance identifier"),
        variable("engine_version", "string", "PostgreSQL version"),
        variable("parameter_family", "string", "Parameter group family, such as postgres16"),
        variable("instance_class", "string", "Instance class"),
        variable("storage_gb", "number", "Allocated storage; autoscaling up to four times this"),
        variable("multi_az", "bool", "A synchronous standby in a second zone"),
        variable("backup_retention_days", "number", "Days of daily snapshots and point-in-time recovery"),
        variable("database", "string", "Database created with the instance"),
        variable("username", "string", "Master user"),
        variable("master_login_path", "string", "Secrets Manager entry holding the master password"),
        variable("master_login_field", "string", "JSON property of that entry"),
        variable("password_version", "number", "Raise after changing the secret to send the new password", 1),
        variable("port", "number", "Listening port"),
        variable("vpc_id", "string", "The VPC"),
        variable("subnet_ids", "list(string)", "Data subnets"),
        variable("client_cidrs", "list(string)", "Private (node) subnets allowed to connect"),
        variable("kms_key_arn", "string", "Key for storage, Performance Insights"),
        variable("backup_kms_key_arn", "string", "Key in the backup region for the replicated backups"),
    ]
    outputs = [
        output("address", "aws_db_instance.this.address", "Endpoint host name"),
        output("arn", "aws_db_instance.this.arn", "Instance ARN"),
        output("replicated_backups_arn", "aws_db_instance_automated_backups_replication.this.id", "The automated backups in the backup region"),
    ]
    return {"main.tf": main, "versions.tf": versions, "variables.tf": variables, "outputs.tf": outputs}


def redis() -> dict[str, list]:
    main = [
        # One ElastiCache (RBAC) user per Redis user the containers have: `default` (the exporter's,
        # the in-cluster requirepass) and each service's own, with the same ACL rules
        # (plan/datastores.redis_rules). hashicorp/aws 6.25.0 has no write-only password argument
        # for aws_elasticache_user: the passwords pass through state, which is encrypted with KMS
        # in a private, versioned bucket (README "Terraform").
        Block("data", ("aws_secretsmanager_secret_version", "user"), [
            Attr("for_each", Raw("var.users")),
            Attr("secret_id", Raw("each.value.entry")),
        ]),
        resource(
            "aws_elasticache_user", "this",
            block("authentication_mode", type="password",
                  passwords=[Raw("jsondecode(data.aws_secretsmanager_secret_version.user[each.key].secret_string)[each.value.property]")]),
            for_each=Raw("var.users"),
            user_id=Raw("each.key"),
            user_name=Raw("each.value.name"),
            engine="redis",
            access_string=Raw("each.value.access"),
        ),
        resource(
            "aws_elasticache_user_group", "this",
            user_group_id=Raw("var.identifier"),
            engine="redis",
            user_ids=Raw("[for user in aws_elasticache_user.this : user.user_id]"),
        ),
        resource("aws_elasticache_subnet_group", "this", name=Raw("var.identifier"), subnet_ids=Raw("var.subnet_ids")),
        *_network("redis", "var.port"),
        resource(
            "aws_elasticache_replication_group", "this",
            replication_group_id=Raw("var.identifier"),
            description=Raw('"${var.identifier}: cache and stream bus"'),
            engine="redis",
            engine_version=Raw("var.engine_version"),
            node_type=Raw("var.node_type"),
            port=Raw("var.port"),
            num_cache_clusters=Raw("var.multi_az ? 2 : 1"),
            automatic_failover_enabled=Raw("var.multi_az"),
            multi_az_enabled=Raw("var.multi_az"),
            subnet_group_name=Raw("aws_elasticache_subnet_group.this.name"),
            security_group_ids=[Raw("aws_security_group.this.id")],
            at_rest_encryption_enabled=True,
            kms_key_id=Raw("var.kms_key_arn"),
            transit_encryption_enabled=True,
            user_group_ids=[Raw("aws_elasticache_user_group.this.user_group_id")],
            snapshot_retention_limit=Raw("var.snapshot_retention_days"),
            snapshot_window="01:00-02:00",
            maintenance_window="sun:04:30-sun:05:30",
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            skip={"CKV2_AWS_50": "Multi-AZ with automatic failover is set per environment from the catalogue (cloud.environments.<env>.high_availability): on in production"},
        ),
    ]
    variables = [
        variable("identifier", "string", "Replication group id"),
        variable("engine_version", "string", "Redis OSS version"),
        variable("node_type", "string", "Node type"),
        variable("multi_az", "bool", "A replica in a second zone with automatic failover"),
        variable("snapshot_retention_days", "number", "Days of daily snapshots"),
        variable("users", "map(object({ name = string, access = string, entry = string, property = string }))",
                 "User id => Redis user name, ACL access string, and the Secrets Manager entry and JSON property holding its password"),
        variable("port", "number", "Listening port"),
        variable("vpc_id", "string", "The VPC"),
        variable("subnet_ids", "list(string)", "Data subnets"),
        variable("client_cidrs", "list(string)", "Private (node) subnets allowed to connect"),
        variable("kms_key_arn", "string", "Key for data at rest"),
    ]
    outputs = [output("address", "aws_elasticache_replication_group.this.primary_endpoint_address", "Primary endpoint host name")]
    return {"main.tf": main, "variables.tf": variables, "outputs.tf": outputs}



def restore_target() -> dict[str, list]:
    """modules/restore-target, in the backup region: where a region-loss restore of the database lands
    (a DB subnet group named like the primary, in the data subnets, and its security group)."""
    main = [
        resource("aws_db_subnet_group", "this", name=Raw("var.identifier"), subnet_ids=Raw("var.subnet_ids")),
        *_network("postgres", "var.port", {"CKV2_AWS_5": "attached by the region-loss restore (runbook disaster-recovery: --vpc-security-group-ids); nothing runs here before"}),
    ]
    variables = [
        variable("identifier", "string", "The primary's RDS identifier (the restored instance takes it)"),
        variable("port", "number", "PostgreSQL port"),
        variable("vpc_id", "string", "The backup region's VPC"),
        variable("subnet_ids", "list(string)", "Its data subnets"),
        variable("client_cidrs", "list(string)", "Its private (node) subnets allowed to connect"),
    ]
    outputs = [
        output("subnet_group", "aws_db_subnet_group.this.name", "--db-subnet-group-name of the restore"),
        output("security_group_id", "aws_security_group.this.id", "--vpc-security-group-ids of the restore"),
    ]
    return {"main.tf": main, "variables.tf": variables, "outputs.tf": outputs}
