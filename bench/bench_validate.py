"""Benchmark `ruven validate` against upstream `frictionless validate`, in one run, and print the table.

    python bench/bench_validate.py                          # real package, 100k, 1M, incremental, watch, --help
    python bench/bench_validate.py --sizes 10000            # a quick run
    python bench/bench_validate.py --ten-million            # also 10M rows in one fact table (layers 1+2)
    python bench/bench_validate.py --no-frictionless        # skip the upstream runs (slow at 1M rows)

Every command runs in its own process with the cache off (``RUVEN_CACHE=off``): the figures are
cold runs. Wall time is the best of ``--repeat`` runs of each ruven command of the real package
and of each synthetic size (a shared machine is noisy; the best run is the one least
disturbed: a run of five seconds can fall whole into a slow spell, which a run of minutes,
such as frictionless' at 1M rows, averages out), one run of frictionless at 100k rows and
more, and one run at 10M rows; peak RSS is the child's maximum resident set (``os.wait4``),
the highest of the runs. The synthetic packages come from
``bench/make_synthetic.py`` with planted errors of every class (``planted.json``); each run
reports how many of them it found.

Sections: the import floors (what Python takes to import the libraries, measured in the same
run), the real package, each synthetic size, 10M rows in one table, the per-table cache after
an edit, ``ruven validate --watch`` after an edit, and ``ruven --help`` against ``import click``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
TODAY = dt.date.today().isoformat()  # the real package is dated up to today; the planted future date is 2030
ENV = dict(os.environ, GX_ANALYTICS_ENABLED="False", RUVEN_CACHE="off")


def measure(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(seconds, peak MB, stdout) of one command run in a child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env or ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace")
        if code not in (0, 1):
            sys.stderr.write(f"{' '.join(cmd)} exited {code}\n" + err.read().decode("utf-8", "replace")[-2000:])
    return seconds, usage.ru_maxrss / 1024, text


def best(cmd: list[str], cwd: Path, repeat: int) -> tuple[float, float, str]:
    runs = [measure(cmd, cwd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


def ruven(pkg: Path, *extra: str) -> list[str]:
    return [str(BIN / "ruven"), "validate", "--package", str(pkg), "--format", "json", "--today", TODAY, *extra]


LAYERS_12 = ("--layer", "frictionless", "--layer", "pandera")


def frictionless(pkg: Path) -> list[str]:  # run in the package's folder
    return [str(BIN / "frictionless"), "validate", "--json", "datapackage.json"]


def missed_by_ruven(planted: list[dict], out: str, layers: set[str]) -> tuple[int, int]:
    report = json.loads(out) if out.strip() else {}
    got = {(f["resource"], f["line"], f["field"], f["code"]) for f in report.get("findings", [])}
    mine = [p for p in planted if p["layer"] in layers and not p.get("upstream_only")]
    return sum((p["resource"], p["line"], p["field"], p["code"]) in got for p in mine), len(mine)


def missed_by_frictionless(planted: list[dict], out: str) -> tuple[int, int]:
    got = set()
    for task in json.loads(out).get("tasks", []):
        for e in task.get("errors", []):
            field = e.get("fieldName", "") or ""
            if e["type"] == "primary-key":
                field = "id"
            if e["type"] == "foreign-key":
                field = (e.get("fieldNames") or [field])[0]
            got.add((task["name"], e.get("rowNumber"), field, e["type"]))
    mine = [p for p in planted if p["layer"] == "frictionless"]
    return sum((p["resource"], p["line"], p["field"], p["code"]) in got for p in mine), len(mine)


class Table:
    """The printed table: one line per run."""

    def __init__(self) -> None:
        print(f"{'work':44} {'command':30} {'wall s':>8} {'peak MB':>8}  {'vs frictionless':>16}  planted found")

    def row(self, work: str, command: str, seconds: float, peak: float, ratio: str = "", found: str = "") -> None:
        print(f"{work:44} {command:30} {seconds:8.2f} {peak:8.0f}  {ratio:>16}  {found}")


def ratio(theirs: float | None, ours: float) -> str:
    if not theirs:
        return ""
    return f"{theirs / ours:.1f}x faster" if ours <= theirs else f"{ours / theirs:.1f}x slower"


def floors(repeat: int) -> tuple[float, float]:
    py = str(BIN / "python")
    ge, _, _ = best([py, "-c", "import great_expectations, pandera.polars, frictionless"], HERE, repeat)
    p12, _, _ = best([py, "-c", "import pandera.polars, frictionless"], HERE, repeat)
    print(f"import floor: great_expectations + pandera.polars + frictionless {ge:.2f} s; pandera.polars + frictionless {p12:.2f} s (best of {repeat})")
    return ge, p12


def real_package(tab: Table, repeat: int, floor_all: float, floor_12: float, upstream: bool) -> float | None:
    pkg = REPO
    fr = best(frictionless(pkg), pkg, repeat) if upstream else None
    s_all, m_all, out = best(ruven(pkg), pkg, repeat)
    s_12, m_12, _ = best(ruven(pkg, *LAYERS_12), pkg, repeat)
    rows = sum(json.loads(out)["summary"]["rows"].values()) if out.strip() else 0
    work = f"real package (~{rows:,} rows), cold"
    tab.row(work, "all three layers", s_all, m_all, ratio(fr[0] if fr else None, s_all), f"({s_all - floor_all:+.2f} s against its import floor)")
    tab.row(work, "layers 1+2", s_12, m_12, ratio(fr[0] if fr else None, s_12), f"({s_12 - floor_12:+.2f} s against its import floor)")
    if fr:
        tab.row(work, "frictionless validate", fr[0], fr[1])
    return fr[0] if fr else None


def synthetic(rows: int, workdir: Path) -> tuple[Path, list[dict]]:
    pkg = workdir / f"synthetic-{rows}"
    if not (pkg / "planted.json").exists():
        subprocess.run([sys.executable, str(HERE / "make_synthetic.py"), "--rows", str(rows), "--out", str(pkg)], check=True, stdout=subprocess.DEVNULL)
    return pkg, json.loads((pkg / "planted.json").read_text())


def size(tab: Table, rows: int, workdir: Path, upstream: bool, repeat: int) -> None:
    pkg, planted = synthetic(rows, workdir)
    mb = sum(p.stat().st_size for p in (pkg / "data").glob("*.csv")) / 1e6
    work = f"{rows:,} rows per fact table ({mb:.0f} MB)"
    fr = measure(frictionless(pkg), pkg) if upstream else None
    runs = repeat  # ruven's runs of a few seconds: the best of --repeat (frictionless' of minutes: one)
    for label, extra, layers in (("all three layers", (), {"frictionless", "pandera", "expectations"}), ("layers 1+2", LAYERS_12, {"frictionless", "pandera"})):
        s, m, out = best(ruven(pkg, *extra), pkg, runs)
        found, of = missed_by_ruven(planted, out, layers)
        tab.row(work, label, s, m, ratio(fr[0] if fr else None, s), f"{found} of {of}")
    if fr:
        found, of = missed_by_frictionless(planted, fr[2])
        tab.row(work, "frictionless validate", fr[0], fr[1], "", f"{found} of {of}")


def ten_million(tab: Table, workdir: Path) -> None:
    """10M rows in the deployments table (the 10k package's rows repeated under new ids, which
    keep the id pattern: each copy repeats the 10k rows' planted errors, about 8,000 findings in
    all, as a big table with a few bad rows would have)."""
    import polars as pl

    small, _ = synthetic(10_000, workdir)
    pkg = workdir / "synthetic-10m-deployments-v2"  # v1 broke the id pattern on 9,990,000 rows
    dest = pkg / "data" / "deployments.csv"
    if not dest.exists():
        shutil.copytree(small, pkg, dirs_exist_ok=True)
        base = pl.read_csv(small / "data" / "deployments.csv", infer_schema=False)
        n = base.height
        with dest.open("wb") as fh:
            for k in range(10_000_000 // n):
                part = base if k == 0 else base.with_columns(("DEP-" + (pl.int_range(0, n) + k * n + 1).cast(pl.String).str.zfill(8)).alias("id"))
                buf = io.BytesIO()
                part.write_csv(buf, include_header=k == 0)
                fh.write(buf.getvalue())
    mb = dest.stat().st_size / 1e6
    # a 2.2 GB file is over the default cap on any one file the package names (1 GiB): raise it
    s, m, out = measure(ruven(pkg, *LAYERS_12), pkg, dict(ENV, RUVEN_MAX_FILE_BYTES=str(dest.stat().st_size + 1)))
    if not out.strip():  # killed (the kernel's out-of-memory killer) or crashed: say so
        tab.row(f"10,000,000 rows in deployments ({mb:.0f} MB)", "layers 1+2", s, m, "", "DID NOT FINISH (no report)")
        return
    summary = json.loads(out)["summary"]
    n_rows = summary["rows"]["deployments"]
    tab.row(f"{n_rows:,} rows in deployments ({mb:.0f} MB)", "layers 1+2", s, m, "", f"{summary['errors']:,} errors, {summary['warnings']:,} warnings")


def _copy_real(dest: Path) -> Path:
    for name in ("datapackage.json", "data", "schemas", "validation"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    return dest


def _edit_one_row(pkg: Path, table: str = "deployments", n: int = 0) -> None:
    path = pkg / "data" / f"{table}.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    i = rows[0].index("notes")
    rows[1][i] = f"Edited for the benchmark ({n})."
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def incremental(tab: Table, workdir: Path, frictionless_real: float | None) -> None:
    pkg = _copy_real(Path(tempfile.mkdtemp(dir=workdir)))
    env = dict(ENV, RUVEN_CACHE="on", RUVEN_CACHE_DIR=str(pkg / ".cache"))
    measure(ruven(pkg), pkg, env)  # fills the cache
    _edit_one_row(pkg)
    s, m, out = measure(ruven(pkg), pkg, env)
    reused = json.loads(out)["summary"]["reused"] if out.strip() else {}
    n = len(reused.get("pandera", []))
    tab.row("real package, one row edited, cache on", "all three layers", s, m, ratio(frictionless_real, s), f"{n} of 7 tables from the cache")
    s, m, _ = measure(ruven(pkg), pkg, env)
    tab.row("real package, unchanged, cache on", "all three layers", s, m, ratio(frictionless_real, s))


def watch(tab: Table, workdir: Path, frictionless_real: float | None, edits: int = 5) -> None:
    """Seconds from writing an edit to the new report of `ruven validate --watch`."""
    pkg = _copy_real(Path(tempfile.mkdtemp(dir=workdir)))
    env = dict(ENV, RUVEN_CACHE="on", RUVEN_CACHE_DIR=str(pkg / ".cache"))
    # (Ctrl-C's default action restored in the child: a bench started in the background, e.g.
    # under nohup, has SIGINT ignored, and its children would inherit that)
    proc = subprocess.Popen(ruven(pkg, "--watch"), cwd=pkg, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler))
    lines: list[tuple[float, str]] = []
    ready = threading.Condition()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with ready:
                lines.append((time.perf_counter(), line))
                ready.notify_all()

    threading.Thread(target=read, daemon=True).start()
    latencies = []
    try:
        for n in range(edits + 1):
            with ready:
                ready.wait_for(lambda n=n: len(lines) > n, 120)
            if n == edits:
                break
            time.sleep(0.3)
            t0 = time.perf_counter()
            _edit_one_row(pkg, n=n + 1)
            with ready:
                ready.wait_for(lambda n=n: len(lines) > n + 1, 60)
            latencies.append(lines[n + 1][0] - t0)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    latencies.sort()
    med = latencies[len(latencies) // 2] if latencies else float("nan")
    tab.row("real package, --watch, one row edited", "all three layers", med, 0, ratio(frictionless_real, med), f"edit to report, median of {len(latencies)}: " + ", ".join(f"{x:.2f}" for x in latencies))


def help_vs_click(repeat: int) -> None:
    h, _, _ = best([str(BIN / "ruven"), "--help"], HERE, repeat)
    c, _, _ = best([str(BIN / "python"), "-c", "import click"], HERE, repeat)
    print(f"ruven --help {h * 1000:.0f} ms; python -c 'import click' {c * 1000:.0f} ms: {h / c:.1f}x (best of {repeat})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000], help="rows per fact table of each synthetic package")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each real-package command (the best is kept)")
    ap.add_argument("--ten-million", action="store_true", help="also 10M rows in one fact table, layers 1+2")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "ruven-bench")
    ap.add_argument("--no-frictionless", action="store_true", help="skip the upstream frictionless runs")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    upstream = not args.no_frictionless
    help_vs_click(5)
    floor_all, floor_12 = floors(args.repeat)
    tab = Table()
    fr_real = real_package(tab, args.repeat, floor_all, floor_12, upstream)
    incremental(tab, args.workdir, fr_real)
    watch(tab, args.workdir, fr_real)
    for rows in args.sizes:
        size(tab, rows, args.workdir, upstream, args.repeat)
    if args.ten_million:
        ten_million(tab, args.workdir)


if __name__ == "__main__":
    main()
