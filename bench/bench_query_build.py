"""Build time and query latency, on the real package and on a synthetic 1M-row package (prints figures).

    .venv/bin/python bench/bench_query_build.py                 # real package + 1M synthetic rows
    .venv/bin/python bench/bench_query_build.py --rows 200000   # a smaller synthetic package
    .venv/bin/python bench/bench_query_build.py --synthetic PATH  # a package made elsewhere (e.g. bench/make_synthetic.py)
    .venv/bin/python bench/bench_query_build.py --no-synthetic

Measured: `ruven build` (in-process, per stage), a cold `ruven query` process (start, import,
load the CSVs, run, print), a warm `ruven.connect()` (load once) followed by each README
question, and the built .duckdb opened read-only. The synthetic package repeats the real
fact rows under new ids (1 in 100 withdrawn) until the four fact tables hold ROWS rows
together; sources and actors are the real ones. If bench/make_synthetic.py exists it is
used instead (`make_synthetic.py --rows ROWS/4 --out DIR`: ROWS/4 rows per fact table), and
the cells it plants that are not of their column's type, and its ragged rows, are blanked or
dropped (see `repair`): the query layer refuses such a package, as it should.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUVEN = Path(sys.executable).parent / "ruven"


def readme_questions() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^## Query with SQL\n(.*?)(?=^## )", text, re.S | re.M)
    return re.findall(r"```sql\n(.+?)```", m.group(1), re.S) if m else ["SELECT count(*) FROM timeline"]


def make_synthetic(dest: Path, rows: int) -> Path:
    """A package whose fact tables hold ``rows`` rows together (see the module docstring)."""
    import duckdb

    from ruven.package import DataPackage

    maker = REPO / "bench" / "make_synthetic.py"
    if maker.exists():
        per_table = rows // 4
        subprocess.run([sys.executable, str(maker), "--rows", str(per_table), "--out", str(dest)], check=True)
        repair(dest)
        return dest
    dest.mkdir(parents=True)
    shutil.copy(REPO / "datapackage.json", dest)
    shutil.copytree(REPO / "schemas", dest / "schemas")
    (dest / "data").mkdir()
    pkg = DataPackage.load(REPO)
    facts = [r for r in pkg.fact_tables if r.row_count() > 0]
    con = duckdb.connect()
    for res in pkg:
        if res not in facts:
            shutil.copy(res.path, dest / res.relpath)
            continue
        n = rows // len(facts)
        src = f"read_csv('{res.path}', header = true, all_varchar = true)"
        cols = []
        for f in res.fields:
            q = f'"{f.name}"'
            if f.name == "id":
                cols.append("split_part(id, '-', 1) || '-' || lpad(CAST(i + 1 AS VARCHAR), 7, '0') AS id")
            elif f.name == "withdrawn":
                cols.append(f"CASE WHEN i % 100 = 99 THEN 'Synthetic withdrawal.' ELSE {q} END AS {q}")
            elif f.name == "financing_id":
                cols.append(f"regexp_replace({q}, '-0*([0-9]+)$', '-000\\1') AS {q}")
            else:
                cols.append(q)
        con.execute(
            f"COPY (SELECT {', '.join(cols)} FROM (SELECT *, row_number() OVER () - 1 AS k FROM {src}) s "
            f"JOIN range({n}) r(i) ON s.k = i % (SELECT count(*) FROM {src}) ORDER BY i) "
            f"TO '{dest / res.relpath}' (HEADER, DELIMITER ',')"
        )
    con.close()
    return dest


def repair(pkg: Path) -> None:
    """Undo what make_synthetic.py plants for the validators but a typed load cannot take: cells
    that are not of their column's type (the query layer refuses them: `ruven validate` finds
    them first) and ragged or blank rows. Every other planted problem stays."""
    from ruven.package import DataPackage

    planted = json.loads((pkg / "planted.json").read_text(encoding="utf-8"))
    p = DataPackage.load(pkg)
    fixes: dict[str, dict[int, set[str]]] = {}
    for e in planted:
        if e["code"] == "type-error" and e["line"] and e["field"]:
            fixes.setdefault(e["resource"], {}).setdefault(e["line"], set()).add(e["field"])
    for res in p:
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


def cold_query(pkg: Path, sql: str, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([str(RUVEN), "query", "-p", str(pkg), "--format", "csv", sql], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def timed(fn, repeat: int = 5) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench(label: str, pkg: Path, out: Path) -> None:
    import duckdb

    import ruven
    from ruven.package import DataPackage
    from ruven.release import build

    p = DataPackage.load(pkg)
    total = sum(r.row_count() for r in p)
    size = sum(r.path.stat().st_size for r in p) / 1e6
    print(f"\n== {label}: {total:,} rows in {len(p.resources)} CSVs ({size:.1f} MB)")

    result = build(pkg, out)
    stages = ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items())
    print(f"ruven build                      {result.seconds:8.2f} s   ({stages})")
    for a in result.artifacts:
        print(f"  {a.relpath:34s} {a.bytes / 1e6:9.2f} MB  reproducible={'yes' if a.reproducible else 'no'}")

    questions = readme_questions()
    print(
        f"cold `ruven query` process       {cold_query(pkg, 'SELECT count(*) FROM timeline'):8.2f} s   (SELECT count(*) FROM timeline)"
    )
    print(
        f"cold `ruven query` process       {cold_query(pkg, questions[-1]):8.2f} s   (README question {len(questions)})"
    )

    t0 = time.perf_counter()
    con = ruven.connect(pkg)
    print(f"warm: ruven.connect()            {time.perf_counter() - t0:8.2f} s   (load once)")
    for i, sql in enumerate(questions, start=1):
        ms = timed(lambda sql=sql: con.execute(sql).fetchall()) * 1000
        print(f"warm: README question {i}          {ms:8.1f} ms")
    con.close()

    db = result.artifact("duckdb").path
    t0 = time.perf_counter()
    con = duckdb.connect(str(db), read_only=True)
    con.execute(questions[0]).fetchall()
    print(f".duckdb read-only open + Q1      {(time.perf_counter() - t0) * 1000:8.1f} ms")
    for i, sql in enumerate(questions, start=1):
        ms = timed(lambda sql=sql: con.execute(sql).fetchall()) * 1000
        print(f".duckdb README question {i}        {ms:8.1f} ms")
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="fact rows of the synthetic package")
    ap.add_argument("--synthetic", type=Path, default=None, help="use this package as the synthetic one")
    ap.add_argument("--no-synthetic", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench("real package", REPO, Path(tmp) / "dist-real")
        if not args.no_synthetic:
            if args.synthetic:
                pkg = args.synthetic
            else:
                t0 = time.perf_counter()
                pkg = make_synthetic(Path(tmp) / "synthetic", args.rows)
                print(f"\n(synthetic package made in {time.perf_counter() - t0:.1f} s)")
            bench(f"synthetic package ({args.rows:,} fact rows)", pkg, Path(tmp) / "dist-synthetic")
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (this process)")


if __name__ == "__main__":
    main()
