"""Read a resource's CSV into a columnar frame of strings, with the physical line of every row.

Shared by the vectorised structural engine (layer 1) and the pandera rules (layer 2), so that
each table is parsed once per run. The frame holds one ``String`` column per schema field
(matched by position, as frictionless does), ``""`` for an empty or missing cell, and:

- ``__line__``: the physical CSV line where the row starts (header = 1), counting the line
  breaks inside quoted cells;
- ``__cells__``: how many cells the row really has (to find ragged rows).

The fast path is polars' multi-threaded CSV reader. When the file is ragged or quoted in a way
polars refuses, the table is read with Python's csv module, which is what frictionless uses,
so both engines see the same cells.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ruven.package import Resource

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
    def name(self) -> str:
        return self.resource.name

    def __len__(self) -> int:
        return self.df.height


def load(resource: Resource, data: bytes | None = None) -> Table:
    """Parse the resource's CSV (already checked to be UTF-8 without BOM or NUL bytes)."""
    if data is None:
        data = resource.path.read_bytes()
    table = _load_polars(resource, data)
    if table is None:
        table = _load_python(resource, data)
    return table


def _positional_names(resource: Resource, labels: list[str]) -> list[str]:
    """Column names for the frame: schema field i for column i; extra columns get placeholders."""
    names = resource.field_names
    out = []
    for i in range(len(labels)):
        out.append(names[i] if i < len(names) else f"__extra_{i}__")
    return out


def _load_polars(resource: Resource, data: bytes) -> Table | None:
    import polars as pl

    if not data.endswith(b"\n"):
        data_n = data.count(b"\n") + 1
    else:
        data_n = data.count(b"\n")
    try:
        raw = pl.read_csv(
            data,
            has_header=False,
            infer_schema=False,
            empty_string_is_null=False,
            truncate_ragged_lines=False,
            quote_char='"',
            raise_if_empty=False,
        )
    except Exception:  # noqa: BLE001 - any refusal sends the file to the exact (slower) reader
        return None
    if raw.height == 0:
        return None
    labels = [v if v is not None else "" for v in raw.row(0)]
    if any("\n" in lb or "\r" in lb for lb in labels):
        return None
    names = _positional_names(resource, labels)
    raw.columns = names
    width = len(names)
    body = raw.slice(1)
    # Ragged rows: polars pads short rows with "" silently. Every separator outside quotes
    # belongs to a row, so if the file has exactly (width - 1) per record plus those inside
    # cells, no row is short (long rows already made polars raise).
    n_records = raw.height
    inside = 0
    has_newline_cells = False
    if body.height:
        counts = raw.select([pl.col(c).str.count_matches(",", literal=True).sum().alias(c) for c in names]).row(0)
        inside = sum(int(c or 0) for c in counts)
    if data.count(b",") != n_records * (width - 1) + inside:
        return None
    # A line holding only a quote-free empty string is a blank row for both readers; a row
    # that polars sees as one empty cell while the header has more columns is a short row.
    if data_n != n_records:
        nl = raw.select(pl.sum_horizontal([pl.col(c).str.count_matches("\n", literal=True) for c in names]).alias("n"))["n"]
        extra_lines = int(nl.sum() or 0)
        if data_n != n_records + extra_lines:
            return None  # blank lines polars skipped, CR-only endings...: let the exact reader decide
        starts = (nl.cum_sum() - nl).cast(pl.Int64) + pl.int_range(1, n_records + 1, eager=True).cast(pl.Int64)
        has_newline_cells = True
    if has_newline_cells:
        body = body.with_columns(starts.slice(1).alias(LINE))
    else:
        body = body.with_columns(pl.int_range(2, n_records + 1, dtype=pl.Int64, eager=True).alias(LINE))
    body = body.with_columns(pl.lit(width, dtype=pl.Int32).alias(CELLS))
    if width == 1:
        return None  # a one-column file: blank lines are ambiguous; the exact reader decides
    fields = [n for n in names if not n.startswith("__extra_")]
    return Table(resource, labels, body, fields)


def _load_python(resource: Resource, data: bytes) -> Table:
    """The exact reader: Python's csv module, as frictionless reads CSV."""
    import polars as pl

    text = data.decode("utf-8")
    csv.field_size_limit(2**31 - 1)
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[tuple[str, int, str, str]] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    prev_end = 0
    try:
        for row in reader:
            rows.append(row)
            lines.append(prev_end + 1)
            prev_end = reader.line_num
    except csv.Error as exc:  # pragma: no cover - non-strict csv rarely raises
        problems.append(("source-error", prev_end + 1, f"the CSV cannot be parsed here: {exc}", "check the quoting of this line"))
    # an opening quote that is never closed swallows the rest of the file into one cell
    unclosed = _unclosed_quote_line(text)
    if unclosed is not None:
        problems.append(
            (
                "source-error",
                unclosed,
                "a quote opened on this line is never closed: the rest of the file was read as one cell",
                'close the quote, or double a quote that belongs in the text ("")',
            )
        )
    labels = rows[0] if rows else []
    names = _positional_names(resource, labels)
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


def _unclosed_quote_line(text: str) -> int | None:
    """Line where an unterminated quoted cell starts, if the file ends inside quotes."""
    if text.count('"') % 2 == 0:
        return None
    # walk the quotes: a quote opens a cell at a field start; find the last opening
    inside = False
    start = 0
    line = 1
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
        elif ch == '"':
            if inside:
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    inside = False
            else:
                inside = True
                start = line
        i += 1
    return start if inside else None


def read_column_values(resource: Resource, field_name: str) -> Any:
    """The values of one column (as strings) without keeping the rest of the table."""
    import polars as pl

    t = load(resource)
    if field_name not in t.df.columns:
        return pl.Series(field_name, [], dtype=pl.String)
    return t.df.get_column(field_name)
