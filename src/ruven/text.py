"""Rules about text that every part applies the same way: the hygiene of a free-text cell
(``validate`` reports them, ``ruven add`` refuses a value that breaks one as it is typed) and
the line ends of a CSV file (``validate`` warns, ``fmt`` rewrites them).

A cell's hygiene, one test per finding code (:data:`HYGIENE`):

- ``whitespace``: no space or line break at the start or end;
- ``unicode-normalization``: Unicode NFC;
- ``control-character``: no C0/C1 control character other than a line break (``\\n``);
- ``invisible-character``: no bidirectional control (U+202A-U+202E, U+2066-U+2069,
  U+200E, U+200F, U+061C: they reorder how the text around them is displayed, the
  "Trojan Source" trick) and no zero-width character (U+200B-U+200D, U+2060, U+FEFF:
  they make two equal-looking values differ);
- ``formula-injection``: nothing a spreadsheet would evaluate. A cell that starts with
  ``=``, ``+``, ``@``, a tab or a carriage return is a formula to Excel and LibreOffice
  (plain numbers such as ``+5`` excepted); one that starts with ``-`` only when what follows
  would be evaluated: arithmetic (``-2+3``), a cell reference (``-A1``, ``-Sheet1!A1``), a
  function (``-SUM(A1:A2)``), a DDE call (``-cmd|' /C calc'!A0``), a bracket or another
  sign. Ordinary text such as ``-40 C at altitude``, ``- a dash`` and negative numbers
  pass. (The xlsx of a release writes every cell as text anyway; the rule protects whoever
  opens the CSV files in a spreadsheet.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

__all__ = [
    "BIDI_CONTROLS",
    "HYGIENE",
    "SUSPICIOUS",
    "ZERO_WIDTH",
    "crlf_line_ends",
    "describe",
    "hygiene_problems",
    "invisible_characters",
    "is_formula",
]

#: Characters that change the display order of the text around them.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
#: Characters that take no room: two values that look the same differ by them.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = re.compile(f"[{BIDI_CONTROLS}{ZERO_WIDTH}]")
CONTROL = r"[\x00-\x09\x0B-\x1F\x7F-\x9F]"
_CONTROL = re.compile(CONTROL)
_NUMBER = re.compile(r"(?i)^\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?\s*$")
#: What follows a leading ``-`` (spaces and further signs removed) that a spreadsheet evaluates.
_EVALUATED_AFTER_MINUS = re.compile(
    r"""
      [=@(]                                          # a formula start or a bracket: -=1, -@x, -(1+2)
    | [A-Za-z_][A-Za-z0-9_.]*[(|!]                   # a function -SUM(, DDE -cmd|, a sheet -Sheet1!A1
    | '[^']*'!                                       # a quoted sheet name: -'My sheet'!A1
    | \$?[A-Za-z]{1,3}\$?[0-9]+(?![A-Za-z0-9_])       # a cell reference -A1, -$B$2 (or a range -A1:A2)
    | (?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?%?\s*[-+*/^&=<>:]  # arithmetic -2+3, -5*A1
    """,
    re.VERBOSE,
)
#: A cell can break a hygiene rule only if this matches (one regex pass per column selects them).
SUSPICIOUS = r"^\s|\s$|[\x00-\x09\x0B-\x1F\x7F-\x9F]|^[=+\-@]|[^\x00-\x7F]"


def invisible_characters(value: str) -> list[str]:
    """The distinct bidirectional controls and zero-width characters in ``value``, in order."""
    return list(dict.fromkeys(_INVISIBLE.findall(value)))


def describe(char: str) -> str:
    """A character as ``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED CHARACTER')}"


def is_formula(value: str) -> bool:
    """True when a spreadsheet opening ``value`` would evaluate it as a formula (see the module)."""
    if not value:
        return False
    first = value[0]
    if first in "=@\t\r":
        return True
    if first == "+":
        return _NUMBER.match(value) is None
    if first != "-":
        return False
    rest = value[1:].lstrip(" ")
    while rest[:1] in ("-", "+"):  # unary signs chain: --1, -+A1
        if _NUMBER.match(rest):
            return True  # --5 is a formula, not a number
        rest = rest[1:].lstrip(" ")
    return _EVALUATED_AFTER_MINUS.match(rest) is not None


#: finding code -> the test that a cell breaks it.
HYGIENE: dict[str, Callable[[str], bool]] = {
    "whitespace": lambda v: v != v.strip(),
    "unicode-normalization": lambda v: not unicodedata.is_normalized("NFC", v),
    "control-character": lambda v: _CONTROL.search(v) is not None,
    "invisible-character": lambda v: _INVISIBLE.search(v) is not None,
    "formula-injection": is_formula,
}


def hygiene_problems(value: str) -> list[str]:
    """The codes of the hygiene rules ``value`` breaks, in :data:`HYGIENE` order."""
    return [code for code, test in HYGIENE.items() if test(value)]


def crlf_line_ends(data: bytes) -> bool:
    """True when a record of the CSV text ``data`` (a file's start) ends with CRLF.

    A CRLF inside a quoted cell is the cell's content (its carriage return is a
    ``control-character`` finding of its own), not the file's line end: quotes toggle
    between inside and outside a cell (an escaped ``""`` toggles twice), so the pieces
    between quotes at even positions are outside every cell.
    """
    pieces = data.split(b'"')
    outside = pieces[::2]
    return any(b"\r\n" in piece for piece in outside) or (len(pieces) % 2 == 1 and pieces[-1].endswith(b"\r"))
