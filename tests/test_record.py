"""`nexusgen record-deployment`: the release writes what production runs back into the catalogue,
changing nothing else (issue 16, item 7)."""

from __future__ import annotations

import difflib

import pytest

from conftest import CATALOGUE, nexusgen_here
from nexusgen import catalogue as catalogue_io
from nexusgen.catalogue.record import read_digests, record
from nexusgen.errors import UsageError

DIGESTS = {"gateway": "sha256:" + "1" * 64, "execution-engine": "sha256:" + "2" * 64}


def test_record_changes_only_the_environments_tag_and_digests():
    text = CATALOGUE.read_text(encoding="utf-8")
    new = record(text, "production", "1.4.0", DIGESTS)
    model = catalogue_io.parse(new.encode(), "services.yaml")
    assert model.environments.production.tag == "1.4.0"
    assert dict(model.environments.production.digests) == DIGESTS
    assert model.environments.staging == catalogue_io.parse(text.encode(), "services.yaml").environments.staging
    changed = [l for l in difflib.ndiff(text.splitlines(), new.splitlines()) if l[:1] in "+-"]
    assert len(changed) == 3 and all("tag:" in l or "digests:" in l for l in changed), changed
    # recording again replaces, never duplicates
    again = record(new, "production", "1.5.0", {"gateway": "sha256:" + "3" * 64})
    assert again.count("digests:") == new.count("digests:") and '"1.5.0"' in again


def test_digest_lines_are_checked():
    assert read_digests(f"gateway {DIGESTS['gateway']}\n\n") == {"gateway": DIGESTS["gateway"]}
    for bad in ("gateway sha256:abc", "gateway", f"gateway {DIGESTS['gateway']}\n"[:-2] + "\n"):
        with pytest.raises(UsageError):
            read_digests(bad)


def test_a_digest_for_an_unknown_service_is_refused():
    from nexusgen.errors import CatalogueError

    with pytest.raises(CatalogueError):
        record(CATALOGUE.read_text(encoding="utf-8"), "production", "1.4.0", {"nope": DIGESTS["gateway"]})


def test_the_command(tmp_path):
    catalogue = tmp_path / "services.yaml"
    catalogue.write_text(CATALOGUE.read_text(encoding="utf-8"), encoding="utf-8")
    digests = tmp_path / "digests.txt"
    digests.write_text("".join(f"{k} {v}\n" for k, v in DIGESTS.items()))
    result = nexusgen_here("record-deployment", "--catalogue", str(catalogue), "--environment", "production",
                           "--tag", "1.4.0", "--digests", str(digests))
    assert result.returncode == 0, result.stderr
    assert catalogue_io.parse(catalogue.read_bytes(), "services.yaml").environments.production.tag == "1.4.0"
    digests.write_text("gateway latest\n")
    result = nexusgen_here("record-deployment", "--catalogue", str(catalogue), "--environment", "production",
                           "--tag", "1.4.1", "--digests", str(digests))
    assert result.returncode == 2 and "digests line 1" in result.stderr
