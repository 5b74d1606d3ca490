"""Layer 2 building blocks: the shared context, per-table memo, and the checks that need the
whole frame (joins, cycles, id lists, URLs), each a function from a polars frame to a boolean
column aligned to its rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ruven.package import DataPackage, Field, date_bounds
from ruven.text import HYGIENE, SUSPICIOUS
from ruven.urls import url_problem

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from ruven.validate.tables import Table

STRICT_URL = r"^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,}(?:[/?#][^\s]*)?$"


@dataclass
class Context:
    """What the rules need from other tables, filled as tables are read (referenced ones first)."""

    pkg: DataPackage
    today: dt.date
    keys: dict[tuple[str, str], Any] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)  # small reference tables kept whole
    cited: dict[str, set[str]] = field(default_factory=dict)  # resource -> ids cited by source_ids lists
    #: resource -> the tables checked whole before its rows were read in parts (their keys are
    #: complete then, so a reference into them is checked part by part: see :meth:`checked_before`)
    ready: dict[str, frozenset[str]] = field(default_factory=dict)
    #: what the rules read off the small reference tables, worked out once per run, when a rule
    #: first runs (not when it is derived: the columns of a big table's checks across rows are
    #: read off rules derived for that alone)
    derived: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def checked_before(self, resource: str, refs: Any) -> bool:
        """Whether every table of ``refs`` was checked whole before the rows of ``resource``
        were read in parts: a reference into them needs no column kept for the checks across
        rows (their keys are all known while each part is checked)."""
        ready = self.ready.get(resource)
        return ready is not None and all(r in ready for r in refs)

    def once(self, key: tuple[str, ...], make: Callable[[], Any]) -> Any:
        if key not in self.derived:
            self.derived[key] = make()  # (two threads may both make it: the same value)
        return self.derived[key]


class Memo:
    """Per-table work shared by several rules: most columns hold few distinct values (dates,
    free text with odd characters), so rules decide on distinct values and then mark rows."""

    def __init__(self, df: pl.DataFrame, text: list[str] | None = None, ids: dict[str, Any] | None = None, alone: bool = False) -> None:
        self.df = df
        #: the checks run while no other table is checked (the last one's checks across rows):
        #: they may hold more memory for less time
        self.alone = alone
        #: id-list field -> the distinct ids of this frame, where already found (see ``remember_citations``)
        self.ids = ids or {}
        #: the free-text columns, whose suspicious values are found in one pass for all of them
        self.text = [n for n in text or [] if n in df.columns]
        self._text: dict[str, dict[str, list[str]]] = {}
        self._dates: dict[str, tuple[list[str], list[Any], list[Any]]] = {}

    def text_bad(self, name: str, code: str) -> list[str]:
        """Distinct values of a free-text column that break one hygiene rule."""
        import polars as pl

        if name not in self._text:
            names = self.text if name in self.text else [name]
            found = self.df.select([pl.col(n).filter(pl.col(n).str.contains(SUSPICIOUS)).unique().implode() for n in names]).row(0)
            for n, candidates in zip(names, found, strict=True):
                out: dict[str, list[str]] = {c: [] for c in HYGIENE}
                for v in candidates:
                    for c, test in HYGIENE.items():
                        if test(v):
                            out[c].append(v)
                self._text[n] = out
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


def split_ids(col: pl.Expr, delimiter: str, width: int) -> list[pl.Expr]:
    """The ids of an id-list cell as ``width`` columns (null where a cell has fewer ids)."""
    if width == 1:
        return [col]
    parts = col.str.split_exact(delimiter, width - 1)
    return [parts.struct.field(f"field_{i}") for i in range(width)]


#: keys looked up at once by :func:`not_in`: a hash table of a million keys holds about 40 MB
KEY_SLICE = 1 << 18


def not_in(values: pl.Series, known: pl.Series) -> pl.Series:
    """``values`` that are not in ``known``, in their order; hashes the smaller side. The keys
    are looked up ``KEY_SLICE`` at a time, and in each slice only the values between its least
    and its greatest key: the ids of another table (with another prefix) are not looked up at
    all, and keys kept in order (ids usually are) hash each value against one slice only."""
    if values.len() * 20 < known.len():
        return _not_in(values, known)
    for at in range(0, known.len(), KEY_SLICE):
        if values.len() == 0:
            break
        keys = known.slice(at, KEY_SLICE)
        inside = (values >= keys.min()) & (values <= keys.max())
        if not inside.any():
            continue
        if inside.all():
            values = _not_in(values, keys)
            continue
        missing = _not_in(values.filter(inside), keys)
        values = values.filter(~inside | values.is_in(missing.implode()))
    return values


def _not_in(values: pl.Series, known: pl.Series) -> pl.Series:
    if values.len() * 20 < known.len():
        found = known.filter(known.is_in(values.implode()))
        return values.filter(~values.is_in(found.implode()))
    return values.filter(~values.is_in(known.implode()))


def list_width(df: pl.DataFrame, name: str, delimiter: str) -> int:
    import polars as pl

    return int(df.select(pl.col(name).str.count_matches(delimiter, literal=True).max()).item() or 0) + 1


#: rows of a whole table's id-list column whose ids are looked up at once (see :func:`id_list_ok`)
ID_ROWS = 1 << 18
#: rows sampled to tell whether an id-list column repeats its cells (see :func:`distinct_ids`)
SAMPLE_ROWS = 20_000


def distinct_ids(df: pl.DataFrame, f: Field) -> pl.Series:
    """Every id cited in an id-list column, once. Where cells repeat (the source lists of a big
    table: a million cells, ten thousand different ones), the cells are made distinct before
    they are split: 0.8 s becomes 0.06 s for a million rows. Where most cells differ, splitting
    first is cheaper (0.3 s against 1.0 s)."""
    import polars as pl

    col = pl.col(f.name)
    if repeats(df, f.name):
        col = col.unique()
    return df.select(col.str.split(f.delimiter).explode().unique().drop_nulls()).to_series()


def repeats(df: pl.DataFrame, name: str) -> bool:
    """Whether the cells of a big frame's column repeat (a quarter of a sample of its first rows
    does): work on its distinct cells then pays."""
    import polars as pl

    return df.height > SAMPLE_ROWS and df.head(SAMPLE_ROWS).select(pl.col(name).n_unique()).item() * 4 < SAMPLE_ROWS * 3


def normalize_url(col: pl.Expr) -> pl.Expr:
    return (
        col.str.to_lowercase()
        .str.replace(r"^https?://", "")
        .str.replace(r"^www\.", "")
        .str.replace(r"#.*$", "")
        .str.replace(r"/+$", "")
        .str.replace(r"/index\.html?$", "")
    )


def normalize_text(col: pl.Expr) -> pl.Expr:
    return col.str.to_lowercase().str.replace_all(r"[\s\p{P}]+", " ").str.strip_chars()


def same_within_ok(name: str, within: str) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
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


def url_frame_ok(name: str) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    import polars as pl

    def ok(lf: pl.LazyFrame) -> pl.LazyFrame:
        col = pl.col(name)
        doubtful = lf.select(col).filter((col != "") & ~col.str.contains(STRICT_URL)).unique().collect()[name].to_list()
        bad = [v for v in doubtful if url_problem(v)]
        return lf.select((~col.is_in(bad)).alias(name))

    return ok


def id_list_ok(f: Field, ctx: Context, memo: Memo) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    import polars as pl

    refs = []
    for ref in f.list_references:
        target = ctx.pkg.resources.get(ref)
        if target is not None and target.primary_key:
            s = ctx.keys.get((ref, target.primary_key[0]))
            if s is not None:
                refs.append(s)

    def unknown_of(ids: pl.Series) -> pl.Series:
        unknown = ids.filter(ids != "") if (ids == "").any() else ids
        for known in refs:  # table by table: most ids resolve in the first, so later sets stay small
            if unknown.len() == 0:
                break
            unknown = not_in(unknown, known)
        return unknown

    def ok(lf: pl.LazyFrame) -> pl.LazyFrame:
        col = pl.col(f.name)
        ids = memo.ids.get(f.name)
        if ids is not None:
            unknown = unknown_of(ids)
        else:  # a whole table's column (the checks across rows): its cells' ids are split a
            # slice of rows at a time (all of a million cells' ids at once held 55 MB), and
            # looked up a slice at a time; or, run alone, looked up all at once, so that each
            # slice of keys is hashed once, not once a slice of rows (0.32 s -> 0.1 s at 1M
            # rows of statements, at the end of the run, for about 20 MB more)
            cells = lf.select(col).collect()
            found = (distinct_ids(cells.slice(at, ID_ROWS), f) for at in range(0, cells.height, ID_ROWS))
            empty = [pl.Series(f.name, [], pl.String)]
            unknown = (unknown_of(pl.concat(list(found) or empty)) if memo.alone else pl.concat([unknown_of(ids) for ids in found] or empty)).unique()
            del cells
        if unknown.len() == 0:
            return lf.select(pl.lit(True).alias(f.name))
        width = list_width(lf.select(col).collect(), f.name, f.delimiter)
        # a cell that breaks the field's pattern is layer 1's finding (constraint-error): one problem, one finding
        pattern = f.constraints.get("pattern")
        malformed = ~col.str.contains(f"^(?:{pattern})$") if pattern else pl.lit(False)
        if width > 16:
            return lf.select((malformed | ~col.str.split(f.delimiter).list.eval(pl.element().is_in(unknown.implode())).list.any()).alias(f.name))
        parts = split_ids(col, f.delimiter, width)
        return lf.select((malformed | ~pl.any_horizontal([p.is_in(unknown.implode()).fill_null(False) for p in parts])).alias(f.name))

    return ok


#: rows whose texts are normalised at once by :func:`same_statement_ok`
HASH_ROWS = 1 << 17


def same_statement_ok(name: str, key: list[str], live: pl.Expr) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    """The same ``key`` fields and ``name`` text (up to case, spacing and punctuation) as an earlier live row."""
    import polars as pl

    def ok(lf: pl.LazyFrame) -> pl.LazyFrame:
        # Each live row's key and normalised text are hashed, a slice of rows at a time, so that
        # the normalised texts of a big table are never all in memory at once. The hashes that
        # repeat are found by sorting them (a hash table of a million rows costs 60 MB more);
        # only the rows with such a hash are compared exactly (a hash collision cannot fool that).
        frame = lf.select(*key, name, live.alias("__live__")).collect()
        sig = pl.when("__live__").then(pl.struct(*key, normalize_text(pl.col(name))).hash()).alias("__h__")
        hashes = pl.concat([frame.slice(at, HASH_ROWS).select(sig) for at in range(0, frame.height, HASH_ROWS)] or [frame.select(sig)])
        ordered = hashes.get_column("__h__").drop_nulls().sort()
        repeated = ordered.filter(ordered == ordered.shift(1))
        suspects = hashes.with_row_index("__i__").filter(pl.col("__h__").is_in(repeated.implode()))["__i__"]
        exact = frame[suspects].select(*key, normalize_text(pl.col(name)).alias("__q__")).with_columns(suspects)
        dupes = exact.filter(~pl.struct(*key, "__q__").is_first_distinct())["__i__"]
        return lf.select((~pl.int_range(pl.len(), dtype=pl.UInt32).is_in(dupes.implode())).alias(name))

    return ok


def after_sources_ok(name: str, f: Field, sources: Table, published: str, memo: Memo, ctx: Context) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    """The date ``name`` is not after the latest publication date of the sources ``f`` cites."""
    import polars as pl

    def last_days() -> pl.DataFrame:
        """Each source's last possible day of publication (the sources' dates parsed once a run)."""
        pub = Memo(sources.df)
        key = sources.resource.primary_key[0]
        return sources.df.select(pl.col(key).alias("__sid__"), pub.bound(published, 1).alias("__pub__")).filter(pl.col("__pub__").is_not_null())

    def ok(lf: pl.LazyFrame) -> pl.LazyFrame:
        src = ctx.once(("published", sources.name, published), last_days).lazy()
        lo = memo.bound(name, 0)

        def latest(rows: pl.LazyFrame, key: str) -> pl.LazyFrame:
            """The latest publication day of the sources each ``key`` cites."""
            cited = rows.select(key, pl.col(f.name).str.split(f.delimiter).alias("__sid__")).explode("__sid__")
            return cited.join(src, on="__sid__", how="inner").group_by(key).agg(pl.col("__pub__").max())

        def after(lo: pl.Expr, pub: pl.Expr) -> pl.Expr:
            return (pub.is_null() | lo.is_null() | (lo <= pub)).alias(name)

        if repeats(memo.df, f.name):  # (a big table's parts: found once for each distinct list, 0.1 s a part of statements became 0.02 s)
            days = latest(lf.select(pl.col(f.name).unique()), f.name).collect()
            return lf.select(after(lo, pl.col(f.name).replace_strict(days[f.name], days["__pub__"], default=None, return_dtype=pl.Date)))
        rows = lf.select(lo.alias("__lo__"), pl.col(f.name)).with_row_index("__i__")
        return rows.join(latest(rows, "__i__"), on="__i__", how="left", maintain_order="left").select(after(pl.col("__lo__"), pl.col("__pub__")))

    return ok


def cycle_ok(parent: str, ident: str) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
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

