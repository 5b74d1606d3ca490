"""Insert rows into a CSV file's text at their primary-key place, every other byte unchanged.

``ruven add`` writes this way so that a data change shows in git as exactly the rows added
(the file keeps its byte-order mark, line ends and quoting as they were).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from ruven.canonical import csv_line
from ruven.package import Resource

__all__ = ["insert_rows", "line_ids"]


@dataclass
class _Parsed:
    text: str
    bom: bool
    terminator: str
    header: list[str]
    #: (primary key, start offset, physical start line) of each record
    records: list[tuple[tuple[str, ...], int, int]]
    ends_with_newline: bool


def _parse(text: str, res: Resource) -> _Parsed:
    bom = text.startswith("\ufeff")
    body = text[1:] if bom else text
    lines = io.StringIO(body, newline="").readlines()
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    reader = csv.reader(iter(lines))
    header = next(reader, None) or []
    header_end = reader.line_num
    pk = [header.index(k) for k in res.primary_key if k in header]
    records = []
    prev = header_end
    for rec in reader:
        if rec:
            key = tuple(rec[i] if i < len(rec) else "" for i in pk)
            records.append((key, offsets[prev], prev + 1))
        prev = reader.line_num
    term = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    return _Parsed(body, bom, term, header, records, body.endswith(("\n", "\r")) or not body)


def insert_rows(text: str, res: Resource, rows: list[dict[str, str]]) -> tuple[str, list[int]]:
    """``text`` with ``rows`` inserted at their primary-key place; other bytes unchanged.

    Returns the new text and the physical line of each inserted row.
    """
    for row in rows:
        p = _parse(text, res)
        if not p.header:
            p.text = csv_line(res.field_names)
            p.header = list(res.field_names)
            p.ends_with_newline = True
        line = csv_line([row.get(h, "") for h in p.header])
        if p.terminator != "\n":
            line = line[:-1] + p.terminator
        key = tuple(row.get(k, "") for k in res.primary_key)
        at = next(((off, ln) for k, off, ln in p.records if k > key), None)
        if at is None:
            body = p.text if p.ends_with_newline else p.text + p.terminator
            body = body + line
        else:
            body = p.text[: at[0]] + line + p.text[at[0] :]
        text = ("\ufeff" if p.bom else "") + body
    # lines of the inserted rows in the final text
    final = _parse(text, res)
    pk_of = {tuple(r.get(k, "") for k in res.primary_key): None for r in rows}
    found = {k: ln for k, _, ln in final.records if k in pk_of}
    return text, [found.get(tuple(r.get(k, "") for k in res.primary_key), 0) for r in rows]


def line_ids(text: str, res: Resource) -> dict[int, str]:
    """Physical start line -> primary key (joined) of every record."""
    return {ln: ";".join(k) for k, _, ln in _parse(text, res).records}


