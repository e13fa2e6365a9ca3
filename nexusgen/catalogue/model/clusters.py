"""``environments.<env>.cluster``: the Kubernetes cluster of an environment on AWS (EKS), GCP (GKE) or
Azure (AKS), each with its own fields, validated strictly (README "Clusters on AWS, GCP and Azure").

``provider`` picks the shape; without it the cluster is AWS (the form every catalogue used before).
CI reaches each cluster with GitHub's OIDC token and no stored key; in-cluster workloads get cloud
access through the provider's workload identity (``workload_identities``: service -> identity).
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Discriminator, Field, Tag

from nexusgen.catalogue.model.fields import Cidr, Name, Port, Region, RoleArn, Strict, _text

# Google Cloud: project ids are 6-30 lower-case letters, digits and '-', starting with a letter; a
# location is a region (europe-west1) or a zone (europe-west1-b); pool and provider ids are 4-32.
GcpProject = _text(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", "a Google Cloud project id such as 'shop-prod-123'", 30)
GcpLocation = _text(r"^[a-z]+-[a-z]+[0-9]+(-[a-z])?$", "a Google Cloud region or zone such as 'europe-west1' or 'europe-west1-b'", 40)
GcpWorkloadIdentityProvider = _text(
    r"^projects/[0-9]{1,20}/locations/global/workloadIdentityPools/[a-z0-9-]{4,32}/providers/[a-z0-9-]{4,32}$",
    "a workload identity provider such as 'projects/123456789/locations/global/workloadIdentityPools/github/providers/github'",
    200,
)
GcpServiceAccount = _text(
    r"^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$",
    "a service account email such as 'deploy@shop-prod-123.iam.gserviceaccount.com'",
    100,
)
# Azure: tenants, subscriptions and application (client) ids are GUIDs; a resource group is 1-90
# letters, digits, '_', '-', '.', '(' and ')', not ending in '.'.
Guid = _text(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
             "a GUID such as '00000000-0000-0000-0000-000000000000' (lower case)", 36)
ResourceGroup = _text(r"^[A-Za-z0-9_().-]{0,89}[A-Za-z0-9_()-]$", "an Azure resource group name (letters, digits, '_', '-', '.', '(', ')')", 90)


class _Cluster(Strict):
    """What every provider's cluster says: its name, and where its API server and nodes answer
    (the only egress a service with `kubernetes_api` gets; Prometheus scrapes the nodes)."""

    name: Name
    api_server_cidrs: list[Cidr] = Field(min_length=1)
    api_server_port: Port = 443
    # Where the nodes' addresses lie: Prometheus scrapes the kubelets (10250) and node-exporter (9100,
    # host network) there. Empty: no such egress is allowed, and those scrapes fail.
    node_cidrs: list[Cidr] = []


class AwsCluster(_Cluster):
    """EKS: CI assumes ``deploy_role`` (aws-actions/configure-aws-credentials), then
    ``aws eks update-kubeconfig``; a workload's identity is an IAM role (IRSA)."""

    provider: Literal["aws"] = "aws"
    region: Region
    deploy_role: RoleArn
    workload_identities: dict[Name, RoleArn] = {}


class GcpCluster(_Cluster):
    """GKE: CI exchanges its token at ``workload_identity_provider`` for ``service_account``
    (google-github-actions/auth), then get-gke-credentials; a workload's identity is a Google
    service account (GKE Workload Federation through the Kubernetes service account)."""

    provider: Literal["gcp"]
    project: GcpProject
    location: GcpLocation
    workload_identity_provider: GcpWorkloadIdentityProvider
    service_account: GcpServiceAccount
    workload_identities: dict[Name, GcpServiceAccount] = {}


class AzureCluster(_Cluster):
    """AKS: CI logs in as the app registration or managed identity ``client_id`` with a federated
    credential (azure/login), then azure/aks-set-context with kubelogin; a workload's identity is
    the client id of a managed identity or app (Microsoft Entra Workload ID)."""

    provider: Literal["azure"]
    tenant_id: Guid
    subscription_id: Guid
    client_id: Guid
    resource_group: ResourceGroup
    workload_identities: dict[Name, Guid] = {}


PROVIDERS = {"aws": AwsCluster, "gcp": GcpCluster, "azure": AzureCluster}


def _provider(value: object) -> str | None:
    """The union's tag: ``[aws]`` when ``provider`` is absent (the catalogue's original, AWS-only form).
    Tags are bracketed so that catalogue.validate drops them from error locations."""
    provider = value.get("provider", "aws") if isinstance(value, dict) else getattr(value, "provider", None)
    return f"[{provider}]" if provider in PROVIDERS else None


Cluster = Annotated[
    Union[tuple(Annotated[model, Tag(f"[{name}]")] for name, model in PROVIDERS.items())],  # noqa: UP007
    Discriminator(_provider, custom_error_type="cluster_provider",
                  custom_error_message="'provider' must be 'aws' (the default), 'gcp' or 'azure'"),
]


def foreign_field(loc: tuple) -> str:
    """For an unknown field of a cluster that is another provider's field: which provider has it."""
    tags = [part for part in loc if isinstance(part, str) and part[1:-1] in PROVIDERS and part[0] == "["]
    if not tags or loc[-1] not in {f for model in PROVIDERS.values() for f in model.model_fields}:
        return ""
    mine = tags[-1][1:-1]
    owners = [name for name, model in PROVIDERS.items() if loc[-1] in model.model_fields and name != mine]
    return f" for provider {mine!r} ({loc[-1]!r} belongs to {' and '.join(repr(o) for o in owners)})" if owners else ""
