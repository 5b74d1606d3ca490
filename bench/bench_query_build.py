"""Build and query at scale: the workbook (xlsx) writer and a cold `ruven query`, on synthetic packages.

    .venv/bin/python bench/bench_query_build.py                  # 250,000 and 1,000,000 rows per fact table
    .venv/bin/python bench/bench_query_build.py --sizes 20000    # a quick run
    .venv/bin/python bench/bench_query_build.py --package COPY --no-xlsx --repeat 2   # the queries on a package made before

For each size (rows in each of the five fact tables) it makes a package with
bench/make_synthetic.py, blanks the planted cells that are not of their column's type and drops
its ragged rows (`repair`: the typed connection refuses those, as it should; `ruven validate`
finds them first), then measures, each in a child process of its own (wall time and peak RSS
from os.wait4; three runs, min-max):

- DuckDB reads the CSVs alone: `CREATE TABLE ... AS SELECT * FROM read_csv(..., all_varchar)`
  for every CSV (Python start and `import duckdb` included): the floor for the next line;
- the detached writer of kept copies (`python -m ruven.db.kept`, :mod:`ruven.db.kept`) writing
  every table's copy, from an empty cache;
- cold `ruven query` processes (start, import, open the connection: a view per resource over
  its kept copy or its CSV, run, print), for a few research queries: a count of one table, an
  aggregate over one table's date bounds, a join of two tables, and (`--timeline`) a research
  view over every fact table. Each is timed with nothing kept (one run), as the first query
  after a change (one byte of deployments.csv changed before each run: deployments is read from
  its CSV, the other tables from their copies) and as a later cold query over the same bytes
  (every large table it reads from its copy). The bench waits for the background writers the
  queries start before it measures again;
- the workbook: `ruven.release.build(..., steps=[xlsx_step])` (load, then the xlsx only), its
  seconds, rows per second and peak RSS (one run);
- the openpyxl writer it replaced (`git show OLD:src/ruven/release/xlsx.py`, run the same way),
  at --baseline-rows rows per fact table only (it writes ~1,300 rows/s: an hour at 1M), and the
  ratio of the two writers' rows per second.

The machine's other load moves every figure: read ranges, not single numbers.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OLD_WRITER = "dd4015b"  # the last commit with the openpyxl writer (src/ruven/release/xlsx.py)

QUERIES = [
    ("count of one table", "SELECT count(*) FROM deployments"),
    (
        "one table's date bounds",
        "SELECT year(start_date_min) AS year, count(*), sum(personnel_best) FROM deployments WHERE count_in_totals GROUP BY ALL ORDER BY year",
    ),
    (
        "two tables joined",
        "SELECT a.kind, count(*), sum(p.value_usd_best) FROM arms_purchases p JOIN actors a ON a.id = p.supplier_id GROUP BY ALL ORDER BY 1",
    ),
]
TIMELINE = ("every fact table (timeline)", "SELECT table_name, count(*), min(date_min), max(date_max) FROM timeline GROUP BY ALL ORDER BY 1")

FLOOR = """
import sys, duckdb, glob, os
con = duckdb.connect()
for p in sorted(glob.glob(os.path.join(sys.argv[1], "data", "*.csv"))):
    name = os.path.basename(p)[:-4]
    con.execute(f"CREATE TABLE \\"{name}\\" AS SELECT * FROM read_csv('{p}', header = true, all_varchar = true)")
"""

XLSX = """
import json, sys, time
from pathlib import Path
from ruven.release import build
from ruven.release.build import xlsx_step
steps = [xlsx_step]
if len(sys.argv) > 3:  # the old writer, from a file
    import importlib.util
    spec = importlib.util.spec_from_file_location("old_xlsx", sys.argv[3])
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    def xlsx_step(ctx):  # the same name: the build times a step under its name
        dest = ctx.out / f"{ctx.stem}.xlsx"
        old.write_workbook(ctx, dest)
        ctx.add(dest, "xlsx", "old")
    steps = [xlsx_step]
result = build(Path(sys.argv[1]), Path(sys.argv[2]), steps=steps, validate=False)
print(json.dumps({"timings": result.timings, "bytes": result.artifact("xlsx").bytes}))
"""


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(seconds, peak RSS in MiB, stdout) of one command run in a child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(cmd[:4])} ... failed:\n{err.read().decode('utf-8', 'replace')[-2000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode("utf-8")


def spread(values: list[float], unit: str = "s") -> str:
    lo, hi = min(values), max(values)
    return f"{lo:.2f} {unit}" if len(values) == 1 or f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f}-{hi:.2f} {unit}"


def wait_for_writers(limit: float = 600) -> None:
    """Wait until no detached writer of kept copies (``python -m ruven.db.kept``) runs: the
    next measurement must not share the cores with one."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-f", "ruven[.]db[.]kept"], capture_output=True)
        if found.returncode != 0:
            return
        time.sleep(0.2)


def touch_a_byte(pkg: Path) -> None:
    """Change one byte of deployments.csv in place (the case of the first letter of a summary, one
    picked at random among the first MiB's), so the next query runs on bytes it has never seen:
    flipping the same letter back would restore bytes whose kept copies are still there."""
    import random
    import re

    path = pkg / "data" / "deployments.csv"
    with path.open("r+b") as fh:
        head = fh.read(1 << 20)
        spots = [m.start() - 1 for m in re.finditer(rb"ynthetic row", head)]
        at = random.SystemRandom().choice(spots)
        fh.seek(at)
        fh.write(b"s" if head[at : at + 1] == b"S" else b"S")


def make_package(rows: int, dest: Path) -> Path:
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "make_synthetic.py"), "--rows", str(rows), "--out", str(dest)],
        check=True,
        capture_output=True,
    )
    repair(dest)
    return dest


def repair(pkg: Path) -> None:
    """Undo what make_synthetic.py plants for the validators but a typed load cannot take: cells
    that are not of their column's type and ragged or blank rows. Every other planted problem stays."""
    from ruven.package import DataPackage

    planted = json.loads((pkg / "planted.json").read_text(encoding="utf-8"))
    fixes: dict[str, dict[int, set[str]]] = {}
    for e in planted:
        if e["code"] == "type-error" and e["line"] and e["field"]:
            fixes.setdefault(e["resource"], {}).setdefault(e["line"], set()).add(e["field"])
    for res in DataPackage.load(pkg):
        todo = fixes.get(res.name, {})
        tmp = res.path.with_suffix(".tmp")
        with res.path.open(encoding="utf-8", newline="") as src, tmp.open("w", encoding="utf-8", newline="") as dst:
            reader = csv.reader(src)
            writer = csv.writer(dst, lineterminator="\n")
            header = next(reader)
            writer.writerow(header)
            for line, row in enumerate(reader, start=2):
                if len(row) != len(header):
                    continue  # ragged or blank
                for name in todo.get(line, ()):
                    row[header.index(name)] = ""
                writer.writerow(row)
        os.replace(tmp, res.path)


def largest_table(pkg: Path) -> int:
    """Rows in the largest fact table of ``pkg``."""
    from ruven.package import DataPackage

    return max(r.row_count() for r in DataPackage.load(pkg).fact_tables)


def rows_of(pkg: Path) -> tuple[int, float]:
    """Rows in every CSV of ``pkg`` together, and their size in MB."""
    from ruven.package import DataPackage

    p = DataPackage.load(pkg)
    return sum(r.row_count() for r in p), sum(r.path.stat().st_size for r in p) / 1e6


def xlsx_run(pkg: Path, out: Path, old: Path | None = None) -> tuple[float, float, float, int]:
    """(xlsx seconds, load seconds, peak RSS MiB, bytes) of a build of the workbook alone."""
    cmd = [sys.executable, "-c", XLSX, str(pkg), str(out)] + ([str(old)] if old else [])
    _, rss, stdout = measure(cmd)
    doc = json.loads(stdout.strip().splitlines()[-1])
    return doc["timings"]["xlsx"], doc["timings"]["load"], rss, doc["bytes"]


def old_writer(dest: Path) -> Path | None:
    try:
        text = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{OLD_WRITER}:src/ruven/release/xlsx.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    dest.write_text(text, encoding="utf-8")
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Example: .venv/bin/python bench/bench_query_build.py --sizes 250000 1000000",
    )
    ap.add_argument(
        "--sizes", type=int, nargs="+", default=[250_000, 1_000_000], help="rows per fact table, one package each"
    )
    ap.add_argument(
        "--baseline-rows",
        type=int,
        default=5_000,
        help="rows per fact table for the old openpyxl writer (0: skip it)",
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs of each timed process (default 3)")
    ap.add_argument("--timeline", action="store_true", help="also time a query of the timeline view (every fact table)")
    ap.add_argument("--no-xlsx", action="store_true", help="skip the workbook (the query figures alone)")
    ap.add_argument(
        "--package",
        type=Path,
        default=None,
        help="measure this package (already repaired) instead of making one per size; the query runs change one byte of its deployments.csv, so pass a copy",
    )
    args = ap.parse_args()
    ruven = str(BIN / "ruven")
    query_rows = []
    build_rows = []
    with tempfile.TemporaryDirectory(prefix="ruven-bench-") as tmp:
        work = Path(tmp)
        old_rate = None
        if args.baseline_rows and not args.no_xlsx:
            old = old_writer(work / "old_xlsx.py")
            if old is None:
                print(f"(no git history: the openpyxl writer of {OLD_WRITER} is not measured)")
            else:
                pkg = make_package(args.baseline_rows, work / f"base-{args.baseline_rows}")
                rows, _ = rows_of(pkg)
                secs, _, rss, size = xlsx_run(pkg, work / "dist-old", old)
                old_rate = rows / secs
                build_rows.append(
                    (f"{args.baseline_rows:,}", f"{rows:,}", "openpyxl (old)", f"{secs:.1f} s", f"{old_rate:,.0f}", f"{rss:.0f} MiB", f"{size / 1e6:.1f} MB", "1.0x")
                )
        for n in [0] if args.package else args.sizes:
            pkg = args.package.resolve() if args.package else make_package(n, work / f"syn-{n}")
            n = n or largest_table(pkg)
            rows, mb = rows_of(pkg)
            floor = [measure([sys.executable, "-c", FLOOR, str(pkg)])[0] for _ in range(args.repeat)]
            query_rows.append((f"{n:,}", f"{rows:,}", f"{mb:.0f} MB", "DuckDB reads every CSV into tables", spread(floor), "", "", "", ""))
            cache = work / "cache"
            env = dict(os.environ, RUVEN_CACHE_DIR=str(cache))
            shutil.rmtree(cache, ignore_errors=True)
            names = [p.stem for p in sorted((pkg / "data").glob("*.csv"))]
            keeper = measure([sys.executable, "-m", "ruven.db.kept", str(pkg / "datapackage.json"), *names], env)
            query_rows.append(("", "", "", "writing the kept copy of every table", f"{keeper[0]:.2f} s", "(in the background)", f"{keeper[1]:.0f} MiB", "", ""))
            for label, sql in QUERIES + ([TIMELINE] if args.timeline else []):
                q = [ruven, "query", "-p", str(pkg), "--format", "csv", sql]
                shutil.rmtree(cache, ignore_errors=True)
                fresh = measure(q, env)  # nothing kept: every CSV it reads is parsed
                wait_for_writers()
                first = []
                for _ in range(args.repeat):
                    touch_a_byte(pkg)  # the first query after a change: deployments is read from its CSV
                    first.append(measure(q, env))
                    wait_for_writers()
                later = [measure(q, env) for _ in range(args.repeat)]  # same bytes, a new process
                if {c[2] for c in [fresh, *first]} != {c[2] for c in later}:
                    raise SystemExit(f"{label}: the answers differ between runs")
                query_rows.append(
                    ("", "", "", label, f"{fresh[0]:.2f} s", spread([c[0] for c in first]), f"{max(c[1] for c in first):.0f} MiB", spread([c[0] for c in later]), f"{max(c[1] for c in later):.0f} MiB")
                )
            if args.no_xlsx:
                continue
            secs, load, rss, size = xlsx_run(pkg, work / f"dist-{n}")
            rate = rows / secs
            ratio = f"{rate / old_rate:.1f}x" if old_rate else "-"
            build_rows.append((f"{n:,}", f"{rows:,}", "XlsxWriter + DuckDB", f"{secs:.1f} s", f"{rate:,.0f}", f"{rss:.0f} MiB", f"{size / 1e6:.1f} MB", ratio))
    print()
    table(
        "Cold `ruven query` processes (start, import, open the connection, run, print): with nothing kept, the first after a change of one byte of deployments.csv (the other tables kept), and later over the same bytes (every table it reads kept), against DuckDB reading every CSV into tables",
        ("rows/table", "rows", "CSV", "query", "nothing kept", "first after a change", "peak RSS", "later cold", "peak RSS"),
        query_rows,
    )
    if args.no_xlsx:
        return
    print()
    table(
        "The workbook (xlsx step alone, after the load; peak RSS of the whole build process)",
        ("rows/table", "rows", "writer", "xlsx", "rows/s", "peak RSS", "file", "vs openpyxl"),
        build_rows,
    )


def table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    print(title)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.rjust(w) if c[:1].isdigit() else c.ljust(w) for c, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
