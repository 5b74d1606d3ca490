"""What a release-build step gets and what it registers: :class:`BuildContext` and :class:`Artifact`.

Kept apart from :mod:`ruven.release.build` so that steps in other modules (the workbook,
the charts) can name them without importing the build.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruven.package import DataPackage
from ruven.release.repro import sha256_file

if TYPE_CHECKING:  # pragma: no cover
    import duckdb


@dataclass
class Artifact:
    """One file the build wrote."""

    path: Path
    relpath: str
    kind: str
    description: str
    reproducible: bool = True
    note: str = ""
    bytes: int = 0
    sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.relpath,
            "kind": self.kind,
            "description": self.description,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "reproducible": self.reproducible,
            "note": self.note,
        }


@dataclass
class BuildContext:
    """What a build step gets: the package, the output folder, the loaded database and the build time."""

    package: DataPackage
    out: Path
    stem: str  # "<name>-<version>", the prefix of the release files
    when: dt.datetime  # the fixed time stamped into artifacts
    con: duckdb.DuckDBPyConnection
    progress: Callable[[str], None]
    artifacts: list[Artifact] = field(default_factory=list)

    def add(self, path: Path, kind: str, description: str, *, reproducible: bool = True, note: str = "") -> Artifact:
        art = Artifact(path, path.relative_to(self.out).as_posix(), kind, description, reproducible, note)
        art.bytes = path.stat().st_size
        art.sha256 = sha256_file(path)
        self.artifacts.append(art)
        return art


Step = Callable[[BuildContext], None]

__all__ = ["Artifact", "BuildContext", "Step"]
