"""Helpers for byte-reproducible files: a fixed build time and deterministic zips (atomic writes:
:mod:`ruven.fs`, re-exported here)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

from ruven.fs import atomic_path

#: Earliest time a zip member can carry (the DOS epoch).
ZIP_EPOCH = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)


def build_time(created: str | None = None) -> dt.datetime:
    """The time stamped into artifacts: ``$SOURCE_DATE_EPOCH`` if set, else the descriptor's
    ``created``, else 1980-01-01 (never the clock, so two builds give the same bytes)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = None
    if epoch.isdigit():
        when = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    elif created:
        try:
            when = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            when = None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
    if when is None:
        return ZIP_EPOCH
    return max(when.astimezone(dt.UTC), ZIP_EPOCH).replace(microsecond=0)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_zip(dest: Path, members: Iterable[tuple[str, bytes]], when: dt.datetime) -> None:
    """Write a zip whose bytes depend only on the members: sorted names, one fixed time,
    fixed permissions, deflate at level 9."""
    stamp = when.astimezone(dt.UTC).timetuple()[:6]
    with atomic_path(dest) as tmp, zipfile.ZipFile(tmp, "w") as zf:
        for name, data in sorted(members, key=lambda m: m[0]):
            if name.startswith("/") or ".." in name.split("/"):  # the resolver keeps these out; never write one
                raise ValueError(f"unsafe zip entry name {name!r}")
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            zf.writestr(info, data, compresslevel=9)


def normalise_zip(
    path: Path, when: dt.datetime, rewrite: dict[str, bytes] | None = None, *, sort: bool = False
) -> None:
    """Rewrite an existing zip (an .xlsx) with fixed member times; keep member order unless ``sort``."""
    rewrite = rewrite or {}
    with zipfile.ZipFile(path) as zf:
        members = [(i.filename, rewrite.get(i.filename, zf.read(i.filename))) for i in zf.infolist()]
    stamp = when.astimezone(dt.UTC).timetuple()[:6]
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as out:
        for name, data in sorted(members) if sort else members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            out.writestr(info, data, compresslevel=9)
