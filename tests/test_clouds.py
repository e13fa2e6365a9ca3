"""Clusters on AWS, GCP and Azure (issue 19, item 6): the model refuses one cloud's fields on
another's cluster, each deploy job logs in with GitHub's OIDC token through that cloud's own
actions (pinned in the catalogue's ``actions:``), and workload identities reach the ServiceAccounts."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path, PurePosixPath

import pytest
import yaml
from pydantic import TypeAdapter, ValidationError

from conftest import ROOT, tool
from nexusgen import pipeline
from nexusgen.catalogue import parse
from nexusgen.catalogue.model.clusters import AwsCluster, AzureCluster, Cluster, GcpCluster

CASES = ROOT / "tests" / "cases"
CATALOGUES = {"aws": CASES / "minimal" / "services.yaml", "gcp": CASES / "cloud-gcp" / "services.yaml",
              "azure": CASES / "cloud-azure" / "services.yaml"}
CLOUD_ACTIONS = {
    "aws": ["aws-actions/configure-aws-credentials"],
    "gcp": ["google-github-actions/auth", "google-github-actions/get-gke-credentials"],
    "azure": ["azure/login", "azure/use-kubelogin", "azure/aks-set-context"],
}
DEPLOY_JOBS = {"main": "deploy-staging", "release": "deploy-production"}
ADAPTER = TypeAdapter(Cluster)
COMMON = {"name": "shop", "api_server_cidrs": ["10.0.0.0/24"]}
AWS = {**COMMON, "region": "eu-west-1", "deploy_role": "arn:aws:iam::123456789012:role/deploy"}
GCP = {**COMMON, "provider": "gcp", "project": "shop-prod-4711", "location": "europe-west1",
       "workload_identity_provider": "projects/123456789/locations/global/workloadIdentityPools/github/providers/github",
       "service_account": "deploy@shop-prod-4711.iam.gserviceaccount.com"}
AZURE = {**COMMON, "provider": "azure", "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
         "subscription_id": "0b1f6471-1bf0-4dda-aec3-cb9272f09590", "client_id": "6b3c5b1f-4d2e-4a9f-8c7b-2e3f40516273",
         "resource_group": "rg-shop"}


def _errors(data: dict) -> dict[tuple, str]:
    with pytest.raises(ValidationError) as exc:
        ADAPTER.validate_python(data)
    return {tuple(p for p in e["loc"] if not str(p).startswith("[")): e["type"] for e in exc.value.errors()}


def test_no_provider_is_the_old_aws_form():
    assert type(ADAPTER.validate_python(AWS)) is AwsCluster
    assert ADAPTER.validate_python(AWS) == ADAPTER.validate_python({**AWS, "provider": "aws"})
    assert type(ADAPTER.validate_python(GCP)) is GcpCluster
    assert type(ADAPTER.validate_python(AZURE)) is AzureCluster


@pytest.mark.parametrize("location", ["europe-west1", "us-central1", "europe-west1-b", "asia-southeast1-a"])
def test_gcp_region_or_zone_accepted_for_gcp_refused_for_aws(location):
    assert ADAPTER.validate_python({**GCP, "location": location}).location == location
    assert _errors({**AWS, "region": location}) == {("region",): "value_error"}


def test_aws_region_refused_for_gcp():
    assert _errors({**GCP, "location": "eu-west-1"}) == {("location",): "value_error"}


@pytest.mark.parametrize("data, foreign", [
    ({**GCP, "deploy_role": AWS["deploy_role"]}, "deploy_role"),
    ({**GCP, "region": "europe-west1"}, "region"),
    ({**GCP, "tenant_id": AZURE["tenant_id"]}, "tenant_id"),
    ({**AZURE, "project": GCP["project"]}, "project"),
    ({**AZURE, "region": "westeurope"}, "region"),
    ({**AWS, "service_account": GCP["service_account"]}, "service_account"),
    ({**AWS, "resource_group": "rg-shop"}, "resource_group"),
])
def test_fields_of_another_provider_are_refused(data, foreign):
    assert _errors(data) == {(foreign,): "extra_forbidden"}


def test_unknown_provider_and_malformed_ids_are_refused():
    assert _errors({**AWS, "provider": "oracle"}) == {(): "cluster_provider"}
    assert _errors({**AZURE, "tenant_id": "not-a-guid"}) == {("tenant_id",): "value_error"}
    wip = "projects/my-project/locations/global/workloadIdentityPools/github/providers/github"  # a number, not an id
    assert _errors({**GCP, "workload_identity_provider": wip}) == {("workload_identity_provider",): "value_error"}
    assert _errors({**GCP, "workload_identities": {"api": AWS["deploy_role"]}}) == {
        ("workload_identities", "api"): "value_error"}


def _workflows(provider: str) -> tuple[dict, dict[str, str]]:
    rendered = pipeline.render_memory(CATALOGUES[provider])
    texts = {name: rendered[PurePosixPath(f".github/workflows/{name}.yml")].decode() for name in ("pr", "main", "release")}
    return {name: yaml.safe_load(text) for name, text in texts.items()}, texts


def _login(steps: list[dict]) -> list[dict]:
    """The steps after the pushed digests, up to the one that yields the kubeconfig (``id: cluster``)."""
    start = next(i for i, s in enumerate(steps) if s["name"] == "Pushed digests") + 1
    end = next(i for i, s in enumerate(steps) if s.get("id") == "cluster") + 1
    return steps[start:end]


def _action(uses: str) -> str:
    return uses.split("@")[0]


def expected_login(provider: str, env: str) -> list[dict]:
    cluster = getattr(parse(CATALOGUES[provider].read_bytes(), "services.yaml").environments, env).cluster
    if provider == "aws":
        return [
            {"name": "AWS credentials (OIDC)", "uses": "aws-actions/configure-aws-credentials",
             "with": {"role-to-assume": cluster.deploy_role, "role-session-name": f"nexus-{env}-${{{{ github.run_id }}}}",
                      "aws-region": cluster.region}},
            {"name": "Kubeconfig", "id": "cluster", "env": {"CLUSTER": cluster.name, "REGION": cluster.region},
             "run": 'aws eks update-kubeconfig --name "$CLUSTER" --region "$REGION"'},
        ]
    if provider == "gcp":
        return [
            {"name": "Google Cloud credentials (OIDC, Workload Identity Federation)", "uses": "google-github-actions/auth",
             "with": {"project_id": cluster.project, "workload_identity_provider": cluster.workload_identity_provider,
                      "service_account": cluster.service_account}},
            {"name": "Kubeconfig", "id": "cluster", "uses": "google-github-actions/get-gke-credentials",
             "with": {"project_id": cluster.project, "location": cluster.location, "cluster_name": cluster.name}},
        ]
    return [
        {"name": "Azure credentials (OIDC, federated credential)", "uses": "azure/login",
         "with": {"client-id": cluster.client_id, "tenant-id": cluster.tenant_id, "subscription-id": cluster.subscription_id}},
        {"name": "Set up kubelogin", "uses": "azure/use-kubelogin", "with": {"kubelogin-version": "v0.2.19"}},
        {"name": "Kubeconfig", "id": "cluster", "uses": "azure/aks-set-context",
         "with": {"resource-group": cluster.resource_group, "cluster-name": cluster.name, "use-kubelogin": "true"}},
    ]


@pytest.mark.parametrize("provider", CATALOGUES)
def test_each_deploy_job_logs_in_with_its_clouds_actions_only(provider):
    workflows, _ = _workflows(provider)
    for workflow, job in DEPLOY_JOBS.items():
        env = job.removeprefix("deploy-")
        login = _login(workflows[workflow]["jobs"][job]["steps"])
        got = [{**s, "uses": _action(s["uses"])} if "uses" in s else s for s in login]
        assert got == expected_login(provider, env), (workflow, job)
    for name, workflow in workflows.items():
        used = {_action(s["uses"]) for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s}
        others = {a for p, actions in CLOUD_ACTIONS.items() if p != provider for a in actions}
        assert not used & others, f"{name}.yml uses another cloud's action: {sorted(used & others)}"
        if name != "pr":
            assert set(CLOUD_ACTIONS[provider]) <= used, name


@pytest.mark.parametrize("provider", CATALOGUES)
def test_id_token_only_on_the_deploy_jobs(provider):
    """No stored key: the OIDC token, and only where a job logs in to the cluster."""
    workflows, texts = _workflows(provider)
    for name, workflow in workflows.items():
        assert "id-token" not in workflow["permissions"]
        holders = {job for job, body in workflow["jobs"].items() if body.get("permissions", {}).get("id-token")}
        assert holders == ({DEPLOY_JOBS[name]} if name in DEPLOY_JOBS else set()), name
        for job in holders:
            assert workflow["jobs"][job]["permissions"] == {"contents": "read", "id-token": "write"}
        assert "secrets." not in "".join(str(s.get("with", "")) for j in workflow["jobs"].values()
                                           for s in j["steps"] if _action(s.get("uses", "")) in CLOUD_ACTIONS[provider])


@pytest.mark.parametrize("provider", CATALOGUES)
def test_cloud_actions_are_pinned_to_the_catalogues_commits(provider):
    actions = parse(CATALOGUES[provider].read_bytes(), "services.yaml").actions
    _, texts = _workflows(provider)
    seen = set()
    for text in texts.values():
        for name, sha, comment in re.findall(r"uses: ([^@\s]+)@(\S+)(?:  # (\S+))?", text):
            if name in CLOUD_ACTIONS[provider]:
                pin = actions[name]
                assert re.fullmatch(r"[0-9a-f]{40}", sha) and sha == pin.sha, name
                assert comment == pin.version, name
                seen.add(name)
    assert seen == set(CLOUD_ACTIONS[provider])


def _kustomize(out: Path, env: str, group: str) -> list[dict]:
    result = subprocess.run([tool("kubectl"), "kustomize", str(out / "k8s" / "overlays" / env / group)],
                            capture_output=True, text=True, check=True)
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def _aws_with_identity(tmp_path: Path) -> Path:
    text = CATALOGUES["aws"].read_text(encoding="utf-8").replace(
        "api_server_cidrs: [10.0.0.0/24]}",
        'api_server_cidrs: [10.0.0.0/24], workload_identities: {api: "arn:aws:iam::123456789012:role/shop-api"}}')
    path = tmp_path / "services.yaml"
    path.write_text(text, encoding="utf-8")
    return path


IDENTITY = {
    "aws": ({"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/shop-api"}, {}),
    "gcp": ({"iam.gke.io/gcp-service-account": "shop-api@shop-staging-4711.iam.gserviceaccount.com"}, {}),
    "azure": ({"azure.workload.identity/client-id": "9c8b7a65-4321-4fed-8cba-0987654321fe"},
              {"azure.workload.identity/use": "true"}),
}


@pytest.mark.parametrize("provider", CATALOGUES)
def test_workload_identity_reaches_the_service_account_and_pods(provider, tmp_path):
    catalogue = _aws_with_identity(tmp_path) if provider == "aws" else CATALOGUES[provider]
    out = tmp_path / "out"
    pipeline.render(catalogue, out)
    annotations, pod_labels = IDENTITY[provider]
    objects = {(d["kind"], d["metadata"]["name"]): d for d in _kustomize(out, "staging", "core")}
    account = objects[("ServiceAccount", "api")]
    assert {k: v for k, v in account["metadata"].get("annotations", {}).items() if "/" in k and "checkov" not in k} == annotations
    labels = objects[("Deployment", "api")]["spec"]["template"]["metadata"]["labels"]
    assert {k: v for k, v in labels.items() if k.startswith("azure.")} == pod_labels
    # a service without an identity gets neither
    data = {(d["kind"], d["metadata"]["name"]): d for d in _kustomize(out, "staging", "data")}
    assert not any(k in data[("ServiceAccount", "worker")]["metadata"].get("annotations", {}) for k in
                   ("eks.amazonaws.com/role-arn", "iam.gke.io/gcp-service-account", "azure.workload.identity/client-id"))
    worker_pod = next(d for (kind, name), d in data.items() if name == "worker" and kind in ("Deployment", "StatefulSet"))
    assert not any(k.startswith("azure.") for k in worker_pod["spec"]["template"]["metadata"]["labels"])


def test_aws_without_identities_is_unchanged():
    """The shipped form: no workload_identities, no ServiceAccount patch in any overlay."""
    rendered = pipeline.render_memory(CATALOGUES["aws"])
    patches = [data.decode() for name, data in rendered.items() if "/patches/" in str(name)]
    assert patches and not any("kind: ServiceAccount" in p for p in patches)
