"""How a typed value of the connection reads on a page: dates in words, ranges, numbers,
enum values with their meaning, links. Everything returns escaped HTML (``Markup``).

Dates are read with the package's EDTF code (:func:`ruven.package.date_bounds`): a value's
precision is what its bounds cover (one day, one month, one year), an interval ``A/B`` is
"between A and B". Only an http(s) URL (:func:`ruven.urls.is_link`) ever becomes an outside
link, and it carries ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from ruven.package import Field, date_bounds
from ruven.urls import is_link

__all__ = ["EXTERNAL_REL", "date_words", "external_link", "number", "plain_text", "range_text"]

#: Every link to another host carries this ``rel``.
EXTERNAL_REL = "noopener noreferrer"
#: What an empty cell says.
EMPTY = "not recorded"


def external_link(url: str, text: str | None = None) -> Markup:
    """An ``<a>`` to ``url`` when it is an http(s) URL (with ``rel="noopener noreferrer"``),
    else the escaped text."""
    label = text if text is not None else url
    if url and is_link(url):
        return Markup('<a href="{}" rel="{}">{}</a>').format(url.strip(), EXTERNAL_REL, label)
    return escape(label)


def _day(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B')} {d.year}"


def _one_date(value: str) -> str:
    bounds = date_bounds(value)
    if bounds is None:
        return value
    lo, hi = (dt.date.fromisoformat(b) for b in bounds)
    if lo == hi:
        return _day(lo)
    if (lo.year, lo.month) == (hi.year, hi.month):
        return f"{lo.strftime('%B')} {lo.year}"
    if lo.year == hi.year and (lo.month, lo.day, hi.month, hi.day) == (1, 1, 12, 31):
        return str(lo.year)
    return f"{_day(lo)} to {_day(hi)}"


def date_words(value: str | None) -> str:
    """A partial date (EDTF) in words: ``2019-03`` -> "March 2019", ``2008/2009`` -> "between
    2008 and 2009", ``2019-03-23`` -> "23 March 2019". A value that is not a date is returned as is."""
    if not value:
        return ""
    if "/" in value and date_bounds(value) is not None:
        first, last = value.split("/", 1)
        return f"between {_one_date(first)} and {_one_date(last)}"
    return _one_date(value)


def number(value: Any) -> str:
    """A number with thousands separators; a whole float without its ``.0``."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else ("yes" if value else "no")
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float):
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.6f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def range_text(low: Any, best: Any, high: Any, *, short: bool = False) -> str:
    """low/best/high as one range: "1,000 to 1,600 (best estimate 1,600)", or the best alone;
    ``short``: "1,000–1,600" (a table cell)."""
    lo, be, hi = (number(v) if v is not None else "" for v in (low, best, high))
    if short:
        if lo and hi and lo != hi:
            return f"{lo}–{hi}"
        return be or (f"≥ {lo}" if lo else f"≤ {hi}" if hi else "")
    if lo and hi and lo != hi:
        return f"{lo} to {hi}" + (f" (best estimate {be})" if be else "")
    if lo and not hi and lo != be:
        return f"at least {lo}" + (f" (best estimate {be})" if be else "")
    if hi and not lo and hi != be:
        return f"at most {hi}" + (f" (best estimate {be})" if be else "")
    return be or lo or hi


def plain_text(value: Any) -> str:
    """A value as short plain text (table cells, sorting keys)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value if v is not None)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | decimal.Decimal):
        return number(value)
    if isinstance(value, dt.date):
        return _day(value)
    return str(value)


def paragraphs(text: str) -> Markup:
    """Free text as HTML: a blank line starts a paragraph, a line break stays one."""
    parts = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    if len(parts) <= 1:
        return Markup("<br>").join(escape(line) for line in text.strip().split("\n"))
    return Markup("").join(Markup("<p>{}</p>").format(Markup("<br>").join(escape(x) for x in p.split("\n"))) for p in parts)


def link_ids(text: str, urls: Mapping[str, str], root: str) -> Markup:
    """Free text with every id of a row of the site (``DEP-0013``) turned into a link to its page."""
    out: list[Markup] = []
    pos = 0
    for m in re.finditer(r"\b[A-Z]{2,}-[0-9]+\b", text):
        if m.group(0) in urls:
            out.append(escape(text[pos : m.start()]))
            out.append(Markup('<a href="{}">{}</a>').format(root + urls[m.group(0)], m.group(0)))
            pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def enum_html(f: Field, value: str) -> Markup:
    """An enumerated value with its meaning from the schema (``x-ruven.values``)."""
    meaning = f.value_meanings.get(value, "")
    if meaning:
        return Markup('<span class="code">{}</span> <span class="meaning">{}</span>').format(value, meaning)
    return Markup('<span class="code">{}</span>').format(value)
