"""The HTTP health probe a service container runs against itself, as an exec-form argv.

Used by the Dockerfile ``HEALTHCHECK`` (liveness) and the compose ``healthcheck`` (readiness),
so both call the same code. The runtime images carry no curl or wget, and distroless carries
no shell, so the probe is what the runtime declares (catalogue/runtimes.py): a one-liner for the
language's own interpreter, or the service binary's own health subcommand, run without a shell.
"""

from __future__ import annotations

import json

from nexusgen.plan import Plan

TIMEOUT_SECONDS = 4  # below the Dockerfile/compose probe timeout, so the probe reports, not the engine


def url(plan: Plan, service: str, path: str) -> str:
    """The service's own HTTP port on the loopback address (IPv4: servers bind 0.0.0.0)."""
    return f"http://127.0.0.1:{plan.services[service].ports.http}{path}"


def probe(plan: Plan, service: str, path: str) -> list[str]:
    """The runtime's health check (catalogue/runtimes.py) against ``path``: exits 0 on a 2xx/3xx
    answer, non-zero on anything else. Only for services built from source (plan.built)."""
    check = plan.toolchain(service).health
    target = url(plan, service, path)
    # json.dumps gives a JavaScript string literal of exactly the URL, whatever the path holds.
    fields = {"url": target, "url_json": json.dumps(target), "timeout": TIMEOUT_SECONDS, "timeout_ms": TIMEOUT_SECONDS * 1000}
    program = [check.program] if check.program else list(plan.services[service].command)
    return [*program, *(arg.format(**fields) for arg in check.args)]
