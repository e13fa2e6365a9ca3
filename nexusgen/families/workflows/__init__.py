"""GitHub Actions workflows under ``github/workflows/``: pull request, main branch and release.

The repository that runs them copies (or links) ``out/github/workflows/`` to ``.github/workflows/``.
Every service appears in every matrix and path filter; only the facts below vary per catalogue.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from nexusgen.plan import CLUSTER_ENVIRONMENTS, Plan, paths
from nexusgen.families.workflows import facts

WORKFLOWS = paths.WORKFLOWS
PIPELINES = ("pr", "main", "release")
NEXUSGEN_PYTHON = "3.11"  # the drift check installs nexusgen itself (requires-python >= 3.11)


def render(plan: Plan, templates) -> dict[PurePosixPath, str]:
    context = _context(plan)
    return {
        WORKFLOWS / f"{name}.yml": templates.render(f"workflows/{name}.yml.alt.j2", **context) for name in PIPELINES
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
    }
