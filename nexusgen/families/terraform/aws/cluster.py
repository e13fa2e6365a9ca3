"""modules/cluster: the EKS cluster the overlays deploy to, its node group and OIDC provider;
modules/workload-role: one IAM role for one Kubernetes service account (IRSA)."""

from __future__ import annotations

from nexusgen.families.terraform.aws.common import Raw, assume_role, block, condition, output, policy_document, principals, resource, statement, variable

# Every control-plane log type EKS has (docs: "Amazon EKS control plane logging").
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
MANAGED = "arn:aws:iam::aws:policy/"
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")


def module() -> dict[str, list]:
    main = [
        resource(
            "aws_cloudwatch_log_group", "cluster",
            # EKS writes to exactly this name (docs: "Amazon EKS control plane logging").
            name=Raw('"/aws/eks/${var.name}/cluster"'),
            retention_in_days=Raw("var.log_retention_days"),
            kms_key_id=Raw("var.kms_key_arn"),
        ),
        assume_role("cluster_assume", "eks.amazonaws.com"),
        resource("aws_iam_role", "cluster", name=Raw('"${var.name}-cluster"'), assume_role_policy=Raw("data.aws_iam_policy_document.cluster_assume.json")),
        resource("aws_iam_role_policy_attachment", "cluster", role=Raw("aws_iam_role.cluster.name"), policy_arn=MANAGED + "AmazonEKSClusterPolicy"),
        resource(
            "aws_eks_cluster", "this",
            block("access_config", authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False),
            block(
                "vpc_config",
                subnet_ids=Raw("var.private_subnet_ids"),
                endpoint_private_access=True,
                # The API server answers inside the VPC only (the catalogue's api_server_cidrs).
                endpoint_public_access=False,
            ),
            block("encryption_config", block("provider", key_arn=Raw("var.kms_key_arn")), resources=["secrets"]),
            name=Raw("var.name"),
            version=Raw("var.kubernetes_version"),
            role_arn=Raw("aws_iam_role.cluster.arn"),
            enabled_cluster_log_types=LOG_TYPES,
            depends_on=[Raw("aws_cloudwatch_log_group.cluster"), Raw("aws_iam_role_policy_attachment.cluster")],
        ),
        # The deploy jobs' self-hosted runners (plan.cloud.runner_labels) live in the private subnets:
        # the only way to the private API endpoint besides the nodes themselves.
        resource(
            "aws_vpc_security_group_ingress_rule", "api_from_runners",
            for_each=Raw("toset(var.api_client_cidrs)"),
            security_group_id=Raw("aws_eks_cluster.this.vpc_config[0].cluster_security_group_id"),
            description="Kubernetes API from the CI runners in the private subnets",
            cidr_ipv4=Raw("each.value"),
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
        ),
        # The issuer's OIDC provider: what IRSA roles trust.
        resource(
            "aws_iam_openid_connect_provider", "cluster",
            url=Raw("aws_eks_cluster.this.identity[0].oidc[0].issuer"),
            client_id_list=["sts.amazonaws.com"],
        ),
        assume_role("node_assume", "ec2.amazonaws.com"),
        resource("aws_iam_role", "node", name=Raw('"${var.name}-node"'), assume_role_policy=Raw("data.aws_iam_policy_document.node_assume.json")),
        resource(
            "aws_iam_role_policy_attachment", "node",
            for_each=Raw("toset([" + ", ".join(f'"{p}"' for p in NODE_POLICIES) + "])"),
            role=Raw("aws_iam_role.node.name"),
            policy_arn=Raw(f'"{MANAGED}${{each.value}}"'),
        ),
        resource(
            "aws_launch_template", "node",
            block(
                "block_device_mappings",
                block("ebs", volume_size=Raw("var.node_disk_gb"), volume_type="gp3", encrypted=True, kms_key_id=Raw("var.kms_key_arn")),
                device_name="/dev/xvda",
            ),
            # IMDSv2 only, one hop: pods (which get AWS access through IRSA) cannot reach the node's role.
            block("metadata_options", http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1),
            name_prefix=Raw('"${var.name}-node-"'),
            update_default_version=True,
        ),
        resource(
            "aws_eks_node_group", "this",
            block("launch_template", id=Raw("aws_launch_template.node.id"), version=Raw("aws_launch_template.node.latest_version")),
            block("scaling_config", min_size=Raw("var.node_min"), max_size=Raw("var.node_max"), desired_size=Raw("var.node_min")),
            block("update_config", max_unavailable=1),
            block("lifecycle", ignore_changes=[Raw("scaling_config[0].desired_size")]),
            cluster_name=Raw("aws_eks_cluster.this.name"),
            node_group_name="default",
            node_role_arn=Raw("aws_iam_role.node.arn"),
            subnet_ids=Raw("var.private_subnet_ids"),
            instance_types=Raw("var.node_instance_types"),
            depends_on=[Raw("aws_iam_role_policy_attachment.node")],
        ),
    ]
    variables = [
        variable("name", "string", "Cluster name (environments.<env>.cluster.name)"),
        variable("kubernetes_version", "string", "EKS Kubernetes minor version"),
        variable("private_subnet_ids", "list(string)", "Subnets of the nodes and control-plane interfaces"),
        variable("kms_key_arn", "string", "Key for Secrets envelope encryption, logs and node volumes"),
        variable("node_instance_types", "list(string)", "Instance types of the node group"),
        variable("node_min", "number", "Fewest nodes"),
        variable("node_max", "number", "Most nodes"),
        variable("node_disk_gb", "number", "Root volume of each node"),
        variable("api_client_cidrs", "list(string)", "Subnets of the self-hosted CI runners that deploy (the private subnets)"),
        variable("log_retention_days", "number", "Days control-plane logs are kept", 365),
    ]
    outputs = [
        output("name", "aws_eks_cluster.this.name", "The cluster's name"),
        output("arn", "aws_eks_cluster.this.arn", "The cluster's ARN"),
        output("security_group_id", "aws_eks_cluster.this.vpc_config[0].cluster_security_group_id", "Security group of the nodes and control plane"),
        output("oidc_provider_arn", "aws_iam_openid_connect_provider.cluster.arn", "What IRSA roles trust"),
        output("oidc_issuer", "aws_eks_cluster.this.identity[0].oidc[0].issuer", "The service-account token issuer"),
    ]
    return {"main.tf": main, "variables.tf": variables, "outputs.tf": outputs}


def workload_role() -> dict[str, list]:
    """A role only one service account of one namespace can assume (IRSA)."""
    issuer = Raw('"${replace(var.oidc_issuer, "https://", "")}:sub"')
    audience = Raw('"${replace(var.oidc_issuer, "https://", "")}:aud"')
    main = [
        policy_document(
            "trust",
            statement(
                ["sts:AssumeRoleWithWebIdentity"], None, None,
                condition("StringEquals", issuer, [Raw('"system:serviceaccount:${var.namespace}:${var.service_account}"')]),
                condition("StringEquals", audience, ["sts.amazonaws.com"]),
                principals=principals("Federated", [Raw("var.oidc_provider_arn")]),
            ),
        ),
        resource("aws_iam_role", "this", name=Raw("var.name"), assume_role_policy=Raw("data.aws_iam_policy_document.trust.json")),
        resource(
            "aws_iam_role_policy", "this",
            count=Raw('var.policy_json == "" ? 0 : 1'),
            name=Raw("var.name"),
            role=Raw("aws_iam_role.this.id"),
            policy=Raw("var.policy_json"),
        ),
        resource(
            "aws_iam_role_policy_attachment", "managed",
            for_each=Raw("toset(var.managed_policy_arns)"),
            role=Raw("aws_iam_role.this.name"),
            policy_arn=Raw("each.value"),
        ),
    ]
    variables = [
        variable("name", "string", "Role name"),
        variable("oidc_provider_arn", "string", "The cluster's OIDC provider"),
        variable("oidc_issuer", "string", "The cluster's service-account token issuer URL"),
        variable("namespace", "string", "Namespace of the one service account that may assume the role"),
        variable("service_account", "string", "That service account"),
        variable("policy_json", "string", "Inline permissions (empty: none)", ""),
        variable("managed_policy_arns", "list(string)", "AWS managed policies to attach", []),
    ]
    outputs = [output("arn", "aws_iam_role.this.arn", "The role, for the service account's eks.amazonaws.com/role-arn annotation")]
    return {"main.tf": main, "variables.tf": variables, "outputs.tf": outputs}
