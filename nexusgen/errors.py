"""One exception base, the problems it carries, and the exit codes it maps to."""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_INVALID = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
INTERRUPTED = "nexusgen: interrupted; every file in out/ is as it was or as rendered, never half-written"


@dataclass(frozen=True, order=True)
class Problem:
    """One located mistake: ``file:line:col: path: message``."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class NexusgenError(Exception):
    """Base of every error nexusgen reports to a user instead of a traceback."""

    exit_code = EXIT_INTERNAL

    def lines(self) -> list[str]:
        return [f"nexusgen: {self}"]


class UsageError(NexusgenError):
    """Bad options or an unusable file system (missing file, read-only output)."""

    exit_code = EXIT_INVALID


class CatalogueError(NexusgenError):
    """The catalogue is invalid; carries every problem found, in file order."""

    exit_code = EXIT_INVALID

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__(f"{len(self.problems)} problem(s) in the catalogue")

    def lines(self) -> list[str]:
        count = len(self.problems)
        return [str(p) for p in self.problems] + [
            f"nexusgen: {count} problem{'s' if count != 1 else ''} found; nothing was written"
        ]


class TemplateError(NexusgenError):
    """A template produced output that does not parse or check: a nexusgen bug, never written."""

    exit_code = EXIT_INTERNAL


def handle(call) -> int:
    """The one error handler: run ``call`` and turn what it raises into an exit code and a message."""
    import os
    import sys
    import traceback

    import click

    try:
        code = call()
    except NexusgenError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return exc.exit_code
    except click.exceptions.Exit as exc:  # --help, --version
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_INVALID
    except (click.exceptions.Abort, KeyboardInterrupt):
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if os.environ.get("NEXUSGEN_DEBUG"):
            traceback.print_exc()
        print(f"nexusgen: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("nexusgen: this is a bug; set NEXUSGEN_DEBUG=1 for the traceback", file=sys.stderr)
        return EXIT_INTERNAL
    return code if isinstance(code, int) else EXIT_OK
