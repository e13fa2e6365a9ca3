"""The Kubernetes rows: kustomize builds every overlay; built-in kinds are checked against the schemas
of every minor the platform declares, custom resources against the operators' served CRD schemas."""

from __future__ import annotations

from pathlib import Path

import yaml

from nexusgen.catalogue.model import Platform, minor
from nexusgen.plan import paths
from nexusgen.validate import crds
from nexusgen.validate import tool as tools
from nexusgen.validate.tool import Result, files_matching, lines, run


BUILTIN_GROUPS = {
    "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io",
    "storage.k8s.io", "coordination.k8s.io", "scheduling.k8s.io", "node.k8s.io", "discovery.k8s.io",
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "certificates.k8s.io", "events.k8s.io",
}  # fmt: skip



def kustomize_build(out: Path) -> tuple[dict[str, list[dict]], Result]:
    """Build every overlay; returns the objects per overlay and the kustomize result."""
    result = Result("kustomize (kubectl kustomize)")
    built: dict[str, list[dict]] = {}
    kubectl = tools.find_tool("kubectl")
    overlays = sorted(p.parent for p in files_matching(out, f"{paths.OVERLAYS}/*/kustomization.yaml"))
    result.files = len(overlays)
    if kubectl is None:
        result.missing = "kubectl"
        return built, result
    for overlay in overlays:
        proc = run([kubectl, "kustomize", str(overlay)])
        if proc.returncode != 0:
            result.findings += [f"{overlay.relative_to(out)}: {line}" for line in lines(proc)]
            continue
        built[overlay.name] = [doc for doc in yaml.safe_load_all(proc.stdout) if doc]
    return built, result



def kubernetes_versions(platform: Platform) -> list[str]:
    """Every Kubernetes minor the platform declares, as kubernetes-validate names them."""
    low, high = minor(platform.kubernetes.min), minor(platform.kubernetes.max)
    return [f"1.{m}.0" for m in range(low, high + 1)]



def kubernetes_schemas(built: dict[str, list[dict]], platform: Platform) -> Result:
    """Built-in kinds, strictly, for every Kubernetes minor in the declared range."""
    versions = kubernetes_versions(platform)
    result = Result(f"kubernetes-validate --strict {versions[0]} to {versions[-1]}")
    try:
        import kubernetes_validate  # type: ignore[import-not-found]
    except ImportError:
        result.missing = "kubernetes-validate"
        return result
    for overlay, docs in sorted(built.items()):
        for doc in docs:
            group = str(doc.get("apiVersion", "")).rpartition("/")[0]
            if group not in BUILTIN_GROUPS:
                continue  # custom resources: crd_schemas
            result.files += 1
            where = f"{overlay}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            for version in versions:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                except kubernetes_validate.SchemaNotFoundError:
                    result.findings.append(f"{where}: {version}: no schema for built-in kind {doc.get('apiVersion')} {doc.get('kind')}")
                except kubernetes_validate.ValidationError as exc:
                    path = ".".join(str(p) for p in exc.path)
                    result.findings.append(f"{where}: {version}: {path}: {exc.message}")
    return result



def crd_schemas(built: dict[str, list[dict]], platform: Platform) -> Result:
    """Custom resources, strictly, against the served versions' schemas of the operators (shared/crds)."""
    result = Result("custom resources (operators' CRD schemas, strict)")
    folder = crds.schema_dir()
    if folder is None:
        result.missing = "CRD schemas (shared/crds; set NEXUSGEN_CRDS)"
        return result
    for overlay, docs in sorted(built.items()):
        for doc in docs:
            if str(doc.get("apiVersion", "")).rpartition("/")[0] in BUILTIN_GROUPS:
                continue
            result.files += 1
            where = f"{overlay}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            result.findings += [f"{where}: {msg}" for msg in crds.check(doc, platform, folder)]
    return result
