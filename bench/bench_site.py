"""Build time of the static site (`ruven site`) for the real package (prints figures).

    .venv/bin/python bench/bench_site.py              # 3 in-process builds, no validation, plus one CLI run
    .venv/bin/python bench/bench_site.py --runs 5 --no-cli

Measured: `build_site` in-process (per stage: load the typed connection and model, files =
CSV copies + workbook + charts + codebook, pages), without validation (its cost is
`ruven validate`'s, measured by bench_validate.py), and one cold `ruven site` process (start,
imports, validation, build), as a user runs it. Pages and bytes written are printed too.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUVEN = Path(sys.executable).parent / "ruven"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-cli", action="store_true", help="skip the cold `ruven site` process")
    args = ap.parse_args()

    from ruven.package import DataPackage
    from ruven.site import build_site

    pkg = DataPackage.load(REPO)
    times = []
    with tempfile.TemporaryDirectory(prefix="ruven-bench-site-") as tmp:
        out = Path(tmp) / "site"
        for i in range(args.runs):
            t0 = time.perf_counter()
            result = build_site(pkg, out, release_dir=None, validate=False)
            times.append(time.perf_counter() - t0)
            stages = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items())
            print(f"run {i + 1}: {times[-1]:.2f} s ({stages})")
        files = [p for p in out.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        rows = sum(result.rows.values())
        print(f"site of {pkg.name} {pkg.version}: {result.pages} pages ({rows} row pages), {len(files)} files, {size / 1e6:.1f} MB")
        print(f"in-process build (no validation): median {statistics.median(times):.2f} s, best {min(times):.2f} s over {args.runs} runs")
        if not args.no_cli:
            t0 = time.perf_counter()
            proc = subprocess.run([str(RUVEN), "site", "--package", str(REPO), "--out", str(Path(tmp) / "cli"), "--release", str(Path(tmp) / "none")], capture_output=True, text=True)
            wall = time.perf_counter() - t0
            if proc.returncode != 0:
                sys.exit(f"ruven site failed ({proc.returncode}): {proc.stderr}")
            print(f"cold `ruven site` process (validation included): {wall:.2f} s")


if __name__ == "__main__":
    main()
