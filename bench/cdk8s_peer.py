"""The peer: cdk8s-plus synthesizing Deployment, Service, HPA and PDB per catalogue service.

Usage: python cdk8s_peer.py CATALOGUE --out OUTDIR [--chart-per-service]
(run with the bench venv that has cdk8s-plus-32).

Two shapes of the same app: one chart holding every service (one manifest), or one chart per
service (one manifest each, the usual layout for microservices). They synthesize the same
objects; the second costs more per service (see the README's Benchmark section).
"""

from __future__ import annotations

import argparse

import cdk8s
import cdk8s_plus_32 as kplus
import yaml
from constructs import Construct


class Nexus(cdk8s.Chart):
    def __init__(self, scope: Construct, name: str, catalogue: dict, services: list[str]):
        super().__init__(scope, name)
        registry = catalogue["project"]["registry"]
        for svc_name in services:
            svc = catalogue["services"][svc_name]
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("catalogue")
    parser.add_argument("--out", required=True)
    parser.add_argument("--chart-per-service", action="store_true")
    args = parser.parse_args()
    with open(args.catalogue, encoding="utf-8") as f:
        catalogue = yaml.safe_load(f)
    services = sorted(catalogue["services"])
    app = cdk8s.App(outdir=args.out)
    if args.chart_per_service:
        for name in services:
            Nexus(app, name, catalogue, [name])
    else:
        Nexus(app, "nexus", catalogue, services)
    app.synth()


if __name__ == "__main__":
    main()
