"""The ways a render can fail while it stages: a template that renders broken YAML, a full disk."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest

from conftest import CATALOGUE, copy_templates, nexusgen_here, tree
from nexusgen import pipeline
from nexusgen.engine import output
from nexusgen.engine.output import TMP_MARK
from nexusgen.errors import UsageError


@pytest.mark.parametrize(
    "template",
    ["k8s/service.yaml.j2", "monitoring/prometheus/prometheus.yml.j2"],  # early / late in the render
)
def test_a_template_that_renders_broken_yaml_changes_nothing(tmp_path: Path, template: str):
    shutil.copy(CATALOGUE, tmp_path / "services.yaml")
    assert nexusgen_here("render", cwd=tmp_path).returncode == 0
    before = tree(tmp_path / "out")
    templates = tmp_path / "templates"
    copy_templates(templates)
    (templates / template).write_text((templates / template).read_text() + "\nbroken: [unclosed\n")
    # the catalogue changes too, so that files before the broken one would be rewritten
    catalogue = (tmp_path / "services.yaml").read_text()
    assert "{http: 8000," in catalogue
    (tmp_path / "services.yaml").write_text(catalogue.replace("{http: 8000,", "{http: 8100,", 1))

    result = nexusgen_here("render", "--templates", str(templates), cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "does not parse" in result.stderr and "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree(tmp_path / "out") == before, "staged files are removed: out/ is as it was"
    assert not [p for p in (tmp_path / "out").rglob("*") if TMP_MARK in p.name]


def test_a_disk_error_while_staging_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A full disk after some files were staged: exit 2 with a clear message, and what was
    staged is removed, folders too."""
    real, staged = output._Stage.temp, []

    def temp(self, name: str, data: bytes, *sha: str) -> str:
        if name.startswith("k8s/"):
            staged.append(name)
            if len(staged) > 20:
                raise OSError(errno.ENOSPC, "No space left on device", f"{self.root}/{name}")
        return real(self, name, data, *sha)

    monkeypatch.setattr(output._Stage, "temp", temp)
    out = tmp_path / "out"
    with pytest.raises(UsageError, match="No space left on device.*out/ is unchanged"):
        pipeline.render(CATALOGUE, out)
    assert len(staged) == 21
    assert list(out.rglob("*")) == [], "what was staged is removed, folders too"
