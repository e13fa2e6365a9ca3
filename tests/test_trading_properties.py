"""Property: for any valid catalogue, no file of an environment that does not trade live (the
staging overlay with the base it builds on, the development compose stack and its .env.example)
refers to the store path of a live trade key.

Catalogues vary around tests/cases/trading: where the live and testnet keys are stored, whether
staging trades live, and what each environment's override gives the trader (a testnet key, the
live key, nothing, extra configuration). Those validation refuses are skipped; every accepted one
must keep live keys out of the non-live environments' files.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import ROOT, examples
from nexusgen import pipeline
from nexusgen.catalogue import environments, parse
from nexusgen.engine.text import dump_yaml
from nexusgen.errors import CatalogueError

TRADER = yaml.safe_load((ROOT / "tests" / "cases" / "trading" / "services.yaml").read_text())
segment = st.from_regex(r"\A[a-z][a-z0-9]{2,7}\Z")
paths = st.lists(segment, min_size=1, max_size=3).map("/".join)
choice = st.sampled_from(["testnet-key", "trade-key", None, "absent"])  # absent: no override of the key


def _files(rendered: dict[PurePosixPath, bytes], env: str) -> dict[PurePosixPath, str]:
    """What ``env`` is made of: compose for dev; the base and the env's overlay for a cluster."""
    prefixes = ("compose/",) if env == "dev" else ("k8s/base/", f"k8s/overlays/{env}/")
    return {p: t.decode() if isinstance(t, bytes) else t for p, t in rendered.items() if str(p).startswith(prefixes)}


# Most combinations are refused by design (a live key given to dev, say): hypothesis keeps drawing until
# 25 accepted catalogues have been checked, so many filtered draws are expected, not a weak test.
@settings(max_examples=examples(25), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    live=paths, testnet=paths, staging_live=st.booleans(), overrides=st.fixed_dictionaries({"dev": choice, "staging": choice}),
    second=st.booleans(), dry_run=st.sampled_from(["true", "false", None]),
)
def test_non_live_environments_never_reference_live_trade_keys(
    tmp_path_factory, live: str, testnet: str, staging_live: bool, overrides: dict, second: bool, dry_run
):
    assume(live not in testnet and testnet not in live)
    data = json.loads(json.dumps(TRADER))
    data["secrets"]["trade-key"]["path"] = f"shop/{live}"
    data["secrets"]["testnet-key"]["path"] = f"shop/{testnet}"
    if second:  # a second live key at its own path, given to the trader everywhere it is not overridden
        data["secrets"]["trade-secret"] = {"description": "Live secret", "path": f"shop/{live}x", "property": "s", "exchange": "trade"}
        data["services"]["worker"]["secrets"]["TRADE_SECRET"] = "trade-secret"
    data["environments"]["staging"]["live_trading"] = staging_live
    for env, given_key in overrides.items():
        override = data["environments"][env].setdefault("services", {}).setdefault("worker", {})
        override.setdefault("secrets", {}).pop("TRADE_KEY", None)
        if given_key != "absent":
            override["secrets"]["TRADE_KEY"] = given_key
        if dry_run is not None:
            override["config"] = {"DRY_RUN": dry_run}
    text = dump_yaml(data)
    try:
        catalogue = parse(text.encode(), "services.yaml")
    except CatalogueError:
        assume(False)  # refused: what validation is for
        return
    folder = tmp_path_factory.mktemp("trading")
    (folder / "services.yaml").write_text(text)
    rendered = pipeline.render_memory(folder / "services.yaml")

    live_paths = {s.path for s in catalogue.secrets.values() if s.exchange == "trade"}
    for env in ("dev", "staging", "production"):
        files = _files(rendered, env)
        assert files, env
        mentioned = {p for p in live_paths if any(p in t for t in files.values())}
        if environments.live_trading(catalogue, env):
            assert env != "dev"
        else:
            assert not mentioned, f"{env} refers to live trade keys {sorted(mentioned)}"
    production = _files(rendered, "production")  # the live keys do reach production
    assert all(any(p in t for t in production.values()) for p in live_paths)


def test_the_shipped_catalogue_keeps_live_keys_in_production():
    catalogue = parse((ROOT / "services.yaml").read_bytes(), "services.yaml")
    rendered = pipeline.render_memory(ROOT / "services.yaml")
    live_paths = {s.path for s in catalogue.secrets.values() if s.exchange == "trade"}
    assert live_paths
    for env in ("dev", "staging"):
        assert not environments.live_trading(catalogue, env)
        files = _files(rendered, env)
        assert not [p for p in live_paths for t in files.values() if p in t], env
    assert environments.live_trading(catalogue, "production")
