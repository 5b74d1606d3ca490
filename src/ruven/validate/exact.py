"""The exact reader of a CSV: Python's csv module, which is what frictionless uses. A table
polars may read differently (ragged rows, blank lines, quotes it refuses) is read with it, so
that both engines see the same cells (:func:`ruven.validate.tables.load`)."""

from __future__ import annotations

import csv
import io


def read_rows(data: bytes) -> tuple[list[list[str]], list[int], list[tuple[str, int, str, str]]]:
    """The rows of a CSV as Python's csv module reads them (as frictionless does), the physical
    line where each starts, and the problems found: (code, line, message, hint)."""
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
    unclosed = unclosed_quote_line(text)
    if unclosed is not None:
        problems.append(
            (
                "source-error",
                unclosed,
                "a quote opened on this line is never closed: the rest of the file was read as one cell",
                'close the quote, or double a quote that belongs in the text ("")',
            )
        )
    return rows, lines, problems


def unclosed_quote_line(text: str) -> int | None:
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
