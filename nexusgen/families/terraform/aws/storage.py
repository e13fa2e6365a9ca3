"""modules/kms, modules/bucket, modules/registry, modules/secrets: keys, S3, ECR, Secrets Manager."""

from __future__ import annotations

from nexusgen.families.terraform.aws.common import Block, Call, Comment, Raw, block, condition, output, policy_document, principals, resource, statement, variable

from nexusgen.plan.cloud import MOVING_TAGS

KEY_ADMIN_SKIP = "A key policy's resource is always the key itself ('*' means this key); the account root keeps administration so the key cannot become unmanageable"


def kms() -> dict[str, list]:
    """One customer-managed key per environment and region, rotated yearly."""
    root = principals("AWS", [Raw('"arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"')])
    logs = principals("Service", [Raw('"logs.${data.aws_region.current.region}.amazonaws.com"')])
    main = [
        Block("data", ("aws_caller_identity", "current"), []),
        Block("data", ("aws_region", "current"), []),
        Block(
            "data", ("aws_iam_policy_document", "key"),
            [
                Comment(f"checkov:skip=CKV_AWS_109:{KEY_ADMIN_SKIP}"),
                Comment(f"checkov:skip=CKV_AWS_111:{KEY_ADMIN_SKIP}"),
                Comment(f"checkov:skip=CKV_AWS_356:{KEY_ADMIN_SKIP}"),
                statement(["kms:*"], ["*"], "AccountAdministers", principals=root),
                statement(
                    ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"], ["*"], "CloudWatchLogsEncrypt",
                    condition("ArnLike", "kms:EncryptionContext:aws:logs:arn", [Raw('"arn:aws:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:*"')]),
                    principals=logs,
                ),
            ],
        ),
        resource(
            "aws_kms_key", "this",
            description=Raw("var.description"),
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=Raw("data.aws_iam_policy_document.key.json"),
        ),
        resource("aws_kms_alias", "this", name=Raw('"alias/${var.name}"'), target_key_id=Raw("aws_kms_key.this.key_id")),
    ]
    variables = [variable("name", "string", "Alias of the key (alias/<name>)"), variable("description", "string", "What the key protects")]
    outputs = [output("arn", "aws_kms_key.this.arn", "The key")]
    return {"main.tf": main, "variables.tf": variables, "outputs.tf": outputs}


def _bucket_resources(name: str, bucket: str, sse: dict, expire_days: str | None, logging: bool, skip: dict[str, str]) -> list:
    ref = f"aws_s3_bucket.{name}"
    rules = [
        block("filter"),
        block("abort_incomplete_multipart_upload", days_after_initiation=7),
        block("noncurrent_version_expiration", noncurrent_days=Raw("var.noncurrent_days")),
    ]
    if expire_days:
        rules.insert(1, block("expiration", days=Raw(expire_days)))
    out = [
        resource("aws_s3_bucket", name, bucket=Raw(bucket), skip=skip),
        resource("aws_s3_bucket_ownership_controls", name, block("rule", object_ownership="BucketOwnerEnforced"), bucket=Raw(f"{ref}.id")),
        resource("aws_s3_bucket_public_access_block", name, bucket=Raw(f"{ref}.id"), block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True),
        resource("aws_s3_bucket_versioning", name, block("versioning_configuration", status="Enabled"), bucket=Raw(f"{ref}.id")),
        resource(
            "aws_s3_bucket_server_side_encryption_configuration", name,
            block("rule", block("apply_server_side_encryption_by_default", **sse), bucket_key_enabled=True),
            bucket=Raw(f"{ref}.id"),
        ),
        resource("aws_s3_bucket_lifecycle_configuration", name, block("rule", *rules, id="expire", status="Enabled"), bucket=Raw(f"{ref}.id")),
        policy_document(
            f"{name}_tls",
            statement(
                ["s3:*"], [Raw(f"{ref}.arn"), Raw(f'"${{{ref}.arn}}/*"')], "DenyInsecureTransport",
                condition("Bool", "aws:SecureTransport", ["false"]),
                principals=principals("*", ["*"]), effect="Deny",
            ),
        ),
        resource("aws_s3_bucket_policy", name, bucket=Raw(f"{ref}.id"), policy=Raw(f"data.aws_iam_policy_document.{name}_tls.json")),
    ]
    if logging:
        out.append(resource("aws_s3_bucket_logging", name, bucket=Raw(f"{ref}.id"), target_bucket=Raw("aws_s3_bucket.logs.id"), target_prefix="s3/"))
    return out


def bucket() -> dict[str, list]:
    """A private, versioned, KMS-encrypted bucket and the bucket that receives its access logs."""
    no_events = "Nothing consumes object events of this bucket"
    main = [
        *_bucket_resources(
            "this", "var.name", {"sse_algorithm": "aws:kms", "kms_master_key_id": Raw("var.kms_key_arn")}, "var.expire_days", True,
            {"CKV2_AWS_62": no_events, "CKV_AWS_144": "Versioned in one region; what it holds is rebuilt from git (state by import, reports by a rerun), see README"},
        ),
        *_bucket_resources(
            "logs", '"${var.name}-access-logs"', {"sse_algorithm": "AES256"}, "var.log_expire_days", False,
            {
                "CKV_AWS_18": "This is the access-log bucket; logging it into itself would loop",
                "CKV_AWS_145": "S3 server access logging delivers only to SSE-S3 buckets (S3 user guide, 'Enabling Amazon S3 server access logging')",
                "CKV2_AWS_62": no_events,
                "CKV_AWS_144": "Access logs are kept in the region they describe",
            },
        ),
    ]
    variables = [
        variable("name", "string", "Bucket name (globally unique)"),
        variable("kms_key_arn", "string", "Key that encrypts objects"),
        variable("expire_days", "number", "Days current objects are kept"),
        variable("noncurrent_days", "number", "Days replaced object versions are kept", 90),
        variable("log_expire_days", "number", "Days access logs are kept", 365),
    ]
    outputs = [output("id", "aws_s3_bucket.this.id", "Bucket name"), output("arn", "aws_s3_bucket.this.arn", "Bucket ARN")]
    return {"main.tf": main, "variables.tf": variables, "outputs.tf": outputs}


def lifecycle_policy(keep: int, untagged_days: int) -> Call:
    """ECR lifecycle rules (ECR user guide, 'Lifecycle policy parameters'): untagged images go after
    ``untagged_days``; beyond the newest ``keep`` images, the oldest go (the 'any' rule comes last)."""
    return Call("jsonencode", {"rules": [
        {"rulePriority": 1, "description": f"Expire untagged images after {untagged_days} days",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": untagged_days},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "description": f"Keep the newest {keep} images",
         "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
         "action": {"type": "expire"}},
    ]})


def registry(keep: int = 200, untagged_days: int = 7) -> dict[str, list]:
    """ECR in the shared account: every tag immutable except the moving ones main's images job
    re-points (``latest`` and the branch, plan.cloud.MOVING_TAGS); the environments' accounts pull."""
    main = [
        resource(
            "aws_ecr_repository", "this",
            block("image_scanning_configuration", scan_on_push=True),
            block("encryption_configuration", encryption_type="KMS", kms_key=Raw("var.kms_key_arn")),
            # ECR API ImageTagMutabilityExclusionFilter: filterType WILDCARD is the only type.
            *[block("image_tag_mutability_exclusion_filter", filter=tag, filter_type="WILDCARD") for tag in MOVING_TAGS],
            skip={"CKV_AWS_51": "sha-<commit> and version tags are immutable; only the moving tags (latest, main) are excluded"},
            for_each=Raw("toset(var.repositories)"),
            name=Raw("each.value"),
            image_tag_mutability="IMMUTABLE_WITH_EXCLUSION",
        ),
        resource("aws_ecr_lifecycle_policy", "this", for_each=Raw("aws_ecr_repository.this"), repository=Raw("each.value.name"), policy=lifecycle_policy(keep, untagged_days)),
        policy_document(
            "pull",
            statement(
                ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], None, "PullFromTheClusterAccounts",
                principals=principals("AWS", Raw('[for account in var.pull_accounts : "arn:aws:iam::${account}:root"]')),
            ),
        ),
        resource("aws_ecr_repository_policy", "this", for_each=Raw("aws_ecr_repository.this"), repository=Raw("each.value.name"),
                 policy=Raw("data.aws_iam_policy_document.pull.json")),
    ]
    variables = [
        variable("repositories", "list(string)", "One repository per image the pipeline builds"),
        variable("kms_key_arn", "string", "Key that encrypts the images"),
        variable("pull_accounts", "list(string)", "Accounts whose nodes pull the images (each cluster environment's)"),
    ]
    outputs = [
        output("arns", "[for repo in aws_ecr_repository.this : repo.arn]", "Repository ARNs (what the push roles may push to)"),
        output("urls", "{ for name, repo in aws_ecr_repository.this : name => repo.repository_url }", "Repository URLs by name"),
    ]
    return {"main.tf": main, "variables.tf": variables, "outputs.tf": outputs}


def secrets() -> dict[str, list]:
    """Entries by name only: values are put by operators (README), never by Terraform."""
    main = [
        resource(
            "aws_secretsmanager_secret", "this",
            for_each=Raw("var.secrets"),
            name=Raw("each.key"),
            description=Raw("each.value"),
            kms_key_id=Raw("var.kms_key_arn"),
            recovery_window_in_days=30,
            skip={"CKV2_AWS_57": "Exchange keys, bot tokens and webhooks are issued by third parties: no rotation Lambda can mint them; rotation is the operator procedure in README"},
        ),
    ]
    variables = [
        variable("secrets", "map(string)", "Secret name (the catalogue's store path) => description"),
        variable("kms_key_arn", "string", "Key that encrypts the values"),
    ]
    outputs = [output("arns", "{ for name, secret in aws_secretsmanager_secret.this : name => secret.arn }", "Secret ARNs by name")]
    return {"main.tf": main, "variables.tf": variables, "outputs.tf": outputs}
