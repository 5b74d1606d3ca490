"""Layer 1, part one: what must hold before any row is read.

``preflight``: what would make a reader crash, hang or read outside the package: resource
paths (URLs, absolute paths, ``..``), missing files, bytes that are not UTF-8, BOM, NUL bytes.
``metadata``: frictionless-py validates the descriptor and the Table Schemas (what it is best
at; no rows are read).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruven.package import DataPackage, Resource
from ruven.report import Finding
from ruven.text import crlf_line_ends
from ruven.validate import codes

LAYER = "frictionless"


def _f(res: str, path: str, code: str, message: str, hint: str, line: int | None = None, field: str = "", value: str = "", severity: str = "") -> Finding:
    return codes.make(code, res, path, line, field, value, message, hint, layer=LAYER, severity=severity)


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
    """Encoding problems frictionless would misreport or crash on (read in chunks: no copy of a big file)."""
    import codecs

    rel = res.relpath
    with res.path.open("rb") as fh:
        head = fh.read(4)
        fh.seek(0)
        data_empty = not head
        if data_empty or not (head.strip() or fh.read(1 << 16).strip()):
            return _f(res.name, rel, "source-error", f"{rel} is empty", f"write at least the header line: {','.join(res.field_names)}", 1)
        fh.seek(0)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return _f(res.name, rel, "encoding-error", f"{rel} is UTF-16, not UTF-8", "save the file as UTF-8 (without BOM), e.g. with `ruven fmt` or your editor's encoding menu", 1)
        if head.startswith(b"\xef\xbb\xbf"):
            return _f(res.name, rel, "encoding-error", f"{rel} starts with a UTF-8 byte-order mark (BOM)", "run `ruven fmt` to remove it (save as UTF-8 without BOM)", 1)
        crlf = crlf_line_ends(fh.read(1 << 16))  # record ends, not a CRLF inside a quoted cell
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = 0
        lines = 0
        commas = 0
        last = b""
        while True:
            chunk = fh.read(1 << 24)
            if not chunk:
                break
            commas += chunk.count(b",")
            last = chunk[-1:]
            nul = chunk.find(b"\x00")
            if nul >= 0:
                return _f(res.name, rel, "source-error", f"{rel} contains a NUL byte", "remove the NUL character; it usually comes from a binary paste or a UTF-16 file", lines + chunk.count(b"\n", 0, nul) + 1)
            if not chunk.isascii():
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    start = max(exc.start - len(decoder.getstate()[0]), 0)
                    line = lines + chunk.count(b"\n", 0, start) + 1
                    bad = chunk[start : start + 4]
                    return _f(res.name, rel, "encoding-error", f"{rel} is not UTF-8: byte {bad[:1]!r} at line {line} (Latin-1 or Windows-1252 text?)", "re-save the file as UTF-8; `iconv -f latin1 -t utf-8` converts Latin-1", line, value=repr(bad))
            else:
                decoder.reset()
            lines += chunk.count(b"\n")
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return _f(res.name, rel, "encoding-error", f"{rel} is not UTF-8: it ends inside a multi-byte character", "re-save the file as UTF-8", lines + 1)
    from ruven.validate.tables import remember_counts

    remember_counts(res.path, lines, commas, last == b"\n")
    if crlf:
        return _f(res.name, rel, "line-endings", f"{rel} has Windows line endings (CRLF)", "run `ruven fmt` to rewrite it with \\n line endings, so that git diffs show only real changes", 1, severity="warning")
    return None


def descriptor_for_frictionless(pkg: DataPackage, resources: list[Resource]) -> dict[str, Any]:
    desc = {k: v for k, v in pkg.descriptor.items() if k != "resources"}
    desc["resources"] = [dict(r.descriptor, schema=r.schema) for r in resources]
    return desc


def metadata(pkg: DataPackage, resources: list[Resource]) -> list[Finding]:
    """frictionless-py validates the descriptor and every Table Schema (no rows are read)."""
    from frictionless import FrictionlessException, Package

    try:
        report = Package.validate_descriptor(descriptor_for_frictionless(pkg, resources))
    except FrictionlessException as exc:
        return list(_metadata_findings(pkg, exc))
    out = []
    dp = pkg.descriptor_path.name
    for err in report.errors:
        note = getattr(err, "note", "") or err.message
        m = re.search(r'"(\w+)"', note)
        line = pkg.descriptor_line(m.group(1)) if m else None
        out.append(_f("", dp, codes.known(err.type, "package-error"), f"the descriptor or a schema is not valid: {note}", "fix the descriptor or schema at that place; see https://datapackage.org/standard/table-schema/", line))
    return out


def _metadata_findings(pkg: DataPackage, exc: Exception) -> Iterator[Finding]:
    err = getattr(exc, "error", None)
    reasons = getattr(exc, "reasons", None) or ([err] if err is not None else [])
    dp = pkg.descriptor_path.name
    for r in reasons:
        note = getattr(r, "note", "") or str(r)
        m = re.search(r'"(\w+)"', note)
        line = pkg.descriptor_line(m.group(1)) if m else None
        code = codes.known(getattr(r, "type", "package-error"), "package-error")
        yield _f("", dp, code, f"the descriptor or a schema is not valid: {note}", "fix the descriptor or schema at that place; see https://datapackage.org/standard/table-schema/", line)
    if not reasons:
        yield _f("", dp, "package-error", str(exc), "fix datapackage.json", None)

