"""A big table's bytes are checked (no NUL byte, UTF-8 only) as its rows are read, not by a
read of the whole file before (see ``preflight.LateScan``). Where they are not clean, the
report is the one of the preflight over every byte: finding for finding, the same."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_package, row_findings
from ruven.package import DataPackage
from ruven.validate import blocks, preflight, tables


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Parts of 20,000 bytes and a preflight head of 4,096 (the 400-row fact tables are read in
    parts, and most of their bytes are left to the reader); returns the preflight's scans."""
    monkeypatch.setattr(tables, "PART_BYTES", 20_000)
    monkeypatch.setattr(preflight, "HEAD_BYTES", 4096)
    scans: list[tuple[str, bool]] = []
    scan = preflight._scan_bytes

    def spy(res: object, head: bool = False) -> object:
        scans.append((res.name, head))  # type: ignore[attr-defined]
        return scan(res, head)  # type: ignore[arg-type]

    monkeypatch.setattr(preflight, "_scan_bytes", spy)
    return scans


def _every_byte_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The preflight as it was: every byte of every file scanned before any row is read."""
    monkeypatch.setattr(preflight.LateScan, "takes", lambda self, res: False)


def _plant(pkg: Path, table: str, old: bytes, new: bytes) -> None:
    path = pkg / "data" / f"{table}.csv"
    data = path.read_bytes()
    assert data.count(old) == 1, old
    at = data.index(old)
    assert at > 2 * 20_000  # deep in the file: in a part after the first, past the preflight's head
    path.write_bytes(data.replace(old, new))


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        (b"Synthetic row 300.", b"Synthetic\x00row 300.", "source-error"),  # a NUL byte
        (b"Synthetic row 300.", b"Synth\xe9tic row 300.", "encoding-error"),  # Latin-1, not UTF-8
        (b"Synthetic row 300.", b"Synth\xc3", "encoding-error"),  # a character cut short, then a comma
    ],
)
@pytest.mark.parametrize("threads", ["1", ""])
def test_bad_bytes_deep_in_a_big_table_give_the_preflights_findings(synthetic: Path, tmp_path: Path, old: bytes, new: bytes, code: str, threads: str, small_parts: list[tuple[str, bool]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUVEN_THREADS", threads)
    pkg = tmp_path / "pkg"
    shutil.copytree(synthetic, pkg)
    _plant(pkg, "deployments", old, new)
    late = row_findings(pkg)
    assert ("deployments", True) in small_parts  # the first run read only the head before the rows
    assert ("deployments", False) in small_parts  # and, the bytes found bad, the preflight ran over every byte
    assert [f for f in late if f[0] == "deployments"] == [next(f for f in late if f[0] == "deployments" and f[3] == code)]  # the table left out
    small_parts.clear()
    _every_byte_first(monkeypatch)
    assert row_findings(pkg) == late
    assert ("deployments", True) not in small_parts


def test_a_clean_big_table_is_read_once(synthetic: Path, tmp_path: Path, small_parts: list[tuple[str, bool]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Non-ASCII text in a big table is UTF-8 checked by the reader; no file is scanned whole."""
    pkg = tmp_path / "pkg"
    shutil.copytree(synthetic, pkg)
    _plant(pkg, "statements", b"Synthetic quote number 390.", "Synthétic quote 390: «дата» 😀".encode())
    late = row_findings(pkg)
    big = {res.name for res in DataPackage.load(pkg) if res.path.stat().st_size > 20_000 and any(f.cites_sources for f in res.fields)}
    assert {"deployments", "statements"} <= big
    assert {name for name, head in small_parts if head} == big
    assert {name for name, head in small_parts if not head} == {res.name for res in DataPackage.load(pkg)} - big
    _every_byte_first(monkeypatch)
    assert row_findings(pkg) == late


def test_a_table_the_fast_reader_refuses_is_scanned_before_it_is_read_whole(synthetic: Path, tmp_path: Path, small_parts: list[tuple[str, bool]], monkeypatch: pytest.MonkeyPatch) -> None:
    """A short row early sends the table to the exact reader, which decodes the whole file: its
    bytes are scanned first, and a NUL byte after the short row is the preflight's finding."""
    pkg = tmp_path / "pkg"
    shutil.copytree(synthetic, pkg)
    path = pkg / "data" / "deployments.csv"
    lines = path.read_bytes().split(b"\n")
    lines[3] = b",".join(lines[3].split(b",")[:5])  # a short row in the first part
    path.write_bytes(b"\n".join(lines))
    _plant(pkg, "deployments", b"Synthetic row 300.", b"Synthetic\x00row 300.")
    late = row_findings(pkg)
    assert any(f[0] == "deployments" and f[3] == "source-error" and "NUL" in f[5] for f in late)
    _every_byte_first(monkeypatch)
    assert row_findings(pkg) == late


def test_tables_whose_rows_are_not_read_are_scanned_whole(synthetic: Path, tmp_path: Path, small_parts: list[tuple[str, bool]]) -> None:
    """A broken field pattern stops the row checks: the bytes left to the reader are scanned
    anyway, and a NUL byte is found as before."""
    pkg = tmp_path / "pkg"
    shutil.copytree(synthetic, pkg)
    _plant(pkg, "deployments", b"Synthetic row 300.", b"Synthetic\x00row 300.")
    schema = pkg / "schemas" / "statements.json"
    doc = json.loads(schema.read_text(encoding="utf-8"))
    doc["fields"][0].setdefault("constraints", {})["pattern"] = "^(?=STM)"  # look-ahead: polars cannot run it
    schema.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    found = row_findings(pkg)
    assert {f[3] for f in found} >= {"schema-error", "source-error"}
    assert ("deployments", False) in small_parts


@pytest.mark.parametrize("decode_bytes", [4, 5, 7, 1 << 20])
def test_clean_tells_utf8_without_nul_in_any_slices(decode_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blocks, "DECODE_BYTES", decode_bytes)
    text = "id,quote\n1,«дата» 😀 é\n2,plain\n".encode()
    assert blocks.clean(text, len(text))
    assert blocks.clean(text + b"\x00\xff", len(text))  # only the bytes before ``end``
    assert not blocks.clean(text.replace(b"plain", b"pl\x00in"), len(text))
    assert not blocks.clean(text.replace(b"plain", b"pl\xe9in"), len(text))
    assert not blocks.clean(text[:-1] + "é".encode()[:1], len(text))  # ends inside a character
    assert not blocks.clean(text.replace("😀".encode(), "😀".encode()[:3]), len(text) - 1)


def test_a_stopped_descriptor_check_is_not_cached(tmp_path: Path) -> None:
    """Ctrl-C stops the child that checks the descriptor; its empty answer is not kept, so the
    next run still reports the descriptor's problem."""
    pkg = copy_package(tmp_path)
    schema = pkg / "schemas" / "actors.json"
    doc = json.loads(schema.read_text(encoding="utf-8"))
    doc["fields"][1].setdefault("constraints", {})["maxLength"] = "long"
    schema.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    env = dict(os.environ, RUVEN_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("RUVEN_CACHE", None)
    stopped = (
        "import sys\n"
        "from ruven.validate import row_checks, validate_package\n"
        "def stop(*a, **k):\n"
        "    raise KeyboardInterrupt\n"
        "row_checks.check_rows = stop\n"
        "try:\n"
        "    validate_package(sys.argv[1], layers=['frictionless', 'pandera'])\n"
        "except KeyboardInterrupt:\n"
        "    assert 'frictionless' not in sys.modules, 'the check ran in this process'\n"
        "    print('stopped')\n"
    )
    done = subprocess.run([sys.executable, "-c", stopped, str(pkg)], capture_output=True, text=True, timeout=120, check=False, env=env)
    assert done.stdout.strip() == "stopped", done.stderr
    again = "import sys\nfrom ruven.validate import validate_package\nr = validate_package(sys.argv[1], layers=['frictionless', 'pandera'])\nprint(sum('maxLength' in f.message for f in r.findings))\n"
    done = subprocess.run([sys.executable, "-c", again, str(pkg)], capture_output=True, text=True, timeout=120, check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 1
