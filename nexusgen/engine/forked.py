"""Some artifact families rendered in a forked child while the parent renders the others.

A large catalogue renders in about half the time on two cores. The child inherits the plan,
the templates and the step to run on each file (fork: nothing is imported or validated
twice), renders, finishes and encodes its families exactly as the parent would, runs the step
on each file (``output`` stages or compares it: the disk work is split too), and writes each
answer to an anonymous in-memory file (memfd); when the parent has rendered its own share it
waits for the child and reads the answers back one at a time. (A pipe would need the parent
to drain it while it renders, and a thread cannot: it gets the GIL only between the parent's
switch intervals.) A template error in the child comes back as the same ``TemplateError``; a
child that dies without finishing is an internal error, and an ``OSError`` (a full disk) comes
back as itself. Either way ``output`` removes what the child staged, as it removes its own.
The child also dies with the parent (``PR_SET_PDEATHSIG``): a killed render leaves temp files,
which the next render removes, but no worker still writing.

Where ``fork`` or ``memfd_create`` is missing (not Linux) or refused (a sandbox, a process
limit), or one core is all there is (or ``NEXUSGEN_PROCESSES=1``), ``start`` returns None and the parent renders every
family itself: the same bytes either way.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable, Iterator

from nexusgen.errors import NexusgenError, TemplateError, UsageError

Item = tuple[str, str, object]  # (family, POSIX path in out/, the answer of output's step for the file)
_ERRORS = {cls.__name__: cls for cls in (TemplateError, UsageError)}
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def processes() -> int:
    """How many processes render: ``NEXUSGEN_PROCESSES`` (1 or 2) when set, else 2 given two cores."""
    wanted = os.environ.get("NEXUSGEN_PROCESSES", "")
    if wanted in ("1", "2"):
        return int(wanted)
    return 2 if (os.cpu_count() or 1) >= 2 else 1


class Forked:
    """A child process running ``work``, and the file it writes its results to."""

    def __init__(self, pid: int, fd: int):
        self._pid: int | None = pid
        self._fd: int | None = fd

    @classmethod
    def start(cls, work: Callable[[], Iterator[Item]]) -> Forked | None:
        if not hasattr(os, "fork") or not hasattr(os, "memfd_create") or processes() < 2:
            return None
        try:
            fd = os.memfd_create("nexusgen-render", os.MFD_CLOEXEC)
        except OSError:  # a sandbox without memfd: render in one process
            return None
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:  # out of processes or memory: render in one process
            os.close(fd)
            return None
        if pid == 0:  # the child: never returns
            _child(work, fd, parent)
        return cls(pid, fd)

    def results(self) -> Iterator[Item]:
        """Wait for the child, then its answers one at a time; raises what the child reported."""
        assert self._pid is not None and self._fd is not None
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        os.lseek(self._fd, 0, os.SEEK_SET)  # the child's writes moved the offset both share
        with os.fdopen(self._fd, "rb") as results:
            self._fd = None
            while True:
                try:
                    message = pickle.load(results)
                except Exception:  # noqa: BLE001 - EOF or a torn message: the child did not finish
                    how = f"signal {-os.waitstatus_to_exitcode(status)}" if os.WIFSIGNALED(status) else "early"
                    raise RuntimeError(f"the render worker ended {how} without finishing") from None
                kind = message[0]
                if kind == "file":
                    yield message[1], message[2], message[3]
                elif kind == "done":
                    return
                elif kind == "error":
                    raise _ERRORS[message[1]](message[2])
                elif kind == "oserror":
                    raise OSError(*message[1:])
                else:
                    raise RuntimeError(message[1])

    def stop(self) -> None:
        """End the child if it still runs (the render failed elsewhere, Ctrl-C) and reap it."""
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:  # pragma: no cover - already gone
                pass
            os.waitpid(self._pid, 0)
            self._pid = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _die_with(parent: int) -> None:
    """Ask Linux to kill this child when the parent dies: a killed render must not leave a
    worker staging files into out/ (or holding its lock) on its own."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:  # noqa: BLE001 # pragma: no cover - no ctypes or prctl: the parent's stop() still applies
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _child(work: Callable[[], Iterator[Item]], fd: int, parent: int) -> None:
    """Render, write every answer, then a last message saying how it ended; exit without cleanup
    (atexit handlers, buffers and locks belong to the parent). Nothing may escape into the
    parent's code that ``fork`` returned to: every path ends in ``os._exit``."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the parent reports it, the child just stops
        _die_with(parent)
        with os.fdopen(fd, "wb", buffering=1 << 16) as results:
            try:
                for family, name, answer in work():
                    pickle.dump(("file", family, name, answer), results, protocol=pickle.HIGHEST_PROTOCOL)
                last: tuple = ("done",)
            except NexusgenError as exc:
                last = ("error", type(exc).__name__ if type(exc).__name__ in _ERRORS else "TemplateError", str(exc))
            except OSError as exc:  # staging on a full or read-only disk: output reports it as its own
                last = ("oserror", exc.errno, exc.strerror, exc.filename)
            except BaseException as exc:  # noqa: BLE001 - reported by the parent as an internal error
                last = ("crash", f"render worker: {type(exc).__name__}: {exc}")
            pickle.dump(last, results, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        os._exit(0)
