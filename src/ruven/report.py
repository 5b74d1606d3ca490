"""One record for every finding of every validation layer, and the report that holds them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

SEVERITIES = ("error", "warning")
LAYERS = ("frictionless", "pandera", "expectations")
#: One problem, one finding: where a finding of the code on the left is reported for a cell, the
#: findings on the right for the same cell and value describe the same problem and are dropped.
#: A repeated id breaks both the primary key and the ``unique`` constraint of the id field, and a
#: missing id both the primary key and ``required`` (frictionless reports both): each is one
#: problem, reported as ``primary-key``. (The rules of layer 2 skip cells layer 1 rejects, and the
#: suites of layer 3 check nothing layers 1 and 2 check, so no other pair arises.)
#: winner -> {loser: which losers are dropped ("any" value of the cell, or only an "empty" one)}
PRECEDENCE: dict[str, dict[str, str]] = {"primary-key": {"unique-error": "any", "constraint-error": "empty"}}


@dataclass(frozen=True)
class Finding:
    """A data problem: where it is, what is wrong, and what to do about it.

    ``line`` is the physical CSV line (header = 1) or, for descriptor problems, the line of
    ``datapackage.json``; ``None`` when the problem is about a whole table or file.
    """

    severity: str
    layer: str
    code: str
    resource: str
    path: str
    line: int | None
    field: str
    value: str
    message: str
    hint: str = ""

    @property
    def location(self) -> str:
        out = self.path or self.resource
        if self.line is not None:
            out += f":{self.line}"
        if self.field:
            out += f":{self.field}"
        return out

    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.line if self.line is not None else -1, self.field, self.code, self.severity, self.value, self.layer)

    def dedupe_key(self) -> tuple[Any, ...]:
        # The same problem found by two layers is one finding (the first layer wins).
        return (self.path, self.line, self.field, self.code, self.value)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        """A finding read back from :meth:`to_dict` (a child process's answer, the cache)."""
        return cls(**d)


def truncate(value: Any, limit: int = 200) -> str:
    """A cell value short enough to print; says how much was cut (never silently)."""
    s = "" if value is None else str(value)
    if len(s) > limit:
        return s[:limit] + f"… [{len(s) - limit} more characters]"
    return s


@dataclass
class ValidationReport:
    """Every finding of a validation run, sorted and deduplicated across layers."""

    package: str
    version: str
    layers: list[str]
    findings: list[Finding] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    #: layers whose findings came from the cache of an earlier run over the same bytes
    cached: list[str] = field(default_factory=list)
    #: (layer -> tables) whose findings in that layer came from the cache, the rest being checked
    reused: dict[str, list[str]] = field(default_factory=dict)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    def finalize(self) -> ValidationReport:
        seen: set[tuple[Any, ...]] = set()
        winners = {(f.path, f.line, f.field, f.value, f.code) for f in self.findings if f.code in PRECEDENCE}
        dropped = {(p, line, fld, value, loser) for (p, line, fld, value, code) in winners for loser, when in PRECEDENCE[code].items() if when == "any" or not value}
        out = []
        for f in self.findings:  # layers run in order, so the first layer's record is kept
            k = f.dedupe_key()
            if k in seen or (f.path, f.line, f.field, f.value, f.code) in dropped:
                continue
            seen.add(k)
            out.append(f)
        self.findings = sorted(out, key=Finding.sort_key)
        return self

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)

    def summary(self, strict: bool = False) -> str:
        n_rows = sum(self.rows.values())
        state = "valid" if self.ok(strict) else "INVALID"
        return (
            f"{self.package} {self.version}: {state}: {len(self.errors)} error(s), {len(self.warnings)} warning(s) "
            f"in {len(self.rows)} resource(s), {n_rows} row(s); layers: {', '.join(self.layers)}"
            + (f" ({', '.join(self.cached)} from cache)" if self.cached else "")
            + "".join(f"; {layer}: {len(names)} unchanged table(s) from cache" for layer, names in self.reused.items() if names)
        )

    def to_dict(self, strict: bool = False) -> dict[str, Any]:
        return {
            "ok": self.ok(strict),
            "package": self.package,
            "version": self.version,
            "strict": strict,
            "layers": self.layers,
            "summary": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "rows": self.rows,
                "seconds": {k: round(v, 3) for k, v in self.timings.items()},
                "cached": self.cached,
                "reused": self.reused,
            },
            "findings": [f.to_dict() for f in self.findings],
        }
