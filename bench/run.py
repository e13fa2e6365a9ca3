"""nexusgen's benchmark: prints figures, asserts nothing (targets are read, never timed in tests).

Cases, each run several times in this one process tree (median, min, max; peak RSS):
  floor       python -c "import pydantic.main, ..."   (the bare import of what check --full loads: FLOOR)
  check       nexusgen check on the shipped catalogue, in sync
  check-full  nexusgen check --full on the shipped catalogue
  render-N    nexusgen render of a synthetic catalogue of N services into an empty folder
  render-N-tmpfs  the same, writing to /dev/shm (information: the difference is the disk's share)
  files-N     the disk's floor for that tree: its files (paths, sizes) staged and renamed on the same
              disk by a bare Python loop (bench/files.py), nothing rendered
  cdk8s-N     cdk8s-plus-32 synthesizing Deployment, Service, HPA and PDB for the same N services,
              all in one chart
  cdk8s-charts-N  the same objects, one chart per service

Usage: python bench/run.py [--runs 5] [--sizes 11,100,1000] [--no-peer]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PEER_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
# The peer's two shapes of one app (bench/cdk8s_peer.py): every service in one chart, or a chart
# per service. The second reproduces the scaling the issue measured (0.9 s, 2.0 s, 17 s).
PEERS = {"cdk8s": [], "cdk8s-charts": ["--chart-per-service"]}
# What `nexusgen check --full` imports before its first file (python -X importtime -m nexusgen
# check --full, on 2026-11-29): pydantic with pydantic.main (the models), its type_adapter, Jinja,
# PyYAML and click; jsonschema is not loaded.
FLOOR = "import pydantic.main, pydantic.type_adapter, jinja2, yaml, click"


def run_folder(fresh: Path, run: int) -> Path:
    """Where run number ``run`` of a case with ``fresh`` folders writes."""
    return fresh.with_name(f"{fresh.name}-{run}")


def measure(argv: list[str], runs: int, cwd: Path, fresh: Path | None = None) -> dict:
    """Wall time and peak RSS of ``argv`` over ``runs`` runs. With ``fresh``, each run writes into a
    new folder (appended to ``argv`` as ``--out``), and the disk is synced first: deleting the last
    run's 16,000 files right before would time the file system's discards, not nexusgen.
    Peak RSS is that of the largest process."""
    times, peaks = [], []
    for run in range(runs):
        command = argv
        if fresh is not None:
            command = [*argv, "--out", str(run_folder(fresh, run))]
            if run > 1:  # keep the disk bounded: two runs back, then sync before timing
                shutil.rmtree(run_folder(fresh, run - 2), ignore_errors=True)
            os.sync()
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{stderr[-2000:]}")
        peaks.append(usage.ru_maxrss / 1024)  # KiB -> MiB
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "peak_mb": max(peaks)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="11,100,1000")
    parser.add_argument("--no-peer", action="store_true", help="skip cdk8s-plus (needs .venv-bench and node)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    nexusgen = str(VENV_BIN / "nexusgen")
    python = str(VENV_BIN / "python")
    peer = not args.no_peer and PEER_PYTHON.exists() and shutil.which("node")
    results: dict[str, dict] = {}

    memory = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="nexusgen-bench-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        in_memory = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=memory))) if memory.is_dir() else None
        shipped = work / "shipped"
        shipped.mkdir()
        shutil.copy(ROOT / "services.yaml", shipped / "services.yaml")
        subprocess.run([nexusgen, "render", "-q"], cwd=shipped, check=True)

        # Interleave floor and check so that both see the same machine state.
        for _ in range(args.runs):
            for name, argv in (
                ("floor", [python, "-c", FLOOR]),
                ("check", [nexusgen, "check"]),
                ("check-full", [nexusgen, "check", "--full"]),
            ):
                sample = measure(argv, 1, shipped)
                entry = results.setdefault(name, {"samples": [], "peak_mb": 0.0})
                entry["samples"].append(sample["median"])
                entry["peak_mb"] = max(entry["peak_mb"], sample["peak_mb"])
        for entry in results.values():
            samples = entry.pop("samples")
            entry.update(median=statistics.median(samples), min=min(samples), max=max(samples))

        for size in sizes:
            if size == 11:
                catalogue = shipped / "services.yaml"
            else:
                catalogue = synth.write(size, work / f"services-{size}.yaml")
            out = work / f"out-{size}"
            render = [nexusgen, "render", "-q", "--catalogue", str(catalogue)]
            runs = args.runs if size < 1000 else max(3, args.runs // 2)
            results[f"render-{size}"] = measure(render, args.runs, work, fresh=out)
            results[f"render-{size}"]["files"] = sum(1 for p in run_folder(out, args.runs - 1).rglob("*") if p.is_file())
            if in_memory is not None:  # the same render, writing to tmpfs: what the disk costs
                results[f"render-{size}-tmpfs"] = measure(render, runs, work, fresh=in_memory / f"out-{size}")
            # The disk's floor for that tree: the same files (paths and sizes) staged and renamed by a
            # bare Python loop on the same disk, nothing rendered (bench/files.py).
            listing = work / f"files-{size}.txt"
            wrote = run_folder(out, args.runs - 1)
            listing.write_text("".join(f"{p.stat().st_size}\t{p.relative_to(wrote).as_posix()}\n"
                                       for p in sorted(wrote.rglob("*")) if p.is_file()))
            results[f"files-{size}"] = measure([python, str(ROOT / "bench" / "files.py"), str(listing)], runs, work,
                                               fresh=work / f"files-{size}")
            for case, shape in PEERS.items() if peer else ():
                results[f"{case}-{size}"] = measure(
                    [str(PEER_PYTHON), str(ROOT / "bench" / "cdk8s_peer.py"), str(catalogue), *shape],
                    runs, work, fresh=work / f"{case}-{size}",
                )

    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, {platform.python_implementation()} {platform.python_version()}, {platform.platform()}")
    print(f"{'case':<18} {'median s':>9} {'min s':>7} {'max s':>7} {'peak MB':>8} {'files':>6}")
    for name, r in results.items():
        print(f"{name:<18} {r['median']:>9.3f} {r['min']:>7.3f} {r['max']:>7.3f} {r['peak_mb']:>8.1f} {r.get('files', ''):>6}")

    floor = results["floor"]["median"]
    rows = [
        ("check / floor", results["check"]["median"] / floor, "<= 1.0"),
        ("check --full / floor", results["check-full"]["median"] / floor, "<= 1.5"),
    ]
    if "render-1000" in results:
        rows += [
            ("render-1000 / floor", results["render-1000"]["median"] / floor, "<= 25"),
            ("(render-1000 - files-1000) / floor", (results["render-1000"]["median"] - results["files-1000"]["median"]) / floor, "info"),
            ("render-1000 peak MB", results["render-1000"]["peak_mb"], "< 150"),
        ]
        if "render-100" in results:
            rows.append(("render-1000 / render-100", results["render-1000"]["median"] / results["render-100"]["median"], "<= 10"))
    for size, target in ((11, "<= 0.5"), (1000, "<= 0.2")):
        for case in PEERS:
            if f"{case}-{size}" in results:
                ratio = results[f"render-{size}"]["median"] / results[f"{case}-{size}"]["median"]
                rows.append((f"render-{size} / {case}-{size}", ratio, target))
    print()
    print(f"{'ratio':<34} {'value':>8}  target")
    for label, value, target in rows:
        if target == "info":  # a figure to read beside the targets, not one of them
            print(f"{label:<34} {value:>8.3f}  (information)")
            continue
        limit = float(target.split()[-1])
        ok = {"<=": value <= limit, "<": value < limit, ">=": value >= limit}[target.split()[0]]
        print(f"{label:<34} {value:>8.3f}  {target:<7} {'met' if ok else 'MISSED'}")
    if not peer:
        print("\n(cdk8s-plus peer not run: `make bench` installs it into .venv-bench; node is required)")


if __name__ == "__main__":
    main()
