"""Hostile values: near-miss secret names, a manifest that is a folder, worst-case catalogues in 1 GiB.

(Each class of issue 20 that is a rule has invalid cases in tests/invalid/; the pattern rule is
proven field by field in test_patterns.py, the escaping in test_escape.py, and the whole
hostile alphabet in test_hostile_property.py.)
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, nexusgen_here
from nexusgen.catalogue.secret_checks import secret_name
from nexusgen.catalogue.load import MAX_BYTES
from nexusgen.catalogue.model import MAX_DURATION
from nexusgen.catalogue.reserved import MAX_RESTARTS_PER_HOUR
from nexusgen.engine.fingerprint import MANIFEST
from nexusgen.engine.text import dump_yaml

MINIMAL = ROOT / "tests" / "cases" / "minimal" / "services.yaml"

SECRET_NAMES = [
    "DB_PASS", "DB_PASSW0RD", "PASSWD", "PWD", "DB_PWD", "P4SSW0RD", "MYSQLPASS", "REDIS_PASS", "DB_PASSWORD",
    "DB_PASSWORD_FILE", "PASSPHRASE", "TOKEN", "T0KEN", "API_TOKEN", "GITHUB_TOKEN", "APITOKEN", "SLACK_TKN",
    "API_KEY", "APIKEY", "X_API_KEY", "PRIVATE_KEY", "SIGNING_KEY", "ENCRYPTION_KEY", "ACCESS_KEY",
    "AWS_SECRET_ACCESS_KEY", "SECRET", "S3CR3T", "CLIENT_SECRET", "JWT_SECRET", "CREDENTIALS", "DB_CREDS",
]  # fmt: skip
PLAIN_NAMES = [
    "LOG_LEVEL", "GREETING", "VERSION_STRING", "BYPASS_CACHE", "COMPASS_URL", "PASSTHROUGH", "PASSENGER_COUNT",
    "CACHE_KEY", "SORT_KEY", "PARTITION_KEY", "KEYSPACE", "TOKENIZER_MODEL", "MAX_TOKENS_PER_REQUEST", "PATH",
    "WORKERS", "PASSIVE_MODE", "S3_BUCKET", "HTTP2_ENABLED",
]  # fmt: skip


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_names_are_flagged(name: str):
    assert secret_name(name)


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_plain_names_are_not_flagged(name: str):
    assert not secret_name(name)


@pytest.mark.parametrize("command", ["render", "check"])
def test_manifest_that_is_a_directory_is_bad_input(tmp_path: Path, command: str):
    (tmp_path / "services.yaml").write_bytes(MINIMAL.read_bytes())
    (tmp_path / "out" / MANIFEST).mkdir(parents=True)
    args = [command, "--catalogue", str(tmp_path / "services.yaml"), "--out", str(tmp_path / "out")]
    result = nexusgen_here(*args)
    assert result.returncode == 2
    assert f"out/{MANIFEST} is not a regular file (Is a directory)" in result.stderr
    if command == "check":
        assert nexusgen_here(*args, "--full").returncode == 2


# --- worst cases of the size limit under a 1 GiB address space -------------------------------

MEMORY_CAP = 1024 * 1024 * 1024


def _minimal() -> dict:
    from nexusgen.catalogue.load import load_bytes

    return load_bytes(MINIMAL.read_bytes(), "services.yaml").data


def _max_numbers() -> dict:
    data = _minimal()
    data["services"]["api"]["scaling"] = {"mode": "stateless", "min_replicas": 1000, "max_replicas": 1000}
    data["environments"]["production"]["min_stateless_replicas"] = 100
    data["monitoring"]["thresholds"] = {"restarts_per_hour": MAX_RESTARTS_PER_HOUR, "latency_p99_seconds": 3600}
    data["services"]["api"]["metrics"].append({"name": "shop_heartbeat_seconds", "type": "gauge", "help": "Last beat"})
    alert = dict(data["monitoring"]["alerts"][0])
    alert.pop("good")
    data["monitoring"]["alerts"].append({**alert, "alert": "Stale", "kind": "stale", "metric": "shop_heartbeat_seconds",
                                         "threshold": MAX_DURATION, "for": "7d"})
    data["services"]["api"]["resources"]["limits"] = {"cpu": "1000", "memory": "64Ti"}
    return data


def _many_alerts() -> dict:
    data = _minimal()
    first = data["monitoring"]["alerts"][0]
    metric = data["services"]["api"]["metrics"][0]
    data["services"]["api"]["metrics"] = [{**metric, "name": f"shop_orders_{i}_total"} for i in range(1000)]
    data["monitoring"]["alerts"] = [{**first, "alert": f"OrdersFailing{i}", "metric": f"shop_orders_{i}_total"}
                                    for i in range(1000)]  # one alert per metric
    return data


def _long_strings() -> dict:
    data = _minimal()
    api = data["services"]["api"]
    api["description"] = "d" * 2000
    api["config"] = {f"VALUE_{i}": ("v$(X) " * 700)[:4096] for i in range(1500)}
    api["command"] = ["python", *(("a" * 499) for _ in range(1000))]
    return data


def _above_the_maximum() -> dict:
    """restarts_per_hour 1e30 once allocated until the kernel killed nexusgen (24 GB); now refused, located."""
    data = _minimal()
    data["monitoring"]["thresholds"] = {"restarts_per_hour": 10**30}
    return data


@pytest.mark.parametrize(("build", "code"), [(_max_numbers, 0), (_many_alerts, 0), (_long_strings, 0), (_above_the_maximum, 2)],
                         ids=["max_numbers", "many_alerts", "long_strings", "above_the_maximum"])
@pytest.mark.slow  # worst-case renders in subprocesses under RLIMIT_AS
def test_worst_cases_render_and_check_within_1_gib(tmp_path: Path, build, code: int):
    text = dump_yaml(build())
    assert len(text.encode()) < MAX_BYTES, "the case must stay under the catalogue's size limit"
    (tmp_path / "services.yaml").write_text(text)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    for command in (["render", "-q"], ["check", "--full"]):
        result = subprocess.run([sys.executable, "-m", "nexusgen", *command], cwd=tmp_path, capture_output=True,
                                text=True, timeout=600, preexec_fn=limit)
        assert result.returncode == code, result.stderr[-2000:]
        if code == 2:
            assert result.stderr.startswith("services.yaml:") and "restarts_per_hour" in result.stderr
