"""Layer 2, pandera: the rules Table Schema cannot express, over polars frames.

The pandera schema of every resource is *derived* at run time from ``schemas/<resource>.json``
(through :mod:`ruven.package`): one ``pandera.polars.Column`` per field present in the CSV, and
checks chosen by what the schema says about a field, never by a second list of columns:

- ``x-ruven.kind == partial-date``: an EDTF date or interval that the EDTF library parses, of real
  calendar days and in order (``invalid-date``), not in the future
  (``date-in-future``, against an injectable ``today``); ``type: date`` fields too;
- fields ``<stem>_low/_best/_high``: ``low <= best <= high`` (``range-order``);
- ``x-ruven.not-before`` (a partial date naming an earlier one: an end and its start, a
  ratification and its signature): not wholly before it, by bounds (``date-order``);
- ``x-ruven.same-within`` (e.g. a source's ``state_affiliation`` within one ``publisher``): one
  value for all rows that share the other field (``inconsistent-value``);
- ``<stem>_delivered`` with ``<stem>_ordered_high`` (or ``_best``): ``delivered-exceeds-ordered``;
- id lists (``x-ruven.kind == id-list``): every id exists in a referenced table (``foreign-key``)
  and every row of a table that ``source_ids`` points to is cited at least once
  (``uncited-source``, warning);
- ``<x>_en`` with ``<x>_language``: the English rendering is present when the language is not
  ``en`` (``missing-translation``);
- a ``date`` of a row citing sources with a ``published`` date: not after all of them
  (``date-after-sources``);
- patterns ``^[A-Z]{2}$``, ``^[a-z]{2}$``, ``^[A-Z]{3}$``: real ISO 3166-1 / 639-1 / 4217 codes
  (pycountry); patterns starting ``^https?://``: a well-formed URL (urllib.parse);
- ``speaker_id`` points to an actor of kind ``person`` or ``government-body`` (``actor-kind``);
  a self-referencing foreign key forms no cycle (``reference-cycle``);
- free-text fields (strings without enum or pattern): no leading/trailing whitespace, NFC,
  no control characters, no spreadsheet formula (``whitespace``, ``unicode-normalization``,
  ``control-character``, ``formula-injection``);
- likely duplicates (warnings): the same URL up to trivial differences; the same speaker, date
  and quote.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ruven.package import PARTIAL_DATE_RE, DataPackage, Field, Resource, date_bounds
from ruven.report import Finding, truncate
from ruven.validate import messages as M

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from ruven.validate.tables import Table

LAYER = "pandera"
#: Which actor kinds may fill a role. Checked against the actors' ``kind`` enum at run time.
ROLE_KINDS: dict[str, tuple[str, ...]] = {"speaker_id": ("person", "government-body")}
STRICT_URL = r"^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,}(?:[/?#][^\s]*)?$"
FORMULA_START = r"^[=+\-@\t\r]"
NUMERIC = r"(?i)^\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?\s*$"
CONTROL = r"[\x00-\x09\x0B-\x1F\x7F-\x9F]"


@dataclass
class Rule:
    """One derived check: a polars expression that is True where the row is fine."""

    code: str
    field: str
    ok: Callable[[], pl.Expr] | None = None
    severity: str = "error"
    #: for checks that need the whole frame (joins): frame -> boolean Series aligned to rows
    frame_ok: Callable[[pl.LazyFrame], pl.LazyFrame] | None = None
    #: for checks decided on distinct values: the values of ``field`` that break the rule
    bad: Callable[[], list[str]] | None = None


@dataclass
class Context:
    """What the rules need from other tables, filled as tables are read (referenced ones first)."""

    pkg: DataPackage
    today: dt.date
    keys: dict[tuple[str, str], Any] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)  # small reference tables kept whole
    cited: dict[str, set[str]] = field(default_factory=dict)  # resource -> ids cited by source_ids lists
    distinct: dict[str, Any] = field(default_factory=dict)  # id-list field -> distinct ids (current table)


class Memo:
    """Per-table work shared by several rules: most columns hold few distinct values (dates,
    free text with odd characters), so rules decide on distinct values and then mark rows."""

    def __init__(self, df: pl.DataFrame) -> None:
        self.df = df
        self._text: dict[str, dict[str, list[str]]] = {}
        self._dates: dict[str, tuple[list[str], list[Any], list[Any]]] = {}

    def text_bad(self, name: str, code: str) -> list[str]:
        """Distinct values of a free-text column that break one hygiene rule."""
        if name not in self._text:
            col = self.df.get_column(name)
            candidates = col.filter(col.str.contains(SUSPICIOUS)).unique().to_list()
            out: dict[str, list[str]] = {c: [] for c in HYGIENE}
            for v in candidates:
                for c, test in HYGIENE.items():
                    if test(v):
                        out[c].append(v)
            self._text[name] = out
        return self._text[name][code]

    def dates(self, name: str) -> tuple[list[str], list[Any], list[Any]]:
        """(distinct values, first day, last day) of a date column; None days for unreal dates."""
        if name not in self._dates:
            col = self.df.get_column(name)
            values = [v for v in col.unique().to_list() if v]
            lo, hi = [], []
            for v in values:
                b = date_bounds(v)
                lo.append(dt.date.fromisoformat(b[0]) if b else None)
                hi.append(dt.date.fromisoformat(b[1]) if b else None)
            self._dates[name] = (values, lo, hi)
        return self._dates[name]

    def bound(self, name: str, which: int) -> pl.Expr:
        """Row-aligned first (0) or last (1) day of a date column."""
        import polars as pl

        values, lo, hi = self.dates(name)
        days = lo if which == 0 else hi
        return pl.col(name).replace_strict(values, days, default=None, return_dtype=pl.Date)


HYGIENE: dict[str, Callable[[str], bool]] = {
    "whitespace": lambda v: v != v.strip(),
    "unicode-normalization": lambda v: not unicodedata.is_normalized("NFC", v),
    "control-character": lambda v: re.search(CONTROL, v) is not None,
    "formula-injection": lambda v: re.match(FORMULA_START, v) is not None and re.match(NUMERIC, v) is None,
}
#: One regex pass per column finds every value that might break a hygiene rule.
SUSPICIOUS = r"^\s|\s$|[\x00-\x09\x0B-\x1F\x7F-\x9F]|^[=+\-@]|[^\x00-\x7F]"


# ---------------------------------------------------------------------------------------------
# expressions


def _num(name: str) -> pl.Expr:
    """A numeric column as floats (cast once per table, see ``check_table``); layer 1 reports cells
    that are not numbers, so the rules skip them."""
    import polars as pl

    return pl.col(NUM + name)


NUM = "__num__"


def _split_ids(col: pl.Expr, delimiter: str, width: int) -> list[pl.Expr]:
    """The ids of an id-list cell as ``width`` columns (null where a cell has fewer ids)."""
    if width == 1:
        return [col]
    parts = col.str.split_exact(delimiter, width - 1)
    return [parts.struct.field(f"field_{i}") for i in range(width)]


def _not_in(values: pl.Series, known: pl.Series) -> pl.Series:
    """``values`` that are not in ``known``; hashes the smaller side."""
    if values.len() * 20 < known.len():
        found = known.filter(known.is_in(values.implode()))
        return values.filter(~values.is_in(found.implode()))
    return values.filter(~values.is_in(known.implode()))


def list_width(df: pl.DataFrame, name: str, delimiter: str) -> int:
    import polars as pl

    return int(df.select(pl.col(name).str.count_matches(delimiter, literal=True).max()).item() or 0) + 1


def distinct_ids(df: pl.DataFrame, f: Field) -> pl.Series:
    """Every id cited in an id-list column, once."""
    import polars as pl

    width = list_width(df, f.name, f.delimiter)
    if width > 16:
        return df.get_column(f.name).str.split(f.delimiter).explode().unique()
    cols = _split_ids(pl.col(f.name), f.delimiter, width)
    return df.select(pl.concat([c.alias("i") for c in cols]).unique()).get_column("i").drop_nulls()


def _filled(name: str) -> pl.Expr:
    import polars as pl

    return pl.col(name) != ""


@cache
def _iso_sets() -> dict[str, frozenset[str]]:
    import pycountry

    return {
        "country": frozenset(c.alpha_2 for c in pycountry.countries),
        "language": frozenset(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")),
        "currency": frozenset(c.alpha_3 for c in pycountry.currencies),
    }


ISO_PATTERNS = {"^[A-Z]{2}$": "country", "^[a-z]{2}$": "language", "^[A-Z]{3}$": "currency"}


def url_problem(value: str) -> str | None:
    """Why ``value`` is not a well-formed http(s) URL, or None."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        return f"it cannot be parsed ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"its scheme is {parts.scheme or 'missing'!r}, not http or https"
    host = parts.hostname or ""
    if not host:
        return "it has no host name"
    if any(ch.isspace() for ch in value):
        return "it contains spaces"
    if "." not in host and host != "localhost" and not host.startswith("["):
        return f"its host {host!r} has no domain"
    if port == 0:
        return "its port is 0"
    return None


def _normalize_url(col: pl.Expr) -> pl.Expr:
    return (
        col.str.to_lowercase()
        .str.replace(r"^https?://", "")
        .str.replace(r"^www\.", "")
        .str.replace(r"#.*$", "")
        .str.replace(r"/+$", "")
        .str.replace(r"/index\.html?$", "")
    )


def _normalize_text(col: pl.Expr) -> pl.Expr:
    return col.str.to_lowercase().str.replace_all(r"[\s\p{P}]+", " ").str.strip_chars()


# ---------------------------------------------------------------------------------------------
# derivation from the schema


def derive_rules(res: Resource, present: list[str], ctx: Context, memo: Memo) -> list[Rule]:
    """Every rule that applies to this resource, read off its Table Schema."""
    import polars as pl

    pkg = ctx.pkg
    by_name = {f.name: f for f in res.fields if f.name in present}
    rules: list[Rule] = []
    today = ctx.today
    for f in by_name.values():
        col = pl.col(f.name)
        c = f.constraints
        if f.is_partial_date or f.type == "date":
            if f.is_partial_date:
                shape = re.compile(c.get("pattern", ".*"))

                def unreal(name: str = f.name, shape: re.Pattern[str] = shape) -> list[str]:
                    values, lo, _ = memo.dates(name)
                    return [v for v, d in zip(values, lo, strict=True) if d is None and shape.search(v) and PARTIAL_DATE_RE.match(v)]

                rules.append(Rule("invalid-date", f.name, bad=unreal))

            def future(name: str = f.name) -> list[str]:
                values, lo, _ = memo.dates(name)
                return [v for v, d in zip(values, lo, strict=True) if d is not None and d > today]

            rules.append(Rule("date-in-future", f.name, bad=future))
        pattern = c.get("pattern", "")
        if pattern in ISO_PATTERNS:
            kind = ISO_PATTERNS[pattern]
            codes = sorted(_iso_sets()[kind])
            rules.append(Rule(f"unknown-{kind}-code", f.name, lambda col=col, p=pattern, codes=codes: ~col.str.contains(p) | col.is_in(codes)))
        if pattern.startswith("^https?://"):
            rules.append(Rule("invalid-url", f.name, frame_ok=_url_frame_ok(f.name)))
        if f.type == "string" and not f.enum and not pattern:
            for code in HYGIENE:
                rules.append(Rule(code, f.name, bad=lambda name=f.name, code=code: memo.text_bad(name, code)))
        if f.is_id_list:
            rules.append(Rule("foreign-key", f.name, frame_ok=_id_list_ok(f, ctx)))
    # low <= best <= high, by field-name convention
    stems = {n.rsplit("_", 1)[0] for n in by_name if n.endswith(("_low", "_best", "_high"))}
    for stem in sorted(stems):
        lo, be, hi = (f"{stem}_{s}" if f"{stem}_{s}" in by_name else None for s in ("low", "best", "high"))
        if lo and be:
            rules.append(Rule("range-order", be, lambda lo=lo, be=be: ~(_num(lo) > _num(be)).fill_null(False)))
        if be and hi:
            rules.append(Rule("range-order", hi, lambda be=be, hi=hi: ~(_num(be) > _num(hi)).fill_null(False)))
        if lo and hi:
            rules.append(Rule("range-order", hi, lambda lo=lo, hi=hi, be=be: ~((_num(lo) > _num(hi)) & (_num(be).is_null() if be else pl.lit(True))).fill_null(False)))
    # a date not before another (x-ruven `not-before`), comparing partial dates by their bounds
    for name, f in by_name.items():
        earlier = f.extension.get("not-before")
        if f.is_partial_date and earlier in by_name and by_name[earlier].is_partial_date:
            rules.append(Rule("date-order", name, lambda name=name, earlier=earlier: ~(memo.bound(name, 1) < memo.bound(earlier, 0)).fill_null(False)))
    # one value for every row that shares another field's value (x-ruven `same-within`)
    for name, f in by_name.items():
        within = f.extension.get("same-within")
        if within in by_name:
            rules.append(Rule("inconsistent-value", name, frame_ok=_same_within_ok(name, within)))
    # delivered <= ordered (high, else best)
    for name in by_name:
        if name.endswith("_delivered"):
            stem = name[: -len("_delivered")]
            caps = [n for n in (f"{stem}_ordered_high", f"{stem}_ordered_best") if n in by_name]
            if caps:
                cap = pl.coalesce([_num(n) for n in caps]) if len(caps) > 1 else _num(caps[0])
                rules.append(Rule("delivered-exceeds-ordered", name, lambda name=name, cap=cap: ~(_num(name) > cap).fill_null(False)))
    # an English rendering when the language is not English
    for name in by_name:
        if name.endswith("_en") and f"{name[:-3]}_language" in by_name:
            lang = f"{name[:-3]}_language"
            rules.append(Rule("missing-translation", name, lambda name=name, lang=lang: (pl.col(lang) == "") | (pl.col(lang) == "en") | _filled(name)))
    # a statement is not dated after every source that reports it
    if "date" in by_name and by_name["date"].is_partial_date:
        for f in by_name.values():
            if f.is_id_list and "source_ids" == f.name:
                for ref in f.list_references:
                    rt = ctx.tables.get(ref)
                    if rt is not None and "published" in rt.df.columns:
                        rules.append(Rule("date-after-sources", "date", frame_ok=_after_sources_ok(f, rt, memo)))
    # actor kinds fit their role; self references form no cycle
    for fk in res.foreign_keys:
        if fk.field in ROLE_KINDS and fk.field in by_name:
            rt = ctx.tables.get(fk.resource)
            if rt is not None and "kind" in rt.df.columns:
                allowed = ROLE_KINDS[fk.field]
                enum = pkg.resources[fk.resource].field("kind").enum or []
                unknown = [k for k in allowed if k not in enum]
                if unknown:
                    raise ValueError(f"ROLE_KINDS names kinds the schema of {fk.resource} lacks: {unknown}")
                kinds = rt.df.select(fk.reference_field, "kind")
                good = kinds.filter(pl.col("kind").is_in(list(allowed)))[fk.reference_field]
                known = kinds[fk.reference_field]
                rules.append(Rule("actor-kind", fk.field, lambda n=fk.field, good=good, known=known: ~pl.col(n).is_in(known.implode()) | pl.col(n).is_in(good.implode())))
        if fk.resource == res.name and fk.field in by_name and fk.reference_field in by_name:
            rules.append(Rule("reference-cycle", fk.field, frame_ok=_cycle_ok(fk.field, fk.reference_field)))
    # likely duplicates (warnings), among live rows
    live = (pl.col("withdrawn") == "") if "withdrawn" in by_name else pl.lit(True)
    for name, f in by_name.items():
        if f.constraints.get("pattern", "").startswith("^https?://") and f.constraints.get("unique"):
            key = _normalize_url(pl.col(name))
            rules.append(Rule("likely-duplicate", name, lambda key=key, name=name: ~(live & (pl.col(name) != "") & ~key.is_first_distinct().over(live)), severity="warning"))
    if {"speaker_id", "date", "quote"} <= set(by_name):
        rules.append(Rule("likely-duplicate", "quote", frame_ok=_same_statement_ok(live), severity="warning"))
    return rules


def _same_within_ok(name: str, within: str) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    """Rows whose ``name`` differs from the most common value (ties: the first) among the rows
    that share their ``within`` value."""
    import polars as pl

    def ok(lf: pl.LazyFrame) -> pl.LazyFrame:
        rows = lf.select(within, name).with_row_index("__i__")
        counts = rows.group_by(within, name).agg(pl.len().alias("__n__"), pl.col("__i__").min().alias("__first__"))
        mode = counts.sort(["__n__", "__first__"], descending=[True, False]).group_by(within, maintain_order=True).first().select(within, pl.col(name).alias("__mode__"))
        joined = rows.join(mode, on=within, how="left", maintain_order="left")
        return joined.select((pl.col(name) == pl.col("__mode__")).fill_null(True).alias(name))

    return ok


def _url_frame_ok(name: str) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    import polars as pl

    def ok(lf: pl.LazyFrame) -> pl.LazyFrame:
        col = pl.col(name)
        doubtful = lf.select(col).filter((col != "") & ~col.str.contains(STRICT_URL)).unique().collect()[name].to_list()
        bad = [v for v in doubtful if url_problem(v)]
        return lf.select((~col.is_in(bad)).alias(name))

    return ok


def _id_list_ok(f: Field, ctx: Context) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    import polars as pl

    refs = []
    for ref in f.list_references:
        target = ctx.pkg.resources.get(ref)
        if target is not None and target.primary_key:
            s = ctx.keys.get((ref, target.primary_key[0]))
            if s is not None:
                refs.append(s)

    def ok(lf: pl.LazyFrame) -> pl.LazyFrame:
        col = pl.col(f.name)
        ids = ctx.distinct.get(f.name)
        if ids is None:
            ids = distinct_ids(lf.select(col).collect(), f)
        unknown = ids.filter(ids != "")
        for known in refs:  # table by table: most ids resolve in the first, so later sets stay small
            if unknown.len() == 0:
                break
            unknown = _not_in(unknown, known)
        if unknown.len() == 0:
            return lf.select(pl.lit(True).alias(f.name))
        width = list_width(lf.select(col).collect(), f.name, f.delimiter)
        if width > 16:
            return lf.select(~col.str.split(f.delimiter).list.eval(pl.element().is_in(unknown.implode())).list.any().alias(f.name))
        parts = _split_ids(col, f.delimiter, width)
        return lf.select(~pl.any_horizontal([p.is_in(unknown.implode()).fill_null(False) for p in parts]).alias(f.name))

    return ok


def _same_statement_ok(live: pl.Expr) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    """Same speaker, date and quote (up to case, spacing and punctuation) as an earlier live row."""
    import polars as pl

    def ok(lf: pl.LazyFrame) -> pl.LazyFrame:
        rows = lf.with_row_index("__i__").filter(live)
        cand = rows.filter(pl.struct("speaker_id", "date").is_duplicated()).select("__i__", "speaker_id", "date", _normalize_text(pl.col("quote")).alias("q"))
        dupes = cand.filter(~pl.struct("speaker_id", "date", "q").is_first_distinct()).collect()["__i__"]
        return lf.select((~pl.int_range(pl.len(), dtype=pl.UInt32).is_in(dupes.implode())).alias("quote"))

    return ok


def _after_sources_ok(f: Field, sources: Table, memo: Memo) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    import polars as pl

    pub = Memo(sources.df)
    src = sources.df.lazy().select(pl.col("id").alias("__sid__"), pub.bound("published", 1).alias("__pub__")).filter(pl.col("__pub__").is_not_null())

    def ok(lf: pl.LazyFrame) -> pl.LazyFrame:
        rows = lf.select(memo.bound("date", 0).alias("__lo__"), pl.col(f.name)).with_row_index("__i__")
        latest = (
            rows.select("__i__", pl.col(f.name).str.split(f.delimiter).alias("__sid__"))
            .explode("__sid__")
            .join(src, on="__sid__", how="inner")
            .group_by("__i__")
            .agg(pl.col("__pub__").max())
        )
        return rows.join(latest, on="__i__", how="left", maintain_order="left").select((pl.col("__pub__").is_null() | pl.col("__lo__").is_null() | (pl.col("__lo__") <= pl.col("__pub__"))).alias("date"))

    return ok


def _cycle_ok(parent: str, ident: str) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    import polars as pl

    def ok(lf: pl.LazyFrame) -> pl.LazyFrame:
        pairs = lf.select(ident, parent).filter(pl.col(parent) != "").collect()
        up = dict(zip(pairs[ident].to_list(), pairs[parent].to_list(), strict=True))
        in_cycle: set[str] = set()
        done: set[str] = set()
        for start in up:
            path: list[str] = []
            seen: dict[str, int] = {}
            node: str | None = start
            while node is not None and node not in done and node not in seen:
                seen[node] = len(path)
                path.append(node)
                node = up.get(node)
            if node is not None and node in seen:
                in_cycle.update(path[seen[node] :])
            done.update(path)
        return lf.select((~pl.col(ident).is_in(sorted(in_cycle))).alias(parent))

    return ok


# ---------------------------------------------------------------------------------------------
# pandera schema and findings


def build_schema(res: Resource, table: Table, ctx: Context) -> tuple[Any, dict[str, Rule]]:
    """The pandera polars schema of this resource, derived from its Table Schema."""
    import pandera.polars as pa
    import polars as pl

    present = table.fields
    memo = Memo(table.df)
    rules = derive_rules(res, present, ctx, memo)
    by_id: dict[str, Rule] = {}
    column_checks: dict[str, list[Any]] = {n: [] for n in present}
    frame_checks: list[Any] = []
    for i, rule in enumerate(rules):
        rid = f"{rule.code}#{i}"
        by_id[rid] = rule
        if rule.ok is not None:
            expr = rule.ok()

            def column_check(data: Any, expr: pl.Expr = expr) -> pl.LazyFrame:
                return data.lazyframe.select(expr.alias(data.key))

            column_checks[rule.field].append(pa.Check(column_check, name=rid, error=rid))
        elif rule.bad is not None:

            def bad_check(data: Any, bad: Any = rule.bad) -> pl.LazyFrame:
                values = bad()
                if not values:
                    return data.lazyframe.select(pl.lit(True).alias(data.key))
                return data.lazyframe.select((~pl.col(data.key).is_in(values)).alias(data.key))

            column_checks[rule.field].append(pa.Check(bad_check, name=rid, error=rid))
        else:

            def frame_check(data: Any, fn: Any = rule.frame_ok) -> pl.LazyFrame:
                return fn(data.lazyframe)

            frame_checks.append(pa.Check(frame_check, name=rid, error=rid))
    columns = {n: pa.Column(pl.String, checks=column_checks[n], nullable=False, title=res.field(n).title) for n in present}
    schema = pa.DataFrameSchema(columns, checks=frame_checks, name=res.name, strict=False, coerce=False)
    return schema, by_id


def check_table(table: Table, ctx: Context) -> list[Finding]:
    """Run the derived pandera schema over one table; failure cases become Findings."""
    import pandera.polars as pa
    import polars as pl

    from ruven.validate.tables import LINE

    res = table.resource
    _remember_citations(table, ctx)
    if table.df.height == 0:
        return []
    schema, by_id = build_schema(res, table, ctx)
    out: list[Finding] = []
    numeric = [f.name for f in res.fields if f.type in ("integer", "number") and f.name in table.fields]
    frame = table.df.with_columns([pl.col(n).cast(pl.Float64, strict=False).alias(NUM + n) for n in numeric])
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        fc = fc.filter(pl.col("check").is_in(list(by_id)) & pl.col("index").is_not_null())
        lines = table.df.get_column(LINE)
        for check, index in fc.select("check", "index").iter_rows():
            rule = by_id[check]
            row = table.df.row(int(index), named=True)
            out.append(_finding(res, rule, int(lines[int(index)]), row, ctx))
    return out


def _remember_citations(table: Table, ctx: Context) -> None:
    ctx.distinct.clear()
    for f in table.resource.fields:
        if f.is_id_list and f.name in table.df.columns and table.df.height:
            ctx.distinct[f.name] = distinct_ids(table.df, f)
        if f.is_id_list and f.name == "source_ids":
            ids = ctx.distinct[f.name].to_list() if f.name in ctx.distinct else []
            for ref in f.list_references:
                ctx.cited.setdefault(ref, set()).update(ids)


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
                    missing = _not_in(missing, s)
        detail = ";".join(missing.to_list())
        paths = ", ".join(ctx.pkg.resources[r].relpath for r in f.list_references if r in ctx.pkg.resources)
    msg, hint = M.rule_message(rule.code, f, value, row, detail=detail, paths=paths)
    return Finding(rule.severity, LAYER, rule.code, res.name, res.relpath, line, rule.field, truncate(value), msg, hint)


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
            out.append(Finding("warning", LAYER, "uncited-source", name, t.resource.relpath, line, pk, ident, msg, hint))
    return out


def keep_whole(pkg: DataPackage, res: Resource) -> bool:
    """Reference tables (those that cite no sources) are kept whole for the cross-table rules."""
    return "source_ids" not in res.field_names


def check(pkg: DataPackage, today: dt.date | None = None) -> list[Finding]:
    """Layer 2 on its own (reads every table that the preflight lets through)."""
    from ruven.validate import structural
    from ruven.validate.tables import load

    _, safe = structural.preflight(pkg)
    if structural.metadata(pkg, safe):
        return []
    ctx = Context(pkg, today or dt.date.today())
    needed = structural.key_fields(pkg)
    out: list[Finding] = []
    for res in structural.load_order(pkg, safe):
        table = load(res)
        out.extend(check_table(table, ctx))
        ctx.keys.update(structural.keys_of(table, needed.get(res.name, set())))
        if keep_whole(pkg, res):
            ctx.tables[res.name] = table
    out.extend(finish(ctx))
    return out

