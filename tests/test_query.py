"""The query layer (ruven.connect): types from the schemas, comments, withdrawn rows, views, sandbox."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ruven
from conftest import REPO, copy_package, read_csv, set_cell
from ruven.db.types import BOUNDS_MAX_MACRO, BOUNDS_MIN_MACRO, cast_sql, create_bounds_macros, drop_bounds_macros
from ruven.errors import PackageReadError, QueryError
from ruven.package import DataPackage, date_bounds
from ruven.query import all_table, edtf_bounds, run, views
from ruven.query import query as run_sql

EXPECTED_TYPE = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE", "string": "VARCHAR"}


def columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, tuple[str, str | None]]:
    rows = con.execute(
        "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE table_name = ?", [table]
    ).fetchall()
    return {name: (typ, comment) for name, typ, comment in rows}


@pytest.fixture(scope="module")
def mini_ro(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mini package for the tests that only read it."""
    return copy_package(tmp_path_factory.mktemp("mini"))


@pytest.fixture(scope="module")
def con(mini_ro: Path) -> duckdb.DuckDBPyConnection:
    c = ruven.connect(mini_ro)
    yield c
    c.close()


def test_every_column_is_typed_from_its_schema(mini_ro: Path, con: duckdb.DuckDBPyConnection) -> None:
    for res in DataPackage.load(mini_ro):
        cols = columns(con, all_table(res))
        expected: list[str] = []
        for f in res.fields:
            typ, comment = cols[f.name]
            if f.is_id_list:
                assert typ == "VARCHAR[]", f.name
            else:
                assert typ == EXPECTED_TYPE[f.type], (res.name, f.name)
            assert comment and f.description in comment
            expected.append(f.name)
            if f.is_partial_date:
                assert typ == "VARCHAR"
                assert cols[f"{f.name}_min"][0] == cols[f"{f.name}_max"][0] == "DATE"
                assert f.name in cols[f"{f.name}_min"][1]
                expected += [f"{f.name}_min", f"{f.name}_max"]
        assert list(cols) == expected  # schema order, nothing else
        comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = ?", [all_table(res)]).fetchall()[
            0
        ][0]
        assert res.title in comment and res.description in comment


def test_values_are_typed(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute(
        "SELECT personnel_best, cargo_tonnes, source_ids, start_date_min, end_date, end_date_min, end_date_max, latitude "
        "FROM deployments WHERE id = 'DEP-0001'"
    ).fetchall()[0]
    assert row == (
        100,
        35.0,
        ["SRC-0001", "SRC-0002"],
        dt.date(2019, 3, 23),
        "2019-04",
        dt.date(2019, 4, 1),
        dt.date(2019, 4, 30),
        None,
    )
    assert con.execute("SELECT is_translation, about_ids FROM statements").fetchall() == [(True, ["DEP-0001"])]
    assert con.execute("SELECT order_date_min, order_date_max FROM arms_purchases").fetchall() == [
        (dt.date(2011, 1, 1), dt.date(2011, 12, 31))
    ]
    assert con.execute("SELECT accessed FROM sources WHERE id = 'SRC-0001'").fetchall() == [(dt.date(2026, 11, 25),)]


EDTF_ISH = st.from_regex(r"\A[12][0-9]{3}(-[01][0-9](-[0-3][0-9])?)?(/[12][0-9]{3}(-[01][0-9](-[0-3][0-9])?)?)?\Z")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(EDTF_ISH, st.text(alphabet="0123456789-/", max_size=12)), max_size=6), st.lists(EDTF_ISH, max_size=4))
def test_duckdb_date_bounds_are_the_edtf_library_s(values: list[str], unknown: list[str]) -> None:
    """The DuckDB bounds are exactly what the EDTF library gives (None for what it refuses), and
    a text the macros were not made for has no bounds (never another text's)."""
    con = duckdb.connect()
    create_bounds_macros(con, edtf_bounds(values))
    for value in values + [u for u in unknown if u not in values] + [""]:
        want = date_bounds(value) if value in values else None
        expected = None if want is None else (dt.date.fromisoformat(want[0]), dt.date.fromisoformat(want[1]))
        got = con.execute(f"SELECT {BOUNDS_MIN_MACRO}(?), {BOUNDS_MAX_MACRO}(?)", [value, value]).fetchone()
        assert got == (expected or (None, None)), value
    drop_bounds_macros(con)
    assert con.execute(f"SELECT count(*) FROM duckdb_functions() WHERE function_name LIKE '{BOUNDS_MIN_MACRO[:12]}%'").fetchone() == (0,)
    con.close()


LIST_TEXT = st.text(alphabet=st.sampled_from(list("AB-01;; \t\n\u00a0\u3000\u2003\x0b")), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(LIST_TEXT, min_size=1, max_size=8))
def test_id_lists_split_as_the_regular_expression_does(cells: list[str]) -> None:
    """The id-list cast's shortcut (a plain split when the cell has no white space) gives exactly
    what splitting on the delimiter and the white space around it gives, for any cell."""
    con, cast = _id_list_cast()
    rows = con.execute(rf"SELECT source_ids, {cast}, regexp_split_to_array(trim(NULLIF(source_ids, '')), '\s*;\s*') FROM (SELECT unnest(?::VARCHAR[]) AS source_ids)", [cells]).fetchall()
    assert sorted(cell for cell, _, _ in rows) == sorted(cells)  # every cell was compared
    for cell, got, want in rows:
        assert got == want, cell


@functools.cache
def _id_list_cast() -> tuple[duckdb.DuckDBPyConnection, str]:
    """One connection and the cast's SQL for every example (a connection each took 47 ms)."""
    return duckdb.connect(), cast_sql(DataPackage.load(REPO).resource("deployments").field("source_ids"))


def test_interval_dates_get_both_bounds(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute("SELECT signed_date, signed_date_min, signed_date_max FROM agreements WHERE id = 'AGR-0001'").fetchone()
    assert row == ("2011-10/2011-12", dt.date(2011, 10, 1), dt.date(2011, 12, 31))


def test_withdrawn_rows_are_left_out_of_the_views_but_kept(mini: Path) -> None:
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "withdrawn", "Duplicate of DEP-0002.")
    with ruven.connect(mini) as c:
        assert c.execute("SELECT count(*) FROM deployments").fetchall() == [(0,)]
        assert c.execute("SELECT id, withdrawn FROM deployments_all").fetchall() == [
            ("DEP-0001", "Duplicate of DEP-0002.")
        ]
        assert c.execute("SELECT count(*) FROM timeline WHERE id = 'DEP-0001'").fetchall() == [(0,)]
        assert c.execute("SELECT count(*) FROM citations WHERE row_id = 'DEP-0001'").fetchall() == [(0,)]
        comment = c.execute("SELECT comment FROM duckdb_views() WHERE view_name = 'deployments'").fetchall()[0][0]
        assert "withdrawn" in comment and "deployments_all" in comment
    with ruven.connect(mini, include_withdrawn=True) as c:
        assert c.execute("SELECT count(*) FROM deployments").fetchall() == [(1,)]
        assert c.execute("SELECT count(*) FROM timeline WHERE id = 'DEP-0001'").fetchall() == [(1,)]


def test_citations_one_row_per_fact_row_and_source(con: duckdb.DuckDBPyConnection, mini_ro: Path) -> None:
    pkg = DataPackage.load(mini_ro)
    want = sorted(
        (r.name, row["id"], s) for r in pkg.fact_tables for row in r.read_rows() for s in row["source_ids"].split(";")
    )
    got = con.execute("SELECT table_name, row_id, source_id, source_publisher FROM citations").fetchall()
    assert sorted(g[:3] for g in got) == want
    assert all(g[3] for g in got)  # joined to sources
    assert {g[0] for g in got} == {r.name for r in pkg.fact_tables}


def test_timeline_has_every_dated_fact_row_in_one_shape(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT date_min, date_max, table_name, id, title, summary, confidence FROM timeline").fetchall()
    assert [r[3] for r in rows] == ["ARM-0001", "INV-0001", "AGR-0001", "DEP-0001", "STM-0001"]  # date order
    agr = next(r for r in rows if r[3] == "AGR-0001")
    assert agr[:2] == (dt.date(2011, 10, 1), dt.date(2011, 12, 31)) and agr[4] == "Fixture agreement"  # an interval's bounds
    dep = next(r for r in rows if r[3] == "DEP-0001")
    assert dep[:2] == (dt.date(2019, 3, 23), dt.date(2019, 4, 30))  # start .. end
    assert dep[4] == "Force A, regular-military, Fixture airport" and dep[5] == "Fixture deployment row."
    stm = next(r for r in rows if r[3] == "STM-0001")
    assert stm[4] == "Person A, Fixture official" and stm[5] == "A test quote." and stm[6] == "reported"


def test_research_views(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute(
        "SELECT speaker_name, speaker_kind, speaker_country, speaker_role FROM statements_with_speakers"
    ).fetchall() == [("Person A", "person", "US", "Fixture official")]
    assert con.execute(
        "SELECT supplier_name, financing_project, financing_amount_usd_best FROM arms_with_financing"
    ).fetchall() == [("Company A", "Fixture credit", 4e9)]
    single = con.execute("SELECT table_name, id, source_id FROM single_source_rows").fetchall()
    assert ("deployments", "DEP-0001") not in {s[:2] for s in single}  # it has two sources
    assert ("statements", "STM-0001", "SRC-0002") in single
    assert con.execute("SELECT value FROM package_info WHERE key = 'license'").fetchall() == [("CC-BY-4.0",)]


def test_every_view_is_documented(con: duckdb.DuckDBPyConnection, mini_ro: Path) -> None:
    names = [v.name for v in views(DataPackage.load(mini_ro))]
    assert {"citations", "timeline", "statements_with_speakers", "single_source_rows"} <= set(names)
    for name in names:
        assert con.execute("SELECT comment FROM duckdb_views() WHERE view_name = ?", [name]).fetchall()[0][0]
        undocumented = [c for c, (_, comment) in columns(con, name).items() if not comment]
        assert not undocumented, (name, undocumented)


def test_real_package_loads_every_csv_row() -> None:
    pkg = DataPackage.load(REPO)
    with ruven.connect(REPO) as c:
        for res in pkg:
            assert c.execute(f"SELECT count(*) FROM {all_table(res)}").fetchall()[0][0] == len(read_csv(res.path)), (
                res.name
            )
        for v in views(pkg):
            c.execute(f"SELECT * FROM {v.name} LIMIT 1").fetchall()


def test_bad_cell_is_a_package_error(mini: Path) -> None:
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "personnel_best", "about 100")
    with pytest.raises(PackageReadError) as exc:
        ruven.connect(mini)
    assert "deployments.csv" in exc.value.message and "about 100" in exc.value.message
    assert "ruven validate" in exc.value.hint


def test_empty_tables_load(mini: Path) -> None:
    for name in ("deployments", "statements"):
        path = mini / "data" / f"{name}.csv"
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with ruven.connect(mini) as c:
        assert c.execute("SELECT count(*) FROM deployments").fetchall() == [(0,)]
        assert columns(c, "statements_all")["source_ids"][0] == "VARCHAR[]"
        assert c.execute("SELECT count(*) FROM timeline").fetchall() == [(3,)]


def test_run_reports_duckdb_message(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(QueryError) as exc:
        run(con, "SELEC 1")
    assert "syntax error" in exc.value.message
    with pytest.raises(QueryError) as exc:
        run(con, "SELECT nope FROM deployments")
    assert "nope" in exc.value.message


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("SELECT * FROM read_csv('/etc/passwd')", id="read-csv"),
        pytest.param("SELECT * FROM read_text('/etc/passwd')", id="read-text"),
        pytest.param("COPY (SELECT 1) TO '{out}'", id="copy-to"),
        pytest.param("CREATE TABLE t AS SELECT 1", id="create"),
        pytest.param("DELETE FROM sources_all", id="delete"),
        pytest.param("SET enable_external_access = true", id="set"),
        pytest.param("ATTACH '{out}' AS x", id="attach"),
        pytest.param("INSTALL httpfs", id="install"),
    ],
)
def test_sandbox_blocks_files_and_writes(mini: Path, tmp_path: Path, sql: str) -> None:
    out = tmp_path / "leak.csv"
    with pytest.raises(QueryError):
        run_sql(sql.format(out=out), mini)
    assert not out.exists()


def test_sandboxed_connection_blocks_files_even_without_statement_check(mini: Path, tmp_path: Path) -> None:
    with ruven.connect(mini, sandbox=True) as c:
        with pytest.raises(duckdb.PermissionException):
            c.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()
        with pytest.raises(duckdb.PermissionException):
            c.execute(f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'")
        with pytest.raises(duckdb.Error):
            c.execute("SET enable_external_access = true")
    assert not (tmp_path / "x.csv").exists()


def test_allow_external_lifts_the_sandbox(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "timeline.csv"
    run_sql(f"COPY (FROM timeline) TO '{out}'", mini, allow_external=True)
    assert out.read_text(encoding="utf-8").count("\n") == 6


def test_several_statements_return_the_last(con: duckdb.DuckDBPyConnection) -> None:
    res = run(con, "SELECT 1; SELECT id FROM deployments")
    assert res.columns == ["id"] and res.rows == [("DEP-0001",)]
    assert res.records() == [{"id": "DEP-0001"}]


def test_a_dynamic_pivot_runs_in_the_sandbox(con: duckdb.DuckDBPyConnection) -> None:
    """Issue 14: DuckDB parses a dynamic PIVOT as a MULTI statement (a temporary ENUM of the
    ON values, then the select); it reads, so it runs, in a read-only transaction that leaves
    nothing behind."""
    statuses = sorted({s for (s,) in con.execute("SELECT DISTINCT status FROM deployments").fetchall()})
    for sql in (
        "PIVOT deployments ON status USING count(*) GROUP BY personnel_kind ORDER BY personnel_kind",
        "/* a comment */ WITH p AS (PIVOT deployments ON status USING count(*) GROUP BY personnel_kind) SELECT * FROM p ORDER BY personnel_kind",
    ):
        assert [s.type.name for s in con.extract_statements(sql)] == ["MULTI"]
        res = run(con, sql)
        assert res.columns == ["personnel_kind", *statuses]
        total = sum(sum(r[1:]) for r in res.rows)
        assert total == con.execute("SELECT count(*) FROM deployments").fetchall()[0][0]
    assert con.execute("SELECT count(*) FROM duckdb_types() WHERE type_name LIKE '__pivot_enum%'").fetchall() == [(0,)]


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        pytest.param("CREATE TABLE t AS PIVOT deployments ON status USING count(*)", "CREATE (with a dynamic PIVOT) statements are not allowed", id="create-as-pivot"),
        pytest.param("WITH p AS (PIVOT deployments ON status USING count(*)) INSERT INTO sources SELECT * FROM sources", "the query writes, and the query sandbox is read-only", id="insert-with-pivot"),
    ],
)
def test_a_pivot_that_writes_is_refused(mini: Path, sql: str, said: str) -> None:
    with pytest.raises(QueryError) as exc:
        run_sql(sql, mini)
    assert said in exc.value.message
    assert run_sql("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'", mini).rows == [(0,)]


def _set_label(pkg: Path, resource: str, label: list[str]) -> None:
    import json

    path = pkg / "schemas" / f"{resource}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["x-ruven"]["label"] = label
    path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")


def test_titles_come_from_the_one_label_declaration(tmp_path: Path) -> None:
    """The schema's x-ruven label drives the views' title, serve's copy of them and `ruven add`."""
    from ruven.add import Session
    from ruven.db import label_fields

    pkg = copy_package(tmp_path)
    loaded = DataPackage.load(pkg)
    assert label_fields(loaded.resource("arms_purchases")) == ["designation", "category", "supplier_id"]
    with ruven.connect(pkg) as c:
        assert c.execute("SELECT title FROM timeline WHERE id = 'ARM-0001'").fetchall() == [("Fixture-1, aircraft, Company A",)]
    _set_label(pkg, "arms_purchases", ["supplier_id", "designation"])
    _set_label(pkg, "actors", ["name", "country"])  # a label through a foreign key follows the actor's label
    with ruven.connect(pkg) as c:
        assert c.execute("SELECT title FROM fact_rows WHERE id = 'ARM-0001'").fetchall() == [("Company A, RU, Fixture-1",)]
    assert Session(DataPackage.load(pkg)).label("arms_purchases", read_csv(pkg / "data" / "arms_purchases.csv")[0]) == "Company A, RU, Fixture-1"


def test_a_table_without_a_label_is_titled_by_its_id(tmp_path: Path) -> None:
    import json

    pkg = copy_package(tmp_path)
    path = pkg / "schemas" / "agreements.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    del schema["x-ruven"]
    path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    with ruven.connect(pkg) as c:
        assert c.execute("SELECT title FROM fact_rows WHERE id = 'AGR-0001'").fetchall() == [("AGR-0001",)]


def test_real_titles_follow_the_declaration() -> None:
    """The title the issue measured: one form in every output (the equivalence test checks serve)."""
    arm = next(r for r in read_csv(REPO / "data" / "arms_purchases.csv") if r["id"] == "ARM-0001")
    names = {r["id"]: r["name"] for r in read_csv(REPO / "data" / "actors.csv")}
    with ruven.connect(REPO) as c:
        (title,) = c.execute("SELECT title FROM timeline WHERE id = 'ARM-0001'").fetchone()
    assert title == f"{arm['designation']}, {arm['category']}, {names[arm['supplier_id']]}"
    assert title.endswith(", Rosoboronexport")


@pytest.mark.slow
def test_the_view_sql_files_are_package_data(tmp_path: Path) -> None:
    """An installed wheel carries the views' .sql files (pyproject package-data), and they load."""
    import subprocess
    import sys
    import zipfile

    from ruven.db.views import view_files

    names = {vf.name for vf in view_files()}
    assert {"citations", "fact_rows", "timeline", "single_source_rows"} <= names
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("ruven-*.whl")
    members = set(zipfile.ZipFile(wheel).namelist())
    sql = {Path(m).name for m in members if m.startswith("ruven/db/sql/")}
    on_disk = {p.name for p in (root / "src" / "ruven" / "db" / "sql").glob("*.sql")}
    assert on_disk and sql == on_disk
