"""modules/network: a VPC in three tiers. Public subnets hold only load balancers, private ones
the nodes (out through one NAT gateway per zone), data ones the databases and caches (no route
out at all). Flow logs go to an encrypted CloudWatch log group."""

from __future__ import annotations

from nexusgen.families.terraform.aws.common import Raw, assume_role, block, output, policy_document, resource, statement, variable

TIERS = ("public", "private", "data")
# What the AWS Load Balancer Controller reads to choose subnets (kubernetes-sigs/aws-load-balancer-controller docs).
ELB_ROLE = {"public": "kubernetes.io/role/elb", "private": "kubernetes.io/role/internal-elb"}


def module() -> dict[str, list]:
    main = [
        resource("aws_vpc", "this", cidr_block=Raw("var.cidr"), enable_dns_support=True, enable_dns_hostnames=True, tags=Raw('{ Name = var.name }')),
        # The default security group of every VPC: stripped of its allow-all rules.
        resource("aws_default_security_group", "this", vpc_id=Raw("aws_vpc.this.id"), tags=Raw('{ Name = "${var.name}-default-deny" }')),
    ]
    for tier in TIERS:
        tags = {"Name": Raw(f'"${{var.name}}-{tier}-${{var.zones[count.index]}}"'), "Tier": tier}
        if tier in ELB_ROLE:
            tags[ELB_ROLE[tier]] = "1"
        main.append(
            resource(
                "aws_subnet", tier,
                count=Raw("length(var.zones)"),
                vpc_id=Raw("aws_vpc.this.id"),
                availability_zone=Raw("var.zones[count.index]"),
                cidr_block=Raw(f"var.{tier}_subnets[count.index]"),
                map_public_ip_on_launch=False,
                tags=tags,
            )
        )
    main += [
        resource("aws_internet_gateway", "this", vpc_id=Raw("aws_vpc.this.id"), tags=Raw('{ Name = var.name }')),
        resource("aws_eip", "nat", count=Raw("length(var.zones)"), domain="vpc", tags=Raw('{ Name = "${var.name}-nat-${var.zones[count.index]}" }')),
        resource(
            "aws_nat_gateway", "this",
            count=Raw("length(var.zones)"),
            allocation_id=Raw("aws_eip.nat[count.index].id"),
            subnet_id=Raw("aws_subnet.public[count.index].id"),
            tags=Raw('{ Name = "${var.name}-${var.zones[count.index]}" }'),
            depends_on=[Raw("aws_internet_gateway.this")],
        ),
        resource(
            "aws_route_table", "public",
            block("route", cidr_block="0.0.0.0/0", gateway_id=Raw("aws_internet_gateway.this.id")),
            vpc_id=Raw("aws_vpc.this.id"),
            tags=Raw('{ Name = "${var.name}-public" }'),
        ),
        resource(
            "aws_route_table", "private",
            block("route", cidr_block="0.0.0.0/0", nat_gateway_id=Raw("aws_nat_gateway.this[count.index].id")),
            count=Raw("length(var.zones)"),
            vpc_id=Raw("aws_vpc.this.id"),
            tags=Raw('{ Name = "${var.name}-private-${var.zones[count.index]}" }'),
        ),
        # No route out: the data tier answers the private tier and nothing else.
        resource("aws_route_table", "data", vpc_id=Raw("aws_vpc.this.id"), tags=Raw('{ Name = "${var.name}-data" }')),
    ]
    for tier, table in (("public", "aws_route_table.public.id"), ("private", "aws_route_table.private[count.index].id"), ("data", "aws_route_table.data.id")):
        main.append(
            resource(
                "aws_route_table_association", tier,
                count=Raw("length(var.zones)"),
                subnet_id=Raw(f"aws_subnet.{tier}[count.index].id"),
                route_table_id=Raw(table),
            )
        )
    main += [
        resource(
            "aws_cloudwatch_log_group", "flow",
            name=Raw('"/aws/vpc/${var.name}/flow-logs"'),
            retention_in_days=Raw("var.log_retention_days"),
            kms_key_id=Raw("var.kms_key_arn"),
        ),
        assume_role("flow_assume", "vpc-flow-logs.amazonaws.com"),
        resource("aws_iam_role", "flow", name=Raw('"${var.name}-flow-logs"'), assume_role_policy=Raw("data.aws_iam_policy_document.flow_assume.json")),
        policy_document(
            "flow",
            statement(
                ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                [Raw("aws_cloudwatch_log_group.flow.arn"), Raw('"${aws_cloudwatch_log_group.flow.arn}:*"')],
            ),
        ),
        resource("aws_iam_role_policy", "flow", name="write-flow-logs", role=Raw("aws_iam_role.flow.id"), policy=Raw("data.aws_iam_policy_document.flow.json")),
        resource(
            "aws_flow_log", "this",
            vpc_id=Raw("aws_vpc.this.id"),
            traffic_type="ALL",
            log_destination=Raw("aws_cloudwatch_log_group.flow.arn"),
            iam_role_arn=Raw("aws_iam_role.flow.arn"),
        ),
    ]
    variables = [
        variable("name", "string", "Name prefix of every network resource"),
        variable("cidr", "string", "The VPC's IPv4 range"),
        variable("zones", "list(string)", "Availability zones, one subnet of each tier in each"),
        variable("public_subnets", "list(string)", "Load balancers only, one per zone"),
        variable("private_subnets", "list(string)", "Nodes and the cluster's network interfaces, one per zone"),
        variable("data_subnets", "list(string)", "Databases and caches, one per zone; no route out"),
        variable("kms_key_arn", "string", "Key that encrypts the flow logs"),
        variable("log_retention_days", "number", "Days flow logs are kept", 365),
    ]
    outputs = [
        output("vpc_id", "aws_vpc.this.id", "The VPC"),
        output("public_subnet_ids", "aws_subnet.public[*].id", "Subnets for internet-facing load balancers"),
        output("private_subnet_ids", "aws_subnet.private[*].id", "Subnets for the cluster's nodes"),
        output("data_subnet_ids", "aws_subnet.data[*].id", "Subnets for databases and caches"),
        output("private_cidrs", "aws_subnet.private[*].cidr_block", "Where the data stores' clients are"),
    ]
    return {"main.tf": main, "variables.tf": variables, "outputs.tf": outputs}
