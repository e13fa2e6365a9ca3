"""Checks for the custom resources nexusgen renders, which no built-in Kubernetes schema covers.

Each checker returns messages for what the CRD's own OpenAPI schema requires (and for
fields it does not know: those CRDs are structural, unknown fields are pruned silently).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")


def _expect(doc: dict, path: str, kind: type | tuple[type, ...]) -> list[str]:
    node: object = doc
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return [f"{path}: required"]
        node = node[part]
    if not isinstance(node, kind):
        return [f"{path}: must be {getattr(kind, '__name__', kind)}"]
    return []


def _known(where: str, value: dict, allowed: set[str]) -> list[str]:
    return [f"{where}.{key}: unknown field" for key in sorted(set(value) - allowed)]


def _external_secret(doc: dict) -> list[str]:
    problems = _expect(doc, "spec.secretStoreRef.name", str) + _expect(doc, "spec.target.name", str)
    problems += _expect(doc, "spec.data", list)
    spec = doc.get("spec", {})
    problems += _known("spec", spec, {"secretStoreRef", "target", "data", "dataFrom", "refreshInterval"})
    if spec.get("secretStoreRef", {}).get("kind") not in ("SecretStore", "ClusterSecretStore"):
        problems.append("spec.secretStoreRef.kind: must be SecretStore or ClusterSecretStore")
    interval = spec.get("refreshInterval")
    if interval is not None and not (isinstance(interval, str) and _DURATION.fullmatch(interval)):
        problems.append("spec.refreshInterval: must be a duration such as 1h")
    for index, item in enumerate(spec.get("data") or []):
        where = f"spec.data[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("secretKey"), str):
            problems.append(f"{where}.secretKey: required")
            continue
        remote = item.get("remoteRef")
        if not isinstance(remote, dict) or not isinstance(remote.get("key"), str):
            problems.append(f"{where}.remoteRef.key: required")
        else:
            problems += _known(f"{where}.remoteRef", remote, {"key", "property", "version", "conversionStrategy", "decodingStrategy", "metadataPolicy"})
    return problems


def _service_monitor(doc: dict) -> list[str]:
    problems = _expect(doc, "spec.selector", dict) + _expect(doc, "spec.endpoints", list)
    for index, endpoint in enumerate(doc.get("spec", {}).get("endpoints") or []):
        if not isinstance(endpoint, dict) or not ("port" in endpoint or "targetPort" in endpoint):
            problems.append(f"spec.endpoints[{index}]: needs port or targetPort")
        elif "interval" in endpoint and not _DURATION.fullmatch(str(endpoint["interval"])):
            problems.append(f"spec.endpoints[{index}].interval: must be a duration")
    return problems


def _prometheus_rule(doc: dict) -> list[str]:
    problems = _expect(doc, "spec.groups", list)
    for g, group in enumerate(doc.get("spec", {}).get("groups") or []):
        if not isinstance(group, dict) or not isinstance(group.get("name"), str):
            problems.append(f"spec.groups[{g}].name: required")
            continue
        for r, rule in enumerate(group.get("rules") or []):
            where = f"spec.groups[{g}].rules[{r}]"
            if not isinstance(rule.get("expr"), (str, int)):
                problems.append(f"{where}.expr: required")
            if ("alert" in rule) == ("record" in rule):
                problems.append(f"{where}: exactly one of alert and record")
            for key in ("labels", "annotations"):
                if key in rule and not all(isinstance(v, str) for v in rule[key].values()):
                    problems.append(f"{where}.{key}: values must be strings")
            if "for" in rule and not _DURATION.fullmatch(str(rule["for"])):
                problems.append(f"{where}.for: must be a duration")
    return problems


CHECKERS: dict[tuple[str, str], Callable[[dict], list[str]]] = {
    ("external-secrets.io/v1beta1", "ExternalSecret"): _external_secret,
    ("external-secrets.io/v1", "ExternalSecret"): _external_secret,
    ("monitoring.coreos.com/v1", "ServiceMonitor"): _service_monitor,
    ("monitoring.coreos.com/v1", "PrometheusRule"): _prometheus_rule,
}


def check(doc: dict) -> list[str]:
    """Problems of one custom resource; an unknown custom kind is itself a problem."""
    checker = CHECKERS.get((doc.get("apiVersion"), doc.get("kind")))
    if checker is None:
        return [f"no checker for custom resource {doc.get('apiVersion')} {doc.get('kind')}"]
    problems = _expect(doc, "metadata.name", str)
    return problems + checker(doc)
