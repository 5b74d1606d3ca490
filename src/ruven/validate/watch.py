"""The contributor's loop: validate, then validate again each time a file of the package changes.

The libraries stay imported and Great Expectations runs in this process, so a re-validation
costs only the work: the per-table cache (:mod:`ruven.validate.cache`) takes the findings of
every table that the change does not touch, and only the changed table, the tables that
refer to it and the whole-package checks run again. Files are watched with ``watchfiles``
(the operating system's change notifications) in the folders that hold the descriptor, the
schemas, the suites and the data; only the files the package names count.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ruven.errors import RuvenError
from ruven.package import DataPackage, find_package, paths
from ruven.report import ValidationReport
from ruven.validate.limit import PER_KIND


@dataclass
class Run:
    """One validation of the loop: its report (or why the package could not be read)."""

    report: ValidationReport | None
    seconds: float
    changed: list[str] = field(default_factory=list)
    error: RuvenError | None = None


def watched_files(pkg: DataPackage) -> set[Path]:
    """Every file the layers read: the descriptor, and each resource's schema, suite and data
    (those the package's path resolver lets be read)."""
    out = {pkg.descriptor_path.resolve()}
    for res in pkg:
        if res.schema_path is not None:
            out.add(res.schema_path.resolve())
        for rel in (f"validation/{res.name}.json", res.relpath):
            if rel and paths.check(pkg.root, rel, rel) is None:
                out.add((pkg.root / rel).resolve())
    return out


def watch(
    path: str | os.PathLike[str] | None,
    *,
    layers: Sequence[str] | None = None,
    today: dt.date | None = None,
    cache: bool = True,
    stop: object | None = None,
    max_per_kind: int | None = PER_KIND,
) -> Iterator[Run]:
    """Yield a :class:`Run` now and after every change, until ``stop`` (a ``threading.Event``)
    is set or Ctrl-C; the caller prints them."""
    import logging

    from watchfiles import watch as changes_of

    from ruven.validate import validate_package

    logging.getLogger("watchfiles").setLevel(logging.ERROR)  # we say "stopped watching" ourselves

    descriptor = find_package(path)
    root = descriptor.resolve().parent
    files: set[Path] = {descriptor.resolve()}
    changed: list[str] = []
    while True:
        before = _stats(files)  # taken before reading: an edit made while validating is seen
        t0 = time.perf_counter()
        try:
            pkg = DataPackage.load(descriptor, check_paths=False)
            files = watched_files(pkg)
            before = {f: before.get(f) or _stat(f) for f in files}
            report = validate_package(pkg, layers=layers, today=today, cache=cache, in_process=True, max_per_kind=max_per_kind)
            yield Run(report, time.perf_counter() - t0, changed)
        except RuvenError as exc:  # the descriptor is mid-edit: say so and wait for the fix
            yield Run(None, time.perf_counter() - t0, changed, exc)
        folders = sorted({f.parent for f in files if f.parent.is_dir()})

        def counts(change: object, name: str, files: set[Path] = files) -> bool:
            return Path(name).resolve() in files

        changed = []
        # Notifications wake the loop at once; the stat comparison each second also catches a
        # change made before the watch started (between the report and the first wait).
        for _ in changes_of(*folders, watch_filter=counts, recursive=False, step=30, debounce=400, rust_timeout=1000, yield_on_timeout=True, stop_event=stop, raise_interrupt=False):
            now = _stats(files)
            changed = sorted(_rel(f, root) for f in files if now.get(f) != before.get(f))
            if changed:
                break
        if not changed:  # stopped, or Ctrl-C
            return


def _stat(f: Path) -> tuple[int, int, int] | None:
    try:
        st = f.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def _stats(files: set[Path]) -> dict[Path, tuple[int, int, int] | None]:
    return {f: _stat(f) for f in files}


def _rel(p: Path, root: Path) -> str:
    try:
        return p.resolve().relative_to(root).as_posix()
    except ValueError:
        return p.as_posix()


__all__ = ["Run", "watch", "watched_files"]
