"""Shared fixtures: the repository, a render of the shipped catalogue, the CLI, the validators."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "services.yaml"


# `make test-fast` sets NEXUSGEN_FAST_TESTS=1: each property test then draws a twentieth of its examples
# (at least 10), so the inner loop still exercises every property; `make test` draws them all.
FAST = os.environ.get("NEXUSGEN_FAST_TESTS") == "1"


def examples(full: int) -> int:
    """How many examples a property test draws: ``full`` in `make test`, fewer in `make test-fast`."""
    return max(full // 20, min(full, 10)) if FAST else full


def sweep(cases: list) -> list:
    """A per-field sweep's cases: all of them in `make test`, every eighth in `make test-fast`
    (the full suite, which CI runs, still covers each field)."""
    return cases[::8] if FAST else cases


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", help="rewrite tests/cases/*/expected from the current render")


# A test is slow (`make test-fast` leaves it out) when it, or a fixture it uses, runs an external
# validator or a real server (``tool(``, ``serve(``, ``nexusgen validate``); kill loops and
# other subprocess-heavy tests carry ``@pytest.mark.slow`` themselves.
_SLOW_SIGNS = ("tool(", "serve(", '"validate"')


@functools.cache
def _source(function) -> str:
    """A function's source ("" when it has none); many parametrized items share one function."""
    import inspect

    try:
        return inspect.getsource(function)
    except (TypeError, OSError):
        return ""


@functools.cache
def _shows_sign(function, module) -> bool:
    """Whether ``function``, or a helper of ``module`` it calls, shows a slow sign."""
    import inspect

    sources = [_source(function)]
    helpers = vars(module) if module is not None else {}
    for called in set(re.findall(r"\b(_\w+)\(", sources[0])):
        if inspect.isfunction(helpers.get(called)):
            sources.append(_source(helpers[called]))
    return any(sign in source for source in sources for sign in _SLOW_SIGNS)


def _runs_external_tools(item) -> bool:
    """Whether the test, a fixture it uses, or a helper of its module either of them calls shows a sign."""
    functions = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    for defs in (info.name2fixturedefs.values() if info else ()):
        functions += [d.func for d in defs]
    module = getattr(item, "module", None)
    return any(_shows_sign(function, module) for function in functions if function is not None)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("slow") is None and _runs_external_tools(item):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def update_goldens(request) -> bool:
    return request.config.getoption("--update-goldens")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> Path:
    """out/ as `nexusgen render` writes it for the shipped catalogue, in a fresh folder."""
    out = tmp_path_factory.mktemp("rendered") / "out"
    result = nexusgen("render", "--catalogue", str(CATALOGUE), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def shipped_seed(tmp_path_factory) -> Path:
    """The shipped catalogue and its render (out/ and .github/ beside it), made once, to copy per test."""
    root = tmp_path_factory.mktemp("shipped")
    shutil.copy(CATALOGUE, root / "services.yaml")
    result = nexusgen("render", "-q", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


def seeded(seed: Path, dest: Path) -> Path:
    """A copy of a seeded project for one test to change (file times kept, links copied as links)."""
    shutil.copytree(seed, dest, symlinks=True)
    return dest


def copy_templates(dest: Path) -> Path:
    """The shipped templates as one ``--templates`` folder (``<family>/<file>``), to edit in a test."""
    from nexusgen.engine.fingerprint import template_roots

    for family, path in template_roots().items():
        shutil.copytree(path, dest / family)
    return dest


def tree(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` by relative POSIX path, with its bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def nexusgen(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real executable path (entry point included) in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "nexusgen", *args],
        cwd=cwd or ROOT, env=full_env, capture_output=True, text=True, timeout=300,
    )


def nexusgen_here(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``nexusgen`` run in this process, through the same entry point as the executable (its quick
    check included), with the answer shaped as ``nexusgen()``'s: for tests whose subject is the
    command's answer, not the process, it saves an interpreter's start and imports per call.
    Tests of the executable itself (entry point, signals, imports, environment) use ``nexusgen()``."""
    import io

    from nexusgen.entry import main

    stdout, stderr = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["nexusgen", *args]
    try:
        with contextlib.chdir(cwd or ROOT), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main()
    finally:
        sys.argv = argv
    return subprocess.CompletedProcess(["nexusgen", *args], code, stdout.getvalue(), stderr.getvalue())


def tool(name: str) -> str:
    """The path of a validator; a missing one fails the test, it never passes silently."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"validator {name!r} is not installed; run the tests through `make test`")
    return found


def kustomize(folder: Path) -> list[dict]:
    """The documents `kubectl kustomize` builds from ``folder``."""
    import yaml

    result = subprocess.run([tool("kubectl"), "kustomize", str(folder)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@pytest.fixture(scope="session")
def built(rendered: Path) -> dict[str, list[dict]]:
    """Each overlay of the shipped render as `kubectl kustomize` builds it, once per session
    (the tests read it, none changes it)."""
    from nexusgen.plan import CLUSTER_ENVIRONMENTS

    return {env: kustomize(rendered / "k8s" / "overlays" / env) for env in CLUSTER_ENVIRONMENTS}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(argv_for_port, log_path: Path, name: str, seconds: float = 30):
    """Run a real server on a free 127.0.0.1 port until its /-/ready answers 200; always stop it.

    ``argv_for_port(port)`` gives the command line; yields the base URL.
    """
    import time
    import urllib.request

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        proc = subprocess.Popen(argv_for_port(port), stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + seconds
            while True:
                assert proc.poll() is None, log_path.read_text()
                try:
                    with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                assert time.monotonic() < deadline, f"{name} did not become ready"
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
