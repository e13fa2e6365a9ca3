"""load -> validate -> plan -> render -> write/compare, as two calls the CLI can make."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

from nexusgen import catalogue as catalogue_io
from nexusgen.engine import output
from nexusgen.errors import UsageError
from nexusgen.engine.fingerprint import inputs_digest
from nexusgen.catalogue.load import read_bytes
from nexusgen.plan import build
from nexusgen.engine.templates import Templates
from nexusgen.families import render_all


@dataclass
class Prepared:
    render: output.Render  # render(step): the files, each through ``step`` where it is rendered
    inputs: str


def prepare(catalogue: Path, templates: Path | None = None) -> Prepared:
    """Load, validate and plan now (so a bad catalogue fails before anything else); render when called."""
    if templates is not None and not templates.is_dir():
        raise UsageError(f"templates folder {templates} not found")
    name = catalogue.name
    raw = read_bytes(catalogue, name)
    model = catalogue_io.parse(raw, name)
    return Prepared(partial(render_all, build(model, name), Templates(templates)), inputs_digest(raw, templates))


def load(catalogue: Path):
    """The validated catalogue model alone (for ``validate``)."""
    return catalogue_io.parse(read_bytes(catalogue, catalogue.name), catalogue.name)


def render_memory(catalogue: Path, templates: Path | None = None) -> dict[PurePosixPath, bytes]:
    """Everything ``render`` would write, sorted by path, without touching the disk."""
    files = prepare(catalogue, templates).render(_data)
    return {PurePosixPath(name): data for name, data in sorted(files)}


def _data(name: str, data: bytes) -> bytes:
    return data


def render(catalogue: Path, out: Path, templates: Path | None = None) -> output.WriteResult:
    prepared = prepare(catalogue, templates)
    return output.write(out, prepared.render, prepared.inputs)


def check(catalogue: Path, out: Path, templates: Path | None = None) -> output.Drift:
    """Render and compare file by file. (A plain ``nexusgen check`` on an unchanged tree never gets
    here: ``entry.py`` answers it from the manifest's digests before anything heavy is imported.)"""
    return output.compare(out, prepare(catalogue, templates).render)
