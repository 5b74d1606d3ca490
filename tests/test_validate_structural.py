"""Layer 1: the vectorised engine agrees with frictionless-py finding for finding."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from conftest import copy_package
from ruven.package import DataPackage
from ruven.validate import reference, structural


def _physical_lines(path: Path) -> dict[int, int]:
    """frictionless row number (header = 1) -> physical line where that record starts."""
    text = path.read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    out, prev = {}, 0
    for number, _ in enumerate(reader, start=1):
        out[number] = prev + 1
        prev = reader.line_num
    return out


def _compare(pkg_dir: Path) -> tuple[set, set]:
    pkg = DataPackage.load(pkg_dir)
    ours = {(f.resource, f.code, f.line, f.field) for f in structural.check(pkg)}
    lines = {r.name: _physical_lines(r.path) for r in pkg if r.path.exists()}
    theirs = set()
    for f in reference.check_frictionless(pkg):
        line = f.line
        if f.path.startswith("data/") and line is not None and f.resource in lines:
            line = lines[f.resource].get(line, line)
        theirs.add((f.resource, f.code, line, f.field))
    return ours, theirs


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


VARIANTS = {
    "as-is": lambda p: None,
    "crlf": lambda p: [f.write_bytes(f.read_bytes().replace(b"\n", b"\r\n")) for f in (p / "data").glob("*.csv")],
    "duplicate-label": lambda p: _edit(p / "data" / "actors.csv", "id,name,name_native", "id,name,name"),
    "incorrect-label": lambda p: _edit(p / "data" / "deployments.csv", "personnel_low", "personnel_min"),
    "missing-label": lambda p: _edit(p / "data" / "investments.csv", ",notes,withdrawn\n", ",notes\n"),
    "extra-label": lambda p: _edit(p / "data" / "statements.csv", ",withdrawn\n", ",withdrawn,extra\n"),
    "blank-label": lambda p: _edit(p / "data" / "sources.csv", ",notes\n", ",\n"),
}


@pytest.mark.parametrize("variant", list(VARIANTS), ids=list(VARIANTS))
def test_conformance_with_frictionless(tmp_path: Path, variant: str) -> None:
    pkg = copy_package(tmp_path, "conformance")
    VARIANTS[variant](pkg)
    ours, theirs = _compare(pkg)
    ours = {k for k in ours if k[1] != "line-endings"}
    theirs = {k for k in theirs if k[1] != "line-endings"}
    assert ours == theirs, {"only ruven": sorted(ours - theirs, key=str), "only frictionless": sorted(theirs - ours, key=str)}
    assert len(ours) > 40  # the fixture plants every class the engine checks


@pytest.mark.parametrize("variant", ["as-is", "crlf"])
def test_conformance_when_checking_distinct_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variant: str) -> None:
    """Big tables decide value checks on distinct values; force that path on the small fixture."""
    monkeypatch.setattr(structural, "DISTINCT_MIN_ROWS", 0)
    pkg = copy_package(tmp_path, "conformance")
    VARIANTS[variant](pkg)
    ours, theirs = _compare(pkg)
    drop = {"line-endings"}
    assert {k for k in ours if k[1] not in drop} == {k for k in theirs if k[1] not in drop}


def test_conformance_fixture_covers_every_class(tmp_path: Path) -> None:
    ours, _ = _compare(copy_package(tmp_path, "conformance"))
    codes = {k[1] for k in ours}
    assert codes >= {"type-error", "constraint-error", "unique-error", "primary-key", "foreign-key", "extra-cell", "missing-cell", "blank-row"}


def test_multiline_cells_report_physical_lines(tmp_path: Path) -> None:
    pkg = copy_package(tmp_path, "conformance")
    found = {(f.code, f.line, f.field) for f in structural.check(DataPackage.load(pkg)) if f.resource == "actors"}
    # ACT-0010 starts on physical line 16 (the record before it spans three lines); frictionless says row 14
    assert ("constraint-error", 16, "kind") in found


def test_python_reader_used_only_for_irregular_files(tmp_path: Path) -> None:
    from ruven.validate.tables import load

    pkg = DataPackage.load(copy_package(tmp_path, "mini"))
    assert load(pkg.resource("deployments")).engine == "polars"
    assert load(DataPackage.load(copy_package(tmp_path / "c", "conformance")).resource("actors")).engine == "python-csv"


@pytest.mark.parametrize("copied", ["last", "first"])
def test_a_duplicate_id_is_found_whether_the_ids_are_in_order_or_not(tmp_path: Path, copied: str) -> None:
    """Ids in order are known distinct without counting them: a copy of the last row keeps them
    in order (each id not less than the one before), a copy of the first breaks the order.
    Both duplicates are found, as frictionless finds them."""
    pkg = copy_package(tmp_path, "mini")
    path = pkg / "data" / "actors.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    ids = [r.split(",", 1)[0] for r in rows]
    assert ids == sorted(set(ids)) and len(ids) > 2  # in order, distinct
    copy = rows[-1] if copied == "last" else rows[0]
    path.write_text(header + "".join(rows) + copy, encoding="utf-8")
    ours, theirs = _compare(pkg)
    assert ours == theirs
    assert ("actors", "primary-key", len(rows) + 2, "id") in ours


def test_ids_held_by_several_rows_are_found_as_frictionless_finds_them(tmp_path: Path) -> None:
    """Repeated ids are found by sorting: an id held four times (out of order), another held
    twice, and a blank id between them give the findings of frictionless, row for row."""
    pkg = copy_package(tmp_path, "mini")
    path = pkg / "data" / "actors.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(rows) == 4
    blank_id = "," + rows[2].split(",", 1)[1]
    mixed = [rows[3], *rows, rows[0], blank_id, rows[3], rows[1], rows[3]]  # lines 2, 3-6, 7, 8, ...
    path.write_text(header + "".join(mixed), encoding="utf-8")
    ours, theirs = _compare(pkg)
    assert ours == theirs
    assert sorted(line for res, code, line, _ in ours if res == "actors" and code == "primary-key") == [6, 7, 8, 9, 10, 11]


@pytest.mark.parametrize("big_keys", [0, 1 << 18])
def test_conformance_when_looking_keys_up_in_slices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, big_keys: int) -> None:
    """References into a big table's keys are looked up in slices of keys (``not_in``), into a
    small one's in one hash table: force the first path on the small fixture (and its keys into
    slices of 3): the findings of frictionless either way."""
    from ruven.validate import frames

    monkeypatch.setattr(structural, "BIG_KEYS", big_keys)
    monkeypatch.setattr(frames, "KEY_SLICE", 3)
    ours, theirs = _compare(copy_package(tmp_path, "conformance"))
    assert any(code == "foreign-key" for _, code, _, _ in ours)
    assert {k for k in ours if k[1] != "line-endings"} == {k for k in theirs if k[1] != "line-endings"}
