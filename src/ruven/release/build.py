"""``build()``: the release artifacts, made from the package with nothing downloaded.

The build opens one DuckDB database (the future ``<name>-<version>.duckdb``), loads the
package into it with :func:`ruven.db.load`, runs the artifact steps in :data:`STEPS`
against it, closes and moves the database into place, and writes ``SHA256SUMS`` last.

Adding an artifact (charts, a codebook PDF, ...) means writing one step function
``step(ctx: BuildContext) -> None`` that writes its files under ``ctx.out`` (atomically,
with :func:`ruven.release.repro.atomic_path`) and registers each with ``ctx.add(...)``,
then appending it to :data:`STEPS` (or passing ``steps=[*STEPS, step]`` to :func:`build`).
Steps may read the loaded tables and views through ``ctx.con`` but must not change them.

Core module: it never prints and never exits; progress goes to the ``progress`` callback.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Collection
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ruven.db import all_table, ident, literal, open_database, typed_columns
from ruven.errors import BuildError, RuvenError, UsageError
from ruven.package import DataPackage
from ruven.package.paths import read_bytes
from ruven.release.context import Artifact, BuildContext, Step
from ruven.release.repro import atomic_path, build_time, sha256_file, write_zip

#: Files from the package root that go into the zip when they exist (besides the descriptor,
#: the resources' data and schemas, and validation/).
ZIP_EXTRA_FILES = (
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
    "LICENSE-DATA.md",
    "LICENSE.md",
    "CITATION.cff",
    "docs/codebook.md",
    "docs/datasheet.md",
)

#: The DuckDB storage format the ``.duckdb`` release file is written in: the format of DuckDB
#: 1.0, which every DuckDB since 1.0 reads (the 1.x CLI, R's duckdb, DBeaver's driver); the
#: newest format (DuckDB 2.0's) would lock out every 1.x reader. The README and the workbook's
#: About sheet state :data:`DUCKDB_MIN_READER`.
DUCKDB_STORAGE_VERSION = "v1.0.0"
DUCKDB_MIN_READER = "1.0.0"
#: The catalog name the file is attached under while it is built.
_RELEASE_CATALOG = "ruven_release"

DUCKDB_NOT_REPRODUCIBLE = (
    "DuckDB's storage format is not byte-stable: block allocation, checkpoint layout and "
    "internal ids depend on threading and timing; the tables and views it holds are the same"
)


@dataclass
class BuildResult:
    out: Path
    name: str
    version: str
    artifacts: list[Artifact]
    rows: dict[str, int]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage: load, each step, duckdb

    def artifact(self, kind: str) -> Artifact:
        return next(a for a in self.artifacts if a.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "name": self.name,
            "version": self.version,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "artifacts": [a.to_dict() for a in self.artifacts],
        }


# --------------------------------------------------------------------------- steps


def parquet_step(ctx: BuildContext) -> None:
    """``parquet/<resource>.parquet``: every row of each table (withdrawn ones included, like the CSV), typed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for res in ctx.package:
        ctx.progress(f"parquet: {res.name}")
        table = ctx.con.sql(f"SELECT * FROM {ident(all_table(res))}").to_arrow_table().combine_chunks()
        comments = {name: comment for name, _, comment in typed_columns(res)}
        fields = [f.with_metadata({"description": comments.get(f.name, "")}) for f in table.schema]
        meta = {
            "ruven:resource": res.name,
            "ruven:title": res.title,
            "ruven:description": res.description,
            "ruven:package": ctx.package.name,
            "ruven:version": ctx.package.version,
        }
        table = table.cast(pa.schema(fields, metadata=meta))
        dest = ctx.out / "parquet" / f"{res.name}.parquet"
        with atomic_path(dest) as tmp:
            pq.write_table(
                table, tmp, compression="zstd", compression_level=9, write_statistics=True, store_schema=True
            )
        ctx.add(dest, "parquet", f"{res.title}: every row, typed (withdrawn rows included, see `withdrawn`).")


def xlsx_step(ctx: BuildContext) -> None:
    """``<stem>.xlsx``: one sheet per table for spreadsheet users, plus About and Columns sheets."""
    from ruven.release.xlsx import write_workbook

    dest = ctx.out / f"{ctx.stem}.xlsx"
    ctx.progress("xlsx: writing the workbook")
    write_workbook(ctx, dest)
    ctx.add(dest, "xlsx", "Workbook: one sheet per table with column descriptions, an About and a Columns sheet.")


def zip_step(ctx: BuildContext) -> None:
    """``<stem>.zip``: the data package itself, with ``bytes`` and ``hash`` for each resource."""
    ctx.progress("zip: packing the data package")
    pkg = ctx.package
    root = pkg.root
    files: dict[str, Path] = {}
    descriptor = json.loads(pkg.descriptor_path.read_text(encoding="utf-8"))
    for res_desc, res in zip(descriptor.get("resources", []), pkg, strict=True):
        path = res.path  # the one resolver: nothing outside the package folder gets in
        if not path.exists():
            raise BuildError(
                f"{res.relpath} does not exist", "create the file or remove the resource", location=res.relpath
            )
        files[PurePosixPath(res.relpath).as_posix()] = path
        res_desc["bytes"] = path.stat().st_size
        res_desc["hash"] = "sha256:" + sha256_file(path)
        if res.schema_path is not None:
            files[res.schema_path.relative_to(root).as_posix()] = res.schema_path
    validation = root / "validation"
    if validation.is_dir():
        for p in sorted(validation.rglob("*")):
            rel = p.relative_to(root).as_posix()
            if not p.name.startswith(".") and (p.is_file() or p.is_symlink()):
                files[rel] = pkg.file(rel)
    for name in ZIP_EXTRA_FILES:
        if (root / name).is_file() or (root / name).is_symlink():
            files[name] = pkg.file(name)
    text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
    members = [(f"{ctx.stem}/datapackage.json", text.encode("utf-8"))]
    members += [(f"{ctx.stem}/{rel}", read_bytes(path)) for rel, path in files.items()]
    dest = ctx.out / f"{ctx.stem}.zip"
    write_zip(dest, members, ctx.when)
    ctx.add(
        dest,
        "zip",
        "The data package: datapackage.json (with bytes and sha256 hash per resource), data/, schemas/, validation/, README, CHANGELOG, licences.",
    )


def dta_step(ctx: BuildContext) -> None:
    """``stata/<resource>.dta`` (see :mod:`ruven.release.stata`; pandas loads only here)."""
    from ruven.release.stata import dta_step as write

    write(ctx)


def chart_step(ctx: BuildContext) -> None:
    """``charts/*.png`` and ``.svg`` (see :func:`ruven.charts.chart_step`; matplotlib loads only here)."""
    from ruven.charts import chart_step as draw

    draw(ctx)


def site_step(ctx: BuildContext) -> None:
    """``<stem>-site.zip``: the static website (see :func:`ruven.site.build.release_step`); ``ruven build --site``."""
    from ruven.site.build import release_step

    release_step(ctx)


#: The artifact steps, run in order after the DuckDB database is loaded. Append to add one.
STEPS: list[Step] = [parquet_step, dta_step, xlsx_step, zip_step, chart_step]


# --------------------------------------------------------------------------- build


def build(
    package: str | os.PathLike[str] | DataPackage | None = None,
    out: str | os.PathLike[str] = "dist",
    *,
    steps: list[Step] | None = None,
    skip: Collection[str] = (),
    progress: Callable[[str], None] | None = None,
    threads: int | None = None,
    validate: bool = True,
) -> BuildResult:
    """Build the release files of ``package`` into ``out`` and return what was written.

    Writes ``<name>-<version>.duckdb``, ``parquet/<resource>.parquet``, ``<name>-<version>.xlsx``,
    ``<name>-<version>.zip`` (and whatever extra ``steps`` write), then ``SHA256SUMS``. ``skip``
    names steps to leave out (``xlsx`` takes minutes on a million rows). The package is
    validated first (``validate=False`` skips it): one that does not validate is refused with
    :class:`~ruven.errors.InvalidPackageError` and nothing is written. Every
    file is written to a temporary name and moved into place. Nothing is downloaded.
    """
    import duckdb

    from ruven.db import load

    chosen = list(STEPS if steps is None else steps)
    unknown = set(skip) - {step_name(s) for s in chosen}
    if unknown:
        raise UsageError(
            f"no build step named {', '.join(sorted(unknown))}",
            "steps that can be skipped: " + ", ".join(step_name(s) for s in chosen),
        )
    chosen = [s for s in chosen if step_name(s) not in skip]
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    if validate:  # a package that does not validate is refused before anything is written
        from ruven.candidate import require_valid

        say("validating the package")
        require_valid(pkg, "build the release")
    version = pkg.version or "0.0.0"
    stem = f"{pkg.name or 'ruven'}-{version}"
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    out_dir = out_dir.resolve()
    when = build_time(str(pkg.descriptor.get("created", "")) or None)
    db_dest = out_dir / f"{stem}.duckdb"
    artifacts: list[Artifact] = []
    rows: dict[str, int] = {}
    timings: dict[str, float] = {}
    try:
        with ExitStack() as stack:
            db_tmp = stack.enter_context(atomic_path(db_dest))
            con = open_database(":memory:", threads)
            stack.callback(con.close)
            say(f"duckdb: loading {len(pkg.resources)} tables")
            t0 = time.perf_counter()
            load(con, pkg)
            timings["load"] = time.perf_counter() - t0
            for res in pkg:
                rows[res.name] = con.execute(f"SELECT count(*) FROM {ident(all_table(res))}").fetchall()[0][0]
            ctx = BuildContext(pkg, out_dir, stem, when, con, say, artifacts)
            for step in chosen:
                t0 = time.perf_counter()
                step(ctx)
                timings[step_name(step)] = time.perf_counter() - t0
            say("duckdb: writing the database file")
            t0 = time.perf_counter()
            # loaded in memory, copied into a file of the older storage format that DuckDB 1.x reads
            # (DUCKDB_STORAGE_VERSION); COPY FROM DATABASE keeps the tables, views and comments
            con.execute(
                f"ATTACH {literal(str(db_tmp))} AS {_RELEASE_CATALOG} (STORAGE_VERSION {literal(DUCKDB_STORAGE_VERSION)})"
            )
            con.execute(f"COPY FROM DATABASE memory TO {_RELEASE_CATALOG}")
            con.execute(f"DETACH {_RELEASE_CATALOG}")
            con.close()
            timings["duckdb"] = time.perf_counter() - t0
        ctx.add(
            db_dest,
            "duckdb",
            f"DuckDB database: typed tables (<table>_all with withdrawn rows) and the research views; reads with DuckDB {DUCKDB_MIN_READER} or later.",
            reproducible=False,
            note=DUCKDB_NOT_REPRODUCIBLE,
        )
    except RuvenError:
        raise
    except duckdb.Error as exc:
        raise BuildError(
            f"DuckDB failed while building: {exc}", "run `ruven validate`; re-run with --debug for a traceback"
        ) from exc
    except OSError as exc:
        raise BuildError(
            f"cannot write {exc.filename or out_dir}: {exc.strerror}", "check the output folder and free disk space"
        ) from exc
    _write_sums(ctx)
    order = {"duckdb": 0, "parquet": 1, "dta": 2, "xlsx": 3, "zip": 4}
    artifacts.sort(key=lambda a: (order.get(a.kind, 5), a.relpath))
    return BuildResult(out_dir, pkg.name, version, artifacts, rows, time.perf_counter() - started, timings)


def step_name(step: Step) -> str:
    """``xlsx`` for ``xlsx_step``: the name ``--skip`` and the timings use."""
    return str(getattr(step, "__name__", "step")).removesuffix("_step")


def _write_sums(ctx: BuildContext) -> None:
    dest = ctx.out / "SHA256SUMS"
    lines = "".join(f"{a.sha256}  {a.relpath}\n" for a in sorted(ctx.artifacts, key=lambda a: a.relpath))
    with atomic_path(dest) as tmp:
        tmp.write_text(lines, encoding="utf-8", newline="\n")
    reproducible = all(a.reproducible for a in ctx.artifacts)
    ctx.add(
        dest,
        "sha256sums",
        "SHA-256 of every other file (check with `sha256sum -c SHA256SUMS`).",
        reproducible=reproducible,
        note="" if reproducible else "lists the hash of the .duckdb file, which differs between builds",
    )


__all__ = ["DUCKDB_MIN_READER", "DUCKDB_STORAGE_VERSION", "STEPS", "Artifact", "BuildContext", "BuildResult", "Step", "build", "chart_step", "dta_step", "parquet_step", "site_step", "xlsx_step", "zip_step"]
