"""Layer 1, part one: what must hold before any row is read.

``preflight``: what would make a reader crash, hang or read outside the package: resource and
schema paths (through the package's one resolver, :mod:`ruven.package.paths`: URLs, absolute
paths, ``..``, symlinks out of the package, devices, folders), the descriptor's URLs (only
well-formed http(s) may become links), missing files, bytes that are not UTF-8, BOM, NUL bytes.
``metadata``: frictionless-py validates the descriptor and the Table Schemas (what it is best
at; no rows are read).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from ruven.package import DataPackage, Resource
from ruven.report import Finding
from ruven.text import crlf_line_ends
from ruven.validate import codes

LAYER = "frictionless"


def _f(res: str, path: str, code: str, message: str, hint: str, line: int | None = None, field: str = "", value: str = "", severity: str = "") -> Finding:
    return codes.make(code, res, path, line, field, value, message, hint, layer=LAYER, severity=severity)


def preflight(pkg: DataPackage, late: LateScan | None = None) -> tuple[list[Finding], list[Resource]]:
    """Descriptor and file checks; returns findings and the resources safe to read. The files
    ``late`` takes are scanned only up to their first line (and at least ``HEAD_BYTES``): the
    reader of their rows scans the rest (see :class:`LateScan`)."""
    findings: list[Finding] = descriptor_urls(pkg)
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
        problem = res.path_problem
        if problem is not None:
            findings.append(_f(res.name, dp, "resource-error", problem.message, problem.hint, line, "path", rel))
            continue
        if res.name in pkg.schema_problems:
            sp = str(res.descriptor.get("schema"))
            sprob = pkg.schema_problems[res.name]
            findings.append(_f(res.name, dp, "schema-error", sprob.message, sprob.hint, pkg.descriptor_line(f'"{sp}"'), "schema", sp))
            continue
        if res.schema_path is not None and not res.schema:
            sp = res.descriptor.get("schema")
            findings.append(_f(res.name, dp, "schema-error", f"the schema of {res.name!r} ({sp}) is empty", f"point \"schema\" to schemas/{res.name}.json", pkg.descriptor_line(f'"{sp}"'), "schema", str(sp)))
            continue
        if not res.path.exists():
            findings.append(_f(res.name, rel, "scheme-error", f"the file {rel} of resource {res.name!r} does not exist", f"create {rel} with the header of schemas/{res.name}.json, or fix the path in datapackage.json", None))
            continue
        problem = _scan_bytes(res, head=late is not None and late.takes(res))
        if problem:
            findings.append(problem)
            if problem.severity == "error":
                continue
        ok.append(res)
    return findings, ok


#: Descriptor properties that hold a URL (or, for ``path``, a file of the package), as
#: (list property or None, key): ``homepage``, ``licenses[].path``, ``sources[].path``, ...
URL_PROPERTIES = ((None, "homepage"), (None, "image"), ("licenses", "path"), ("sources", "path"), ("contributors", "path"))


def _urls(desc: dict[str, Any], prefix: str) -> Iterator[tuple[str, str, bool]]:
    """(field path, value, may be a local path) of every URL property of ``desc``."""
    for group, key in URL_PROPERTIES:
        if group is None:
            if isinstance(desc.get(key), str):
                yield f"{prefix}{key}", desc[key], key == "image"
            continue
        items = desc.get(group)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get(key), str):
                yield f"{prefix}{group}[{i}].{key}", item[key], True


def descriptor_urls(pkg: DataPackage) -> list[Finding]:
    """The descriptor's URLs (``homepage``, ``licenses[].path``, ``sources[].path``, the same
    in each resource): a URL must be a well-formed http(s) URL (they become links in the site
    and the docs); a local path must name a file inside the package (the one resolver)."""
    from ruven.package import paths
    from ruven.urls import url_problem

    out = []
    dp = pkg.descriptor_path.name
    found = list(_urls(pkg.descriptor, ""))
    for i, res in enumerate(pkg.descriptor.get("resources", [])):
        if isinstance(res, dict):
            found += _urls(res, f"resources[{i}].")
    for field, value, local_ok in found:
        line = pkg.descriptor_line(f'"{value}"') if value else None
        if local_ok and not paths.is_url(value) and value.strip():
            problem = paths.check(pkg.root, value, field)
            if problem is not None:
                out.append(_f("", dp, "invalid-url", problem.message, problem.hint, line, field, value))
            continue
        why = url_problem(value)
        if why:
            out.append(_f("", dp, "invalid-url", f"{field} {value!r} is not a well-formed http(s) URL: {why}", "write a full http:// or https:// address (it becomes a link), or the path of a file inside the package", line, field, value))
    return out


#: the bytes of a file scanned at once by :func:`_scan_bytes`
SCAN_BYTES = 1 << 24
#: the bytes at the start of a file scanned by :func:`_scan_bytes` with ``head`` (the whole first line, at least)
HEAD_BYTES = 1 << 20


def _scan_bytes(res: Resource, head: bool = False) -> Finding | None:
    """Encoding problems frictionless would misreport or crash on (read in chunks: no copy of a
    big file). With ``head``, only up to the end of the first line, and at least ``HEAD_BYTES``."""
    import codecs

    rel = res.relpath
    with res.path.open("rb") as fh:
        lead = fh.read(4)
        fh.seek(0)
        data_empty = not lead
        if data_empty or not (lead.strip() or fh.read(1 << 16).strip()):
            return _f(res.name, rel, "source-error", f"{rel} is empty", f"write at least the header line: {','.join(res.field_names)}", 1)
        fh.seek(0)
        if lead.startswith((b"\xff\xfe", b"\xfe\xff")):
            return _f(res.name, rel, "encoding-error", f"{rel} is UTF-16, not UTF-8", "save the file as UTF-8 (without BOM), e.g. with `ruven fmt` or your editor's encoding menu", 1)
        if lead.startswith(b"\xef\xbb\xbf"):
            return _f(res.name, rel, "encoding-error", f"{rel} starts with a UTF-8 byte-order mark (BOM)", "run `ruven fmt` to remove it (save as UTF-8 without BOM)", 1)
        crlf = crlf_line_ends(fh.read(1 << 16))  # record ends, not a CRLF inside a quoted cell
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = 0  # of the chunk in the file: lines are counted only to place a problem found
        # (read into one buffer: its pages are written once, not faulted in afresh for every
        # chunk, which took half the scan of a big file)
        buf = bytearray(min(HEAD_BYTES if head else SCAN_BYTES, max(res.path.stat().st_size, 1)))
        while n := fh.readinto(buf):
            chunk = buf if n == len(buf) else buf[:n]
            nul = chunk.find(b"\x00")
            if nul >= 0:
                return _f(res.name, rel, "source-error", f"{rel} contains a NUL byte", "remove the NUL character; it usually comes from a binary paste or a UTF-16 file", _line_at(res, offset + nul))
            if not chunk.isascii():
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    start = max(exc.start - len(decoder.getstate()[0]), 0)
                    line = _line_at(res, offset + start)
                    bad = bytes(chunk[start : start + 4])
                    return _f(res.name, rel, "encoding-error", f"{rel} is not UTF-8: byte {bad[:1]!r} at line {line} (Latin-1 or Windows-1252 text?)", "re-save the file as UTF-8; `iconv -f latin1 -t utf-8` converts Latin-1", line, value=repr(bad))
            else:
                decoder.reset()
            offset += len(chunk)
            if head and b"\n" in chunk:
                break
        try:
            if not head:
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return _f(res.name, rel, "encoding-error", f"{rel} is not UTF-8: it ends inside a multi-byte character", "re-save the file as UTF-8", _line_at(res, offset))
    if crlf:
        return _f(res.name, rel, "line-endings", f"{rel} has Windows line endings (CRLF)", "run `ruven fmt` to rewrite it with \\n line endings, so that git diffs show only real changes", 1, severity="warning")
    return None


class LateScan:
    """The files whose bytes past their first line :func:`preflight` leaves to the reader of
    their rows, the big tables read in parts (:func:`ruven.validate.tables.parts` with
    ``scan``): their bytes are then read once, not twice (the preflight's read of them took
    0.27 s at 1M rows per table, before any row was checked). A file whose rows were not all
    read that way is scanned here (:meth:`settle`). Where a problem is found either way,
    :class:`ruven.validate.blocks.BadBytes` is raised: the caller then runs the preflight over
    every file as before, which leaves that table out and reports it."""

    def __init__(self, wants: Callable[[Resource], bool]) -> None:
        self._wants = wants
        #: the files whose bytes past the first line are not scanned yet
        self.pending: set[str] = set()

    def takes(self, res: Resource) -> bool:
        if self._wants(res):
            self.pending.add(res.name)
            return True
        return False

    def scans(self, res: Resource) -> bool:
        """Whether the reader of ``res``'s rows is to scan its bytes (then :meth:`read`)."""
        return res.name in self.pending

    def read(self, res: Resource) -> None:
        """Every row of ``res`` was read, and its bytes scanned."""
        self.pending.discard(res.name)

    def settle(self, resources: list[Resource]) -> None:
        """Scan the files of ``resources`` whose rows were not all read: raise BadBytes if one
        is not clean, as the preflight would have found."""
        from ruven.validate.blocks import BadBytes

        for res in resources:
            if res.name in self.pending:
                self.pending.discard(res.name)
                problem = _scan_bytes(res)
                if problem is not None and problem.severity == "error":
                    raise BadBytes(res.name)


def _line_at(res: Resource, offset: int) -> int:
    """The line of the byte at ``offset`` (1-based), counted only when a problem is found there."""
    lines = 0
    with res.path.open("rb") as fh:
        while offset > 0:
            chunk = fh.read(min(1 << 24, offset))
            if not chunk:
                break
            lines += chunk.count(b"\n")
            offset -= len(chunk)
    return lines + 1


def patterns(pkg: DataPackage, resources: list[Resource]) -> list[Finding]:
    """Field patterns the row checks cannot run: not a regular expression Python (frictionless)
    reads, or one of the constructs polars' regex engine lacks (look-around, back-references).
    frictionless' descriptor check lets a broken pattern through; the rows would then fail."""
    import json
    import re

    import polars as pl

    out = []
    for res in resources:
        for f in res.fields:
            pattern = f.constraints.get("pattern")
            if not isinstance(pattern, str):
                continue
            try:
                re.compile(pattern)
                pl.select(pl.lit("").str.contains(f"^(?:{pattern})$"))
            except Exception as exc:  # noqa: BLE001 - re.error, polars' ComputeError: both mean the same
                where = str(res.schema_path.relative_to(pkg.root)) if res.schema_path is not None else pkg.descriptor_path.name
                line = _line_of(res.schema_path, json.dumps(pattern)) if res.schema_path is not None else None
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                out.append(_f(res.name, where, "schema-error", f"the pattern of {f.name} is not a regular expression the checks can run: {reason}", "fix the pattern: plain regular-expression syntax without look-around or back-references (see https://docs.rs/regex/latest/regex/#syntax)", line, f.name, pattern))
    return out


def _line_of(path: Any, needle: str) -> int | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return next((i for i, line in enumerate(text.splitlines(), start=1) if needle in line), None)


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



class MetadataCheck:
    """:func:`metadata` in a child process, so that importing frictionless and checking the
    descriptor overlap layers 1 and 2 on another core (as Great Expectations does); ``result``
    waits for it. If the child cannot start or answer, the check runs here."""

    def __init__(self, pkg: DataPackage, resources: list[Resource]) -> None:
        import subprocess
        import sys

        self.pkg, self.resources = pkg, resources
        try:
            self._proc: Any = subprocess.Popen(
                [sys.executable, "-m", "ruven.validate.preflight", str(pkg.descriptor_path), ",".join(r.name for r in resources)],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self._proc = None
        self._result: list[Finding] | None = None
        self._cancelled = False

    def result(self) -> list[Finding]:
        import json

        if self._result is None:
            found = None
            if self._proc is not None:
                out, _ = self._proc.communicate()
                try:
                    found = [Finding.from_dict(f) for f in json.loads(out.decode("utf-8"))]
                except (ValueError, TypeError):
                    found = None
            self._result = metadata(self.pkg, self.resources) if found is None else found
        return self._result

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Stop the child (Ctrl-C): ``result`` is then empty, and :attr:`cancelled` true."""
        self._result = []
        self._cancelled = True
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()


def _main(argv: list[str]) -> int:
    import json
    import sys

    pkg = DataPackage.load(argv[0], check_paths=False)
    names = set(argv[1].split(",")) if len(argv) > 1 else set()
    found = metadata(pkg, [r for r in pkg if r.name in names])
    sys.stdout.write(json.dumps([f.to_dict() for f in found]))
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through validate_package
    import sys

    from ruven.exits import leave_objects_to_the_exit

    code = _main(sys.argv[1:])
    leave_objects_to_the_exit()  # (the parent waits for this process to end)
    raise SystemExit(code)
