"""The toolchains nexusgen ships: how each language is built, checked in CI and health-checked, as data.

A catalogue runtime names one with ``toolchain`` (default: the runtime's own name) and declares
its images, manifests, lint and test; it may declare ``docker``, ``ci`` or ``health`` itself to
replace the shipped record (or describe a language nexusgen does not ship). Families read only the
resolved ``Toolchain``; none of them knows a language by name.

Upstream facts (checked November 2026):
- actions/setup-go v7.0.0 (``go-version``, ``cache`` boolean, ``cache-dependency-path``),
  actions/setup-java v5.7.0 (``java-version``, ``distribution``, ``cache: maven``),
  actions/setup-dotnet v6.0.0 (``dotnet-version`` as ``A.B``, ``cache`` boolean, which needs
  ``packages.lock.json``): each action's action.yml at its release tag.
- Go builds a static binary with ``CGO_ENABLED=0``: it runs on gcr.io/distroless/static
  (no libc, no shell). Java runs ``java -jar`` on gcr.io/distroless/java21/25 (``java`` is on the
  PATH there). .NET runs ``dotnet App.dll`` on mcr.microsoft.com/dotnet/aspnet:<v>-noble-chiseled.
- None of those images has curl, wget or a shell: a compiled service answers its own health check
  (``<command> health <url>``: GET the URL, exit 0 on 2xx/3xx, 1 otherwise); Python and Node.js
  run a one-liner in their interpreter.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexusgen.catalogue.images import language_version
from nexusgen.catalogue.model import CiSetup, DockerBuild, HealthCheck, Runtime

# The shipped toolchains whose interpreter also checks a tcp or grpc port (plan/probe.py's
# INTERPRETER_CHECKS); a runtime whose health has no ``program`` asks its own binary instead.
INTERPRETER_PROBES = frozenset({"python", "node"})

# The service's own command answers `health URL` (Go, Java, .NET images carry no HTTP client).
_SELF = HealthCheck(args=["health", "{url}"])

SHIPPED: dict[str, tuple[DockerBuild, CiSetup, HealthCheck]] = {
    "python": (
        DockerBuild(
            cache="/root/.cache/pip",
            env={"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_ROOT_USER_ACTION": "ignore"},
            # --target keeps dependencies interpreter-path free, so the slim and distroless stages share them.
            install="pip install --target=/opt/deps {requirements}",
            artifacts=["/opt/deps", "/app"],
            run_env={"PATH": "/opt/deps/bin:$PATH", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": "/app:/opt/deps",
                     "PYTHONUNBUFFERED": "1"},
            ignore=["**/*.py[cod]", "**/.mypy_cache", "**/.pytest_cache", "**/.ruff_cache", "**/__pycache__", ".venv"],
            # distroless has no console scripts, only the interpreter
            programs=["python", "python3"],
        ),
        CiSetup(action="actions/setup-python", version_input="python-version", cache="pip", script="pip-requirements"),
        # urlopen raises on a 4xx/5xx answer and on connection errors: the exit status is 1.
        HealthCheck(program="python3", args=["-c", "import urllib.request; urllib.request.urlopen({url!r}, timeout={timeout})"]),
    ),
    "node": (
        DockerBuild(
            cache="/root/.npm",
            install="npm ci --no-audit --no-fund",
            compile="npm run build --if-present && npm prune --omit=dev --no-audit --no-fund",
            artifacts=["/app"],
            ignore=["**/node_modules", "coverage", "npm-debug.log*"],
            programs=["node"],
        ),
        CiSetup(action="actions/setup-node", version_input="node-version", cache="npm", script="npm-lockfile"),
        HealthCheck(program="node", args=[
            "-e", "require('http').get({url_json}, r => process.exit(r.statusCode < 400 ? 0 : 1))"
                  ".on('error', () => process.exit(1)).setTimeout({timeout_ms}, () => process.exit(1))"]),
    ),
    "go": (
        DockerBuild(
            cache="/root/.cache",
            env={"CGO_ENABLED": "0", "GOCACHE": "/root/.cache/go-build", "GOMODCACHE": "/root/.cache/go-mod"},
            install="go mod download",
            # every main package of the module, as static binaries named after their folders
            compile="go build -trimpath -ldflags=-s -o /opt/app/ ./...",
            artifacts=["/opt/app"],
            ignore=["**/*_test.go", "bin", "vendor"],
        ),
        CiSetup(action="actions/setup-go", version_input="go-version", cache="true", cache_file="go.sum",
                install="go mod download"),
        _SELF,
    ),
    "java": (
        DockerBuild(
            cache="/root/.m2",
            install="mvn --batch-mode --quiet dependency:go-offline",
            compile="mvn --batch-mode --quiet package -DskipTests && mkdir -p /opt/app && cp target/*.jar /opt/app/app.jar",
            artifacts=["/opt/app"],
            ignore=["target", ".mvn/wrapper/maven-wrapper.jar"],
            programs=["java"],
        ),
        CiSetup(action="actions/setup-java", version_input="java-version", inputs={"distribution": "temurin"},
                cache="maven", cache_file="pom.xml", install="mvn --batch-mode --quiet dependency:go-offline"),
        _SELF,
    ),
    "dotnet": (
        DockerBuild(
            cache="/root/.nuget/packages",
            env={"DOTNET_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_NOLOGO": "1"},
            install="dotnet restore --locked-mode",
            compile="dotnet publish --configuration Release --no-restore --output /opt/app",
            artifacts=["/opt/app"],
            run_env={"DOTNET_CLI_TELEMETRY_OPTOUT": "1"},
            ignore=["**/bin", "**/obj"],
            programs=["dotnet"],
        ),
        CiSetup(action="actions/setup-dotnet", version_input="dotnet-version", cache="true",
                cache_file="packages.lock.json", install="dotnet restore --locked-mode"),
        _SELF,
    ),
}


@dataclass(frozen=True)
class Toolchain:
    """A runtime with everything resolved: what the docker family and the workflows read."""

    name: str
    runtime: Runtime
    language: str | None  # the shipped toolchain it follows, for images.py's version facts
    docker: DockerBuild
    ci: CiSetup
    health: HealthCheck

    @property
    def version(self) -> str | None:
        """The language version CI sets up: ``ci.version``, else what the build image's tag says."""
        if self.ci.version:
            return self.ci.version
        if self.language:
            return language_version(self.language, self.runtime.build.tag)
        return self.runtime.language_version


def language(name: str, runtime: Runtime) -> str | None:
    """The shipped toolchain a runtime follows: its ``toolchain``, else its own name if nexusgen ships it."""
    return runtime.toolchain or (name if name in SHIPPED else None)


def missing(name: str, runtime: Runtime) -> list[str]:
    """The records a runtime neither declares nor takes from a shipped toolchain."""
    if language(name, runtime) is not None:
        return []
    return [field for field in ("docker", "ci", "health") if getattr(runtime, field) is None]


def resolve(name: str, runtime: Runtime) -> Toolchain:
    """The runtime's own records where it declares them, else its shipped toolchain's (validated: ``missing``)."""
    lang = language(name, runtime)
    shipped = SHIPPED.get(lang or "", (None, None, None))
    docker, ci, health = (getattr(runtime, f) or s for f, s in zip(("docker", "ci", "health"), shipped))
    return Toolchain(name, runtime, lang, docker, ci, health)
