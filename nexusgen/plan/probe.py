"""The HTTP health probe a service container runs against itself, as an exec-form argv.

Used by the Dockerfile ``HEALTHCHECK`` (liveness) and the compose ``healthcheck`` (readiness),
so both call the same code. The runtime images carry no curl or wget, and distroless carries
no shell, so the probe is a one-liner for the language's own interpreter, run without a shell.
"""

from __future__ import annotations

import json

from nexusgen.plan import Plan

# The interpreter of each runtime, present in its slim, alpine and distroless images alike.
INTERPRETER = {"python": "python3", "node": "node"}
TIMEOUT_SECONDS = 4  # below the Dockerfile/compose probe timeout, so the probe reports, not the engine


def url(plan: Plan, service: str, path: str) -> str:
    """The service's own HTTP port on the loopback address (IPv4: servers bind 0.0.0.0)."""
    return f"http://127.0.0.1:{plan.services[service].ports.http}{path}"


def probe(plan: Plan, service: str, path: str) -> list[str]:
    """``[interpreter, flag, code]``: exits 0 on a 2xx/3xx answer, non-zero on anything else."""
    runtime = plan.services[service].runtime
    target = url(plan, service, path)
    if runtime == "python":
        # urlopen raises on a 4xx/5xx answer and on connection errors: the exit status is 1.
        code = f"import urllib.request; urllib.request.urlopen({target!r}, timeout={TIMEOUT_SECONDS})"
        return [INTERPRETER[runtime], "-c", code]
    # json.dumps gives a JavaScript string literal of exactly the URL, whatever the path holds.
    code = (
        f"require('http').get({json.dumps(target)}, r => process.exit(r.statusCode < 400 ? 0 : 1))"
        f".on('error', () => process.exit(1)).setTimeout({TIMEOUT_SECONDS * 1000}, () => process.exit(1))"
    )
    return [INTERPRETER[runtime], "-e", code]
