"""At most so many findings of one kind per table, so that a report stays readable and memory
stays bounded however many rows break a rule.

A kind is (layer, code, field) within one table: a pattern that no longer matches ten million
ids is one problem seen ten million times. The first ``per_kind`` rows of a kind are listed,
as found (in file order); the rest are counted, and one more finding of the same code, without
a line, says how many more rows there are and how to list them all. ``per_kind=None`` (the
CLI's ``--max-per-kind 0``) lists every one. frictionless stops after 1,000 errors in all
(``--limit-errors``); counting per kind keeps the other problems visible.
"""

from __future__ import annotations

from collections import Counter

from ruven.report import Finding

#: how many findings of one kind a table lists by default
PER_KIND = 1000


class Limit:
    """The findings budget of one table: how many of each kind were listed and left out."""

    def __init__(self, resource: str, path: str, per_kind: int | None = PER_KIND) -> None:
        self.resource, self.path, self.per_kind = resource, path, per_kind
        self.listed: Counter[tuple[str, str, str]] = Counter()
        self.left_out: Counter[tuple[str, str, str]] = Counter()
        self.severity: dict[tuple[str, str, str], str] = {}

    def take(self, layer: str, code: str, field: str, found: int, severity: str = "") -> int:
        """How many of ``found`` more rows of this kind may be listed (the rest are counted)."""
        kind = (layer, code, field)
        if severity:
            self.severity[kind] = severity
        if self.per_kind is None:
            return found
        room = max(self.per_kind - self.listed[kind], 0)
        n = min(room, found)
        self.listed[kind] += n
        self.left_out[kind] += found - n
        return n

    def findings(self, layer: str) -> list[Finding]:
        """One finding per kind of ``layer`` that had rows left out, saying how many."""
        from ruven.validate import codes

        out = []
        for (lay, code, field), n in sorted(self.left_out.items()):
            if lay != layer or not n:
                continue
            where = f" in {field}" if field else ""
            message = f"{n:,} more rows of {self.path} have this problem{where} ({codes.get(code).title}): only the first {self.per_kind:,} are listed"
            hint = "fix the rows listed (they usually share one cause) and validate again, or list every row with `ruven validate --max-per-kind 0`"
            out.append(codes.make(code, self.resource, self.path, None, field, "", message, hint, layer=layer, severity=self.severity.get((lay, code, field), "")))
        return out


def cap(findings: list[Finding], layer: str, per_kind: int | None = PER_KIND) -> list[Finding]:
    """A layer's findings with at most ``per_kind`` rows of one kind per table listed (the first
    lines), the rest counted as :class:`Limit` does: for a layer that reports every row first
    (Great Expectations' unexpected rows)."""
    if per_kind is None:
        return findings
    kinds: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        kinds.setdefault((f.resource, f.code, f.field), []).append(f)
    out: list[Finding] = []
    for (resource, code, field), found in kinds.items():
        rows = sorted((f for f in found if f.line is not None), key=lambda f: f.line or 0)
        if len(rows) <= per_kind:
            out.extend(found)
            continue
        limit = Limit(resource, rows[0].path, per_kind)
        limit.take(layer, code, field, len(rows), rows[0].severity)
        out.extend([f for f in found if f.line is None] + rows[:per_kind] + limit.findings(layer))
    return out
