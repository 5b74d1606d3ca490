"""The canonical form of the package's files, and ``fmt``: bring every file into it.

Canonical CSV (every resource file):
  UTF-8 without byte-order mark; ``\\n`` line ends; the header is exactly the schema's field
  names in schema order; rows sorted by primary key (a stable sort: rows with equal keys keep
  their order); minimal quoting (``csv.QUOTE_MINIMAL``: a cell is quoted only when it holds
  a comma, a quote or a line break); blank lines dropped.

Canonical JSON (``datapackage.json``, the resources' schemas, ``validation/*.json``):
  UTF-8 without BOM, 2-space indent, non-ASCII characters written as themselves, one
  trailing newline, keys in the order they were authored. Keys are NOT sorted: the order of
  a schema's fields and of a field's properties (``name``, ``type``, ``title`` first) is the
  reading order reviewers rely on; "stable" means fmt never reorders them, so a diff shows
  only what an author changed. Lists keep their order. Strings are NFC-normalised.

The only changes fmt makes to values: every CSV cell and JSON string is normalised to
Unicode NFC (canonically equivalent: it renders the same), and leading and trailing
whitespace is stripped from CSV cells (:func:`normalize_cell`). Everything else is layout.
A property test (tests/test_cli_fmt.py) checks that the rows and cells survive.

Files are streamed with the csv module (no pandas): a 1M-row file is read once; rows are
held as already-encoded lines only when they have to be sorted.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruven.fs import atomic_write_text, digest, digest_bytes, package_lock, replace, write_temp
from ruven.package import DataPackage, Resource
from ruven.text import crlf_line_ends

BOM = "\ufeff"
#: Files above this size get change counts instead of a line-by-line diff in ``--check``.
DIFF_LIMIT_BYTES = 2_000_000


def normalize_cell(value: str) -> str:
    """The one value change fmt makes to a CSV cell: Unicode NFC, then strip outer whitespace."""
    return unicodedata.normalize("NFC", value).strip()


class LineWriter:
    """Turns a list of cells into one canonical CSV record (minimal quoting, ``\\n`` end)."""

    def __init__(self) -> None:
        self._buf = io.StringIO()
        # "\r\n" as terminator makes QUOTE_MINIMAL quote cells holding a lone "\r" too (with
        # "\n" Python 3.11 leaves them bare, and a reader would split the row there).
        self._writer = csv.writer(self._buf, lineterminator="\r\n")

    def __call__(self, cells: list[str]) -> str:
        line = ",".join(cells)
        if len(cells) > 1 and line.count(",") == len(cells) - 1 and '"' not in line and "\n" not in line and "\r" not in line:
            return line + "\n"  # fast path: nothing needs quoting
        buf = self._buf
        buf.seek(0)
        buf.truncate()
        self._writer.writerow(cells)
        return buf.getvalue()[:-2] + "\n"


def csv_line(cells: Iterable[str]) -> str:
    """One CSV record in canonical form (minimal quoting, ``\\n`` end)."""
    return LineWriter()(list(cells))


@dataclass
class FileChange:
    """What fmt changed (or would change) in one file."""

    path: str
    kind: str  # "csv" | "json"
    reasons: list[str] = field(default_factory=list)
    diff: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "reasons": self.reasons, "diff": self.diff}


@dataclass
class FileProblem:
    """A file fmt cannot bring into canonical form without changing its meaning, located at
    the line where the bad record starts, with the finding code ``ruven validate`` uses."""

    path: str
    message: str
    hint: str
    line: int | None = None
    code: str = ""

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "location": self.location, "code": self.code, "message": self.message, "hint": self.hint}


@dataclass
class FmtReport:
    checked: list[str] = field(default_factory=list)
    changes: list[FileChange] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.changes and not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "written": self.written,
            "checked": self.checked,
            "changes": [c.to_dict() for c in self.changes],
            "problems": [p.to_dict() for p in self.problems],
        }


class _Unformattable(Exception):
    def __init__(self, message: str, hint: str, line: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line
        self.code = code


def _parse_problem(exc: csv.Error, line: int) -> _Unformattable:
    """Why a strict parse failed, said for the record that starts at ``line``."""
    text = str(exc)
    if "unexpected end of data" in text:
        why = "a quote opened in the record that starts here is never closed: the rest of the file would become one cell"
    elif "expected after" in text:
        why = "a quote opened in the record that starts here closes in the middle of a later cell: the rows between would be merged into one"
    else:
        why = f"the record that starts here cannot be parsed ({text})"
    return _Unformattable(
        why,
        'fix the quoting by hand (close the quote, or double a quote that belongs in the text: ""); ruven validate locates it too; then run ruven fmt again',
        line,
        "source-error",
    )


def _canonical_csv(res: Resource, tmp_folder: Path) -> tuple[Path, list[str]]:
    """Write the canonical form of ``res`` to a temp file; return it and the reasons it differs.

    Raises _Unformattable when the file cannot be canonicalised without losing data: the
    file is read strictly (``csv`` ``strict=True``), so a stray quote that would swallow the
    following lines into one cell refuses the file instead of merging its rows.
    """
    path = res.path
    names = res.field_names
    reasons: dict[str, int] = {}

    def note(reason: str, n: int = 1) -> None:
        reasons[reason] = reasons.get(reason, 0) + n

    with path.open("rb") as raw:
        head = raw.read(3)
        crlf = crlf_line_ends(head + raw.read(1 << 16))  # not a CRLF inside a quoted cell
    if head == b"\xef\xbb\xbf":
        note("byte-order mark removed")
    if crlf:
        note("line ends")
    n_lines_before = 0  # physical lines read before the current record
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
        with fh:
            reader = csv.reader(fh, strict=True)
            header = next(reader, None)
            if header is None:
                raise _Unformattable("the file is empty", f"write the header line: {','.join(names)}", 1, "source-error")
            header = [normalize_cell(h) for h in header]
            if sorted(header) != sorted(names):
                missing = [n for n in names if n not in header]
                extra = [h for h in header if h not in names]
                what = "; ".join(x for x in (f"missing {', '.join(missing)}" if missing else "", f"not in the schema {', '.join(extra)}" if extra else "") if x)
                raise _Unformattable(
                    f"the header does not have the schema's columns ({what or 'duplicate columns'})",
                    f"fix the header by hand (the schema's columns are {','.join(names)}), then run ruven fmt again",
                    1,
                    "missing-label" if missing else "extra-label" if extra else "duplicate-label",
                )
            if header != names:
                note("columns put in schema order")
            order = [header.index(n) for n in names]
            line_of = LineWriter()
            key_idx = [names.index(k) for k in res.primary_key if k in names]
            rows: list[tuple[tuple[str, ...], str]] = []
            in_order = True
            last: tuple[str, ...] | None = None
            n_lines_before = reader.line_num
            for rec in reader:
                if not rec:  # a blank line is not a row
                    note("blank lines removed")
                    n_lines_before = reader.line_num
                    continue
                if len(rec) != len(header):
                    line = n_lines_before + 1
                    raise _Unformattable(
                        f"the record that starts here has {len(rec)} cells, the header has {len(header)}",
                        "fix that row by hand (an unquoted comma, a missing separator or a stray quote is the usual cause; ruven validate locates it), then run ruven fmt again",
                        line,
                        "extra-cell" if len(rec) > len(header) else "missing-cell",
                    )
                n_lines_before = reader.line_num
                raw_cells = [rec[i] for i in order]
                cells = [c.strip() if c.isascii() else normalize_cell(c) for c in raw_cells]
                if cells != raw_cells:
                    for v, nv in zip(raw_cells, cells, strict=True):
                        if nv != v:
                            note("cells normalised to NFC" if nv != v.strip() else "stray whitespace stripped from cells")
                key = tuple(cells[i] for i in key_idx)
                if last is not None and key < last:
                    in_order = False
                last = key
                rows.append((key, line_of(cells)))
    except UnicodeDecodeError as exc:
        raise _Unformattable(f"the file is not UTF-8 ({exc.reason})", "re-save it as UTF-8 (ruven validate says where), then run ruven fmt again", code="encoding-error") from exc
    except csv.Error as exc:
        raise _parse_problem(exc, n_lines_before + 1) from exc
    if not in_order:
        note("rows sorted by " + ", ".join(res.primary_key))
        rows.sort(key=lambda kv: kv[0])
    tmp = write_temp(tmp_folder, [csv_line(names), *(line for _, line in rows)], prefix=".ruven-fmt-", target=path)
    if "line ends" in reasons:
        del reasons["line ends"]
        reasons["line ends changed to \\n"] = 1
    return tmp, [f"{r} ({n} cells)" if r.startswith(("cells", "stray")) else r for r, n in reasons.items()]


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def _unified(old: Path, new_text_path: Path, rel: str, limit: int = 40) -> list[str]:
    if old.stat().st_size > DIFF_LIMIT_BYTES:
        return []
    a = old.read_text(encoding="utf-8", errors="replace").splitlines()
    b = new_text_path.read_text(encoding="utf-8").splitlines()
    out = list(difflib.unified_diff(a, b, f"a/{rel}", f"b/{rel}", lineterm="", n=0))
    if len(out) > limit:
        out = out[:limit] + [f"… {len(out) - limit} more diff lines"]
    return out


def canonical_json_text(value: Any) -> str:
    """``value`` as canonical JSON text (authored key order kept, NFC strings, trailing newline)."""
    return json.dumps(_nfc(value), indent=2, ensure_ascii=False) + "\n"


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    return value


def json_files(pkg: DataPackage) -> list[Path]:
    """The package's JSON files that fmt owns: descriptor, resource schemas, validation suites."""
    out = [pkg.descriptor_path]
    for res in pkg:
        if res.schema_path is not None and res.schema_path.exists():
            out.append(res.schema_path)
    val = pkg.root / "validation"
    if val.is_dir():
        out.extend(pkg.file(p.relative_to(pkg.root).as_posix()) for p in sorted(val.glob("*.json")))  # the one resolver
    seen: set[Path] = set()
    return [p for p in out if not (p.resolve() in seen or seen.add(p.resolve()))]  # type: ignore[func-returns-value]


def _format_json(path: Path, rel: str, write: bool) -> FileChange | FileProblem | None:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
        value = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return FileProblem(rel, f"not valid UTF-8 JSON: {exc}", "fix the JSON syntax by hand, then run ruven fmt again", getattr(exc, "lineno", None))
    except RecursionError:
        return FileProblem(rel, "the JSON is nested too deeply to be read", "fix the file by hand (a descriptor or schema is a few levels deep), then run ruven fmt again")
    new = canonical_json_text(value)
    if new.encode("utf-8") == raw:
        return None
    reasons = []
    if raw.startswith(b"\xef\xbb\xbf"):
        reasons.append("byte-order mark removed")
    if "\r\n" in text:
        reasons.append("line ends changed to \\n")
    if canonical_json_text(json.loads(unicodedata.normalize("NFC", text))) == new and unicodedata.normalize("NFC", text) != text:
        reasons.append("strings normalised to NFC")
    if not text.endswith("\n"):
        reasons.append("trailing newline added")
    if not reasons or text.replace("\r\n", "\n").rstrip("\n") != new.rstrip("\n"):
        reasons.append("layout (2-space indent, one key per line, non-ASCII written as itself)")
    diff = list(difflib.unified_diff(text.splitlines(), new.splitlines(), f"a/{rel}", f"b/{rel}", lineterm="", n=0))
    if len(diff) > 40:
        diff = diff[:40] + [f"… {len(diff) - 40} more diff lines"]
    if write:
        atomic_write_text(path, new, expect=digest_bytes(raw))
    return FileChange(rel, "json", reasons, diff)


def _format_csv(res: Resource, write: bool) -> FileChange | FileProblem | None:
    rel = res.relpath
    read = digest(res.path)  # what fmt reads; it writes only if the file is still that
    try:
        tmp, reasons = _canonical_csv(res, res.path.parent)
    except _Unformattable as exc:
        return FileProblem(rel, exc.message, exc.hint, exc.line, exc.code)
    try:
        if _same_bytes(res.path, tmp):
            return None
        if not reasons:
            reasons = ["quoting (minimal: only cells with a comma, quote or line break are quoted)"]
        change = FileChange(rel, "csv", reasons, _unified(res.path, tmp, rel))
        if write:
            replace(tmp, res.path, expect=read)
        return change
    finally:
        tmp.unlink(missing_ok=True)


def format_package(path: str | os.PathLike[str] | DataPackage | None = None, *, write: bool = True) -> FmtReport:
    """Bring every CSV and JSON file of the package into canonical form (``write=False``: only say what would change).

    Writing holds the package's writer lock (:func:`ruven.fs.package_lock`: it waits for a
    running ``ruven add``) and re-reads the package under it; a file that changes while fmt
    works on it is left alone (:class:`ruven.errors.FileChangedError`).
    """
    pkg = path if isinstance(path, DataPackage) else DataPackage.load(path)
    if not write:
        return _format(pkg, write)
    with package_lock(pkg.root):
        return _format(DataPackage.load(pkg.descriptor_path), write)


def _format(pkg: DataPackage, write: bool) -> FmtReport:
    report = FmtReport(written=write)
    for p in json_files(pkg):
        rel = p.relative_to(pkg.root).as_posix() if p.is_relative_to(pkg.root) else str(p)
        report.checked.append(rel)
        _collect(report, _format_json(p, rel, write))
    for res in pkg:
        if not res.relpath or "://" in res.relpath or not res.path.is_file() or not res.field_names:
            continue
        report.checked.append(res.relpath)
        _collect(report, _format_csv(res, write))
    report.written = write and bool(report.changes)
    return report


def _collect(report: FmtReport, result: FileChange | FileProblem | None) -> None:
    if isinstance(result, FileChange):
        report.changes.append(result)
    elif isinstance(result, FileProblem):
        report.problems.append(result)


__all__ = [
    "FileChange",
    "FileProblem",
    "FmtReport",
    "canonical_json_text",
    "csv_line",
    "format_package",
    "json_files",
    "normalize_cell",
]
