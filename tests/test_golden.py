"""Golden cases: tests/cases/<name>/services.yaml renders exactly tests/cases/<name>/expected/ (out/)
and tests/cases/<name>/expected-github/ (the .github/ tree beside it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT, nexusgen_here
from nexusgen.engine.fingerprint import MANIFEST
from nexusgen.engine.output import on_disk

CASES = sorted(p.parent for p in (ROOT / "tests" / "cases").glob("*/services.yaml"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path, tmp_path: Path, update_goldens: bool):
    out = tmp_path / "out"
    result = nexusgen_here("render", "--catalogue", str(case / "services.yaml"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    for tree, expected in ((out, case / "expected"), (tmp_path / ".github", case / "expected-github")):
        if update_goldens:
            shutil.rmtree(expected, ignore_errors=True)
            shutil.copytree(tree, expected)
            (expected / MANIFEST).unlink()
        got = on_disk(tree)
        assert got and got == on_disk(expected), "the set of generated files changed (pytest --update-goldens to accept)"
        for name in got:
            assert (tree / name).read_bytes() == (expected / name).read_bytes(), f"{name} differs from the golden"


def test_shipped_out_is_in_sync():
    """The committed out/ is exactly what the shipped catalogue renders."""
    result = nexusgen_here("check", "--full")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case_passes_every_validator(case: Path, tmp_path: Path):
    """Each case's output is proven by the real consumers too, not only compared with itself."""
    out = tmp_path / "out"
    assert nexusgen_here("render", "--catalogue", str(case / "services.yaml"), "--out", str(out)).returncode == 0
    result = nexusgen_here("validate", "--out", str(out), "--catalogue", str(case / "services.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
