"""One change in the catalogue changes every docker/compose artifact that uses it, and nothing else.

The shipped catalogue and a copy with one edit are rendered by the CLI into two folders; the
comparison covers out/docker/, out/compose/ and out/README.md (other families are not ours).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import CATALOGUE, nexusgen_here
from nexusgen import catalogue as catalogue_io
from nexusgen.plan import build

PLAN = build(catalogue_io.parse(CATALOGUE.read_bytes(), CATALOGUE.name))

PYTHON_SERVICES = sorted(name for name, svc in PLAN.services.items() if svc.runtime == "python")
GATEWAY_HEALTH = "health: {liveness: /health/live, readiness: /health/ready}"

# id: (text replaced once, replacement, files expected to change, {file: texts that must appear in it})
CASES = {
    "service-http-port": (
        "ports: {http: 8006, metrics: 9106}", "ports: {http: 8016, metrics: 9106}",
        {"docker/risk-manager/Dockerfile", "compose/docker-compose.yml", "README.md"},
        {
            "docker/risk-manager/Dockerfile": ["EXPOSE 8016 9106", "http://127.0.0.1:8016/health/live"],
            "compose/docker-compose.yml": [
                "target: 8016", "published: 8016", 'HTTP_PORT: "8016"',
                "RISK_MANAGER_URL: http://risk-manager:8016", "http://127.0.0.1:8016/health/ready",
            ],
            "README.md": ["| 8016 / 9106 |"],
        },
    ),
    "service-metrics-port": (
        "ports: {http: 8001, metrics: 9101}", "ports: {http: 8001, metrics: 9201}",
        {"docker/data-collector/Dockerfile", "compose/docker-compose.yml", "README.md"},
        {
            "docker/data-collector/Dockerfile": ["EXPOSE 8001 9201"],
            "compose/docker-compose.yml": ['- "9201"', 'METRICS_PORT: "9201"'],
        },
    ),
    "runtime-image": (
        "run: {image: python, tag: 3.11-slim}", "run: {image: python, tag: 3.11.9-slim}",
        {f"docker/{name}/Dockerfile" for name in PYTHON_SERVICES},
        {f"docker/{name}/Dockerfile": ["FROM python:3.11.9-slim AS runtime"] for name in PYTHON_SERVICES},
    ),
    "infrastructure-image": (
        "image: {image: redis, tag: 7.2-alpine}", "image: {image: redis, tag: 7.4-alpine}",
        {"compose/docker-compose.yml", "README.md"},
        {"compose/docker-compose.yml": ["image: redis:7.4-alpine"]},
    ),
    "dev-registry": (
        "registry: localhost:5000/nexus", "registry: localhost:5001/nexus",
        {"compose/docker-compose.yml"},
        {"compose/docker-compose.yml": ["image: localhost:5001/nexus/gateway:dev"]},
    ),
    "liveness-path": (  # the first health line in the file is the gateway's
        GATEWAY_HEALTH, "health: {liveness: /health/alive, readiness: /health/ready}",
        {"docker/gateway/Dockerfile"},
        {"docker/gateway/Dockerfile": ["http://127.0.0.1:8000/health/alive"]},
    ),
    "readiness-path": (
        GATEWAY_HEALTH, "health: {liveness: /health/live, readiness: /health/ok}",
        {"compose/docker-compose.yml"},
        {"compose/docker-compose.yml": ["http://127.0.0.1:8000/health/ok"]},
    ),
}


def ours(out: Path) -> dict[str, bytes]:
    files = [p for folder in ("docker", "compose") for p in (out / folder).rglob("*") if p.is_file()]
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in [*files, out / "README.md"]}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("baseline") / "out"
    result = nexusgen_here("render", "--catalogue", str(CATALOGUE), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return ours(out)


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_one_change_reaches_exactly_its_artifacts(case: str, baseline: dict[str, bytes], tmp_path: Path):
    old, new, expected, appears = CASES[case]
    text = CATALOGUE.read_text()
    assert old in text, f"{case}: the shipped catalogue no longer holds {old!r}"
    (tmp_path / "services.yaml").write_text(text.replace(old, new, 1))
    result = nexusgen_here("render", "--catalogue", str(tmp_path / "services.yaml"), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    changed = ours(tmp_path / "out")
    assert set(changed) == set(baseline), "the same files are generated"
    assert {name for name in changed if changed[name] != baseline[name]} == expected
    for name, needles in appears.items():
        content = changed[name].decode()
        missing = [n for n in needles if n not in content]
        assert not missing, f"{name} lacks {missing}"


def test_no_stale_value_survives_a_port_change(baseline: dict[str, bytes], tmp_path: Path):
    """After moving risk-manager to 8016, the old port 8006 appears nowhere in our files."""
    assert any(b"8006" in data for data in baseline.values())
    text = CATALOGUE.read_text().replace("ports: {http: 8006, metrics: 9106}", "ports: {http: 8016, metrics: 9106}")
    (tmp_path / "services.yaml").write_text(text)
    assert nexusgen_here("render", "--catalogue", str(tmp_path / "services.yaml"), "--out", str(tmp_path / "out")).returncode == 0
    stale = [name for name, data in ours(tmp_path / "out").items() if b"8006" in data]
    assert stale == []
    compose = yaml.safe_load((tmp_path / "out" / "compose" / "docker-compose.yml").read_text())
    urls = {n: s["environment"].get("RISK_MANAGER_URL") for n, s in compose["services"].items() if "environment" in s}
    callers = {n for n in PLAN.dependents["risk-manager"] if n in PLAN.services}
    assert {n for n, u in urls.items() if u} == callers and callers
    assert set(urls.values()) - {None} == {"http://risk-manager:8016"}
    assert json.dumps(compose["services"]["risk-manager"]["ports"]).count("8016") == 2
