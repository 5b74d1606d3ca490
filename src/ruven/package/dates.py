"""EDTF dates: the one place a date cell is parsed (with the ``edtf`` library) into its bounds."""

from __future__ import annotations

import re
from functools import lru_cache

#: The EDTF shapes this package uses (EDTF level 0 without times): ``YYYY``, ``YYYY-MM``,
#: ``YYYY-MM-DD`` and an interval ``A/B`` of two of them. A cheap pre-filter only: the EDTF
#: library parses and checks every value (:func:`date_problem`).
PARTIAL_DATE_RE = re.compile(r"^[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?(?:/[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?)?$")


@lru_cache(maxsize=1 << 16)
def _edtf(value: str) -> tuple[str, str] | str:
    """``(first day, last day)`` of an EDTF date or interval, or why it is not one.

    Parsed with the EDTF library's level-0 grammar (dates and ``A/B`` intervals: the subset
    the data model allows); the bounds it gives are then checked to be real calendar days
    (the grammar alone accepts 2019-02-29) and in order."""
    import datetime as dt

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


__all__ = ["PARTIAL_DATE_RE", "date_bounds", "date_problem"]
