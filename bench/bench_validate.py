"""Benchmark `ruven validate` per layer against upstream `frictionless validate` on synthetic packages.

    python bench/bench_validate.py                      # 10k and 100k rows per fact table
    python bench/bench_validate.py --sizes 10000 100000 1000000
    python bench/bench_validate.py --sizes 1000000 --no-frictionless   # skip the slow upstream run

For each size it generates a package with ``bench/make_synthetic.py`` (planted errors of every
class, listed in ``planted.json``), then runs each command in its own process and prints wall
time and peak memory (the child's max RSS, from ``os.wait4``), and whether every planted error
was found: by upstream frictionless (layer-1 errors), by ruven's layers 1+2, and by layer 3.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
TODAY = "2026-11-25"


def measure(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """(seconds, peak MB, stdout) of one command run in a child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=dict(os.environ, GX_ANALYTICS_ENABLED="False", RUVEN_CACHE="off"))  # measure the work, not the cache
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace")
        if proc.returncode not in (0, 1):
            sys.stderr.write(err.read().decode("utf-8", "replace")[-2000:])
    return seconds, usage.ru_maxrss / 1024, text


def found_by_ruven(planted: list[dict], report: dict, layers: set[str]) -> list[dict]:
    """Planted errors (of these layers) that ruven's report misses."""
    got = {(f["resource"], f["line"], f["field"], f["code"]) for f in report.get("findings", [])}
    return [p for p in planted if p["layer"] in layers and not p.get("upstream_only") and (p["resource"], p["line"], p["field"], p["code"]) not in got]


def found_by_frictionless(planted: list[dict], report: dict) -> list[dict]:
    got = set()
    for task in report.get("tasks", []):
        for e in task.get("errors", []):
            field = e.get("fieldName", "") or ""
            if e["type"] == "primary-key":
                field = "id"
            if e["type"] == "foreign-key":
                field = (e.get("fieldNames") or [field])[0]
            got.add((task["name"], e.get("rowNumber"), field, e["type"]))
    return [p for p in planted if p["layer"] == "frictionless" and (p["resource"], p["line"], p["field"], p["code"]) not in got]


def run_size(rows: int, workdir: Path, frictionless: bool) -> None:
    pkg = workdir / f"synthetic-{rows}"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(HERE / "make_synthetic.py"), "--rows", str(rows), "--out", str(pkg)], check=True, stdout=subprocess.DEVNULL)
    planted = json.loads((pkg / "planted.json").read_text())
    mb = sum(p.stat().st_size for p in (pkg / "data").glob("*.csv")) / 1e6
    print(f"\n== {rows:,} rows per fact table ({mb:.0f} MB of CSV, {len(planted)} planted errors; generated in {time.perf_counter() - t0:.1f} s)")
    print(f"{'command':58} {'wall s':>8} {'peak MB':>8}  planted errors missed")
    ruven = [str(BIN / "ruven"), "validate", "--package", str(pkg), "--format", "json", "--today", TODAY]
    runs = [
        ("ruven validate --layer frictionless", ["--layer", "frictionless"], {"frictionless"}),
        ("ruven validate --layer pandera", ["--layer", "pandera"], {"pandera"}),
        ("ruven validate --layer frictionless --layer pandera", ["--layer", "frictionless", "--layer", "pandera"], {"frictionless", "pandera"}),
        ("ruven validate --layer expectations", ["--layer", "expectations"], {"expectations"}),
        ("ruven validate (all three layers)", [], {"frictionless", "pandera", "expectations"}),
    ]
    results = {}
    for label, extra, layers in runs:
        seconds, peak, out = measure(ruven + extra, pkg)
        report = json.loads(out) if out.strip() else {}
        missed = found_by_ruven(planted, report, layers)
        results[label] = seconds
        inner = report.get("summary", {}).get("seconds", {})
        detail = ", ".join(f"{k} {v:.2f}s" for k, v in inner.items())
        print(f"{label:58} {seconds:8.2f} {peak:8.0f}  {len(missed)} of {sum(p['layer'] in layers and not p.get('upstream_only') for p in planted)}  [{detail}]")
        for p in missed:
            print(f"    missed: {p}")
    if frictionless:
        seconds, peak, out = measure([str(BIN / "frictionless"), "validate", "--json", "datapackage.json"], pkg)
        missed = found_by_frictionless(planted, json.loads(out))
        print(f"{'frictionless validate (upstream, layer-1 checks only)':58} {seconds:8.2f} {peak:8.0f}  {len(missed)} of {sum(p['layer'] == 'frictionless' for p in planted)}")
        for p in missed:
            print(f"    missed: {p}")
        both = results["ruven validate --layer frictionless --layer pandera"]
        ge = results["ruven validate --layer expectations"]
        print(f"speed-up of ruven layers 1+2 over frictionless: {seconds / both:.1f}x; GE layer vs frictionless: {ge / seconds:.2f} of its time")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "ruven-bench")
    ap.add_argument("--no-frictionless", action="store_true", help="skip the upstream frictionless run (slow at 1M rows)")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    t = [measure([str(BIN / "ruven"), "--help"], HERE)[0] for _ in range(3)]
    print(f"ruven --help: {min(t) * 1000:.0f} ms (best of 3)")
    for rows in args.sizes:
        run_size(rows, args.workdir, not args.no_frictionless)


if __name__ == "__main__":
    main()
