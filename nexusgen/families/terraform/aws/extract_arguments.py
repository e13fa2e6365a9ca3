"""Refresh ``arguments.json``: the arguments of every resource and data source type the AWS modules
use, as the provider's own schema documents them.

Source: the ``cdktf-cdktf-provider-aws`` wheel, generated from the hashicorp/aws provider schema of
one exact version (its docstrings link ``registry.terraform.io/providers/hashicorp/aws/<version>/docs``).
Not a runtime dependency: download the wheel, unzip it, and run
``python -m nexusgen.families.terraform.aws.extract_arguments UNZIPPED_DIR out/terraform``.
Ephemeral resources are not in cdktf; their arguments are kept by hand in ``EPHEMERAL`` below,
from the provider's docs (website/docs/ephemeral-resources/).
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pygohcl

META = {"connection", "count", "depends_on", "for_each", "lifecycle", "provider", "provisioners"}
# website/docs/ephemeral-resources/secretsmanager_secret_version.html.markdown (hashicorp/terraform-provider-aws at 657195932dd9)
EPHEMERAL = {"ephemeral.aws_secretsmanager_secret_version": {"arguments": ["region", "secret_id", "version_id", "version_stage"], "blocks": []}}
HERE = Path(__file__).resolve().parent


def _classes(tree: ast.Module) -> dict[str, ast.ClassDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def _init_args(cls: ast.ClassDef) -> list[tuple[str, str]]:
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            return [(a.arg, ast.unparse(a.annotation) if a.annotation else "") for a in node.args.kwonlyargs]
    return []


def _walk(classes: dict[str, ast.ClassDef], cls: ast.ClassDef, prefix: str, args: set[str], blocks: set[str], depth: int = 0) -> None:
    for name, annotation in _init_args(cls):
        if not prefix and name in META:
            continue
        path = f"{prefix}{name}"
        args.add(path)
        nested = [c for c in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", annotation) if c in classes and c != cls.name]
        if nested and depth < 6:
            blocks.add(path)
            _walk(classes, classes[nested[0]], f"{path}.", args, blocks, depth + 1)


def arguments(package: Path, kind: str) -> dict[str, list[str]]:
    section, rtype = kind.split(".", 1)
    module = rtype.removeprefix("aws_") if section == "resource" else f"data_{rtype}"
    tree = ast.parse((package / module / "__init__.py").read_text())
    classes = _classes(tree)
    config = next(c for c in classes.values() if any("TerraformMetaArguments" in ast.unparse(b) for b in c.bases))
    args: set[str] = set()
    blocks: set[str] = set()
    _walk(classes, config, "", args, blocks)
    return {"arguments": sorted(args), "blocks": sorted(blocks)}


def used_types(out: Path) -> set[str]:
    kinds = set()
    for path in out.rglob("*.tf"):
        tree = pygohcl.loads(path.read_text())
        for section in ("resource", "data", "ephemeral"):
            kinds |= {f"{section}.{rtype}" for rtype in tree.get(section, {})}
    return kinds


def main(unzipped: str, out: str) -> None:
    package = Path(unzipped) / "cdktf_cdktf_provider_aws"
    version = re.search(r"hashicorp/aws/([0-9.]+)/docs", (package / "vpc" / "__init__.py").read_text())[1]
    types = {}
    for kind in sorted(used_types(Path(out))):
        types[kind] = EPHEMERAL[kind] if kind in EPHEMERAL else arguments(package, kind)
    data = {
        "provider": f"hashicorp/aws {version}",
        "source": "cdktf-cdktf-provider-aws (PyPI), generated from the provider schema of that version; see extract_arguments.py",
        "types": types,
    }
    (HERE / "arguments.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
