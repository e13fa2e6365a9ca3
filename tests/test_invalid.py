"""Invalid catalogues: tests/invalid/<name>/services.yaml fails with exactly tests/invalid/<name>/expected.txt.

Each case must exit 2, print its located messages and nothing like a traceback, and leave
an existing out/ byte-for-byte as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, nexusgen

CASES = sorted(p for p in (ROOT / "tests" / "invalid").iterdir() if p.is_dir())


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_catalogue(case: Path, tmp_path: Path, update_goldens: bool):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("a file the failed render must not touch\n")
    before = _snapshot(out)
    result = nexusgen("render", "--catalogue", str(case / "services.yaml"), "--out", str(out), cwd=case)
    expected_file = case / "expected.txt"
    if update_goldens:
        expected_file.write_text(result.stderr)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr == expected_file.read_text()
    assert _snapshot(out) == before, "a failed render changed out/"
    problems = [line for line in result.stderr.splitlines() if line.startswith("services.yaml:")]
    assert problems, "every invalid case names file:line:col"
    assert len(result.stderr.splitlines()) <= 3 * len(problems) + 1, "at most a few lines per problem"


def test_corpus_is_large_enough():
    assert len(CASES) >= 40
