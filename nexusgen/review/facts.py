"""What a plan means to a reviewer, as comparable facts: one per subject, in seven areas.

A fact is a subject (``what``, with the environment apart so identical changes in several
environments print once) and a value; two plans are compared fact by fact (``changes.py``).
Each fact carries the risk of its appearing or changing; a disappearing fact is low risk
except where it loses a protection (an alert).
"""

from __future__ import annotations

from dataclasses import dataclass

from nexusgen.catalogue.model import ENVIRONMENTS
from nexusgen.plan import CLUSTER_ENVIRONMENTS, Plan, image_ref

AREAS = ("exposure", "secrets", "network", "privileges", "capacity", "images", "alerts")
HIGH, MEDIUM, LOW = "high", "medium", "low"


@dataclass(frozen=True, order=True)
class Fact:
    area: str
    what: str  # the subject, as printed: "gateway public at https://api.example.com/"
    env: str  # "" when the fact holds for the catalogue as a whole
    value: str  # compared; "" for facts that are only present or absent
    risk: str  # of this fact appearing or changing
    service: str = ""  # the service it belongs to, if any (facts of an added service are grouped)
    removal_risk: str = LOW
    quiet: bool = False  # reported only when its value changes (the holder's facts say the rest)


def facts(plan: Plan) -> set[Fact]:
    out: set[Fact] = set()
    for collect in (_exposure, _secrets, _network, _privileges, _capacity, _images, _alerts):
        out |= set(collect(plan))
    return out


def _exposure(plan: Plan):
    for name, svc in plan.services.items():
        urls = [f"{plan.public_url(name, env)}{svc.ingress.path} ({env})"
                for env in CLUSTER_ENVIRONMENTS if plan.public_url(name, env)]
        if urls:
            yield Fact("exposure", f"{name} public", "", ", ".join(urls), HIGH, name)


def _secrets(plan: Plan):
    secrets = plan.catalogue.secrets
    holders = {**plan.services, **plan.infrastructure}
    for name, holder in holders.items():
        for var, ref in holder.secrets.items():
            exchange = secrets[ref].exchange
            flag = f" (exchange {exchange} key)" if exchange != "none" else ""
            risk = HIGH if exchange == "trade" else MEDIUM
            yield Fact("secrets", f"{name} receives {var} from {ref}{flag}", "", "", risk, name if name in plan.services else "")
    for name, svc in plan.services.items():
        if svc.exchange_access != "none":
            risk = HIGH if svc.exchange_access == "trade" else MEDIUM
            yield Fact("secrets", f"{name} exchange_access", "", svc.exchange_access, risk, name)
    for ref, secret in secrets.items():
        risk = HIGH if secret.exchange == "trade" else MEDIUM
        yield Fact("secrets", f"secret {ref} in the store", "", f"{secret.path}#{secret.property}", risk, quiet=True)


def _network(plan: Plan):
    for edge in plan.edges:
        if edge.kind == "external":
            ext = plan.catalogue.external[edge.target]
            where = f"{', '.join(ext.cidrs)} port {', '.join(map(str, ext.ports))}"
            yield Fact("network", f"{edge.source} egress to {edge.target}", "", where, HIGH, edge.source)
        else:
            yield Fact("network", f"{edge.source} -> {edge.target}", "", "", MEDIUM, edge.source)
    for name, svc in plan.services.items():
        for env in CLUSTER_ENVIRONMENTS:
            cluster = plan.environment(env).cluster
            if svc.kubernetes_api and cluster is not None:
                where = f"{', '.join(cluster.api_server_cidrs)} port {cluster.api_server_port}"
                yield Fact("network", f"{name} egress to the Kubernetes API", env, where, HIGH, name)


def _privileges(plan: Plan):
    for name, svc in plan.services.items():
        for rule in svc.kubernetes_api:
            for resource in rule.resources:
                group = rule.api_group or "core"
                yield Fact("privileges", f"{name} may use Kubernetes {resource} ({group})", "",
                           ", ".join(sorted(rule.verbs)), HIGH, name)
    for name, holder in {**plan.services, **plan.infrastructure}.items():
        for path in holder.writable_paths:
            yield Fact("privileges", f"{name} writes {path}", "", "", MEDIUM, name if name in plan.services else "")


def _capacity(plan: Plan):
    for name, svc in plan.services.items():
        yield Fact("capacity", f"{name} scaling", "", svc.scaling.mode, MEDIUM, name, quiet=True)
        for env in ENVIRONMENTS:
            if env in CLUSTER_ENVIRONMENTS:
                low, high = plan.replicas(name, env)
                yield Fact("capacity", f"{name} replicas", env, f"{low}-{high}" if low != high else str(low), LOW, name)
            r = plan.resources(name, env)
            value = f"requests {r.requests.cpu}/{r.requests.memory}, limits {r.limits.cpu}/{r.limits.memory}"
            yield Fact("capacity", f"{name} cpu/memory", env, value, LOW, name)
        if svc.scaling.storage:
            yield Fact("capacity", f"{name} storage", "", svc.scaling.storage, LOW, name)


def _images(plan: Plan):
    for runtime, spec in sorted(plan.catalogue.runtimes.items()):
        for stage in ("build", "run", "distroless"):
            image = getattr(spec, stage)
            if image is not None:
                yield Fact("images", f"{runtime} {stage} image", "", image_ref(image), MEDIUM)
    for name, infra in plan.infrastructure.items():
        yield Fact("images", f"{name} image", "", image_ref(infra.image), MEDIUM)
        if infra.exporter is not None and infra.exporter.image is not None:
            yield Fact("images", f"{name} exporter image", "", image_ref(infra.exporter.image), MEDIUM)
    for name, svc in plan.services.items():
        if plan.built(name):
            yield Fact("images", f"{name} runtime", "", svc.runtime, LOW, name, quiet=True)
        else:  # a prebuilt image: what runs is its pinned reference
            yield Fact("images", f"{name} prebuilt image", "", plan.image(name, "production"), MEDIUM, name)
    for env in ENVIRONMENTS:
        yield Fact("images", "services' image registry and tag", env, f"{plan.registry(env)}:{plan.environment(env).tag}", LOW)
        for name, digest in sorted(plan.environment(env).digests.items()):
            yield Fact("images", f"{name} image digest", env, digest, LOW, name)


def _alerts(plan: Plan):
    monitoring = plan.catalogue.monitoring
    for alert in monitoring.alerts:
        good = "".join(f" {k}={v!r}" for k, v in sorted(alert.good.items()))
        value = f"{alert.kind} {alert.threshold:g}{good} for {alert.for_}, {alert.priority}"
        yield Fact("alerts", f"alert {alert.alert} on {alert.service}", "", value, LOW, alert.service, removal_risk=MEDIUM)
    for field, value in monitoring.thresholds:
        yield Fact("alerts", f"threshold {field}", "", f"{value:g}" if isinstance(value, float) else str(value), LOW)
