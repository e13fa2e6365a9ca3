"""The ``nexusgen`` executable.

``nexusgen check`` on a tree that is in sync is the pre-commit hook's common case: it is
answered from the manifest's digests with the standard library alone. Everything else,
and any doubt, goes to the full command line in ``cli.py``.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

_PATH_OPTIONS = {"--catalogue": "services.yaml", "--out": "out", "--github": None, "--templates": None}


def _quick_check(argv: list[str]) -> bool:
    """True (after printing the one line of success) when ``argv`` is a plain ``check`` and the
    tree is provably in sync."""
    if not argv or argv[0] != "check":
        return False
    values = dict(_PATH_OPTIONS)
    rest = argv[1:]
    while rest:
        option, _, value = rest.pop(0).partition("=")
        if option not in values:
            return False  # --full, --diff, --help or anything unusual: the full command line decides
        if not value:
            if not rest:
                return False
            value = rest.pop(0)
        values[option] = value
    from nexusgen.engine.fingerprint import SYNCED, in_sync

    templates = Path(values["--templates"]) if values["--templates"] else None
    out = Path(values["--out"])
    github = Path(values["--github"]) if values["--github"] else out.parent / ".github"  # as pipeline.github_dir
    catalogue = Path(values["--catalogue"])
    counts = [in_sync(catalogue, tree, templates) for tree in (out, github)]
    if None in counts:
        return False
    print(SYNCED.format(out=f"{out} and {github}", catalogue=catalogue, count=sum(counts)))
    return True


def _import_cli():
    """``cli.run``, imported with Ctrl-C held back: an interrupt while pydantic-core builds the
    catalogue's validators surfaces as pydantic's ``SchemaError``, not ``KeyboardInterrupt``.
    A Ctrl-C that comes meanwhile is raised as soon as the import is done."""
    import signal

    previous = signal.getsignal(signal.SIGINT)
    held: list[int] = []
    if previous is not signal.SIG_IGN:  # an ignored Ctrl-C (a background job) stays ignored
        signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        from nexusgen.cli import run
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt
    return run


# The cyclic collector's full passes: one in this many of its middle generation's (CPython's
# default is 10). A run is one short process whose millions of objects are freed by reference
# counting as each file is written; every full pass walks everything still alive (catalogue,
# plan, templates), and at 1,000 services the nine passes a render made took 0.6 s of its 5.5 s.
# The young generations are collected as usual. (README "Benchmark".)
FULL_COLLECTIONS_EVERY = 1000


def main() -> int:
    argv = sys.argv[1:]
    threshold = gc.get_threshold()
    gc.set_threshold(threshold[0], threshold[1], FULL_COLLECTIONS_EVERY)
    try:
        if _quick_check(argv):
            return 0
        return _import_cli()(argv)
    except KeyboardInterrupt:  # during start-up; once running, errors.handle answers the same way
        from nexusgen.errors import EXIT_INTERRUPTED, INTERRUPTED

        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        gc.set_threshold(*threshold)  # main() called in a longer process (a test) leaves it as it was


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
