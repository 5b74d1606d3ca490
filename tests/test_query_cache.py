"""``ruven query`` keeps the loaded database by content: a later query over the same bytes opens
it read-only, and any changed byte loads the CSVs again (never a stale answer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli, set_cell
from ruven.db import cache
from ruven.package import DataPackage


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUVEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RUVEN_CACHE", raising=False)
    return tmp_path / "cache" / "db"


def _rows(pkg: Path, sql: str) -> list[dict]:
    rc, out, err = run_cli("query", "--package", str(pkg), "--format", "json", sql)
    assert rc == 0, err
    return json.loads(out)["rows"]


SQL = "SELECT id, personnel_best, start_date_min FROM deployments ORDER BY id"


def test_a_second_query_opens_the_cached_database(mini: Path, cache_dir: Path) -> None:
    first = _rows(mini, SQL)
    files = list(cache_dir.glob("*.duckdb"))
    assert len(files) == 1 and files[0].stem == cache.key(DataPackage.load(mini), False)
    files[0].touch()
    before = files[0].stat().st_mtime_ns
    assert _rows(mini, SQL) == first
    assert files[0].stat().st_mtime_ns >= before and len(list(cache_dir.glob("*.duckdb"))) == 1


def test_a_changed_byte_is_never_answered_from_the_cache(mini: Path, cache_dir: Path) -> None:
    first = _rows(mini, SQL)
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "personnel_best", "101")
    second = _rows(mini, SQL)
    assert second != first and second[0]["personnel_best"] == 101
    assert len(list(cache_dir.glob("*.duckdb"))) == 2


def test_the_cached_database_is_read_only_and_sandboxed(mini: Path, cache_dir: Path) -> None:
    _rows(mini, SQL)
    rc, _, err = run_cli("query", "--package", str(mini), "CREATE TABLE x AS SELECT 1")
    assert rc == 1 and "Traceback" not in err
    rc, _, err = run_cli("query", "--package", str(mini), "SELECT * FROM read_csv('/etc/passwd')")
    assert rc == 1 and "Traceback" not in err
    # a write the sandbox's first look lets through is refused by the read-only file, in plain words
    rc, _, err = run_cli("query", "--package", str(mini), "WITH p AS (PIVOT deployments ON status USING count(*)) INSERT INTO sources SELECT * FROM sources")
    assert rc == 1 and "the query sandbox is read-only" in err
    assert cache.key(DataPackage.load(mini), False) not in err  # no cache file name in the message


def test_a_damaged_cache_file_is_rebuilt(mini: Path, cache_dir: Path) -> None:
    first = _rows(mini, SQL)
    (file,) = cache_dir.glob("*.duckdb")
    file.write_bytes(b"not a database")
    assert _rows(mini, SQL) == first


def test_the_cache_can_be_turned_off(mini: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUVEN_CACHE", "off")
    _rows(mini, SQL)
    assert not cache_dir.exists()
