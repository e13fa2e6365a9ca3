"""The only module that writes ``out/``: atomic writes, and the comparison behind ``check``. (What
is in ``out/`` is ``tree.py``'s; the drift report ``drift.py``'s; the text of each file, headers
and parse-back included, ``text.py``'s.)

Both take the render as a function of a per-file step (``render(step)``, ``Render`` below): the
step runs on each file as soon as it is rendered, so only one family's text is held at once.

Nothing inside ``out/`` is followed: a symbolic link (or a FIFO, a device) anywhere in the tree,
the manifest or ``out/`` itself included, is refused (exit 2, named) before anything is read
or written, and files are opened with ``O_NOFOLLOW``.

Render order (crash-safe): take the directory lock; remove the temp files an interrupted render
left (only those nexusgen provably made: see ``is_temp``); stage each changed file as a temp file
beside its target as soon as it is rendered (a full or read-only disk, or a template error,
fails here, and the staged files are removed: nothing changed); stage the manifests; write a
manifest naming every file old or new; rename each staged file into place; delete orphans;
write the final manifest. A kill at any point leaves each file old or new, never half, and a
manifest that names everything generated, so the next render removes leftovers and finishes
the job; a failure among the renames says so, and removes what it staged. Renames are atomic
against a killed process; durability against power loss is git's job, so files are not fsynced.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexusgen.engine.drift import Drift, diff
from nexusgen.engine.fingerprint import MANIFEST, read_nofollow
from nexusgen.engine.tree import TMP_MARK, Manifest, digest, is_temp, on_disk, prune, survey, temp_name
from nexusgen.errors import UsageError

__all__ = ["TMP_MARK", "Render", "WriteResult", "compare", "on_disk", "progress", "temp_name", "write"]

# render(step): runs step(name, data) on every generated file (name: its POSIX path in out/)
# and yields (name, the step's answer).
Render = Callable[[Callable[[str, bytes], Any]], Iterator[tuple[str, Any]]]


# --- comparing with disk ------------------------------------------------------


def compare(out: Path, render: Render, inputs: str, full: bool = False) -> Drift:
    """What ``write`` would change in ``out``, each file compared where and when it is rendered:
    the verdict is empty exactly when a render would write and remove nothing."""
    now = survey(out)
    drift = Drift(leftover=now.leftover)
    root = os.fspath(out)

    def step(name: str, data: bytes) -> tuple[str, Any]:
        """(digest, None: missing; False: the same; else a FileDiff)."""
        if name not in now.present:
            return digest(data), None
        current = read_nofollow(f"{root}/{name}")
        return digest(data), False if current == data else diff(name, current, data, full)

    files: dict[str, str] = {}
    with closing(render(step)) as answers:
        for name, (sha, answer) in answers:
            files[name] = sha
            if answer is None:
                drift.missing.append(name)
            elif answer:
                drift.changed[name] = answer
    drift.missing.sort()
    drift.total = len(files)
    for name in sorted(now.present - files.keys()):
        (drift.orphaned if name in now.manifest.files else drift.unknown).append(name)
    if now.manifest.raw != Manifest(inputs, files).text().encode():  # the manifest a render leaves
        drift.manifest = MANIFEST
    return drift


# --- writing ------------------------------------------------------------------


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """One render at a time per output tree: an exclusive lock on the directory itself."""
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@dataclass
class WriteResult:
    written: list[str] = field(default_factory=list)  # the manifest included
    removed: list[str] = field(default_factory=list)
    leftover: list[str] = field(default_factory=list)  # temp files of an interrupted render, removed
    kept: list[str] = field(default_factory=list)  # unknown files left alone
    total: int = 0  # files generated


def progress(point: str) -> None:
    """Called at each step of a write (``staged``, ``renaming``, ``renamed``, ``removed``, ``done``):
    a no-op that tests replace to stop a render at a moment chosen from its own progress."""


def write(out: Path, render: Render, inputs: str) -> WriteResult:
    """Write the rendered files into ``out``, each staged where and when it is rendered; see the module's docstring."""
    try:
        if out.is_symlink():
            survey(out)  # refuses, naming out/
        out.mkdir(parents=True, exist_ok=True)
        with locked(out):
            return _write_locked(out, render, inputs)
    except OSError as exc:
        where = exc.filename or out
        if exc.errno == errno.ELOOP:
            raise UsageError(f"{where} is a symbolic link; nexusgen never follows links in its output folder") from None
        raise UsageError(f"cannot write {where}: {exc.strerror}; out/ is unchanged") from None


def _write_locked(out: Path, render: Render, inputs: str) -> WriteResult:
    result = WriteResult()
    now = survey(out)
    for name in now.leftover:
        os.unlink(f"{out}/{name}")
    result.leftover = now.leftover
    present, old = now.present, now.manifest
    stage = _Stage(out, present, old)
    files: dict[str, str] = {}  # every generated file -> its digest
    clash: list[str] = []  # files nexusgen did not generate that would be overwritten
    try:
        # closing: a failure stops the render (its generator) before the undo below
        with closing(render(stage.step)) as answers:
            for name, (sha, tmp) in answers:
                files[name] = sha
                if tmp == _CLASH:
                    clash.append(name)
                elif tmp is not None:
                    stage.files[name] = tmp
        if clash:
            raise UsageError(
                f"{out / clash[0]} exists and was not generated by nexusgen; move it away so it is not overwritten"
                + (f" (and {len(clash) - 1} more)" if len(clash) > 1 else "")
            )
        result.total = len(files)
        orphans = sorted(n for n in present if n in old.files and n not in files)
        result.kept = sorted(present - files.keys() - set(orphans))
        final = Manifest(inputs, files).text().encode()
        if not stage.files and not orphans:
            if old.raw != final:
                os.replace(stage.temp(MANIFEST, final), out / MANIFEST)
                result.written.append(MANIFEST)
            return result
        every = {**old.files, **files}  # every file old or new, while renames run
        both = final if every == files else Manifest(inputs, every).text().encode()
        steps = sorted(stage.files.items())
        if old.raw != both:
            steps.insert(0, (MANIFEST, stage.temp(MANIFEST, both)))
        last = stage.temp(MANIFEST, final) if final != both else None  # staged now: the renames need no space
        progress("staged")
    except BaseException:
        stage.undo()
        raise
    _rename(out, stage, steps, last, orphans, result)
    if old.raw != final:
        result.written.append(MANIFEST)
    progress("done")
    return result


def _rename(out: Path, stage: _Stage, steps: list[tuple[str, str]], last: str | None, orphans: list[str], result: WriteResult) -> None:
    """Only renames and unlinks from here: they need no free space. A failure says what is true."""
    done = 0
    try:
        for name, tmp in steps:
            progress("renaming")
            os.replace(tmp, f"{stage.root}/{name}")
            done += 1
            if name != MANIFEST:
                result.written.append(name)
            progress("renamed")
        for name in orphans:
            os.unlink(f"{stage.root}/{name}")
            prune(out, (out / name).parent)
            result.removed.append(name)
            progress("removed")
        if last is not None:
            os.replace(last, out / MANIFEST)
    except OSError as exc:
        stage.undo()  # the staged files not yet renamed
        if done == 0:
            raise UsageError(f"cannot write {exc.filename or out}: {exc.strerror}; out/ is unchanged") from None
        raise UsageError(
            f"cannot write {exc.filename or out}: {exc.strerror}; the render stopped after {len(result.written)} of "
            f"{sum(name != MANIFEST for name, _ in steps)} changed files: each file in out/ is as it was or as rendered, and the manifest names "
            "both, so `nexusgen render` finishes the job once the cause is fixed (`nexusgen check` lists what is left)"
        ) from None


_CLASH = ""  # the step's answer for a file nexusgen did not generate that would be overwritten


class _Stage:
    """Temp files beside their targets in ``out``, to be renamed into place (atomic) or undone.

    Plain ``os`` calls on string paths: at thousands of files, pathlib and buffered file
    objects cost more than the writes."""

    def __init__(self, out: Path, present: set[str], old: Manifest):
        self.out = out
        self.root = os.fspath(out)
        self.present, self.generated = present, old.files
        self.files: dict[str, str] = {}  # name -> temp path, from the answers of step
        self.staged: list[str] = []  # every temp file made, the manifests' included
        self._folders: set[str] = set()  # made or found already: one mkdir per folder
        self._clashed = False  # once a clash is found, nothing more is staged

    def step(self, name: str, data: bytes) -> tuple[str, str | None]:
        """Digest the file and stage it if its bytes changed: (digest, temp path), else
        (digest, None), or (digest, ``_CLASH``) when it would overwrite a file nexusgen did not
        generate (then nothing more is staged)."""
        sha = digest(data)
        if name in self.present:
            if read_nofollow(f"{self.root}/{name}") == data:
                return sha, None
            if name not in self.generated:
                self._clashed = True
                return sha, _CLASH
        return sha, None if self._clashed else self.temp(name, data, sha)

    def temp(self, name: str, data: bytes, sha: str | None = None) -> str:
        """A temp file beside ``out/name`` holding ``data``, named after it (``temp_name``;
        ``sha``: its digest, if known)."""
        folder = name.rpartition("/")[0]
        directory = f"{self.root}/{folder}" if folder else self.root
        if directory not in self._folders:
            os.makedirs(directory, exist_ok=True)
            self._folders.add(directory)
        tmp = f"{self.root}/{temp_name(name, data, sha)}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        except FileExistsError:  # the same bytes staged for the same file already (or a user's file: kept)
            if is_temp(self.out, tmp[len(self.root) + 1 :]):
                return tmp  # staged (and recorded) earlier in this render
            raise UsageError(f"{tmp} exists and was not made by nexusgen; move it away") from None
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
        except BaseException:
            os.unlink(tmp)
            raise
        self.staged.append(tmp)
        return tmp

    def undo(self) -> None:
        """Remove every temp file this render staged (and folders made for them); those renamed
        into place are gone already."""
        for tmp in self.staged:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            prune(self.out, Path(tmp).parent)
