"""Terraform as rendered for the shipped catalogue (issue 18): HashiCorp's own parser reads every
file, every file is in `terraform fmt` layout, checkov finds nothing, every argument is documented
by the pinned provider, and the cross-artifact facts agree (registries, role trust, secrets)."""

from __future__ import annotations

import json
import re
import unicodedata
import subprocess
from pathlib import Path

import pygohcl
import pytest
import yaml

from conftest import CATALOGUE, ROOT, examples, tool
from nexusgen import catalogue as catalogue_io
from nexusgen.families.terraform import hcl
from nexusgen.families.terraform.aws.facts import image_path
from nexusgen.plan import build
from nexusgen.validate import terraform as tf_validate

PLAN = build(catalogue_io.parse(CATALOGUE.read_bytes(), CATALOGUE.name))
ARGUMENTS = Path(__file__).resolve().parent.parent / "nexusgen/families/terraform/aws/arguments.json"


@pytest.fixture(scope="module")
def tf_files(rendered: Path) -> dict[str, str]:
    found = {p.relative_to(rendered / "terraform").as_posix(): p.read_text() for p in sorted((rendered / "terraform").rglob("*.tf"))}
    assert {"bootstrap/main.tf", "staging/main.tf", "production/main.tf"} <= set(found)
    return found


@pytest.fixture(scope="module")
def parsed(tf_files) -> dict[str, dict]:
    return {name: pygohcl.loads(text) for name, text in tf_files.items()}


@pytest.fixture(scope="module")
def workflows(rendered: Path) -> dict[str, dict]:
    files = sorted((rendered.parent / ".github" / "workflows").glob("*.yml"))  # where render writes them
    assert files
    return {p.name: yaml.safe_load(p.read_text()) for p in files}


# --- the emitter -------------------------------------------------------------------------------


def test_every_file_parses(parsed):
    assert all(isinstance(tree, dict) and tree for tree in parsed.values())


def test_every_file_is_in_fmt_layout(tf_files):
    for name, text in tf_files.items():
        assert hcl.layout(text) == text, name


def test_layout_aligns_like_terraform_fmt():
    """The example of `terraform fmt`'s alignment: consecutive one-line attributes share a column;
    a multi-line value, a nested block, a comment or a blank line ends the group."""
    messy = 'resource "x" "y" {\n ami = "a"\n    instance_type="b"\ntags = {\n Name = "n"\n  "kubernetes.io/role" = "1"\n}\n# note\n  count=2\n}\n'
    want = (
        'resource "x" "y" {\n  ami           = "a"\n  instance_type = "b"\n  tags = {\n    Name                 = "n"\n'
        '    "kubernetes.io/role" = "1"\n  }\n  # note\n  count = 2\n}\n'
    )
    assert hcl.layout(messy) == want
    assert hcl.layout(want) == want  # idempotent


def test_layout_counts_several_openers_as_one_level():
    text = 'x = jsonencode({\n  a = [\n    1,\n  ]\n})\n'
    assert hcl.layout(text) == text


def test_emitter_output_is_a_layout_fixed_point():
    blocks = [hcl.Block("resource", ("a", "b"), [
        hcl.Attr("short", 1), hcl.Attr("a_longer_name", True), hcl.Attr("list", ["x"] * 30),
        hcl.Block("inner", (), [hcl.Attr("k", hcl.Raw("var.k"))]), hcl.BLANK,
        hcl.Attr("policy", hcl.Call("jsonencode", {"Rules": [{"n": 1, "longer": "v"}]})),
    ])]
    text = hcl.dumps(blocks)
    assert hcl.layout(text) == text
    assert pygohcl.loads(text)["resource"]["a"]["b"]["policy"]


@pytest.mark.parametrize("value", ["${var.secret}", "%{ if true }x%{ endif }", 'quote " and \\ backslash', "line\nbreak", "tab\there", "ünïcode"])
def test_strings_keep_their_meaning(value):
    """A catalogue value is never read as an interpolation or a directive, and survives escaping."""
    text = hcl.dumps([hcl.Block("locals", (), [hcl.Attr("v", value)])])
    assert pygohcl.loads(text)["locals"]["v"] == value


def test_numbers_are_finite():
    with pytest.raises(ValueError):
        hcl.dumps([hcl.Block("locals", (), [hcl.Attr("v", float("inf"))])])


# --- the provider's documented arguments ----------------------------------------------------------


def test_every_argument_is_documented_by_the_pinned_provider(parsed, rendered):
    docs = json.loads(ARGUMENTS.read_text())
    assert docs["provider"] == f"hashicorp/aws {PLAN.catalogue.cloud.provider_version}"
    root = rendered
    unknown = tf_validate.undocumented({root / "terraform" / name: tree for name, tree in parsed.items()}, root)
    assert not unknown, "\n".join(unknown)


def test_the_argument_check_can_fail():
    tree = pygohcl.loads('resource "aws_vpc" "x" {\n  cidr_blok = "10.0.0.0/16"\n}\n')
    docs = json.loads(ARGUMENTS.read_text())["types"]
    assert "cidr_blok" not in docs["resource.aws_vpc"]["arguments"]
    assert tf_validate.used_arguments(tree, docs)["resource.aws_vpc"] == {"cidr_blok"}
    nested = pygohcl.loads('resource "aws_eks_cluster" "x" {\n  vpc_config {\n    subnet_idz = []\n  }\n}\n')
    assert tf_validate.undocumented({Path("/o/terraform/x.tf"): nested}, Path("/o")) == [
        "terraform/x.tf: resource.aws_eks_cluster has no argument 'vpc_config.subnet_idz'"]


# --- checkov --------------------------------------------------------------------------------------


def test_checkov_finds_nothing_and_every_skip_has_a_reason(rendered: Path, tf_files):
    result = subprocess.run(
        [tool("checkov"), "-d", str(rendered / "terraform"), "--framework", "terraform", "--skip-download", "-o", "json"],
        capture_output=True, text=True, timeout=600,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{f['check_id']} {f['resource']}" for r in reports for f in r["results"]["failed_checks"]]
    assert not failed, failed
    assert sum(r["summary"]["passed"] for r in reports) > 100
    skips = [m for text in tf_files.values() for m in re.finditer(r"checkov:skip=([A-Z0-9_]+)(:?)(.*)", text)]
    assert skips and all(m[2] == ":" and len(m[3].strip()) > 20 for m in skips)


# --- one fact, every artifact ---------------------------------------------------------------------


def _module_calls(tree: dict, source: str) -> list[dict]:
    return [body for body in tree.get("module", {}).values() if body["source"] == f"../modules/{source}"]


_COUNT = re.compile(r"var\.(\w+) == null \? 0 : 1")
_REF = re.compile(r"(var|local|each)((?:\.\w+|\[[^\]]+\])+)")
# The two expressions of modules/environment the tests evaluate the way Terraform would:
SECRET_READS = "[for entry in concat(lookup(local.secret_reads, each.key, []), each.value.extra_entries) : module.secrets.arns[entry]]"
REDIS_USERS = '{ for name, user in local.redis[var.redis.replaces].users : "${var.environment}-${name}" => user }'


class _Env:
    """An environment root as Terraform evaluates it: its one call of modules/environment, whose
    blocks are read with the call's inputs (var.*), the module's locals and each.* substituted;
    a block with ``count = var.x == null ? 0 : 1`` exists when the root passes x, a ``for_each``
    over var.m once per key of m."""

    def __init__(self, parsed: dict, env: str):
        root = parsed[f"{env}/main.tf"]
        (self.inputs,) = root["module"].values()
        assert self.inputs["source"] == "../modules/environment"
        self.module = parsed["modules/environment/main.tf"]
        self.locals = self.module["locals"]
        self.variables = parsed["modules/environment/variables.tf"]["variable"]

    def value(self, expr, each: dict | None = None):
        if isinstance(expr, list):
            return [self.value(e, each) for e in expr]
        if isinstance(expr, dict):
            return {k: self.value(v, each) for k, v in expr.items()}
        match = _REF.fullmatch(expr) if isinstance(expr, str) else None
        if match is None:
            return expr
        node = {"var": self.inputs, "local": self.locals, "each": each}[match[1]]
        for name, index in re.findall(r"\.(\w+)|\[([^\]]+)\]", match[2]):
            node = node[name or self.value(index, each)]
        return node

    def instances(self, body: dict) -> list[dict | None]:
        if "count" in body:
            return [None] if _COUNT.fullmatch(body["count"])[1] in self.inputs else []
        if "for_each" in body:
            return [{"key": k, "value": v} for k, v in self.value(body["for_each"]).items()]
        return [None]

    def blocks(self, kind: str) -> dict[str, list[tuple[dict | None, dict]]]:
        """name -> [(each, resolved body)] of the module's ``module`` blocks, or of ``resource.<type>``/``data.<type>``."""
        tree = self.module
        for part in kind.split("."):
            tree = tree.get(part, {})
        out = {}
        for name, body in tree.items():
            rest = {k: v for k, v in body.items() if k not in ("count", "for_each")}
            out[name] = [(each, self.value(rest, each)) for each in self.instances(body)]
        return out

    def calls(self, source: str) -> list[dict]:
        return [body for instances in self.blocks("module").values() for _, body in instances if body["source"] == f"../{source}"]

    def secret_reads(self, each: dict, document: dict) -> set[str]:
        """The entries ``data.aws_iam_policy_document.secrets[each.key]`` grants."""
        assert document["statement"]["resources"] == SECRET_READS
        declared = self.variables["secret_readers"]["type"]
        assert "extra_entries = optional(list(string), [])" in declared  # absent means none
        return set(self.locals["secret_reads"].get(each["key"], [])) | set(each["value"].get("extra_entries", []))

    def redis_users(self, call: dict) -> dict[str, dict]:
        assert call["users"] == REDIS_USERS
        users = self.locals["redis"][self.inputs["redis"]["replaces"]]["users"]
        return {f"{self.inputs['environment']}-{name}": user for name, user in users.items()}


def _calls(parsed: dict, root: str, source: str) -> list[dict]:
    """The calls of modules/<source> a root makes: directly, or through modules/environment."""
    if root in PLAN.catalogue.cloud.environments:
        return _Env(parsed, root).calls(source)
    return _module_calls(parsed[f"{root}/main.tf"], source)


def _pushed_images(workflows: dict[str, dict]) -> set[str]:
    """Repositories the workflows push: their build matrix's image list (every registry)."""
    images: set[str] = set()
    for wf in workflows.values():
        for job in wf.get("jobs", {}).values():
            include = (job.get("strategy") or {}).get("matrix", {}).get("include", [])
            for row in include if isinstance(include, list) else []:
                for image in str(row.get("images", row.get("image", ""))).split():
                    images.add(image)
    assert images
    return images


def _logged_in_registries(workflows: dict[str, dict]) -> dict[str, set[str]]:
    """Job name -> the ECR hosts it logs in to: amazon-ecr-login after configure-aws-credentials,
    whose role's account and region make the host."""
    out: dict[str, set[str]] = {}
    for wf in workflows.values():
        for name, job in wf.get("jobs", {}).items():
            role = None
            for step in job.get("steps", []):
                uses = str(step.get("uses", ""))
                if uses.startswith("aws-actions/configure-aws-credentials@"):
                    role = step["with"]
                elif uses.startswith("aws-actions/amazon-ecr-login@"):
                    assert role, f"job {name} logs in to ECR before it has credentials"
                    account = role["role-to-assume"].split(":")[4]
                    out.setdefault(name, set()).add(f"{account}.dkr.ecr.{role['aws-region']}.amazonaws.com")
    return out


def _images_in_overlays(rendered: Path) -> set[str]:
    names = set()
    for path in (rendered / "k8s" / "overlays").rglob("kustomization.yaml"):
        names |= {image["newName"] for image in (yaml.safe_load(path.read_text()).get("images") or [])}
    return names


def test_registries_are_the_images_the_workflows_push_and_the_overlays_pull(parsed, workflows, rendered):
    """One registry (the shared account's ECR): Terraform's repositories == what main's images job
    pushes to (its matrix, on the host it logged in to with Terraform's push role) == what every
    cluster overlay pulls."""
    root = parsed["registry/main.tf"]
    (registry,) = _module_calls(root, "registry")
    (provider,) = [p for p in root["provider"]["aws"]] if isinstance(root["provider"]["aws"], list) else [root["provider"]["aws"]]
    host = f"{provider['allowed_account_ids'][0]}.dkr.ecr.{provider['region']}.amazonaws.com"
    pushed = _pushed_images(workflows)
    assert {image.split("/", 1)[0] for image in pushed} == {host}
    assert {image.split("/", 1)[1] for image in pushed} == set(registry["repositories"])
    assert _images_in_overlays(rendered) == pushed
    logged_in = _logged_in_registries(workflows)
    assert logged_in["images"] == {host} and logged_in["promote"] == {host}
    # every cluster environment's account may pull
    accounts = {PLAN.environment(env).cluster.deploy_role.split(":")[4] for env in PLAN.catalogue.cloud.environments}
    assert set(registry["pull_accounts"]) == accounts


def _subject(workflow: dict, job: dict) -> str:
    """The OIDC ``sub`` GitHub gives ``job``: its environment's, else the branch its workflow runs on."""
    environment = job.get("environment")
    environment = environment.get("name") if isinstance(environment, dict) else environment
    if environment:
        return f"repo:{PLAN.github_repository}:environment:{environment}"
    on = workflow["on"]
    branches = (on.get("push") or {}).get("branches") if isinstance(on, dict) else None
    assert branches and len(branches) == 1 and set(on) == {"push"}, "a role assumed outside an environment needs one branch trigger"
    return f"repo:{PLAN.github_repository}:ref:refs/heads/{branches[0]}"


def _assumed_roles(workflows: dict[str, dict]) -> dict[str, str]:
    """Role ARN -> the OIDC subject of the job that assumes it (one subject per role)."""
    out: dict[str, str] = {}
    for wf in workflows.values():
        for name, job in wf.get("jobs", {}).items():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials@"):
                    arn = step["with"]["role-to-assume"]
                    assert out.setdefault(arn, _subject(wf, job)) == _subject(wf, job), arn
    return out


def test_role_trust_is_the_workflows_subjects(parsed, workflows):
    trusted = {}
    roots = {env: PLAN.environment(env).cluster.deploy_role.split(":")[4] for env in PLAN.catalogue.cloud.environments}
    roots["registry"] = PLAN.catalogue.cloud.state.account_id
    for root, account in roots.items():
        for call in _calls(parsed, root, "ci-role"):
            trusted[f"arn:aws:iam::{account}:role/{call['name']}"] = call["subject"]
    assert trusted == _assumed_roles(workflows)
    assert f"repo:{PLAN.github_repository}:ref:refs/heads/main" in trusted.values()  # main's images job


def test_the_trust_is_exact_in_the_module(parsed):
    trust = parsed["modules/ci-role/main.tf"]["data"]["aws_iam_policy_document"]["trust"]["statement"]
    conditions = trust["condition"] if isinstance(trust["condition"], list) else [trust["condition"]]
    sub = [c for c in conditions if c["variable"].endswith(":sub")]
    assert sub and all(c["test"] == "StringEquals" for c in sub)  # never StringLike with a wildcard


def test_secret_entries_are_the_external_secrets_remote_refs(rendered: Path, parsed):
    refs = set()
    for path in (rendered / "k8s").rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "ExternalSecret":
                refs |= {item["remoteRef"]["key"] for item in doc["spec"].get("data", [])}
    assert refs
    cloud_only: set[str] = set()  # every entry Terraform names is one a cluster reads (RBAC users replaced the AUTH token)
    for env in PLAN.catalogue.cloud.environments:
        (secrets,) = _calls(parsed, env, "secrets")
        names = set(secrets["secrets"])
        assert names == {s.path for s in PLAN.secrets.values()}  # the catalogue's and the derived ones
        assert {c.path for c in PLAN.credentials} <= names  # every service's own data-store user
        assert refs <= names and names - refs <= cloud_only | _unreferenced_catalogue_paths(refs)


def _unreferenced_catalogue_paths(refs: set[str]) -> set[str]:
    return {s.path for s in PLAN.secrets.values()} - refs


@pytest.mark.parametrize("env", ["staging", "production"])
def test_each_namespace_reads_only_its_own_secrets(built, parsed, env):
    """Every namespace's ExternalSecrets go through its own SecretStore, whose ServiceAccount's
    IRSA role (Terraform) is trusted for exactly that account and reads exactly the entries those
    ExternalSecrets name: no namespace can read another's."""
    tree = _Env(parsed, env)
    account = PLAN.environment(env).cluster.deploy_role.split(":")[4]
    roles = {}
    documents = {each["key"]: body for each, body in tree.blocks("data.aws_iam_policy_document")["secrets"]}
    readers = tree.blocks("module")["secrets_reader"]
    assert readers and [each["key"] for each, _ in readers] == list(documents)
    for each, call in readers:
        assert call["source"] == "../workload-role" and call["policy_json"] == "data.aws_iam_policy_document.secrets[each.key].json"
        paths = tree.secret_reads(each, documents[each["key"]])
        roles[(call["namespace"], call["service_account"])] = (f"arn:aws:iam::{account}:role/{call['name']}", paths)
    read: dict[str, set[str]] = {}
    stores, accounts = {}, {}
    for doc in built[env]:
        ns = doc["metadata"].get("namespace")
        if doc["kind"] == "ExternalSecret":
            assert doc["spec"]["secretStoreRef"]["kind"] == "SecretStore"
            read.setdefault(ns, set()).update(item["remoteRef"]["key"] for item in doc["spec"].get("data", []))
            stores.setdefault(ns, set()).add(doc["spec"]["secretStoreRef"]["name"])
        elif doc["kind"] == "SecretStore":
            accounts[(ns, doc["metadata"]["name"])] = doc["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]["name"]
    assert read and set(read) == {ns for ns, _ in roles}
    for ns, paths in read.items():
        (store,) = stores[ns]
        sa = accounts[(ns, store)]
        role, allowed = roles[(ns, sa)]
        assert allowed == paths, ns
        account_doc = next(d for d in built[env] if d["kind"] == "ServiceAccount" and d["metadata"]["namespace"] == ns and d["metadata"]["name"] == sa)
        assert account_doc["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == role
    conditions = parsed["modules/workload-role/main.tf"]["data"]["aws_iam_policy_document"]["trust"]["statement"]["condition"]
    sub = [c for c in conditions if c["variable"].endswith(":sub")]  # pygohcl reads "${x}" as x
    assert sub == [{"test": "StringEquals", "values": ["system:serviceaccount:var.namespace:var.service_account"],
                    "variable": sub[0]["variable"]}]


def test_data_stores_live_in_the_data_subnets_and_production_is_multi_az(parsed):
    for env, ce in PLAN.catalogue.cloud.environments.items():
        (pg,) = _calls(parsed, env, "postgres")
        assert pg["subnet_ids"] == "module.network.data_subnet_ids"
        assert pg["multi_az"] is ce.high_availability
        assert pg["backup_retention_days"] == ce.postgres.backup_retention_days
    assert PLAN.catalogue.cloud.environments["production"].high_availability
    db = parsed["modules/postgres/main.tf"]["resource"]["aws_db_instance"]["this"]
    assert db["storage_encrypted"] and db["deletion_protection"] and not db["publicly_accessible"]
    assert "password" not in db  # write-only: never in state
    network = parsed["modules/network/main.tf"]["resource"]
    assert network["aws_route_table"]["data"].get("route") is None  # the data tier has no way out
    assert network["aws_subnet"]["public"]["map_public_ip_on_launch"] is False


# --- the restore drill -----------------------------------------------------------------------------


def test_drill_runs_the_catalogue_query_against_the_rto(workflows):
    drill = workflows["restore-drill.yml"]
    job = drill["jobs"]["drill"]
    recovery = PLAN.catalogue.cloud.recovery
    assert drill["on"]["schedule"] == [{"cron": recovery.drill_schedule}]
    assert job["env"]["CHECK_QUERY"] == recovery.check_query
    assert job["env"]["RTO_SECONDS"] == str(recovery.rto_critical_minutes * 60)
    assert job["env"]["RPO_SECONDS"] == str(recovery.rpo_minutes * 60)
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "restore-db-instance-to-point-in-time" in runs and "delete-db-instance" in runs
    destroy = next(s for s in job["steps"] if "delete-db-instance" in s.get("run", ""))
    assert destroy["if"] == "always()"
    pin = PLAN.catalogue.actions["aws-actions/configure-aws-credentials"]
    assert job["steps"][0]["uses"] == f"aws-actions/configure-aws-credentials@{pin.sha}"
    text = (ROOT / ".github" / "workflows" / "restore-drill.yml").read_text()
    assert f"uses: aws-actions/configure-aws-credentials@{pin.sha}  # {pin.version}\n" in text  # the release, as in every workflow


def test_any_string_round_trips_through_hcl():
    """Property: whatever text a catalogue holds, the HCL string reads back as that text."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=examples(300), deadline=None)
    @given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
    def check(value: str) -> None:
        if not unicodedata.is_normalized("NFC", value):  # HCL normalizes to NFC: refused, never changed
            with pytest.raises(ValueError):
                hcl.string(value)
            return
        text = hcl.dumps([hcl.Block("locals", (), [hcl.Attr("v", value)])])
        assert hcl.layout(text) == text
        assert pygohcl.loads(text)["locals"]["v"] == value

    check()


def test_managed_stores_have_the_stable_names_the_plan_gives(parsed):
    from nexusgen.plan import cloud

    for env, ce in PLAN.catalogue.cloud.environments.items():
        records = [body for instances in _Env(parsed, env).blocks("resource.aws_route53_record").values() for _, body in instances]
        stores = {s.replaces: kind for kind, s in (("postgres", ce.postgres), ("redis", ce.redis)) if s}
        assert {r["name"]: r["records"] for r in records} == {
            cloud.managed_host(PLAN.project, env, infra): [f"module.{kind}[0].address"] for infra, kind in stores.items()
        }


def test_drill_pod_and_its_egress_are_valid_kubernetes(workflows):
    """The check pod passes Pod Security `restricted` shape and both objects validate strictly (1.33)."""
    import kubernetes_validate

    env = workflows["restore-drill.yml"]["jobs"]["drill"]["env"]
    policy = json.loads(env["EGRESS_POLICY"])
    kubernetes_validate.validate(policy, "1.33.0", strict=True)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "restore-drill-1"}, **json.loads(env["POD_OVERRIDES"])}
    kubernetes_validate.validate(pod, "1.33.0", strict=True)
    container = pod["spec"]["containers"][0]
    assert pod["spec"]["securityContext"]["runAsNonRoot"] and container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert {e["name"] for e in container["env"]}.isdisjoint({"PGPASSWORD"})  # the password comes on stdin
    from nexusgen.plan import cloud

    data = cloud.subnets(PLAN.catalogue.cloud.environments[PLAN.catalogue.cloud.recovery.drill_environment]).data
    assert [b["ipBlock"]["cidr"] for b in policy["spec"]["egress"][0]["to"]] == list(data)


# --- managed data stores: the overlays use what Terraform creates -------------------------------


def _managed(env: str) -> dict[str, str]:
    from nexusgen.plan import cloud

    return cloud.managed_stores(PLAN.catalogue.cloud, env)


def _records(parsed: dict, env: str) -> dict[str, str]:
    """Terraform's CNAMEs in the private zone: host -> the module output it points at."""
    records = _Env(parsed, env).blocks("resource.aws_route53_record")
    return {r["name"]: r["records"][0] for instances in records.values() for _, r in instances}


@pytest.mark.parametrize("env", ["staging", "production"])
def test_overlay_hosts_are_terraform_records(built, parsed, env):
    """Every <INFRA>_HOST a service gets, and every exporter's endpoint, is a record Terraform
    writes (pointing at the store that replaces it); REDIS_TLS is on for ElastiCache."""
    managed = _managed(env)
    assert managed, "the shipped catalogue manages its stores in both cloud environments"
    records = _records(parsed, env)
    seen = set()
    for doc in built[env]:
        if doc["kind"] != "ConfigMap":
            continue
        for var, value in (doc.get("data") or {}).items():
            for infra, kind in managed.items():
                if var == f"{infra.upper()}_HOST":
                    assert records[value] == f"module.{kind}[0].address", (doc["metadata"]["name"], var)
                    seen.add(infra)
    assert seen == set(managed)
    for doc in built[env]:
        if doc["kind"] == "StatefulSet" and doc["metadata"]["name"] in managed:
            infra = doc["metadata"]["name"]
            containers = doc["spec"]["template"]["spec"]["containers"]
            assert [c["name"] for c in containers] == [f"{infra}-exporter"]  # the store itself is in AWS
            endpoints = [e["value"] for e in containers[0]["env"] if "value" in e and "internal" in e["value"]]
            host = next(h for h in records if h.startswith(f"{infra}."))
            assert endpoints and all(host in e for e in endpoints)
            assert all("sslmode=require" in e or e.startswith("rediss://") for e in endpoints)
    redis = [i for i, k in managed.items() if k == "redis"]
    for name in PLAN.services:
        for infra in redis:
            if infra in PLAN.depends_on(name, "infrastructure"):
                assert PLAN.env(name, env)[f"{infra.upper()}_TLS"] == "true"


@pytest.mark.parametrize("env", ["staging", "production"])
def test_egress_to_managed_stores_is_the_data_subnets(built, parsed, env):
    """Traffic to a managed store goes to Terraform's data subnets on the store's port, and no
    policy still points at the store's pods."""
    (network,) = _calls(parsed, env, "network")
    data = set(network["data_subnets"])
    managed = _managed(env)
    ports = {PLAN.primary_port(infra).container for infra in managed}
    found = 0
    for doc in built[env]:
        if doc["kind"] != "NetworkPolicy":
            continue
        for rule in doc["spec"].get("egress", []):
            rule_ports = {p["port"] for p in rule.get("ports", [])}
            peers = rule.get("to", [])
            pods = {p["podSelector"]["matchLabels"].get("app.kubernetes.io/name") for p in peers if "podSelector" in p}
            if rule_ports & ports:  # the exporters' metrics ports are still scraped in the cluster
                assert not pods & set(managed), doc["metadata"]["name"]
            cidrs = {p["ipBlock"]["cidr"] for p in peers if "ipBlock" in p}
            if rule_ports & ports and cidrs & data:
                assert cidrs == data, doc["metadata"]["name"]
                found += 1
    callers = {name for name in PLAN.services if set(PLAN.depends_on(name, "infrastructure")) & set(managed)}
    assert found >= len(callers)


@pytest.mark.parametrize("env", ["staging", "production"])
def test_elasticache_users_are_the_in_cluster_users(parsed, rendered, env):
    """ElastiCache's users are redis-server's: `default` with REDIS_PASSWORD, then each service's
    own user with the same ACL rules and its own secret; no AUTH token."""
    tree = _Env(parsed, env)
    (call,) = tree.calls("redis")
    ids = tree.redis_users(call)
    assert all(user_id == f"{env}-{u['name']}" for user_id, u in ids.items())  # unique in the account and region
    users = {u["name"]: u for u in ids.values()}
    infra = next(i for i, k in _managed(env).items() if k == "redis")
    base = yaml.safe_load((rendered / "k8s" / "base" / PLAN.group(infra) / infra / "statefulset.yaml").read_text())
    args = next(c for c in base["spec"]["template"]["spec"]["containers"] if c["name"] == infra)["args"]
    in_cluster = {}
    for i, arg in enumerate(args):
        if arg == "--user":
            rest = args[i + 1:]
            end = rest.index("--user") if "--user" in rest else len(rest)
            user, _on, _password, *rules = rest[:end]
            in_cluster[user] = "on " + " ".join(rules)
    assert {name: u["access"] for name, u in users.items() if name != "default"} == in_cluster
    assert {(c.user, c.path, c.property) for c in PLAN.credentials if c.store == infra} == {
        (n, u["entry"], u["property"]) for n, u in users.items() if n != "default"}
    admin = PLAN.secret_ref(PLAN.infrastructure[infra].secrets["REDIS_PASSWORD"])
    assert (users["default"]["entry"], users["default"]["property"]) == (admin.path, admin.property)
    group = parsed["modules/redis/main.tf"]["resource"]["aws_elasticache_replication_group"]["this"]
    assert "auth_token" not in group and group["transit_encryption_enabled"] is True
    assert group["user_group_ids"] == ["aws_elasticache_user_group.this.user_group_id"]


@pytest.mark.parametrize("env", ["staging", "production"])
def test_rds_roles_job_runs_the_init_script_against_the_record(built, parsed, env):
    from nexusgen.plan import datastores

    infra = next(i for i, k in _managed(env).items() if k == "postgres")
    (job,) = [d for d in built[env] if d["kind"] == "Job" and d["metadata"]["name"].startswith(f"{infra}-roles-")]
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["sh", f"{datastores.INIT_FOLDER}/{datastores.INIT_SCRIPT}"]
    values = {e["name"]: e.get("value") for e in container["env"]}
    assert _records(parsed, env)[values["PGHOST"]] == "module.postgres[0].address" and values["PGSSLMODE"] == "require"
    secrets = {e["name"] for e in container["env"] if "valueFrom" in e}
    assert secrets == {"PGPASSWORD", *datastores.store_secrets(PLAN.catalogue, infra)}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["initdb"]["configMap"]["name"] == f"{infra}-initdb"


@pytest.mark.parametrize("env", ["staging", "production"])
def test_backup_region_root_holds_what_the_environment_and_the_runbook_use(parsed, rendered, env):
    """<env>-backup runs in the backup region; its key is the one the environment's replicated
    backups name (by alias), and the restore lands in the subnet group the runbook names."""
    from nexusgen.plan import cloud

    ce = PLAN.catalogue.cloud.environments[env]
    root = parsed[f"{env}-backup/main.tf"]
    provider = root["provider"]["aws"]
    assert provider["region"] == ce.backup_region and "alias" not in provider
    (kms,) = _module_calls(root, "kms")
    ((_, alias),) = _Env(parsed, env).blocks("data.aws_kms_alias")["backup"]
    assert alias["name"] == f"alias/{kms['name']}" and alias["provider"] == "aws.backup"
    (pg,) = _calls(parsed, env, "postgres")
    assert pg["backup_kms_key_arn"] == "data.aws_kms_alias.backup.target_key_arn"
    (network,) = _module_calls(root, "network")
    assert all(zone.startswith(ce.backup_region) for zone in network["zones"])
    (target,) = _module_calls(root, "restore-target")
    assert target["identifier"] == pg["identifier"] == cloud.database_id(PLAN.project, env)
    runbook = (rendered / "monitoring" / "runbooks" / "disaster-recovery.md").read_text()
    assert f"--db-subnet-group-name {target['identifier']}" in runbook
    assert f"terraform -chdir=out/terraform/{env}-backup output -raw restore_security_group_id" in runbook


def test_jobs_that_reach_the_private_cluster_api_run_inside_its_vpc(workflows, parsed, rendered):
    """The EKS endpoint is private: both deploys and the drill run on the environment's runners,
    whose custom labels actionlint is told about, in the subnets Terraform opens the API to."""
    from nexusgen.plan import cloud

    cluster = parsed["modules/cluster/main.tf"]
    assert cluster["resource"]["aws_eks_cluster"]["this"]["vpc_config"]["endpoint_public_access"] is False
    jobs = {"staging": workflows["main.yml"]["jobs"]["deploy-staging"], "production": workflows["release.yml"]["jobs"]["deploy-production"]}
    drill = PLAN.catalogue.cloud.recovery.drill_environment
    for env, job in jobs.items():
        labels = cloud.runner_labels(PLAN.catalogue.cloud, PLAN.project, env)
        assert job["runs-on"] == labels and "self-hosted" in labels
        (call,) = _calls(parsed, env, "cluster")
        (network,) = _calls(parsed, env, "network")
        assert call["api_client_cidrs"] == network["private_subnets"]
    assert workflows["restore-drill.yml"]["jobs"]["drill"]["runs-on"] == cloud.runner_labels(PLAN.catalogue.cloud, PLAN.project, drill)
    config = yaml.safe_load((rendered.parent / ".github" / "actionlint.yaml").read_text())
    assert set(config["self-hosted-runner"]["labels"]) == {f"{PLAN.project}-{env}" for env in jobs}


# --- one module for every environment ---------------------------------------------------------------

# What two environment roots may still share beyond their terraform and provider blocks: the module
# call's source and providers, the outputs, and settings whose values happen to coincide (Kubernetes
# and engine versions, zones, disk size, the stores each replaces...). Everything else is in modules/environment.
SHARED_LINES = 16


def _root_lines(text: str) -> list[str]:
    """The root's non-trivial lines outside its terraform and provider blocks: no comment, blank,
    bracket-only or block-opening line (``x = {``, ``module "environment" {``)."""
    out, skip = [], False
    for line in text.splitlines():
        if line and not line.startswith((" ", "}", "#")):
            skip = line.startswith(("terraform ", "provider "))
        code = line.strip()
        if not skip and code and not code.startswith("#") and code.strip("{}[]()") and not code.endswith(("{", "[")):
            out.append(code)
    return out


def shared_lines(a: str, b: str) -> list[str]:
    import difflib

    left, right = _root_lines(a), _root_lines(b)
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    return [left[i + k] for i, _, n in matcher.get_matching_blocks() for k in range(n)]


def test_environment_roots_are_one_module_call_each(tf_files, parsed):
    envs = list(PLAN.catalogue.cloud.environments)
    assert len(envs) >= 2
    for env in envs:
        root = parsed[f"{env}/main.tf"]
        assert set(root) == {"terraform", "provider", "module", "output"}, env
        (call,) = root["module"].values()
        assert call["source"] == "../modules/environment" and call["providers"] == {"aws": "aws", "aws.backup": "aws.backup"}
    for a, b in zip(envs, envs[1:]):
        shared = shared_lines(tf_files[f"{a}/main.tf"], tf_files[f"{b}/main.tf"])
        assert len(shared) <= SHARED_LINES, "\n".join(shared)


def test_the_shared_lines_check_can_fail():
    """Two roots that each wrote the whole environment out (as before modules/environment) fail it."""
    body = "".join(f'module "m{i}" {{\n  source = "../modules/x"\n  name   = "n{i}"\n}}\n\n' for i in range(SHARED_LINES))
    provider = 'provider "aws" {\n  region = "%s"\n}\n\n'
    shared = shared_lines(provider % "a" + body, provider % "b" + body)
    assert len(shared) == 2 * SHARED_LINES and not any("region" in line for line in shared)


def _variables(parsed: dict, folder: str) -> dict[str, dict]:
    return {name: body for file, tree in parsed.items() if file.rsplit("/", 1)[0] == folder for name, body in tree.get("variable", {}).items()}


def test_every_module_call_passes_exactly_what_its_module_declares(parsed, tf_files):
    """What `terraform validate` would check of each call (no terraform binary here): every
    argument is a declared variable, every variable without a default is passed, and every variable
    of modules/environment has a type and a description; every var.* it uses is declared."""
    from posixpath import normpath

    calls = 0
    for file, tree in parsed.items():
        folder = file.rsplit("/", 1)[0]
        for name, call in tree.get("module", {}).items():
            declared = _variables(parsed, normpath(f"{folder}/{call['source']}"))
            passed = set(call) - {"source", "providers", "count", "for_each"}
            required = {v for v, body in declared.items() if "default" not in body}
            assert passed <= set(declared) and required <= passed, (file, name, passed - set(declared), required - passed)
            calls += 1
    assert calls > 20
    variables = _variables(parsed, "modules/environment")
    assert all(set(body) >= {"type", "description"} for body in variables.values())
    assert set(re.findall(r"\bvar\.(\w+)", tf_files["modules/environment/main.tf"])) == set(variables)
    outputs = set(parsed["modules/environment/outputs.tf"]["output"])
    for env in PLAN.catalogue.cloud.environments:
        used = {value["value"].removeprefix("module.environment.") for value in parsed[f"{env}/main.tf"]["output"].values()}
        assert used <= outputs
