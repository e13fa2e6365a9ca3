"""What is in ``out/``, read without following any link: the manifest, the files, and the temp
files nexusgen provably made (``output.py`` writes; this module only reads, and prunes)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from nexusgen.engine.fingerprint import MANIFEST, manifest_text, read_nofollow, scan
from nexusgen.errors import UsageError

TMP_MARK = ".nexusgen-tmp-"
# A temp file is named after its target and its own content: ``.<name>.nexusgen-tmp-<sha256 prefix>``.
# Only a file whose bytes hash to its name is one nexusgen made; any other is a user's, and stays.
_TEMP = re.compile(r"\.(.+)" + re.escape(TMP_MARK) + r"([0-9a-f]{16})")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def temp_name(name: str, data: bytes, sha: str | None = None) -> str:
    """``sha``: ``digest(data)`` where the caller has it already."""
    folder, _, base = name.rpartition("/")
    return f"{folder}/" * bool(folder) + f".{base}{TMP_MARK}{(sha or digest(data))[:16]}"


def is_temp(out: Path, rel: str) -> bool:
    """True only for a temp file nexusgen made: named ``temp_name`` of its own bytes."""
    match = _TEMP.fullmatch(rel.rpartition("/")[2])
    if match is None:
        return False
    try:
        return digest(read_nofollow(f"{out}/{rel}"))[:16] == match.group(2)
    except OSError:
        return False


# --- the manifest and the tree --------------------------------------------------


@dataclass
class Manifest:
    inputs: str = ""
    files: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # its bytes on disk; None when there is none

    def text(self) -> str:
        return manifest_text(self.inputs, self.files)


def read_manifest(out: Path) -> Manifest:
    path = out / MANIFEST
    try:
        raw = read_nofollow(os.fspath(path))
        data = json.loads(raw)
        files = data["files"]
        if not isinstance(files, dict):
            raise ValueError
        return Manifest(str(data.get("inputs", "")), {str(k): str(v) for k, v in files.items()}, raw)
    except FileNotFoundError:
        return Manifest()
    except OSError as exc:  # a directory, a FIFO (links were refused by ``survey``)
        raise UsageError(f"{path} is not a regular file ({exc.strerror}); remove it and run `nexusgen render`") from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise UsageError(f"{path} is damaged; delete it and run `nexusgen render`") from None


@dataclass
class Survey:
    present: set[str]  # files in out/ (manifest, leftovers and local-only files excluded)
    leftover: list[str]  # temp files an interrupted render left
    manifest: Manifest


def survey(out: Path) -> Survey:
    """What is in ``out``, refusing any symbolic link in it (exit 2, named) before anything is read."""
    tree = scan(out)
    if tree.links:
        first, kind = (out, "folder") if tree.links[0] == "." else (out / tree.links[0], "regular file")
        more = f" (and {len(tree.links) - 1} more)" if len(tree.links) > 1 else ""
        raise UsageError(
            f"{first} is a symbolic link or not a {kind}{more}; nexusgen never follows links in its "
            "output folder, where it would read or write outside it: replace it with a plain file or folder"
        )
    leftover = [rel for rel in tree.files if TMP_MARK in rel and is_temp(out, rel)]
    present = set(tree.files) - set(leftover) - {MANIFEST}
    return Survey(present, leftover, read_manifest(out))


def on_disk(out: Path) -> list[str]:
    """Every file under ``out`` (relative POSIX paths, sorted), the manifest and local-only files excluded."""
    return [rel for rel in scan(out).files if rel != MANIFEST]


def prune(out: Path, directory: Path) -> None:
    """Remove directories left empty by deleted orphans or temp files, up to ``out``."""
    while directory != out and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
