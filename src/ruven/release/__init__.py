"""Release artifacts: ``build()`` writes the DuckDB file, Parquet, the workbook, the zipped
data package and ``SHA256SUMS``. Extra artifact steps go into :data:`STEPS` (see
:mod:`ruven.release.build`)."""

from __future__ import annotations

from ruven.release.build import STEPS, Artifact, BuildContext, BuildResult, Step, build

__all__ = ["STEPS", "Artifact", "BuildContext", "BuildResult", "Step", "build"]
