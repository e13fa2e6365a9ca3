"""Each service's own data-store user, proven against a real PostgreSQL where one is installed: the
rendered init script creates every role from the environment (hostile passwords included), runs
twice without harm, and each service logs in with its own password and nothing more."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from conftest import CATALOGUE
from nexusgen import catalogue as catalogue_io
from nexusgen.engine.text import dump_yaml
from nexusgen.plan import build, datastores

PLAN = build(catalogue_io.parse(CATALOGUE.read_bytes(), "services.yaml"))
PG_BIN = next((Path(p) for p in ("/usr/local/bin", "/usr/lib/postgresql/15/bin") if (Path(p) / "initdb").exists()), None)


def test_each_postgres_user_is_its_own_and_no_service_gets_the_superuser():
    store = PLAN.infrastructure["postgres"]
    users = [c for c in PLAN.credentials if c.store == "postgres"]
    assert {c.service for c in users} == {n for n, s in PLAN.services.items() if "postgres" in s.depends_on.infrastructure}
    assert len({c.path for c in users}) == len(users) and all(c.user != store.config["POSTGRES_USER"] for c in users)
    superuser = store.secrets["POSTGRES_PASSWORD"]
    for name in PLAN.services:
        for env in ("dev", "staging", "production"):
            assert all(ref.secret != superuser for ref in PLAN.secret_env(name, env).values()), (name, env)


def test_redis_requires_a_password_and_each_service_has_an_acl_user():
    args = datastores.redis_args(PLAN.catalogue, "redis", lambda var: f"$({var})")
    assert args[:2] == ["--requirepass", "$(REDIS_PASSWORD)"]
    users = [c for c in PLAN.credentials if c.store == "redis"]
    assert users and all(["--user", c.user, "on", f">$({c.store_var})"] == args[args.index(c.user) - 1 : args.index(c.user) + 3] for c in users)


def _run_as_postgres(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", command], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.mark.slow  # a real PostgreSQL server
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (to run PostgreSQL as the postgres user)")
def test_the_init_script_creates_every_role_on_a_real_postgres(rendered: Path):
    if PG_BIN is None:
        pytest.fail("PostgreSQL 15's initdb is not installed; run the tests through `make test`")
    pwd.getpwnam("postgres")
    folder = Path(tempfile.mkdtemp(prefix="nexusgen-pg-"))  # pytest's folders are root's alone
    shutil.copy(rendered / "compose/initdb/postgres" / datastores.INIT_SCRIPT, folder / "init.sh")
    (folder / "superuser").write_text("super'secret\n")
    shutil.chown(folder, "postgres")
    shutil.chown(folder / "superuser", "postgres")
    users = [c for c in PLAN.credentials if c.store == "postgres"]
    passwords = {c.store_var: f"p'w $x;--\\{c.user}" for c in users}
    env = {"PGHOST": str(folder), "POSTGRES_USER": "nexus", "POSTGRES_DB": "nexus", "PGPASSWORD": "super'secret", **passwords}
    start = (f"{PG_BIN}/initdb -D {folder}/data -U nexus --pwfile={folder}/superuser --auth=scram-sha-256 >/dev/null && "
             f"{PG_BIN}/pg_ctl -D {folder}/data -o '-k {folder} -c listen_addresses=' -l {folder}/log -w start >/dev/null && "
             "psql -U nexus -d postgres -qc 'CREATE DATABASE nexus'")  # fmt: skip
    try:
        assert _run_as_postgres(start, env).returncode == 0, (folder / "log").read_text() if (folder / "log").exists() else ""
        for _ in range(2):  # idempotent: the second run changes nothing
            result = _run_as_postgres(f"sh {folder}/init.sh", env)
            assert result.returncode == 0, result.stderr
        for c in users:
            who = _run_as_postgres(
                "psql -U \"$U\" -d nexus -Atc 'select current_user, rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user'",
                {**env, "U": c.user, "PGPASSWORD": passwords[c.store_var]},
            )
            assert who.stdout.strip() == f"{c.user}|f|f|f", who.stderr
        wrong = _run_as_postgres("psql -U gateway -d nexus -Atc 'select 1'", {**env, "PGPASSWORD": "guess"})
        assert wrong.returncode != 0
    finally:
        _run_as_postgres(f"{PG_BIN}/pg_ctl -D {folder}/data -m immediate stop", env)
        shutil.rmtree(folder, ignore_errors=True)


def test_redis_acl_from_the_catalogue_limits_a_service_user():
    data = yaml.safe_load(CATALOGUE.read_text())
    data["services"]["data-collector"]["redis_acl"] = {"redis": {"keys": ["market:*"], "channels": [], "commands": ["+@read", "+@write", "+@stream"]}}
    plan = build(catalogue_io.parse(dump_yaml(data).encode(), "services.yaml"))
    args = datastores.redis_args(plan.catalogue, "redis", lambda var: f"$({var})")
    start = args.index("data-collector")
    user = args[start : args.index("--user", start) if "--user" in args[start:] else None]
    assert user == ["data-collector", "on", ">$(ROLE_DATA_COLLECTOR_PASSWORD)", "~market:*", "+@read", "+@write", "+@stream"]
    gateway = args[args.index("gateway") :][:8]  # a service without redis_acl keeps the default
    assert gateway[3:] == ["~*", "&*", "+@all", "-@admin", "-@dangerous"]
