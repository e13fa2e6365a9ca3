"""GitHub Actions: the workflows GitHub runs, Dependabot's configuration, the change-window gate.

These files belong where GitHub reads them, ``.github/`` at the repository root (not ``out/``):
their paths here are relative to that tree (``workflows/pr.yml``), which ``pipeline`` writes and
checks with its own manifest exactly like ``out/``. GitHub does not run symlinked workflows.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from nexusgen.engine.text import dump_yaml, trailing_comments
from nexusgen.plan import CLUSTER_ENVIRONMENTS, Plan, cloud, cluster, paths
from nexusgen.families.workflows import drill, facts
from nexusgen.families.workflows.deploy import Deploy
from nexusgen.families.workflows.jobs import RUNNER
from nexusgen.families.workflows.pipelines import PIPELINES

WORKFLOWS = paths.WORKFLOWS
GATE = paths.GATE_SCRIPT  # scripts.CHANGE_WINDOW runs it from the checkout
NEXUSGEN_PYTHON = "3.11"  # the drift check installs nexusgen itself (requires-python >= 3.11)
WEEKLY = {"interval": "weekly", "day": "monday"}


def render(plan: Plan, templates) -> dict[PurePosixPath, str]:
    context, workflows = _built(plan)
    pins = {ref.ref: ref.comment for ref in context["actions"].values() if ref.comment}
    out = {WORKFLOWS / f"{name}.yml": trailing_comments(dump_yaml(data), pins) for name, data in workflows.items()}
    out[paths.DEPENDABOT] = dump_yaml(dependabot(plan))
    out |= drill.files(plan, WORKFLOWS)  # the restore drill (issue 18), built as data
    out[GATE] = (Path(__file__).parent / "change_window.py").read_text(encoding="utf-8")
    labels = runner_labels(plan)
    if labels:
        out[paths.ACTIONLINT] = dump_yaml({"self-hosted-runner": {"labels": labels}})
    return out


def _built(plan: Plan) -> tuple[dict, dict[str, dict]]:
    """The facts every pipeline reads and each pipeline as data, built once per plan: the
    findings read their ``uses:``, then render writes them."""
    def build() -> tuple[dict, dict[str, dict]]:
        context = _context(plan)
        builder = Deploy(context)
        return context, {name: pipeline(builder) for name, pipeline in PIPELINES.items()}

    return plan.remember("workflows", build)


def findings(plan: Plan):
    """An action the workflows use with no commit pin in the catalogue's ``actions:``: a tag can
    be moved to other code (zizmor's unpinned-uses; the trivy-action tags were hijacked in 2026-03)."""
    context, workflows = _built(plan)
    used = {ref for data in workflows.values() for ref in _uses(data)}
    if plan.catalogue.cloud is not None:  # the restore drill (drill.files)
        used |= set(_uses(drill.built(plan)))
    for name, ref in sorted(context["actions"].items()):
        if not ref.comment and ref.ref in used:
            major = ref.ref.rpartition("@")[2]
            yield ("actions",), (f"no pin for {name!r}, which the workflows use: add "
                                 f"'{name}: {{sha: <its 40-character commit>, version: {major}}}'")


def _uses(data: object):
    """Every ``uses:`` value in a workflow's data."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "uses" and isinstance(value, str):
                yield value
            else:
                yield from _uses(value)
    elif isinstance(data, list):
        for item in data:
            yield from _uses(item)


def runner_labels(plan: Plan) -> list[str]:
    """The self-hosted runners' own labels (actionlint knows GitHub's and `self-hosted`, `linux`, `x64`)."""
    known = {"self-hosted", "linux", "x64", "arm64", "windows", "macos"}
    envs = plan.catalogue.cloud.environments if plan.catalogue.cloud else {}
    return sorted({label for env in envs for label in cloud.runner_labels(plan.catalogue.cloud, plan.project, env) if label.lower() not in known})


def dependabot(plan: Plan) -> dict:
    """Update PRs for the pinned actions and the base images. Both live in generated files: a
    Dependabot PR fails the drift check until its new pin is copied into services.yaml
    (``actions:``, ``runtimes.*``) and rendered, which keeps the catalogue the source of truth."""
    dockerfiles = sorted({f"/{facts.dockerfile(plan, name).rsplit('/', 1)[0]}" for name in plan.built_services})
    return {
        "version": 2,
        "updates": [
            {"package-ecosystem": "github-actions", "directory": "/", "schedule": WEEKLY,
             "groups": {"actions": {"patterns": ["*"]}}, "cooldown": {"default-days": 7}},
            {"package-ecosystem": "docker", "directories": dockerfiles, "schedule": WEEKLY,
             "groups": {"base-images": {"patterns": ["*"]}}, "cooldown": {"default-days": 7}},
        ],
    }


def _context(plan: Plan) -> dict[str, object]:
    services = facts.services(plan)
    matrix = [
        {
            "service": svc.name,
            "runtime": svc.runtime,
            "source": svc.source,
            "dockerfile": svc.dockerfile,
            "image": plan.image_repo(svc.name, "production"),
            "images": "\n".join(svc.images),
        }
        for svc in services
    ]
    return {
        "nexusgen_python": NEXUSGEN_PYTHON,
        "actions": facts.action_refs(plan),
        "runtimes": facts.runtimes(plan),
        "matrix": matrix,
        "matrix_json": "[\n" + ",\n".join(json.dumps(row, sort_keys=True) for row in matrix) + "\n]\n",
        "filters": facts.path_filters(plan),
        "registries": facts.registries(plan),
        "ecr": facts.ecr(plan),
        "envs": {env: _environment(plan, env) for env in CLUSTER_ENVIRONMENTS},
        "e2e": facts.end_to_end(plan, "staging"),
    }


def _environment(plan: Plan, env: str) -> dict[str, object]:
    e2e = facts.end_to_end(plan, env)
    urls = facts.public_urls(plan, env)
    return {
        "name": env,
        "overlay": facts.overlay(plan, env),
        "workloads": facts.workloads(plan, env),
        "canaries": facts.workloads(plan, env, canary_only=True),
        "smoke_urls": facts.smoke_urls(plan, env),
        "url": e2e.base_url if e2e else next(iter(urls.values()), None),  # the environment's link in GitHub
        "cluster": plan.environment(env).cluster,
        "migrations": facts.migrations(plan, env),
        "kill_switches": facts.kill_switches(plan, env),
        "canary": plan.environment(env).canary,
        "canary_queries": facts.canary_queries(plan, env),
        # Unset: where platform.prometheus says kube-prometheus-stack runs (the namespace policies use too).
        "prometheus_namespace": plan.environment(env).canary.prometheus.namespace or cluster.stack_namespace(plan, env),
        "windows": facts.change_windows(plan, env),
        # The cluster API is private in a cloud environment: a runner inside its VPC (plan.cloud).
        "runs_on": cloud.runner_labels(plan.catalogue.cloud, plan.project, env) or RUNNER,
    }
