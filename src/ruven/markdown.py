"""Markdown tables: the one escaper for a cell and the one table writer (``tabulate``).

Used by the generated docs and by the CLI's Markdown output (``ruven diff --format markdown``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["cell", "code", "table"]


def cell(value: Any, *, newline: str = " ") -> str:
    """Text safe inside a Markdown table cell: backslashes and pipes escaped, line breaks
    replaced by ``newline`` (a space, or ``<br>`` where a break should show)."""
    text = str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\n", newline).strip()


def code(value: Any) -> str:
    """``value`` as inline code (double backticks when it holds a backtick)."""
    s = str(value)
    return f"`` {s} ``" if "`" in s else f"`{s}`"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], align: Sequence[str] | None = None) -> str:
    """A GitHub-flavoured Markdown table. Cells are used as given: escape text with
    :func:`cell` first. ``align`` is ``left``/``right``/``center`` per column."""
    from tabulate import tabulate

    body = [[str(c) for c in r] for r in rows]
    return tabulate(body, headers=list(headers), tablefmt="pipe", disable_numparse=True, colalign=tuple(align) if align else None)
