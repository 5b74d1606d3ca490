"""``ruven query``'s kept copies of large tables (:mod:`ruven.db.kept`): a query over a kept copy
answers exactly as one over the CSV, a changed byte is never answered from an old copy, a
table that cannot be kept is read from its CSV, and the copies are written in the background,
after the query has its answer."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import copy_repo_package, set_cell
from ruven.db import connect, kept, views
from ruven.db.connection import connect_for_query
from ruven.errors import PackageReadError
from ruven.package import DataPackage
from ruven.query import query as run_sql

TIMELINE = "SELECT table_name, count(*), min(date_min), max(date_max) FROM timeline GROUP BY ALL ORDER BY 1"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own."""
    monkeypatch.setenv("RUVEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RUVEN_CACHE", raising=False)
    return tmp_path / "cache" / "tables"


def own_relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables and views of the connection's own database (kept copies are attached ones)."""
    sql = (
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database() ORDER BY 1"
    )
    return [name for (name,) in con.execute(sql).fetchall()]


def answer(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = con.execute(sql)
    return [d[0] for d in cur.description], cur.fetchall()


def test_tables_read_follows_the_research_views(mini: Path) -> None:
    pkg = DataPackage.load(mini)
    fact = {res.name for res in pkg.fact_tables}
    with duckdb.connect() as con:
        assert kept.tables_read(con, pkg, "SELECT count(*) FROM deployments") == {"deployments"}
        assert kept.tables_read(con, pkg, "SELECT * FROM deployments_all d JOIN sources s ON true") == {"deployments", "sources"}
        assert fact <= kept.tables_read(con, pkg, TIMELINE)  # type: ignore[operator]
        assert kept.tables_read(con, pkg, "WITH x AS (SELECT 1) SELECT * FROM x") == set()
        assert kept.tables_read(con, pkg, "PRAGMA version") is None
        assert kept.tables_read(con, pkg, "SELEC nonsense") is None


@pytest.mark.parametrize("include_withdrawn", [False, True], ids=["live", "with-withdrawn"])
def test_kept_copies_answer_as_the_csvs(tmp_path: Path, cache: Path, include_withdrawn: bool) -> None:
    """Every relation of the real package, the same rows in the same order, types and comments,
    whether its tables are read from kept copies or loaded from the CSVs."""
    pkg = DataPackage.load(copy_repo_package(tmp_path))
    names = [res.name for res in pkg]
    paths = kept.keep_tables(pkg, names)
    assert sorted(paths) == sorted(names) and all(p.parent == cache for p in paths.values())
    sorting = {"timeline", "citations", "single_source_rows"}  # the views with an ORDER BY
    view_paths = kept.keep_views(pkg, [v.name for v in views(pkg)], include_withdrawn)
    assert set(view_paths) == sorting
    with connect(pkg, include_withdrawn=include_withdrawn) as full, connect_for_query(pkg, include_withdrawn=include_withdrawn, kept=paths | view_paths) as quick:
        relations = own_relations(full)
        assert relations == own_relations(quick) and len(relations) > 10
        for name in relations:
            want, got = answer(full, f'SELECT * FROM "{name}"'), answer(quick, f'SELECT * FROM "{name}"')
            if name in sorting or name in pkg.resources or name.removesuffix("_all") in pkg.resources:
                assert got == want, name  # the same rows in the same order
            else:  # a view without ORDER BY has no defined row order
                assert (got[0], sorted(got[1], key=repr)) == (want[0], sorted(want[1], key=repr)), name
        meta = "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() WHERE database_name = current_database() ORDER BY ALL"
        assert quick.execute(meta).fetchall() == full.execute(meta).fetchall()
        # the tables and the sorting views really read their kept copies
        for name in [*names, *sorting]:
            plan = quick.execute(f'EXPLAIN SELECT * FROM "{name}"').fetchall()[0][1]
            assert f"ruven_kept_{name}.main.t" in plan, plan


def test_a_kept_view_is_kept_apart_for_withdrawn_rows_in_and_out(tmp_path: Path, cache: Path) -> None:
    pkg_dir = copy_repo_package(tmp_path)
    with duckdb.connect() as con:
        row_id = con.execute(f"SELECT id FROM read_csv('{pkg_dir / 'data' / 'deployments.csv'}') WHERE start_date IS NOT NULL LIMIT 1").fetchall()[0][0]
    set_cell(pkg_dir / "data" / "deployments.csv", row_id, "withdrawn", "Duplicate of another row.")
    pkg = DataPackage.load(pkg_dir)
    kept.keep_tables(pkg, [res.name for res in pkg])
    live = kept.keep_views(pkg, ["timeline"])
    every = kept.keep_views(pkg, ["timeline"], include_withdrawn=True)
    assert live["timeline"] != every["timeline"]
    sql = f"SELECT count(*) FROM timeline WHERE id = '{row_id}'"
    with connect_for_query(pkg, kept=live) as a, connect_for_query(pkg, include_withdrawn=True, kept=every) as b:
        assert a.execute(sql).fetchall() == [(0,)] and b.execute(sql).fetchall() == [(1,)]


def test_the_comparison_can_fail(tmp_path: Path, cache: Path) -> None:
    """A kept copy of other bytes gives other answers (the comparison above is not vacuous)."""
    pkg_dir = copy_repo_package(tmp_path)
    pkg = DataPackage.load(pkg_dir)
    old = kept.keep_tables(pkg, ["deployments"])
    with duckdb.connect() as con:
        row_id = con.execute(f"SELECT id FROM read_csv('{pkg.resources['deployments'].path}') LIMIT 1").fetchall()[0][0]
    set_cell(pkg_dir / "data" / "deployments.csv", row_id, "personnel_best", "123456")
    pkg = DataPackage.load(pkg_dir)
    sql = f"SELECT personnel_best FROM deployments WHERE id = '{row_id}'"
    with connect_for_query(pkg, kept=old) as stale, connect(pkg) as full:
        assert answer(stale, sql) != answer(full, sql)


def test_a_changed_byte_is_never_answered_from_an_old_copy(tmp_path: Path, cache: Path) -> None:
    pkg_dir = copy_repo_package(tmp_path)
    pkg = DataPackage.load(pkg_dir)
    sql = "SELECT count(*), sum(personnel_best) FROM deployments"
    assert kept.plan(pkg, sql, min_bytes=0).missing == ["deployments"]
    kept.keep_tables(pkg, ["deployments"])
    found = kept.plan(pkg, sql, min_bytes=0)
    assert list(found.found) == ["deployments"] and found.missing == []
    before = run_sql(sql, pkg, keep_min_bytes=0).rows
    with duckdb.connect() as con:
        row_id, best = con.execute(
            f"SELECT id, personnel_best FROM read_csv('{pkg.resources['deployments'].path}', all_varchar = true) WHERE personnel_best <> '' LIMIT 1"
        ).fetchall()[0]
    set_cell(pkg_dir / "data" / "deployments.csv", row_id, "personnel_best", str(int(best) + 1))
    pkg = DataPackage.load(pkg_dir)
    assert kept.plan(pkg, sql, min_bytes=0).missing == ["deployments"]
    assert run_sql(sql, pkg, keep_min_bytes=0).rows == [(before[0][0], before[0][1] + 1)]


def test_a_digest_is_remembered_only_for_a_settled_file(tmp_path: Path) -> None:
    """The remembered digest of a CSV's bytes is used only while the file's identity and times
    are those it was taken with, and only taken for a file that had not just changed."""
    folder = tmp_path / "cache"
    path = tmp_path / "t.csv"
    path.write_bytes(b"id\nA\n")
    first = kept.file_digest(path, folder)
    assert not (folder / "digests").exists()  # just written: not remembered
    old = time.time() - 10
    os.utime(path, (old, old))  # the change time is now: still not settled
    assert kept.file_digest(path, folder) == first and not (folder / "digests").exists()
    time.sleep(kept.SETTLED_NS / 1e9 + 0.1)
    assert kept.file_digest(path, folder) == first
    assert len(list((folder / "digests").iterdir())) == 1
    path.write_bytes(b"id\nB\n")  # same size, other bytes
    os.utime(path, (old, old))  # even with the old modification time
    assert kept.file_digest(path, folder) != first


def test_a_table_that_cannot_be_kept_is_read_from_its_csv(mini: Path, cache: Path) -> None:
    """A cell that is not of its column's type: no copy, and the query reports it, located."""
    set_cell(mini / "data" / "agreements.csv", "AGR-0001", "document_count", "several")
    pkg = DataPackage.load(mini)
    assert kept.keep_tables(pkg, ["agreements", "deployments"]).keys() == {"deployments"}
    left = sorted(p.name for p in cache.iterdir() if p.is_file() and not p.name.endswith(".lock"))
    assert len(left) == 1 and left[0].startswith("deployments-")  # no half-written file stays
    with pytest.raises(PackageReadError) as exc:
        run_sql("SELECT * FROM agreements", mini, keep_min_bytes=0)
    assert "data/agreements.csv" in exc.value.message and "several" in exc.value.message


def test_no_copy_is_kept_with_the_cache_off(mini: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUVEN_CACHE", "off")
    pkg = DataPackage.load(mini)
    assert kept.plan(pkg, "SELECT * FROM deployments", min_bytes=0) == kept.Plan()
    assert kept.keep_tables(pkg, ["deployments"]) == {}
    assert run_sql("SELECT count(*) FROM deployments", mini, keep_min_bytes=0).rows == [(1,)]
    assert not cache.exists()


def test_small_tables_are_not_kept(mini: Path, cache: Path) -> None:
    assert kept.plan(DataPackage.load(mini), "SELECT * FROM deployments") == kept.Plan()


def test_a_query_has_the_missing_copies_written_in_the_background(mini: Path, cache: Path) -> None:
    """After its answer, a query starts a detached writer of the copies it lacked; the next
    query reads them."""
    sql = "SELECT count(*) FROM deployments"
    assert run_sql(sql, mini, keep_min_bytes=0).rows == [(1,)]
    deadline = time.monotonic() + 60
    while not list(cache.glob("deployments-*.duckdb")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(list(cache.glob("deployments-*.duckdb"))) == 1
    plan = kept.plan(DataPackage.load(mini), sql, min_bytes=0)
    assert list(plan.found) == ["deployments"] and plan.missing == []
    assert run_sql(sql, mini, keep_min_bytes=0).rows == [(1,)]


def test_a_query_over_a_large_table_keeps_the_small_ones_it_reads_too(mini: Path, cache: Path) -> None:
    pkg = DataPackage.load(mini)
    size = {res.name: res.path.stat().st_size for res in pkg}
    large = size["deployments"]
    assert size["sources"] < large, size  # in the fixture, sources.csv is the smaller file
    join = "SELECT count(*) FROM deployments d JOIN sources s ON list_contains(d.source_ids, s.id)"
    assert sorted(kept.plan(pkg, join, min_bytes=large).missing) == ["deployments", "sources"]
    assert kept.plan(pkg, "SELECT count(*) FROM sources", min_bytes=large) == kept.Plan()
