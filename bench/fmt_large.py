"""How long `ruven fmt --check` and `ruven fmt` take on a 1M-row sources.csv (prints figures).

Run: .venv/bin/python bench/fmt_large.py [ROWS]
"""

from __future__ import annotations

import csv
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(n: int) -> None:
    from ruven.canonical import format_package

    with tempfile.TemporaryDirectory() as tmp:
        pkg = Path(tmp) / "pkg"
        shutil.copytree(REPO / "tests" / "fixtures" / "mini", pkg)
        shutil.copytree(REPO / "schemas", pkg / "schemas")
        path = pkg / "data" / "sources.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["id", "url", "title", "publisher", "published", "language", "kind", "accessed", "archived_url", "notes"])
            for i in range(n, 0, -1):  # reversed: fmt must sort
                w.writerow([f"SRC-{i:07d}", f"https://example.org/{i}", f"Title, with comma {i}", "Example", "2019-03", "en", "newspaper", "2026-11-25", "", ""])
        size = path.stat().st_size / 1e6
        for label, write in (("fmt --check (unsorted)", False), ("fmt (sort + write)", True), ("fmt --check (canonical)", False)):
            t0 = time.perf_counter()
            report = format_package(pkg, write=write)
            dt = time.perf_counter() - t0
            print(f"{label:28s} {n:>9,d} rows {size:7.1f} MB  {dt:6.2f} s  changes={len(report.changes)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
