"""load -> validate -> plan -> render -> write/compare, as two calls the CLI can make."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from nexusgen import catalogue as catalogue_io
from nexusgen import output
from nexusgen.errors import UsageError
from nexusgen.fingerprint import default_templates, inputs_digest
from nexusgen.load import read_bytes
from nexusgen.plan import build
from nexusgen.render import Templates, render_all


@dataclass
class Rendered:
    files: Generator[tuple[PurePosixPath, bytes], None, None]  # produced as they are consumed
    inputs: str


def render_stream(catalogue: Path, templates: Path | None = None) -> Rendered:
    """Load, validate and plan now (so a bad catalogue fails before anything else); render lazily."""
    root = templates or default_templates()
    if root is None or not root.is_dir():
        raise UsageError(f"templates folder {root} not found; pass --templates")
    name = catalogue.name
    raw = read_bytes(catalogue, name)
    model = catalogue_io.parse(raw, name)
    return Rendered(render_all(build(model, name), Templates(root)), inputs_digest(raw, root))


def render_memory(catalogue: Path, templates: Path | None = None) -> dict[PurePosixPath, bytes]:
    """Everything ``render`` would write, sorted by path, without touching the disk."""
    return dict(sorted(render_stream(catalogue, templates).files, key=lambda item: str(item[0])))


def render(catalogue: Path, out: Path, templates: Path | None = None) -> output.WriteResult:
    rendered = render_stream(catalogue, templates)
    with closing(rendered.files):  # a failed write stops the render (and its forked child) now
        return output.write(out, rendered.files, rendered.inputs)


def check(catalogue: Path, out: Path, templates: Path | None = None) -> output.Drift:
    """Render and compare file by file. (A plain ``nexusgen check`` on an unchanged tree never gets
    here: ``entry.py`` answers it from the manifest's digests before anything heavy is imported.)"""
    with closing(render_stream(catalogue, templates).files) as files:
        return output.compare(out, files)
