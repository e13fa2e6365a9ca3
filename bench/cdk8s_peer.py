"""The peer: cdk8s-plus synthesizing Deployment, Service, HPA and PDB per catalogue service.

Usage: python cdk8s_peer.py CATALOGUE --out OUTDIR  (run with the bench venv that has cdk8s-plus-32).
"""

from __future__ import annotations

import sys

import cdk8s
import cdk8s_plus_32 as kplus
import yaml
from constructs import Construct


class Nexus(cdk8s.Chart):
    def __init__(self, scope: Construct, name: str, catalogue: dict):
        super().__init__(scope, name)
        registry = catalogue["project"]["registry"]
        for svc_name, svc in sorted(catalogue["services"].items()):
            low, high = svc["scaling"].get("min_replicas", 1), svc["scaling"].get("max_replicas", 1)
            limits, requests = svc["resources"]["limits"], svc["resources"]["requests"]
            deployment = kplus.Deployment(
                self,
                f"{svc_name}-deployment",
                security_context=kplus.PodSecurityContextProps(ensure_non_root=True, user=10001, group=10001),
            )
            deployment.add_container(
                image=f"{registry}/{svc_name}:{catalogue['environments']['production']['tag']}",
                port_number=svc["ports"]["http"],
                resources=kplus.ContainerResources(
                    cpu=kplus.CpuResources(request=kplus.Cpu.millis(_millis(requests["cpu"])), limit=kplus.Cpu.millis(_millis(limits["cpu"]))),
                    memory=kplus.MemoryResources(request=cdk8s.Size.mebibytes(_mib(requests["memory"])), limit=cdk8s.Size.mebibytes(_mib(limits["memory"]))),
                ),
                liveness=kplus.Probe.from_http_get(svc["health"]["liveness"], port=svc["ports"]["http"]),
                readiness=kplus.Probe.from_http_get(svc["health"]["readiness"], port=svc["ports"]["http"]),
            )
            deployment.expose_via_service(ports=[kplus.ServicePort(port=svc["ports"]["http"])])
            kplus.HorizontalPodAutoscaler(
                self,
                f"{svc_name}-hpa",
                target=deployment,
                min_replicas=low,
                max_replicas=max(high, 2) if high == low == 1 else high,
                metrics=[kplus.Metric.resource_cpu(kplus.MetricTarget.average_utilization(svc["scaling"].get("cpu_target_percent", 70)))],
            )
            pdb = cdk8s.ApiObject(
                self, f"{svc_name}-pdb", api_version="policy/v1", kind="PodDisruptionBudget", metadata={"name": svc_name}
            )
            pdb.add_json_patch(cdk8s.JsonPatch.add("/spec", {"minAvailable": 1, "selector": {"matchLabels": deployment.match_labels}}))


def _millis(cpu: str) -> int:
    return int(cpu[:-1]) if cpu.endswith("m") else int(float(cpu) * 1000)


def _mib(memory: str) -> int:
    return int(memory[:-2]) * (1024 if memory.endswith("Gi") else 1)


def main() -> None:
    source, flag, outdir = sys.argv[1:4]
    if flag != "--out":
        raise SystemExit(__doc__)
    catalogue = yaml.safe_load(open(source, encoding="utf-8"))
    app = cdk8s.App(outdir=outdir)
    Nexus(app, "nexus", catalogue)
    app.synth()


if __name__ == "__main__":
    main()
