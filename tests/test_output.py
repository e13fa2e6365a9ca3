"""The output tree, in-process: check agrees with render on every tree, links are never followed,
a failing rename says what is true, only nexusgen's own temp files are removed, and the drift
report fits on a screen."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import CATALOGUE, nexusgen_here, sweep, tree
from nexusgen.engine import output
from nexusgen.engine.fingerprint import MANIFEST, in_sync
from nexusgen.engine.output import TMP_MARK, temp_name


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Path:
    """The shipped catalogue and its render, to copy per test."""
    root = tmp_path_factory.mktemp("seed")
    shutil.copy(CATALOGUE, root / "services.yaml")
    assert nexusgen(root, "render", "-q")[0] == 0
    return root


@pytest.fixture
def project(seed: Path, tmp_path: Path) -> Path:
    shutil.copytree(seed, tmp_path / "p", symlinks=True)
    return tmp_path / "p"


def nexusgen(project: Path, *args: str) -> tuple[int, str, str]:
    """``nexusgen <args>`` on the project, in-process: (exit code, stdout, stderr)."""
    result = nexusgen_here(*args, "--catalogue", str(project / "services.yaml"), "--out", str(project / "out"))
    return result.returncode, result.stdout, result.stderr


def snapshot(out: Path) -> dict[str, tuple[str, bytes]]:
    """Every entry under ``out`` without following links: (kind, bytes or link target)."""
    found = {}
    for base, dirs, files in os.walk(out):
        for name in dirs + files:
            path = Path(base, name)
            rel = path.relative_to(out).as_posix()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path).encode())
            elif path.is_file():
                found[rel] = ("file", path.read_bytes())
    return found


# --- check exits 0 if and only if render would write nothing ---------------------------------


def _manifest(project: Path) -> dict:
    return json.loads((project / "out" / MANIFEST).read_text())


def _set_manifest(project: Path, data: dict, indent: int = 2) -> None:
    (project / "out" / MANIFEST).write_text(json.dumps(data, indent=indent, sort_keys=True) + "\n")


def _orphan(project: Path) -> None:
    data = _manifest(project)
    data["files"]["old/gone.yml"] = "0" * 64
    _set_manifest(project, data)
    (project / "out" / "old").mkdir()
    (project / "out" / "old" / "gone.yml").write_text("x: 1\n")


def _stale_inputs(project: Path) -> None:
    data = _manifest(project)
    data["inputs"] = "0" * 64
    _set_manifest(project, data)


TREES = {
    "in sync": lambda p: None,
    "stale manifest (inputs digest)": _stale_inputs,
    "manifest re-indented": lambda p: _set_manifest(p, _manifest(p), indent=4),
    "manifest missing": lambda p: (p / "out" / MANIFEST).unlink(),
    "catalogue comment": lambda p: (p / "services.yaml").write_text((p / "services.yaml").read_text() + "# note\n"),
    "changed file": lambda p: (p / "out" / "README.md").write_text("edited\n"),
    "missing file": lambda p: (p / "out" / "README.md").unlink(),
    "orphan": _orphan,
    "unknown file": lambda p: (p / "out" / "notes.txt").write_text("mine\n"),
    "user file named like a temp file": lambda p: (p / "out" / f".README.md{TMP_MARK}0123456789abcdef").write_text("mine\n"),
    "leftover temp file": lambda p: (p / "out" / temp_name("README.md", b"half\n")).write_bytes(b"half\n"),
}


@pytest.mark.parametrize("case", TREES)
def test_check_passes_exactly_when_render_writes_nothing(project: Path, case: str):
    TREES[case](project)
    before = snapshot(project / "out")
    fast = in_sync(project / "services.yaml", project / "out", None)
    full, _, report = nexusgen(project, "check", "--full")
    assert full in (0, 1), report
    rendered, stdout, _ = nexusgen(project, "render")
    assert rendered == 0
    wrote_nothing = snapshot(project / "out") == before
    assert (full == 0) == wrote_nothing, f"{case}: check said {full}, render wrote {'nothing' if wrote_nothing else stdout}"
    assert fast is None or full == 0, "the fast path never passes a tree the full check fails"
    said_nothing = stdout.startswith("0 written (manifest included), 0 removed, ") and "leftover" not in stdout
    assert said_nothing == wrote_nothing, stdout
    # and render leaves a tree both answers call in sync, unless a file it never made stays
    assert nexusgen(project, "check", "--full")[0] == 0
    assert (in_sync(project / "services.yaml", project / "out", None) is not None) == (case not in ("unknown file", "user file named like a temp file"))


def test_the_shipped_repository_is_in_sync_with_its_manifest():
    """The committed manifest carries the digest of today's catalogue and code (see also
    test_check_fast: the plain check of the repository answers from it)."""
    root = CATALOGUE.parent
    assert in_sync(CATALOGUE, root / "out", None) is not None, "run `nexusgen render` and commit out/"


# --- links inside out/ are never followed ---------------------------------------------------


def _elsewhere(project: Path) -> Path:
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.txt").write_text("TOP-SECRET-CONTENT\n")
    return elsewhere


LINKS = {
    "a folder": lambda p, e: (shutil.rmtree(p / "out" / "docker"), (p / "out" / "docker").symlink_to(e)) and "docker",
    "a generated file": lambda p, e: ((p / "out" / "README.md").unlink(), (p / "out" / "README.md").symlink_to(e / "secret.txt")) and "README.md",
    "the manifest": lambda p, e: ((p / "out" / MANIFEST).unlink(), (p / "out" / MANIFEST).symlink_to(e / "secret.txt")) and MANIFEST,
    "a dangling link": lambda p, e: (p / "out" / "k8s" / "x.yaml").symlink_to(e / "nothing") or "k8s/x.yaml",
    "a FIFO (reading it would hang)": lambda p, e: os.mkfifo(p / "out" / "docker" / "pipe") or "docker/pipe",
}


@pytest.mark.parametrize("case", sweep(list(LINKS)))  # every kind in `make test`
@pytest.mark.parametrize("command", ["render", "check", "check --full"])
def test_a_link_inside_out_is_refused_and_never_followed(project: Path, case: str, command: str):
    elsewhere = _elsewhere(project)
    rel = LINKS[case](project, elsewhere)
    (project / "services.yaml").write_text((project / "services.yaml").read_text().replace("{http: 8000,", "{http: 8100,", 1))
    before, outside = snapshot(project / "out"), snapshot(elsewhere)
    code, stdout, stderr = nexusgen(project, *command.split())
    assert code == 2, stderr
    assert stderr.startswith(f"nexusgen: {project / 'out' / rel} is a symbolic link"), stderr
    assert "TOP-SECRET" not in stdout + stderr
    assert snapshot(project / "out") == before and snapshot(elsewhere) == outside


def test_out_itself_a_link_is_refused(project: Path):
    (project / "real").mkdir()
    shutil.rmtree(project / "out")
    (project / "out").symlink_to(project / "real")
    for command in ("render", "check"):
        code, _, stderr = nexusgen(project, command)
        assert code == 2 and f"{project / 'out'} is a symbolic link" in stderr
    assert list((project / "real").iterdir()) == []


def test_a_local_only_link_is_left_alone(project: Path):
    """compose/.env and compose/secrets/ are the developer's: never read, so a link there is fine."""
    (project / "out" / "compose" / ".env").symlink_to(_elsewhere(project) / "secret.txt")
    assert nexusgen(project, "check", "--full")[0] == 0
    assert nexusgen(project, "render")[0] == 0


# --- a failure among the renames --------------------------------------------------------------


def _change_catalogue(project: Path) -> None:
    catalogue = project / "services.yaml"
    catalogue.write_text(catalogue.read_text().replace("{http: 8000,", "{http: 8100,", 1))


@pytest.mark.parametrize("fail_at", sweep([0, 1, 3, -1]))  # the manifest naming both; files; the final manifest
def test_a_failing_rename_says_what_is_true_and_the_next_render_heals(project: Path, monkeypatch, fail_at: int):
    _orphan(project)  # so that the manifest naming old and new files is not the final one
    old = tree(project / "out")
    _change_catalogue(project)
    calls: list[str] = []
    real = os.replace

    def replace(src, dst):
        calls.append(str(dst))
        if len(calls) - 1 == fail_at or (fail_at == -1 and str(dst).endswith(MANIFEST) and len(calls) > 1):
            assert fail_at or str(dst).endswith(MANIFEST), "the manifest naming old and new files comes first"
            raise PermissionError(errno.EPERM, "Operation not permitted", str(dst))
        real(src, dst)

    monkeypatch.setattr(output.os, "replace", replace)
    code, _, stderr = nexusgen(project, "render")
    monkeypatch.undo()
    assert code == 2 and "Operation not permitted" in stderr and "Traceback" not in stderr
    after = tree(project / "out")
    assert not [n for n in after if TMP_MARK in n], "no staged temp file is left behind"
    if fail_at == 0:
        assert "out/ is unchanged" in stderr and after == old
    else:
        assert "the render stopped after" in stderr and "`nexusgen render` finishes the job" in stderr
        assert "unchanged" not in stderr
        assert nexusgen(project, "check")[0] == 1
    if fail_at == -1:
        assert "the render stopped after 14 of 14 changed files" in stderr or "stopped after" in stderr
        assert not (project / "out" / "old").exists(), "all new: only the final manifest is missing"
    new_dir = project / "reference"
    assert nexusgen_here("render", "-q", "--catalogue", str(project / "services.yaml"), "--out", str(new_dir)).returncode == 0
    new = tree(new_dir)
    for name, data in after.items():
        if name != MANIFEST:
            assert data in (old.get(name), new.get(name)), f"{name} is neither old nor new"
    assert nexusgen(project, "render")[0] == 0
    assert tree(project / "out") == new


# --- temp files: only nexusgen's own are removed -----------------------------------------------


def test_only_provable_temp_files_are_removed(project: Path):
    out = project / "out"
    mine = {
        "notes.nexusgen-tmp.txt": b"a user's notes\n",
        f".README.md{TMP_MARK}0123456789abcdef": b"not the bytes its name claims\n",
        f"docker/.x{TMP_MARK}{'f' * 16}": b"x\n",
    }
    for name, data in mine.items():
        (out / name).write_bytes(data)
    leftover = temp_name("k8s/base/namespace.yaml", b"a half-finished render\n")
    (out / leftover).write_bytes(b"a half-finished render\n")
    code, _, report = nexusgen(project, "check")
    assert code == 1 and f"leftover: {out / leftover}" in report
    for name in mine:
        assert f"warning: {out / name} is not generated by nexusgen" in report
    code, stdout, _ = nexusgen(project, "render")
    assert code == 0 and "1 leftover temp files of an interrupted render removed" in stdout
    assert not (out / leftover).exists()
    for name, data in mine.items():
        assert (out / name).read_bytes() == data


# --- what check and render print ---------------------------------------------------------------


def test_render_counts_every_file_it_wrote_the_manifest_included(project: Path, tmp_path: Path):
    code, stdout, _ = nexusgen(project, "render")
    assert stdout.startswith("0 written (manifest included), 0 removed")
    generated = len(tree(project / "out")) - 1
    stdout = nexusgen_here("render", "--out", str(tmp_path / "fresh"), "--catalogue", str(project / "services.yaml")).stdout
    assert stdout.startswith(f"{generated + 1} written (manifest included), 0 removed, {generated} generated files")
    (project / "out" / "README.md").write_text("edited\n")
    code, stdout, _ = nexusgen(project, "render")
    assert stdout.startswith("1 written (manifest included)"), "the manifest's bytes did not change"
    _change_catalogue(project)
    before = tree(project / "out")
    code, stdout, _ = nexusgen(project, "render")
    after = tree(project / "out")
    assert stdout.startswith(f"{sum(after[n] != before.get(n) for n in after)} written (manifest included)")


def test_a_one_line_catalogue_change_gives_a_report_on_one_screen(project: Path):
    catalogue = project / "services.yaml"
    text = catalogue.read_text()
    assert "        max_replicas: 12\n" in text, "the production override of the gateway"
    catalogue.write_text(text.replace("        max_replicas: 12\n", "        max_replicas: 16\n", 1))
    code, _, report = nexusgen(project, "check")
    lines = report.splitlines()
    assert code == 1
    assert len(lines) < 30, report
    assert lines[-1].startswith("run `nexusgen render`") and "`nexusgen check --diff`" in lines[-1]
    assert "changed: " + str(project / "out" / "k8s" / "overlays" / "production") in report
    assert all(line.count(" +") == 1 for line in lines if line.strip().startswith("changed: ")), "a short stat per file"
    code, _, full = nexusgen(project, "check", "--diff")
    assert code == 1 and full.count("+++ ") == sum("changed: " in line for line in full.splitlines())


def test_identical_hunks_are_shown_once_with_their_files(project: Path):
    out = project / "out"
    runbooks = sorted((out / "monitoring" / "runbooks").glob("*.md"))[:4]
    assert len(runbooks) == 4
    for path in runbooks:
        path.write_text(path.read_text() + "the same stray line\n")
    code, _, report = nexusgen(project, "check")
    assert code == 1
    assert report.count("-the same stray line") == 1
    assert f"in monitoring/runbooks/{runbooks[0].name}, monitoring/runbooks/{runbooks[1].name} and 2 more:" in report
    assert "  monitoring: 4 files" in report
