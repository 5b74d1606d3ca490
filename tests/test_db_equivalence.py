"""One typed connection, every output: `ruven query`, `ruven serve`'s SQLite, the release
`.duckdb`, the Parquet files and the workbook hold the same rows, titles and values for every
table and view (on the mini fixture and on the real package)."""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from conftest import REPO, copy_package, copy_repo_package, run_cli
from ruven.db import all_table, views
from ruven.package import DataPackage


def norm(value: Any) -> Any:
    """One plain form for a cell of any output: dates as ISO text, lists `;`-joined, booleans as
    0/1 (SQLite has no booleans), numbers as floats (a spreadsheet has no integers), no NaN."""
    if isinstance(value, list | tuple):
        return ";".join("" if v is None else str(norm(v)) for v in value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    return value


def normalised(columns: list[str], rows: list[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    out = [tuple(norm(v) for v in r) for r in rows]
    return columns, sorted(out, key=lambda r: [(v is None, str(v)) for v in r])


def from_duckdb(con: duckdb.DuckDBPyConnection, source: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = con.execute(f'SELECT * FROM "{source}"')
    return normalised([d[0] for d in cur.description], cur.fetchall())


def from_query_cli(pkg: Path, source: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    code, out, err = run_cli("query", f'SELECT * FROM "{source}"', "--package", str(pkg), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    names = [c["name"] for c in doc["columns"]]
    return normalised(names, [tuple(r[n] for n in names) for r in doc["rows"]])


def from_sqlite(con: sqlite3.Connection, name: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = con.execute(f'SELECT * FROM "{name}"')
    return normalised([d[0] for d in cur.description], cur.fetchall())


def from_xlsx(path: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    wb = load_workbook(path, read_only=True)
    out = {}
    for ws in wb.worksheets:
        if ws.title in ("About", "Columns"):
            continue
        rows = list(ws.iter_rows(values_only=True))
        width = len(rows[0])
        # read-only openpyxl leaves out a row's trailing empty cells: pad them back as empty
        out[ws.title] = normalised([str(c) for c in rows[0]], [tuple(r) + (None,) * (width - len(r)) for r in rows[1:]])
    wb.close()
    return out


def check_every_output(pkg_dir: Path, tmp: Path) -> dict[str, int]:
    """Build every output of the package and compare each relation with `ruven query`'s."""
    pkg = DataPackage.load(pkg_dir)
    code, out, err = run_cli("serve", "--package", str(pkg_dir), "--build-only", str(tmp / "site"), "--format", "json")
    assert code == 0, err
    code, out, err = run_cli("build", "--package", str(pkg_dir), "--out", str(tmp / "dist"), "--skip", "zip", "--skip", "chart", "--format", "json")
    assert code == 0, err
    built = json.loads(out)
    stem = f"{built['name']}-{built['version']}"
    lite = sqlite3.connect(tmp / "site" / "ruven.db")
    release = duckdb.connect(str(tmp / "dist" / f"{stem}.duckdb"), read_only=True)
    sheets = from_xlsx(tmp / "dist" / f"{stem}.xlsx")
    view_names = [v.name for v in views(pkg)]
    assert {"timeline", "fact_rows", "citations"} <= set(view_names)
    seen: dict[str, int] = {}
    for res in pkg:
        want = from_query_cli(pkg_dir, all_table(res))  # every row, as the CSV holds them
        assert want[1], f"{res.name} is empty: the comparison would prove nothing"
        assert from_sqlite(lite, res.name) == want, f"serve's SQLite differs: {res.name}"
        assert from_duckdb(release, all_table(res)) == want, f"the release .duckdb differs: {res.name}"
        table = pq.read_table(tmp / "dist" / "parquet" / f"{res.name}.parquet")
        assert normalised(table.column_names, [tuple(r.values()) for r in table.to_pylist()]) == want, f"Parquet differs: {res.name}"
        assert sheets[res.name] == want, f"the workbook differs: {res.name}"
        seen[res.name] = len(want[1])
    for name in view_names:
        want = from_query_cli(pkg_dir, name)
        assert from_sqlite(lite, name) == want, f"serve's SQLite differs: view {name}"
        assert from_duckdb(release, name) == want, f"the release .duckdb differs: view {name}"
        seen[name] = len(want[1])
    # the timeline in the same order everywhere, titles included
    ordered = "SELECT id, title FROM timeline"
    assert lite.execute(ordered).fetchall() == release.execute(ordered).fetchall()
    assert seen["timeline"] > 0 and seen["fact_rows"] >= seen["timeline"]
    lite.close()
    release.close()
    return seen


def test_every_output_holds_the_same_rows_on_the_mini_fixture(tmp_path: Path) -> None:
    seen = check_every_output(copy_package(tmp_path), tmp_path)
    assert seen["timeline"] == 5


@pytest.mark.slow
def test_every_output_holds_the_same_rows_on_the_real_package(tmp_path: Path) -> None:
    seen = check_every_output(copy_repo_package(tmp_path), tmp_path)
    pkg = DataPackage.load(REPO)
    assert seen["fact_rows"] == sum(1 for r in pkg.fact_tables for row in r.read_rows() if not row["withdrawn"])


def test_a_difference_is_caught(tmp_path: Path) -> None:
    """The comparison can fail: a title changed in serve's SQLite after the build is found."""
    pkg_dir = copy_package(tmp_path)
    code, _, err = run_cli("serve", "--package", str(pkg_dir), "--build-only", str(tmp_path / "site"), "--format", "json")
    assert code == 0, err
    lite = sqlite3.connect(tmp_path / "site" / "ruven.db")
    want = from_query_cli(pkg_dir, "timeline")
    assert from_sqlite(lite, "timeline") == want
    lite.execute("UPDATE timeline SET title = 'other' WHERE id = 'ARM-0001'")
    assert from_sqlite(lite, "timeline") != want
    lite.close()
