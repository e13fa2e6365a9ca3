"""The two sides ``nexusgen diff`` compares: a catalogue (at a git revision, or a file) planned, and
the generated files' manifest beside it (which files exist and their digests), when there is one.

Nothing is rendered: the plan says what changes, the manifests say which files did.
A revision is read with ``git show REV:PATH``; every failure is a ``UsageError`` (exit 2).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from nexusgen import catalogue as catalogue_io
from nexusgen.catalogue.load import read_bytes
from nexusgen.engine.fingerprint import MANIFEST
from nexusgen.plan.paths import GITHUB_DIR
from nexusgen.errors import UsageError
from nexusgen.plan import Plan, build

MAIN_BRANCHES = ("main", "origin/main")


@dataclass(frozen=True)
class Side:
    label: str  # "main (3f2a1c0)", "working tree", or a file name
    plan: Plan
    files: dict[str, str] | None  # the manifest's {path: digest}; None when there is none


def working_tree(catalogue: Path, out: Path) -> Side:
    return file_side(catalogue, out, "working tree")


def file_side(catalogue: Path, out: Path | None = None, label: str | None = None) -> Side:
    """A catalogue file, and the manifest in ``out`` (default: ``out/`` beside the catalogue)."""
    name = str(catalogue)
    plan = _plan(read_bytes(catalogue, name), name)
    out = out if out is not None else catalogue.parent / "out"
    files = None
    for prefix, tree in _trees(out):
        manifest = tree / MANIFEST
        try:
            found = _files(manifest.read_bytes(), str(manifest))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            continue
        except OSError as exc:
            raise UsageError(f"{manifest} cannot be read: {exc.strerror}") from None
        files = {**(files or {}), **{prefix + k: v for k, v in found.items()}}
    return Side(label or name, plan, files)


def _trees(out: Path) -> list[tuple[str, Path]]:
    """The generated trees and how their files are named in the summary: out/ itself, and the
    GitHub tree beside it (``.github``, the default of ``--github``) as ``github/...``."""
    return [("", out), ("github/", out.parent / GITHUB_DIR)]


def git_side(revision: str | None, catalogue: Path, out: Path) -> Side:
    """The catalogue and manifest as committed at ``revision`` (default: the merge base with main)."""
    root = Path(_git(catalogue.parent, "rev-parse", "--show-toplevel", what="a git repository").strip())
    label = None
    if revision is None:
        revision, label = _merge_base(root)
    elif revision.startswith("-") or not revision.strip():
        raise UsageError(f"{revision!r} is not a git revision")
    sha = _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}",
               what=f"the git revision {revision!r}").strip()
    path = _relative(catalogue, root)
    raw = _show(root, sha, path)
    if raw is None:
        raise UsageError(f"{path} does not exist at {revision} ({sha[:7]})")
    plan = _plan(raw, f"{revision}:{path}")
    files = None
    for prefix, tree in _trees(out):
        manifest_path = f"{_relative(tree, root)}/{MANIFEST}".lstrip("/")
        manifest = _show(root, sha, manifest_path)
        if manifest is not None:
            found = _files(manifest, f"{revision}:{manifest_path}")
            files = {**(files or {}), **{prefix + k: v for k, v in found.items()}}
    return Side(f"{label or revision} ({sha[:7]})", plan, files)


def _plan(raw: bytes, name: str) -> Plan:
    return build(catalogue_io.parse(raw, name), name)


def _files(raw: bytes, name: str) -> dict[str, str]:
    try:
        files = json.loads(raw)["files"]
        if not isinstance(files, dict):
            raise TypeError
        return {str(k): str(v) for k, v in files.items()}
    except (ValueError, KeyError, TypeError):
        raise UsageError(f"{name} is not a nexusgen manifest") from None


def _merge_base(root: Path) -> tuple[str, str]:
    """The merge base of HEAD and the main branch, and how to name it."""
    for branch in MAIN_BRANCHES:
        found = _run(root, "rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}")
        if found.returncode == 0:
            base = _run(root, "merge-base", "HEAD", branch)
            if base.returncode == 0:
                return base.stdout.strip(), f"merge base with {branch}"
            raise UsageError(f"HEAD and {branch} have no common commit; pass --base REF")
    raise UsageError(f"no branch {' or '.join(MAIN_BRANCHES)} to compare with; pass --base REF")


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise UsageError(f"{path} is outside the git repository at {root}") from None


def _show(root: Path, sha: str, path: str) -> bytes | None:
    shown = subprocess.run(["git", "show", f"{sha}:{path}"], cwd=root, capture_output=True)
    return shown.stdout if shown.returncode == 0 else None


def _git(cwd: Path, *args: str, what: str) -> str:
    result = _run(cwd, *args)
    if result.returncode != 0:
        raise UsageError(f"{what} was not found (git {' '.join(args[:1])} failed in {cwd})")
    return result.stdout


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    if not cwd.is_dir():
        raise UsageError(f"{cwd} is not a folder")
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise UsageError("git is not installed; compare two catalogue files instead") from None
