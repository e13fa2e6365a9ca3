"""The Terraform rows of ``nexusgen validate`` (issue 18): HashiCorp's HCL parser (pygohcl), the
``terraform fmt`` layout, the pinned provider's documented arguments, and checkov's terraform
framework. No ``terraform`` binary or provider can be downloaded here, so these stand in for
``terraform fmt -check`` and ``terraform validate``."""

from __future__ import annotations

import json
from pathlib import Path

from nexusgen.families.terraform import hcl
from nexusgen.plan import paths
from nexusgen.validate import tool as tools
from nexusgen.validate.tool import Result, checkov_report, files_matching, run

ARGUMENTS = Path(__file__).resolve().parent.parent / "families" / "terraform" / "aws" / "arguments.json"
TF_FILES = f"{paths.TERRAFORM}/**/*.tf"
META = {"count", "for_each", "provider", "depends_on", "lifecycle"}


def _parsed(out: Path) -> tuple[Result, dict[Path, dict]]:
    result = Result("Terraform HCL (pygohcl, HashiCorp's parser)")
    files = files_matching(out, TF_FILES)
    result.files = len(files)
    try:
        import pygohcl
    except ImportError:
        result.missing = "pygohcl (PyPI)"
        return result, {}
    trees = {}
    for path in files:
        try:
            trees[path] = pygohcl.loads(path.read_text())
        except Exception as exc:  # pygohcl raises its own HCLParseError with the position
            result.findings.append(f"{path.relative_to(out)}: {exc}")
    return result, trees


def used_arguments(tree: dict, docs: dict) -> dict[str, set[str]]:
    """``{"resource.aws_x": {"arg", "block.arg", ...}}`` over resources, data sources and ephemerals;
    nested blocks are followed where ``docs`` (arguments.json's ``types``) says an argument is a block."""
    out: dict[str, set[str]] = {}

    def walk(kind: str, body: dict, prefix: str, nested: set[str]) -> None:
        for key, value in body.items():
            if not prefix and key in META:
                continue
            path = f"{prefix}{key}"
            out.setdefault(kind, set()).add(path)
            if path in nested:
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, dict):
                        walk(kind, item, f"{path}.", nested)

    for section in ("resource", "data", "ephemeral"):
        for rtype, instances in tree.get(section, {}).items():
            kind = f"{section}.{rtype}"
            nested = set(docs.get(kind, {}).get("blocks", []))
            for body in instances.values():
                walk(kind, body, "", nested)
    return out


def undocumented(trees: dict[Path, dict], out: Path) -> list[str]:
    docs = json.loads(ARGUMENTS.read_text())["types"]
    found = []
    for path, tree in sorted(trees.items()):
        name = path.relative_to(out)
        for kind, used in sorted(used_arguments(tree, docs).items()):
            if kind not in docs:
                found.append(f"{name}: {kind} is not in arguments.json")
                continue
            known = set(docs[kind]["arguments"]) | set(docs[kind]["blocks"])
            found += [f"{name}: {kind} has no argument {arg!r}" for arg in sorted(used - known)]
    return found


def parse(out: Path) -> Result:
    return _parsed(out)[0]


def layout(out: Path) -> Result:
    files = files_matching(out, TF_FILES)
    result = Result("Terraform layout (terraform fmt: indent, '=' alignment)", files=len(files))
    result.findings = [f"{p.relative_to(out)}: not in terraform fmt layout" for p in files if hcl.layout(p.read_text()) != p.read_text()]
    return result


def arguments(out: Path) -> Result:
    parsed, trees = _parsed(out)
    provider = json.loads(ARGUMENTS.read_text())["provider"]
    result = Result(f"Terraform arguments ({provider} schema)", files=len(trees), missing=parsed.missing)
    if not parsed.missing:
        result.findings = undocumented(trees, out)
    return result


def checkov(out: Path) -> Result:
    result = Result("checkov (terraform)", files=len(files_matching(out, TF_FILES)))
    tool = tools.find_tool("checkov")
    if tool is None:
        result.missing = "checkov"
        return result
    if not result.files:
        return result
    proc = run([tool, "-d", str(out / paths.TERRAFORM), "--framework", "terraform", "--skip-download", "--quiet", "--compact", "-o", "json"],
                env={"BC_SKIP_MAPPING": "TRUE"})  # fmt: skip
    return checkov_report(proc, result)


CHECKS = (parse, layout, arguments, checkov)
