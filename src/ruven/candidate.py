"""Validate a candidate: the package with some files' text replaced, on a temporary copy.

``ruven add`` compares the package as it is with the package plus the new rows; ``ruven
release`` validates before it writes. Reports are remembered by the files' content (and the
layers and "today"), so the same files are not validated twice in one process. The copy is
``ruven-validate-<pid>-*`` in the system temporary folder; the copies of a process that was
killed are removed by the next one (:func:`ruven.fs.clean_stale`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ruven.package import DataPackage
from ruven.report import ValidationReport

__all__ = ["require_valid", "validate_cached"]


def _package_files(pkg: DataPackage) -> list[Path]:
    files = [pkg.descriptor_path]
    for res in pkg:
        if res.relpath and "://" not in res.relpath and res.path.is_file():
            files.append(res.path)
        if res.schema_path is not None and res.schema_path.is_file():
            files.append(res.schema_path)
    val = pkg.root / "validation"
    if val.is_dir():
        files.extend(pkg.file(p.relative_to(pkg.root).as_posix()) for p in sorted(val.rglob("*")) if p.is_file() or p.is_symlink())
    return files


def _copy_package(pkg: DataPackage, dest: Path, replace: dict[Path, str]) -> Path:
    for src in _package_files(pkg):
        rel = src.relative_to(pkg.root)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src in replace:
            target.write_text(replace[src], encoding="utf-8", newline="")
        else:
            shutil.copyfile(src, target)
    return dest / pkg.descriptor_path.name


def _fingerprint(pkg: DataPackage, replace: dict[Path, str]) -> str:
    """Hash of the package's files by relative path and content (as they would be with ``replace``)."""
    h = hashlib.sha256()
    for p in _package_files(pkg):
        h.update(p.relative_to(pkg.root).as_posix().encode() + b"\0")
        h.update(replace[p].encode("utf-8") if p in replace else p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


#: Validation is a pure function of the files, the layers and "today": reports are kept for
#: files already seen (the baseline of repeated adds, a release's re-checks).
_CACHE: dict[tuple[str, tuple[str, ...], str], ValidationReport] = {}
_CACHE_SIZE = 8


def validate_cached(pkg: DataPackage, replace: dict[Path, str] | None = None, layers: Sequence[str] | None = None, today: dt.date | None = None) -> ValidationReport:
    """``validate_package`` on a temporary copy of the package (with ``replace``d file texts),
    remembered by content so the same files are not validated twice in one process."""
    from ruven.validate import validate_package
    from ruven.validate.layers import DEFAULT_LAYERS

    replace = replace or {}
    chosen = tuple(layer for layer in DEFAULT_LAYERS if layers is None or layer in layers)
    key = (_fingerprint(pkg, replace), chosen, (today or dt.date.today()).isoformat())
    if key in _CACHE:
        return _CACHE[key]
    if not replace:  # the package as it is: validation never writes, so no copy is needed
        report = validate_package(pkg, layers=chosen, today=today)
    else:
        from ruven.fs import clean_stale, temp_prefix

        clean_stale(Path(tempfile.gettempdir()), "ruven-validate-")  # copies of a killed add
        with tempfile.TemporaryDirectory(prefix=temp_prefix("validate", hidden=False)) as tmp:
            report = validate_package(_copy_package(pkg, Path(tmp), replace), layers=chosen, today=today)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = report
    return report


def require_valid(pkg: DataPackage, what: str) -> None:
    """Refuse to make an output (``what``: "build the release", "build the site") of a package
    that does not validate: :class:`~ruven.errors.InvalidPackageError` (exit 1) with the report."""
    from ruven.errors import InvalidPackageError

    report = validate_cached(pkg)
    if report.errors:
        first = report.errors[0]
        raise InvalidPackageError(
            f"cannot {what}: the package does not validate ({len(report.errors)} error(s), first: {first.location}: {first.message} ({first.code}))",
            "run `ruven validate`, fix every error, then try again",
            location=first.location,
            report=report,
        )


