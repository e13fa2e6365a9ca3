"""``out/README.md`` (index, service table, dependency diagram) and the catalogue schema."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

from nexusgen.engine.mermaid import flowchart
from nexusgen.engine.text import dump_json
from nexusgen.plan.graph import graph
from nexusgen.catalogue.model import ENVIRONMENTS
from nexusgen.plan import Plan
from nexusgen.catalogue.schema import catalogue_schema

SCHEMA_PATH = PurePosixPath("services.schema.json")



def _ports(plan: Plan, name: str) -> str:
    """``8080 / 9090``: served ports (by name where not ``http``), then the metrics port."""
    served = ", ".join(str(p.container) if p.name == "http" else f"{p.name} {p.container}" for p in plan.served_ports(name))
    metrics = plan.metrics_port(name)
    return f"{served or '-'} / {metrics if metrics is not None else '-'}"

def render(plan: Plan, templates, names: Iterable[str]) -> dict[PurePosixPath, str]:
    """``names``: every other generated file (POSIX paths in out/), listed with these two."""
    listed = sorted([*names, str(SCHEMA_PATH), "README.md"])
    rows = []
    for name, svc in plan.services.items():
        low, high = plan.replicas(name, "production")
        scaling = svc.scaling.mode if svc.scaling.mode != "stateless" else f"stateless {low}-{high} (production)"
        if svc.schedule is not None:
            scaling = f"scheduled `{svc.schedule.cron}` (CronJob)"
        rows.append(
            {
                "name": name,
                "group": svc.group,
                "runtime": svc.runtime if plan.built(name) else f"prebuilt {plan.image(name, 'production')}",
                "ports": _ports(plan, name),
                "scaling": scaling,
                "services": plan.depends_on(name, "service"),
                "infrastructure": plan.depends_on(name, "infrastructure"),
                "external": plan.depends_on(name, "external"),
                "secrets": sorted(svc.secrets.values()),
            }
        )
    environments = [
        {
            "name": env,
            "live": plan.live_trading(env),
            "declared": plan.environment(env).live_trading is not None,
            "overrides": {n: plan.overrides(n, env) for n in plan.services if plan.overrides(n, env)},
        }
        for env in ENVIRONMENTS
    ]
    return {
        PurePosixPath("README.md"): templates.render(
            "index/README.md.j2", plan=plan, rows=rows, files=listed, diagram=flowchart(graph(plan)), environments=environments
        ),
        SCHEMA_PATH: dump_json(catalogue_schema()),
    }

