"""What the output depends on, as one digest; and the cheap in-sync test built on it.

Imports only the standard library: ``nexusgen check`` on an unchanged tree runs this and
nothing else, so it costs less than importing Jinja, PyYAML, pydantic and click.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from nexusgen import __version__

PACKAGE = Path(__file__).resolve().parent.parent  # the nexusgen package
FAMILIES = PACKAGE / "families"
MANIFEST = ".nexusgen-manifest.json"  # also output.MANIFEST; output imports it from here
# A developer's own files beside the generated ones (git-ignored): never drift, never touched.
LOCAL_ONLY = ("compose/.env", "compose/secrets/")


def local_only(rel: str) -> bool:
    return rel in LOCAL_ONLY or rel.startswith(tuple(p for p in LOCAL_ONLY if p.endswith("/")))


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


def in_sync(catalogue: Path, out: Path, templates: Path | None) -> bool:
    """True only when inputs and every generated file match the manifest and nothing else is in ``out``.

    Any doubt (no manifest, a changed input, a changed, missing or extra file) answers
    False, and the caller renders in full to say exactly what differs.
    """
    try:
        manifest = json.loads((out / MANIFEST).read_bytes())
        files = manifest["files"]
        if manifest.get("inputs") != inputs_digest(catalogue.read_bytes(), templates):
            return False
        on_disk = {rel for rel, _ in files_under(out, None) if not local_only(rel)} - {MANIFEST}
        if on_disk != set(files):
            return False
        for rel, expected in files.items():
            if hashlib.sha256((out / rel).read_bytes()).hexdigest() != expected:
                return False
        return True
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
