"""load -> validate -> plan -> render -> write/compare, as two calls the CLI can make."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

from nexusgen import catalogue as catalogue_io
from nexusgen import families
from nexusgen.catalogue.load import load_bytes, read_bytes
from nexusgen.engine import output
from nexusgen.engine.drift import Drift
from nexusgen.engine.fingerprint import inputs_digest
from nexusgen.errors import CatalogueError, UsageError
from nexusgen.families import render_all
from nexusgen.plan import build, paths


@dataclass
class Prepared:
    render: output.Render  # render(step): the files of out/, each through ``step`` where it is rendered
    inputs: str
    render_github: output.Render | None = None  # the same for .github/


def github_dir(out: Path, github: Path | None = None) -> Path:
    """Where the workflows go: ``--github``, else ``.github`` beside ``out`` (the repository root)."""
    return github if github is not None else out.parent / paths.GITHUB_DIR


def prepare(catalogue: Path, templates: Path | None = None) -> Prepared:
    """Load, validate and plan now (so a bad catalogue fails before anything else); render when called."""
    if templates is not None and not templates.is_dir():
        raise UsageError(f"templates folder {templates} not found")
    name = catalogue.name
    raw = read_bytes(catalogue, name)
    model = catalogue_io.parse(raw, name)
    plan, engine = build(model, name), families.templates(templates)
    found = families.findings(plan)
    if found:
        doc = load_bytes(raw, name)
        raise CatalogueError([doc.problem(loc, message) for loc, message in found])
    return Prepared(partial(render_all, plan, engine), inputs_digest(raw, templates),
                    partial(render_all, plan, engine, tree="github"))


def load(catalogue: Path):
    """The validated catalogue model alone (for ``validate``)."""
    return catalogue_io.parse(read_bytes(catalogue, catalogue.name), catalogue.name)


def render_memory(catalogue: Path, templates: Path | None = None) -> dict[PurePosixPath, bytes]:
    """Everything ``render`` would write, sorted by path, without touching the disk (the
    ``.github`` tree's files under ``.github/``)."""
    prepared = prepare(catalogue, templates)
    files = list(prepared.render(_data)) + [(f".github/{name}", data) for name, data in prepared.render_github(_data)]
    return {PurePosixPath(name): data for name, data in sorted(files)}


def _data(name: str, data: bytes) -> bytes:
    return data


def render(
    catalogue: Path, out: Path, templates: Path | None = None, github: Path | None = None
) -> list[tuple[Path, output.WriteResult]]:
    """Write both trees (out/ first), each with its own manifest: ``[(tree, result)]``."""
    prepared = prepare(catalogue, templates)
    return [(out, output.write(out, prepared.render, prepared.inputs)),
            (github_dir(out, github), output.write(github_dir(out, github), prepared.render_github, prepared.inputs))]


def check(
    catalogue: Path, out: Path, templates: Path | None = None, github: Path | None = None, full: bool = False
) -> list[tuple[Path, Drift]]:
    """Render and compare file by file, each tree, its manifest included: no drift exactly when
    ``render`` would write nothing. (A plain ``nexusgen check`` on unchanged trees never gets here:
    ``entry.py`` answers it from the manifests' digests before anything heavy is imported.)
    ``full``: keep every file's whole unified diff."""
    prepared = prepare(catalogue, templates)
    github = github_dir(out, github)
    return [(out, output.compare(out, prepared.render, prepared.inputs, full)),
            (github, output.compare(github, prepared.render_github, prepared.inputs, full))]
