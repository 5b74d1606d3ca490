"""A big table is checked in parts: the report is the same, finding for finding, as when the
table is read whole (planted errors of every class, parts cut through multi-line cells)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, copy_package
from ruven.package import DataPackage
from ruven.validate import tables, validate_package

TODAY = dt.date(2026, 11, 25)


def _findings(pkg: Path) -> list[tuple]:
    report = validate_package(pkg, layers=["frictionless", "pandera"], today=TODAY, cache=False)
    return [(f.resource, f.line, f.field, f.code, f.value, f.message) for f in report.findings]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "pkg"
    subprocess.run([sys.executable, str(REPO / "bench" / "make_synthetic.py"), "--rows", "400", "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return out


@pytest.mark.parametrize("part_bytes", [1500, 20_000])
def test_parts_give_the_whole_tables_findings(synthetic: Path, part_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _findings(synthetic)
    assert len(whole) > 30  # the planted errors
    monkeypatch.setattr(tables, "PART_BYTES", part_bytes)
    sizes = {res.name: res.path.stat().st_size for res in DataPackage.load(synthetic)}
    assert max(sizes.values()) > 3 * part_bytes  # several parts per fact table
    assert _findings(synthetic) == whole


@pytest.mark.parametrize("fixture", ["mini", "conformance"])
def test_fixtures_in_tiny_parts(fixture: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = copy_package(tmp_path, fixture)
    whole = _findings(pkg)
    monkeypatch.setattr(tables, "PART_BYTES", 64)
    assert _findings(pkg) == whole


def test_parts_cut_only_between_records(mini: Path, tmp_path: Path) -> None:
    """A cut never falls inside a quoted cell, even one holding line breaks and doubled quotes."""
    text = (mini / "data" / "actors.csv").read_text(encoding="utf-8")
    header, *rows = text.splitlines(keepends=True)
    tricky = 'ACT-0900,"Two\nlines, and ""quotes""",,state,RU,,,"more\n\ntext"\n'
    path = tmp_path / "actors.csv"
    path.write_text(header + "".join(rows) + tricky * 50, encoding="utf-8")
    import io

    with path.open("rb") as fh:
        fh.readline()
        chunks = list(tables._records(fh, 100))
    assert b"".join(chunks) == path.read_bytes()[len(header.encode()) :]
    import csv

    for chunk in chunks:
        assert chunk.endswith(b"\n")
        assert chunk.count(b'"') % 2 == 0
        assert all(len(r) == 8 for r in csv.reader(io.StringIO(chunk.decode())))


@pytest.mark.parametrize("repeat", [True, False])
def test_distinct_ids_either_way(mini: Path, repeat: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The distinct ids of an id-list column are the same whether its cells are made distinct
    before splitting (cells that repeat, in a big table) or split first (cells that differ)."""
    import polars as pl

    from ruven.validate import frames

    monkeypatch.setattr(frames, "SAMPLE_ROWS", 8)
    field = DataPackage.load(mini).resources["deployments"].field("source_ids")
    cells = ["SRC-0001;SRC-0002", "SRC-0003", "", "SRC-0002;SRC-0009"] * 5 if repeat else [f"SRC-{i:04};SRC-{i + 1:04}" for i in range(20)]
    df = pl.DataFrame({"source_ids": cells})
    head = df.head(frames.SAMPLE_ROWS)["source_ids"].n_unique()
    assert df.height > frames.SAMPLE_ROWS and (head * 4 < frames.SAMPLE_ROWS * 3) is repeat  # the branch this case is for
    expected = {i for cell in cells for i in cell.split(";")}
    assert set(frames.distinct_ids(df, field).to_list()) == expected
    assert frames.distinct_ids(df, field).len() == len(expected)


def test_references_into_reference_tables_are_looked_up_part_by_part(synthetic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference tables are checked whole before the big ones, so a big table's references
    into them (foreign keys, id lists) are looked up part by part: the columns kept for its
    checks across rows leave them out (at 1M rows per table that was 80 MB of the peak)."""
    from ruven.validate import rules, structural

    monkeypatch.setattr(tables, "PART_BYTES", 20_000)
    kept: set[tuple[str, str]] = set()
    check_table = structural.check_table

    def spy(pkg: object, table: tables.Table, keys: object, scope: str = "all", **kw: object) -> list:
        if scope == "across":
            kept.update((table.name, c) for c in table.df.columns)
        return check_table(pkg, table, keys, scope=scope, **kw)

    monkeypatch.setattr(structural, "check_table", spy)
    assert _findings(synthetic)  # (the planted errors)
    pkg = DataPackage.load(synthetic)
    whole = {r.name for r in pkg if rules.keep_whole(pkg, r)}
    into_whole = {(r.name, f.name) for r in pkg if r.name not in whole for f in r.fields if f.is_id_list and set(f.list_references) <= whole}
    into_whole |= {(r.name, fk.field) for r in pkg if r.name not in whole for fk in r.foreign_keys if fk.resource in whole}
    assert ("deployments", "source_ids") in into_whole and ("deployments", "actor_id") in into_whole
    assert ("deployments", "id") in kept  # (the checks across rows ran)
    assert kept & into_whole == {("statements", "speaker_id")}  # the likely-duplicate statements' key


@pytest.mark.parametrize("small", [0, tables.SMALL_BYTES])
def test_byte_counts_are_those_of_bytes_count(small: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The line breaks, commas and quotes that decide where a part ends and whether polars read
    it whole are counted by polars over the bytes in place, for a big buffer: the same counts
    as Python's own ``bytes.count``, up to any end."""
    import random

    monkeypatch.setattr(tables, "SMALL_BYTES", small)
    rng = random.Random(13)
    data = bytes(rng.choice(b'ab,\n"\r\x00\xff') for _ in range((1 << 20) + 4099))
    for end in (None, 0, 1, 4096, len(data) - 1):
        n = len(data) if end is None else end
        assert tables.count_bytes(data, b'\n,"', end) == [data.count(b"\n", 0, n), data.count(b",", 0, n), data.count(b'"', 0, n)]
