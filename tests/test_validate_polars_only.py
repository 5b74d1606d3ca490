"""pandera is imported as a polars-only install would see it (:mod:`ruven.validate.polars_only`):
layers 1 and 2 of `ruven validate` import neither pandas nor pyarrow (about 80 MB and half a
second), and find exactly what they find where pandas was imported first (pandera's usual
import). Each run is a fresh interpreter: the test process has pandas imported already (Great
Expectations runs in it), where pandera is imported as usual."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, copy_package

SCRIPT = """
import datetime, json, sys
if sys.argv[2] == "pandas-first":
    import pandas
from ruven.validate import validate_package
report = validate_package(sys.argv[1], layers=["frictionless", "pandera"], cache=False, today=datetime.date(2026, 12, 2))
imported = {name: name in sys.modules for name in ("pandas", "pyarrow")}
import pandas  # afterwards pandas imports as usual, for whoever needs it
print(json.dumps({"imported": imported, "pandas_after": pandas.__name__, "findings": [f.to_dict() for f in report.findings]}))
"""


def _run(package: Path, mode: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(package), mode], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("which", ["conformance", "real"])
def test_the_row_layers_import_no_pandas_and_find_the_same(tmp_path: Path, which: str) -> None:
    package = copy_package(tmp_path, "conformance") if which == "conformance" else REPO
    alone = _run(package, "alone")
    usual = _run(package, "pandas-first")
    assert alone["imported"] == {"pandas": False, "pyarrow": False}
    assert usual["imported"]["pandas"] is True  # (the comparison is with pandera's usual import)
    assert alone["pandas_after"] == "pandas"
    assert alone["findings"] == usual["findings"]
    if which == "conformance":
        assert {f["layer"] for f in alone["findings"]} == {"frictionless", "pandera"}  # both layers found something to compare
