"""Nothing lost, nothing outside the package: each test reproduces one class of problem that an
adversarial run found (issue: hardening) and holds the fix in place."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import RUVEN, append_row, copy_package, read_csv, run_cli, set_cell, sub

# ------------------------------------------------------------------ 2. fmt never merges rows

STRAY = "ACT-0003,\"Person A,,person,US,,,Fixture person.\n"


def test_fmt_refuses_a_file_that_does_not_parse(mini: Path) -> None:
    path = mini / "data" / "actors.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = STRAY
    path.write_text("".join(lines), encoding="utf-8")
    before = path.read_bytes()
    code, out, err = run_cli("fmt", "-p", str(mini))
    assert code == 1, out + err
    assert "data/actors.csv:4" in out + err
    assert path.read_bytes() == before
    code, out, _ = run_cli("fmt", "-p", str(mini), "--format", "json")
    problem = json.loads(out)["problems"][0]
    assert code == 1 and (problem["path"], problem["line"], problem["code"]) == ("data/actors.csv", 4, "source-error"), problem
    assert path.read_bytes() == before


#: Later rows with quoted cells (a comma, doubled quotes): a stray quote in an earlier row can
#: close at one of their quotes, which is how 72 rows became 65 with exit 0.
QUOTED_ROWS = [
    {"id": "ACT-0005", "name": "Company B, Inc.", "kind": "company", "country": "RU", "description": 'Said "no", then left.'},
    {"id": "ACT-0006", "name": 'Group "C"', "kind": "company", "country": "RU", "description": "Fixture, second."},
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.integers(min_value=1, max_value=4), col=st.integers(min_value=0, max_value=60))
@example(line=2, col=0)  # a quote opening the row's first cell: the old fmt merged the rows
def test_fmt_never_changes_the_number_of_records(tmp_path_factory: pytest.TempPathFactory, line: int, col: int) -> None:
    pkg = copy_package(tmp_path_factory.mktemp("fmt"))
    path = pkg / "data" / "actors.csv"
    for row in QUOTED_ROWS:
        append_row(path, row)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    records = len(lines) - 1
    text = lines[line]
    pos = min(col, len(text) - 1)
    lines[line] = text[:pos] + '"' + text[pos:]
    path.write_text("".join(lines), encoding="utf-8")
    before = path.read_bytes()
    code, _, _ = run_cli("fmt", "-p", str(pkg))
    if code == 0:
        import csv

        with path.open(encoding="utf-8", newline="") as fh:
            assert len(list(csv.reader(fh))) - 1 == records
    else:
        assert code == 1 and path.read_bytes() == before


# ------------------------------------------------------------------ 3. no lost update


# layers 1+2 only: the lock, not the expectation suites, is under test (and GE's import is slow)
ADD_ACTOR = ["add", "actors", "--set", "name=New", "--set", "kind=company", "--set", "country=RU", "--set", "description=New actor.", "--layer", "frictionless", "--layer", "pandera"]


def _start_add(pkg: Path) -> subprocess.Popen[str]:
    """``ruven add`` in a child process, returned once it holds the package's writer lock
    (so that what the test does next happens while add works on what it read)."""
    from filelock import FileLock, Timeout

    from ruven.fs import LOCK_NAME

    child = subprocess.Popen([*RUVEN, *ADD_ACTOR, "-p", str(pkg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        probe = FileLock(str(pkg / LOCK_NAME), timeout=0)
        try:
            probe.acquire()
        except Timeout:
            return child  # add holds the lock
        probe.release()
        time.sleep(0.01)
    out, err = child.communicate(timeout=60)
    pytest.fail(f"ruven add never held the writer lock {pkg / LOCK_NAME}: {out}{err}")


def test_hand_edits_during_add_are_kept(mini: Path) -> None:
    """Edits by hand (no lock) while add holds the lock and validates: each edit appends its
    number to a cell, so an edit that add's write reverted leaves a gap in the numbers."""
    path = mini / "data" / "actors.csv"
    child = _start_add(mini)
    n, started = 0, time.monotonic()
    while time.monotonic() - started < 2.5 and child.poll() is None:  # while add checks its row
        n += 1
        text = next(r for r in read_csv(path) if r["id"] == "ACT-0002")["description"]
        set_cell(path, "ACT-0002", "description", f"{text} {n}")
        time.sleep(0.1)
    out, err = child.communicate(timeout=180)
    final = next(r for r in read_csv(path) if r["id"] == "ACT-0002")["description"]
    assert final == "Fixture force. " + " ".join(str(i) for i in range(1, n + 1)), (final, out, err)
    assert child.returncode in (0, 1, 3) and "Traceback" not in err, err
    if child.returncode == 0:
        assert ",New,," in path.read_text(encoding="utf-8")
    else:
        assert child.returncode == 3 and "changed" in out + err


def test_fmt_waits_for_the_lock_of_add(mini: Path) -> None:
    path = mini / "data" / "actors.csv"
    add = _start_add(mini)
    set_cell(path, "ACT-0002", "description", "  Needs fmt.  ")
    fmt = sub("fmt", "-p", str(mini), timeout=120)
    assert ",New,," in path.read_text(encoding="utf-8"), "fmt finished before add wrote its row: it did not wait for the lock"
    add.communicate(timeout=120)
    text = path.read_text(encoding="utf-8")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    assert add.returncode == 0 and ",New,," in text
    assert ",Needs fmt.\n" in text  # the hand edit survived both writers, and fmt ran after add


# ------------------------------------------------------------------ 5. plain errors, not internal-error


def _no_internal_error(out: str) -> None:
    assert "internal-error" not in out and "Traceback" not in out, out


#: As root, permission bits bind only without CAP_DAC_OVERRIDE (util-linux setpriv drops it).
AS_USER = ["setpriv", "--inh-caps=-dac_override", "--bounding-set=-dac_override", "--"] if os.geteuid() == 0 else []


@pytest.mark.parametrize("command", ["add", "fmt"])
def test_read_only_data_folder(mini: Path, command: str) -> None:
    data = mini / "data"
    set_cell(data / "actors.csv", "ACT-0002", "description", "  Needs fmt.  ")
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    args = {"add": ["add", "actors", "-p", str(mini), "--set", "name=New", "--set", "kind=company", "--set", "country=RU", "--set", "description=New actor."], "fmt": ["fmt", "-p", str(mini)]}[command]
    for p in data.iterdir():
        p.chmod(0o444)
    data.chmod(0o555)
    try:
        proc = subprocess.run([*AS_USER, *RUVEN, *args], capture_output=True, text=True, timeout=120, check=False)
    finally:
        data.chmod(0o755)
        for p in data.iterdir():
            p.chmod(0o644)
    out = proc.stdout + proc.stderr
    _no_internal_error(out)
    assert proc.returncode == 3 and "permission" in out.lower(), out
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before


def test_full_disk_during_fmt_leaves_the_file_whole(mini: Path) -> None:
    import resource

    path = mini / "data" / "actors.csv"
    set_cell(path, "ACT-0002", "description", "  Needs fmt.  ")
    before = path.read_bytes()

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

    proc = subprocess.run([*RUVEN, "fmt", "-p", str(mini)], capture_output=True, text=True, preexec_fn=small_files, timeout=60, check=False)
    _no_internal_error(proc.stdout + proc.stderr)
    assert proc.returncode == 3 and "disk" in (proc.stdout + proc.stderr).lower()
    assert path.read_bytes() == before
    assert not [p for p in (mini / "data").iterdir() if p.name.startswith(".") and "tmp" in p.name]


def test_non_utf8_sql_file(mini: Path, tmp_path: Path) -> None:
    f = tmp_path / "q.sql"
    f.write_bytes(b"SELECT '\xff\xfe' AS x")
    code, out, err = run_cli("query", "-p", str(mini), "--file", str(f))
    assert code == 3 and "UTF-8" in out + err
    _no_internal_error(out + err)


def test_deeply_nested_descriptor(mini: Path) -> None:
    (mini / "datapackage.json").write_text('{"resources": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    code, out, err = run_cli("info", "-p", str(mini))
    assert code == 3
    _no_internal_error(out + err)


def test_build_out_unwritable(mini: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code, out, err = run_cli("build", "-p", str(mini), "--out", str(blocker / "dist"))
    assert code == 3 and "dist" in out + err
    _no_internal_error(out + err)


def test_lone_surrogate_in_add_json(mini: Path, tmp_path: Path) -> None:
    f = tmp_path / "row.json"
    f.write_text('{"name": "Bad \\ud800 name", "kind": "company", "country": "RU", "description": "x."}', encoding="utf-8")
    code, out, err = run_cli("add", "actors", "-p", str(mini), "--json", str(f))
    assert code in (1, 3) and "surrogate" in (out + err).lower()
    _no_internal_error(out + err)




def test_non_utf8_add_json(mini: Path, tmp_path: Path) -> None:
    f = tmp_path / "row.json"
    f.write_bytes('{"name": "Caf\u00e9", "kind": "company", "country": "RU", "description": "x."}'.encode("latin-1"))
    code, out, err = run_cli("add", "actors", "-p", str(mini), "--json", str(f))
    assert code == 3 and "UTF-8" in out + err
    _no_internal_error(out + err)


def test_lone_surrogate_in_add_json_format_json(mini: Path, tmp_path: Path) -> None:
    """The JSON answer of a refused row still is one valid JSON document (the surrogate escaped)."""
    f = tmp_path / "row.json"
    f.write_text('{"name": "Bad \\ud800 name", "kind": "company", "country": "RU", "description": "x."}', encoding="utf-8")
    before = (mini / "data" / "actors.csv").read_bytes()
    code, out, err = run_cli("add", "actors", "-p", str(mini), "--json", str(f), "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["written"] is False and "U+D800" in doc["findings"][0]["message"], (out, err)
    assert (mini / "data" / "actors.csv").read_bytes() == before
