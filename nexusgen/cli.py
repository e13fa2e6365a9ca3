"""Command line: each command parses options, calls the pipeline and returns an exit code."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nexusgen import __version__, pipeline
from nexusgen.engine.drift import Drift
from nexusgen.engine.fingerprint import SYNCED
from nexusgen.errors import EXIT_DRIFT, EXIT_OK, handle


def _paths(command):
    command = click.option(
        "--templates", type=click.Path(path_type=Path, file_okay=False), default=None,
        help="Templates folder (default: the one shipped with nexusgen).",
    )(command)
    command = click.option(
        "--out", type=click.Path(path_type=Path, file_okay=False), default=Path("out"), show_default=True,
        help="Folder of generated files.",
    )(command)
    command = click.option(
        "--catalogue", type=click.Path(path_type=Path, dir_okay=False), default=Path("services.yaml"),
        show_default=True, help="The service catalogue.",
    )(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nexusgen")
def main() -> None:
    """Render the service catalogue into Dockerfiles, compose, Kubernetes, CI/CD and monitoring.

    Exit codes: 0 ok, 1 drift found by check (or findings by validate), 2 invalid catalogue
    or usage, 3 internal error.
    """


@main.command()
@_paths
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when all is well.")
def render(catalogue: Path, out: Path, templates: Path | None, quiet: bool) -> int:
    """Write out/ from the catalogue: only changed files, atomically; remove stale generated files."""
    result = pipeline.render(catalogue, out, templates)
    for line in Drift(unknown=result.kept).warnings(out):
        click.echo(line, err=True)
    if not quiet:
        leftover = f", {len(result.leftover)} leftover temp files of an interrupted render removed" * bool(result.leftover)
        click.echo(
            f"{len(result.written)} written (manifest included), {len(result.removed)} removed{leftover}, "
            f"{result.total} generated files in {out}"
        )
    return EXIT_OK


@main.command()
@_paths
@click.option("--full", is_flag=True, help="Always re-render and compare, ignoring the manifest's digests (for CI).")
@click.option("--diff", "diffs", is_flag=True, help="Show every file's full diff (default: one screen, each distinct change once).")
def check(catalogue: Path, out: Path, templates: Path | None, full: bool, diffs: bool) -> int:
    """Exit 1 when `render` would change out/ (exactly then); never writes.

    Without --full or --diff, an unchanged tree is answered from the manifest's digests first (entry.py).
    """
    del full  # entry.py takes the digest shortcut only without --full; here the answer is always a full render
    drift = pipeline.check(catalogue, out, templates, full=diffs)
    for line in drift.warnings(out):
        click.echo(line, err=True)
    if drift:
        click.echo("\n".join(drift.report(out, full=diffs)), err=True)
        return EXIT_DRIFT
    click.echo(SYNCED.format(out=out, catalogue=catalogue, count=drift.total))
    return EXIT_OK


@main.command()
@click.option("--out", type=click.Path(path_type=Path, file_okay=False, exists=True), default=Path("out"), show_default=True)
def validate(out: Path) -> int:
    """Run every validator over out/ and print one table; a missing validator is never a pass."""
    from nexusgen import validate as validators

    results = validators.run_all(out)
    for result in results:
        for finding in result.findings:
            click.echo(f"{result.tool}: {finding}", err=True)
    click.echo("\n".join(validators.table(results)))
    return EXIT_OK if all(r.status == "ok" for r in results) else EXIT_DRIFT


@main.command()
def schema() -> int:
    """Print the catalogue's JSON Schema (also rendered as out/services.schema.json)."""
    from nexusgen.engine.text import dump_json
    from nexusgen.catalogue.schema import catalogue_schema

    click.echo(dump_json(catalogue_schema()), nl=False)
    return EXIT_OK


def run(argv: list[str] | None = None) -> int:
    """Run a command; map every outcome to a documented exit code."""
    return handle(lambda: main.main(args=argv, prog_name="nexusgen", standalone_mode=False))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
