"""Layer 2, derivation: every rule that applies to a resource, read off its Table Schema and the
conventions its fields declare in ``x-ruven`` (see :mod:`ruven.validate.rules` for the list).
No rule keys on a column's name, except ``withdrawn`` (which rows are live, for the duplicate
warnings) and the referenced actors' ``kind`` (for ``x-ruven.actor-kinds``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from ruven.package import PARTIAL_DATE_RE, Resource
from ruven.validate.frames import (
    HYGIENE,
    Context,
    Memo,
    after_sources_ok,
    cycle_ok,
    id_list_ok,
    normalize_url,
    same_statement_ok,
    same_within_ok,
    url_frame_ok,
)

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from ruven.validate.tables import Table

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
    #: columns a rule needs beyond its own when it compares rows with other rows of the table
    #: (it then runs once over those columns of the whole table, not part by part)
    across: tuple[str, ...] | None = None



# ---------------------------------------------------------------------------------------------
# expressions


def _num(name: str) -> pl.Expr:
    """A numeric column as floats (cast once per table, see ``check_table``); layer 1 reports cells
    that are not numbers, so the rules skip them."""
    import polars as pl

    return pl.col(NUM + name)


NUM = "__num__"


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


# ---------------------------------------------------------------------------------------------
# derivation from the schema


def derive_rules(res: Resource, present: list[str], ctx: Context, memo: Memo) -> list[Rule]:
    """Every rule that applies to this resource, read off its Table Schema and x-ruven conventions."""
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
            rules.append(Rule(f"unknown-{kind}-code", f.name, lambda col=col, p=pattern, kind=kind: ~col.str.contains(p) | col.is_in(sorted(_iso_sets()[kind]))))
        if pattern.startswith("^https?://"):
            rules.append(Rule("invalid-url", f.name, frame_ok=url_frame_ok(f.name)))
        if f.is_free_text:
            for code in HYGIENE:
                rules.append(Rule(code, f.name, bad=lambda name=f.name, code=code: memo.text_bad(name, code)))
        if f.is_id_list:
            # A big table read in parts checks each part's id lists when every table they point
            # to was checked whole before (the reference tables: their keys are complete), and
            # otherwise once over the whole column: a reference into the table itself, or into
            # a table whose keys another thread is still gathering, needs all of its ids.
            rules.append(Rule("foreign-key", f.name, frame_ok=id_list_ok(f, ctx, memo), across=None if ctx.checked_before(res.name, f.list_references) else ()))
    # low <= best <= high (x-ruven `range`): one finding per row, on best when low > best, else on high
    for f in by_name.values():
        members = {k: v for k, v in f.range_members.items() if v in by_name}
        lo, be, hi = members.get("low"), members.get("best"), members.get("high")
        low_best = (lambda lo=lo, be=be: (_num(lo) > _num(be)).fill_null(False)) if lo and be else (lambda: pl.lit(False))
        if lo and be:
            rules.append(Rule("range-order", be, lambda lb=low_best: ~lb()))
        if hi and (be or lo):
            def high_ok(lo: str | None = lo, be: str | None = be, hi: str = hi, lb: Callable[[], pl.Expr] = low_best) -> pl.Expr:
                bad = (_num(be) > _num(hi)).fill_null(False) if be else pl.lit(False)
                if lo:
                    bad = bad | ((_num(lo) > _num(hi)) & (_num(be).is_null() if be else pl.lit(True))).fill_null(False)
                return ~(bad & ~lb())

            rules.append(Rule("range-order", hi, high_ok))
    # a date not before another (x-ruven `not-before`), comparing partial dates by their bounds
    for name, f in by_name.items():
        earlier = f.not_before
        if f.is_partial_date and earlier in by_name and by_name[earlier].is_partial_date:
            rules.append(Rule("date-order", name, lambda name=name, earlier=earlier: ~(memo.bound(name, 1) < memo.bound(earlier, 0)).fill_null(False)))
    # one value for every row that shares another field's value (x-ruven `same-within`)
    for name, f in by_name.items():
        within = f.same_within
        if within in by_name:
            rules.append(Rule("inconsistent-value", name, frame_ok=same_within_ok(name, within), across=(within,)))
    # not more than other figures, the first filled one (x-ruven `not-more-than`: delivered <= ordered)
    for name, f in by_name.items():
        caps = [n for n in f.not_more_than if n in by_name]
        if caps:
            cap = pl.coalesce([_num(n) for n in caps]) if len(caps) > 1 else _num(caps[0])
            rules.append(Rule("delivered-exceeds-ordered", name, lambda name=name, cap=cap: ~(_num(name) > cap).fill_null(False)))
    # an English rendering when the original's language is not English (x-ruven `translation-of`)
    for name, f in by_name.items():
        lang = f.language_field
        if f.translation_of and lang in by_name:
            rules.append(Rule("missing-translation", name, lambda name=name, lang=lang: (pl.col(lang) == "") | (pl.col(lang) == "en") | _filled(name)))
    # a date not after every source the row cites (x-ruven `not-after-sources`)
    for name, f in by_name.items():
        if not (f.not_after_sources and f.is_partial_date):
            continue
        for cites in by_name.values():
            if not (cites.is_id_list and cites.cites_sources):
                continue
            for ref in cites.list_references:
                rt = ctx.tables.get(ref)
                published = next((g.name for g in rt.resource.fields if g.is_publication_date), None) if rt is not None else None
                if rt is not None and published in rt.df.columns and rt.resource.primary_key:
                    rules.append(Rule("date-after-sources", name, frame_ok=after_sources_ok(name, cites, rt, published, memo, ctx)))
    # references point to an actor of an allowed kind (x-ruven `actor-kinds`); self references form no cycle
    for fk in res.foreign_keys:
        allowed = by_name[fk.field].actor_kinds if fk.field in by_name else []
        if allowed:
            rt = ctx.tables.get(fk.resource)
            if rt is not None and "kind" in rt.df.columns:
                enum = pkg.resources[fk.resource].field("kind").enum or []
                unknown = [k for k in allowed if k not in enum]
                if unknown:
                    raise ValueError(f"x-ruven.actor-kinds of {res.name}.{fk.field} names kinds the schema of {fk.resource} lacks: {unknown}")

                def of_kind(rt: Table = rt, ref: str = fk.reference_field, allowed: tuple[str, ...] = tuple(allowed)) -> tuple[pl.Series, pl.Series]:
                    """(ids of the allowed kinds, every id) of the referenced table."""
                    kinds = rt.df.select(ref, "kind")
                    return kinds.filter(pl.col("kind").is_in(list(allowed)))[ref], kinds[ref]

                def kind_ok(n: str = fk.field, key: tuple[str, ...] = ("kinds", fk.resource, fk.reference_field, *allowed), of_kind: Callable[[], tuple[pl.Series, pl.Series]] = of_kind) -> pl.Expr:
                    good, known = ctx.once(key, of_kind)
                    return ~pl.col(n).is_in(known.implode()) | pl.col(n).is_in(good.implode())

                rules.append(Rule("actor-kind", fk.field, kind_ok))
        if fk.resource == res.name and fk.field in by_name and fk.reference_field in by_name:
            rules.append(Rule("reference-cycle", fk.field, frame_ok=cycle_ok(fk.field, fk.reference_field), across=(fk.reference_field,)))
    # likely duplicates (warnings), among live rows
    live = (pl.col("withdrawn") == "") if "withdrawn" in by_name else pl.lit(True)
    withdrawn = ("withdrawn",) if "withdrawn" in by_name else ()
    for name, f in by_name.items():
        if f.constraints.get("pattern", "").startswith("^https?://") and f.constraints.get("unique"):
            key = normalize_url(pl.col(name))
            rules.append(Rule("likely-duplicate", name, lambda key=key, name=name: ~(live & (pl.col(name) != "") & ~key.is_first_distinct().over(live)), severity="warning", across=withdrawn))
        if f.duplicate_key and set(f.duplicate_key) <= set(by_name):
            rules.append(Rule("likely-duplicate", name, frame_ok=same_statement_ok(name, f.duplicate_key, live), severity="warning", across=(*f.duplicate_key, *withdrawn)))
    return rules
