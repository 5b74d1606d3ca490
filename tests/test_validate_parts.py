"""A big table is checked in parts: the report is the same, finding for finding, as when the
table is read whole (planted errors of every class, parts cut through multi-line cells)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_package, row_findings
from ruven.package import DataPackage
from ruven.validate import blocks, tables


@pytest.mark.parametrize("part_bytes", [1500, 20_000])
def test_parts_give_the_whole_tables_findings(synthetic: Path, part_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = row_findings(synthetic)
    assert len(whole) > 30  # the planted errors
    monkeypatch.setattr(tables, "PART_BYTES", part_bytes)
    sizes = {res.name: res.path.stat().st_size for res in DataPackage.load(synthetic)}
    assert max(sizes.values()) > 3 * part_bytes  # several parts per fact table
    assert row_findings(synthetic) == whole


@pytest.mark.parametrize("fixture", ["mini", "conformance"])
def test_fixtures_in_tiny_parts(fixture: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = copy_package(tmp_path, fixture)
    whole = row_findings(pkg)
    monkeypatch.setattr(tables, "PART_BYTES", 64)
    assert row_findings(pkg) == whole


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
        got = [(block[:end], newlines, commas, plain) for block, end, newlines, commas, plain in blocks.records(fh, 100)]
    chunks = [chunk for chunk, *_ in got]
    assert len(chunks) > 50 and max(map(len, chunks)) <= 200  # (cut near the size asked for, not read whole)
    assert b"".join(chunks) == path.read_bytes()[len(header.encode()) :]
    # (a cut tried after an odd count of quotes is counted again from the bytes it leaves out:
    # the counts are those of the records kept)
    assert [(n, c, p) for _, n, c, p in got] == [(ch.count(b"\n"), ch.count(b","), (len(ch), ch.count(b'"'))) for ch in chunks]
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
    assert row_findings(synthetic)  # (the planted errors)
    pkg = DataPackage.load(synthetic)
    whole = {r.name for r in pkg if rules.keep_whole(pkg, r)}
    into_whole = {(r.name, f.name) for r in pkg if r.name not in whole for f in r.fields if f.is_id_list and set(f.list_references) <= whole}
    into_whole |= {(r.name, fk.field) for r in pkg if r.name not in whole for fk in r.foreign_keys if fk.resource in whole}
    assert ("deployments", "source_ids") in into_whole and ("deployments", "actor_id") in into_whole
    assert ("deployments", "id") in kept  # (the checks across rows ran)
    assert kept & into_whole == {("statements", "speaker_id")}  # the likely-duplicate statements' key


@pytest.mark.parametrize(("small", "count_slice"), [(0, blocks.COUNT_SLICE), (0, 4093), (blocks.SMALL_BYTES, blocks.COUNT_SLICE)])
def test_byte_counts_are_those_of_bytes_count(small: int, count_slice: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The line breaks, commas and quotes that decide where a part ends and whether polars read
    it whole are counted by polars over the bytes in place, a slice at a time, for a big
    buffer: the same counts as Python's own ``bytes.count``, up to any end."""
    import random

    monkeypatch.setattr(blocks, "SMALL_BYTES", small)
    monkeypatch.setattr(blocks, "COUNT_SLICE", count_slice)
    rng = random.Random(13)
    data = bytes(rng.choice(b'ab,\n"\r\x00\xff') for _ in range((1 << 20) + 4099))
    for end in (None, 0, 1, 4096, len(data) - 1):
        n = len(data) if end is None else end
        assert blocks.count_bytes(data, b'\n,"', end) == [data.count(b"\n", 0, n), data.count(b",", 0, n), data.count(b'"', 0, n)]


def test_both_layers_side_by_side_give_the_findings_of_one_thread(synthetic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big table's parts are checked by layer 1 in a second thread while layer 2 runs: the
    same findings, in the same order, as one thread doing one layer after the other."""
    from ruven.validate import row_checks

    monkeypatch.setattr(tables, "PART_BYTES", 20_000)
    monkeypatch.setenv("RUVEN_THREADS", "1")
    alone = row_findings(synthetic)
    monkeypatch.delenv("RUVEN_THREADS")
    monkeypatch.setattr(row_checks, "SIDE_BY_SIDE_ROWS", 1)
    threads: list[str] = []
    start = row_checks.threading.Thread.start

    def spy(self: row_checks.threading.Thread) -> None:
        threads.append(self.name)
        start(self)

    monkeypatch.setattr(row_checks.threading.Thread, "start", spy)
    assert row_findings(synthetic) == alone
    assert threads.count("ruven-layer1") > 10  # (every part of every big table)


def test_side_by_side_waits_for_both_and_raises_what_the_second_thread_raised() -> None:
    """Layer 1's thread is waited for (a slow one too), and an error in it reaches the caller,
    once layer 2 is done."""
    import time

    from ruven.validate.row_checks import _side_by_side

    done: list[str] = []

    def slow(fail: bool) -> None:
        time.sleep(0.2)
        if fail:
            raise ValueError("layer 1")
        done.append("layer 1")

    _side_by_side(lambda: slow(False), lambda: done.append("layer 2"), threaded=True)
    assert sorted(done) == ["layer 1", "layer 2"]
    with pytest.raises(ValueError, match="layer 1"):
        _side_by_side(lambda: slow(True), lambda: done.append("layer 2"), threaded=True)
    assert done[2:] == ["layer 2"]
    _side_by_side(lambda: done.append("one"), lambda: done.append("two"), threaded=False)
    assert done[3:] == ["one", "two"]


@pytest.mark.parametrize("refused", [False, True])
@pytest.mark.parametrize("name", ["statements", "deployments"])
def test_each_part_is_read_once_and_parsed_as_read(synthetic: Path, name: str, refused: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each part's bytes are read from the file once and handed to polars as they are: the
    start of the next record at their end is dropped from what polars read, not cut off by a
    copy or sent to the exact reader. Where polars refuses that start (``refused``), the whole
    records alone are read, as a copy. Either way the rows are those of the whole table."""
    import polars as pl

    res = DataPackage.load(synthetic).resources[name]
    whole = tables.load(res).df
    monkeypatch.setattr(tables, "PART_BYTES", 20_000)
    read_blocks: list[bytes] = []
    copies: list[int] = []
    records, parse = blocks.records, tables._parse

    def read(fh: object, size: int, scan: bool = False) -> object:
        import io

        assert isinstance(fh, io.FileIO)  # unbuffered: an exit while the second thread reads must not wait for a lock of Python's buffered reader
        for block, *counts in records(fh, size, scan):
            read_blocks[:] = [block]
            yield block, *counts

    def spy(resource: object, labels: list[str], source: object, *args: object, **kw: object) -> object:
        if isinstance(source, bytes) and source is not read_blocks[0]:
            copies.append(len(source))
        if refused and args[5:6] == (-1,):  # (the next record's start read with the whole records)
            return None
        return parse(resource, labels, source, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(blocks, "records", read)
    monkeypatch.setattr(tables, "_parse", spy)
    parts = [part.df for part in tables.parts(res)]
    assert len(parts) > 3
    assert pl.concat(parts).equals(whole)
    assert len(copies) == (len(parts) - 1 if refused else 0)  # (the last part ends the file)


@pytest.mark.parametrize("threads", ["1", ""])
def test_blocks_read_ahead_in_order_and_errors_reach_the_reader(threads: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next block is read in a second thread while a part is checked (``RUVEN_THREADS=1``:
    in the caller's thread): the blocks come in order, and an error in reading one is raised
    where it is taken."""
    import threading

    monkeypatch.setenv("RUVEN_THREADS", threads)
    readers: list[str] = []

    def made() -> object:
        for i in range(3):
            readers.append(threading.current_thread().name)
            yield b"x" * i, i
        raise OSError("the disk went away")

    ahead = blocks.Ahead(made())  # type: ignore[arg-type]
    got = [ahead.take()]
    for _ in range(2):
        ahead.fetch()
        got.append(ahead.take())
    ahead.fetch()
    with pytest.raises(OSError, match="went away"):
        ahead.take()
    ahead.close()
    assert got == [(b"", 0), (b"x", 1), (b"xx", 2)]
    main = threading.current_thread().name
    assert readers == [main] * 3 if threads == "1" else readers == ["ruven-read"] * 3


@pytest.mark.parametrize("threads", ["1", ""])
def test_a_short_row_in_a_part_sends_the_table_to_the_exact_reader(synthetic: Path, tmp_path: Path, threads: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """polars pads a short row silently: a part whose commas do not add up to whole rows (the
    check runs while the part is checked) sends the table to the exact reader, which reports
    the missing cells, as when the table is read whole."""
    import shutil

    pkg = tmp_path / "pkg"
    shutil.copytree(synthetic, pkg)
    path = pkg / "data" / "deployments.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    middle = len(lines) // 2
    lines[middle] = lines[middle].rsplit(",", 3)[0] + "\n"  # (three cells short)
    path.write_text("".join(lines), encoding="utf-8")
    monkeypatch.setenv("RUVEN_THREADS", threads)
    whole = row_findings(pkg)
    assert ("deployments", middle + 1, "missing-cell") in {(r, line, code) for r, line, _, code, _, _ in whole}
    monkeypatch.setattr(tables, "PART_BYTES", 20_000)
    assert row_findings(pkg) == whole


def test_ctrl_c_waits_for_the_block_being_read(synthetic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while a big table is checked: the block being read in the second thread is
    waited for before validation ends (an exit while that thread still reads would abort
    Python itself, "could not acquire lock ... at interpreter shutdown")."""
    import threading
    import time

    from ruven.validate import structural

    monkeypatch.setattr(tables, "PART_BYTES", 20_000)
    records = blocks.records

    def slow(fh: object, size: int, scan: bool = False) -> object:
        for block in records(fh, size, scan):
            time.sleep(1.0)  # (a slow disk)
            yield block

    calls: list[int] = []
    check_table = structural.check_table

    def interrupted(*args: object, **kw: object) -> list:
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return check_table(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(blocks, "records", slow)
    monkeypatch.setattr(structural, "check_table", interrupted)
    with pytest.raises(KeyboardInterrupt):
        row_findings(synthetic)
    assert [t.name for t in threading.enumerate() if t.name == "ruven-read"] == []


def test_a_short_read_is_not_taken_for_the_end_of_the_file() -> None:
    """An unbuffered read may return fewer bytes than asked: the rest is read before a block
    shorter than asked is taken for the file's end."""
    import io

    class Trickle(io.BytesIO):
        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # (at most 7 bytes a call)
            with memoryview(buffer)[:7] as head:
                return super().readinto(head)

    data = bytes(range(256)) * 4
    assert blocks.Reader(Trickle(data)).read(1000) == data[:1000]
    assert blocks.Reader(Trickle(data)).read(5000) == data
    assert blocks.Reader(Trickle(b"")).read(10) == b""


def test_a_part_is_let_go_before_the_next_is_parsed(synthetic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the checks let a part go, nothing holds it while the next part is parsed: the parse
    takes the memory the part held (held, it took pages the kernel had to fault in, and memory
    held two parts at once)."""
    import weakref

    res = DataPackage.load(synthetic).resources["deployments"]
    monkeypatch.setattr(tables, "PART_BYTES", 20_000)
    yielded: list[weakref.ref[tables.Table]] = []
    held: list[bool] = []
    parse = tables._parse

    def spy(*args: object, **kw: object) -> object:
        held.append(bool(yielded) and yielded[-1]() is not None)
        return parse(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(tables, "_parse", spy)
    for part in tables.parts(res):
        yielded.append(weakref.ref(part))
        del part
    assert len(yielded) > 3 and len(held) >= len(yielded) and not any(held)


def test_blocks_read_into_the_same_memory_stay_as_read() -> None:
    """Each block is read into the memory of the one before: a block let go is overwritten,
    one still held keeps its bytes, and a block of another size gets memory of its own."""
    import io

    data = (bytes(range(256)) * 20)[:5000]
    reader = blocks.Reader(io.BytesIO(data))
    held = reader.read(1000)
    second = reader.read(1000)  # (the first is still held: the memory is copied away first)
    assert held == data[:1000] and second == data[1000:2000]
    assert _address(second) != _address(held)
    address = _address(second)
    del held, second
    third = reader.read(1000)  # (nothing holds the second: its memory is read into)
    assert _address(third) == address and third == data[2000:3000]
    del third
    assert reader.read(500) == data[3000:3500]  # (another size: memory of its own)
    assert reader.read(1000) == data[3500:4500]
    assert reader.read(1000) == data[4500:]  # (the file's end)


def _address(data: bytes) -> int:
    """Where a bytes object's contents lie (numpy reads it without a copy)."""
    import numpy as np

    return int(np.frombuffer(data, dtype=np.uint8).ctypes.data)


@pytest.mark.parametrize("scan_bytes", [5, 16, 1 << 24])
def test_bytes_are_scanned_the_same_in_any_chunks(mini: Path, scan_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The preflight reads a file a chunk at a time into one buffer: a character split between
    two chunks is no problem, and a Latin-1 byte or a NUL in a later chunk is found at its line,
    with the bytes it read there."""
    from ruven.validate import preflight

    monkeypatch.setattr(preflight, "SCAN_BYTES", scan_bytes)
    res = DataPackage.load(mini).resources["actors"]
    good = "id,name\nACT-0001,Caf\u00e9 \u0436\u0436\u0436\n".encode()
    for body, line, value in ((good, None, None), (good + "ACT-0002,Caf\xe9\n".encode("latin-1"), 3, "b'\\xe9\\n'"), (good + b"x\nACT-0003,A\x00B\n", 4, "")):
        res.path.write_bytes(body)
        found = preflight._scan_bytes(res)
        if line is None:
            assert found is None
            continue
        assert found is not None and found.line == line and found.value == value


@pytest.mark.parametrize("alone", [True, False])
@pytest.mark.parametrize("id_rows", [7, 1 << 18])
def test_id_lists_across_rows_in_slices_give_the_whole_tables_findings(synthetic: Path, id_rows: int, alone: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The id lists checked across rows (into the fact tables) are split a slice of rows at a
    time, and their ids looked up a slice at a time or, the checks run alone, all at once:
    the same findings as one slice, and as the tables read whole."""
    from ruven.validate import frames

    whole = row_findings(synthetic)
    assert any(code == "foreign-key" and field in ("about_ids", "related_ids", "overlaps_ids") for _, _, field, code, _, _ in whole)
    monkeypatch.setattr(tables, "PART_BYTES", 20_000)
    monkeypatch.setattr(frames, "ID_ROWS", id_rows)
    init = frames.Memo.__init__

    def memo(self: frames.Memo, *args: object, **kw: object) -> None:
        init(self, *args, **kw)  # type: ignore[arg-type]
        self.alone = alone

    monkeypatch.setattr(frames.Memo, "__init__", memo)
    assert row_findings(synthetic) == whole


@pytest.mark.parametrize(
    ("records", "short", "by_lengths"),
    [
        (b'1,a,b\n2,"x,y",c\n3,"",d\n', False, True),
        (b'1,a,b\n2,"say ""hi""",c\n', False, False),  # (quotes inside a cell: the commas are counted)
        (b'1,a,b\n2,"line\nbreak, and more",c\n', False, False),  # (a line break inside a cell: the same)
        (b'1,"",b\n2,,\n3,"""",e\n', False, False),
        (b"1,a,b\n2,c\n3,d,e\n", True, False),
        (b'1,a,b\n2,"x,y"\n3,d,e\n', True, False),  # a short row, and a comma inside a cell
        (b'1,a,\n2,"a ""quoted"" word"\n', True, False),  # a short row, and quotes inside a cell
        (b"1,a,\n2,\n", True, False),
    ],
)
def test_short_rows_are_found_from_the_cells_lengths_or_their_commas(records: bytes, short: bool, by_lengths: bool) -> None:
    """A part's short rows: the cells' lengths tell there is none (``plain``), or the commas
    inside the cells are counted; either way a short row sends the table to the exact reader."""
    from types import SimpleNamespace

    res = SimpleNamespace(field_names=["id", "name", "note"], name="t")
    args = (res, ["id", "name", "note"], records, records.count(b"\n"), records.count(b","), True, 2)
    plain = (len(records), records.count(b'"'))
    for given in (None, plain):
        assert (tables._parse(*args, has_header=False, plain=given) is None) == short, given  # type: ignore[arg-type]
    if not short:  # where the lengths decide, the commas are not looked at
        cells = tables._parse(*args, has_header=False).df.drop(tables.LINE)  # type: ignore[arg-type,union-attr]
        assert tables._lengths_rule_out_short(cells, records.count(b"\n"), plain) == by_lengths


@pytest.mark.parametrize("size", [8, 1 << 10])
def test_a_block_with_a_carriage_return_is_not_plain(size: int) -> None:
    """The cells' lengths rule short rows out only where a block holds no carriage return: a
    CRLF line end is one byte more outside the cells, as many as a missing cell's comma, so a
    part whose rows miss as many commas as it has rows would pass for whole rows."""
    import io
    from types import SimpleNamespace

    lf, crlf = b"1,a,b\n2,c,d\n" * 3, b"1,a,b\r\n2\r\n" * 3  # (every other row two cells short)
    for data, plain in ((lf, True), (crlf, False)):
        got = list(blocks.records(io.BytesIO(data), size))
        assert b"".join(block[:end] for block, end, *_ in got) == data
        assert all((block[4] is not None) == plain for block in got)
    res = SimpleNamespace(field_names=["id", "name", "note"], name="t")
    args = (res, ["id", "name", "note"], crlf, crlf.count(b"\n"), crlf.count(b","), True, 2)
    assert tables._parse(*args, has_header=False) is None  # (the commas tell: short rows)
    assert tables._parse(*args, has_header=False, plain=(len(crlf), 0)) is not None  # (taken for plain, the lengths would be fooled)
