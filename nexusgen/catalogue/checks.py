"""Rules that relate several parts of the catalogue. Each yields ``(loc, message)``.

Every rule is linear in the size of the catalogue (one pass, dict lookups), so a
catalogue of a thousand services checks as fast as it loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nexusgen.catalogue import cloud_checks, platform_checks, runtime_checks, runtimes, secret_checks, service_checks
from nexusgen.catalogue.alert_kinds import ALERT_KINDS
from nexusgen.catalogue.findings import Finding, choices
from nexusgen.catalogue.model import ENVIRONMENTS, METRICS, Catalogue, Resources, cpu_cores, memory_bytes
from nexusgen.catalogue.names import derived_env_names, port_env
from nexusgen.catalogue.reserved import GENERATED_ALERTS, MAX_RESTARTS_PER_HOUR, SELF_SCRAPED


def check(catalogue: Catalogue) -> list[Finding]:
    from nexusgen.catalogue import trading  # trading safety and least privilege, a module of their own

    findings: list[Finding] = []
    for rule in _RULES + trading.RULES:
        findings.extend(rule(catalogue))
    return findings


def _references(cat: Catalogue) -> Iterator[Finding]:
    for name, svc in cat.services.items():
        base = ("services", name)
        if svc.runtime is not None and svc.runtime not in cat.runtimes:
            yield (*base, "runtime"), f"runtime {svc.runtime!r} is not defined under 'runtimes'" + choices(cat.runtimes)
        deps = svc.depends_on
        for field, known, what in (
            ("services", cat.services, "service"),
            ("infrastructure", cat.infrastructure, "infrastructure"),
            ("external", cat.external, "external endpoint"),
        ):
            seen: set[str] = set()
            for index, target in enumerate(getattr(deps, field)):
                loc = (*base, "depends_on", field, index)
                if target in seen:
                    yield loc, f"{target!r} is listed twice"
                seen.add(target)
                if target not in known:
                    yield loc, f"unknown {what} {target!r}" + choices(known)
                elif field == "services" and target == name:
                    yield loc, "a service cannot depend on itself"
                elif field == "infrastructure" and cat.infrastructure[target].optional:
                    yield loc, (
                        f"{target!r} is optional (profile {cat.infrastructure[target].profile!r}); "
                        "a service may not depend on it"
                    )


def _cycles(cat: Catalogue) -> Iterator[Finding]:
    """Iterative three-colour DFS: each cycle is named once, as a path."""
    graph = {n: [d for d in s.depends_on.services if d in cat.services and d != n] for n, s in cat.services.items()}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in sorted(graph):
        if state.get(root):
            continue
        path: list[str] = [root]
        state[root] = 1
        stack = [iter(sorted(graph[root]))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(child) == 1:
                cycle = path[path.index(child) :] + [child]
                loc = ("services", cycle[0], "depends_on", "services", cat.services[cycle[0]].depends_on.services.index(cycle[1]))
                yield loc, "dependency cycle: " + " -> ".join(cycle)
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append(iter(sorted(graph[child])))


def _secrets(cat: Catalogue) -> Iterator[Finding]:
    rank = {"none": 0, "read": 1, "trade": 2, "testnet": 2}
    holders = [(("services", n), n, s.secrets, s.exchange_access) for n, s in cat.services.items()]
    holders += [
        (("environments", e, "services", n), n, {k: v for k, v in o.secrets.items() if v}, cat.services[n].exchange_access)
        for e, env in _environments(cat) for n, o in env.services.items() if n in cat.services
    ]
    holders += [(("infrastructure", n), n, i.secrets, "none") for n, i in cat.infrastructure.items()]
    holders += [(("infrastructure", n, "exporter"), n, i.exporter.secrets, "none") for n, i in cat.infrastructure.items() if i.exporter]
    for base, name, secrets, access in holders:
        for env, ref in secrets.items():
            loc = (*base, "secrets", env)
            secret = cat.secrets.get(ref)
            if secret is None:
                yield loc, f"unknown secret {ref!r}" + choices(cat.secrets)
            elif rank[secret.exchange] > rank[access]:
                yield loc, (
                    f"secret {ref!r} is an exchange {secret.exchange} credential; "
                    f"{name!r} has exchange_access {access!r}"
                )


def _env_names(cat: Catalogue) -> Iterator[Finding]:
    for name, svc in cat.services.items():
        derived = derived_env_names(cat, name)
        for env in svc.config:
            if env in svc.secrets:
                yield ("services", name, "config", env), f"{env} is set both in config and in secrets"
            if env in derived:
                yield ("services", name, "config", env), f"{env} is set by nexusgen from the catalogue; choose another name"
        for env in svc.secrets:
            if env in derived:
                yield ("services", name, "secrets", env), f"{env} is set by nexusgen from the catalogue; choose another name"
    for name, infra in cat.infrastructure.items():
        for env in infra.config:
            if env in infra.secrets:
                yield ("infrastructure", name, "config", env), f"{env} is set both in config and in secrets"


def _resources(cat: Catalogue) -> Iterator[Finding]:
    items: list[tuple[tuple[str | int, ...], Resources | None]] = []
    items += [(("services", n, "resources"), s.resources) for n, s in cat.services.items()]
    items += [(("infrastructure", n, "resources"), i.resources) for n, i in cat.infrastructure.items()]
    items += [(("infrastructure", n, "exporter", "resources"), i.exporter.resources) for n, i in cat.infrastructure.items() if i.exporter]
    for env_name, env in _environments(cat):
        items += [(("environments", env_name, "services", n, "resources"), o.resources) for n, o in env.services.items()]
    for loc, res in items:
        if res is None:
            continue
        if cpu_cores(res.requests.cpu) > cpu_cores(res.limits.cpu):
            yield (*loc, "requests", "cpu"), f"request {res.requests.cpu} exceeds limit {res.limits.cpu}"
        if memory_bytes(res.requests.memory) > memory_bytes(res.limits.memory):
            yield (*loc, "requests", "memory"), f"request {res.requests.memory} exceeds limit {res.limits.memory}"


def _environments(cat: Catalogue):
    return tuple((name, getattr(cat.environments, name)) for name in ENVIRONMENTS)


def _overrides(cat: Catalogue) -> Iterator[Finding]:
    needs_domain = any(s.ingress for s in cat.services.values())
    needs_store = bool(cat.secrets)
    needs_api = sorted(n for n, s in cat.services.items() if s.kubernetes_api)
    for env_name, env in _environments(cat):
        base = ("environments", env_name)
        for name, override in env.services.items():
            loc = (*base, "services", name)
            svc = cat.services.get(name)
            if svc is None:
                yield loc, f"unknown service {name!r}" + choices(cat.services)
                continue
            low = override.min_replicas or svc.scaling.min_replicas
            high = override.max_replicas or svc.scaling.max_replicas
            if (override.min_replicas or override.max_replicas) and svc.scaling.mode != "stateless":
                yield loc, f"{name!r} is {svc.scaling.mode}; only stateless services scale"
            elif low > high:
                yield loc, f"min_replicas ({low}) exceeds max_replicas ({high}) once overridden"
        for name in env.digests:
            if name not in cat.services:
                yield (*base, "digests", name), f"unknown service {name!r}" + choices(cat.services)
            elif cat.services[name].image is not None:
                yield (*base, "digests", name), f"{name!r} runs a prebuilt image: its digest is 'services.{name}.image.digest'"
        if env_name == "dev":
            continue
        if needs_domain and env.domain is None:
            yield base, "a 'domain' is needed: services have an ingress"
        if needs_store and env.secret_store is None:
            yield base, "a 'secret_store' is needed: services reference secrets"
        if env.cluster is None:
            yield base, "a 'cluster' is needed: CI deploys to it" + (
                f" and {', '.join(needs_api)} (kubernetes_api) call its API server" if needs_api else ""
            )
        if needs_domain and env.tls_issuer is None:
            yield base, "a 'tls_issuer' (cert-manager ClusterIssuer) is needed: services have an ingress"
    prod = cat.environments.production
    if prod.tag in ("latest", "main", "master"):
        yield ("environments", "production", "tag"), (
            f"production images must be immutable: use a version tag or digests, not {prod.tag!r}"
        )


def _alerts(cat: Catalogue) -> Iterator[Finding]:
    seen: set[str] = set()
    watched: dict[tuple[str, str], str] = {}  # (service, metric) -> alert
    for index, alert in enumerate(cat.monitoring.alerts):
        loc = ("monitoring", "alerts", index)
        other = watched.setdefault((alert.service, alert.metric), alert.alert)
        if other != alert.alert:
            yield (*loc, "metric"), (
                f"{alert.service}'s {alert.metric} already has alert {other!r}; one alert per metric "
                "(their unit tests share one healthy series)"
            )
        if alert.alert in seen:
            yield (*loc, "alert"), f"alert {alert.alert!r} is defined twice"
        elif alert.alert in GENERATED_ALERTS:
            yield (*loc, "alert"), f"{alert.alert!r} is the name of an alert nexusgen generates; choose another name"
        seen.add(alert.alert)
        svc = cat.services.get(alert.service)
        if svc is None:
            yield (*loc, "service"), f"unknown service {alert.service!r}" + choices(cat.services)
            continue
        metric = next((m for m in svc.metrics if m.name == alert.metric), None)
        if metric is None:
            yield (*loc, "metric"), f"{alert.service!r} declares no metric {alert.metric!r} under 'metrics'"
            continue
        kind = ALERT_KINDS[alert.kind]
        if metric.type != kind.metric_type:
            yield (*loc, "kind"), f"{alert.kind!r} needs a {kind.metric_type}; {alert.metric} is a {metric.type}"
        if alert.threshold not in kind.threshold:
            yield (*loc, "threshold"), f"{alert.threshold:g} is out of range for kind {alert.kind!r}: {kind.threshold.text}"
        if kind.needs_good != bool(alert.good):
            takes = [k for k, v in ALERT_KINDS.items() if v.needs_good]
            yield (*loc, "good"), (
                f"'good' (the labels of successful events) goes with kind {', '.join(map(repr, takes))}, and only there"
            )
        for label in alert.good:
            if label not in metric.labels:
                yield (*loc, "good", label), f"{alert.metric} has no label {label!r}"


def _paths(cat: Catalogue) -> Iterator[Finding]:
    """One mount per container path: ``/tmp`` and ``/tmp/`` are one path (the model normalises them)."""
    owners = [(("services", n), s.writable_paths, s.scaling.storage_path if s.scaling.mode == "stateful" else None)
              for n, s in cat.services.items()]
    owners += [(("infrastructure", n), i.writable_paths, i.storage) for n, i in cat.infrastructure.items()]
    for base, writable, storage in owners:
        seen: set[str] = set()
        for index, path in enumerate(writable):
            if path in seen:
                yield (*base, "writable_paths", index), f"{path!r} is listed twice (after removing a trailing '/')"
            elif path == storage:
                yield (*base, "writable_paths", index), f"{path!r} is also the storage path; it is writable already"
            seen.add(path)


def _thresholds(cat: Catalogue) -> Iterator[Finding]:
    restarts = cat.monitoring.thresholds.restarts_per_hour
    if restarts > MAX_RESTARTS_PER_HOUR:
        yield ("monitoring", "thresholds", "restarts_per_hour"), (
            f"{restarts} is more than FrequentRestarts' unit test can simulate within an hour (at most {MAX_RESTARTS_PER_HOUR})"
        )


def _unique(cat: Catalogue) -> Iterator[Finding]:
    hosts: dict[str, str] = {}
    for name, svc in cat.services.items():
        if svc.ingress:
            if svc.ingress.subdomain in hosts:
                yield ("services", name, "ingress", "subdomain"), f"subdomain already used by {hosts[svc.ingress.subdomain]!r}"
            hosts[svc.ingress.subdomain] = name
        if svc.metrics and METRICS not in svc.ports:
            yield ("services", name, "ports"), "declares metrics but no 'metrics' port"
    for name, infra in cat.infrastructure.items():
        if name in cat.services:
            yield ("infrastructure", name), f"{name!r} is also a service name"
        if name in SELF_SCRAPED and infra.exporter is not None:
            yield ("infrastructure", name, "exporter"), (
                f"the monitoring stack scrapes {name} itself (scrape job {name!r}); remove the exporter"
            )


def _commands(cat: Catalogue) -> Iterator[Finding]:
    """A port written into a command would not follow the catalogue: the process must read <NAME>_PORT."""
    for name, svc in cat.services.items():
        ports = {str(svc.ports[label].port): (var, label) for var, label in port_env(cat, name).items()}
        for index, arg in enumerate(svc.command or ()):
            for port, (var, label) in ports.items():
                if arg == port or arg.endswith(f":{port}") or arg.endswith(f"={port}"):
                    yield ("services", name, "command", index), (
                        f"repeats the {label} port {port}; read it from ${var} so a port change reaches the process"
                    )


def _exporters(cat: Catalogue) -> Iterator[Finding]:
    """A sidecar reaches its component on localhost: at the component's own port, or nowhere."""
    for name, infra in cat.infrastructure.items():
        for key, value in (infra.exporter.config.items() if infra.exporter else ()):
            for port in re.findall(r"localhost:([0-9]+)", value):
                if int(port) != infra.port:
                    yield ("infrastructure", name, "exporter", "config", key), (
                        f"points at localhost:{port}, but {name} listens on {infra.port}"
                    )


def _runtimes(cat: Catalogue) -> Iterator[Finding]:
    for name, runtime in cat.runtimes.items():
        toolchain = runtimes.resolve(name, runtime) if not runtimes.missing(name, runtime) else None
        if toolchain is not None and toolchain.version is None:
            yield ("runtimes", name, "build", "tag"), (
                f"{runtime.build.tag!r} must start with the language version (such as '3.11-slim'): CI sets up that version"
            )
        pip = toolchain is not None and toolchain.ci.script == "pip-requirements"
        for field in ("manifests", "dev_manifests"):
            for index, manifest in enumerate(getattr(runtime, field) if pip else []):
                if not manifest.endswith(".txt"):
                    yield ("runtimes", name, field, index), f"{manifest!r}: pip installs requirements files (*.txt)"


_RULES = [_references, _cycles, *service_checks.RULES, _paths, _secrets, _env_names, *secret_checks.RULES, _resources, _overrides, _alerts, _thresholds, _unique, _commands, _runtimes, *runtime_checks.RULES, _exporters, *platform_checks.RULES,
          *cloud_checks.RULES]

