"""Every pattern-checked field matches the whole string: a trailing newline is refused, located.
Every container path is free of dot segments, every number finite, every string free of hidden characters.

The fields are found in the catalogue's JSON Schema (``pattern``, and ``propertyNames.pattern``
for mapping keys), so a field added later is covered without editing this test; each must
occur in the shipped catalogue, a golden case or ``_everything()`` below, else the test says
where to add it. Python's ``re.match(r"^...$")`` accepts ``"3.11-slim\\n"``; ``fullmatch`` does not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import CATALOGUE, ROOT, nexusgen_here, sweep
from nexusgen.catalogue.load import format_loc, load_bytes
from nexusgen.catalogue.model import Thresholds
from nexusgen.catalogue.schema import catalogue_schema
from nexusgen.engine.text import dump_yaml

SHA = "sha256:" + "a" * 64
RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}}
CLUSTER = {"name": "dev-cluster", "region": "eu-west-1", "deploy_role": "arn:aws:iam::111122223333:role/dev",
           "api_server_cidrs": ["10.0.0.0/24"], "node_cidrs": ["10.0.64.0/18"]}


def schema_nodes() -> list[tuple[tuple[str, ...], dict]]:
    """(path template, schema) of every value in the catalogue: ``*`` any key, ``[]`` any item, ``<key>`` the keys."""
    schema = catalogue_schema()
    defs = schema["$defs"]
    found: list[tuple[tuple[str, ...], dict]] = []

    def walk(node: dict, path: tuple[str, ...]) -> None:
        if "$ref" in node:
            return walk(defs[node["$ref"].rsplit("/", 1)[-1]], path)
        found.append((path, node))
        for sub in [*node.get("anyOf", []), *node.get("oneOf", [])]:  # oneOf: a tagged union (clusters)
            walk(sub, path)
        for key, sub in node.get("properties", {}).items():
            walk(sub, (*path, key))
        if isinstance(node.get("items"), dict):
            walk(node["items"], (*path, "[]"))
        if "propertyNames" in node:
            found.append(((*path, "<key>"), {"type": "string", **node["propertyNames"]}))
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], (*path, "*"))

    walk(schema, ())
    return found


def _select(keep) -> list[tuple[str, ...]]:
    return sorted({path for path, node in schema_nodes() if keep(node)})


def _everything() -> dict:
    """The shipped catalogue with every optional pattern-checked field the corpus lacks filled in (valid)."""
    data = load_bytes(CATALOGUE.read_bytes(), "services.yaml").data
    data["runtimes"]["python"]["run"]["digest"] = SHA
    # No distroless image fits Python 3.11 (images.py): the node runtime carries the distroless field.
    data["runtimes"]["node"]["distroless"] = {"image": "gcr.io/distroless/nodejs24-debian13", "tag": "nonroot", "digest": SHA}
    data["services"]["gateway"]["ingress"]["path"] = "/api"
    postgres = data["infrastructure"]["postgres"]
    postgres["image"]["digest"] = postgres["exporter"]["image"]["digest"] = SHA
    envs = data["environments"]
    envs["dev"].update(digests={"gateway": SHA}, domain="dev.example.com", secret_store={"name": "vault", "refresh": "1h"},
                       cluster=CLUSTER, tls_issuer="issuer")
    envs["dev"]["registry"] = "ghcr.io/example"  # cloud environments pull from the cloud's registry (cloud_checks)
    for name in ("staging", "production"):
        envs[name].update(digests={"gateway": SHA})
        envs[name]["secret_store"]["refresh"] = "30m"
    envs["staging"]["services"]["gateway"]["resources"] = RESOURCES
    envs["staging"]["cluster"]["workload_identities"] = {"gateway": "arn:aws:iam::111122223333:role/gateway"}
    for name, env in envs.items():
        env["cluster"]["api_server_port"] = 443
        env["min_stateless_replicas"] = 1
    envs["dev"]["services"]["gateway"] = {"min_replicas": 1, "max_replicas": 2}
    postgres["startup_seconds"] = 300
    data["monitoring"].update(http_requests_metric="http_requests_total", http_duration_metric="http_request_duration_seconds")
    data["monitoring"]["thresholds"] = {name: field.default for name, field in Thresholds.model_fields.items()}
    data.setdefault("actions", {})["example/plain-pin"] = "a" * 40  # the bare-SHA form of a pin
    # A runtime nexusgen ships no toolchain for: every record of its own (README "Runtimes").
    data["actions"]["ruby/setup-ruby"] = {"sha": "b" * 40, "version": "v1.0.0"}
    data["runtimes"]["ruby"] = {
        "build": {"image": "ruby", "tag": "3.4-slim"}, "run": {"image": "ruby", "tag": "3.4-slim"},
        "manifests": ["Gemfile", "Gemfile.lock"], "lint": "bundle exec rubocop", "test": "bundle exec rspec",
        "docker": {"cache": "/usr/local/bundle/cache", "env": {"BUNDLE_DEPLOYMENT": "1"}, "install": "bundle install",
                   "compile": "bundle exec rake assets:precompile", "artifacts": ["/usr/local/bundle", "/app"],
                   "run_env": {"RACK_ENV": "production"}, "ignore": ["log", "tmp"], "programs": ["ruby"]},
        "ci": {"action": "ruby/setup-ruby", "version_input": "ruby-version", "version": "3.4", "inputs": {"bundler": "latest"},
               "cache": "bundler", "cache_file": "Gemfile.lock", "install": "bundle install"},
        "health": {"program": "ruby", "args": ["-rnet/http", "-e", "exit Net::HTTP.get_response(URI({url_json})).code.to_i < 400"]},
    }
    for env in envs.values():
        env["canary"] = {"soak": "10m", "max_error_ratio": 0.01, "max_p99_ratio": 1.5,
                         "prometheus": {"namespace": "monitoring", "service": "prometheus-operated", "port": 9090}}
        env["change_windows"] = [{"days": ["mon"], "start": "08:00", "end": "16:00"}]
        env["freezes"] = [{"start": "2026-12-21", "end": "2027-01-04", "reason": "year-end freeze"}]
    prod = envs["production"].setdefault("services", {}).setdefault("gateway", {})
    prod.update(config={"LOG_LEVEL": "warning"}, secrets={"JWT_SIGNING_KEY": "jwt-signing-key"})
    data["services"]["gateway"]["redis_acl"] = {"redis": {"keys": ["gateway:*"], "channels": ["gateway:*"],
                                                          "commands": ["+@read", "-@dangerous"]}}
    data["platform"] = {  # every platform field, at its default or a valid value
        "kubernetes": {"min": "1.34", "max": "1.36"}, "external_secrets": {"version": "0.20.4"},
        "prometheus": {"release": "kube-prometheus-stack", "namespace": "monitoring", "chart_version": "88.5.3"},
        "cert_manager": {"issuer_kind": "ClusterIssuer", "solver": "http01", "namespace": "cert-manager"},
        "ingress": {"class_name": "nginx", "namespace": "ingress-nginx", "labels": {"app.kubernetes.io/name": "ingress-nginx"}},
        "dns": {"namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
        "image_pulls": {"mode": "node"},  # with a cloud, nodes pull from ECR with their role (cloud_checks)
    }
    data["cloud"]["environments"]["production"]["redis"].update(replaces="redis")
    data["cloud"]["environments"]["staging"]["runner_labels"] = ["self-hosted", "nexus-staging"]
    return data


def _without_cloud() -> dict:
    """The fields a cloud refuses (cloud_checks): per-environment registries and a pull secret."""
    data = _everything()
    del data["cloud"]
    for name in ("staging", "production"):
        data["environments"][name]["registry"] = "ghcr.io/example"
    data["secrets"]["registry-pull-credentials"] = {"description": "pull token", "path": "nexus/registry/ghcr", "property": "dockerconfigjson"}
    data["platform"]["image_pulls"] = {"mode": "pull_secret", "secret": "registry-pull-credentials"}
    return data


def _corpus() -> list[dict]:
    cases = [load_bytes(p.read_bytes(), p.name).data for p in sorted((ROOT / "tests" / "cases").glob("*/services.yaml"))]
    # dev may name a cluster too: the GKE and AKS cases' staging cluster there covers those fields' dev paths.
    others = [{**data, "environments": {**data["environments"], "dev": {**data["environments"]["dev"], "cluster": cluster}}}
              for data in cases if (cluster := data["environments"]["staging"].get("cluster", {})).get("provider", "aws") != "aws"]
    return [_everything(), _without_cloud(), *cases, *others]


def _first(data: Any, template: tuple[str, ...], loc: tuple = ()) -> tuple | None:
    """The first concrete location of ``template`` in ``data`` (for ``<key>``: the key's own)."""
    if not template:
        return None if isinstance(data, (dict, list)) else loc  # a union's other branch (a mapping) is not this field
    head, rest = template[0], template[1:]
    if head == "<key>":
        return (*loc, next(iter(data))) if isinstance(data, dict) and data else None
    if head == "[]":
        children = list(enumerate(data)) if isinstance(data, list) else []
    elif head == "*":
        children = list(data.items()) if isinstance(data, dict) else []
    else:
        children = [(head, data[head])] if isinstance(data, dict) and head in data else []
    for key, child in children:
        hit = _first(child, rest, (*loc, key))
        if hit is not None:
            return hit
    return None


def put(data: dict, loc: tuple, value: Any, key: bool = False) -> tuple[dict, tuple]:
    """A copy of ``data`` with ``value`` at ``loc`` (with ``key``: as the name of the key at ``loc``), and its loc."""
    data = json.loads(json.dumps(data))
    parent = data
    for part in loc[:-1]:
        parent = parent[part]
    if key:
        parent[value] = parent.pop(loc[-1])
        return data, (*loc[:-1], value)
    parent[loc[-1]] = value
    return data, loc


def _value_at(data: Any, loc: tuple) -> Any:
    for part in loc:
        data = data[part]
    return data


FIELDS = sorted({(path, node["pattern"]) for path, node in schema_nodes() if "pattern" in node})


def test_the_schema_lists_the_pattern_fields():
    paths = {".".join(path) for path, _ in FIELDS}
    assert len(FIELDS) >= 100
    for expected in ("runtimes.*.build.tag", "project.registry", "services.*.source", "services.<key>",
                     "services.*.writable_paths.[]", "monitoring.alerts.[].for", "actions.<key>"):
        assert expected in paths


@pytest.mark.parametrize("template", sweep([path for path, _ in FIELDS]), ids=".".join)
def test_trailing_newline_is_refused(template: tuple[str, ...], tmp_path: Path):
    is_key = template[-1] == "<key>"
    for data in _corpus():
        loc = _first(data, template)
        if loc is not None:
            break
    else:
        pytest.fail(f"no catalogue sets {'.'.join(template)}: add a valid value for it to _everything() in this file")
    bad, bad_loc = put(data, loc, loc[-1] + "\n" if is_key else _value_at(data, loc) + "\n", is_key)
    catalogue = tmp_path / "services.yaml"
    catalogue.write_text(dump_yaml(bad))
    code, err = _render(catalogue, tmp_path / "out")
    assert code == 2, err
    where = format_loc(bad_loc)
    located = [line for line in err.splitlines() if line.startswith("services.yaml:") and f": {where}: " in line]
    assert located, f"no problem located at {where}:\n{err}"
    assert not (tmp_path / "out").exists()


def test_the_everything_catalogue_is_valid(tmp_path: Path):
    catalogue = tmp_path / "services.yaml"
    catalogue.write_text(dump_yaml(_everything()))
    code, err = _render(catalogue, tmp_path / "out")
    assert code == 0, err


# --- the other rules of issue 20 that hold for a whole class of fields, found the same way -------


def _render(catalogue: Path, out: Path) -> tuple[int, str]:
    result = nexusgen_here("render", "--catalogue", str(catalogue), "--out", str(out))
    return result.returncode, result.stderr


def _refused_at(data: dict, loc: tuple, value: Any, tmp_path: Path, key: bool = False) -> None:
    """``value`` at ``loc`` (or, with ``key``, as the name of the key at ``loc``) is exit 2, located there."""
    bad, loc = put(data, loc, value, key)
    catalogue = tmp_path / "services.yaml"
    catalogue.write_text(dump_yaml(bad))
    code, err = _render(catalogue, tmp_path / "out")
    assert code == 2, f"{format_loc(loc)} = {value!r}: {err}"
    assert f": {format_loc(loc)}: " in err, f"not located at {format_loc(loc)}:\n{err}"


PATH_PATTERN = r"^/[A-Za-z0-9._/-]+$"
PATH_FIELDS = [path for path, pattern in FIELDS if pattern == PATH_PATTERN]
NUMBER_FIELDS = _select(lambda node: node.get("type") in ("number", "integer"))
STRING_FIELDS = _select(lambda node: node.get("type") == "string" and "enum" not in node and "const" not in node)


def _located(template: tuple[str, ...]) -> tuple[dict, tuple]:
    for data in _corpus():
        loc = _first(data, template)
        if loc is not None:
            return data, loc
    pytest.fail(f"no catalogue sets {'.'.join(template)}: add a valid value for it to _everything() in this file")


@pytest.mark.parametrize("template", sweep(PATH_FIELDS), ids=".".join)
@pytest.mark.parametrize("value", ["/..", "/.", "/../etc", "/a/./b", "/a//b"])
def test_container_paths_have_no_dot_segments(template, value, tmp_path: Path):
    data, loc = _located(template)
    _refused_at(data, loc, value, tmp_path)


def test_path_fields_are_the_container_and_file_paths():
    names = {".".join(p) for p in PATH_FIELDS}
    assert {"services.*.writable_paths.[]", "services.*.scaling.storage_path", "infrastructure.*.storage",
            "infrastructure.*.writable_paths.[]", "monitoring.receivers.slack_api_url_file"} <= names


@pytest.mark.parametrize("template", sweep(NUMBER_FIELDS), ids=".".join)
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
def test_numbers_are_finite(template, value, tmp_path: Path):
    data, loc = _located(template)
    _refused_at(data, loc, value, tmp_path)


HIDDEN = ["\x00", "\u202e", "\x1b", "\u2066", "\u200f", "\u061c", "\x7f", "\x85"]


@pytest.mark.parametrize(("template", "char"), sweep([(t, HIDDEN[i % len(HIDDEN)]) for i, t in enumerate(STRING_FIELDS)]),
                         ids=lambda case: ".".join(case) if isinstance(case, tuple) else repr(case))
def test_hidden_characters_are_refused_in_every_string(template, char, tmp_path: Path):
    """One rule in the loader covers every string; each field gets one of the characters in turn."""
    data, loc = _located(template)
    if template[-1] == "<key>":
        _refused_at(data, loc, f"{loc[-1]}{char}", tmp_path, key=True)
    else:
        _refused_at(data, loc, f"x{char}y", tmp_path)


def test_string_fields_include_free_text():
    names = {".".join(t) for t in STRING_FIELDS}
    assert {"project.description", "services.*.description", "services.*.command.[]", "services.*.config.*",
            "infrastructure.*.healthcheck.[]", "services.*.metrics.[].help", "monitoring.alerts.[].description",
            "monitoring.alerts.[].good.*", "runtimes.*.test"} <= names
