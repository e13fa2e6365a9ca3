"""Property: any valid catalogue renders output that parses, and every user value arrives exactly.

Values that look like YAML (`a: b # c`), Jinja (`{{ x }}`), Actions expressions (`${{ x }}`),
YAML 1.1 booleans and numbers (`no`, `on`, `1.10`, `012`), compose interpolation (`$HOME`)
and multi-line strings must reach compose and Kubernetes as the same strings.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, examples
from nexusgen import pipeline
from nexusgen.catalogue.checks import _looks_secret, secret_name
from nexusgen.catalogue.names import STANDARD_ENV
from nexusgen.engine.text import dump_yaml

MINIMAL = yaml.safe_load((ROOT / "tests" / "cases" / "minimal" / "services.yaml").read_text())

TRICKY = [
    "no", "on", "yes", "off", "y", "n", "true", "False", "null", "~", "", "1.10", "012", "0o12", "0x1F",
    "1e3", ".inf", "-.5", "+1", "a: b # c", "- item", "[a, b]", "{a: b}", "{{ x }}", "{% raw %}", "${{ x }}",
    "$HOME", "$$", "${VAR:-default}", "it's", '"quoted"', "#hash", "&anchor", "*alias", "!tag", "%percent",
    "@at", "`tick`", "multi\nline\n", "trailing \n", " leading", "tab\there", "caf\u00e9 \u2603", "line\u2028sep",
    "back\\slash", "<{ alt }>", "<% alt %>",
]  # fmt: skip
values = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("\n\t"), max_size=40),
).filter(lambda v: _looks_secret(v) is None)
env_names = st.from_regex(r"\A[A-Z][A-Z0-9_]{0,15}\Z").filter(
    lambda k: k not in STANDARD_ENV and not secret_name(k)
    and not k.endswith(("_URL", "_HOST", "_PORT", "_USER", "_DATABASE"))
)


def _catalogue(config: dict[str, str], description: str) -> dict:
    data = json.loads(json.dumps(MINIMAL))
    data["services"]["api"]["config"] = config
    data["services"]["api"]["description"] = description or "x"
    data["secrets"]["signing-key"] = {"description": "Signs tokens", "path": "shop/api/signing", "property": "key"}
    data["services"]["api"]["secrets"] = {"SIGNING_KEY": "signing-key"}
    return data


def _documents(files: dict[PurePosixPath, str], prefix: str) -> list[dict]:
    docs = []
    for path, text in files.items():
        if str(path).startswith(prefix) and path.suffix in (".yml", ".yaml"):
            docs += [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    return docs


@pytest.mark.slow  # a property test over many examples
@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(config=st.dictionaries(env_names, values, min_size=1, max_size=6), description=values)
def test_user_values_round_trip(tmp_path_factory, config: dict[str, str], description: str):
    folder = tmp_path_factory.mktemp("prop")
    catalogue = folder / "services.yaml"
    catalogue.write_text(dump_yaml(_catalogue(config, description.strip() or "x")))
    rendered = pipeline.render_memory(catalogue)

    for path, text in rendered.items():  # every file parses (render also checks this before writing)
        if path.suffix in (".yml", ".yaml"):
            list(yaml.safe_load_all(text))
        elif path.suffix == ".json":
            json.loads(text)

    compose = yaml.safe_load(rendered[PurePosixPath("compose/docker-compose.yml")])
    environment = compose["services"]["api"]["environment"]
    for key, value in config.items():
        # compose turns `$$` into `$` when it interpolates; nothing else may change
        assert environment[key].replace("$$", "$") == value, key

    config_maps = [d for d in _documents(rendered, "k8s/") if d.get("kind") == "ConfigMap"]
    api_maps = [d for d in config_maps if all(d.get("data", {}).get(k) == v for k, v in config.items())]
    assert api_maps, "the service's ConfigMap carries every config value exactly"
