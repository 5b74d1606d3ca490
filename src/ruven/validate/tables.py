"""Read a resource's CSV into a columnar frame of strings, with the physical line of every row.

Shared by the vectorised structural engine (layer 1) and the pandera rules (layer 2), so that
each table is parsed once per run. The frame holds one ``String`` column per schema field
(matched by position, as frictionless does), ``""`` for an empty or missing cell, and:

- ``__line__``: the physical CSV line where the row starts (header = 1), counting the line
  breaks inside quoted cells;
- ``__cells__``: how many cells the row really has (to find ragged rows).

The fast path is polars' multi-threaded CSV reader. When the file is ragged or quoted in a way
polars refuses, the table is read with Python's csv module, which is what frictionless uses,
so both engines see the same cells (:mod:`ruven.validate.exact`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruven.package import Resource
from ruven.validate import blocks
from ruven.validate.background import InThread

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

LINE = "__line__"
CELLS = "__cells__"
#: A cell longer than this is almost certainly a paste accident (a whole document in a cell).
MAX_CELL_CHARS = 100_000


@dataclass
class Table:
    """A resource's rows as strings; ``fields`` are the schema fields present in the header."""

    resource: Resource
    labels: list[str]
    df: pl.DataFrame
    fields: list[str]
    #: (line, cells beyond the header width) of rows with extra cells
    extra_cells: list[tuple[int, list[str]]] = field(default_factory=list)
    #: problems found while parsing: (code, line, message, hint)
    parse_problems: list[tuple[str, int, str, str]] = field(default_factory=list)
    engine: str = "polars"

    @property
    def ragged(self) -> bool:
        """Whether rows may have more or fewer cells than the header (only the exact reader knows)."""
        return CELLS in self.df.columns

    @property
    def name(self) -> str:
        return self.resource.name

    def __len__(self) -> int:
        return self.df.height


def byte_counts(path: Path, needles: bytes) -> tuple[list[int], bool]:
    """How often each byte of ``needles`` occurs in the file, and whether it ends with a line
    break (read in chunks: no copy of a big file)."""
    counts = [0] * len(needles)
    last = b""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 24):
            for i, c in enumerate(blocks.count_bytes(chunk, needles)):
                counts[i] += c
            last = chunk[-1:]
    return counts, last == b"\n"


def _counts(path: Path) -> tuple[int, int, int, int, bool]:
    """(line breaks, commas, quotes, carriage returns, ends with a line break) of a file read whole."""
    (newlines, commas, quotes, crs), ends = byte_counts(path, b'\n,"\r')
    return newlines, commas, quotes, crs, ends


def load(resource: Resource) -> Table:
    """Parse the resource's CSV (already checked to be UTF-8 without BOM or NUL bytes)."""
    table = _load_polars(resource)
    if table is None:
        table = _load_python(resource, resource.path.read_bytes())
    return table


def positional_names(resource: Resource, labels: list[str]) -> list[str]:
    """Column names for the frame: schema field i for column i; extra columns get placeholders."""
    names = resource.field_names
    out = []
    for i in range(len(labels)):
        out.append(names[i] if i < len(names) else f"__extra_{i}__")
    return out


def _header(path: Path) -> list[str] | None:
    """The header row, read with the csv module (None if it spans lines or the file is empty)."""
    with path.open(encoding="utf-8", newline="") as fh:
        first = fh.readline()
    if not first.strip():
        return None
    row = next(csv.reader([first.rstrip("\r\n")]), None)
    if row is None or first.count('"') % 2:
        return None
    return row


def _load_polars(resource: Resource) -> Table | None:
    newlines, commas, quotes, crs, ends_with_newline = _counts(resource.path)
    labels = _header(resource.path)
    if labels is None or len(labels) < 2:
        return None  # multi-line or one-column header: blank lines are ambiguous; the exact reader decides
    with resource.path.open("rb") as fh:
        header = fh.readline()  # one physical line: _header refused a header that spans lines
    only_header = not header.endswith(b"\n")  # no records at all: none is missing its line break
    plain = None if crs else (resource.path.stat().st_size - len(header), quotes - header.count(b'"'))
    return _parse(resource, labels, resource.path, newlines - header.count(b"\n"), commas - header.count(b","), ends_with_newline or only_header, 2, plain=plain)


def _parse(resource: Resource, labels: list[str], source: Any, newlines: int, commas: int, ends_with_newline: bool, first_line: int, has_header: bool = True, end: int | None = None, later: list[Callable[[], bool]] | None = None, plain: tuple[int, int] | None = None) -> Table | None:
    """polars' reading of ``source`` (a file with its header, or the bytes of a run of whole
    records without it), or None when it may differ from the exact reader's. ``newlines`` and ``commas`` count the records'
    bytes (not the header's); ``first_line`` is the physical line of the first record. Bytes
    whose whole records stop at ``end``, before the start of the next record, are read as they
    are (not copied) and that record's start is dropped (it is read with the next part). With
    ``later``, the count of commas that tells whether a row is short, where the cells' lengths
    do not, is left there to run while the part is checked (it is False when the exact reader
    must read the table). ``plain`` is (bytes, quotes) of the records when they hold no
    carriage return (see :func:`_lengths_rule_out_short`)."""
    if end is not None and 0 <= end < len(source):
        tried: list[Callable[[], bool]] | None = None if later is None else []
        table = _parse(resource, labels, source, newlines, commas, ends_with_newline, first_line, has_header, -1, tried, plain)
        if table is not None:
            if later is not None and tried:
                later.extend(tried)
            return table
        # (polars refused the next record's start, or made of it anything but one row: the
        # whole records alone, as a copy)
        return _parse(resource, labels, source[:end], newlines, commas, ends_with_newline, first_line, has_header, later=later, plain=plain)
    import polars as pl

    data_n = newlines if ends_with_newline else newlines + 1
    names = positional_names(resource, labels)
    width = len(names)
    try:
        body = pl.read_csv(
            source,
            has_header=has_header,
            new_columns=names,
            infer_schema=False,
            empty_string_is_null=False,
            truncate_ragged_lines=False,
            quote_char='"',
            raise_if_empty=False,
            row_index_name=LINE,
            row_index_offset=first_line,
        )
    except Exception:  # noqa: BLE001 - any refusal sends the file to the exact (slower) reader
        return None
    if body.width != width + 1:
        return None
    if end == -1:  # the last row is the next record's start
        body = body.slice(0, max(body.height - 1, 0))
    n_records = body.height
    cells = body.select(names)
    if _lengths_rule_out_short(cells, newlines, plain):
        pass  # (the usual case: a few milliseconds a part, no thread)
    elif later is not None:
        later.append(lambda: _none_short(cells, commas))
    elif not _none_short(cells, commas):
        return None
    if data_n != n_records:
        # line breaks inside quoted cells: each row starts after those of the rows before it
        nl = body.select(pl.sum_horizontal([pl.col(c).str.count_matches("\n", literal=True) for c in names]).alias("n"))["n"]
        if data_n != n_records + int(nl.sum() or 0):
            return None  # blank lines polars skipped, CR-only endings...: let the exact reader decide
        body = body.with_columns((pl.col(LINE).cast(pl.Int64) + (nl.cum_sum() - nl).cast(pl.Int64)).alias(LINE))
    fields = [n for n in names if not n.startswith("__extra_")]
    return Table(resource, labels, body, fields)


def _lengths_rule_out_short(cells: pl.DataFrame, newlines: int, plain: tuple[int, int] | None) -> bool:
    """Whether the cells' lengths show that no row is short (False: they do not decide).
    ``plain`` is (bytes, quotes) of records without a carriage return. Reading a record drops
    only the commas outside quotes, the line break that ends it and quote characters, so those
    commas are at least bytes - cells' bytes - line breaks - quotes (a line break or a quote
    inside a cell only adds to it). If that is (width - 1) a row, which no row passes (a long
    row made polars raise), none is short. The cells' lengths are read off their offsets: no
    byte is read (counting the commas inside every cell took 0.4 s at 1M rows per table)."""
    import polars as pl

    if plain is None or not cells.height:
        return False
    size, quotes = plain
    held = sum(int(n or 0) for n in cells.select([pl.col(c).str.len_bytes().sum() for c in cells.columns]).row(0))
    return size - held - newlines - quotes == cells.height * (cells.width - 1)


def _none_short(cells: pl.DataFrame, commas: int) -> bool:
    """Whether no row of ``cells`` is short, given the commas of the records they were read
    from. polars pads a short row with "" silently; but every comma outside quotes ends a cell,
    so if the records hold exactly (width - 1) each plus those inside cells, no row is short
    (a long row made polars raise)."""
    import polars as pl

    inside = 0
    if cells.height:
        counts = cells.select([pl.col(c).str.count_matches(",", literal=True).sum() for c in cells.columns]).row(0)
        inside = sum(int(c or 0) for c in counts)
    return commas == cells.height * (cells.width - 1) + inside


#: A CSV larger than this is read and checked in parts of about this size, so that memory holds
#: one part (and the few columns the whole-table checks need), not the whole table.
PART_BYTES = 32 << 20


class PartsRefused(Exception):
    """A part of a big table is one the fast reader may read differently from the exact one
    (ragged rows, blank lines, ...): the table must be read whole, by the exact reader."""


def in_parts(resource: Resource) -> bool:
    """Whether :func:`parts` reads this table in more than one part."""
    return resource.path.stat().st_size > PART_BYTES


def parts(resource: Resource, scan: bool = False) -> Iterator[Table]:
    """The table as a sequence of Tables of consecutive rows (one for a file of at most
    ``PART_BYTES``); their ``__line__`` are the rows' lines in the whole file. Raises
    :class:`PartsRefused` (possibly after some parts) when the file needs the exact reader.
    With ``scan``, the bytes after the header are checked as they are read (no NUL byte, UTF-8
    only), for the preflight, which then need not read the file a second time; raises
    :class:`ruven.validate.blocks.BadBytes` where they are not."""
    limit = PART_BYTES
    path = resource.path
    if not in_parts(resource):
        yield load(resource)
        return
    labels = _header(path)
    if labels is None or len(labels) < 2:
        raise PartsRefused(resource.name)
    first_line = 2
    # (unbuffered: the reading thread takes no lock of Python's buffered reader, which an exit
    # while it reads, after Ctrl-C, would wait for in vain)
    with path.open("rb") as head:
        skip = len(head.readline())  # the header: _header read it
    with path.open("rb", buffering=0) as fh:
        fh.seek(skip)
        ahead = blocks.Ahead(blocks.records(fh, limit, scan))
        try:
            while (block := ahead.take()) is not None:
                chunk, end, newlines, commas, plain = block
                del block
                later: list[Callable[[], bool]] = []
                table = _parse(resource, labels, chunk, newlines, commas, chunk[end - 1 : end] == b"\n", first_line, has_header=False, end=end, later=later, plain=plain)
                del chunk
                if table is None:
                    raise PartsRefused(resource.name)
                first_line += newlines
                ahead.fetch()  # (the next block is read while this part is checked)
                none_short = [InThread(check, "ruven-rows") for check in later]  # (beside the part's checks)
                yield table
                # (let go before the next part is parsed, which then reuses its memory: held, it
                # made the parse fault in fresh pages and held two parts at once)
                del table
                if not all(check.result() for check in none_short):
                    raise PartsRefused(resource.name)
        finally:
            ahead.close()


def _load_python(resource: Resource, data: bytes) -> Table:
    """The exact reader (:mod:`ruven.validate.exact`) into a Table."""
    import polars as pl

    from ruven.validate.exact import read_rows

    rows, lines, problems = read_rows(data)
    labels = rows[0] if rows else []
    names = positional_names(resource, labels)
    width = len(names)
    body = rows[1:]
    extra: list[tuple[int, list[str]]] = []
    cols: list[list[str]] = [[] for _ in range(width)]
    cells: list[int] = []
    for line, row in zip(lines[1:], body, strict=True):
        n = len(row)
        cells.append(n)
        if n > width:
            extra.append((line, row[width:]))
        for i in range(width):
            cols[i].append(row[i] if i < n else "")
    df = pl.DataFrame({name: pl.Series(name, col, dtype=pl.String) for name, col in zip(names, cols, strict=True)})
    df = df.with_columns(pl.Series(LINE, lines[1:], dtype=pl.Int64), pl.Series(CELLS, cells, dtype=pl.Int32))
    fields = [n for n in names if not n.startswith("__extra_")]
    return Table(resource, labels, df, fields, extra, problems, engine="python-csv")
