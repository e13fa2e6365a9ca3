"""Invalid catalogues: tests/invalid/<name>/services.yaml fails with exactly tests/invalid/<name>/expected.txt.

Each case must exit 2, print its located messages and nothing like a traceback, and leave
an existing out/ byte-for-byte as it was. Cases run in-process (``nexusgen_here``, through the
executable's entry point); one runs through the real executable too, with the same text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, nexusgen, nexusgen_here

CASES = sorted(p for p in (ROOT / "tests" / "invalid").iterdir() if p.is_dir())


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_catalogue(case: Path, tmp_path: Path, update_goldens: bool):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("a file the failed render must not touch\n")
    before = _snapshot(out)
    result = nexusgen_here("render", "--catalogue", str(case / "services.yaml"), "--out", str(out))
    code, stdout, stderr = result.returncode, result.stdout, result.stderr
    expected_file = case / "expected.txt"
    if update_goldens:
        expected_file.write_text(stderr)
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert stdout == ""
    assert stderr == expected_file.read_text()
    assert _snapshot(out) == before, "a failed render changed out/"
    problems = [line for line in stderr.splitlines() if line.startswith("services.yaml:")]
    assert problems, "every invalid case names file:line:col"
    assert len(stderr.splitlines()) <= 3 * len(problems) + 1, "at most a few lines per problem"


def test_the_executable_prints_what_the_in_process_run_prints(tmp_path: Path):
    case = CASES[0]
    result = nexusgen("render", "--catalogue", str(case / "services.yaml"), "--out", str(tmp_path / "out"), cwd=case)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", (case / "expected.txt").read_text())


def test_corpus_is_large_enough():
    assert len(CASES) >= 40
