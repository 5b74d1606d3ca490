"""``ruven query``'s lazy connection (each resource a view over its CSV) answers exactly as the
loaded one (typed tables), reads only the package's CSVs, and reads a CSV only when a query
touches it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, copy_package, copy_repo_package, run_cli, set_cell
from ruven.db import connect, views
from ruven.db.connection import connect_for_query
from ruven.db.types import BOUNDS_MAX_MACRO, BOUNDS_MIN_MACRO, create_bounds_functions
from ruven.errors import PackageReadError, QueryError
from ruven.package import DataPackage, date_bounds
from ruven.query import query as run_sql


def readme_queries() -> list[str]:
    """The SQL of every ```sql block in the README's "Query with SQL" section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("## Query with SQL\n")
    end = text.find("\n## ", start + 1)
    found = re.findall(r"```sql\n(.+?)```", text[start : end if end > 0 else len(text)], re.S)
    assert len(found) >= 3, "the README's queries were not found: this test would compare nothing"
    return found


def relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table and view a user can query."""
    return [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1"
        ).fetchall()
    ]


def answer(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = con.execute(sql)
    return [d[0] for d in cur.description], cur.fetchall()


def unordered(result: tuple[list[str], list[tuple[Any, ...]]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """A view without ORDER BY has no defined row order: compare its rows as a multiset."""
    return result[0], sorted(result[1], key=repr)


def compare(pkg_dir: Path, include_withdrawn: bool) -> int:
    """Every relation and every README query on the loaded and on the lazy connection; returns
    the number of rows compared."""
    pkg = DataPackage.load(pkg_dir)
    full = connect(pkg, include_withdrawn=include_withdrawn)
    lazy = connect_for_query(pkg, include_withdrawn=include_withdrawn)
    compared = 0
    try:
        names = relations(full)
        assert names == relations(lazy)
        assert {v.name for v in views(pkg)} | {r.name for r in pkg} <= set(names)
        for name in names:
            want = answer(full, f'SELECT * FROM "{name}"')
            got = answer(lazy, f'SELECT * FROM "{name}"')
            if name in pkg.resources or name.removesuffix("_all") in pkg.resources:
                assert got == want, name  # a table keeps the CSV's row order, and so does its view
            else:
                assert unordered(got) == unordered(want), name
            compared += len(want[1])
        for sql in readme_queries():
            assert answer(lazy, sql) == answer(full, sql), sql
        meta = "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() ORDER BY ALL"
        assert lazy.execute(meta).fetchall() == full.execute(meta).fetchall()
        comments = "SELECT table_name, comment FROM duckdb_tables() UNION ALL SELECT view_name, comment FROM duckdb_views() ORDER BY ALL"
        assert sorted(lazy.execute(comments).fetchall()) == sorted(full.execute(comments).fetchall())
    finally:
        full.close()
        lazy.close()
    return compared


@pytest.mark.parametrize("include_withdrawn", [False, True], ids=["live", "with-withdrawn"])
def test_the_lazy_connection_answers_as_the_loaded_one_on_the_mini_fixture(mini: Path, include_withdrawn: bool) -> None:
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "withdrawn", "Duplicate of DEP-0002.")
    assert compare(mini, include_withdrawn) > 0


@pytest.mark.parametrize("include_withdrawn", [False, True], ids=["live", "with-withdrawn"])
def test_the_lazy_connection_answers_as_the_loaded_one_on_the_real_package(tmp_path: Path, include_withdrawn: bool) -> None:
    assert compare(copy_repo_package(tmp_path), include_withdrawn) > 1000


def test_the_comparison_can_fail(mini: Path) -> None:
    """A withdrawn row shown by one side and not the other is caught."""
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "withdrawn", "Duplicate of DEP-0002.")
    with connect(mini) as full, connect_for_query(mini, include_withdrawn=True) as lazy:
        assert answer(lazy, "SELECT * FROM deployments") != answer(full, "SELECT * FROM deployments")
        assert unordered(answer(lazy, "SELECT * FROM timeline")) != unordered(answer(full, "SELECT * FROM timeline"))


def test_a_query_reads_only_the_csvs_it_touches(mini: Path) -> None:
    """A bad cell in agreements.csv stops a query of agreements, located as a full load reports
    it, and not a query of deployments (the loaded connection refuses the whole package)."""
    set_cell(mini / "data" / "agreements.csv", "AGR-0001", "document_count", "several")
    with pytest.raises(PackageReadError):
        connect(mini)
    assert run_sql("SELECT count(*) FROM deployments", mini).rows == [(1,)]
    with pytest.raises(PackageReadError) as exc:
        run_sql("SELECT * FROM agreements", mini)
    assert "data/agreements.csv" in exc.value.message and "several" in exc.value.message
    assert "ruven validate" in exc.value.hint
    assert run_sql("SELECT count(*) FROM timeline", mini).rows == [(5,)]  # reads no document_count
    code, _, err = run_cli("query", "--package", str(mini), "SELECT sum(document_count) FROM agreements")
    assert code == 3 and "data/agreements.csv" in err and "package-error" in err and "Traceback" not in err


def test_a_cell_cast_as_the_query_reads_it_points_to_validate(mini: Path) -> None:
    """A boolean cell that is not one fails the query that reads it (the loaded connection
    refuses the whole package); the hint names `ruven validate`, which locates it."""
    set_cell(mini / "data" / "statements.csv", "STM-0001", "is_translation", "perhaps")
    assert run_sql("SELECT count(*) FROM statements", mini).rows == [(1,)]
    with pytest.raises(QueryError) as exc:
        run_sql("SELECT count(*) FROM statements WHERE is_translation", mini)
    assert "perhaps" in exc.value.message and "ruven validate" in exc.value.hint


def test_a_changed_byte_is_answered_at_once(mini: Path) -> None:
    sql = "SELECT personnel_best FROM deployments WHERE id = 'DEP-0001'"
    before = run_sql(sql, mini).rows
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "personnel_best", str(before[0][0] + 1))
    assert run_sql(sql, mini).rows == [(before[0][0] + 1,)]


def test_the_sandbox_reads_the_package_csvs_and_nothing_else(mini: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n", encoding="utf-8")
    csv = mini / "data" / "deployments.csv"
    before = csv.read_bytes()
    with connect_for_query(mini) as con:
        assert con.execute(f"SELECT count(*) FROM read_csv('{csv}')").fetchall() == [(1,)]
        for sql in (
            f"SELECT * FROM read_csv('{outside}')",
            f"SELECT * FROM read_text('{mini / 'datapackage.json'}')",  # the package folder, but not one of its CSVs
            f"SELECT * FROM read_text('{csv}/../../datapackage.json')",
            f"SELECT * FROM read_csv('{mini / 'data' / '*.csv'}')",
            f"COPY (SELECT 1 AS id) TO '{csv}'",
        ):
            with pytest.raises(duckdb.PermissionException):
                con.execute(sql).fetchall()
        with pytest.raises(duckdb.Error):
            con.execute(f"SET allowed_paths = ['{outside}']")
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
    assert csv.read_bytes() == before
    with pytest.raises(QueryError) as exc:
        run_sql(f"SELECT * FROM read_csv('{outside}')", mini)
    assert "cannot read or write files" in exc.value.hint


EDTF_ISH = st.from_regex(r"\A[12][0-9]{3}(-[01][0-9](-[0-3][0-9])?)?(/[12][0-9]{3}(-[01][0-9](-[0-3][0-9])?)?)?\Z")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(EDTF_ISH, st.text(alphabet="0123456789-/X?~", max_size=12), st.none()), max_size=12))
def test_the_lazy_bounds_are_the_edtf_library_s(drawn: list[str | None]) -> None:
    """The lazy connection's bounds functions give what the EDTF library gives (None for what it
    refuses), row by row over more than one of DuckDB's vectors (texts seen in an earlier one
    and new ones)."""
    values = [*drawn[:6], *(["2019"] * 2100), *drawn]
    con = duckdb.connect()
    create_bounds_functions(con)
    con.execute("CREATE TABLE t AS SELECT unnest(l) AS v, generate_subscripts(l, 1) AS i FROM (SELECT ?::VARCHAR[] AS l)", [values])
    got = con.execute(f"SELECT v, {BOUNDS_MIN_MACRO}(v), {BOUNDS_MAX_MACRO}(v) FROM t ORDER BY i").fetchall()
    want = []
    for v in values:
        b = date_bounds(v) if v is not None else None
        want.append((v, *((dt.date.fromisoformat(b[0]), dt.date.fromisoformat(b[1])) if b else (None, None))))
    assert got == want
    con.close()


def test_a_partial_date_column_s_bounds_are_typed_dates(tmp_path: Path) -> None:
    pkg = copy_package(tmp_path)
    with connect_for_query(pkg) as con:
        row = con.execute("SELECT signed_date, signed_date_min, signed_date_max FROM agreements WHERE id = 'AGR-0001'").fetchone()
    assert row == ("2011-10/2011-12", dt.date(2011, 10, 1), dt.date(2011, 12, 31))


def test_a_csv_whose_columns_are_in_another_order_reads_the_same(mini: Path) -> None:
    """The reader that skips sniffing is taken only for a header that is the schema's fields in
    order; a file with its columns in another order is matched by name, as before."""
    import csv

    sql = "SELECT * FROM deployments_all"
    with connect(mini) as con:
        want = answer(con, sql)
    path = mini / "data" / "deployments.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([r[1:] + r[:1] for r in rows])  # id last
    with connect(mini) as full, connect_for_query(mini) as lazy:
        assert answer(full, sql) == want
        assert answer(lazy, sql) == want
