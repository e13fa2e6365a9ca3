"""The benchmark's synthetic catalogues stay valid as the rules grow (a refused one stops `make bench`)."""

import sys

from conftest import ROOT, nexusgen_here

sys.path.insert(0, str(ROOT / "bench"))
import synth  # noqa: E402


def test_a_synthetic_catalogue_validates_and_renders(tmp_path):
    catalogue = synth.write(40, tmp_path / "services.yaml")
    done = nexusgen_here("render", "-q", "--catalogue", str(catalogue), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "out" / "k8s").rglob("svc-0039*"))) > 0


def test_each_credential_is_derived_once_per_render(tmp_path, monkeypatch):
    """Every family asks for each service's data-store users; the answer is derived once per catalogue,
    or a render grows with the square of the services (140 s at 1,000 services before this test)."""
    from nexusgen.catalogue import datastores

    made = []
    real = datastores.Credential.__init__

    def counted(self, *args, **kwargs):
        made.append(args[2] if len(args) > 2 else kwargs.get("service"))
        real(self, *args, **kwargs)

    monkeypatch.setattr(datastores.Credential, "__init__", counted)
    catalogue = synth.write(60, tmp_path / "services.yaml")
    assert nexusgen_here("render", "-q", "--catalogue", str(catalogue), "--out", str(tmp_path / "out"),
                         "--github", str(tmp_path / ".github")).returncode == 0
    # 120 credentials (60 services, each a user on postgres and on redis), derived once per catalogue
    assert len(made) == 120, f"{len(made)} credentials made for 60 services on 2 stores"
