"""`nexusgen diff`: golden before/after pairs (tests/diff/<case>/), the git modes, bad input.

Each case's two catalogues are rendered into before/ and after/ (each with its out/, as in
two checkouts) and compared as files; expected.txt and expected.md are the exact output
(refresh with `pytest tests/test_diff.py --update-goldens`, then read them).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import nexusgen_here

CASES = Path(__file__).parent / "diff"
NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir())
# What each summary must name in its first six lines (the change a reviewer must not miss).
HEADLINES = {
    "new-trading-service": ("services added: trader (public, trade keys)",
                            "trader public: https://trade.staging.shop.example.com/ (staging), https://trade.shop.example.com/ (production)",
                            "trader exchange_access: trade"),
    "new-egress-cidr": ("ledger egress to bank: 203.0.113.0/24 port 443 -> 203.0.113.0/24, 198.51.100.0/24 port 443",),
    "production-replicas": ("api replicas: 2-3 -> 2-6 (production)",),
    "new-alert": ("alert OrdersPiling on api: above 100 for 15m, P2",),
    "removed-service": ("services removed: ledger",),
}
HIGH_RISK = {"new-trading-service", "new-egress-cidr"}


def render_side(folder: Path, catalogue: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(catalogue, folder / "services.yaml")
    # in-process: the diff reads files, how they were written does not matter to it
    assert nexusgen_here("render", "-q", "--catalogue", str(folder / "services.yaml"), "--out", str(folder / "out"),
                         "--github", str(folder / ".github")).returncode == 0
    return folder / "services.yaml"


@pytest.fixture(scope="module")
def sides(tmp_path_factory) -> dict[str, Path]:
    """Each case rendered as two checkouts under one folder: <case>/before, <case>/after."""
    root = tmp_path_factory.mktemp("diff")
    for name in NAMES:
        for side in ("before", "after"):
            render_side(root / name / side, CASES / name / f"{side}.yaml")
    return {name: root / name for name in NAMES}


def test_every_required_case_is_present():
    assert set(HEADLINES) <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fmt, expected", [("text", "expected.txt"), ("markdown", "expected.md")])
def test_golden(name: str, fmt: str, expected: str, sides, update_goldens: bool):
    result = nexusgen_here("diff", "before/services.yaml", "after/services.yaml", "--format", fmt, cwd=sides[name])
    assert result.returncode == 0, result.stderr
    golden = CASES / name / expected
    if update_goldens:
        golden.write_text(result.stdout)
    assert result.stdout == golden.read_text()
    summary = result.stdout.split("<details>")[0].rstrip("\n").splitlines()
    assert len(summary) <= 40, f"{len(summary)} lines"
    first = "\n".join(summary[:6]).replace("\\", "").replace("`", "")  # Markdown escapes and code spans ('_') read as text
    for headline in HEADLINES.get(name, ()):
        assert headline in first.replace("→", "->"), f"{headline!r} not in the first lines:\n{first}"


@pytest.mark.parametrize("name", NAMES)
def test_exit_code_flags_high_risk(name: str, sides):
    result = nexusgen_here("diff", "before/services.yaml", "after/services.yaml", "--exit-code", cwd=sides[name])
    assert result.returncode == (1 if name in HIGH_RISK else 0), result.stdout + result.stderr


def test_markdown_carries_the_diagram_with_changes_styled_apart(sides):
    text = nexusgen_here("diff", "before/services.yaml", "after/services.yaml", "--format", "markdown",
                         cwd=sides["new-trading-service"]).stdout
    diagram = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert 'svc_trader["trader<br/>public<br/>trade keys<br/>added"]' in diagram
    assert "svc_trader ==>|\"added\"| ext_exchange" in diagram
    assert "linkStyle" in diagram and "class svc_trader" in diagram
    removed = nexusgen_here("diff", "before/services.yaml", "after/services.yaml", "--format", "markdown",
                            cwd=sides["removed-service"]).stdout
    assert 'svc_ledger["ledger<br/>removed"]' in removed
    assert 'svc_ledger ==>|"removed"| ext_bank' in removed


def test_without_manifests_files_are_not_compared(tmp_path: Path):
    for side in ("before", "after"):
        shutil.copy(CASES / "production-replicas" / f"{side}.yaml", tmp_path / f"{side}.yaml")
    result = nexusgen_here("diff", "before.yaml", "after.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "generated files: not compared (a side has no out/ manifest)" in result.stdout
    assert "api replicas: 2-3 -> 2-6 (production)" in result.stdout


def test_no_change_says_so(sides):
    result = nexusgen_here("diff", "before/services.yaml", "before/services.yaml", "--exit-code", cwd=sides["new-alert"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "nexusgen diff before/services.yaml -> before/services.yaml: no change in meaning",
        "generated files: none changed",
    ]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A repository whose main has the before catalogue (rendered); a branch renders the after one."""
    root = tmp_path_factory.mktemp("repo")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")
    shutil.copy(CASES / "new-trading-service" / "before.yaml", root / "services.yaml")
    assert nexusgen_here("render", "-q", cwd=root).returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "before")
    git(root, "checkout", "-qb", "feature")
    shutil.copy(CASES / "new-trading-service" / "after.yaml", root / "services.yaml")
    assert nexusgen_here("render", "-q", cwd=root).returncode == 0
    return root


def test_default_base_is_the_merge_base_with_main(repo: Path):
    result = nexusgen_here("diff", cwd=repo)
    assert result.returncode == 0, result.stderr
    sha = git(repo, "rev-parse", "--short=7", "main").strip()
    assert result.stdout.startswith(f"nexusgen diff merge base with main ({sha}) -> working tree: ")
    expected = (CASES / "new-trading-service" / "expected.txt").read_text()
    assert result.stdout.splitlines()[1:] == expected.splitlines()[1:], "the same summary as the file pair"


def test_base_option_and_committed_side(repo: Path):
    result = nexusgen_here("diff", "--base", "main", "--exit-code", cwd=repo)
    assert result.returncode == 1 and result.stdout.startswith("nexusgen diff main (")


@pytest.mark.parametrize(
    "args, message",
    [
        (("--base", "no-such-branch"), "nexusgen: the git revision 'no-such-branch' was not found"),
        (("--base", "--output=x"), "nexusgen: '--output=x' is not a git revision"),
        (("--base", "main", "--catalogue", "missing.yaml"), "nexusgen: missing.yaml does not exist at main"),
        (("one.yaml",), "nexusgen: give two catalogue files, or --base REF (or neither), not both"),
        (("nothing.yaml", "services.yaml"), "nothing.yaml:1:1: file not found"),
    ],
)
def test_bad_refs_and_files_exit_2_with_a_message(repo: Path, args, message: str):
    result = nexusgen_here("diff", *args, cwd=repo)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr and not result.stdout


def test_outside_a_repository_without_main(tmp_path: Path):
    shutil.copy(CASES / "new-alert" / "before.yaml", tmp_path / "services.yaml")
    result = nexusgen_here("diff", cwd=tmp_path)
    assert result.returncode == 2 and "git repository" in result.stderr and "Traceback" not in result.stderr


def test_invalid_catalogue_at_the_revision_is_located(repo: Path, tmp_path: Path):
    bad = tmp_path / "bad"
    shutil.copytree(repo, bad)
    (bad / "services.yaml").write_text("version: 1\nservices: []\n")
    git(bad, "commit", "-qam", "broken")
    result = nexusgen_here("diff", "--base", "HEAD", cwd=bad)
    assert result.returncode == 2 and result.stderr.startswith("HEAD:services.yaml:"), result.stderr
