"""Custom resources validated strictly against the operators' own schemas.

The schemas are the served API versions' JSON Schemas from the operators' CRDs (converted by the
CRDs-catalog project), kept outside the project in ``shared/crds/<group>/<kind>_<version>.json``:
set ``NEXUSGEN_CRDS`` to that folder, or keep it at ``../shared/crds`` beside (or above) the
repository. A missing schema file means the API version is not served.

Strict as kubeconform's ``-strict``: every object schema that lists ``properties`` and does not
carry ``x-kubernetes-preserve-unknown-fields`` gets ``additionalProperties: false``, so a misspelt
or invented field fails. On top of the schema, the apiVersion must be one the declared operator
version serves (``platform`` section): external-secrets v0.17.0 stopped serving ``v1beta1``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import jsonschema

from nexusgen.catalogue.model import Platform, semver

_ROOT = Path(__file__).resolve().parents[2]  # the repository


def schema_dir() -> Path | None:
    """Where the CRD schemas are: ``$NEXUSGEN_CRDS``, else the first ``shared/crds`` above the repository."""
    if os.environ.get("NEXUSGEN_CRDS"):
        path = Path(os.environ["NEXUSGEN_CRDS"])
        return path if path.is_dir() else None
    for parent in (_ROOT, *_ROOT.parents):
        candidate = parent / "shared" / "crds"
        if candidate.is_dir():
            return candidate
    return None


def served(platform: Platform) -> dict[str, set[str]]:
    """API versions each operator serves at the version the platform declares."""
    eso = {"v1"} if semver(platform.external_secrets.version) >= (0, 17, 0) else {"v1", "v1beta1"}
    return {"external-secrets.io": eso, "monitoring.coreos.com": {"v1", "v1alpha1"}, "cert-manager.io": {"v1"}}


def strict(schema: object) -> object:
    """A copy of ``schema`` where every object with ``properties`` refuses unknown fields."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) for key, value in schema.items()}
    if ("properties" in out and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")):  # fmt: skip
        out["additionalProperties"] = False
    return out


@cache
def _validator(folder: str, group: str, kind: str, version: str) -> jsonschema.protocols.Validator | None:
    path = Path(folder) / group / f"{kind.lower()}_{version}.json"
    if not path.is_file():
        return None
    schema = strict(json.loads(path.read_text()))
    return jsonschema.Draft7Validator(schema)


def check(doc: dict, platform: Platform, folder: Path) -> list[str]:
    """Problems of one custom resource (empty: it validates strictly against its served schema)."""
    api, kind = str(doc.get("apiVersion", "")), str(doc.get("kind", ""))
    group, _, version = api.rpartition("/")
    versions = served(platform).get(group)
    if versions is None:
        return [f"no operator in the platform serves {api} {kind}"]
    if version not in versions:
        return [f"{api} is not served by the declared operator (served: {', '.join(sorted(versions))})"]
    validator = _validator(str(folder), group, kind, version)
    if validator is None:
        return [f"{api} {kind} is not served: no schema {group}/{kind.lower()}_{version}.json in {folder}"]
    problems = [] if isinstance(doc.get("metadata", {}).get("name"), str) else ["metadata.name: required"]
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        problems.append(f"{'.'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}")
    return problems
