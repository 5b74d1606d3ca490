"""EDTF dates: the one place a date cell is parsed into its bounds.

The ``edtf`` library's level-0 grammar is the definition of a valid value. Parsing with it
costs 0.5-2 ms a value (a pyparsing grammar) and importing it 0.2-0.4 s, which was a third
of validating the whole package. So the plain shapes that make up all the data
(``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` and ``A/B`` of two of them, each a real calendar day)
are read straight from the pattern's groups by :func:`_plain`, and every other value (the
ones the grammar rejects) goes through the library for its verdict.
``tests/test_dates.py`` holds the two to the same answer on every value of the package and
on generated values of every shape, valid and not.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from functools import lru_cache

#: The EDTF shapes this package uses (EDTF level 0 without times): ``YYYY``, ``YYYY-MM``,
#: ``YYYY-MM-DD`` and an interval ``A/B`` of two of them. A cheap pre-filter only: the EDTF
#: library parses and checks every value (:func:`date_problem`).
PARTIAL_DATE_RE = re.compile(r"^[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?(?:/[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?)?$")


_PART = r"([0-9]{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12][0-9]|3[01]))?)?"
_PLAIN_RE = re.compile(rf"^{_PART}(?:/{_PART})?$")


def _first_day(year: str, month: str | None, day: str | None) -> dt.date:
    return dt.date(int(year), int(month or 1), int(day or 1))


def _last_day(year: str, month: str | None, day: str | None) -> dt.date:
    y, m = int(year), int(month or 12)
    return dt.date(y, m, int(day) if day else calendar.monthrange(y, m)[1])


def _plain(value: str) -> tuple[str, str] | None:
    """Bounds of a value of the plain shapes whose days exist and are in order, else None
    (then the library decides, and says why)."""
    m = _PLAIN_RE.match(value)
    if m is None:
        return None
    g = m.groups()
    try:
        lo = _first_day(*g[:3])
        hi = _last_day(*(g[3:] if g[3] else g[:3]))
    except ValueError:  # a day that does not exist in its month
        return None
    return (lo.isoformat(), hi.isoformat()) if lo <= hi else None


@lru_cache(maxsize=1 << 16)
def _edtf(value: str) -> tuple[str, str] | str:
    plain = _plain(value)
    return plain if plain is not None else library_bounds(value)


def library_bounds(value: str) -> tuple[str, str] | str:
    """``(first day, last day)`` of an EDTF date or interval, or why it is not one, as the
    EDTF library says (the reference :func:`_plain` is tested against).

    Parsed with the EDTF library's level-0 grammar (dates and ``A/B`` intervals: the subset
    the data model allows); the bounds it gives are then checked to be real calendar days
    (the grammar alone accepts 2019-02-29) and in order."""
    if not PARTIAL_DATE_RE.match(value):
        return "it is not written YYYY, YYYY-MM, YYYY-MM-DD or an interval A/B of two of them"
    from edtf.parser.grammar import ParseException, level0Expression

    try:
        parsed = level0Expression.parse_string(value, parse_all=True)[0]
    except ParseException:
        return "it is not a valid EDTF date (a month 01-12 and a day that exists)"
    try:
        lo = dt.date(*parsed.lower_strict()[:3])
        hi = dt.date(*parsed.upper_strict()[:3])
    except ValueError:
        return "it is not a real calendar date (that day does not exist in that month)"
    if hi < lo:
        return "its interval ends before it starts (write the earlier date first: A/B)"
    return lo.isoformat(), hi.isoformat()


def date_problem(value: str) -> str | None:
    """Why ``value`` is not an EDTF date or interval of this package's subset, or None."""
    out = _edtf(value or "")
    return out if isinstance(out, str) else None


def date_bounds(value: str) -> tuple[str, str] | None:
    """First and last calendar day an EDTF date or interval covers, or None if it is not one.

    >>> date_bounds("2019-02")
    ('2019-02-01', '2019-02-28')
    >>> date_bounds("2009-08/2010-04")
    ('2009-08-01', '2010-04-30')
    """
    out = _edtf(value or "")
    return None if isinstance(out, str) else out


__all__ = ["PARTIAL_DATE_RE", "date_bounds", "date_problem", "library_bounds"]
