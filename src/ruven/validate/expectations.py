"""Layer 3, Great Expectations: declarative suites kept as plain JSON in ``validation/``.

``validation/<resource>.json`` holds a Great Expectations 1.x ``ExpectationSuite`` (``name``,
``expectations``: ``type``/``kwargs``/``meta``). Each suite runs in an *ephemeral* context (no
``gx/`` folder is written, analytics and progress bars are off) over a pandas frame of the
resource: typed columns derived from the Table Schema plus the CSV line of every row, so that
row-level failures are located. ``meta`` of an expectation may set ``severity`` (``error`` by
default, ``warning`` for plausibility checks), ``code`` (the finding code) and ``hint``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from ruven.errors import RuvenError
from ruven.package import DataPackage, Resource
from ruven.report import Finding
from ruven.validate import codes

LAYER = "expectations"
SUITES = "validation"
LINE = "__line__"


def suite_path(res: Resource) -> Path:
    return res.package.root / SUITES / f"{res.name}.json"


def load_suite_doc(res: Resource) -> dict[str, Any] | None:
    """The resource's suite, read through the package's one resolver (a suite that is a symlink
    out of the package, a folder or a device is a ``PackagePathError``)."""
    from ruven.package.paths import read_bytes

    rel = f"{SUITES}/{res.name}.json"
    p = suite_path(res)
    if not p.exists() and not p.is_symlink():
        return None
    return json.loads(read_bytes(res.package.file(rel, f"the expectation suite {rel}")).decode("utf-8"))


@contextmanager
def _quiet_gx() -> Iterator[Any]:
    """Import GE with analytics off and no progress bars; yields the module."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
        from great_expectations.execution_engine import pandas_execution_engine

        # GE fingerprints every in-memory frame under 1 GB by hashing all its cells, for batch
        # markers that ruven never reads; at 1M rows a text column costs it over a second, twice
        # a table. Frames handed over at run time are fingerprinted by nothing else.
        pandas_execution_engine.HASH_THRESHOLD = 0
        yield gx


def _context(gx: Any) -> Any:
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx


#: one ephemeral context, data source and batch definitions kept by a long-lived process
#: (``ruven validate --watch``): setting them up costs more than validating a small table
_SESSION: dict[str, Any] = {}


def _session(gx: Any, fresh: bool) -> dict[str, Any]:
    """The context (``ctx``), pandas data source (``ds``), batch definitions by table
    (``batches``) and suites added to the context, by table, with the JSON they were made from
    (``suites``): kept for the next run in this process (``--watch``), new when ``fresh``."""
    if fresh or not _SESSION:
        ctx = _context(gx)
        session = {"ctx": ctx, "ds": ctx.data_sources.add_pandas("ruven"), "batches": {}, "suites": {}}
        if fresh:
            return session
        _SESSION.update(session)
    return _SESSION


def _frame(res: Resource, columns: set[str]) -> Any:
    """The resource as a pandas frame: typed columns the suite uses, plus the CSV line."""
    import polars as pl

    from ruven.validate.tables import LINE as TLINE
    from ruven.validate.tables import PartsRefused, load, parts

    keep = [TLINE, *sorted(columns)]
    df = _plain_columns(res, sorted(columns))
    if df is None:
        try:  # a big table part by part, keeping only the suite's columns
            with closing(parts(res)) as blocks:
                df = pl.concat([part.df.select([c for c in keep if c in part.df.columns]) for part in blocks])
        except PartsRefused:
            table = load(res)
            df = table.df.select([c for c in keep if c in table.df.columns])
    exprs = []
    for name in sorted(columns):
        if name not in df.columns:
            continue
        f = res.field(name)
        col = pl.col(name)
        kind = f.value_kind  # the package model's one reading of a cell (see Field.parse)
        if kind == "number":
            e = col.str.strip_chars().str.replace_all("_", "", literal=True).cast(pl.Float64, strict=False)
        elif kind == "boolean":
            e = pl.when(col.is_in(f.true_values)).then(True).when(col.is_in(f.false_values)).then(False).otherwise(None)
        else:
            e = pl.when(col == "").then(None).otherwise(col)
        exprs.append(e.alias(name))
    out = df.select(*exprs, pl.col(TLINE).alias(LINE))
    return out.to_pandas()


def _plain_columns(res: Resource, columns: list[str]) -> Any:
    """Only the suite's columns, read by polars without the others, when the file is plain:
    its header is the schema's field names, and it has exactly one line per record (no line
    break inside a cell, no blank line), so that a record's line is its index + 2. Else None:
    the caller reads the table as layers 1 and 2 do, line breaks in cells counted."""
    import polars as pl

    from ruven.validate.tables import LINE as TLINE
    from ruven.validate.tables import _header, byte_counts

    labels = _header(res.path)
    if labels != res.field_names or not set(columns) <= set(labels):
        return None
    try:
        df = pl.read_csv(res.path, columns=columns or labels[:1], infer_schema=False, empty_string_is_null=False, truncate_ragged_lines=False, quote_char='"', raise_if_empty=False)
    except Exception:  # noqa: BLE001 - any refusal: the exact reading decides
        return None
    (newlines,), ends = byte_counts(res.path, b"\n")
    if newlines - ends != df.height:
        return None
    return df.with_row_index(TLINE, offset=2).select(TLINE, *columns)


def _suite_columns(doc: dict[str, Any]) -> set[str]:
    cols: set[str] = set()
    for ex in doc.get("expectations", []):
        kw = ex.get("kwargs", {})
        for key in ("column", "column_A", "column_B"):
            if key in kw:
                cols.add(kw[key])
        cols.update(kw.get("column_list", []))
    return cols


def _code(ex: dict[str, Any]) -> str:
    meta = ex.get("meta") or {}
    return str(meta.get("code") or ex.get("type", "expectation").removeprefix("expect_").replace("_", "-"))


def run(pkg: DataPackage, *, keep_context: bool = False, only: Sequence[str] | None = None) -> tuple[list[Finding], Any]:
    """Validate every resource that has a suite (or only those named); returns findings (and
    the context if asked)."""
    from ruven.validate.preflight import preflight

    findings: list[Finding] = []
    _, safe = preflight(pkg)
    safe_names = {r.name for r in safe}
    jobs = []
    for res in pkg:
        if only is not None and res.name not in only:
            continue
        try:
            doc = load_suite_doc(res)
        except (OSError, ValueError, RuvenError) as exc:
            findings.append(codes.make("suite-error", res.name, f"{SUITES}/{res.name}.json", None, "", "", f"the expectation suite cannot be read: {exc}", "fix the JSON of the suite"))
            continue
        if doc is None or res.name not in safe_names:
            continue
        jobs.append((res, doc))
    if not jobs:
        return findings, None
    with _quiet_gx() as gx:
        from great_expectations.core.expectation_suite import ExpectationSuite

        session = _session(gx, keep_context)
        ctx, ds, batch_defs, suites = session["ctx"], session["ds"], session["batches"], session["suites"]
        for res, doc in jobs:
            try:
                df = _frame(res, _suite_columns(doc))
            except Exception:  # noqa: BLE001 - an unreadable table is reported by layer 1
                continue
            # Data Docs name each table's asset; otherwise one asset takes every table's frame:
            # each asset and batch definition GE adds is written out as YAML, even in memory
            asset = res.name if keep_context else "tables"
            if asset not in batch_defs:
                batch_defs[asset] = ds.add_dataframe_asset(name=asset).add_batch_definition_whole_dataframe(asset)
            batch_def = batch_defs[asset]
            present = set(df.columns)
            exps = [e for e in doc.get("expectations", []) if _suite_columns({"expectations": [e]}) <= present]
            name = doc.get("name", res.name)
            made = json.dumps([name, [_config(e) for e in exps], doc.get("meta")], sort_keys=True, default=str)
            if suites.get(res.name, ("",))[0] == made:  # the same suite as the last run's (--watch): 0.05 s saved
                suite = suites[res.name][1]
            else:
                try:
                    suite = ctx.suites.add_or_update(ExpectationSuite(name=name, expectations=[_config(e) for e in exps], meta=doc.get("meta")))
                except Exception as exc:  # noqa: BLE001 - GE raises many kinds for a bad suite
                    suites.pop(res.name, None)
                    findings.append(codes.make("suite-error", res.name, f"{SUITES}/{res.name}.json", None, "", "", f"the expectation suite is not valid: {exc}", "fix the suite; see the expectation's documentation"))
                    continue
                suites[res.name] = (made, suite)
            if keep_context:
                vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=res.name, data=batch_def, suite=suite))
                result = vd.run(batch_parameters={"dataframe": df}, result_format=_result_format())
            else:
                batch = batch_def.get_batch(batch_parameters={"dataframe": df})
                result = batch.validate(suite, result_format=_result_format())
            findings.extend(_findings(res, exps, result))
            del df
    return findings, (ctx if keep_context else None)


def _config(ex: dict[str, Any]) -> dict[str, Any]:
    return {"type": ex["type"], "kwargs": dict(ex.get("kwargs", {})), "meta": dict(ex.get("meta") or {})}


def _result_format() -> dict[str, Any]:
    return {"result_format": "COMPLETE", "unexpected_index_column_names": [LINE], "partial_unexpected_count": 0, "return_unexpected_index_query": False}


def _findings(res: Resource, exps: list[dict[str, Any]], result: Any) -> list[Finding]:
    out: list[Finding] = []
    for r in result.results:
        if r.success:
            continue
        cfg = r.expectation_config
        meta = dict(cfg.meta or {})
        ex = {"type": cfg.type, "meta": meta}
        code = _code(ex)
        if code not in codes.CODES:
            out.append(codes.make("suite-error", res.name, f"{SUITES}/{res.name}.json", None, kw_column(cfg.kwargs), "", f"{cfg.type} reports the code {code!r}, which is not in the registry of finding codes", "set meta.code to a code listed in the codebook (docs/codebook.md, Finding codes)"))
            continue
        severity = meta.get("severity") or codes.get(code).severity
        kw = cfg.kwargs
        column = kw.get("column") or kw.get("column_A") or ""
        hint = meta.get("hint") or codes.get(code).hint
        res_d = r.result or {}
        if r.exception_info and r.exception_info.get("raised_exception"):
            msg = r.exception_info.get("exception_message", "the expectation could not be evaluated")
            out.append(codes.make("suite-error", res.name, res.relpath, None, column, "", f"{cfg.type} could not run: {msg}", "fix the expectation in the suite"))
            continue
        rows = res_d.get("unexpected_index_list") or []
        if rows:
            for item in rows:
                line = item.get(LINE) if isinstance(item, dict) else None
                value = _value(item, kw)
                out.append(codes.make(code, res.name, res.relpath, int(line) if line is not None else None, column, value, _message(cfg.type, kw, value), hint, layer=LAYER, severity=severity))
        else:
            observed = res_d.get("observed_value")
            out.append(codes.make(code, res.name, res.relpath, None, column, observed, _message(cfg.type, kw, observed), hint, layer=LAYER, severity=severity))
    return out


def kw_column(kw: dict[str, Any]) -> str:
    return str(kw.get("column") or kw.get("column_A") or "")


def _value(item: Any, kw: dict[str, Any]) -> str:
    if not isinstance(item, dict):
        return str(item)
    if "column_A" in kw:
        return f"{kw['column_A']}={_fmt(item.get(kw['column_A']))}, {kw['column_B']}={_fmt(item.get(kw['column_B']))}"
    return _fmt(item.get(kw.get("column", ""), ""))


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v) or type(v).__name__ in ("NAType", "NaTType"):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _message(kind: str, kw: dict[str, Any], value: Any) -> str:
    col = kw.get("column", "")
    if kind == "expect_table_row_count_to_be_between":
        lo, hi = kw.get("min_value"), kw.get("max_value")
        want = f"at least {lo}" if hi is None else (f"at most {hi}" if lo is None else f"between {lo} and {hi}")
        return f"the table has {value} rows; expected {want}"
    if kind == "expect_column_values_to_be_unique":
        return f"{value!r} appears more than once in {col}"
    if kind == "expect_column_values_to_not_be_null":
        return f"{col} is empty"
    if kind == "expect_column_values_to_be_in_set":
        return f"{value!r} is not one of the values allowed in {col}"
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        op = ">=" if kw.get("or_equal") else ">"
        return f"{kw['column_A']} {op} {kw['column_B']} does not hold ({value})"
    if kind == "expect_column_values_to_be_between":
        lo, hi = kw.get("min_value"), kw.get("max_value")
        if lo is None:
            return f"{col} {value} is above the plausible maximum {_fmt(hi)}"
        if hi is None:
            return f"{col} {value} is below the plausible minimum {_fmt(lo)}"
        return f"{col} {value} is outside the plausible range {_fmt(lo)}..{_fmt(hi)}"
    if kind == "expect_column_value_lengths_to_be_between":
        return f"{col} has an implausible length ({len(str(value))} characters)"
    return f"{kind} failed ({value})"


def check(pkg: DataPackage, only: Sequence[str] | None = None) -> list[Finding]:
    findings, _ = run(pkg, only=only)
    return findings


def build_data_docs(package: str | os.PathLike[str] | DataPackage | None, out_dir: str | os.PathLike[str]) -> Path:
    """Write Great Expectations' HTML Data Docs (suites and this run's results) into ``out_dir``."""
    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    out = Path(out_dir).resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RuvenError(f"cannot create {out}: {exc.strerror}", "choose a folder you can write to", location=str(out)) from exc
    _, ctx = run(pkg, keep_context=True)
    if ctx is None:
        raise RuvenError("no expectation suite could be run, so there are no Data Docs to write", "add validation/<resource>.json suites and fix the errors layer 1 reports")
    site = {
        "class_name": "SiteBuilder",
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out)},
    }
    with _quiet_gx():
        ctx.add_data_docs_site(site_name="ruven", site_config=site)
        ctx.build_data_docs(site_names=["ruven"])
    return out / "index.html"


# ---------------------------------------------------------------------------------------------
# Running the layer in a child process, beside layers 1 and 2
#
# Importing Great Expectations takes about two seconds of pure Python (it pulls in pandas,
# scipy and altair). ``validate_package`` starts this layer in a child process first, so that
# the import overlaps with layers 1 and 2 on another core, then collects its findings.


def start(pkg: DataPackage, only: Sequence[str] | None = None) -> Any:
    """Start layer 3 in a child process (for every table, or only those named); returns a
    handle for :func:`collect` (or None)."""
    import subprocess
    import sys

    env = dict(os.environ, GX_ANALYTICS_ENABLED="False")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "ruven.validate.expectations", str(pkg.descriptor_path), *([] if only is None else ["--only", ",".join(only)])],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
    except OSError:
        return None


def collect(proc: Any, pkg: DataPackage, only: Sequence[str] | None = None) -> tuple[list[Finding], float]:
    """Findings and seconds of a child started by :func:`start` (runs in-process if it failed)."""
    out, err = proc.communicate()
    try:
        doc = json.loads(out.decode("utf-8"))
        return [Finding.from_dict(f) for f in doc["findings"]], float(doc["seconds"])
    except (ValueError, KeyError, TypeError):
        import time

        t0 = time.perf_counter()
        return check(pkg, only), time.perf_counter() - t0


def _main(argv: list[str]) -> int:
    import time

    t0 = time.perf_counter()
    pkg = DataPackage.load(argv[0], check_paths=False)
    only = argv[2].split(",") if argv[1:2] == ["--only"] else None
    findings = check(pkg, [n for n in only if n] if only is not None else None)
    doc = {"findings": [f.to_dict() for f in findings], "seconds": time.perf_counter() - t0}
    import sys

    sys.stdout.write(json.dumps(doc))
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through validate_package
    import sys

    from ruven.exits import leave_objects_to_the_exit

    code = _main(sys.argv[1:])
    leave_objects_to_the_exit()  # (the parent waits for this process to end)
    raise SystemExit(code)
