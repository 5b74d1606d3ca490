"""Layer 1, the Data Package contract over the rows: header labels, ragged rows, blank rows,
types, constraints, unique and primary keys, foreign keys: the row checks frictionless would do,
run vectorised with polars over the whole column at once, and reported with frictionless' codes,
fields and lines. The conformance test compares them, finding for finding, with frictionless-py
itself (:mod:`ruven.validate.reference`). What is checked before rows are read lives in
:mod:`ruven.validate.preflight`; the key columns kept between tables in :mod:`ruven.validate.keys`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ruven.package import DataPackage, Field, Resource
from ruven.report import Finding
from ruven.validate import codes
from ruven.validate.frames import not_in
from ruven.validate.keys import key_fields, keys_of, load_order
from ruven.validate.limit import Limit
from ruven.validate.messages import contract_finding as make
from ruven.validate.preflight import metadata, preflight

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from ruven.validate.tables import Table

LAYER = "frictionless"


def _f(res: str, path: str, code: str, message: str, hint: str, line: int | None = None, field: str = "", value: str = "", severity: str = "") -> Finding:
    return codes.make(code, res, path, line, field, value, message, hint, layer=LAYER, severity=severity)


#: referenced keys above this many are looked up with :func:`ruven.validate.frames.not_in`
BIG_KEYS = 1 << 18

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
        return col.is_in(fld.true_values + fld.false_values)
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


def check_table(pkg: DataPackage, table: Table, keys: dict[tuple[str, str], pl.Series | None], scope: str = "all", header: bool = True, limit: Limit | None = None, ready: frozenset[str] = frozenset()) -> list[Finding]:
    """Every row check of frictionless over one table, vectorised; ``keys`` holds referenced columns.

    A big table is checked part by part (``scope="rows"``, the header with the first part
    only), then once over the columns of the whole table that compare rows with each other:
    unique values, primary keys and references (``scope="across"``), except references into the
    tables of ``ready``, checked whole before (their keys are complete: each part looks its own
    values up). With ``limit``, at most its budget of rows of one kind is listed
    (:mod:`ruven.validate.limit`)."""
    import polars as pl

    from ruven.validate.tables import CELLS, LINE, MAX_CELL_CHARS

    res = table.resource
    out: list[Finding] = []
    labels = table.labels
    names = res.field_names
    rows, across = scope != "across", scope != "rows"
    # --- header
    for i, label in enumerate(labels if header and rows else []):
        if i >= len(names):
            out.append(make(pkg, res, "extra-label", 1, "", "", label=label))
    for name in names[len(labels) :] if header and rows else []:
        out.append(make(pkg, res, "missing-label", 1, name, ""))
    for i, (name, label) in enumerate(zip(names, labels, strict=False) if header and rows else []):
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
    fields = [res.field(n) for n in table.fields if n in df.columns]
    width = len(labels)
    missing_values = res.schema.get("missingValues", [""])
    # --- row shape: blank rows replace every other error of the row (as in frictionless)
    is_missing = {f.name: pl.col(f.name).is_in(missing_values) if missing_values != [""] else (pl.col(f.name) == "") for f in fields}
    blank = pl.all_horizontal([is_missing[f.name] for f in fields]) if fields and rows else pl.lit(False)
    checks: list[tuple[str, str, str, pl.Expr]] = []  # (code, field, constraint, failing mask)
    repeated_cache: dict[str, pl.Series | None] = {}

    def repeated(name: str) -> pl.Series | None:
        """The values of a column that more than one row holds (None when each is held once).
        Ids kept in order (each greater than the one before) are distinct: checking that is
        cheapest (0.02 s for a million ids). Otherwise the values are sorted and neighbours
        compared: a hash table of a million ids held 40 MB more, in the thread that checks
        across rows while the next table is read. Only the rows holding a repeated value are
        then marked (see :func:`_later_occurrence`)."""
        if name not in repeated_cache:
            values = df.get_column(name)
            if df.select(is_missing[name].any()).item():
                values = df.select(pl.col(name).filter(~is_missing[name])).to_series()
            n = values.len()
            found = None
            if n > 1 and not (values.slice(1) > values.slice(0, n - 1)).all():
                ordered = values.sort()
                later = ordered.slice(1)
                found = later.filter(later == ordered.slice(0, n - 1)).unique()
            repeated_cache[name] = found if found is not None and found.len() else None
        return repeated_cache[name]

    slow_bad: dict[str, set[str]] = {}
    distinct = few_distinct(df, [f.name for f in fields if _checked_by_value(f)]) if rows else {}
    for f in fields:
        col = pl.col(f.name)
        present = ~is_missing[f.name]
        c = f.constraints
        if rows:
            _value_checks(df, f, col, present, checks, slow_bad, distinct.get(f.name))
        if across and c.get("unique"):
            rep = repeated(f.name)
            checks.append(("unique-error", f.name, "", _later_occurrence(col, present, rep) if rep is not None else pl.lit(False)))
    pk = [n for n in res.primary_key if n in table.fields and n in df.columns]
    if pk:
        pk_present = pl.any_horizontal([~is_missing[n] for n in pk])
        missing = ~pk_present if rows else pl.lit(False)
        later = pl.lit(False)  # (only the checks across rows compare rows)
        if across and len(pk) > 1:
            key = pl.struct([pl.col(n) for n in pk])
            later = pk_present & ~(pl.when(pk_present).then(key).otherwise(None).is_first_distinct() | ~pk_present)
        elif across and (rep := repeated(pk[0])) is not None:
            later = _later_occurrence(pl.col(pk[0]), pk_present, rep)
        checks.append(("primary-key", pk[0], "", later | missing))
    for fk in res.foreign_keys:
        # with the checks across rows: a reference into the table itself needs all its rows, and
        # looking values up in a big referenced table costs a pass over its keys, done once; a
        # reference into a table checked whole before is looked up part by part
        if fk.field not in table.fields or fk.field not in df.columns or not (rows if fk.resource in ready else across):
            continue
        ref = keys.get((fk.resource, fk.reference_field))
        if fk.resource == res.name:
            ref = df.get_column(fk.reference_field) if fk.reference_field in df.columns else None
        if ref is None:
            out.append(make(pkg, res, "resource-error", None, fk.field, "", target=fk.resource))
            continue
        if ref.len() <= BIG_KEYS:  # (a reference table's keys: one small hash table, in the pass of every mask)
            checks.append(("foreign-key", fk.field, fk.resource, ~is_missing[fk.field] & ~pl.col(fk.field).is_in(ref.implode())))
            continue
        # a big table's keys: the values not among them are found by not_in (a slice of the
        # keys hashed at a time, not a hash table of a million keys); the rows holding one are marked
        present = df.select(pl.col(fk.field).filter(~is_missing[fk.field])).to_series()
        unknown = not_in(present, ref).unique()
        checks.append(("foreign-key", fk.field, fk.resource, ~is_missing[fk.field] & pl.col(fk.field).is_in(unknown.implode()) if unknown.len() else pl.lit(False)))
    shape: list[tuple[str, str, pl.Expr]] = []
    if table.ragged:
        for i, name in enumerate(table.fields):
            shape.append(("missing-cell", name, pl.col(CELLS) <= i))
        for i in range(len(table.fields), width):  # frictionless adds a field for each extra label
            shape.append(("missing-cell", labels[i], pl.col(CELLS) <= i))
    masks = [m.alias(f"__m{i}__") for i, (_, _, _, m) in enumerate(checks)]
    smasks = [m.alias(f"__s{i}__") for i, (_, _, m) in enumerate(shape)]
    long_rows = [pl.col(CELLS) > width] if table.ragged else []
    any_flag = [pl.col(f"__m{i}__") for i in range(len(masks))] + [pl.col(f"__s{i}__") for i in range(len(smasks))] + long_rows + [pl.lit(False)]
    flagged = df.with_columns(blank.alias("__blank__"), *masks, *smasks).filter(pl.any_horizontal(any_flag))
    if limit is not None and flagged.height:
        kinds = [("__blank__", "blank-row", "")] + [(f"__m{i}__", code, fname) for i, (code, fname, _, _) in enumerate(checks)] + [(f"__s{i}__", code, fname) for i, (code, fname, _) in enumerate(shape)]
        flagged = _within_limit(flagged, limit, kinds, any_flag)
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


def _within_limit(flagged: pl.DataFrame, limit: Limit, kinds: list[tuple[str, str, str]], any_flag: list[pl.Expr]) -> pl.DataFrame:
    """The flagged rows, each kind's flags (mask column, code, field) cut to what ``limit``
    still lists; the rows beyond are counted there. A blank row stands for every other problem
    of its row, so a blank row left out leaves out its row."""
    import polars as pl

    blank = pl.col("__blank__")
    flags = [blank if c == "__blank__" else pl.col(c) & ~blank for c, _, _ in kinds]
    counts = flagged.select([f.sum().alias(c) for f, (c, _, _) in zip(flags, kinds, strict=True)]).row(0)
    cut = []
    for flag, (c, code, fname), n in zip(flags, kinds, counts, strict=True):
        if n and (listed := limit.take(LAYER, code, fname, int(n))) < n:
            cut.append((flag & (flag.cast(pl.UInt32).cum_sum() <= listed)).alias(c))
    if not cut:
        return flagged
    dropped_blank = blank & ~next((e for e in cut if e.meta.output_name() == "__blank__"), blank)
    return flagged.filter(~dropped_blank).with_columns(cut).filter(pl.any_horizontal([blank, *any_flag]))


def _value_checks(df: pl.DataFrame, f: Field, col: pl.Expr, present: pl.Expr, checks: list[tuple[str, str, str, pl.Expr]], slow_bad: dict[str, set[str]], distinct: pl.Series | None = None) -> None:
    """The checks of one cell on its own (required, type, constraints, size), into ``checks``."""
    from ruven.validate.tables import MAX_CELL_CHARS

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
    checks.extend(value_checks if distinct is None else _by_distinct_values(distinct, f.name, value_checks))


def _checked_by_value(f: Field) -> bool:
    """Whether a cell of ``f`` has a check besides its size (a type, a pattern, an enum, a
    bound): only then is it worth finding the column's distinct values (a plain text column's
    size is read off its offsets, at once; its distinct values are hashed)."""
    c = f.constraints
    return not (f.type == "string" and f.descriptor.get("format", "default") in ("default", None) and not {"pattern", "enum", "minLength", "maxLength"} & set(c))


#: A column whose first rows hold at most this many distinct values is checked value by value.
FEW_DISTINCT = 5_000
#: Tables with fewer rows are checked row by row (the distinct-value detour does not pay off).
DISTINCT_MIN_ROWS = 50_000


def few_distinct(df: pl.DataFrame, names: list[str]) -> dict[str, pl.Series]:
    """The distinct values of each column of ``names`` that holds few (dates, enums, numbers,
    ids of a small table), found in two passes over all the columns at once (polars spreads the
    columns over the cores); columns of mostly different values are left out."""
    import polars as pl

    if df.height < DISTINCT_MIN_ROWS or not names:
        return {}
    head = df.head(20_000).select([pl.col(n).n_unique() for n in names]).row(0)
    few = [n for n, k in zip(names, head, strict=True) if k <= FEW_DISTINCT]
    if not few:
        return {}
    values = df.select([pl.col(n).unique().implode() for n in few]).row(0)
    return {n: pl.Series(n, v, dtype=pl.String) for n, v in zip(few, values, strict=True) if len(v) <= 20 * FEW_DISTINCT}


def _by_distinct_values(distinct: pl.Series, name: str, value_checks: list[tuple[str, str, str, pl.Expr]]) -> list[tuple[str, str, str, pl.Expr]]:
    """Value checks of one column decided on its distinct values: evaluate the checks on those,
    then mark only the rows holding a bad one."""
    import polars as pl

    small = pl.DataFrame({name: distinct})
    flags = small.select([mask.alias(f"__v{i}__") for i, (_, _, _, mask) in enumerate(value_checks)])
    out = []
    for i, (code, fname, constraint, _) in enumerate(value_checks):
        bad = distinct.filter(flags.get_column(f"__v{i}__").fill_null(False))
        if bad.len():
            out.append((code, fname, constraint, pl.col(name).is_in(bad.implode())))
    return out


def _later_occurrence(expr: pl.Expr, present: pl.Expr, repeated: pl.Series) -> pl.Expr:
    """True on the rows holding one of the ``repeated`` values after the first row holding it
    (the duplicates); only those rows' values are told apart, not every row's."""
    import polars as pl

    held = present & expr.is_in(repeated.implode())
    return held & ~pl.when(held).then(expr).otherwise(None).is_first_distinct()


def check(pkg: DataPackage, resources: list[Resource] | None = None) -> list[Finding]:
    """Layer 1 on its own: preflight, descriptor metadata, then every table's rows."""
    import os

    if os.environ.get("RUVEN_STRUCTURAL") == "frictionless":
        from ruven.validate.reference import check_frictionless

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
