"""The benchmark's synthetic catalogues stay valid as the rules grow (a refused one stops `make bench`)."""

import sys

from conftest import ROOT, nexusgen

sys.path.insert(0, str(ROOT / "bench"))
import synth  # noqa: E402


def test_a_synthetic_catalogue_validates_and_renders(tmp_path):
    catalogue = synth.write(40, tmp_path / "services.yaml")
    done = nexusgen("render", "-q", "--catalogue", str(catalogue), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "out" / "k8s").rglob("svc-0039*"))) > 0
