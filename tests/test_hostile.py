"""Hostile input and failure: huge files, kills mid-render, full and read-only disks, concurrent renders."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import CATALOGUE, ROOT, nexusgen, tree
from nexusgen.engine.fingerprint import MANIFEST
from nexusgen.engine.output import TMP_MARK

MINIMAL = ROOT / "tests" / "cases" / "minimal" / "services.yaml"
MEMORY_CAP = 1024 * 1024 * 1024  # bad input must be refused well inside 1 GiB of address space


def _capped(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run nexusgen with its address space capped, and a hang guard (not a timing assertion)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run(
        [sys.executable, "-m", "nexusgen", *args], cwd=cwd, capture_output=True, text=True, timeout=120, preexec_fn=limit
    )


def test_huge_file_is_refused_in_bounded_memory(tmp_path: Path):
    huge = tmp_path / "services.yaml"
    with huge.open("w") as handle:
        handle.write(MINIMAL.read_text())
        line = "# " + "x" * 1000 + "\n"
        for _ in range(9 * 1024):
            handle.write(line)
    result = _capped("render", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[0] == "services.yaml:1:1: is larger than 8 MiB"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["alias-bomb", "deep-nesting"])
def test_bombs_are_refused_in_bounded_memory(tmp_path: Path, case: str):
    shutil.copy(ROOT / "tests" / "invalid" / case / "services.yaml", tmp_path / "services.yaml")
    result = _capped("render", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_very_deep_flow_nesting_does_not_crash(tmp_path: Path):
    """A million open brackets: the parser works from events, so no recursion can overflow."""
    (tmp_path / "services.yaml").write_text("version: " + "[" * 1_000_000 + "\n")
    result = _capped("render", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    # libyaml refuses it at its own depth limit, or nexusgen at 32 levels: either way a located message
    assert result.stderr.startswith("services.yaml:1:") and "nest" in result.stderr


# --- a render killed at every step ---------------------------------------------------------

_KILL_AFTER = textwrap.dedent(
    """
    import os, signal, sys
    import nexusgen.engine.output as output
    budget = int(sys.argv[1])
    real = os.replace
    def replace(src, dst):
        global budget
        if budget == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        budget -= 1
        real(src, dst)
    output.os.replace = replace
    from nexusgen.cli import run
    sys.exit(run(sys.argv[2:]))
    """
)


def _render_killed_after(renames: int, cwd: Path) -> int:
    proc = subprocess.run([sys.executable, "-c", _KILL_AFTER, str(renames), "render", "-q"], cwd=cwd, capture_output=True)
    return proc.returncode


def _renames(old: dict[str, bytes], new: dict[str, bytes]) -> int:
    """How many renames a render from ``old`` to ``new`` makes (output.write): the manifest naming old
    and new files, each changed file, then the final manifest only when it differs (orphans)."""
    changed = [n for n in new if n != MANIFEST and old.get(n) != new[n]]
    orphans = [n for n in old if n != MANIFEST and n not in new]
    return 1 + len(changed) + bool(orphans)


@pytest.mark.slow
def test_render_killed_between_renames_recovers(tmp_path: Path):
    """Kill the render before its first renames, its last ones, and a spread between (about 30 steps of
    ~290): every file is old or new at each kill, and the next render heals the tree."""
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    for folder, catalogue in ((old_dir, MINIMAL), (new_dir, CATALOGUE)):
        folder.mkdir()
        shutil.copy(catalogue, folder / "services.yaml")
        assert nexusgen("render", cwd=folder).returncode == 0
    old, new = tree(old_dir / "out"), tree(new_dir / "out")
    renames = _renames(old, new)
    github_old, github_new = tree(old_dir / ".github"), tree(new_dir / ".github")  # rendered after out/, alike
    total = renames + _renames(github_old, github_new)
    stride = max(1, (renames - 10) // 20)
    steps = sorted({*range(6), *range(6, renames - 4, stride), *range(max(renames - 4, 0), renames)})
    work = tmp_path / "work"
    for step in steps:
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(old_dir, work)
        shutil.copy(CATALOGUE, work / "services.yaml")
        assert _render_killed_after(step, work) == -signal.SIGKILL, f"step {step} of {renames}"
        for name, data in tree(work / "out").items():
            if TMP_MARK in name or name == MANIFEST:
                continue
            assert data in (old.get(name), new.get(name)), f"step {step}: {name} is neither old nor new"
        assert nexusgen("check", cwd=work).returncode == 1, "an interrupted render is drift"
        healed = nexusgen("render", cwd=work)
        assert healed.returncode == 0, healed.stderr
        assert tree(work / "out") == new, f"step {step}: the next render did not recover"
    shutil.rmtree(work)
    shutil.copytree(old_dir, work)
    shutil.copy(CATALOGUE, work / "services.yaml")
    assert _render_killed_after(total - 1, work) == -signal.SIGKILL, "the last rename is the .github manifest"
    assert tree(work / "out") == new
    shutil.rmtree(work)
    shutil.copytree(old_dir, work)
    shutil.copy(CATALOGUE, work / "services.yaml")
    assert _render_killed_after(total, work) == 0, "the count of renames is exact: that budget finishes"
    assert tree(work / "out") == new and tree(work / ".github") == github_new


_KILL_AT = textwrap.dedent(
    """
    import os, signal, sys
    import nexusgen.engine.output as output
    point, count = sys.argv[1], int(sys.argv[2])
    seen = 0
    def stop(name):
        global seen
        if name == point:
            seen += 1
            if seen == count:
                os.kill(os.getpid(), signal.SIGKILL)
    if point == "temp":  # while staging: after `count` files were staged
        real = output._Stage.temp
        def temp(self, name, data, *sha):
            path = real(self, name, data, *sha)
            stop("temp")
            return path
        output._Stage.temp = temp
    output.progress = stop
    from nexusgen.cli import run
    sys.exit(run(sys.argv[3:]))
    """
)

# (point of the render's own progress, its occurrence): while staging, all staged, before the
# first rename, after the manifest naming old and new files, between renames, after an orphan's
# removal.
KILL_POINTS = [("temp", 5), ("staged", 1), ("renaming", 1), ("renamed", 1), ("renamed", 7), ("renamed", 40), ("removed", 1)]


@pytest.mark.slow
@pytest.mark.parametrize("point,count", KILL_POINTS, ids=[f"{p}-{c}" for p, c in KILL_POINTS])
def test_render_killed_at_each_point_of_its_progress_recovers(tmp_path: Path, point: str, count: int):
    seed, reference = tmp_path / "seed", tmp_path / "reference"
    seed.mkdir()
    shutil.copy(MINIMAL, seed / "services.yaml")
    assert nexusgen("render", cwd=seed).returncode == 0
    old = tree(seed / "out")
    assert nexusgen("render", "--catalogue", str(CATALOGUE), "--out", str(reference)).returncode == 0
    new = tree(reference)
    assert [n for n in old if n not in new], "some files are orphaned, so removals are reached"
    shutil.copy(CATALOGUE, seed / "services.yaml")
    proc = subprocess.run([sys.executable, "-c", _KILL_AT, point, str(count), "render", "-q"], cwd=seed, capture_output=True)
    assert proc.returncode == -signal.SIGKILL, f"the render never reached {point} #{count}: {proc.stderr.decode()[-2000:]}"
    now = tree(seed / "out")
    for name, data in now.items():
        if TMP_MARK not in name and name != MANIFEST:
            assert data in (old.get(name), new.get(name)), f"{name} is neither old nor new"
    renamed = sum(1 for n in now if n != MANIFEST and n in new and now[n] == new[n] and old.get(n) != new[n])
    if point in ("renamed", "removed"):
        assert renamed >= count - 1, "the kill came after renames had begun: the assertion above checked them"
    else:
        assert renamed == 0 and [n for n in now if TMP_MARK in n], "killed while staged files wait beside the old ones"
    check = nexusgen("check", cwd=seed)
    assert check.returncode == 1, "an interrupted render is drift"
    healed = nexusgen("render", cwd=seed)
    assert healed.returncode == 0, healed.stderr
    assert tree(seed / "out") == new, "the next render finishes the job, leftovers removed"
    assert nexusgen("check", cwd=seed).returncode == 0


# --- full and read-only disks --------------------------------------------------------------


def _in_mount_namespace(script: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``script`` in a private mount namespace (tmpfs mounts vanish with it)."""
    if shutil.which("unshare") is None:
        pytest.fail("util-linux `unshare` is needed to test full and read-only disks")
    env = {**os.environ, "NEXUSGEN": f"{sys.executable} -m nexusgen", "PYTHONPATH": str(ROOT)}
    return subprocess.run(["unshare", "-rm", "sh", "-ec", script], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.slow  # subprocess renders
def test_full_disk_gives_a_clear_error_and_changes_nothing(tmp_path: Path):
    shutil.copy(MINIMAL, tmp_path / "services.yaml")
    assert nexusgen("render", "--out", str(tmp_path / "seed"), cwd=tmp_path).returncode == 0
    assert nexusgen("render", "--catalogue", str(CATALOGUE), "--out", str(tmp_path / "big")).returncode == 0
    size_kb = _pages_kb(tmp_path / "seed") + 32
    assert _pages_kb(tmp_path / "big") > size_kb + 64, "the new render must not fit, or the test proves nothing"
    script = f"""
        mkdir -p out && mount -t tmpfs -o size={size_kb}k tmpfs out
        cp -a seed/. out/
        find out -type f | sort | xargs sha256sum > before.txt
        cp {CATALOGUE} services.yaml
        set +e; $NEXUSGEN render > stdout.txt 2> stderr.txt; echo $? > code.txt; set -e
        find out -type f | sort | xargs sha256sum > after.txt
    """
    done = _in_mount_namespace(script, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "code.txt").read_text().strip() == "2"
    stderr = (tmp_path / "stderr.txt").read_text()
    assert "No space left on device" in stderr and "Traceback" not in stderr
    assert (tmp_path / "before.txt").read_text() == (tmp_path / "after.txt").read_text(), "a full disk changed out/"


def _pages_kb(out: Path) -> int:
    """What a tree occupies on tmpfs: whole 4 KiB pages per file."""
    return sum(4 * -(-len(data) // 4096) for data in tree(out).values())


@pytest.mark.slow  # subprocess renders
def test_read_only_disk_gives_a_clear_error_and_changes_nothing(tmp_path: Path):
    shutil.copy(MINIMAL, tmp_path / "services.yaml")
    assert nexusgen("render", "--out", str(tmp_path / "seed"), cwd=tmp_path).returncode == 0
    script = f"""
        mkdir -p out && mount -t tmpfs tmpfs out && cp -a seed/. out/ && mount -o remount,ro out
        find out -type f | sort | xargs sha256sum > before.txt
        cp {CATALOGUE} services.yaml
        set +e; $NEXUSGEN render > stdout.txt 2> stderr.txt; echo $? > code.txt
        $NEXUSGEN check > /dev/null 2> check.txt; echo $? > check-code.txt; set -e
        find out -type f | sort | xargs sha256sum > after.txt
    """
    done = _in_mount_namespace(script, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "code.txt").read_text().strip() == "2"
    stderr = (tmp_path / "stderr.txt").read_text()
    assert "Read-only file system" in stderr and "Traceback" not in stderr
    assert (tmp_path / "before.txt").read_text() == (tmp_path / "after.txt").read_text()
    assert (tmp_path / "check-code.txt").read_text().strip() == "1", "check still reports drift on a read-only tree"


# --- concurrency -----------------------------------------------------------------------------


@pytest.mark.slow  # concurrent subprocess renders
def test_concurrent_renders_do_not_corrupt_the_tree(tmp_path: Path):
    shutil.copy(CATALOGUE, tmp_path / "services.yaml")
    procs = [
        subprocess.Popen([sys.executable, "-m", "nexusgen", "render", "-q"], cwd=tmp_path, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    codes = [p.wait(timeout=120) for p in procs]
    assert codes == [0, 0, 0, 0], [p.stderr.read() for p in procs]
    assert not [n for n in tree(tmp_path / "out") if TMP_MARK in n]
    assert nexusgen("check", "--full", cwd=tmp_path).returncode == 0
