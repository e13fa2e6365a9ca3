"""Facts the CI/CD workflows need that the plan does not carry yet, derived once here.

Templates only place these values; they never compute a path, an image or a URL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from nexusgen.plan import CLUSTER_ENVIRONMENTS, Plan, cloud, paths, probe

# Current major of every action the workflows use (the node24 generation; actionlint
# flags the node20 majors). A catalogue `actions:` entry pins the action to a commit; the
# shipped catalogue pins every one (tests refuse a `uses:` that is not a 40-hex commit).
MAJORS = {
    "actions/checkout": "v7",
    "actions/download-artifact": "v8",
    "actions/setup-dotnet": "v6",
    "actions/setup-go": "v7",
    "actions/setup-java": "v5",
    "actions/setup-node": "v7",
    "actions/setup-python": "v7",
    "actions/upload-artifact": "v7",
    "aquasecurity/trivy-action": "v0.35.0",  # no floating major; tags up to 0.34.2 were hijacked in 2026-03
    "aws-actions/amazon-ecr-login": "v2",
    "aws-actions/configure-aws-credentials": "v6",
    "azure/aks-set-context": "v5",  # node24 from v5.0.0
    "azure/login": "v3",  # node24 from v3.0.0
    "azure/use-kubelogin": "v1.3",  # node24 from v1.3 (v1 is still v1.2, node20)
    "docker/build-push-action": "v7",
    "docker/login-action": "v4",
    "docker/metadata-action": "v6",
    "docker/setup-buildx-action": "v4",
    "dorny/paths-filter": "v4",
    "github/codeql-action/upload-sarif": "v4",
    "google-github-actions/auth": "v3",  # node24 from v3.0.0
    "google-github-actions/get-gke-credentials": "v3",  # node24 from v3.0.0
}

@dataclass(frozen=True)
class ActionRef:
    """``uses:`` value and the trailing comment naming the version a commit pin stands for."""

    ref: str
    comment: str


@dataclass(frozen=True)
class RuntimeCI:
    name: str
    setup: str  # action name
    inputs: dict[str, str | bool]  # the setup action's `with:` (version, cache, cache key file, extra inputs)
    script: str | None  # a named install script of jobs.INSTALL, else None: `install_env` holds COMMAND
    install_env: dict[str, str]  # what the install script reads
    lint: str
    test: str


@dataclass(frozen=True)
class ServiceCI:
    name: str
    runtime: str
    source: str
    dockerfile: str
    images: tuple[str, ...]  # every repository the image is pushed to (staging and production)


PREBUILT = "-"  # a workload line's image for a prebuilt service (scripts.APPLY sets no image of it)


@dataclass(frozen=True)
class Workload:
    """A workload in one cluster environment, as the deploy scripts read it: one line each."""

    namespace: str
    kind: str
    name: str
    image: str  # repository, without tag

    def line(self) -> str:
        return f"{self.namespace} {self.kind} {self.name} {self.image}"


def dockerfile(plan: Plan, service: str) -> str:
    """The service's Dockerfile, relative to the repository root."""
    return paths.from_root(paths.dockerfile(service))


def overlay(plan: Plan, env: str) -> str:
    """The environment's kustomize overlay, relative to the repository root."""
    return paths.from_root(paths.overlay(env))


def action_refs(plan: Plan) -> dict[str, ActionRef]:
    """``uses:`` of every action: ``name@sha  # version`` where the catalogue pins it (a pin of
    a repository covers its sub-actions), else ``name@major``."""
    pins = plan.catalogue.actions
    out = {}
    for name, major in MAJORS.items():
        repo = "/".join(name.split("/")[:2])
        pin = pins.get(name) or pins.get(repo)
        if pin is None:
            out[name] = ActionRef(f"{name}@{major}", "")
        else:
            out[name] = ActionRef(f"{name}@{pin.sha}", pin.version or major)
    for name, pin in pins.items():  # an action only a catalogue runtime sets up (runtimes.*.ci.action)
        out.setdefault(name, ActionRef(f"{name}@{pin.sha}", pin.version or ""))
    return out


def _install(runtime, ci) -> tuple[dict[str, str], str]:
    """(install env, the manifest the dependency cache is keyed on) of a runtime's CI setup."""
    manifests = runtime.manifests
    if ci.script == "pip-requirements":  # every manifest is a requirements file (checks.py)
        return {"MANIFESTS": " ".join([*manifests, *runtime.dev_manifests])}, ci.cache_file or manifests[0]
    if ci.script == "npm-lockfile":
        lockfile = "package-lock.json" if "package-lock.json" in manifests else ""
        return {"LOCKFILE": lockfile}, ci.cache_file or lockfile or manifests[0]
    return ({"COMMAND": ci.install} if ci.install else {}), ci.cache_file or manifests[0]


def runtimes(plan: Plan) -> dict[str, RuntimeCI]:
    """The CI setup of every runtime a built service uses (its toolchain's ``ci`` record)."""
    out = {}
    for service in sorted(plan.built_services, key=lambda name: plan.services[name].runtime):
        toolchain = plan.toolchain(service)
        if toolchain.name in out:
            continue
        ci, runtime = toolchain.ci, toolchain.runtime
        install, cache_file = _install(runtime, ci)
        inputs = {ci.version_input: toolchain.version, **ci.inputs, "cache": True if ci.cache == "true" else ci.cache,
                  "cache-dependency-path": f"${{{{ matrix.source }}}}/{cache_file}"}
        out[toolchain.name] = RuntimeCI(toolchain.name, ci.action, inputs, ci.script, install, runtime.lint, runtime.test)
    return out


def services(plan: Plan) -> list[ServiceCI]:
    """The services CI lints, tests, builds and pushes: those built from source."""
    out = []
    for name in plan.built_services:
        svc = plan.services[name]
        images = tuple(sorted({plan.image_repo(name, env) for env in CLUSTER_ENVIRONMENTS}))
        out.append(ServiceCI(name, svc.runtime, svc.source, dockerfile(plan, name), images))
    return out


def path_filters(plan: Plan) -> dict[str, list[str]]:
    """dorny/paths-filter rules: a service changed when its build context or its Docker files did."""
    return {svc.name: [f"{svc.source}/**", f"{paths.from_root(paths.dockerfile(svc.name).parent)}/**"] for svc in services(plan)}


def registries(plan: Plan) -> list[str]:
    """Registry hosts the images are pushed to with GITHUB_TOKEN (ECR is logged in through a role: ``ecr``)."""
    hosts = {repo.split("/")[0] for svc in services(plan) for repo in svc.images}
    return sorted(hosts - ({ecr(plan).host} if ecr(plan) else set()))


@dataclass(frozen=True)
class Ecr:
    """The cloud's registry (plan.cloud.registry) and the roles that push to it (terraform/registry)."""

    host: str
    region: str
    roles: dict[str, str]  # purpose ("push": main's images job, "promote": the release) -> role ARN


def ecr(plan: Plan) -> Ecr | None:
    cloud_ = plan.catalogue.cloud
    if cloud_ is None:
        return None
    state = cloud_.state
    roles = {"push": cloud.role_arn(state.account_id, cloud.push_role(plan.project)),
             "promote": cloud.role_arn(state.account_id, cloud.promote_role(plan.project))}
    return Ecr(cloud.registry(cloud_, plan.project).split("/")[0], state.region, roles)


def workloads(plan: Plan, env: str, canary_only: bool = False) -> str:
    """``namespace kind name image`` lines, each ending in a newline (so YAML writes a literal
    block even for one line); canaries exist for stateless Deployments only. A prebuilt image's
    line has ``-`` for its image: the overlay pins it by digest already (nothing to set, no
    canary), and the deploy still waits for its rollout."""
    lines = []
    for name in plan.services:
        built, mode = plan.built(name), plan.services[name].scaling.mode
        # a canary is judged on its HTTP error ratio and p99: only a stateless service serving HTTP has one
        if canary_only and (not built or mode != "stateless" or plan.services[name].schedule or "http" not in plan.services[name].ports):
            continue
        kind = plan.workload_kind(name).lower()
        image = plan.image_repo(name, env) if built else PREBUILT
        lines.append(Workload(plan.service_namespace(name, env), kind, name, image).line())
    return "".join(f"{line}\n" for line in lines)


def public_urls(plan: Plan, env: str) -> dict[str, str]:
    """Base URL of every service with an ingress in ``env``."""
    urls = {name: plan.public_url(name, env) for name in plan.services}
    return {name: url for name, url in urls.items() if url is not None}


def smoke_urls(plan: Plan, env: str) -> str:
    """Readiness endpoint of every public service (with an http readiness probe), one URL a line."""
    paths = {name: probe.public_readiness_path(plan, name) for name in public_urls(plan, env)}
    return "".join(f"{url}{paths[name]}\n" for name, url in public_urls(plan, env).items() if paths[name])


@dataclass(frozen=True)
class EndToEnd:
    service: str
    source: str
    base_url: str
    node_version: str


def end_to_end(plan: Plan, env: str) -> EndToEnd | None:
    """Playwright runs from the first public node service of the frontend group, against ``env``."""
    urls = public_urls(plan, env)
    for name, svc in plan.services.items():
        toolchain = plan.toolchain(name) if plan.built(name) else None
        if svc.group == "frontend" and toolchain and toolchain.language == "node" and name in urls:
            return EndToEnd(name, svc.source, urls[name], toolchain.version)
    return None


def kill_switches(plan: Plan, env: str) -> str:
    """``namespace kind service port halt-method halt-path resume-method resume-path metrics-port halted-metric``
    lines (``-`` where no halted gauge is declared): the services halted before they are replaced."""
    lines = []
    for name, svc in plan.services.items():
        ks = svc.kill_switch
        if ks is None:
            continue
        fields = [plan.service_namespace(name, env), plan.workload_kind(name).lower(), name, str(plan.named_port(name, "http").container), ks.halt.method, ks.halt.path,
                  ks.resume.method, ks.resume.path, str(plan.metrics_port(name) or plan.named_port(name, "http").container), ks.halted_metric or "-"]
        lines.append(" ".join(fields))
    return "".join(f"{line}\n" for line in lines)


def _kubelet_literal(arg: str) -> str:
    """Kubernetes expands ``$(VAR)`` in ``command``; ``$$(`` keeps it literal."""
    return arg.replace("$(", "$$(")


def migrations(plan: Plan, env: str) -> str:
    """JSON lines ``{namespace, kind, service, image, command}``: each runs as a Job before the rollout."""
    rows = [
        {"namespace": plan.service_namespace(name, env), "kind": plan.workload_kind(name).lower(), "service": name,
         "image": plan.image_repo(name, env),
         "command": [_kubelet_literal(a) for a in svc.migration]}
        for name, svc in plan.services.items() if svc.migration and plan.built(name)
    ]
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)


def canary_queries(plan: Plan, env: str) -> str:
    """JSON lines per canary: PromQL for its 5xx ratio and p99 latency, and the stable pods' p99,
    over the soak. Every value placed in a matcher is a DNS label or a metric name (validated)."""
    mon = plan.catalogue.monitoring
    window = plan.environment(env).canary.soak
    rows = []
    for name in plan.built_services:  # canaries run a new image: a prebuilt one has none
        if plan.services[name].scaling.mode != "stateless":
            continue
        ns = plan.service_namespace(name, env)
        canary = f'job="{name}",namespace="{ns}",pod=~"{name}-canary-.+"'
        stable = f'job="{name}",namespace="{ns}",pod!~"{name}-canary-.+"'
        req, dur = mon.http_requests_metric, mon.http_duration_metric
        rows.append({
            "service": name,
            "errors": f'(sum(rate({req}{{{canary},status=~"5.."}}[{window}])) or vector(0))'
                      f" / sum(rate({req}{{{canary}}}[{window}]))",
            "p99": f"histogram_quantile(0.99, sum by (le) (rate({dur}_bucket{{{canary}}}[{window}])))",
            "stable_p99": f"histogram_quantile(0.99, sum by (le) (rate({dur}_bucket{{{stable}}}[{window}])))",
        })
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)


def seconds(duration: str) -> int:
    """A validated ``Duration`` (``30s``, ``5m``, ``1h``, ``1d``) in seconds."""
    return int(duration[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[duration[-1]]


def change_windows(plan: Plan, env: str) -> dict[str, str]:
    """What the change-window gate reads (JSON; reasons stay in the catalogue)."""
    e = plan.environment(env)
    return {
        "WINDOWS": json.dumps([w.model_dump() for w in e.change_windows], sort_keys=True),
        "FREEZES": json.dumps([{"start": f.start, "end": f.end} for f in e.freezes], sort_keys=True),
    }
