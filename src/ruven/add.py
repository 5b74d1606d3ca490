"""Add rows to a table: prompts derived from the schema, per-answer checks, and a safe write.

Everything a prompt shows (title, description, enum values and their meanings, the next
free id, the tables a reference points to) comes from the Table Schema through
:mod:`ruven.package`; nothing here lists a column.

:func:`add_rows` is the transaction. Under the package's one writer lock
(:func:`ruven.fs.package_lock`, which ``ruven fmt`` and ``ruven release`` take too) it re-reads
the files, gives the rows whose id ruven proposed the next free id (recomputed inside the
lock, so concurrent ``ruven add`` never collide), inserts the rows into a copy of the
package, validates that copy through every layer and compares it with the package as it was
read: only findings the new rows cause block the write. If a file changed meanwhile (a hand
edit: editors take no lock) add starts over from the file as it is now, up to
:data:`ATTEMPTS` times, then refuses (:class:`ruven.errors.FileChangedError`, exit 3); a
change is never reverted. The file is then written atomically
(:func:`ruven.fs.atomic_write_text`, which checks once more that it is what add read); the
new row is inserted at its place in primary-key order and every other byte of the file stays
as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruven.candidate import validate_cached
from ruven.canonical import normalize_cell
from ruven.csvedit import insert_rows, line_ids
from ruven.errors import FileChangedError, RuvenError, UsageError
from ruven.fs import atomic_write_text, digest, digest_bytes, package_lock
from ruven.package import DataPackage, Field, Resource, date_bounds
from ruven.report import Finding, truncate
from ruven.text import hygiene_problems
from ruven.validate import codes
from ruven.validate.messages import constraint_message, field_format, rule_message, type_message


@dataclass
class Problem:
    """Why one answer is refused, with what to do instead: a registered finding code
    (:mod:`ruven.validate.codes`) and the validation layer that reports the same problem."""

    code: str
    message: str
    hint: str
    layer: str = ""

    def __post_init__(self) -> None:
        self.layer = self.layer or codes.get(self.code).layer


@dataclass
class FieldPrompt:
    """Everything the interactive prompt shows for one field, read from the schema."""

    name: str
    title: str
    description: str
    type: str
    required: bool
    format: str
    choices: list[tuple[str, str]]  # (value, meaning)
    references: list[str]  # tables the value points to
    is_list: bool
    delimiter: str
    default: str = ""


@dataclass
class NewRow:
    resource: str
    values: dict[str, str]
    #: True when the id is ruven's proposal: it is recomputed inside the lock.
    auto_id: bool = True

    @property
    def id(self) -> str:
        return self.values.get("id", "")


@dataclass
class AddResult:
    rows: list[NewRow]
    findings: list[Finding] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    paths: dict[str, str] = field(default_factory=dict)  # resource -> relpath
    lines: dict[str, int] = field(default_factory=dict)  # row id -> physical line in its file
    layers: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "written": self.written,
            "dry_run": self.dry_run,
            "layers": self.layers,
            "rows": [
                {"resource": r.resource, "path": self.paths.get(r.resource, ""), "line": self.lines.get(r.id), "id": r.id, "values": r.values}
                for r in self.rows
            ],
            "findings": [f.to_dict() for f in self.findings],
        }


# ------------------------------------------------------------------ reading what is there


def _id_width(res: Resource) -> int:
    m = re.search(r"\[0-9\]\{(\d+)\}", res.field("id").constraints.get("pattern", "")) if "id" in res.field_names else None
    return int(m.group(1)) if m else 4


def next_id(res: Resource, taken: Sequence[str]) -> str | None:
    """The next free id of ``res`` after every id ever used (withdrawn rows keep theirs)."""
    prefix = res.id_prefix
    if not prefix:
        return None
    nums = [int(m.group(1)) for t in taken if (m := re.fullmatch(rf"{re.escape(prefix)}-(\d+)", t))]
    return f"{prefix}-{max(nums, default=0) + 1:0{_id_width(res)}d}"


def references_of(res: Resource, fld: Field) -> list[str]:
    """Tables a field's value points to: its foreign key or its id-list references."""
    if fld.is_id_list:
        return fld.list_references
    return [fk.resource for fk in res.foreign_keys if fk.field == fld.name]


class Session:
    """What ``ruven add`` knows while it asks: the package, its rows, and rows added so far."""

    def __init__(self, pkg: DataPackage) -> None:
        self.pkg = pkg
        self._rows: dict[str, list[dict[str, str]]] = {}
        self.pending: list[NewRow] = []

    def rows(self, resource: str) -> list[dict[str, str]]:
        if resource not in self._rows:
            res = self.pkg.resource(resource)
            self._rows[resource] = res.read_rows() if res.path.exists() else []
        return self._rows[resource]

    def column(self, resource: str, name: str) -> list[str]:
        out = [r.get(name) or "" for r in self.rows(resource)]
        out += [r.values.get(name, "") for r in self.pending if r.resource == resource]
        return out

    def propose_id(self, resource: str) -> str | None:
        return next_id(self.pkg.resource(resource), self.column(resource, "id"))

    def prompts(self, resource: str) -> list[FieldPrompt]:
        res = self.pkg.resource(resource)
        out = []
        for f in res.fields:
            meanings = f.value_meanings
            out.append(
                FieldPrompt(
                    name=f.name,
                    title=f.title,
                    description=f.description,
                    type=f.type,
                    required=f.required,
                    format=field_format(f),
                    choices=[(v, meanings.get(v, "")) for v in (f.enum or [])],
                    references=references_of(res, f),
                    is_list=f.is_id_list,
                    delimiter=f.delimiter,
                    default=(self.propose_id(resource) or "") if f.name == "id" and res.primary_key == ["id"] else "",
                )
            )
        return out

    def label(self, resource: str, row: dict[str, str]) -> str:
        """A row's label in search results and pick lists: the fields its schema declares in
        ``x-ruven.label`` (:mod:`ruven.db.labels`, the same label as the views' ``title``)."""
        from ruven.db.labels import label_text

        return truncate(label_text(self.pkg.resource(resource), row, self._referenced), 70)

    def _referenced(self, resource: str, field: str, value: str) -> dict[str, str] | None:
        rows = self.rows(resource) + [r.values for r in self.pending if r.resource == resource]
        return next((r for r in rows if r.get(field) == value), None)

    def search(self, resource: str, text: str, limit: int = 15) -> list[tuple[str, str]]:
        """Rows of ``resource`` whose cells contain ``text`` (case-insensitive): (id, label)."""
        needle = text.casefold().strip()
        hits = []
        rows = self.rows(resource) + [r.values for r in self.pending if r.resource == resource]
        for row in rows:
            if not needle or any(needle in (v or "").casefold() for v in row.values()):
                hits.append((row.get("id", ""), self.label(resource, row)))
        return hits[-limit:]

    def check(self, resource: str, name: str, value: str) -> Problem | None:
        """Check one answer as it is typed: type, constraints, partial date, references, uniqueness."""
        res = self.pkg.resource(resource)
        try:
            fld = res.field(name)
        except KeyError:
            raise UsageError(f"{resource} has no field {name!r}", "fields: " + ", ".join(res.field_names)) from None
        return check_value(self, res, fld, normalize_cell(value))


def check_value(session: Session, res: Resource, fld: Field, value: str) -> Problem | None:
    from frictionless import Field as FlField

    surrogate = next((c for c in value if "\ud800" <= c <= "\udfff"), None)
    if surrogate is not None:  # a broken "\ud800" escape in --json, or bytes that are not UTF-8 on the command line
        return Problem(
            "encoding-error",
            f"{fld.name} holds a lone surrogate U+{ord(surrogate):04X}: it is not a character and cannot be written as UTF-8",
            "in JSON a \\uD800-\\uDFFF escape must be one half of a pair (high, then low): write the character itself or fix the escape; on the command line, use UTF-8",
        )

    missing = res.schema.get("missingValues", [""])
    try:
        ff = FlField.from_descriptor({k: v for k, v in fld.descriptor.items() if k != "x-ruven"})
    except Exception as exc:  # noqa: BLE001 - a broken schema is reported by validate
        raise RuvenError(f"the schema of {res.name}.{fld.name} cannot be read: {exc}", "run ruven validate") from exc
    if value in missing:
        if fld.required:
            return Problem("constraint-error", *constraint_message(fld, "required", value))
        return None
    _, notes = ff.read_cell(value)
    if notes:
        if "type" in notes:
            return Problem("type-error", *type_message(fld, value))
        constraint = next(iter(notes))
        return Problem("constraint-error", *constraint_message(fld, constraint, value))
    if fld.is_partial_date and date_bounds(value) is None:
        return Problem("invalid-date", *rule_message("invalid-date", fld, value, {}))
    if fld.is_free_text:
        for code in hygiene_problems(value):  # the rules validate applies to the file
            return Problem(code, *rule_message(code, fld, value, {}))
    refs = references_of(res, fld)
    if refs:
        ids = value.split(fld.delimiter) if fld.is_id_list else [value]
        known = {i for t in refs if t in session.pkg.resources for i in session.column(t, "id")}
        for i in ids:
            if i not in known:
                where = " or ".join(session.pkg.resources[t].relpath for t in refs if t in session.pkg.resources)
                layer = codes.PANDERA if fld.is_id_list else codes.FRICTIONLESS  # id lists are checked by the rules
                return Problem("foreign-key", f"{i} is not in {where}", f"use an id present in {where} (type ?WORD to search), or + to add a new row there", layer)
        if fld.is_id_list and len(set(ids)) != len(ids):
            return Problem("constraint-error", f"{value!r} lists an id twice", "list each id once")
    if fld.constraints.get("unique") or res.primary_key == [fld.name]:
        if value in session.column(res.name, fld.name):
            msg, hint = constraint_message(fld, "unique", value)
            if fld.name == "id":
                hint = f"ids are never reused: the next free id is {session.propose_id(res.name)}"
            return Problem("primary-key" if res.primary_key == [fld.name] else "unique-error", msg, hint)
    return None


def coerce(value: Any, fld: Field) -> str:
    """A JSON value as the CSV cell it stands for."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return fld.delimiter.join(coerce(v, fld) for v in value)
    return normalize_cell(str(value))


def make_row(pkg: DataPackage, resource: str, values: dict[str, Any], session: Session | None = None) -> NewRow:
    """A NewRow from ``field -> value``; unknown fields are a usage error; no id = ruven proposes one."""
    res = pkg.resource(resource)
    unknown = [k for k in values if k not in res.field_names]
    if unknown:
        raise UsageError(f"{resource} has no field {', '.join(map(repr, unknown))}", "fields: " + ", ".join(res.field_names))
    row = {f.name: coerce(values.get(f.name), f) for f in res.fields}
    auto = not row.get("id")
    if auto and res.id_prefix:
        row["id"] = (session or Session(pkg)).propose_id(resource) or ""
    return NewRow(resource, row, auto_id=auto)


def precheck(session: Session, rows: list[NewRow]) -> list[Finding]:
    """Every cell of the new rows checked like an interactive answer (instant, before the lock)."""
    out = []
    saved = session.pending
    for i, row in enumerate(rows):
        res = session.pkg.resource(row.resource)
        session.pending = saved + rows[:i]  # earlier new rows may be referenced (a new source)
        for f in res.fields:
            v = row.values.get(f.name, "")
            if f.name == "id" and row.auto_id:
                continue
            p = check_value(session, res, f, v)
            if p:
                out.append(codes.make(p.code, res.name, res.relpath, None, f.name, v, p.message, p.hint, layer=p.layer))
    session.pending = saved
    return out


# ------------------------------------------------------------------ writing


def _finding_key(f: Finding, ids: dict[str, dict[int, str]]) -> tuple[Any, ...]:
    row = ids.get(f.path, {}).get(f.line) if f.line is not None else None
    where: Any = row if row is not None else (f.line if f.path not in ids else None)
    return (f.path, where, f.field, f.code, f.value, f.severity)


def add_rows(
    package: str | os.PathLike[str] | DataPackage | None,
    rows: list[NewRow],
    *,
    dry_run: bool = False,
    layers: Sequence[str] | None = None,
    today: dt.date | None = None,
) -> AddResult:
    """Validate ``rows`` with the rest of the package and, unless refused or ``dry_run``, write them.

    Rows for a referenced table (a new source) come before the rows that cite them.
    """
    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    from ruven.validate.layers import DEFAULT_LAYERS

    used_layers = [layer for layer in DEFAULT_LAYERS if layers is None or layer in layers]
    result = AddResult(rows, dry_run=dry_run, layers=used_layers)
    for r in rows:
        result.paths[r.resource] = pkg.resource(r.resource).relpath
    names = list(dict.fromkeys(r.resource for r in rows))
    lock = package_lock(pkg.root) if not dry_run else _nolock()
    with lock:
        for _ in range(ATTEMPTS):
            tried = _attempt(pkg, rows, names, result, used_layers, today)
            if tried is None:
                return result
            read, texts = tried
            if any(digest(path) != expect for path, expect in read.items()):
                continue  # edited meanwhile (by hand: fmt and other adds wait for the lock): start over
            if result.errors or dry_run:
                return result
            for name in names:  # referenced tables first: names keep the order the rows came in
                res = pkg.resource(name)
                atomic_write_text(res.path, texts[res.path], expect=read[res.path])
            result.written = True
            return result
    raise FileChangedError(
        f"{', '.join(pkg.resource(n).relpath for n in names)} kept changing while ruven add checked the new row(s) ({ATTEMPTS} tries); nothing was written",
        "finish editing the file (save it), then run the same ruven add again",
    )


#: How often add starts over when a file changes under it while it validates.
ATTEMPTS = 3


def _attempt(
    pkg: DataPackage, rows: list[NewRow], names: list[str], result: AddResult, used_layers: list[str], today: dt.date | None
) -> tuple[dict[Path, str | None], dict[Path, str]] | None:
    """One try of the transaction on the files as they are now: ids, precheck, insertion,
    validation of the package before and after (the findings go into ``result``). Returns
    the :func:`~ruven.fs.digest` of each file as read and its text with the new rows; None
    when the precheck refused the rows."""
    session = Session(pkg)  # re-read inside the lock: other writers may have added rows
    _assign_ids(session, rows)
    result.lines = {}
    result.findings = precheck(Session(pkg), rows)
    if result.errors:
        return None
    olds: dict[Path, str] = {}
    texts: dict[Path, str] = {}
    read: dict[Path, str | None] = {}
    line_maps_new: dict[str, dict[int, str]] = {}
    line_maps_old: dict[str, dict[int, str]] = {}
    for name in names:
        res = pkg.resource(name)
        raw = res.path.read_bytes() if res.path.exists() else None
        read[res.path] = digest_bytes(raw) if raw is not None else None
        try:
            old = raw.decode("utf-8") if raw is not None else ""  # no newline translation
        except UnicodeDecodeError as exc:
            raise RuvenError(f"{res.relpath} is not UTF-8 ({exc.reason} at byte {exc.start}); ruven add cannot insert a row into it", "run ruven validate, which locates the bytes, and re-save the file as UTF-8", location=res.relpath) from exc
        new, lines = insert_rows(old, res, [r.values for r in rows if r.resource == name])
        olds[res.path] = old
        texts[res.path] = new
        line_maps_old[res.relpath] = line_ids(old, res)
        line_maps_new[res.relpath] = line_ids(new, res)
        for r, ln in zip([r for r in rows if r.resource == name], lines, strict=True):
            result.lines[r.id] = ln
    # both sides from the bytes read above, so a change made meanwhile is not mixed in
    baseline = validate_cached(pkg, {p: t for p, t in olds.items() if read[p] is not None}, used_layers, today)
    candidate = validate_cached(pkg, texts, used_layers, today)
    before = {_finding_key(f, line_maps_old) for f in baseline.findings}
    result.findings = [f for f in candidate.findings if _finding_key(f, line_maps_new) not in before]
    return read, texts


@contextmanager
def _nolock() -> Iterator[None]:
    yield


def _assign_ids(session: Session, rows: list[NewRow]) -> None:
    """Give rows with a proposed id the next free id now, and follow the change in the
    other new rows that point to them (a fact row citing a source added in the same flow)."""
    pkg = session.pkg
    session.pending = []
    renames: dict[tuple[str, str], str] = {}
    for row in rows:
        if row.auto_id and pkg.resource(row.resource).id_prefix:
            new = session.propose_id(row.resource) or row.id
            if new != row.id:
                renames[(row.resource, row.id)] = new
                row.values["id"] = new
        session.pending.append(row)
    if not renames:
        return
    for row in rows:
        res = pkg.resource(row.resource)
        for f in res.fields:
            refs = references_of(res, f)
            v = row.values.get(f.name, "")
            if not refs or not v or f.name == "id":
                continue
            parts = v.split(f.delimiter) if f.is_id_list else [v]
            parts = [next((renames[(t, p)] for t in refs if (t, p) in renames), p) for p in parts]
            row.values[f.name] = f.delimiter.join(parts)


__all__ = [
    "AddResult",
    "FieldPrompt",
    "NewRow",
    "Problem",
    "Session",
    "add_rows",
    "check_value",
    "insert_rows",
    "make_row",
    "next_id",
    "references_of",
    "validate_cached",
]
