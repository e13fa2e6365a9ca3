"""Synthetic catalogues of any size, built on the shipped NEXUS catalogue's shared sections.

Service i depends on services i-1, i-7 and i-31 (a DAG with long chains and fan-in), on
postgres and redis (each service its own user, as nexusgen derives it), and exports one
histogram, so every artifact family has real work.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
GROUPS = ("core", "data", "frontend")


def catalogue(count: int) -> dict:
    base = yaml.safe_load((ROOT / "services.yaml").read_text())
    services = {}
    for i in range(count):
        name = f"svc-{i:04d}"
        deps = sorted({f"svc-{j:04d}" for j in (i - 1, i - 7, i - 31) if j >= 0})
        services[name] = {
            "description": f"Synthetic service {i}",
            "runtime": "node" if i % 10 == 9 else "python",
            "group": GROUPS[i % 3],
            "source": f"services/{name}",
            "command": ["python", "-m", f"svc_{i:04d}"],
            "ports": {"http": 10000 + i, "metrics": 20000 + i},
            "health": {"liveness": "/health/live", "readiness": "/health/ready", "startup_seconds": 30 * (i % 2)},
            "depends_on": {"services": deps, "infrastructure": ["postgres", "redis"]},
            "scaling": {"mode": "stateless", "min_replicas": 2, "max_replicas": 6},
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
            "config": {"LOG_LEVEL": "info", "SHARD": str(i)},
            "metrics": [{"name": f"svc_{i:04d}_work_seconds", "type": "histogram", "help": "Time per unit of work"}],
        }
    services["svc-0000"]["ingress"] = {"subdomain": "api"}
    base["services"] = services
    for env in base["environments"].values():
        env.pop("services", None)
        env.pop("digests", None)
    base["monitoring"]["alerts"] = [
        {
            "alert": "Svc0000WorkSlow",
            "service": "svc-0000",
            "metric": "svc_0000_work_seconds",
            "kind": "p99_above",
            "threshold": 2,
            "for": "10m",
            "priority": "P2",
            "summary": "Work is slow",
            "description": "The 99th percentile of work time is above 2 seconds.",
        }
    ]
    return base


def write(count: int, path: Path) -> Path:
    path.write_text(yaml.safe_dump(catalogue(count), sort_keys=False))
    return path


if __name__ == "__main__":
    write(int(sys.argv[1]), Path(sys.argv[2]))
