"""The workflow rows, over the `.github/` tree: actionlint with shellcheck, GitHub's and Dependabot's
schemas, and zizmor's security audit."""

from __future__ import annotations

from pathlib import Path

from nexusgen.plan import paths
from nexusgen.validate.tool import Result, files_matching, jsonschema, over_files


def actionlint(github: Path) -> Result:
    """shellcheck is required, not optional: without it actionlint silently skips every `run:` script."""
    return over_files(
        "actionlint + shellcheck", files_matching(github, f"{paths.WORKFLOWS}/*.yml"),
        {"actionlint": "actionlint", "shellcheck": "shellcheck"},
        lambda t, f: [t["actionlint"], "-oneline", "-shellcheck", t["shellcheck"], *_actionlint_config(github), *f],
    )  # fmt: skip


def _actionlint_config(github: Path) -> list[str]:
    """The rendered runner labels, named explicitly (actionlint finds .github/ only inside a git work tree)."""
    config = github / paths.ACTIONLINT
    return ["-config-file", str(config)] if config.is_file() else []



def workflow_schema(github: Path) -> Result:
    return jsonschema(github, "GitHub workflow schema (check-jsonschema)", "vendor.github-workflows", f"{paths.WORKFLOWS}/*.yml")



def dependabot_schema(github: Path) -> Result:
    return jsonschema(github, "Dependabot schema (check-jsonschema)", "vendor.dependabot", str(paths.DEPENDABOT))



def zizmor(github: Path) -> Result:
    """GitHub Actions security audit at its default persona, offline (template injection, unpinned
    `uses:`, cache poisoning, excessive permissions...): any finding fails."""
    return over_files(
        "zizmor (offline, default persona)", [*files_matching(github, f"{paths.WORKFLOWS}/*.yml"), *files_matching(github, str(paths.DEPENDABOT))],
        {"zizmor": "zizmor (PyPI)"},
        lambda t, f: [t["zizmor"], "--offline", "--no-progress", "--format", "plain", *f],
    )  # fmt: skip
