"""Runtimes as data and prebuilt-image services (issue 19, items 1 and 2).

Every shipped toolchain renders a hadolint-clean multi-stage Dockerfile whose final stage runs as
a non-root user on the declared (distroless where one exists) image, with a health check that
needs no tool the image lacks; a service that runs a prebuilt image gets no Dockerfile, no build
job and no image repository, and everything else as usual, pinned by digest.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pygohcl
import pytest
import yaml

from conftest import CATALOGUE, ROOT, nexusgen_here, tool
from test_docker import stages
from nexusgen import catalogue as catalogue_io
from nexusgen.catalogue.images import shell_free
from nexusgen.catalogue.runtimes import SHIPPED
from nexusgen.families.docker import serves_distroless
from nexusgen.families.terraform.aws.facts import image_path
from nexusgen.plan import SERVICE_UID, build, image_ref
from nexusgen.plan import probe

CASE = ROOT / "tests" / "cases" / "polyglot-runtimes" / "services.yaml"
PLAN = build(catalogue_io.parse(CASE.read_bytes(), CASE.name))
BUILT = sorted(PLAN.built_services)
PREBUILT = "flags"
# What a health check may not rely on: the final images carry no HTTP client and no shell.
NOT_IN_THE_IMAGE = {"curl", "wget", "sh", "bash", "/bin/sh"}


@pytest.fixture(scope="module")
def polyglot(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("polyglot") / "out"
    result = nexusgen_here("render", "--catalogue", str(CASE), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def _stages(text: str) -> list[tuple[str, str, list[str]]]:
    """(image, stage name, instructions as text) per stage, in order (test_docker's reading)."""
    return [(steps[0][1], name, [f"{kw} {args}" for kw, args in steps[1:]]) for name, steps in stages(text).items()]


def test_the_case_uses_every_shipped_runtime():
    """So the tests below prove each toolchain nexusgen ships, not a subset."""
    assert {PLAN.toolchain(name).language for name in BUILT} == set(SHIPPED)


@pytest.mark.parametrize("service", BUILT)
def test_dockerfile_is_hadolint_clean(polyglot: Path, service: str):
    path = polyglot / "docker" / service / "Dockerfile"
    result = subprocess.run([tool("hadolint"), "--failure-threshold", "warning", "-f", "json", str(path)],
                            capture_output=True, text=True)
    assert json.loads(result.stdout or "[]") == [] and result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", BUILT)
def test_final_stage_is_non_root_on_the_declared_image(polyglot: Path, service: str):
    stages = _stages((polyglot / "docker" / service / "Dockerfile").read_text())
    toolchain = PLAN.toolchain(service)
    runtime = toolchain.runtime
    assert len(stages) >= 2 and stages[0][:2] == (image_ref(runtime.build), "build"), "multi-stage: build, then run"
    # Every stage after the build one runs as the service user and copies only the declared artifacts.
    for image, name, instructions in stages[1:]:
        assert f"USER {SERVICE_UID}:{SERVICE_UID}" in instructions
        copies = [i for i in instructions if i.startswith("COPY ")]
        assert copies == [f"COPY --from=build {path} {path}" for path in toolchain.docker.artifacts]
    image, name, _ = stages[-1]
    assert (image, name) == (image_ref(runtime.run), "runtime")
    if runtime.distroless is not None and serves_distroless(PLAN, service):
        assert ("distroless" in [n for _, n, _ in stages]) and image_ref(runtime.distroless) in [i for i, _, _ in stages]
    if toolchain.language in {"go", "java", "dotnet"}:  # these ship on distroless/chiseled images only
        assert shell_free(runtime.run.image, runtime.run.tag), f"{runtime.run.image} is not distroless"


@pytest.mark.parametrize("service", BUILT)
def test_health_check_needs_no_tool_the_image_lacks(polyglot: Path, service: str):
    argv = probe.command(PLAN, service, probe.checks(PLAN, service)["liveness"])
    assert not NOT_IN_THE_IMAGE & {Path(arg).name for arg in argv} and argv[0] not in NOT_IN_THE_IMAGE
    health = PLAN.toolchain(service).health
    if health.program is None:  # the service's own binary answers `health URL`
        assert argv[: len(PLAN.services[service].command)] == PLAN.services[service].command
        assert argv[-2:] == ["health", f"http://127.0.0.1:{PLAN.named_port(service, 'http').container}/healthz"]
    text = (polyglot / "docker" / service / "Dockerfile").read_text()
    assert f"CMD {json.dumps(argv)}" in text


def test_ci_sets_every_runtime_up_with_its_pinned_action(polyglot: Path):
    pr = yaml.safe_load((polyglot.parent / ".github" / "workflows" / "pr.yml").read_text())
    steps = pr["jobs"]["lint-test"]["steps"]
    pins = PLAN.catalogue.actions
    for name in {PLAN.services[s].runtime for s in BUILT}:
        toolchain = PLAN.toolchain(next(s for s in BUILT if PLAN.services[s].runtime == name))
        (setup,) = [s for s in steps if s.get("name") == f"Set up {name}"]
        assert setup["uses"] == f"{toolchain.ci.action}@{pins[toolchain.ci.action].sha}"
        assert setup["with"][toolchain.ci.version_input] == toolchain.version
        for kind, command in (("Lint", toolchain.runtime.lint), ("Test", toolchain.runtime.test)):
            (step,) = [s for s in steps if s.get("name") == f"{kind} ({name})"]
            assert step["env"]["COMMAND"] == command and step["if"] == f"matrix.runtime == '{name}'"


def test_prebuilt_service_gets_no_dockerfile_and_no_build_job(polyglot: Path):
    assert not (polyglot / "docker" / PREBUILT).exists()
    assert sorted(p.name for p in (polyglot / "docker").iterdir()) == BUILT
    github = polyglot.parent / ".github"
    for path in (github / "workflows").glob("*.yml"):
        workflow = yaml.safe_load(path.read_text())
        for job in workflow["jobs"].values():
            include = (job.get("strategy") or {}).get("matrix", {}).get("include", [])
            if isinstance(include, list):
                assert PREBUILT not in [row["service"] for row in include], f"{path.name} builds {PREBUILT}"
            for step in job.get("steps", []):
                for var, value in (step.get("env") or {}).items():
                    if var == "WORKLOADS":  # waited for, with no image to set ('-'): the overlay pins it
                        rows = [line.split() for line in str(value).splitlines()]
                        assert [r[3] for r in rows if r[2] == PREBUILT] == ["-"], f"{path.name}: {step.get('name')}"
                    else:  # no canary, no migration, nothing else names it
                        assert f" {PREBUILT} " not in f" {value} ", f"{path.name}: {step.get('name')} {var}"
    assert "filters" in (github / "workflows" / "pr.yml").read_text()
    assert f"\n          {PREBUILT}:" not in (github / "workflows" / "pr.yml").read_text()
    dependabot = yaml.safe_load((github / "dependabot.yml").read_text())
    assert f"/out/docker/{PREBUILT}" not in json.dumps(dependabot)


def test_prebuilt_service_runs_everywhere_pinned_by_digest(polyglot: Path):
    pinned = image_ref(PLAN.services[PREBUILT].image)
    assert "@sha256:" in pinned
    compose = yaml.safe_load((polyglot / "compose" / "docker-compose.yml").read_text())["services"]
    assert compose[PREBUILT]["image"] == pinned and "build" not in compose[PREBUILT]
    assert compose["frontend"]["depends_on"][PREBUILT] == {"condition": "service_started"}  # no health tool known
    for env in ("staging", "production"):
        rendered = subprocess.run([tool("kubectl"), "kustomize", str(polyglot / "k8s" / "overlays" / env)],
                                  capture_output=True, text=True, check=True).stdout
        docs = [d for d in yaml.safe_load_all(rendered) if d]
        (deployment,) = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == PREBUILT]
        (container,) = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == PREBUILT]
        assert container["image"] == pinned
        assert container["securityContext"]["runAsNonRoot"] is True
        policies = [d["metadata"]["name"] for d in docs if d["kind"] == "NetworkPolicy"]
        assert any(PREBUILT in name for name in policies)
    rules = (polyglot / "monitoring").rglob("*")
    assert any(PREBUILT in p.read_text() for p in rules if p.is_file() and p.suffix in {".yml", ".yaml"})
    assert (polyglot / "monitoring" / "runbooks").exists()
    assert any(PREBUILT in p.read_text() for p in (polyglot / "monitoring" / "runbooks").rglob("*.md"))


def _shipped_with_prebuilt(tmp_path: Path) -> Path:
    """The shipped catalogue (which has a cloud section) with `notification` as a prebuilt image."""
    text = CATALOGUE.read_text()
    built = ("    runtime: python\n    group: core\n    source: services/notification\n"
             "    command: [python, -m, notification]\n")
    assert built in text
    text = text.replace(built, "    group: core\n    image: {image: docker.io/vendor/notifier, tag: \"1.2.3\", "
                               "digest: \"sha256:" + "3" * 64 + "\"}\n")
    path = tmp_path / "services.yaml"
    path.write_text(text)
    return path


def test_prebuilt_service_gets_no_image_repository(tmp_path: Path):
    """families/terraform creates exactly the repositories the workflows push to: not the vendor's."""
    catalogue = _shipped_with_prebuilt(tmp_path)
    out = tmp_path / "out"
    result = nexusgen_here("render", "--catalogue", str(catalogue), "--out", str(out))
    assert result.returncode == 0, result.stderr
    pushed: set[str] = set()
    for path in (tmp_path / ".github" / "workflows").glob("*.yml"):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            include = (job.get("strategy") or {}).get("matrix", {}).get("include", [])
            for row in include if isinstance(include, list) else []:
                pushed |= set(str(row.get("images", "")).split())
    assert pushed and not [image for image in pushed if "notification" in image or "vendor" in image]
    plan = build(catalogue_io.parse(catalogue.read_bytes(), "services.yaml"))
    # one registry (the terraform/registry root) that every cloud environment pulls from
    tree = pygohcl.loads((out / "terraform" / "registry" / "main.tf").read_text())
    (registry,) = [m for m in tree["module"].values() if m["source"] == "../modules/registry"]
    assert {plan.registry(env) for env in ("staging", "production")} == {plan.registry("production")}
    assert set(registry["repositories"]) == {image_path(i) for i in pushed if i.startswith(plan.registry("production"))}
    assert "notification" not in " ".join(registry["repositories"])


def test_a_runtime_nexusgen_does_not_ship_is_declared_as_data(tmp_path: Path):
    """A catalogue can describe a new language without a line of nexusgen code: its own records."""
    text = CASE.read_text()
    text = text.replace("runtimes:\n", """runtimes:
  ruby:
    build: {image: ruby, tag: 3.4-slim}
    run: {image: ruby, tag: 3.4-slim}
    manifests: [Gemfile, Gemfile.lock]
    lint: bundle exec rubocop
    test: bundle exec rspec
    docker:
      cache: /usr/local/bundle/cache
      env: {BUNDLE_DEPLOYMENT: "1", BUNDLE_WITHOUT: development}
      install: bundle install
      artifacts: [/usr/local/bundle, /app]
    ci: {action: ruby/setup-ruby, version_input: ruby-version, cache: "true", install: bundle install}
    health: {program: ruby, args: [-rnet/http, -e, "exit Net::HTTP.get_response(URI({url_json})).code.to_i < 400"]}
""", 1)
    text = text.replace("actions:\n", "actions:\n  ruby/setup-ruby: {sha: " + "c" * 40 + ", version: v1.2.3}\n", 1)
    text = text.replace("    runtime: python\n", "    runtime: ruby\n", 1)
    text = text.replace("command: [python, -m, recommendation]", "command: [ruby, app.rb]")
    catalogue = tmp_path / "services.yaml"
    catalogue.write_text(text)
    result = nexusgen_here("render", "--catalogue", str(catalogue), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    dockerfile = tmp_path / "out" / "docker" / "recommendation" / "Dockerfile"
    text = dockerfile.read_text()
    assert "FROM ruby:3.4-slim AS build" in text and "    bundle install\n" in text
    assert 'CMD ["ruby", "-rnet/http", "-e", "exit Net::HTTP.get_response(URI(\\"http://127.0.0.1:8084/healthz\\"))' in text
    hadolint = subprocess.run([tool("hadolint"), "--failure-threshold", "warning", str(dockerfile)], capture_output=True, text=True)
    assert hadolint.returncode == 0, hadolint.stdout
    pr = (tmp_path / ".github" / "workflows" / "pr.yml").read_text()
    assert "ruby/setup-ruby@" + "c" * 40 + "  # v1.2.3" in pr and "ruby-version: \"3.4\"" in pr


def test_toolchain_names_are_the_shipped_records():
    """The model's `toolchain` choices (the model cannot import runtimes.py) are exactly what ships."""
    import typing

    from nexusgen.catalogue.model import Runtime

    (choices, _none) = typing.get_args(Runtime.model_fields["toolchain"].annotation)
    assert set(typing.get_args(choices)) == set(SHIPPED)


def test_the_rule_and_the_probes_know_the_same_interpreters():
    """runtime_checks lets tcp and grpc probes through for INTERPRETER_PROBES; probe.py must have
    a one-liner for each of them, and for no other."""
    from nexusgen.catalogue.runtimes import INTERPRETER_PROBES

    assert set(probe.INTERPRETER_CHECKS) == INTERPRETER_PROBES
