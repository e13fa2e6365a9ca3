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
        "--github", type=click.Path(path_type=Path, file_okay=False), default=None,
        help="Where GitHub reads workflows (default: .github beside --out, at the repository root).",
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
def render(catalogue: Path, out: Path, github: Path | None, templates: Path | None, quiet: bool) -> int:
    """Write out/ and .github/ from the catalogue: only changed files, atomically; remove stale generated files."""
    for tree, result in pipeline.render(catalogue, out, templates, github):
        for line in Drift(unknown=result.kept).warnings(tree):
            click.echo(line, err=True)
        if not quiet:
            leftover = f", {len(result.leftover)} leftover temp files of an interrupted render removed" * bool(result.leftover)
            click.echo(
                f"{len(result.written)} written (manifest included), {len(result.removed)} removed{leftover}, "
                f"{result.total} generated files in {tree}"
            )
    return EXIT_OK


@main.command()
@_paths
@click.option("--full", is_flag=True, help="Always re-render and compare, ignoring the manifest's digests (for CI).")
@click.option("--diff", "diffs", is_flag=True, help="Show every file's full diff (default: one screen, each distinct change once).")
def check(catalogue: Path, out: Path, github: Path | None, templates: Path | None, full: bool, diffs: bool) -> int:
    """Exit 1 when `render` would change out/ or .github/ (exactly then); never writes.

    Without --full or --diff, unchanged trees are answered from the manifests' digests first (entry.py).
    """
    del full  # entry.py takes the digest shortcut only without --full; here the answer is always a full render
    found, total = EXIT_OK, 0
    for tree, drift in pipeline.check(catalogue, out, templates, github, full=diffs):
        for line in drift.warnings(tree):
            click.echo(line, err=True)
        if drift:
            click.echo("\n".join(drift.report(tree, full=diffs)), err=True)
            found = EXIT_DRIFT
        total += drift.total
    if found == EXIT_OK:
        click.echo(SYNCED.format(out=f"{out} and {pipeline.github_dir(out, github)}", catalogue=catalogue, count=total))
    return found


@main.command()
@click.option("--out", type=click.Path(path_type=Path, file_okay=False, exists=True), default=Path("out"), show_default=True)
@click.option("--catalogue", type=click.Path(path_type=Path, dir_okay=False), default=Path("services.yaml"),
              show_default=True, help="The catalogue out/ was rendered from (its platform section, its metrics).")
@click.option("--github", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The workflows' tree (default: .github beside --out).")
def validate(out: Path, catalogue: Path, github: Path | None) -> int:
    """Run every validator over out/ and .github/ and print one table; a missing validator is never a pass."""
    from nexusgen import validate as validators

    results = validators.run_all(out, pipeline.load(catalogue), github)
    for result in results:
        for finding in result.findings:
            click.echo(f"{result.tool}: {finding}", err=True)
    click.echo("\n".join(validators.table(results)))
    return EXIT_OK if all(r.status == "ok" for r in results) else EXIT_DRIFT


@main.command("record-deployment")
@click.option("--catalogue", type=click.Path(path_type=Path, dir_okay=False), default=Path("services.yaml"),
              show_default=True)
@click.option("--environment", type=click.Choice(["staging", "production"]), required=True)
@click.option("--tag", required=True, help="The version deployed (the image tag).")
@click.option("--digests", type=click.Path(path_type=Path, dir_okay=False, exists=True), required=True,
              help="'service sha256:...' lines, as the workflows keep them.")
def record_deployment(catalogue: Path, environment: str, tag: str, digests: Path) -> int:
    """Write the deployed tag and digests into environments.<env> of the catalogue (comments kept)."""
    from nexusgen.catalogue.record import read_digests, record

    text = catalogue.read_text(encoding="utf-8")
    new = record(text, environment, tag, read_digests(digests.read_text(encoding="utf-8")), catalogue.name)
    catalogue.write_text(new, encoding="utf-8")
    return EXIT_OK


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--base", metavar="REF", default=None,
              help="Git revision to compare with (default: the merge base of HEAD and main).")
@click.option("--catalogue", type=click.Path(path_type=Path, dir_okay=False), default=Path("services.yaml"),
              show_default=True, help="The service catalogue (its path is the same at the revision).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("out"), show_default=True,
              help="Folder of generated files (its manifest counts the files changed).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
@click.option("--exit-code", is_flag=True, help="Exit 1 when a high-risk change is present.")
def diff(files: tuple[Path, ...], base: str | None, catalogue: Path, out: Path, fmt: str, exit_code: bool) -> int:
    """Summarise what a catalogue change means, most dangerous first (no render).

    FILES: two catalogues, before and after (each with the out/ beside it); without them, the
    catalogue at --base against the working tree's.
    """
    from nexusgen import review

    summary = review.summarise(files, base, catalogue, out)
    click.echo(review.show(summary, fmt), nl=False)
    return EXIT_DRIFT if exit_code and summary.high else EXIT_OK


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
