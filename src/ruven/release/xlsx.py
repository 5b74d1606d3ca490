"""The journalists' workbook, written with XlsxWriter (constant-memory mode); the table rows
are rendered by DuckDB.

Sheets: ``About`` (title, version, licence, how to cite, where columns are documented, the
list of sheets: :func:`about_rows`), ``Columns`` (every column of every table with its type
and description), then one sheet per table with every row, a bold frozen header with an
AutoFilter, and each column's description as a comment on its header cell. Withdrawn rows
are kept (the sheets hold every row of the CSV) but greyed and struck through; the About
sheet says so. A table longer than a sheet allows (1,048,575 rows under the header)
continues on ``<table> (2)``, ``<table> (3)``, ...

How: XlsxWriter writes the whole workbook (sheets, styles, header rows, comments, filters,
frozen panes, document properties) with the table sheets holding their header row only.
The rows themselves are SpreadsheetML ``<row>`` elements that one SQL query per sheet
renders from the typed connection (vectorised in DuckDB: no Python work per cell), spliced
into each table sheet's ``<sheetData>`` while the file is zipped again with fixed member
times. The cells are what XlsxWriter writes: text (and ``;``-joined id lists) as inline
strings, never a formula (a cell starting with ``=`` stays text; XML-illegal control
characters are dropped as before, a carriage return and a literal ``_xHHHH_`` are escaped as
XlsxWriter escapes them), numbers and booleans as values, dates as dates with a
``yyyy-mm-dd`` format, empty cells left out (styled blanks in a withdrawn row).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruven.citation import licence_statement
from ruven.db import WITHDRAWN, all_table, citation, ident, typed_columns
from ruven.release.repro import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from ruven.release.context import BuildContext

MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows minus the header
BATCH = 20_000  # rows fetched from DuckDB at a time
ZIP64_ROWS = 100_000  # sheets with more rows are zipped with Zip64 (a member may pass 2 GiB)


def sheet_names(name: str, rows: int) -> list[str]:
    """Sheet names for a table of ``rows`` rows (continuation sheets for huge tables)."""
    n = max(1, -(-rows // MAX_ROWS))
    return [name[:31] if i == 0 else f"{name[:25]} ({i + 1})" for i in range(n)]


def about_rows(ctx: BuildContext) -> list[tuple[str, str]]:
    """The ``(key, text)`` lines at the top of the About sheet (add a line here)."""
    pkg = ctx.package
    return [
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
        ("Built", _naive(ctx.when).strftime("%Y-%m-%d") + f" from data package {ctx.package.name} {ctx.package.version}"),
    ]


@dataclass
class _Sheet:
    """A table sheet whose rows are spliced in: its zip member, table, first row and row count."""

    member: str
    table: str
    names: list[str]
    types: dict[str, str]
    offset: int
    rows: int


@dataclass
class _Styles:
    """The cell-format (xf) indices the rendered rows name (XlsxWriter numbers its formats)."""

    struck: int
    date: int
    struck_date: int


def write_workbook(ctx: BuildContext, dest: Path) -> None:
    import xlsxwriter
    from xlsxwriter.utility import xl_col_to_name

    pkg = ctx.package
    con = ctx.con
    counts = {res.name: con.execute(f"SELECT count(*) FROM {ident(all_table(res))}").fetchall()[0][0] for res in pkg}
    types = {
        (t, c): str(d)
        for t, c, d in con.execute("SELECT table_name, column_name, data_type FROM duckdb_columns()").fetchall()
    }
    sheets: list[_Sheet] = []
    with atomic_path(dest) as tmp:
        shell = tmp.with_name(tmp.name + ".shell.xlsx")
        wb = xlsxwriter.Workbook(str(shell), {"constant_memory": True, "strings_to_numbers": False})
        try:
            wb.set_properties({"title": pkg.title, "author": "ruven", "created": _naive(ctx.when)})
            bold = wb.add_format({"bold": True})
            wrap = wb.add_format({"text_wrap": True, "valign": "top"})
            struck = wb.add_format({"font_color": "#808080", "font_strikeout": True, "italic": True})
            date = wb.add_format({"num_format": "yyyy-mm-dd"})
            struck_date = wb.add_format(
                {"font_color": "#808080", "font_strikeout": True, "italic": True, "num_format": "yyyy-mm-dd"}
            )

            # About
            about = wb.add_worksheet("About")
            about.set_column(0, 0, 28)
            about.set_column(1, 1, 110)
            r = 0
            for key, value in about_rows(ctx):
                about.write_string(r, 0, key, bold)
                about.write_string(r, 1, value, wrap)
                r += 1
            r += 1
            for j, h in enumerate(("Sheet", "Rows", "Table")):
                about.write_string(r, j, h, bold)
            for res in pkg:
                for i, sheet in enumerate(sheet_names(res.name, counts[res.name])):
                    r += 1
                    about.write_string(r, 0, sheet)
                    about.write_number(r, 1, max(min(MAX_ROWS, counts[res.name] - i * MAX_ROWS), 0))
                    about.write_string(r, 2, f"{res.title}: {res.description}")

            # Columns (the codebook)
            cols_ws = wb.add_worksheet("Columns")
            for j, width in enumerate((18, 26, 12, 100)):
                cols_ws.set_column(j, j, width)
            cols_ws.freeze_panes(1, 0)
            col_rows = [
                (res.name, name, types.get((all_table(res), name), ""), comment)
                for res in pkg
                for name, _, comment in typed_columns(res)
            ]
            cols_ws.autofilter(0, 0, len(col_rows), 3)
            for j, h in enumerate(("Table", "Column", "Type", "Description")):
                cols_ws.write_string(0, j, h, bold)
            for i, row in enumerate(col_rows, start=1):
                for j, v in enumerate(row):
                    cols_ws.write_string(i, j, v)

            # One sheet per table: the header row here, the rows spliced in below
            for res in pkg:
                cols = typed_columns(res)
                names = [name for name, _, _ in cols]
                total = counts[res.name]
                for i, sheet_name in enumerate(sheet_names(res.name, total)):
                    n = max(min(MAX_ROWS, total - i * MAX_ROWS), 0)
                    ws = wb.add_worksheet(sheet_name)
                    ws.freeze_panes(1, 0)
                    ws.autofilter(0, 0, n, len(names) - 1)
                    for j, name in enumerate(names):
                        ws.set_column(j, j, _width(name))
                    for j, (name, _, comment) in enumerate(cols):
                        ws.write_string(0, j, name, bold)
                        size = {"width": 320, "height": 40 + 16 * (len(comment) // 45)}
                        ws.write_comment(0, j, comment, {"author": "ruven", **size})
                    table_types = {name: types.get((all_table(res), name), "VARCHAR") for name in names}
                    sheets.append(
                        _Sheet(f"xl/worksheets/sheet{len(wb.worksheets())}.xml", all_table(res), names, table_types, i * MAX_ROWS, n)
                    )
            # the formats only the rendered rows use get their numbers before the styles are written
            styles = _Styles(struck._get_xf_index(), date._get_xf_index(), struck_date._get_xf_index())
        finally:
            wb.close()
        try:
            _splice(ctx, shell, tmp, sheets, styles, xl_col_to_name)
        finally:
            shell.unlink(missing_ok=True)


def _naive(when: dt.datetime) -> dt.datetime:
    return when.astimezone(dt.UTC).replace(tzinfo=None)


def _width(name: str) -> float:
    return float(min(max(len(name) + 4, 12), 40))


def _splice(ctx: BuildContext, shell: Path, dest: Path, sheets: list[_Sheet], styles: _Styles, col_name: Any) -> None:
    """Copy the shell workbook into ``dest`` with every table sheet's rows rendered in, each zip
    member stamped with the build time (the same package and time give the same bytes)."""
    by_member = {s.member: s for s in sheets}
    stamp = ctx.when.astimezone(dt.UTC).timetuple()[:6]
    with zipfile.ZipFile(shell) as src, zipfile.ZipFile(dest, "w") as out:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            sheet = by_member.get(item.filename)
            if sheet is None or sheet.rows == 0:
                out.writestr(info, src.read(item.filename), compresslevel=6)
                continue
            ctx.progress(f"xlsx: {sheet.table} rows {sheet.offset + 1:,} to {sheet.offset + sheet.rows:,}")
            xml = src.read(item.filename).decode("utf-8")
            head, sep, tail = xml.partition("</sheetData>")
            if not sep:
                raise ValueError(f"{item.filename} has no sheetData")  # pragma: no cover - XlsxWriter writes one
            last = f"{col_name(len(sheet.names) - 1)}{sheet.rows + 1}"
            head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', head, count=1)
            _fast_deflate(info)  # the rows are most of the file
            with out.open(info, "w", force_zip64=sheet.rows > ZIP64_ROWS) as fh:
                fh.write(head.encode("utf-8"))
                _write_rows(ctx.con, sheet, styles, col_name, fh)
                fh.write((sep + tail).encode("utf-8"))


def _fast_deflate(info: zipfile.ZipInfo) -> None:
    """Deflate at level 1 (several times faster than the default on the rows' XML)."""
    if hasattr(info, "compress_level"):  # Python >= 3.13
        info.compress_level = 1
    else:
        info._compresslevel = 1  # type: ignore[attr-defined]  # Python 3.11, 3.12: what writestr(compresslevel=) sets


def _write_rows(con: duckdb.DuckDBPyConnection, sheet: _Sheet, styles: _Styles, col_name: Any, fh: Any) -> None:
    cur = con.cursor()  # a cursor of its own: the result is read in batches
    try:
        cur.execute(rows_sql(sheet, styles, col_name))
        while batch := cur.fetchmany(BATCH):
            fh.write("".join(r for (r,) in batch).encode("utf-8"))
    finally:
        cur.close()


# text as XlsxWriter writes an inline string: the control characters XML cannot hold dropped
# (as the openpyxl writer did), a literal _xHHHH_ escaped as _x005F_xHHHH_, a carriage return as
# _x000D_, then & < > escaped; xml:space="preserve" keeps leading and trailing spaces. Most cells
# need none of it: one scan finds those that do.
_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_NEEDS_ESCAPE = r"[\x00-\x08\x0b-\x1f&<>]|_x[0-9a-fA-F]{4}_"


def _text_sql(expr: str) -> str:
    out = f"regexp_replace({expr}, '{_ILLEGAL}', '', 'g')"
    out = f"regexp_replace({out}, '(_x[0-9a-fA-F]{{4}}_)', '_x005F\\1', 'g')"
    out = f"replace({out}, chr(13), '_x000D_')"
    out = f"replace(replace(replace({out}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
    return f"CASE WHEN regexp_matches({expr}, '{_NEEDS_ESCAPE}') THEN {out} ELSE {expr} END"


def rows_sql(sheet: _Sheet, styles: _Styles, col_name: Any) -> str:
    """One query giving the sheet's ``<row>`` elements, in the table's row order."""
    wd = f"({ident(WITHDRAWN)} IS NOT NULL)" if WITHDRAWN in sheet.names else "FALSE"
    struck = f"CASE WHEN {wd} THEN ' s=\"{styles.struck}\"' END"  # NULL is '' in concat()
    cells = []
    for j, name in enumerate(sheet.names):
        col = ident(name)
        typ = sheet.types[name]
        ref = f"'<c r=\"{col_name(j)}', __n, '\"'"
        if typ == "DATE":
            # Excel's serial day (1900 date system, with its 29 February 1900); earlier days as text
            style = f"CASE WHEN {wd} THEN '{styles.struck_date}' ELSE '{styles.date}' END"
            serial = f"{col} - CASE WHEN {col} >= DATE '1900-03-01' THEN DATE '1899-12-30' ELSE DATE '1899-12-31' END"
            value = (
                f"CASE WHEN {col} >= DATE '1900-01-01' THEN concat({ref}, ' s=\"', {style}, '\"><v>', {serial}, '</v></c>') "
                f"ELSE concat({ref}, {struck}, ' t=\"inlineStr\"><is><t>', {col}, '</t></is></c>') END"
            )
        elif typ in ("BIGINT", "INTEGER", "DOUBLE", "FLOAT") or typ.startswith("DECIMAL"):
            value = (
                f"CASE WHEN isfinite(CAST({col} AS DOUBLE)) THEN concat({ref}, {struck}, '><v>', {col}, '</v></c>') "
                f"ELSE concat({ref}, {struck}, ' t=\"inlineStr\"><is><t>', {col}, '</t></is></c>') END"
            )
        elif typ == "BOOLEAN":
            value = f"concat({ref}, {struck}, ' t=\"b\"><v>', CASE WHEN {col} THEN '1' ELSE '0' END, '</v></c>')"
        else:
            text = f"array_to_string({col}, ';')" if typ.endswith("[]") else col
            value = f"concat({ref}, {struck}, ' t=\"inlineStr\"><is><t xml:space=\"preserve\">', {_text_sql(text)}, '</t></is></c>')"
        blank = f"CASE WHEN {wd} THEN concat({ref}, ' s=\"{styles.struck}\"/>') END"
        cells.append(f"CASE WHEN {col} IS NULL THEN {blank} ELSE {value} END")
    where = f"rowid >= {sheet.offset} AND rowid < {sheet.offset + sheet.rows}"
    n = f"CAST(rowid - {sheet.offset} + 2 AS VARCHAR) AS __n"  # the row number in the sheet (header: row 1)
    body = ", ".join(cells) or "''"
    return (
        f"SELECT concat('<row r=\"', __n, '\">', {body}, '</row>') "
        f"FROM (SELECT *, {n} FROM {ident(sheet.table)} WHERE {where})"
    )


__all__ = ["MAX_ROWS", "about_rows", "rows_sql", "sheet_names", "write_workbook"]
