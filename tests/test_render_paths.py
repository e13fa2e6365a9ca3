"""The ways a render can go: in one process or two (forked families), and failing in either."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CATALOGUE, ROOT, copy_templates, nexusgen, tree
from nexusgen import pipeline
from nexusgen.engine import output
from nexusgen.errors import UsageError
from nexusgen.engine.output import TMP_MARK
from nexusgen.families import FAMILIES, FORKED
from nexusgen.engine import forked


def test_forked_render_gives_the_bytes_of_a_single_process(monkeypatch: pytest.MonkeyPatch):
    assert FORKED and set(FORKED) < set(FAMILIES), "some families, not all, go to the child"
    two = pipeline.render_memory(CATALOGUE)
    monkeypatch.setattr(forked.Forked, "start", classmethod(lambda cls, work: None))
    one = pipeline.render_memory(CATALOGUE)
    assert list(one) == list(two) and one == two


@pytest.mark.parametrize(
    "template",
    ["k8s/service.yaml.j2", "monitoring/prometheus/prometheus.yml.j2"],  # by the child / by the parent, late
)
def test_a_template_that_renders_broken_yaml_changes_nothing(tmp_path: Path, template: str):
    assert (template.split("/")[0] in FORKED) == template.startswith("k8s")
    shutil.copy(CATALOGUE, tmp_path / "services.yaml")
    assert nexusgen("render", cwd=tmp_path).returncode == 0
    before = tree(tmp_path / "out")
    templates = tmp_path / "templates"
    copy_templates(templates)
    (templates / template).write_text((templates / template).read_text() + "\nbroken: [unclosed\n")
    # the catalogue changes too, so that files before the broken one would be rewritten
    catalogue = (tmp_path / "services.yaml").read_text()
    assert "{http: 8000," in catalogue
    (tmp_path / "services.yaml").write_text(catalogue.replace("{http: 8000,", "{http: 8100,", 1))

    result = nexusgen("render", "--templates", str(templates), cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "does not parse" in result.stderr and "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree(tmp_path / "out") == before, "staged files are removed: out/ is as it was"
    assert not [p for p in (tmp_path / "out").rglob("*") if TMP_MARK in p.name]


@pytest.mark.parametrize("refused", ["memfd_create", "fork"])
def test_a_refused_fork_renders_in_one_process(monkeypatch: pytest.MonkeyPatch, refused: str):
    expected = pipeline.render_memory(CATALOGUE)

    def refuse(*args):
        raise OSError(38, "refused by the sandbox")

    monkeypatch.setattr(forked.os, refused, refuse)
    assert forked.Forked.start(lambda: iter(())) is None
    assert pipeline.render_memory(CATALOGUE) == expected


@pytest.fixture(autouse=True)
def two_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here forks, on one core too: the forked path is tested wherever the suite runs."""
    monkeypatch.setenv("NEXUSGEN_PROCESSES", "2")


def _started(work) -> forked.Forked:
    child = forked.Forked.start(work)
    assert child is not None, "fork and memfd_create are available on Linux"
    return child


def test_one_process_when_asked(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NEXUSGEN_PROCESSES", "1")
    assert forked.Forked.start(lambda: iter(())) is None


def test_a_child_that_dies_is_an_internal_error():
    def die():
        os.kill(os.getpid(), signal.SIGKILL)
        yield  # pragma: no cover

    child = _started(die)
    with pytest.raises(RuntimeError, match="signal 9"):
        list(child.results())


def test_an_error_in_the_child_comes_back_as_itself():
    from nexusgen.errors import TemplateError

    def fail():
        raise TemplateError("template k8s/x.yaml.j2: boom")
        yield  # pragma: no cover

    child = _started(fail)
    with pytest.raises(TemplateError, match="boom"):
        list(child.results())


def test_a_disk_error_in_the_child_comes_back_as_itself():
    def fail():
        raise OSError(errno.ENOSPC, "No space left on device", "out/k8s/x.yaml")
        yield  # pragma: no cover

    child = _started(fail)
    with pytest.raises(OSError, match="No space left") as raised:
        list(child.results())
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == "out/k8s/x.yaml"


def test_the_child_stages_its_own_files_and_a_disk_error_there_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The child stages the files it renders; when that fails, the render fails as a full disk
    does in the parent (exit 2, a clear message), and what either process staged is removed."""
    parent, staged_by = os.getpid(), tmp_path / "staged-by"
    real = output._Stage.temp

    def temp(self, name: str, data: bytes) -> str:
        if name.startswith("k8s/") and os.getpid() != parent:
            with open(staged_by, "a") as log:  # the child staged before it failed
                log.write(f"{name}\n")
            if len(staged_by.read_text().splitlines()) > 20:
                raise OSError(errno.ENOSPC, "No space left on device", f"{self.root}/{name}")
        return real(self, name, data)

    monkeypatch.setattr(output._Stage, "temp", temp)
    out = tmp_path / "out"
    with pytest.raises(UsageError, match="No space left on device"):
        pipeline.render(CATALOGUE, out)
    assert len(staged_by.read_text().splitlines()) == 21, "only the child stages k8s files"
    assert list(out.rglob("*")) == [], "what the child or the parent staged is removed, folders too"


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for an absent reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_killed_parent_takes_the_child_with_it(tmp_path: Path):
    """SIGKILL of the render (no cleanup runs) must not leave a worker staging files into out/."""
    script = (
        "import os, signal, sys, time\n"
        "from nexusgen.engine import forked\n"
        "def forever():\n"
        "    while True:\n"
        "        time.sleep(0.01)\n"
        "        yield 'k8s', 'x', None\n"
        "child = forked.Forked.start(forever)\n"
        "open(sys.argv[1], 'w').write(str(child._pid if child else 0))\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    pid_file = tmp_path / "child.pid"
    done = subprocess.run(
        [sys.executable, "-c", script, str(pid_file)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
        env={**os.environ, "NEXUSGEN_PROCESSES": "2"},
    )  # no pipes: a surviving child must not keep this call waiting
    assert done.returncode == -signal.SIGKILL
    pid = int(pid_file.read_text())
    assert pid != 0, "the child was started"
    try:
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), "the child outlived its parent"
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_failure_elsewhere_stops_the_child():
    def forever():
        while True:
            yield "k8s", Path("x"), b""

    child = _started(forever)
    pid = child._pid
    child.stop()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # killed and reaped: no zombie left behind
