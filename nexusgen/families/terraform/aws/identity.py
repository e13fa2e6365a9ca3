"""modules/github-oidc (GitHub's OIDC provider) and modules/ci-role: a role one GitHub
environment's jobs assume, with the cluster access it needs. The trust names exactly one
subject, ``repo:<owner>/<repo>:environment:<env>`` (Plan.oidc_subject), so only jobs that
declare that environment (and pass its protection rules) get the role."""

from __future__ import annotations

from nexusgen.families.terraform.aws.common import Raw, block, condition, output, policy_document, principals, resource, statement, variable
from nexusgen.plan.cloud import GITHUB_OIDC_HOST

# EKS access policies (EKS user guide, "Associate access policies with access entries").
ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/"


def github_oidc() -> dict[str, list]:
    main = [
        resource(
            "aws_iam_openid_connect_provider", "github",
            url=f"https://{GITHUB_OIDC_HOST}",
            # aws-actions/configure-aws-credentials asks for this audience by default.
            client_id_list=["sts.amazonaws.com"],
        ),
    ]
    outputs = [output("arn", "aws_iam_openid_connect_provider.github.arn", "GitHub's OIDC provider in this account")]
    return {"main.tf": main, "outputs.tf": outputs}


def ci_role() -> dict[str, list]:
    main = [
        policy_document(
            "trust",
            statement(
                ["sts:AssumeRoleWithWebIdentity"], None, None,
                condition("StringEquals", f"{GITHUB_OIDC_HOST}:aud", ["sts.amazonaws.com"]),
                condition("StringEquals", f"{GITHUB_OIDC_HOST}:sub", [Raw("var.subject")]),
                principals=principals("Federated", [Raw("var.github_oidc_provider_arn")]),
            ),
        ),
        resource(
            "aws_iam_role", "this",
            name=Raw("var.name"),
            assume_role_policy=Raw("data.aws_iam_policy_document.trust.json"),
            max_session_duration=3600,
        ),
        resource("aws_iam_role_policy", "this", name=Raw("var.name"), role=Raw("aws_iam_role.this.id"), policy=Raw("var.policy_json")),
        resource(
            "aws_eks_access_entry", "this",
            count=Raw("var.cluster_name == null ? 0 : 1"),
            cluster_name=Raw("var.cluster_name"),
            principal_arn=Raw("aws_iam_role.this.arn"),
            type="STANDARD",
        ),
        resource(
            "aws_eks_access_policy_association", "this",
            block("access_scope", type=Raw('length(var.namespaces) == 0 ? "cluster" : "namespace"'), namespaces=Raw("var.namespaces")),
            count=Raw("var.cluster_name == null ? 0 : 1"),
            cluster_name=Raw("var.cluster_name"),
            principal_arn=Raw("aws_eks_access_entry.this[0].principal_arn"),
            policy_arn=Raw(f'"{ACCESS_POLICY}${{var.access_policy}}"'),
        ),
    ]
    variables = [
        variable("name", "string", "Role name (the ARN the workflows assume)"),
        variable("subject", "string", "The one OIDC subject trusted: repo:<owner>/<repo>:environment:<env> (or :ref:refs/heads/<branch>)"),
        variable("github_oidc_provider_arn", "string", "GitHub's OIDC provider in this account"),
        variable("policy_json", "string", "What the role may do in AWS"),
        variable("cluster_name", "string", "Cluster the role gets an access entry in (null: none, e.g. a registry push role)", None),
        variable("access_policy", "string", "EKS access policy name, such as AmazonEKSClusterAdminPolicy", None),
        variable("namespaces", "list(string)", "Namespaces the access policy is limited to (empty: the whole cluster)", []),
    ]
    outputs = [output("arn", "aws_iam_role.this.arn", "The role")]
    return {"main.tf": main, "variables.tf": variables, "outputs.tf": outputs}
