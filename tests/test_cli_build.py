"""`ruven build`: the real artifacts, read back with the libraries people will use."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import shutil
import zipfile
from pathlib import Path

import duckdb
import frictionless
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import REPO, copy_repo_package, read_csv, run_cli, set_cell
from ruven.package import DataPackage
from ruven.query import all_table
from test_cli_query import readme_queries

ARROW_TYPE = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "string": pa.string(),
}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Path]:
    """The real package, snapshotted (colleagues write data/ meanwhile), built once."""
    base = tmp_path_factory.mktemp("release")
    pkg = copy_repo_package(base)
    for extra in ("LICENSE", "LICENSE-DATA.md"):
        if (REPO / extra).exists():
            shutil.copy(REPO / extra, pkg / extra)
    out = base / "dist"
    code, stdout, err = run_cli("build", "-p", str(pkg), "--out", str(out), "--format", "json")
    assert code == 0, err
    return pkg, json.loads(stdout), out


def test_json_lists_every_artifact(release: tuple[Path, dict, Path]) -> None:
    pkg, doc, out = release
    p = DataPackage.load(pkg)
    assert doc["ok"] is True and doc["version"] == p.version
    stem = f"{p.name}-{p.version}"
    paths = {a["path"] for a in doc["artifacts"]}
    charts = {f"charts/{n}.{f}" for n in ("timeline", "arms_by_year") for f in ("png", "svg")} | {"charts/charts.json"}
    assert paths == {f"{stem}.duckdb", f"{stem}.xlsx", f"{stem}.zip", "SHA256SUMS"} | charts | {
        f"parquet/{r.name}.parquet" for r in p
    } | {f"stata/{r.name}.dta" for r in p}
    for a in doc["artifacts"]:
        assert (out / a["path"]).stat().st_size == a["bytes"]
    assert doc["rows"] == {r.name: len(read_csv(r.path)) for r in p}


def test_sha256sums(release: tuple[Path, dict, Path]) -> None:
    _, doc, out = release
    lines = (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(doc["artifacts"]) - 1
    for line in lines:
        digest, name = line.split("  ")
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


def test_duckdb_file_opens_read_only_without_the_csvs(release: tuple[Path, dict, Path], tmp_path: Path) -> None:
    pkg, _, out = release
    p = DataPackage.load(pkg)
    counts = {r.name: len(read_csv(r.path)) for r in p}
    moved = tmp_path / "elsewhere.duckdb"
    shutil.copy(out / f"{p.name}-{p.version}.duckdb", moved)
    with duckdb.connect(str(moved), read_only=True) as con:
        for r in p:
            assert con.execute(f"SELECT count(*) FROM {all_table(r)}").fetchall()[0][0] == counts[r.name]
        for sql in readme_queries():  # the README's questions
            con.execute(sql).fetchall()
        assert (
            con.execute(
                "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'timeline' AND comment IS NOT NULL"
            ).fetchall()[0][0]
            > 0
        )
        assert con.execute("SELECT value FROM package_info WHERE key = 'version'").fetchall() == [(p.version,)]
        sql = "SELECT count(*) FROM duckdb_tables() WHERE sql ILIKE '%read_csv%'"
        assert con.execute(sql).fetchall() == [(0,)]


def _expected(field_type: str, kind: str, value: str) -> object:
    if value == "":
        return None
    if kind == "id-list":
        return value.split(";")
    if field_type == "integer":
        return int(value)
    if field_type == "number":
        return float(value)
    if field_type == "boolean":
        return value == "true"
    if field_type == "date":
        return dt.date.fromisoformat(value)
    return value


def test_parquet_has_the_same_rows_and_types(release: tuple[Path, dict, Path]) -> None:
    pkg, _, out = release
    for r in DataPackage.load(pkg):
        table = pq.read_table(out / "parquet" / f"{r.name}.parquet")
        rows = read_csv(r.path)
        assert table.num_rows == len(rows)
        for f in r.fields:
            want_type = pa.list_(pa.string()) if f.is_id_list else ARROW_TYPE.get(f.type, pa.string())
            col = table.schema.field(f.name)
            assert col.type.equals(want_type, check_metadata=False) or (f.is_id_list and pa.types.is_list(col.type)), (
                r.name,
                f.name,
                col.type,
            )
            assert f.description in col.metadata[b"description"].decode()
            if f.is_partial_date:
                assert table.schema.field(f"{f.name}_min").type == pa.date32()
            got = table.column(f.name).to_pylist()
            assert got == [_expected(f.type, f.kind, row[f.name]) for row in rows], (r.name, f.name)


def test_xlsx_has_every_row(release: tuple[Path, dict, Path]) -> None:
    pkg, _, out = release
    p = DataPackage.load(pkg)
    wb = openpyxl.load_workbook(out / f"{p.name}-{p.version}.xlsx", read_only=True)
    assert wb.sheetnames[:2] == ["About", "Columns"]
    about = {row[0]: row[1] for row in wb["About"].iter_rows(values_only=True) if row and row[0]}
    assert about["Version"] == p.version and "CC-BY-4.0" in about["Licence"]
    assert p.title in about["How to cite"] and "Columns" in about["Where columns are documented"]
    for r in p:
        rows = list(wb[r.name].iter_rows(values_only=True))
        csv_rows = read_csv(r.path)
        derived = {f"{f.name}_{b}" for f in r.fields if f.is_partial_date for b in ("min", "max")}
        assert [n for n in rows[0] if n not in derived] == r.field_names
        assert len(rows) - 1 == len(csv_rows), r.name
        ids = [row[0] for row in rows[1:]]
        assert ids == [row["id"] for row in csv_rows]
    columns = list(wb["Columns"].iter_rows(values_only=True))[1:]
    assert {(t, c) for t, c, *_ in columns} >= {(r.name, f.name) for r in p for f in r.fields}
    wb.close()


def test_zip_validates_with_frictionless_after_unzipping(release: tuple[Path, dict, Path], tmp_path: Path) -> None:
    pkg, _, out = release
    p = DataPackage.load(pkg)
    with zipfile.ZipFile(out / f"{p.name}-{p.version}.zip") as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert {i.date_time for i in zf.infolist()} == {zf.infolist()[0].date_time}
        zf.extractall(tmp_path)
    root = tmp_path / f"{p.name}-{p.version}"
    assert {"datapackage.json", "README.md", "CHANGELOG.md", "LICENSE"} <= {x.name for x in root.iterdir()}
    desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    for res in desc["resources"]:
        data = (root / res["path"]).read_bytes()
        assert res["bytes"] == len(data)
        assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert (root / res["schema"]).exists()
    report = frictionless.validate(str(root / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


def test_zip_hash_is_checked(mini: Path, tmp_path: Path) -> None:
    """The hash in the zip's descriptor trips frictionless when a CSV is changed after release."""
    out = tmp_path / "dist"
    code, _, err = run_cli("build", "-p", str(mini), "--out", str(out))
    assert code == 0, err
    with zipfile.ZipFile(out / "ruven-mini-0.1.0.zip") as zf:
        zf.extractall(tmp_path / "x")
    root = tmp_path / "x" / "ruven-mini-0.1.0"
    set_cell(root / "data" / "deployments.csv", "DEP-0001", "notes", "Changed after release.")
    report = frictionless.validate(str(root / "datapackage.json"))
    codes = {e.type for t in report.tasks for e in t.errors}
    assert not report.valid and {"hash-count", "byte-count"} <= codes, codes


def test_build_twice_gives_the_same_bytes(release: tuple[Path, dict, Path], tmp_path: Path) -> None:
    pkg, first, out = release
    code, stdout, err = run_cli("build", "-p", str(pkg), "--out", str(tmp_path / "again"), "--format", "json")
    assert code == 0, err
    second = {a["path"]: a for a in json.loads(stdout)["artifacts"]}
    reproducible = [a for a in first["artifacts"] if a["reproducible"]]
    stem = f"ruven-{first['version']}"
    assert {a["path"] for a in reproducible} >= {f"{stem}.xlsx", f"{stem}.zip"} | {
        f"parquet/{r}.parquet" for r in first["rows"]
    } | {f"stata/{r}.dta" for r in first["rows"]}
    for a in reproducible:
        assert (out / a["path"]).read_bytes() == (tmp_path / "again" / a["path"]).read_bytes(), a["path"]
        assert second[a["path"]]["sha256"] == a["sha256"]
    not_reproducible = [a for a in first["artifacts"] if not a["reproducible"]]
    assert all(a["note"] for a in not_reproducible)


def test_xlsx_header_comments_frozen_filter_and_withdrawn_rows(mini: Path, tmp_path: Path) -> None:
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "withdrawn", "Duplicate.")
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "notes", "=1+1")
    code, _, err = run_cli("build", "-p", str(mini), "--out", str(tmp_path))
    assert code == 1 and "formula-injection" in err  # the CLI validates first and refuses
    from ruven.release import build

    build(mini, tmp_path, validate=False)  # the writer itself must still keep a formula as text
    wb = openpyxl.load_workbook(tmp_path / "ruven-mini-0.1.0.xlsx")
    ws = wb["deployments"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}2"
    pkg = DataPackage.load(mini)
    for cell in ws[1]:
        name = cell.value
        if name.endswith(("_min", "_max")):
            assert f"`{name[:-4]}`" in cell.comment.text
        else:
            assert pkg.resource("deployments").field(name).description in cell.comment.text
    row = {h.value: c for h, c in zip(ws[1], ws[2], strict=True)}
    assert row["withdrawn"].value == "Duplicate." and row["id"].font.strike
    assert row["notes"].value == "=1+1" and row["notes"].data_type == "s"  # text, not a formula
    assert row["start_date_min"].value.date() == dt.date(2019, 3, 23)
    assert row["source_ids"].value == "SRC-0001;SRC-0002"
    assert wb.properties.modified == wb.properties.created


def test_extra_steps_are_built_and_listed(mini: Path, tmp_path: Path) -> None:
    from ruven.release import STEPS, BuildContext, build
    from ruven.release.repro import atomic_path

    def charts(ctx: BuildContext) -> None:
        dest = ctx.out / "charts" / "n.txt"
        with atomic_path(dest) as tmp:
            tmp.write_text(str(ctx.con.execute("SELECT count(*) FROM timeline").fetchall()[0][0]), encoding="utf-8")
        ctx.add(dest, "extra", "An extra artifact.")

    result = build(mini, tmp_path, steps=[*STEPS, charts])
    assert (tmp_path / "charts" / "n.txt").read_text(encoding="utf-8") == "5"  # the five fact rows of the fixture
    assert "charts/n.txt" in (tmp_path / "SHA256SUMS").read_text(encoding="utf-8")
    assert result.artifact("extra").relpath == "charts/n.txt"
    assert not list(tmp_path.rglob("*.tmp"))


def test_skip_steps(mini: Path, tmp_path: Path) -> None:
    code, out, err = run_cli("build", "-p", str(mini), "--out", str(tmp_path), "--skip", "xlsx", "--skip", "chart", "--format", "json")
    assert code == 0, err
    kinds = {a["kind"] for a in json.loads(out)["artifacts"]}
    assert kinds == {"duckdb", "parquet", "dta", "zip", "sha256sums"}
    assert not (tmp_path / "ruven-mini-0.1.0.xlsx").exists()
    code, _, err = run_cli("build", "-p", str(mini), "--out", str(tmp_path), "--skip", "pdf")
    assert code == 2 and "xlsx" in err


def _readme_answer_rows() -> list[int]:
    """How many rows each README question's answer table has (the tables under its SQL)."""
    import re

    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Query with SQL\n(.*?)(?=^## )", text, re.S | re.M).group(1)  # type: ignore[union-attr]
    return [len(t.strip().splitlines()) - 2 for t in re.findall(r"```sql\n.+?```\n\n((?:\|[^\n]*\n)+)", section, re.S)]


def _same(py: object, cli: object) -> bool:
    """A value from Python duckdb and the one the CLI printed as JSON are the same value."""
    import decimal

    if py is None or cli is None:
        return py is None and cli is None
    if isinstance(py, bool):
        return py is cli
    if isinstance(py, int | float | decimal.Decimal):
        return math.isclose(float(py), float(cli), rel_tol=1e-9)  # type: ignore[arg-type]  # HUGEINT sums print as strings
    if isinstance(py, dt.date):
        return py.isoformat() == cli
    if isinstance(py, list):
        return isinstance(cli, list) and len(py) == len(cli) and all(_same(a, b) for a, b in zip(py, cli, strict=True))
    return py == cli


def test_duckdb_file_answers_the_readme_in_duckdb_1x_cli_and_python(release: tuple[Path, dict, Path], tmp_path: Path) -> None:
    """Issue 14: the .duckdb file is written in a storage format DuckDB 1.x reads. The PyPI
    `duckdb-cli` 1.5.x binary (a dev dependency, pinned) opens it read-only and answers every
    README question with the same rows as the current Python duckdb."""
    import subprocess

    import duckdb_cli

    from ruven.release.build import DUCKDB_MIN_READER

    pkg, _, out = release
    p = DataPackage.load(pkg)
    db = out / f"{p.name}-{p.version}.duckdb"
    exe = Path(duckdb_cli.__file__).parent / "duckdb"  # the bundled binary: nothing is downloaded
    assert exe.is_file()
    version = subprocess.run([str(exe), "-version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v1.5."), version
    assert DUCKDB_MIN_READER.startswith("1.")
    questions = readme_queries()
    expected_rows = _readme_answer_rows()
    assert len(questions) == len(expected_rows) >= 5
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}  # no ~/.duckdbrc
    with duckdb.connect(str(db), read_only=True) as con:
        for sql, n in zip(questions, expected_rows, strict=True):
            proc = subprocess.run([str(exe), "-readonly", "-json", str(db), "-c", sql], capture_output=True, text=True, env=env, timeout=60, check=False)
            assert proc.returncode == 0 and not proc.stderr, proc.stderr
            cli_rows = json.loads(proc.stdout or "[]")
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            py_rows = cur.fetchall()
            assert len(py_rows) == len(cli_rows) == n, sql
            for py, cli in zip(py_rows, cli_rows, strict=True):
                assert list(cli) == names
                assert all(_same(a, cli[k]) for a, k in zip(py, names, strict=True)), (sql, py, cli)
    # the file header's storage version number: 64 is DuckDB 1.0's format (1.5 reads 64 to 68, 2.0 writes 69)
    head = db.read_bytes()[:20]
    assert head[8:12] == b"DUCK" and int.from_bytes(head[12:20], "little") == 64
    proc = subprocess.run([str(exe), "-readonly", "-csv", str(db), "-c", "SELECT count(*) FROM duckdb_views() WHERE NOT internal AND comment IS NOT NULL"], capture_output=True, text=True, env=env, timeout=60, check=True)
    assert int(proc.stdout.split()[-1]) >= 8  # the research views and their descriptions came along


def test_every_dta_reads_in_pandas_stata_reader(release: tuple[Path, dict, Path]) -> None:
    """Issue 14: a Stata file per table: every row (ids in file order), a variable label on
    every variable (the schema title), value labels on the enumerated columns and booleans,
    partial dates as text plus Stata dates equal to the DuckDB bounds, id lists as text."""
    import pandas as pd
    from pandas.io.stata import StataReader

    from ruven.release.stata import LABEL_LIMIT, NAME_LIMIT

    pkg, _, out = release
    p = DataPackage.load(pkg)
    with duckdb.connect(str(out / f"{p.name}-{p.version}.duckdb"), read_only=True) as con:
        for r in p:
            path = out / "stata" / f"{r.name}.dta"
            with StataReader(path) as reader:
                df = reader.read(convert_categoricals=False)
                labels = reader.variable_labels()
                value_labels = reader.value_labels()
                assert reader.data_label == r.title
            csv_rows = read_csv(r.path)
            assert len(df) == len(csv_rows) and list(df["id"]) == [row["id"] for row in csv_rows], r.name
            assert all(len(v) <= NAME_LIMIT for v in df.columns)
            assert set(labels) == set(df.columns) and all(labels.values()), r.name
            assert all(len(t) <= LABEL_LIMIT for t in labels.values())
            for f in r.fields:
                if f.name in df.columns:
                    assert labels[f.name].startswith(f.title[: LABEL_LIMIT - 1]), (r.name, f.name)
                if f.enum:
                    assert value_labels[f.name] == {i: v for i, v in enumerate(f.enum, start=1)}, (r.name, f.name)
                    decoded = [f.enum[int(c) - 1] if c == c else "" for c in df[f.name]]
                    assert decoded == [row[f.name] for row in csv_rows]
                if f.type == "boolean":
                    assert value_labels[f.name] == {0: "false", 1: "true"}
                if f.is_id_list:
                    assert list(df[f.name].fillna("")) == [";".join(i.strip() for i in row[f.name].split(f.delimiter) if i.strip()) for row in csv_rows]
                if f.is_partial_date:
                    assert list(df[f.name].fillna("")) == [row[f.name] for row in csv_rows]  # the text as written
                    bounds = con.execute(f"SELECT {f.name}_min, {f.name}_max FROM {all_table(r)}").fetchall()
                    for col, k in ((f"{f.name}_min", 0), (f"{f.name}_max", 1)):
                        assert pd.api.types.is_datetime64_any_dtype(df[col]), col
                        got = [None if pd.isna(v) else v.date() for v in df[col]]
                        assert got == [b[k] for b in bounds], col
    # pandas' plain reader turns the value labels into the schema's text
    deployments = pd.read_stata(out / "stata" / "deployments.dta")
    assert set(deployments["status"].dropna()) <= set(p.resources["deployments"].field("status").enum)


def test_readme_and_about_sheet_state_the_minimum_duckdb_reader(release: tuple[Path, dict, Path]) -> None:
    from ruven.release.build import DUCKDB_MIN_READER

    pkg, _, out = release
    p = DataPackage.load(pkg)
    wb = openpyxl.load_workbook(out / f"{p.name}-{p.version}.xlsx", read_only=True)
    about = {row[0]: row[1] for row in wb["About"].iter_rows(values_only=True) if row and row[0]}
    wb.close()
    assert f"DuckDB {DUCKDB_MIN_READER} or later" in about["Other files"]
    assert f"DuckDB {DUCKDB_MIN_READER} or later" in (REPO / "README.md").read_text(encoding="utf-8")

def _built_workbook(mini: Path, tmp_path: Path) -> openpyxl.Workbook:
    from ruven.release import build
    from ruven.release.build import xlsx_step

    result = build(mini, tmp_path / "dist", steps=[xlsx_step], validate=False)
    return openpyxl.load_workbook(result.artifact("xlsx").path)


TRICKY_TEXT = {  # cells a spreadsheet would turn into something else if they were not written as text
    "location": "007",
    "assets": "2019-03-23",
    "stated_purpose": "TRUE",
    "notes": "=HYPERLINK(\"http://example.org\")",
    "summary": "  <r><t>rich?</t></r> & <b>not bold</b>  ",
}


def test_xlsx_sheets_headers_comments_filters_and_text_cells(mini: Path, tmp_path: Path) -> None:
    """Every table has its sheet, a bold frozen header with each column's description as a
    comment and an AutoFilter over all its rows; every cell holds the connection's value, with
    text kept as text (never a number, a date, a formula or markup)."""
    import ruven
    from ruven.db import typed_columns

    for field, value in TRICKY_TEXT.items():
        set_cell(mini / "data" / "deployments.csv", "DEP-0001", field, value)
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "withdrawn", "Duplicate.")
    wb = _built_workbook(mini, tmp_path)
    pkg = DataPackage.load(mini)
    assert wb.sheetnames == ["About", "Columns", *[r.name for r in pkg]]
    con = ruven.connect(mini)
    for res in pkg:
        ws = wb[res.name]
        cols = typed_columns(res)
        cur = con.execute(f"SELECT * FROM {all_table(res)}")
        types = [str(d[1]) for d in cur.description]
        rows = cur.fetchall()
        assert rows, res.name
        assert [c.value for c in ws[1]] == [name for name, _, _ in cols]
        assert all(c.font.b for c in ws[1])
        assert [c.comment.text for c in ws[1]] == [comment for _, _, comment in cols]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(cols))}{len(rows) + 1}"
        got = [[c.value for c in r] for r in ws.iter_rows(min_row=2, max_col=len(cols))]
        assert len(got) == len(rows)
        for want_row, got_row in zip(rows, got, strict=True):
            for typ, want, cell in zip(types, want_row, got_row, strict=True):
                if want is None:
                    assert cell is None
                elif typ == "VARCHAR":
                    assert isinstance(cell, str) and cell == want
                elif typ == "VARCHAR[]":
                    assert cell == ";".join(want)
                elif typ == "DATE":
                    assert cell == dt.datetime.combine(want, dt.time())
                elif typ == "BOOLEAN":
                    assert cell is want
                else:
                    assert isinstance(cell, int | float) and not isinstance(cell, bool) and cell == want
    con.close()
    row = {h.value: c for h, c in zip(wb["deployments"][1], wb["deployments"][2], strict=True)}
    for field, value in TRICKY_TEXT.items():
        assert row[field].value == value and row[field].data_type == "s", field
    assert all(c.font.strike for c in row.values())  # empty cells of a withdrawn row too
    assert row["start_date_min"].number_format == "yyyy-mm-dd"


def test_xlsx_long_tables_continue_on_more_sheets(mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the rows a sheet holds, a table goes on on `<table> (2)`, ... with every row once, in order."""
    from ruven.release import xlsx

    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)  # Excel's limit, made small enough for a fixture
    wb = _built_workbook(mini, tmp_path)
    ids = [r["id"] for r in read_csv(mini / "data" / "actors.csv")]
    assert len(ids) > 3
    names = xlsx.sheet_names("actors", len(ids))
    assert names[1] == "actors (2)" and [n for n in wb.sheetnames if n.startswith("actors")] == names
    got = [row[0] for n in names for row in wb[n].iter_rows(min_row=2, values_only=True)]
    assert got == ids
    for n in names:
        assert [c.value for c in wb[n][1]][0] == "id" and wb[n]["A1"].comment is not None
    about = [row for row in wb["About"].iter_rows(values_only=True) if row and row[0] in names]
    assert [(r[0], r[1]) for r in about] == [(n, min(3, len(ids) - 3 * i)) for i, n in enumerate(names)]
