"""No secret value can reach out/: the rendered tree passes detect-secrets (every plugin, every file)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from conftest import tool


# What the scan must not read as a secret, each by construction not one: the manifest's and the
# config checksums are sha256 digests of generated text; ExternalSecret keys and Ingress TLS
# secret names are environment variable names and DNS labels the catalogue validates.
EXCLUDE_FILES = r"(^|/)\.nexusgen-manifest\.json$"
# (detect-secrets matches these against YAML as its transformer flattens it: `key: "value"`.)
EXCLUDE_LINES = [
    r'^\s*checksum/config: "?[0-9a-f]{64}"?$',
    r'^\s*(- )?secretKey: "[A-Z_][A-Z0-9_]*"$',
    r'secretName"?: "[a-z0-9-]+-tls"',
]


def _scan(folder: Path) -> dict[str, list[dict]]:
    # detect-secrets walks a relative path: given an absolute one outside the working directory it scans nothing
    result = subprocess.run(
        [tool("detect-secrets"), "scan", "--all-files", "--exclude-files", EXCLUDE_FILES,
         *[arg for line in EXCLUDE_LINES for arg in ("--exclude-lines", line)], "."],
        cwd=folder, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["plugins_used"]) > 20, "the scan runs detect-secrets' full plugin set"
    return report["results"]


def test_rendered_tree_has_no_secret(rendered: Path):
    assert _scan(rendered) == {}


def test_the_scan_would_find_one(rendered: Path, tmp_path: Path):
    """The control: the same scan over a copy with one planted credential reports exactly that file."""
    copy = tmp_path / "out"
    shutil.copytree(rendered, copy)
    compose = copy / "compose" / "docker-compose.yml"
    compose.write_text(compose.read_text() + 'x-planted:\n  aws_secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n')
    dockerfile = copy / "docker" / "gateway" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "ENV GITHUB_TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\n")
    assert sorted(_scan(copy)) == ["compose/docker-compose.yml", "docker/gateway/Dockerfile"]
