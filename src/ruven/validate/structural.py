"""Layer 1, the Data Package contract: descriptor, types, constraints, primary and foreign keys.

Three parts:

1. ``preflight``: what would make a reader crash, hang or read outside the package: resource
   paths (URLs, absolute paths, ``..``), missing files, bytes that are not UTF-8, BOM, NUL bytes.
2. ``metadata``: frictionless-py validates the descriptor and the Table Schemas (what it is
   best at; no rows are read).
3. ``check_table``: the row checks frictionless would do (header labels, ragged rows, blank rows,
   types, constraints, unique and primary keys, foreign keys), run vectorised with polars over
   the whole column at once, and reported with frictionless' codes, fields and lines.
   ``check_frictionless`` runs frictionless-py itself over the rows; the conformance test
   compares the two finding for finding, and ``RUVEN_STRUCTURAL=frictionless`` selects it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruven.package import DataPackage, Field, Resource
from ruven.report import Finding, truncate
from ruven.validate.messages import constraint_message, type_message

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from ruven.validate.tables import Table

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
        crlf = b"\r\n" in fh.read(1 << 16)
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
        out.append(_f("", dp, err.type, f"the descriptor or a schema is not valid: {note}", "fix the descriptor or schema at that place; see https://datapackage.org/standard/table-schema/", line))
    return out


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


CONSTRAINT_RE = re.compile(r'constraint "(\w+)"')


# ---------------------------------------------------------------------------------------------
# One vocabulary for both engines


def make(pkg: DataPackage, res: Resource, code: str, line: int | None, fname: str, value: str, constraint: str = "", target: str = "", label: str = "") -> Finding:
    """The Finding for a frictionless error class, with ruven's message and hint."""
    rel = res.relpath
    fld = _field(res, fname)
    msg, hint = code, ""
    if code == "type-error" and fld:
        msg, hint = type_message(fld, value)
    elif code == "constraint-error" and fld:
        msg, hint = constraint_message(fld, constraint or "constraint", value)
    elif code in ("unique-error", "primary-key"):
        if not value and code == "primary-key":
            msg = f"the row has no {fname}"
            hint = f"every row needs a {fname}: give it the next free id (ruven add proposes it)"
        else:
            msg = f"{value!r} is already used by an earlier row as {fname}"
            hint = "ids are never reused: give this row the next free id (ruven add proposes it) or withdraw the duplicate"
    elif code == "foreign-key":
        tpath = pkg.resources[target].relpath if target in pkg.resources else target
        msg = f"{value} is not in {tpath}"
        hint = f"use an id present in {tpath} (column id), or add that row there first"
    elif code in ("extra-cell", "missing-cell"):
        msg = f"row has {'more' if code == 'extra-cell' else 'fewer'} cells than the {len(res.field_names)} columns of the header"
        hint = "check for an unquoted comma or a missing/extra separator; quote cells that contain commas"
        if code == "extra-cell":
            fname = ""
    elif code == "blank-row":
        msg, hint = "the row is empty", "delete the empty line"
    elif code in ("duplicate-label", "missing-label", "extra-label", "incorrect-label", "blank-label"):
        line = 1
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
    elif code == "resource-error":
        msg = f"foreign keys to {target} were not checked: {target} could not be read"
        hint = f"fix the error reported for {target} first"
    else:
        hint = "see the message; the codebook (docs/codebook.md) describes every field"
    return _f(res.name, rel, code, msg, hint, line, fname, value)


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
    return _f(res.name, res.relpath, code, err.message, "see the message; the codebook (docs/codebook.md) describes every field", line, fname, value)


def _field(res: Resource, name: str) -> Field | None:
    try:
        return res.field(name)
    except KeyError:
        return None


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
        findings.append(_f("", pkg.descriptor_path.name, err.type, err.message, "fix datapackage.json", 1))
    return findings


# ---------------------------------------------------------------------------------------------
# The vectorised engine


def key_fields(pkg: DataPackage) -> dict[str, set[str]]:
    """(resource -> fields) whose values other tables refer to: foreign keys and id lists."""
    out: dict[str, set[str]] = {}
    for res in pkg:
        for fk in res.foreign_keys:
            out.setdefault(fk.resource, set()).add(fk.reference_field)
        for fld in res.fields:
            for ref in fld.list_references:
                target = pkg.resources.get(ref)
                if target is not None and target.primary_key:
                    out.setdefault(ref, set()).add(target.primary_key[0])
    return out


def load_order(pkg: DataPackage, resources: list[Resource]) -> list[Resource]:
    """Referenced tables first (foreign keys and id lists), otherwise descriptor order."""
    names = [r.name for r in resources]
    deps = {r.name: {fk.resource for fk in r.foreign_keys if fk.resource != r.name} | {ref for f in r.fields for ref in f.list_references} for r in resources}
    out: list[str] = []
    visiting: set[str] = set()

    def visit(n: str) -> None:
        if n in out or n in visiting or n not in deps:
            return
        visiting.add(n)
        for d in sorted(deps[n], key=lambda x: names.index(x) if x in names else 0):
            visit(d)
        visiting.discard(n)
        out.append(n)

    for n in names:
        visit(n)
    return [pkg.resources[n] for n in out]


INTEGER_RE = r"^\s*[+-]?[0-9]+(?:_[0-9]+)*\s*$"
_DIGITS = r"[0-9]+(?:_[0-9]+)*"
NUMBER_RE = rf"(?i)^\s*[+-]?(?:(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:e[+-]?{_DIGITS})?|inf|infinity|s?nan)\s*$"
DATE_RE = r"^([0-9]{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12][0-9]|0[1-9]|[1-9])$"
FAST_TYPES = ("string", "integer", "number", "boolean", "date")


def _type_ok(fld: Field, col: pl.Expr) -> pl.Expr | None:
    """Boolean expression: the (non-missing) cell parses as the field's type; None = no check."""
    import polars as pl

    t = fld.type
    fmt = fld.descriptor.get("format", "default")
    if t == "string" and fmt in ("default", None):
        return None
    if t == "integer" and fld.descriptor.get("bareNumber", True):
        return col.str.contains(INTEGER_RE)
    if t == "number" and fld.descriptor.get("bareNumber", True) and not ({"groupChar", "decimalChar"} & set(fld.descriptor)):
        return col.str.contains(NUMBER_RE)
    if t == "boolean":
        trues = fld.descriptor.get("trueValues", ["true", "True", "TRUE", "1"])
        falses = fld.descriptor.get("falseValues", ["false", "False", "FALSE", "0"])
        return col.is_in(list(trues) + list(falses))
    if t == "date" and fmt in ("default", None):
        parts = col.str.extract_groups(DATE_RE)
        y = parts.struct.field("1")
        m = parts.struct.field("2").str.zfill(2)
        d = parts.struct.field("3").str.zfill(2)
        return pl.concat_str([y, m, d], separator="-").str.to_date("%Y-%m-%d", strict=False).is_not_null()
    return pl.lit(False)  # other types: checked value by value with frictionless (see _slow_type_ok)


def _slow_type_ok(fld: Field, values: pl.Series) -> set[str]:
    """Values frictionless cannot read as the field's type (for types without a vectorised check)."""
    from frictionless import Field as FField

    ff = FField.from_descriptor({k: v for k, v in fld.descriptor.items() if k not in ("constraints",)})
    bad = set()
    for v in values.unique().to_list():
        _, notes = ff.create_cell_reader()(v)
        if notes and "type" in notes:
            bad.add(v)
    return bad


def _numeric(fld: Field, col: pl.Expr) -> pl.Expr:
    """The cell as a float; null when polars cannot read it (" 5", "1_000": decided in Python)."""
    import polars as pl

    return col.cast(pl.Float64, strict=False)


def _exact_breaks(fld: Field, constraint: str, value: str) -> bool:
    """frictionless' own comparison for a cell polars could not cast (Decimal/int semantics)."""
    from decimal import Decimal, InvalidOperation

    try:
        v: Decimal | int = int(value.strip()) if fld.type == "integer" else Decimal(value.strip())
        if constraint == "minimum":
            return not v >= Decimal(str(fld.constraints["minimum"]))
        return not v <= Decimal(str(fld.constraints["maximum"]))
    except (InvalidOperation, ValueError):
        return True


def _regex(pattern: str) -> str:
    return f"^(?:{pattern})$"


def check_table(pkg: DataPackage, table: Table, keys: dict[tuple[str, str], pl.Series | None]) -> list[Finding]:
    """Every row check of frictionless over one table, vectorised; ``keys`` holds referenced columns."""
    import polars as pl

    from ruven.validate.tables import CELLS, LINE, MAX_CELL_CHARS

    res = table.resource
    out: list[Finding] = []
    labels = table.labels
    names = res.field_names
    # --- header
    for i, label in enumerate(labels):
        if i >= len(names):
            out.append(make(pkg, res, "extra-label", 1, "", "", label=label))
    for name in names[len(labels) :]:
        out.append(make(pkg, res, "missing-label", 1, name, ""))
    for i, (name, label) in enumerate(zip(names, labels, strict=False)):
        if not label:
            out.append(make(pkg, res, "blank-label", 1, name, ""))
            continue
        if label in labels[:i]:
            out.append(make(pkg, res, "duplicate-label", 1, name, "", label=label))
            continue
        if label != name:
            out.append(make(pkg, res, "incorrect-label", 1, name, "", label=label))
    for code, line, message, hint in table.parse_problems:
        out.append(_f(res.name, res.relpath, code, message, hint, line))
    df = table.df
    if df.height == 0:
        return out
    fields = [res.field(n) for n in table.fields]
    width = len(labels)
    missing_values = res.schema.get("missingValues", [""])
    # --- row shape: blank rows replace every other error of the row (as in frictionless)
    is_missing = {f.name: pl.col(f.name).is_in(missing_values) if missing_values != [""] else (pl.col(f.name) == "") for f in fields}
    blank = pl.all_horizontal([is_missing[f.name] for f in fields]) if fields else pl.lit(False)
    checks: list[tuple[str, str, str, pl.Expr]] = []  # (code, field, constraint, failing mask)
    dupes_cache: dict[str, bool] = {}

    def has_dupes(name: str) -> bool:
        """Counting distinct values is cheaper than marking first occurrences: do that only if needed."""
        if name not in dupes_cache:
            filled = pl.col(name).filter(~is_missing[name])
            n, distinct = df.select(filled.len().alias("n"), filled.n_unique().alias("d")).row(0)
            dupes_cache[name] = n != distinct
        return dupes_cache[name]

    slow_bad: dict[str, set[str]] = {}
    for f in fields:
        col = pl.col(f.name)
        present = ~is_missing[f.name]
        c = f.constraints
        if c.get("required"):
            checks.append(("constraint-error", f.name, "required", ~present))
        row_checks = checks
        checks = []  # value checks: a function of the cell alone, decided on distinct values if few
        tok = _type_ok(f, col)
        if tok is not None and f.type not in FAST_TYPES:
            slow_bad[f.name] = _slow_type_ok(f, df.get_column(f.name).filter(df.get_column(f.name) != ""))
            tok = ~col.is_in(list(slow_bad[f.name]))
        valid = present if tok is None else present & tok
        if tok is not None:
            checks.append(("type-error", f.name, "", present & ~tok))
        if "pattern" in c:
            checks.append(("constraint-error", f.name, "pattern", valid & ~col.str.contains(_regex(c["pattern"]))))
        if "enum" in c:
            enum = c["enum"]
            if f.type in ("integer", "number"):
                checks.append(("constraint-error", f.name, "enum", valid & ~_numeric(f, col).is_in([float(x) for x in enum])))
            else:
                checks.append(("constraint-error", f.name, "enum", valid & ~col.is_in([str(x) for x in enum])))
        if f.type in ("integer", "number") and ("minimum" in c or "maximum" in c):
            num = _numeric(f, col)
            if "minimum" in c:
                checks.append(("constraint-error", f.name, "minimum", valid & ((num < float(c["minimum"])) | num.is_nan()).fill_null(False)))
            if "maximum" in c:
                checks.append(("constraint-error", f.name, "maximum", valid & ((num > float(c["maximum"])) | num.is_nan()).fill_null(False)))
            for name in ("minimum", "maximum"):
                if name in c:
                    checks.append(("constraint-error", f.name, name + "?", valid & num.is_null()))
        if "minLength" in c:
            checks.append(("constraint-error", f.name, "minLength", valid & (col.str.len_chars() < int(c["minLength"]))))
        if "maxLength" in c:
            checks.append(("constraint-error", f.name, "maxLength", valid & (col.str.len_chars() > int(c["maxLength"]))))
        checks.append(("source-error", f.name, "cell-size", col.str.len_bytes() > MAX_CELL_CHARS))
        value_checks, checks = checks, row_checks
        checks.extend(_by_distinct_values(df, f.name, value_checks))
        if c.get("unique"):
            checks.append(("unique-error", f.name, "", present & ~_first_occurrence(col, present) if has_dupes(f.name) else pl.lit(False)))
    pk = [n for n in res.primary_key if n in table.fields]
    if pk:
        pk_present = pl.any_horizontal([~is_missing[n] for n in pk])
        key = pl.struct([pl.col(n) for n in pk]) if len(pk) > 1 else pl.col(pk[0])
        dupes = has_dupes(pk[0]) if len(pk) == 1 else True
        checks.append(("primary-key", pk[0], "", ((pk_present & ~_first_occurrence(key, pk_present)) if dupes else pl.lit(False)) | ~pk_present))
    for fk in res.foreign_keys:
        if fk.field not in table.fields:
            continue
        ref = keys.get((fk.resource, fk.reference_field))
        if fk.resource == res.name:
            ref = df.get_column(fk.reference_field) if fk.reference_field in df.columns else None
        if ref is None:
            out.append(make(pkg, res, "resource-error", None, fk.field, "", target=fk.resource))
            continue
        checks.append(("foreign-key", fk.field, fk.resource, ~is_missing[fk.field] & ~pl.col(fk.field).is_in(ref.implode())))
    shape: list[tuple[str, str, pl.Expr]] = []
    if table.ragged:
        for i, name in enumerate(table.fields):
            shape.append(("missing-cell", name, pl.col(CELLS) <= i))
        for i in range(len(table.fields), width):  # frictionless adds a field for each extra label
            shape.append(("missing-cell", labels[i], pl.col(CELLS) <= i))
    masks = [m.alias(f"__m{i}__") for i, (_, _, _, m) in enumerate(checks)]
    smasks = [m.alias(f"__s{i}__") for i, (_, _, m) in enumerate(shape)]
    long_rows = [pl.col(CELLS) > width] if table.ragged else []
    flagged = df.with_columns(blank.alias("__blank__"), *masks, *smasks).filter(
        pl.any_horizontal([pl.col(f"__m{i}__") for i in range(len(masks))] + [pl.col(f"__s{i}__") for i in range(len(smasks))] + long_rows + [pl.lit(False)])
    )
    extra = dict(table.extra_cells)
    for row in flagged.iter_rows(named=True):
        line = row[LINE]
        if row["__blank__"]:
            out.append(make(pkg, res, "blank-row", line, "", ""))
            if pk:
                out.append(make(pkg, res, "primary-key", line, pk[0], ""))
            continue
        for i, (code, fname, constraint, _) in enumerate(checks):
            if not row[f"__m{i}__"]:
                continue
            value = row[fname]
            if code == "constraint-error" and constraint == "required" and table.ragged and row[CELLS] <= table.fields.index(fname):
                value = "None"
            if constraint.endswith("?"):  # polars could not cast it: compare as frictionless does
                if _exact_breaks(res.field(fname), constraint[:-1], value):
                    out.append(make(pkg, res, code, line, fname, value, constraint=constraint[:-1]))
            elif code == "source-error":
                out.append(_f(res.name, res.relpath, "source-error", f"the cell of {fname} is {len(value.encode())} bytes long, more than the {MAX_CELL_CHARS} a cell may hold", "a whole document was probably pasted into one cell: shorten it, or fix the quoting that swallowed the following lines", line, fname, value))
            elif code == "foreign-key":
                out.append(make(pkg, res, code, line, fname, value, target=constraint))
            elif code == "primary-key":
                out.append(make(pkg, res, code, line, fname, value))
            else:
                out.append(make(pkg, res, code, line, fname, value, constraint=constraint))
        for i, (code, fname, _) in enumerate(shape):
            if row[f"__s{i}__"]:
                out.append(make(pkg, res, code, line, fname, ""))
        for cell in extra.get(line, []):
            out.append(make(pkg, res, "extra-cell", line, "", cell))
    return out


#: A column whose first rows hold at most this many distinct values is checked value by value.
FEW_DISTINCT = 5_000
#: Tables with fewer rows are checked row by row (the distinct-value detour does not pay off).
DISTINCT_MIN_ROWS = 50_000


def _by_distinct_values(df: pl.DataFrame, name: str, value_checks: list[tuple[str, str, str, pl.Expr]]) -> list[tuple[str, str, str, pl.Expr]]:
    """Value checks of one column. Most columns (dates, enums, numbers, ids of a small table) hold
    few distinct values: evaluate the checks on those, then mark only the rows holding a bad one."""
    import polars as pl

    if df.height < DISTINCT_MIN_ROWS:
        return value_checks
    column = df.get_column(name)
    if column.head(20_000).n_unique() > FEW_DISTINCT:
        return value_checks
    distinct = column.unique()
    if distinct.len() > 20 * FEW_DISTINCT:
        return value_checks
    small = pl.DataFrame({name: distinct})
    flags = small.select([mask.alias(f"__v{i}__") for i, (_, _, _, mask) in enumerate(value_checks)])
    out = []
    for i, (code, fname, constraint, _) in enumerate(value_checks):
        bad = distinct.filter(flags.get_column(f"__v{i}__").fill_null(False))
        if bad.len():
            out.append((code, fname, constraint, pl.col(name).is_in(bad.implode())))
    return out


def _first_occurrence(expr: pl.Expr, present: pl.Expr) -> pl.Expr:
    """True on the first row holding a value (later rows with the same value are the duplicates)."""
    import polars as pl

    return pl.when(present).then(expr).otherwise(None).is_first_distinct() | ~present


def keys_of(table: Table, fields: set[str]) -> dict[tuple[str, str], pl.Series]:
    """The distinct values of the fields other tables refer to."""
    out = {}
    for name in fields:
        if name in table.df.columns:
            s = table.df.get_column(name)
            out[(table.name, name)] = s.filter(s != "")  # duplicates do no harm to membership tests
    return out


def check(pkg: DataPackage, resources: list[Resource] | None = None) -> list[Finding]:
    """Layer 1 on its own: preflight, descriptor metadata, then every table's rows."""
    import os

    if os.environ.get("RUVEN_STRUCTURAL") == "frictionless":
        return check_frictionless(pkg)
    from ruven.validate.tables import load

    findings, safe = preflight(pkg)
    meta = metadata(pkg, safe)
    findings.extend(meta)
    if meta:
        return findings
    wanted = {r.name for r in resources} if resources is not None else None
    needed = key_fields(pkg)
    keys: dict[tuple[str, str], pl.Series | None] = {}
    for res in load_order(pkg, safe):
        table = load(res)
        if wanted is None or res.name in wanted:
            findings.extend(check_table(pkg, table, keys))
        keys.update(keys_of(table, needed.get(res.name, set())))
        del table
    return findings
