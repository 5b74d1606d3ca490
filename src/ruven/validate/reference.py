"""Layer 1, the reference engine: frictionless-py itself reads every row (slow; for the
conformance test and debugging; ``RUVEN_STRUCTURAL=frictionless`` selects it). Its errors become
the same findings as those of the vectorised engine in :mod:`ruven.validate.structural`."""

from __future__ import annotations

import re
from typing import Any

from ruven.package import DataPackage, Resource
from ruven.report import Finding
from ruven.validate import codes
from ruven.validate.messages import contract_finding as make
from ruven.validate.preflight import _metadata_findings, descriptor_for_frictionless, preflight

LAYER = "frictionless"
CONSTRAINT_RE = re.compile(r'constraint "(\w+)"')


def _f(res: str, path: str, code: str, message: str, hint: str, line: int | None = None, field: str = "", value: str = "", severity: str = "") -> Finding:
    return codes.make(code, res, path, line, field, value, message, hint, layer=LAYER, severity=severity)


def _convert(pkg: DataPackage, res: Resource, err: Any) -> Finding:
    """A frictionless-py row error as a Finding (the reference engine)."""
    code = err.type
    line = getattr(err, "row_number", None)
    fname = getattr(err, "field_name", "") or ""
    value = getattr(err, "cell", "") or ""
    note = getattr(err, "note", "") or ""
    if code == "constraint-error":
        m = CONSTRAINT_RE.search(note)
        return make(pkg, res, code, line, fname, value, constraint=m.group(1) if m else "constraint")
    if code in ("unique-error", "primary-key"):
        if code == "primary-key":
            fname = res.primary_key[0] if res.primary_key else ""
            cells = getattr(err, "cells", []) or []
            value = cells[0] if cells else value
            if "all \"None\"" in note:
                value = ""
        return make(pkg, res, code, line, fname, value)
    if code == "foreign-key":
        names = getattr(err, "field_names", []) or []
        cells = getattr(err, "field_cells", []) or []
        return make(pkg, res, code, line, names[0] if names else fname, cells[0] if cells else value, target=getattr(err, "reference_name", "") or res.name)
    if code in ("duplicate-label", "missing-label", "extra-label", "incorrect-label", "blank-label"):
        return make(pkg, res, code, 1, fname, "", label=getattr(err, "label", "") or "")
    if code == "resource-error" and "foreign key" in err.message:
        m = re.search(r'as resource "(\w+)" does not exist', err.message)
        return make(pkg, res, code, line, fname, value, target=m.group(1) if m else "a referenced resource")
    if code in ("type-error", "extra-cell", "missing-cell", "blank-row"):
        return make(pkg, res, code, line, fname, value)
    if code in ("scheme-error", "format-error", "encoding-error", "source-error", "io-error"):
        return _f(res.name, res.relpath, code, err.message, f"check that {res.relpath} exists and is a UTF-8 CSV file", line, fname, value)
    return _f(res.name, res.relpath, codes.known(code, "source-error"), err.message, "see the message; the codebook (docs/codebook.md) describes every field", line, fname, value)


def check_frictionless(pkg: DataPackage) -> list[Finding]:
    """The reference engine: frictionless-py reads every row (slow; for conformance and debugging)."""
    from frictionless import FrictionlessException, Package

    findings, safe = preflight(pkg)
    try:
        fpkg = Package(descriptor_for_frictionless(pkg, safe), basepath=str(pkg.root))
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
        findings.append(_f("", pkg.descriptor_path.name, codes.known(err.type, "package-error"), err.message, "fix datapackage.json", 1))
    return findings

