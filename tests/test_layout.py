"""The package's layout is its architecture: load -> validate -> plan -> render -> write.

Each stage may import only the stages before it (and the shared leaves: errors, the engine's
text and templates); a family never imports another family. These tests read the imports of
every module (AST, nothing is executed), so a forbidden import fails here, not in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "nexusgen"

# What each layer may import from nexusgen (a prefix match on the dotted module name).
# nexusgen.escape (one escaping function per target language) is a leaf like errors: every stage may use it.
ALLOWED = {
    "nexusgen.catalogue": ("nexusgen.catalogue", "nexusgen.errors", "nexusgen.escape"),
    "nexusgen.plan": ("nexusgen.catalogue", "nexusgen.plan", "nexusgen.errors", "nexusgen.escape"),
    # the engine knows no domain: the families hand their filters to Templates. It reads two facts
    # from earlier stages: the YAML core scalars (text.py quotes what they would misread) and the plan's graph,
    # which mermaid.py draws; __version__ for the digest
    "nexusgen.engine": ("nexusgen.engine", "nexusgen.errors", "nexusgen.escape", "nexusgen.catalogue.scalars", "nexusgen.plan.graph",
                        "nexusgen.__version__"),
    "nexusgen.families": ("nexusgen.catalogue", "nexusgen.plan", "nexusgen.engine", "nexusgen.errors", "nexusgen.escape", "nexusgen.families"),
}


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append((".".join(parts), path))
    return out


def _imports(module: str, path: Path) -> set[str]:
    """Every nexusgen module ``path`` imports, absolute dotted names."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.update(f"{base}.{a.name}" if base == "nexusgen" else base for a in node.names)
    # importlib.import_module(f"nexusgen.families.{family}") is the registry's own lookup
    return {name for name in found if name == "nexusgen" or name.startswith("nexusgen.")}


MODULES = _modules()


def _family(name: str) -> str | None:
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "families" else None


@pytest.mark.parametrize("module,path", MODULES, ids=[m for m, _ in MODULES])
def test_each_layer_imports_only_the_layers_before_it(module: str, path: Path):
    layer = next((prefix for prefix in ALLOWED if module == prefix or module.startswith(prefix + ".")), None)
    if layer is None:
        return  # cli, entry, pipeline, validate, errors: the top, free to use every stage
    allowed = ALLOWED[layer]
    bad = sorted(i for i in _imports(module, path) if not any(i == a or i.startswith(a + ".") for a in allowed))
    assert not bad, f"{module} ({layer}) imports {bad}; it may import only {allowed}"


@pytest.mark.parametrize("module,path", [(m, p) for m, p in MODULES if _family(m)], ids=[m for m, _ in MODULES if _family(m)])
def test_a_family_never_imports_another_family(module: str, path: Path):
    mine = _family(module)
    others = sorted(i for i in _imports(module, path) if _family(i) not in (None, mine))
    assert not others, f"{module} imports {others}: what two families share belongs in the plan"


def test_the_engine_does_not_know_the_families():
    for module, path in MODULES:
        if module.startswith("nexusgen.engine"):
            assert not [i for i in _imports(module, path) if i.startswith("nexusgen.families")], module


def test_every_family_is_one_folder_with_its_templates_and_is_registered():
    from nexusgen.families import FAMILIES

    folders = sorted(p.name for p in (PACKAGE / "families").iterdir() if (p / "__init__.py").is_file())
    assert sorted([*FAMILIES, "index"]) == folders, "a family folder that is not registered, or the reverse"
    for name in folders:
        templates = PACKAGE / "families" / name / "templates"
        if templates.exists():
            assert not [p for p in templates.rglob("*.py")], f"{name}/templates holds code"


def test_the_checker_sees_a_forbidden_import(tmp_path: Path):
    """The rule above can fail: a family module importing a neighbour is caught."""
    bad = tmp_path / "x.py"
    bad.write_text("from nexusgen.families.k8s import network\nfrom ..compose import thing\n")
    found = _imports("nexusgen.families.docker.x", bad)
    assert "nexusgen.families.k8s" in found
    assert "nexusgen.families.compose" in found
    assert [i for i in found if _family(i) not in (None, "docker")]
