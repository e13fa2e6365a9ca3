"""What the output depends on, as one digest; and the cheap in-sync test built on it.

Imports only the standard library: ``nexusgen check`` on an unchanged tree runs this and
nothing else, so it costs less than importing Jinja, PyYAML, pydantic and click.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from nexusgen import __version__

PACKAGE = Path(__file__).resolve().parent.parent  # the nexusgen package
FAMILIES = PACKAGE / "families"
MANIFEST = ".nexusgen-manifest.json"  # also output.MANIFEST; output imports it from here
# A developer's own files beside the generated ones (git-ignored): never drift, never touched.
LOCAL_ONLY = ("compose/.env", "compose/secrets/")


def local_only(rel: str) -> bool:
    """A developer's own file (or its folder) beside the generated ones: never read, never touched."""
    return rel in LOCAL_ONLY or f"{rel}/" in LOCAL_ONLY or rel.startswith(tuple(p for p in LOCAL_ONLY if p.endswith("/")))


def manifest_text(inputs: str, files: dict[str, str]) -> str:
    """The manifest's one serialization (``text.dump_json``'s, with the standard library alone)."""
    data = {"generator": "nexusgen", "inputs": inputs, "files": dict(sorted(files.items()))}
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_nofollow(path: str) -> bytes:
    """The bytes of a regular file, never through a symbolic link (``OSError`` ELOOP if it is one)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file", path)
        return f.read()


@dataclass
class Tree:
    """What is in an output folder, read without following any symbolic link."""

    files: list[str] = field(default_factory=list)  # regular files (relative POSIX paths, sorted), local-only excluded
    links: list[str] = field(default_factory=list)  # symbolic links and other non-regular entries: never followed


def scan(out: Path) -> Tree:
    """Every entry below ``out``; a symbolic link (to a folder or a file) is listed in ``links``,
    never followed; so is ``out`` itself (as ``.``) when it is a link or not a folder."""
    tree = Tree()
    try:
        if not stat.S_ISDIR(os.lstat(out).st_mode):
            tree.links.append(".")
            return tree
    except FileNotFoundError:
        return tree
    pending = [""]
    while pending:
        folder = pending.pop()
        with os.scandir(f"{out}/{folder}" if folder else out) as entries:
            for entry in entries:
                rel = f"{folder}{entry.name}"
                if local_only(rel):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(rel + "/")
                elif entry.is_file(follow_symlinks=False):
                    tree.files.append(rel)
                else:
                    tree.links.append(rel)
    tree.files.sort()
    tree.links.sort()
    return tree


def template_roots() -> dict[str, Path]:
    """``{family: its templates folder}``: ``families/<family>/templates/``, for each family that has one."""
    return {path.parent.name: path for path in sorted(FAMILIES.glob("*/templates")) if path.is_dir()}


def _shipped(rel: str) -> bool:
    """The package's own files that decide the output: its code and its templates (as a wheel ships them)."""
    return rel.endswith(".py") or "/templates/" in rel


def files_under(root: Path, suffixes: tuple[str, ...] | None = None) -> list[tuple[str, Path]]:
    """(relative POSIX path, path) of every file below ``root`` (``__pycache__`` skipped), sorted."""
    found = []
    for base, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in files:
            if suffixes is None or name.endswith(suffixes):
                path = Path(base, name)
                found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def inputs_digest(catalogue: bytes, templates: Path | None = None) -> str:
    """sha256 over the catalogue bytes, nexusgen's own code, templates and version, and the
    ``--templates`` override folder if one is used."""
    h = hashlib.sha256()
    h.update(f"nexusgen {__version__}\0".encode())
    h.update(catalogue)
    roots = [("p", PACKAGE)] + ([("t", templates)] if templates is not None else [])
    for label, root in roots:
        for rel, path in files_under(root):
            if label == "p" and not _shipped(rel):
                continue
            h.update(f"\0{label}:{rel}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


SYNCED = "{out} are in sync with {catalogue} ({count} generated files)"


def in_sync(catalogue: Path, out: Path, templates: Path | None) -> int | None:
    """The count of generated files when inputs, the manifest's own bytes and every generated file
    match and nothing else (no link, no leftover, no unknown file) is in ``out``; else None.

    Any doubt answers None, and the caller renders in full to say exactly what differs: this
    answers 0 only where ``render`` would write nothing (and warn of nothing).
    """
    try:
        raw = read_nofollow(f"{out}/{MANIFEST}")
        manifest = json.loads(raw)
        files = manifest["files"]
        if not isinstance(files, dict) or raw != manifest_text(manifest.get("inputs"), files).encode():
            return None
        if manifest.get("inputs") != inputs_digest(catalogue.read_bytes(), templates):
            return None
        tree = scan(out)
        if tree.links or set(tree.files) - {MANIFEST} != set(files):
            return None
        for rel, expected in files.items():
            if hashlib.sha256(read_nofollow(f"{out}/{rel}")).hexdigest() != expected:
                return None
        return len(files)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
