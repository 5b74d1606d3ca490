"""The journalists' workbook, written with openpyxl (write-only mode, so big tables stream).

Sheets: ``About`` (title, version, licence, how to cite, where columns are documented, the
list of sheets), ``Columns`` (every column of every table with its type and description),
then one sheet per table with every row, a bold frozen header with an AutoFilter, and each
column's description as a comment on its header cell. Withdrawn rows are kept (the sheets
hold every row of the CSV) but greyed and struck through; the About sheet says so.

A table longer than a sheet allows (1,048,575 rows under the header) continues on
``<table> (2)``, ``<table> (3)``, ...
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruven.citation import licence_statement
from ruven.db import WITHDRAWN, all_table, citation, ident, typed_columns
from ruven.release.repro import atomic_path, normalise_zip

if TYPE_CHECKING:  # pragma: no cover
    from ruven.release.context import BuildContext

MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows minus the header
BATCH = 10_000


def sheet_names(name: str, rows: int) -> list[str]:
    """Sheet names for a table of ``rows`` rows (continuation sheets for huge tables)."""
    n = max(1, -(-rows // MAX_ROWS))
    return [name[:31] if i == 0 else f"{name[:25]} ({i + 1})" for i in range(n)]


def write_workbook(ctx: BuildContext, dest: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    pkg = ctx.package
    naive_when = ctx.when.astimezone(dt.UTC).replace(tzinfo=None)
    wb = Workbook(write_only=True)
    wb.properties.creator = "ruven"
    wb.properties.title = pkg.title
    wb.properties.created = naive_when
    wb.properties.modified = naive_when
    bold = Font(bold=True)
    struck = Font(color="808080", strike=True, italic=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    counts = {
        res.name: ctx.con.execute(f"SELECT count(*) FROM {ident(all_table(res))}").fetchall()[0][0] for res in pkg
    }

    # About
    about = wb.create_sheet("About")
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 110
    lines: list[tuple[str, str]] = [
        ("Title", pkg.title),
        ("Version", pkg.version),
        ("Licence", licence_statement(pkg)),  # the same words as the README and datasheet
        ("How to cite", citation(pkg)),
        ("Description", str(pkg.descriptor.get("description", ""))),
        (
            "Where columns are documented",
            "Each table's header cells carry the column's description as a comment (hover over the header). "
            "The sheet 'Columns' lists every column with its type and description. The same text is in "
            "schemas/<table>.json of the data package (the zip) and in the codebook.",
        ),
        (
            "Withdrawn rows",
            f"Rows with text in the `{WITHDRAWN}` column were found wrong or duplicated; they are kept for the record "
            "but shown greyed and struck through. Leave them out of counts and totals (filter `withdrawn` to blanks).",
        ),
        (
            "Dates",
            "Partial dates (YYYY, YYYY-MM, YYYY-MM-DD) are text as written; the `_min` / `_max` columns next to them give the first and last day they cover.",
        ),
        ("Lists", "Lists of ids (source_ids, about_ids) are separated by `;`."),
        ("Other files", "The release's .duckdb file opens in DuckDB 1.0.0 or later (CLI, R, Python, DBeaver); parquet/ for R (arrow) and Python; stata/<table>.dta for Stata 14 or later."),
        ("Built", naive_when.strftime("%Y-%m-%d") + f" from data package {pkg.name} {pkg.version}"),
    ]
    for key, value in lines:
        k = WriteOnlyCell(about, key)
        k.font = bold
        v = WriteOnlyCell(about, value)
        v.alignment = wrap
        about.append([k, v])
    about.append([])
    about.append([_cell(about, h, bold) for h in ("Sheet", "Rows", "Table")])
    for res in pkg:
        for i, sheet in enumerate(sheet_names(res.name, counts[res.name])):
            n = min(MAX_ROWS, counts[res.name] - i * MAX_ROWS)
            about.append([sheet, max(n, 0), f"{res.title}: {res.description}"])

    # Columns (the codebook)
    cols_ws = wb.create_sheet("Columns")
    for letter, width in zip("ABCD", (18, 26, 12, 100), strict=True):
        cols_ws.column_dimensions[letter].width = width
    cols_ws.freeze_panes = "A2"
    types = {
        (t, c): d
        for t, c, d in ctx.con.execute("SELECT table_name, column_name, data_type FROM duckdb_columns()").fetchall()
    }
    col_rows = [
        (res.name, name, str(types.get((all_table(res), name), "")), comment)
        for res in pkg
        for name, _, comment in typed_columns(res)
    ]
    cols_ws.auto_filter.ref = f"A1:D{len(col_rows) + 1}"
    cols_ws.append([_cell(cols_ws, h, bold) for h in ("Table", "Column", "Type", "Description")])
    for row in col_rows:
        cols_ws.append(list(row))

    # One sheet per table
    for res in pkg:
        cols = typed_columns(res)
        names = [name for name, _, _ in cols]
        wd = names.index(WITHDRAWN) if WITHDRAWN in names else None
        cur = ctx.con.cursor()  # a cursor of its own: the result is read in batches
        cur.execute(f"SELECT * FROM {ident(all_table(res))}")
        total = counts[res.name]
        for i, sheet_name in enumerate(sheet_names(res.name, total)):
            ctx.progress(f"xlsx: {sheet_name}")
            n = max(min(MAX_ROWS, total - i * MAX_ROWS), 0)
            ws = wb.create_sheet(sheet_name)
            ws.freeze_panes = "A2"
            ws.auto_filter.ref = f"A1:{get_column_letter(len(names))}{n + 1}"
            for j, name in enumerate(names, start=1):
                ws.column_dimensions[get_column_letter(j)].width = _width(name)
            header = []
            for name, _, comment in cols:
                c = _cell(ws, name, bold)
                note = Comment(comment, "ruven")
                note.width = 320
                note.height = 40 + 16 * (len(comment) // 45)
                c.comment = note
                header.append(c)
            ws.append(header)
            left = n
            while left > 0:
                batch = cur.fetchmany(min(BATCH, left))
                if not batch:
                    break
                left -= len(batch)
                for row in batch:
                    values = [_value(ws, v) for v in row]
                    if wd is not None and row[wd]:
                        values = [_styled(ws, v, struck) for v in values]
                    ws.append(values)
        cur.close()

    with atomic_path(dest) as tmp:
        wb.save(tmp)
        _fix_core_properties(tmp, ctx.when)


def _width(name: str) -> float:
    return float(min(max(len(name) + 4, 12), 40))


def _cell(ws: Any, value: Any, font: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    c = WriteOnlyCell(ws, value)
    c.font = font
    return c


_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _value(ws: Any, v: Any) -> Any:
    """A cell value as a spreadsheet should hold it: lists `;`-joined, text never a formula."""
    if isinstance(v, list):
        v = ";".join("" if x is None else str(x) for x in v)
    if isinstance(v, str):
        v = _ILLEGAL.sub("", v)
        if v.startswith("="):
            from openpyxl.cell import WriteOnlyCell

            c = WriteOnlyCell(ws, v)
            c.data_type = "s"  # text that looks like a formula stays text
            return c
    return v


def _styled(ws: Any, v: Any, font: Any) -> Any:
    from openpyxl.cell.cell import Cell

    if isinstance(v, Cell):
        v.font = font
        return v
    return _cell(ws, v, font)


def _fix_core_properties(path: Path, when: dt.datetime) -> None:
    """openpyxl stamps the save time into docProps/core.xml; put the build time back and fix
    the zip members' times, so the same package gives the same bytes."""
    import zipfile

    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as zf:
        core = zf.read("docProps/core.xml").decode("utf-8")
    core = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>", core)
    core = re.sub(r"(<dcterms:created[^>]*>)[^<]*(</dcterms:created>)", rf"\g<1>{stamp}\g<2>", core)
    normalise_zip(path, when, {"docProps/core.xml": core.encode("utf-8")})
