"""Layer 2, pandera: the rules Table Schema cannot express, over polars frames.

The pandera schema of every resource is *derived* at run time from ``schemas/<resource>.json``
(through :mod:`ruven.package`): one ``pandera.polars.Column`` per checked field present in the CSV, and
checks chosen by what the schema says about a field, never by a second list of columns
(a field with no check has no column):

- ``x-ruven.kind == partial-date``: an EDTF date or interval that the EDTF library parses, of real
  calendar days and in order (``invalid-date``), not in the future
  (``date-in-future``, against an injectable ``today``); ``type: date`` fields too;
- ``x-ruven.range`` (on a range's best figure, naming its low/best/high fields):
  ``low <= best <= high`` (``range-order``, one finding per row);
- ``x-ruven.not-before`` (a partial date naming an earlier one: an end and its start, a
  ratification and its signature): not wholly before it, by bounds (``date-order``);
- ``x-ruven.same-within`` (e.g. a source's ``state_affiliation`` within one ``publisher``): one
  value for all rows that share the other field (``inconsistent-value``);
- ``x-ruven.not-more-than`` (delivered against ordered high, else best): ``delivered-exceeds-ordered``;
- id lists (``x-ruven.kind == id-list``): every id exists in a referenced table (``foreign-key``)
  and every row of a table that an id list declared ``x-ruven.cites-sources`` points to is cited at least once
  (``uncited-source``, warning);
- ``x-ruven.translation-of`` with ``language-field``: the English rendering is present when the
  original's language is not ``en`` (``missing-translation``);
- ``x-ruven.not-after-sources``: the date is not after the ``x-ruven.publication-date`` of every
  source the row cites (``date-after-sources``);
- patterns ``^[A-Z]{2}$``, ``^[a-z]{2}$``, ``^[A-Z]{3}$``: real ISO 3166-1 / 639-1 / 4217 codes
  (pycountry); patterns starting ``^https?://``: a well-formed URL (urllib.parse);
- ``x-ruven.actor-kinds``: the reference points to an actor of one of those kinds (``actor-kind``);
  a self-referencing foreign key forms no cycle (``reference-cycle``);
- free-text fields (strings without enum or pattern): the text hygiene of :mod:`ruven.text`,
  no leading/trailing whitespace, NFC, no control characters, no bidirectional controls or
  zero-width characters, nothing a spreadsheet would evaluate (``whitespace``,
  ``unicode-normalization``, ``control-character``, ``invisible-character``,
  ``formula-injection``);
- likely duplicates (warnings): the same URL up to trivial differences (unique URL fields); the
  same text with the same ``x-ruven.duplicate-key`` fields (a quote's speaker and date).

The rules are derived in :mod:`ruven.validate.derive` (the whole-frame checks live in
:mod:`ruven.validate.frames`); this module runs them and turns failures into findings.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ruven.package import DataPackage, Resource
from ruven.report import Finding
from ruven.validate import codes
from ruven.validate import messages as M
from ruven.validate.derive import NUM, Rule, derive_rules
from ruven.validate.frames import Context, Memo, distinct_ids, not_in
from ruven.validate.limit import Limit

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from ruven.validate.tables import Table

LAYER = "pandera"
__all__ = ["SCOPES", "Context", "Rule", "across_columns", "build_schema", "check", "check_table", "finish", "keep_whole", "remember_citations"]


# ---------------------------------------------------------------------------------------------
# pandera schema and findings


#: which rules a run takes: every rule, the row rules of a part of a big table, or the rules
#: that compare rows across the whole table (run once, over the columns they need)
SCOPES = ("all", "rows", "across")


def build_schema(res: Resource, table: Table, ctx: Context, scope: str = "all", frame: pl.DataFrame | pl.LazyFrame | None = None, ids: dict[str, Any] | None = None, spread: bool = False) -> tuple[Any, dict[str, Rule]]:
    """The pandera polars schema of this resource, derived from its Table Schema. Given the
    ``frame`` it will validate, the row rules that no row of it breaks are left out (see below);
    ``ids`` are the distinct ids of its id lists, where already found. With ``spread``, the
    checks over the whole frame run at once, each in its own thread (see :func:`_frame_results`)."""
    import polars as pl

    from ruven.validate.polars_only import pandera_polars

    pa = pandera_polars()
    present = table.fields
    memo = Memo(table.df, [f.name for f in res.fields if f.is_free_text and f.name in present], ids, alone=spread)
    rules = [r for r in derive_rules(res, present, ctx, memo) if scope == "all" or (r.across is not None) == (scope == "across")]
    by_id: dict[str, Rule] = {}
    column_checks: dict[str, list[Any]] = {n: [] for n in present}
    frame_checks: list[Any] = []
    # The row rules (a polars expression each) are first evaluated together, in one pass over
    # the frame; a rule that holds on every row cannot fail one, so, as for the rules decided on
    # distinct values below, it needs no pandera pass (on the package: 333 of 1,020 collects).
    holds: set[int] = set()
    lf = None if frame is None else frame.lazy()
    results = _frame_results([r for r in rules if r.ok is None and r.bad is None], lf, spread)
    if lf is not None and table.df.height:
        row_rules = [i for i, rule in enumerate(rules) if rule.ok is not None]
        if row_rules:
            held = lf.select([rules[i].ok().fill_null(False).all().alias(str(i)) for i in row_rules]).collect().row(0)
            holds = {i for i, ok in zip(row_rules, held, strict=True) if ok}
    for i, rule in enumerate(rules):
        rid = f"{rule.code}#{i}"
        by_id[rid] = rule
        if rule.ok is not None:
            if i in holds:
                continue  # (the rule stays in by_id: it was derived and ran)
            expr = rule.ok()

            def column_check(data: Any, expr: pl.Expr = expr) -> pl.LazyFrame:
                return data.lazyframe.select(expr.alias(data.key))

            column_checks[rule.field].append(pa.Check(column_check, name=rid, error=rid))
        elif rule.bad is not None:
            # The failing values are found over the distinct values of the column, once; a rule
            # none of whose values fails cannot fail a row, so it needs no pandera pass at all
            # (on a valid package that is 190 of the 230 checks).
            values = rule.bad()
            if not values:
                continue  # (the rule stays in by_id: it was derived and ran)

            def bad_check(data: Any, values: list[Any] = values) -> pl.LazyFrame:
                return data.lazyframe.select((~pl.col(data.key).is_in(values)).alias(data.key))

            column_checks[rule.field].append(pa.Check(bad_check, name=rid, error=rid))
        else:
            # A check over the whole frame (joins, id lists, URLs) is run here, once: one that no
            # row fails needs no pandera pass (on a big table's parts pandera's own pass cost
            # more than the checks: 0.4 s at 1M rows per table); where rows fail, pandera gets
            # the rows' results. (If it raises, pandera runs it, as it runs every check.)
            ok = results[id(rule)]
            if ok is not None and (ok | ok.is_null()).all():
                continue  # (the rule stays in by_id: it was derived and ran)

            def frame_check(data: Any, fn: Any = rule.frame_ok, ok: pl.Series | None = ok) -> pl.LazyFrame:
                return fn(data.lazyframe) if ok is None else ok.to_frame().lazy()

            frame_checks.append(pa.Check(frame_check, name=rid, error=rid))
    # Only fields with checks become columns, without a dtype or null check: every cell is read
    # as text and layer 1 owns types and required cells, so pandera's own column checks would
    # cost a pass each and report nothing (they were filtered out) — 0.1-0.2 s on the package.
    columns = {n: pa.Column(None, checks=column_checks[n], nullable=True, title=res.field(n).title) for n in present if column_checks[n]}
    schema = pa.DataFrameSchema(columns, checks=frame_checks, name=res.name, strict=False, coerce=False)
    return schema, by_id


def _frame_results(rules: list[Rule], frame: pl.LazyFrame | None, spread: bool) -> dict[int, pl.Series | None]:
    """Each frame check's result (by the rule's ``id``). With ``spread``, all but the first run in
    threads of their own while the first runs in this one: the checks across rows of the last
    big table run while no other table is checked, and each is mostly polars, which lets go of
    Python's lock (at 1M rows of statements: its id lists' references and its likely duplicates,
    0.2 s each)."""
    from ruven.validate.background import InThread

    others = [(rule, InThread(lambda rule=rule: _frame_result(rule, frame), "ruven-frame")) for rule in rules[1:]] if spread else []
    out = {id(rule): _frame_result(rule, frame) for rule in (rules if not spread else rules[:1])}
    for rule, job in others:
        out[id(rule)] = job.result()
    return out


def _frame_result(rule: Rule, frame: pl.DataFrame | pl.LazyFrame | None) -> pl.Series | None:
    """A frame check's result on each row of ``frame`` (None without a frame, or if it raised)."""
    if frame is None or rule.frame_ok is None:
        return None
    try:
        return rule.frame_ok(frame.lazy()).collect().to_series()
    except Exception:  # noqa: BLE001 - pandera runs the check again and reports what it raised
        return None


def check_table(table: Table, ctx: Context, scope: str = "all", limit: Limit | None = None, spread: bool = False) -> list[Finding]:
    """Run the derived pandera schema over one table (or, by ``scope``, over a part of a big
    table, or over the columns of the whole table that the rules across rows need); failure
    cases become Findings. ``spread``: see :func:`build_schema`."""
    import polars as pl

    from ruven.validate.polars_only import pandera_polars
    from ruven.validate.tables import LINE

    pa = pandera_polars()

    res = table.resource
    ids = remember_citations(table, ctx, scope)  # also the distinct ids of this frame's id lists, for their rules
    if table.df.height == 0:
        return []
    numeric = [f for f in res.fields if f.type in ("integer", "number") and f.name in table.fields]
    # (lazy: a numeric column is read as numbers only where a rule reads it, and only once)
    frame = table.df.lazy().with_columns([_accepted_number(f).alias(NUM + f.name) for f in numeric])
    schema, by_id = build_schema(res, table, ctx, scope, frame, ids, spread)
    out: list[Finding] = []
    if not schema.columns and not schema.checks:  # (every rule held: pandera has nothing to run)
        return out
    try:
        schema.validate(frame.collect(), lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        fc = fc.filter(pl.col("check").is_in(list(by_id)) & pl.col("index").is_not_null())
        if limit is not None and fc.height:  # at most the budget of rows of one kind (see ruven.validate.limit)
            fc = fc.sort("index", maintain_order=True)
            listed = {}
            for check, n in fc.group_by("check", maintain_order=True).len().iter_rows():
                rule = by_id[check]
                listed[check] = limit.take(LAYER, rule.code, rule.field, n, rule.severity)
            fc = fc.filter(pl.int_range(pl.len()).over("check") < pl.col("check").replace_strict(listed, return_dtype=pl.Int64))
        lines = table.df.get_column(LINE)
        for check, index in fc.select("check", "index").iter_rows():
            rule = by_id[check]
            row = table.df.row(int(index), named=True)
            out.append(_finding(res, rule, int(lines[int(index)]), row, ctx))
    return out


def _accepted_number(f: Any) -> pl.Expr:
    """A numeric cell as a float, null where layer 1 rejects it (not a number, or outside the
    field's minimum/maximum): the rules judge only cells layer 1 accepts, so that one problem
    gives one finding."""
    import polars as pl

    num = pl.col(f.name).cast(pl.Float64, strict=False)
    c = f.constraints
    if "minimum" in c:
        num = pl.when(num < float(c["minimum"])).then(None).otherwise(num)
    if "maximum" in c:
        num = pl.when(num > float(c["maximum"])).then(None).otherwise(num)
    return num


def remember_citations(table: Table, ctx: Context, scope: str = "all") -> dict[str, pl.Series]:
    """The sources this frame's id lists cite (for ``uncited-source``); returns the distinct ids
    of those id lists, for their rules. A part of a big table (``scope="rows"``) reads the id
    lists checked part by part, the whole table's columns (``"across"``) the others (see
    :meth:`Context.checked_before`), a table read whole (``"all"``) every one."""
    distinct = {}
    for f in table.resource.fields:
        if not f.is_id_list or (scope != "all" and ctx.checked_before(table.resource.name, f.list_references) != (scope == "rows")):
            continue
        if f.name in table.df.columns and table.df.height and (f.cites_sources or scope != "across"):
            distinct[f.name] = distinct_ids(table.df, f)  # (across rows, the id lists' rule splits the cells a slice at a time)
        if f.cites_sources:
            cited = distinct[f.name].to_list() if f.name in distinct else []
            for ref in f.list_references:
                ctx.cited.setdefault(ref, set()).update(cited)
    return distinct


def _finding(res: Resource, rule: Rule, line: int, row: dict[str, Any], ctx: Context) -> Finding:
    value = str(row.get(rule.field, ""))
    f = res.field(rule.field)
    detail = paths = ""
    if rule.code == "foreign-key" and f.is_id_list:
        import polars as pl

        missing = pl.Series([i for i in value.split(f.delimiter) if i], dtype=pl.String)
        for ref in f.list_references:
            target = ctx.pkg.resources.get(ref)
            if target is not None and target.primary_key:
                s = ctx.keys.get((ref, target.primary_key[0]))
                if s is not None:
                    missing = not_in(missing, s)
        detail = ";".join(missing.to_list())
        paths = ", ".join(ctx.pkg.resources[r].relpath for r in f.list_references if r in ctx.pkg.resources)
    msg, hint = M.rule_message(rule.code, f, value, row, detail=detail, paths=paths, resource=res)
    return codes.make(rule.code, res.name, res.relpath, line, rule.field, value, msg, hint, layer=LAYER, severity=rule.severity)


def finish(ctx: Context) -> list[Finding]:
    """Checks over the whole package once every table was read: uncited sources."""
    import polars as pl

    from ruven.validate.tables import LINE

    out = []
    for name, cited in ctx.cited.items():
        t = ctx.tables.get(name)
        if t is None or not t.resource.primary_key:
            continue
        pk = t.resource.primary_key[0]
        df = t.df
        if "withdrawn" in df.columns:
            df = df.filter(pl.col("withdrawn") == "")
        uncited = df.filter((pl.col(pk) != "") & ~pl.col(pk).is_in(sorted(cited)))
        for ident, line in uncited.select(pk, LINE).iter_rows():
            msg, hint = M.rule_message("uncited-source", t.resource.field(pk), ident, {})
            out.append(codes.make("uncited-source", name, t.resource.relpath, line, pk, ident, msg, hint, layer=LAYER))
    return out


def across_columns(table: Table, ctx: Context) -> set[str]:
    """The columns the rules across rows of this table read (see ``Rule.across``)."""
    rules = derive_rules(table.resource, table.fields, ctx, Memo(table.df))
    return {c for r in rules if r.across is not None for c in (r.field, *r.across)}


def keep_whole(pkg: DataPackage, res: Resource) -> bool:
    """Reference tables (those that cite no sources) are kept whole for the cross-table rules."""
    return not any(f.cites_sources for f in res.fields)


def check(pkg: DataPackage, today: dt.date | None = None) -> list[Finding]:
    """Layer 2 on its own (reads every table that the preflight lets through)."""
    from ruven.validate import keys, preflight
    from ruven.validate.tables import load

    _, safe = preflight.preflight(pkg)
    if preflight.metadata(pkg, safe):
        return []
    ctx = Context(pkg, today or dt.date.today())
    needed = keys.key_fields(pkg)
    out: list[Finding] = []
    for res in keys.load_order(pkg, safe):
        table = load(res)
        out.extend(check_table(table, ctx))
        ctx.keys.update(keys.keys_of(table, needed.get(res.name, set())))
        if keep_whole(pkg, res):
            ctx.tables[res.name] = table
    out.extend(finish(ctx))
    return out

