"""Layers 1 and 2 over every table of a package: the reference tables whole and first, then
each other table's row checks, part by part, and its checks across rows, in a second thread
(see :func:`check_rows`); memory holds one part, the columns the checks across rows of the
table before need, and the keys the tables refer to."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

from ruven.package import DataPackage
from ruven.validate.background import threaded
from ruven.validate.limit import Limit


def check_rows(pkg: DataPackage, order: list[str], today: dt.date, safe: list[Any], t: dict[str, float], tables: Any, max_per_kind: int | None, structural_on: bool, rules_on: bool, late: Any = None) -> tuple[dict[str, int], list[Any], list[tuple[str, str, list[Any], int]]]:
    """Every table's row checks: (rows per table, findings, findings to keep per table). The
    tables whose bytes the preflight left to the reader (``late``, a
    :class:`ruven.validate.preflight.LateScan`) are scanned as their rows are read; raises
    :class:`ruven.validate.blocks.BadBytes` where one is not clean."""
    from ruven.validate import keys, rules

    ctx = rules.Context(pkg, today)
    needed = keys.key_fields(pkg)
    checks = []
    # Reference tables are checked whole, first. The other tables' row checks run here, table
    # after table, and each table's checks across rows (which need the keys of the tables it
    # refers to) in a second thread, in the same order, while this one reads the next table:
    # polars runs without Python's GIL, so the two overlap on two cores. (Two tables' row checks
    # at once gained nothing measurable at 100k or 1M rows per table and cost 200 MB at 1M.)
    across = _Across(threaded())
    ordered = keys.load_order(pkg, safe)
    tail = ordered[-1] if ordered else None  # (its checks across rows run while no other table is checked)
    try:
        for res in ordered:
            hit_s = tables.hit("frictionless", res.name) if tables and structural_on else None
            hit_r = tables.hit("pandera", res.name) if tables and rules_on else None
            check = _TableCheck(pkg, ctx, needed.get(res.name, set()), structural_on and hit_s is None, rules_on and hit_r is None, t, Limit(res.name, res.relpath, max_per_kind), last=res is tail)
            checks.append((res, check, hit_s, hit_r))
            scan = late is not None and late.scans(res)
            job = None if rules.keep_whole(pkg, res) else check.row_checks(res, scan)
            if job is None:  # a reference table, or one the fast reader refused: read whole, after the tables it refers to
                if scan:
                    late.settle([res])
                check.whole(res, across)
            else:
                if scan:
                    late.read(res)
                across.submit(job)
        across.wait()
    finally:
        across.close()
    rows: dict[str, int] = {}
    found: list[Any] = []
    puts: list[tuple[str, str, list[Any], int]] = []
    for res, check, hit_s, hit_r in checks:
        check.finish()
        rows[res.name] = check.rows
        for layer, hit, table_found in (("frictionless", hit_s, check.structural), ("pandera", hit_r, check.rules)):
            if layer not in order or (layer == "frictionless" and not structural_on):
                continue
            found.extend(table_found if hit is None else hit)
            if hit is None:
                puts.append((layer, res.name, table_found, check.rows))
    if rules_on:
        t0 = time.perf_counter()
        found.extend(rules.finish(ctx))
        t["pandera"] += time.perf_counter() - t0
    return rows, found, puts


class _TableCheck:
    """Layers 1 and 2 over one table, in parts when it is big (see :func:`ruven.validate.tables.parts`):
    each part's rows are checked and dropped, keeping only the columns that the checks across
    rows (unique values, primary keys, references, the pandera rules that compare rows) and the
    other tables (referenced keys) need; those run once at the end."""

    def __init__(self, pkg: DataPackage, ctx: Any, key_fields: set[str], structural_on: bool, rules_on: bool, t: dict[str, float], limit: Limit, last: bool = False) -> None:
        self.pkg, self.ctx, self.key_fields, self.t = pkg, ctx, key_fields, t
        #: the last table read: its checks across rows run alone, so they spread over the cores
        self.last = last
        self.limit = limit
        self.structural_on, self.rules_on = structural_on, rules_on
        self.structural: list[Any] = []
        self.rules: list[Any] = []
        self.rows = 0
        self.threaded = threaded()

    def row_checks(self, res: Any, scan: bool = False) -> Callable[[], None] | None:
        """The row checks of every part; returns the checks across rows, to be run once the
        tables this one refers to were checked (they need their keys). None when the fast
        reader refused a part: the table is then read whole (:meth:`whole`). With ``scan``,
        the bytes are checked as they are read (see :func:`ruven.validate.tables.parts`)."""
        from ruven.validate.tables import PartsRefused, parts

        # the tables checked whole so far (the reference tables it may point to): their keys
        # are complete, so each part looks its references into them up (see Context.checked_before)
        self.ctx.ready[res.name] = frozenset(self.ctx.tables)
        blocks = parts(res, scan)
        try:
            return self._parts(res, blocks)
        except PartsRefused:  # a part the fast reader may misread: the exact reader reads it whole
            self.structural, self.rules, self.rows = [], [], 0
            self.limit = Limit(self.limit.resource, self.limit.path, self.limit.per_kind)
            return None
        finally:  # (a block still being read, after Ctrl-C or an error, is waited for)
            blocks.close()

    def whole(self, res: Any, across: _Across) -> None:
        """Every check at once over the table read whole, after the tables it refers to."""
        from ruven.validate.tables import load

        across.wait()
        self._whole(load(res))

    def finish(self) -> None:
        """After every check ran: the counts of the rows of one kind left out (the limit)."""
        self.structural.extend(self.limit.findings("frictionless"))
        self.rules.extend(self.limit.findings("pandera"))

    def _whole(self, table: Any) -> None:
        """A table read whole: every check at once."""
        from ruven.validate import keys

        self.rows = table.df.height
        self._rows(table, "all", header=True, keys=keys.keys_of(table, self.key_fields))

    def _parts(self, res: Any, tables: Any) -> Callable[[], None]:
        """Each part's row checks as it is read (one part for a table up to ``PART_BYTES``);
        returns the checks across rows, once over the columns they need."""
        import polars as pl

        from ruven.validate import keys
        from ruven.validate.tables import LINE, Table, in_parts

        kept: list[Any] = []
        columns: list[str] = []
        few: list[str] = []
        labels: list[str] | None = None
        fields: list[str] = []
        t0 = time.perf_counter()
        for part in tables:
            self.t["frictionless" if self.structural_on else "pandera"] += time.perf_counter() - t0
            first = labels is None
            if first:  # (only the first part's header and fields are kept, not the part)
                labels, fields = part.labels, part.fields
                across = self._across(part)
                columns = [LINE, *(c for c in part.df.columns if c in across)]
                few = _few_valued(part.df, columns[1:]) if in_parts(res) else []
            self.rows += part.df.height
            self._rows(part, "rows", header=first)
            kept.append(part.df.select(columns).with_columns(pl.col(c).cast(pl.Categorical) for c in few))
            del part
            t0 = time.perf_counter()
        if labels is None:
            return lambda: None
        whole_table = Table(res, labels, pl.concat(kept, rechunk=False), [c for c in fields if c in columns])
        del kept

        def across_rows() -> None:
            if few:  # (text again, for the checks: the same values)
                whole_table.df = whole_table.df.with_columns(pl.col(c).cast(pl.String) for c in few)
            self._rows(whole_table, "across", header=False, keys=keys.keys_of(whole_table, self.key_fields))

        return across_rows

    def _across(self, part: Any) -> set[str]:
        """The columns the checks across rows and the other tables read."""
        from ruven.validate import rules

        res = part.resource
        cols = set(self.key_fields) | set(res.primary_key)
        cols |= {f.name for f in res.fields if f.constraints.get("unique")}
        cols |= {c for fk in res.foreign_keys if not self.ctx.checked_before(res.name, (fk.resource,)) for c in ((fk.field, fk.reference_field) if fk.resource == res.name else (fk.field,))}
        if self.rules_on:
            cols |= rules.across_columns(part, self.ctx)
        return cols

    def _rows(self, table: Any, scope: str, header: bool, keys: Any = None) -> None:
        """Both layers over ``table``: layer 1 in a second thread while layer 2 runs in this one
        (each is mostly polars, which runs without Python's GIL; they share the frame, so this
        holds no more in memory than one after the other)."""
        from ruven.validate import rules, structural

        t, ctx = self.t, self.ctx
        if keys is not None:
            ctx.keys.update(keys)
        ready = ctx.ready.get(table.name, frozenset())
        alone = self.threaded and self.last and scope == "across"

        def layer1() -> None:
            t1 = time.perf_counter()
            self.structural.extend(structural.check_table(self.pkg, table, ctx.keys, scope=scope, header=header, limit=self.limit, ready=ready))
            with _CLOCK:  # two threads add to the layers' seconds
                t["frictionless"] += time.perf_counter() - t1

        def layer2() -> None:
            t2 = time.perf_counter()
            if self.rules_on:
                self.rules.extend(rules.check_table(table, ctx, scope=scope, limit=self.limit, spread=alone))
            elif scope != "across":  # the table's pandera findings are cached, but its citations count
                rules.remember_citations(table, ctx)
            with _CLOCK:
                t["pandera"] += time.perf_counter() - t2

        # (a part of a big table: a small one gains nothing from the thread, nor did the checks
        # across rows while the next table is read; the last table's run alone)
        _side_by_side(layer1 if self.structural_on else None, layer2, self.threaded and (alone or (scope == "rows" and table.df.height >= SIDE_BY_SIDE_ROWS)))
        if scope == "all" and rules.keep_whole(self.pkg, table.resource):
            ctx.tables[table.resource.name] = table


def _side_by_side(first: Callable[[], None] | None, second: Callable[[], None], threaded: bool) -> None:
    """``first`` (if any) in a second thread while ``second`` runs in this one; returns when both
    did, raising what ``first`` raised. Not ``threaded``, one after the other."""
    from ruven.validate.background import InThread

    if first is None or not threaded:
        if first is not None:
            first()
        second()
        return
    other = InThread(first, "ruven-layer1")
    try:
        second()
    finally:
        other.wait()
    other.result()


_CLOCK = threading.Lock()
#: parts of at least this many rows are checked by both layers at once (see :meth:`_TableCheck._rows`)
SIDE_BY_SIDE_ROWS = 50_000


def _few_valued(df: Any, columns: list[str]) -> list[str]:
    """The kept columns of a big table whose first part holds few distinct values (a date, a
    speaker, an empty ``withdrawn``): they are kept dictionary-encoded (``Categorical``: four
    bytes a row instead of sixteen, about 25 MB at 1M rows of statements) until the checks
    across rows read them as text again."""
    import polars as pl

    if not columns or not df.height:
        return []
    sample = df.head(20_000)  # (as structural.few_distinct judges a part's columns)
    counts = sample.select(pl.col(c).n_unique() for c in columns).row(0)
    return [c for c, n in zip(columns, counts, strict=True) if n * 4 <= sample.height]


class _Across:
    """One thread that runs the checks across rows, table after table in the order handed in,
    while the caller reads and checks the next table's rows: polars (and so most of each check)
    runs without holding Python's GIL, so the two overlap on two cores. ``wait`` returns when
    all handed in ran, raising what one of them raised. Not ``threaded`` (``RUVEN_THREADS=1``),
    it runs each at once, in the caller's thread."""

    def __init__(self, threaded: bool = True) -> None:
        import queue

        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._loop, name="ruven-across", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                if self._error is None:
                    job()
            except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread by wait()
                self._error = exc
            finally:
                del job  # (its table's columns: not kept while the next table is read)
                self._jobs.task_done()
        self._jobs.task_done()

    def submit(self, job: Callable[[], None]) -> None:
        if self._thread is None:
            job()
        else:
            self._jobs.put(job)

    def wait(self) -> None:
        if self._thread is not None:
            self._jobs.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
