"""Layer 1, the Data Package contract, checked by frictionless-py.

Before frictionless reads anything, ruven checks what would make it crash, hang or read
outside the package: resource paths (URLs, absolute paths, ``..``), missing files, bytes
that are not UTF-8, NUL bytes. Those become located findings and the resource is left out
of the frictionless run, so bad input never produces a traceback or a network request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruven.package import DataPackage, Field, Resource
from ruven.report import Finding, truncate
from ruven.validate.messages import constraint_message, type_message

LAYER = "frictionless"


def _f(res: str, path: str, code: str, message: str, hint: str, line: int | None = None, field: str = "", value: str = "", severity: str = "error") -> Finding:
    return Finding(severity, LAYER, code, res, path, line, field, truncate(value), message, hint)


def preflight(pkg: DataPackage) -> tuple[list[Finding], list[Resource]]:
    """Descriptor and file checks; returns findings and the resources safe to read."""
    findings: list[Finding] = []
    ok: list[Resource] = []
    dp = str(pkg.descriptor_path.name)
    names = [r.get("name") for r in pkg.descriptor.get("resources", []) if isinstance(r, dict)]
    if not names:
        findings.append(_f("", dp, "package-error", "datapackage.json lists no resources", "add one entry per table under \"resources\"", 1))
    for res in pkg:
        rel = res.relpath
        line = pkg.descriptor_line(f'"{rel}"') if rel else pkg.descriptor_line(f'"{res.name}"')
        if not rel:
            findings.append(_f(res.name, dp, "resource-error", f"resource {res.name!r} has no path", f'add "path": "data/{res.name}.csv"', line, "path"))
            continue
        if "://" in rel:
            findings.append(_f(res.name, dp, "resource-error", f"resource {res.name!r} points to a URL ({rel}); ruven never downloads data", f"keep the file in the package and set the path to data/{res.name}.csv", line, "path", rel))
            continue
        p = Path(rel)
        if p.is_absolute() or ".." in p.parts:
            findings.append(_f(res.name, dp, "resource-error", f"resource {res.name!r} points outside the package ({rel})", f"move the file into the package and set the path to data/{res.name}.csv", line, "path", rel))
            continue
        if res.schema_path is not None and not res.schema:
            sp = res.descriptor.get("schema")
            findings.append(_f(res.name, dp, "schema-error", f"the schema of {res.name!r} ({sp}) is outside the package, a URL or empty", f"point \"schema\" to schemas/{res.name}.json", pkg.descriptor_line(f'"{sp}"'), "schema", str(sp)))
            continue
        if not res.path.exists():
            findings.append(_f(res.name, rel, "scheme-error", f"the file {rel} of resource {res.name!r} does not exist", f"create {rel} with the header of schemas/{res.name}.json, or fix the path in datapackage.json", None))
            continue
        problem = _scan_bytes(res)
        if problem:
            findings.append(problem)
            if problem.severity == "error":
                continue
        ok.append(res)
    return findings, ok


def _scan_bytes(res: Resource) -> Finding | None:
    """Encoding problems frictionless would misreport or crash on."""
    data = res.path.read_bytes()
    rel = res.relpath
    if not data.strip():
        return _f(res.name, rel, "source-error", f"{rel} is empty", f"write at least the header line: {','.join(res.field_names)}", 1)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _f(res.name, rel, "encoding-error", f"{rel} is UTF-16, not UTF-8", "save the file as UTF-8 (without BOM), e.g. with `ruven fmt` or your editor's encoding menu", 1)
    if data.startswith(b"\xef\xbb\xbf"):
        return _f(res.name, rel, "encoding-error", f"{rel} starts with a UTF-8 byte-order mark (BOM)", "run `ruven fmt` to remove it (save as UTF-8 without BOM)", 1, severity="error")
    nul = data.find(b"\x00")
    if nul >= 0:
        return _f(res.name, rel, "source-error", f"{rel} contains a NUL byte", "remove the NUL character; it usually comes from a binary paste or a UTF-16 file", data.count(b"\n", 0, nul) + 1)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 4]
        return _f(res.name, rel, "encoding-error", f"{rel} is not UTF-8: byte {bad[:1]!r} at line {line} (Latin-1 or Windows-1252 text?)", "re-save the file as UTF-8; `iconv -f latin1 -t utf-8` converts Latin-1", line, value=repr(bad))
    return None


def _descriptor_for_frictionless(pkg: DataPackage, resources: list[Resource]) -> dict[str, Any]:
    desc = {k: v for k, v in pkg.descriptor.items() if k != "resources"}
    desc["resources"] = [dict(r.descriptor, schema=r.schema) for r in resources]
    return desc


CONSTRAINT_RE = re.compile(r'constraint "(\w+)"')


def check(pkg: DataPackage, resources: list[Resource] | None = None) -> list[Finding]:
    """Validate the package with frictionless-py; every error becomes a Finding."""
    from frictionless import FrictionlessException, Package

    findings, safe = preflight(pkg)
    if resources is not None:
        safe = [r for r in safe if r.name in {x.name for x in resources}]
    # Foreign keys need their reference resources in the package, even unvalidated ones.
    try:
        fpkg = Package(_descriptor_for_frictionless(pkg, safe), basepath=str(pkg.root))
    except FrictionlessException as exc:
        return findings + list(_metadata_findings(pkg, exc))
    report = fpkg.validate()
    for task in report.tasks:
        res = pkg.resources.get(task.name)
        if res is None:
            continue
        for err in task.errors:
            findings.append(_convert(pkg, res, err))
    for err in report.errors:
        findings.append(_f("", pkg.descriptor_path.name, err.type, err.message, "fix datapackage.json", 1))
    return findings


def _metadata_findings(pkg: DataPackage, exc: Exception) -> Iterator[Finding]:
    err = getattr(exc, "error", None)
    reasons = getattr(exc, "reasons", None) or ([err] if err is not None else [])
    dp = pkg.descriptor_path.name
    for r in reasons:
        note = getattr(r, "note", "") or str(r)
        m = re.search(r'"(\w+)"', note)
        line = pkg.descriptor_line(m.group(1)) if m else None
        code = getattr(r, "type", "package-error")
        yield _f("", dp, code, f"the descriptor or a schema is not valid: {note}", "fix the descriptor or schema at that place; see https://datapackage.org/standard/table-schema/", line)
    if not reasons:
        yield _f("", dp, "package-error", str(exc), "fix datapackage.json", None)


def _convert(pkg: DataPackage, res: Resource, err: Any) -> Finding:
    code = err.type
    rel = res.relpath
    line = getattr(err, "row_number", None)
    fname = getattr(err, "field_name", "") or ""
    value = getattr(err, "cell", "") or ""
    note = getattr(err, "note", "") or ""
    fld = _field(res, fname)
    msg, hint = err.message, ""
    if code == "type-error" and fld:
        msg, hint = type_message(fld, value)
    elif code == "constraint-error" and fld:
        m = CONSTRAINT_RE.search(note)
        msg, hint = constraint_message(fld, m.group(1) if m else "constraint", value)
    elif code in ("unique-error", "primary-key"):
        if code == "primary-key":
            fname = res.primary_key[0] if res.primary_key else ""
            cells = getattr(err, "cells", []) or []
            value = cells[0] if cells else value
        msg = f"{value!r} is already used by an earlier row as {fname}"
        hint = "ids are never reused: give this row the next free id (ruven add proposes it) or withdraw the duplicate"
    elif code == "foreign-key":
        names = getattr(err, "field_names", []) or []
        cells = getattr(err, "field_cells", []) or []
        fname = names[0] if names else fname
        value = cells[0] if cells else value
        target = getattr(err, "reference_name", "") or res.name
        tpath = pkg.resources[target].relpath if target in pkg.resources else target
        msg = f"{value} is not in {tpath}"
        hint = f"use an id present in {tpath} (column id), or add that row there first"
    elif code in ("extra-cell", "missing-cell"):
        cells_n = len(res.field_names)
        msg = f"row has {'more' if code == 'extra-cell' else 'fewer'} cells than the {cells_n} columns of the header"
        hint = "check for an unquoted comma or a missing/extra separator; quote cells that contain commas"
        if code == "extra-cell":
            fname = ""
    elif code == "blank-row":
        msg, hint = "the row is empty", "delete the empty line"
    elif code in ("duplicate-label", "missing-label", "extra-label", "incorrect-label", "blank-label"):
        line = 1
        label = getattr(err, "label", "") or ""
        fname = fname or label
        value = label
        expected = ",".join(res.field_names)
        msg = {
            "duplicate-label": f"column {label!r} appears twice in the header",
            "missing-label": f"the header lacks column {fname!r}",
            "extra-label": f"the header has a column {label!r} that the schema does not define",
            "incorrect-label": f"header column {label!r} should be {fname!r}",
            "blank-label": "the header has an empty column name",
        }[code]
        hint = f"the header must be exactly: {expected}"
    elif code == "resource-error" and "foreign key" in err.message:
        m = re.search(r'as resource "(\w+)" does not exist', err.message)
        target = m.group(1) if m else "a referenced resource"
        msg = f"foreign keys to {target} were not checked: {target} could not be read"
        hint = f"fix the error reported for {target} first"
    elif code in ("scheme-error", "format-error", "encoding-error", "source-error", "io-error"):
        hint = f"check that {rel} exists and is a UTF-8 CSV file"
    else:
        hint = "see the message; the codebook (docs/codebook.md) describes every field"
    return _f(res.name, rel, code, msg, hint, line, fname, value)


def _field(res: Resource, name: str) -> Field | None:
    try:
        return res.field(name)
    except KeyError:
        return None
