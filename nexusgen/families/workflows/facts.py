"""Facts the CI/CD workflows need that the plan does not carry yet, derived once here.

Templates only place these values; they never compute a path, an image or a URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexusgen.plan import CLUSTER_ENVIRONMENTS, Plan, paths

# Current major of every action the workflows use (the node24 generation; actionlint
# flags the node20 majors). A catalogue `actions:` entry pins the action to a commit.
MAJORS = {
    "actions/checkout": "v7",
    "actions/setup-node": "v7",
    "actions/setup-python": "v7",
    "actions/upload-artifact": "v7",
    "aquasecurity/trivy-action": "v0.35.0",  # no floating major; tags up to 0.34.2 were hijacked in 2026-03
    "aws-actions/configure-aws-credentials": "v6",
    "docker/build-push-action": "v7",
    "docker/login-action": "v4",
    "docker/metadata-action": "v6",
    "docker/setup-buildx-action": "v4",
    "dorny/paths-filter": "v4",
    "github/codeql-action/upload-sarif": "v4",
}

# How each runtime prepares a checkout for lint and test (setup action, its version input, cache).
_SETUP = {
    "python": ("actions/setup-python", "python-version", "pip"),
    "node": ("actions/setup-node", "node-version", "npm"),
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
    version_input: str
    version: str
    cache: str
    cache_file: str  # manifest the dependency cache is keyed on
    install: str
    lint: str
    test: str


@dataclass(frozen=True)
class ServiceCI:
    name: str
    runtime: str
    source: str
    dockerfile: str
    images: tuple[str, ...]  # every repository the image is pushed to (staging and production)


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
    pins = plan.catalogue.actions
    out = {}
    for name, major in MAJORS.items():
        repo = "/".join(name.split("/")[:2])
        sha = pins.get(name) or pins.get(repo)
        out[name] = ActionRef(f"{name}@{sha}", major) if sha else ActionRef(f"{name}@{major}", "")
    return out


def runtimes(plan: Plan) -> dict[str, RuntimeCI]:
    used = sorted({svc.runtime for svc in plan.services.values()})
    out = {}
    for name in used:
        runtime = plan.catalogue.runtimes[name]
        setup, version_input, cache = _SETUP[name]
        manifests = runtime.manifests
        if name == "python":
            install = " ".join(f"-r {m}" for m in manifests if m.endswith(".txt"))
            install = f"python -m pip install {install}" if install else "python -m pip install ."
            cache_file = next((m for m in manifests if m.endswith(".txt")), manifests[0])
        else:
            install = "npm ci" if "package-lock.json" in manifests else "npm install"
            cache_file = "package-lock.json" if "package-lock.json" in manifests else manifests[0]
        out[name] = RuntimeCI(
            name, setup, version_input, runtime.language_version, cache, cache_file, install, runtime.lint, runtime.test
        )
    return out


def services(plan: Plan) -> list[ServiceCI]:
    out = []
    for name, svc in plan.services.items():
        images = tuple(sorted({plan.image_repo(name, env) for env in CLUSTER_ENVIRONMENTS}))
        out.append(ServiceCI(name, svc.runtime, svc.source, dockerfile(plan, name), images))
    return out


def path_filters(plan: Plan) -> dict[str, list[str]]:
    """dorny/paths-filter rules: a service changed when its build context or its Docker files did."""
    return {name: [f"{svc.source}/**", f"{paths.from_root(paths.dockerfile(name).parent)}/**"] for name, svc in plan.services.items()}


def registries(plan: Plan) -> list[str]:
    """Registry hosts the images are pushed to (logged in with GITHUB_TOKEN)."""
    return sorted({repo.split("/")[0] for svc in services(plan) for repo in svc.images})


def workloads(plan: Plan, env: str, canary_only: bool = False) -> str:
    """``namespace kind name image`` lines, each ending in a newline (so YAML writes a literal
    block even for one line); canaries exist for stateless Deployments only."""
    lines = []
    for name, svc in plan.services.items():
        mode = svc.scaling.mode
        if canary_only and mode != "stateless":
            continue
        kind = plan.workload_kind(name).lower()
        lines.append(Workload(plan.service_namespace(name, env), kind, name, plan.image_repo(name, env)).line())
    return "".join(f"{line}\n" for line in lines)


def public_urls(plan: Plan, env: str) -> dict[str, str]:
    """Base URL of every service with an ingress in ``env``."""
    urls = {name: plan.public_url(name, env) for name in plan.services}
    return {name: url for name, url in urls.items() if url is not None}


def smoke_urls(plan: Plan, env: str) -> str:
    """Readiness endpoint of every public service, one URL a line."""
    urls = public_urls(plan, env)
    return "".join(f"{url}{plan.services[name].health.readiness}\n" for name, url in urls.items())


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
        if svc.group == "frontend" and svc.runtime == "node" and name in urls:
            return EndToEnd(name, svc.source, urls[name], runtimes(plan)["node"].version)
    return None
