"""load -> validate -> plan -> render -> write/compare, as two calls the CLI can make."""

from __future__ import annotations

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
    files: dict[PurePosixPath, str]
    inputs: str


def render_memory(catalogue: Path, templates: Path | None = None) -> Rendered:
    """Everything ``render`` would write, without touching the disk."""
    root = templates or default_templates()
    if root is None or not root.is_dir():
        raise UsageError(f"templates folder {root} not found; pass --templates")
    name = catalogue.name
    raw = read_bytes(catalogue, name)
    model = catalogue_io.parse(raw, name)
    files = render_all(build(model, name), Templates(root))
    return Rendered(files, inputs_digest(raw, root))


@dataclass
class RenderResult(output.WriteResult):
    total: int = 0


def render(catalogue: Path, out: Path, templates: Path | None = None) -> RenderResult:
    rendered = render_memory(catalogue, templates)
    written = output.write(out, rendered.files, rendered.inputs)
    return RenderResult(written.written, written.removed, written.kept, total=len(rendered.files))


def check(catalogue: Path, out: Path, templates: Path | None = None) -> output.Drift:
    """Render in memory and compare. (A plain ``nexusgen check`` on an unchanged tree never gets
    here: ``entry.py`` answers it from the manifest's digests before anything heavy is imported.)"""
    return output.compare(out, render_memory(catalogue, templates).files)
