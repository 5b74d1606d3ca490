"""What changed between two versions of the package, row by row, and the SemVer bump it implies.

A version is a package folder (or its ``datapackage.json``), a git revision (files read
with ``git show REV:path``, nothing checked out), or :data:`EMPTY` (no package: what a
first release is compared with).

Bumps follow the house style's data meanings: MAJOR = a field or resource removed or
renamed, a type or key changed (and a deleted row, which is also a policy violation: rows
are withdrawn, never deleted); MINOR = new rows, fields or resources (or new enum values);
PATCH = corrections, withdrawals and documentation changes.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ruven import git
from ruven.errors import PackageReadError, UsageError
from ruven.package import DESCRIPTOR, find_package, paths
from ruven.versions import max_bump

EMPTY = "EMPTY"
#: The withdrawal column every fact table has (data model: "withdrawal").
WITHDRAWN = "withdrawn"


# ------------------------------------------------------------------ reading a version


@dataclass
class Snapshot:
    """One version of the package: its descriptor, schemas and a way to read its files."""

    label: str
    descriptor: dict[str, Any]
    read: Callable[[str], bytes | None]

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return {str(r.get("name")): r for r in self.descriptor.get("resources", []) if isinstance(r, dict)}

    def schema(self, name: str) -> dict[str, Any]:
        s = self.resources[name].get("schema", {})
        if isinstance(s, str):
            raw = self.read(s)
            if raw is None:
                return {}
            try:
                s = json.loads(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise PackageReadError(f"{self.label}: schema {s} is not valid JSON: {exc}", "fix the schema, or compare other versions", location=s) from exc
        return s if isinstance(s, dict) else {}

    def rows(self, name: str) -> tuple[list[str], list[dict[str, str]]]:
        path = str(self.resources[name].get("path", ""))
        raw = self.read(path) if path else None
        if raw is None:
            return [], []
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PackageReadError(f"{self.label}: {path} is not UTF-8", "run ruven validate on that version", location=path) from exc
        reader = csv.DictReader(io.StringIO(text, newline=""))
        return list(reader.fieldnames or []), list(reader)


def load_snapshot(spec: str, package: str | os.PathLike[str] | None = None) -> Snapshot:
    """Read ``spec``: :data:`EMPTY`, a package path, a git revision of the repository that
    holds ``package`` (default: the package found from the current folder), or a released
    version (``0.2.0``, ``v0.2.0``): its tag, or in a clone without tags the commit that
    released it (:func:`ruven.releases.resolve_version`)."""
    if spec == EMPTY:
        return Snapshot("empty package", {"resources": []}, lambda _p: None)
    p = Path(spec)
    if p.exists():
        desc_path = find_package(p)
        root = desc_path.parent

        def read_file(rel: str) -> bytes | None:
            f = paths.resolve(root, rel, f"{spec}: {rel}", location=str(desc_path))  # the one resolver
            return paths.read_bytes(f) if f.exists() else None

        snap = Snapshot(str(spec), _descriptor(paths.read_bytes(desc_path), str(desc_path)), read_file)
        _check_paths(snap)
        return snap
    try:
        here = find_package(package).parent.resolve()
    except PackageReadError:
        here = Path.cwd().resolve()
    top = git.toplevel(here)
    if top is None:
        raise UsageError(f"{spec!r} is not a package path, and {here} is not in a git repository", "pass two package folders, or run inside the git repository")
    prefix = here.relative_to(top.resolve()).as_posix() if here != top.resolve() else ""
    label = spec
    if not git.is_revision(spec, top):
        from ruven.releases import resolve_version

        found = resolve_version(spec, top, here / DESCRIPTOR)  # 0.2.0 or v0.2.0 in a clone without tags
        if found is None:
            raise UsageError(
                f"{spec!r} is neither a package path, a git revision nor a released version",
                "use a branch, tag or commit (git log --oneline), a released version such as 0.2.0 (CHANGELOG.md lists them), or a folder holding datapackage.json",
            )
        spec, _how = found
        label = f"{label} ({spec if spec.startswith('v') else 'commit ' + spec[:7]})"

    def read_git(rel: str) -> bytes | None:
        problem = paths.lexical_problem(rel, f"{spec}: {rel}")
        if problem is not None:
            raise paths.PackagePathError(problem.message, problem.hint, location=f"{spec}:{DESCRIPTOR}")
        path = f"{prefix}/{rel}" if prefix else rel
        mode = git.mode(spec, path, top)
        if mode is not None and mode != "100644" and mode != "100755":  # a symlink (120000), a submodule, a folder
            raise paths.PackagePathError(f"{spec}: {rel} is not a regular file in that revision (git mode {mode}: a symlink or a folder)", "commit the file itself, inside the package folder", location=f"{spec}:{DESCRIPTOR}")
        return git.show(spec, path, top)

    raw = read_git(DESCRIPTOR)
    if raw is None:
        raise UsageError(f"revision {spec} has no {prefix + '/' if prefix else ''}{DESCRIPTOR}", "pick a revision that holds the package")
    snap = Snapshot(label, _descriptor(raw, f"{spec}:{DESCRIPTOR}"), read_git)
    _check_paths(snap)
    return snap


def _check_paths(snap: Snapshot) -> None:
    """Every resource and schema path of a snapshot through the one resolver, before any row is
    read (a path outside the package folder, a URL, a device or a symlink out is refused)."""
    for res in snap.resources.values():
        for key in ("schema", "path"):
            rel = res.get(key)
            if isinstance(rel, str) and rel:
                snap.read(rel)


def _descriptor(raw: bytes, where: str) -> dict[str, Any]:
    try:
        d = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageReadError(f"{where} is not valid JSON: {exc}", "fix the descriptor, or compare other versions", location=where) from exc
    if not isinstance(d, dict):
        raise PackageReadError(f"{where} does not hold a JSON object", "fix the descriptor", location=where)
    return d


# ------------------------------------------------------------------ the report


@dataclass
class CellChange:
    field: str
    old: str
    new: str


@dataclass
class RowChange:
    id: str
    cells: list[CellChange]


@dataclass
class SchemaChange:
    resource: str  # "" for the package descriptor
    kind: str
    detail: str
    bump: str


@dataclass
class CitedSource:
    id: str
    label: str  # the source's label (x-ruven.label of its table: publisher, title)
    url: str  # "" when the table has no URL field or the cell is empty


@dataclass
class RowContent:
    """What a reviewer reads of a row: all driven by its table's schema (x-ruven ``label`` and
    ``summary``, the partial-date and date fields, the number fields, the source id list)."""

    id: str
    label: str
    summary: str
    dates: list[tuple[str, str]] = field(default_factory=list)  # (field, value)
    figures: list[tuple[str, str]] = field(default_factory=list)  # (field, value)
    sources: list[CitedSource] = field(default_factory=list)


@dataclass
class TableDiff:
    resource: str
    path: str
    added: list[str] = field(default_factory=list)
    added_rows: list[RowContent] = field(default_factory=list)  # the content of each added row, in id order
    withdrawn: list[tuple[str, str]] = field(default_factory=list)  # (id, reason)
    changed: list[RowChange] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.withdrawn or self.changed or self.removed)

    @property
    def bump(self) -> str:
        return max_bump("major" if self.removed else "none", "minor" if self.added else "none", "patch" if self.changed or self.withdrawn else "none")


@dataclass
class DiffReport:
    old: str
    new: str
    old_version: str
    new_version: str
    tables: list[TableDiff] = field(default_factory=list)
    schema: list[SchemaChange] = field(default_factory=list)

    @property
    def changed_tables(self) -> list[TableDiff]:
        return [t for t in self.tables if not t.empty]

    @property
    def violations(self) -> list[str]:
        return [
            f"{t.path}: row {i} was deleted; rows are never deleted: restore it and fill its {WITHDRAWN} cell with the reason"
            for t in self.tables
            for i in t.removed
        ]

    @property
    def differs(self) -> bool:
        return bool(self.changed_tables or self.schema)

    @property
    def bump(self) -> str:
        return max_bump(*(t.bump for t in self.tables), *(s.bump for s in self.schema))

    def why(self) -> list[str]:
        """One line per reason for the bump (the largest kind only)."""
        b = self.bump
        out = [f"{s.resource or 'package'}: {s.detail}" for s in self.schema if s.bump == b]
        for t in self.tables:
            if b == "major" and t.removed:
                out.append(f"{t.resource}: {len(t.removed)} row(s) deleted")
            if b == "minor" and t.added:
                out.append(f"{t.resource}: {len(t.added)} row(s) added")
            if b == "patch" and (t.changed or t.withdrawn):
                out.append(f"{t.resource}: {len(t.changed)} row(s) changed, {len(t.withdrawn)} withdrawn")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.differs,
            "old": self.old,
            "new": self.new,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "bump": self.bump,
            "why": self.why(),
            "violations": self.violations,
            "schema": [asdict(s) for s in self.schema],
            "tables": [
                {
                    "resource": t.resource,
                    "path": t.path,
                    "bump": t.bump,
                    "added": t.added,
                    "added_rows": [asdict(c) for c in t.added_rows],
                    "withdrawn": [{"id": i, "reason": r} for i, r in t.withdrawn],
                    "changed": [asdict(c) for c in t.changed],
                    "removed": t.removed,
                }
                for t in self.tables
            ],
        }


# ------------------------------------------------------------------ comparing


def _fields(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(f.get("name")): f for f in schema.get("fields", []) if isinstance(f, dict)}


def _pk(schema: dict[str, Any]) -> list[str]:
    pk = schema.get("primaryKey", [])
    return [pk] if isinstance(pk, str) else list(pk)


def _schema_changes(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[SchemaChange]:
    out: list[SchemaChange] = []
    of, nf = _fields(old), _fields(new)
    for f in of:
        if f not in nf:
            out.append(SchemaChange(name, "field-removed", f"field {f} removed (or renamed)", "major"))
    for f in nf:
        if f not in of:
            out.append(SchemaChange(name, "field-added", f"field {f} added", "minor"))
    for f in of.keys() & nf.keys():
        a, b = of[f], nf[f]
        if a.get("type", "string") != b.get("type", "string") or a.get("format") != b.get("format"):
            out.append(SchemaChange(name, "type-changed", f"{f}: type {a.get('type', 'string')} -> {b.get('type', 'string')}", "major"))
        ea = (a.get("constraints") or {}).get("enum") or []
        eb = (b.get("constraints") or {}).get("enum") or []
        if set(ea) - set(eb):
            out.append(SchemaChange(name, "enum-values-removed", f"{f}: values removed: {', '.join(sorted(set(ea) - set(eb)))}", "major"))
        if set(eb) - set(ea):
            out.append(SchemaChange(name, "enum-values-added", f"{f}: values added: {', '.join(sorted(set(eb) - set(ea)))}", "minor"))
        rest_a = {k: v for k, v in a.items() if k not in ("type", "format", "constraints")}
        rest_b = {k: v for k, v in b.items() if k not in ("type", "format", "constraints")}
        ca = {k: v for k, v in (a.get("constraints") or {}).items() if k != "enum"}
        cb = {k: v for k, v in (b.get("constraints") or {}).items() if k != "enum"}
        if ca != cb:
            out.append(SchemaChange(name, "constraints-changed", f"{f}: constraints {json.dumps(ca, ensure_ascii=False)} -> {json.dumps(cb, ensure_ascii=False)}", "patch"))
        if rest_a != rest_b:
            keys = sorted(k for k in rest_a.keys() | rest_b.keys() if rest_a.get(k) != rest_b.get(k))
            out.append(SchemaChange(name, "field-documentation-changed", f"{f}: {', '.join(keys)} changed", "patch"))
    if _pk(old) != _pk(new):
        out.append(SchemaChange(name, "primary-key-changed", f"primary key {_pk(old)} -> {_pk(new)}", "major"))
    if old.get("foreignKeys", []) != new.get("foreignKeys", []):
        out.append(SchemaChange(name, "foreign-keys-changed", "foreign keys changed", "major"))
    common = [f for f in of if f in nf]
    if common != [f for f in nf if f in of]:
        out.append(SchemaChange(name, "field-order-changed", "column order changed", "patch"))
    return out


def _key(row: dict[str, str], pk: list[str], header: list[str]) -> str:
    cols = pk or header
    return ";".join(row.get(c) or "" for c in cols)


def model(snap: Snapshot) -> Any:
    """The package model (:class:`ruven.package.DataPackage`) of a snapshot, its schemas inline
    (nothing is read from disk: a git revision has no folder)."""
    from ruven.package import DataPackage

    desc = dict(snap.descriptor)
    desc["resources"] = [dict(r, schema=snap.schema(n)) for n, r in snap.resources.items()]
    return DataPackage(Path(snap.label) / DESCRIPTOR, desc)


class _Content:
    """Builds :class:`RowContent` for rows of one snapshot; referenced rows are read once."""

    SUMMARY_LIMIT = 400

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.pkg = model(snap)
        self._index: dict[tuple[str, str], dict[str, dict[str, str]]] = {}

    def lookup(self, resource: str, fname: str, value: str) -> dict[str, str] | None:
        key = (resource, fname)
        if key not in self._index:
            _, rows = self.snap.rows(resource) if resource in self.snap.resources else ([], [])
            self._index[key] = {r.get(fname) or "": r for r in rows}
        return self._index[key].get(value)

    def row(self, resource: str, key: str, row: dict[str, str]) -> RowContent:
        from ruven.db.labels import label_text

        res = self.pkg.resources[resource]
        summary = next((v for n in res.summary_fields if (v := (row.get(n) or "").strip())), "")
        if len(summary) > self.SUMMARY_LIMIT:
            summary = summary[: self.SUMMARY_LIMIT - 1] + "…"
        out = RowContent(key, label_text(res, row, self.lookup), summary)
        for f in res.fields:
            v = (row.get(f.name) or "").strip()
            if not v:
                continue
            if f.is_partial_date or f.type in ("date", "datetime", "year", "yearmonth"):
                out.dates.append((f.name, v))
            elif f.type in ("integer", "number"):
                out.figures.append((f.name, v))
        src = res.source_field
        if src is not None:
            target = src.list_references[0]
            tres = self.pkg.resources.get(target)
            tkey = (tres.primary_key or ["id"])[0] if tres else "id"
            url_fields = [f.name for f in tres.fields if str(f.constraints.get("pattern", "")).startswith("^https?://")] if tres else []
            for sid in [i.strip() for i in (row.get(src.name) or "").split(src.delimiter) if i.strip()]:
                srow = self.lookup(target, tkey, sid)
                if srow is None or tres is None:
                    out.sources.append(CitedSource(sid, "(not in the sources table)", ""))
                    continue
                url = next((u for n in url_fields if (u := (srow.get(n) or "").strip())), "")
                out.sources.append(CitedSource(sid, label_text(tres, srow, self.lookup) or sid, url))
        return out


def _table_diff(name: str, path: str, old: Snapshot | None, new: Snapshot, pk: list[str], content: _Content | None = None) -> TableDiff:
    td = TableDiff(name, path)
    oh, orows = old.rows(name) if old else ([], [])
    nh, nrows = new.rows(name)
    oi = {_key(r, pk, oh): r for r in orows}
    ni = {_key(r, pk, nh): r for r in nrows}
    common = [c for c in nh if c in oh]
    for k, r in ni.items():
        if k not in oi:
            td.added.append(k)
            continue
        o = oi[k]
        ow, nw = (o.get(WITHDRAWN) or "").strip(), (r.get(WITHDRAWN) or "").strip()
        if nw and not ow:
            td.withdrawn.append((k, nw))
        cells = [CellChange(c, o.get(c) or "", r.get(c) or "") for c in common if (o.get(c) or "") != (r.get(c) or "") and not (c == WITHDRAWN and nw and not ow)]
        if cells:
            td.changed.append(RowChange(k, cells))
    td.removed = [k for k in oi if k not in ni]
    td.added.sort()
    if content is not None and name in content.pkg.resources:
        td.added_rows = [content.row(name, k, ni[k]) for k in td.added]
    td.removed.sort()
    td.changed.sort(key=lambda c: c.id)
    td.withdrawn.sort()
    return td


IGNORED_DESCRIPTOR_KEYS = {"resources", "version", "created"}


def diff(old: Snapshot, new: Snapshot) -> DiffReport:
    report = DiffReport(old.label, new.label, old.version, new.version)
    ores, nres = old.resources, new.resources
    content = _Content(new)
    for name in ores:
        if name not in nres:
            report.schema.append(SchemaChange(name, "resource-removed", f"resource {name} removed (or renamed)", "major"))
    for name, desc in nres.items():
        path = str(desc.get("path", ""))
        nschema = new.schema(name)
        if name not in ores:
            report.schema.append(SchemaChange(name, "resource-added", f"resource {name} added", "minor"))
            report.tables.append(_table_diff(name, path, None, new, _pk(nschema), content))
            continue
        oschema = old.schema(name)
        report.schema.extend(_schema_changes(name, oschema, nschema))
        if ores[name].get("path") != desc.get("path"):
            report.schema.append(SchemaChange(name, "path-changed", f"path {ores[name].get('path')} -> {path}", "major"))
        pk = _pk(nschema) if _pk(nschema) == _pk(oschema) else []
        report.tables.append(_table_diff(name, path, old, new, pk, content))
    od = {k: v for k, v in old.descriptor.items() if k not in IGNORED_DESCRIPTOR_KEYS}
    nd = {k: v for k, v in new.descriptor.items() if k not in IGNORED_DESCRIPTOR_KEYS}
    if ores and od != nd:
        keys = sorted(k for k in od.keys() | nd.keys() if od.get(k) != nd.get(k))
        report.schema.append(SchemaChange("", "metadata-changed", f"descriptor {', '.join(keys)} changed", "patch"))
    for name, desc in nres.items():
        if name in ores and {k: v for k, v in ores[name].items() if k not in ("schema", "path")} != {k: v for k, v in desc.items() if k not in ("schema", "path")}:
            report.schema.append(SchemaChange(name, "metadata-changed", "resource description changed", "patch"))
    return report


def diff_specs(old: str, new: str, package: str | os.PathLike[str] | None = None) -> DiffReport:
    """:func:`diff` of two versions named as on the command line."""
    return diff(load_snapshot(old, package), load_snapshot(new, package))


__all__ = [
    "EMPTY",
    "CitedSource",
    "DiffReport",
    "RowContent",
    "Snapshot",
    "TableDiff",
    "diff",
    "diff_specs",
    "load_snapshot",
]
