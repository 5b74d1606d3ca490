"""`ruven fmt`: canonical CSV and JSON, --check, idempotence, and a property test that no
row or cell is lost or changed beyond NFC + strip."""

from __future__ import annotations

import csv
import json
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO, copy_package, read_csv, run_cli


def _digest(path: Path) -> bytes:
    return path.read_bytes()


def test_mini_fixture_is_canonical(mini: Path) -> None:
    code, out, _ = run_cli("fmt", "--check", "--package", str(mini))
    assert code == 0, out
    assert "all canonical" in out


def test_real_repo_is_canonical() -> None:
    """The committed package is in canonical form (CI runs ``ruven fmt --check``), and the
    check covers every file fmt owns: the descriptor, each resource's CSV and schema, and
    the expectation suites."""
    code, out, _ = run_cli("fmt", "--check", "--package", str(REPO), "--format", "json")
    doc = json.loads(out)
    assert code == 0, doc["changes"] or doc["problems"]
    assert doc["ok"] is True and doc["written"] is False
    assert doc["changes"] == [] and doc["problems"] == []
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    expected = {"datapackage.json", *(r["path"] for r in descriptor["resources"]), *(r["schema"] for r in descriptor["resources"])}
    expected |= {p.relative_to(REPO).as_posix() for p in (REPO / "validation").glob("*.json")}
    assert set(doc["checked"]) == expected


def _mess_up(path: Path) -> None:
    """Same data, non-canonical layout: BOM, CRLF, quote everything, reversed rows and
    columns, stray spaces, decomposed accents."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    body = [[f"  {c} " if c else c for c in r] for r in reversed(body)]
    body[0][-2] = unicodedata.normalize("NFD", "Café Ñandú")
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(list(reversed(header)))
        w.writerows([list(reversed(r)) for r in body])
        fh.write("\r\n")


def test_check_reports_and_changes_nothing(mini: Path) -> None:
    path = mini / "data" / "actors.csv"
    _mess_up(path)
    before = _digest(path)
    code, out, _ = run_cli("fmt", "--check", "--package", str(mini))
    assert code == 1
    assert _digest(path) == before
    line = next(x for x in out.splitlines() if x.startswith("data/actors.csv: would change"))
    for reason in ("byte-order mark", "line ends", "schema order", "rows sorted", "whitespace", "NFC", "blank lines"):
        assert reason in line, (reason, line)
    assert "@@" in out  # a unified diff follows
    code, out, _ = run_cli("fmt", "--check", "--package", str(mini), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["ok"] is False and doc["written"] is False
    assert [c["path"] for c in doc["changes"]] == ["data/actors.csv"]


def test_fmt_restores_canonical_bytes_and_is_idempotent(tmp_path: Path) -> None:
    pkg = copy_package(tmp_path)
    path = pkg / "data" / "actors.csv"
    original = path.read_text(encoding="utf-8")
    _mess_up(path)
    code, out, _ = run_cli("fmt", "--package", str(pkg))
    assert code == 0, out
    assert "data/actors.csv: changed" in out
    text = path.read_text(encoding="utf-8")
    # Same rows as the canonical original, except the one cell we NFD-decomposed (now NFC).
    expected = original.replace("Fixture person.", "Café Ñandú") if "Fixture person." in original else original
    exp_rows = list(csv.reader(expected.splitlines()))
    got_rows = list(csv.reader(text.splitlines()))
    assert len(got_rows) == len(exp_rows)
    assert [r[0] for r in got_rows] == [r[0] for r in exp_rows]
    assert "Café Ñandú" in text and unicodedata.is_normalized("NFC", text)
    assert not text.startswith("\ufeff") and "\r" not in text
    snapshot = path.read_bytes()
    code, out, _ = run_cli("fmt", "--package", str(pkg))
    assert code == 0 and "all canonical" in out
    assert path.read_bytes() == snapshot
    code, _, _ = run_cli("fmt", "--check", "--package", str(pkg))
    assert code == 0


def test_json_layout_restored_key_order_kept(mini: Path) -> None:
    dp = mini / "datapackage.json"
    canonical = dp.read_text(encoding="utf-8")
    value = json.loads(canonical)
    dp.write_text(json.dumps(value, ensure_ascii=True), encoding="utf-8")  # minified, \u escapes, no newline
    code, out, _ = run_cli("fmt", "--check", "--package", str(mini))
    assert code == 1
    assert "datapackage.json: would change" in out and "trailing newline" in out
    code, _, _ = run_cli("fmt", "--package", str(mini))
    assert code == 0
    assert dp.read_text(encoding="utf-8") == canonical
    assert list(json.loads(dp.read_text())) == list(value)  # authored key order


def test_header_mismatch_is_refused_not_guessed(mini: Path) -> None:
    path = mini / "data" / "actors.csv"
    path.write_text(path.read_text().replace("description", "descr", 1))
    before = _digest(path)
    code, out, _ = run_cli("fmt", "--package", str(mini))
    assert code == 1
    assert "data/actors.csv:1: cannot format" in out and "descr" in out
    assert _digest(path) == before


def test_ragged_row_is_refused(mini: Path) -> None:
    path = mini / "data" / "actors.csv"
    with path.open("a", encoding="utf-8") as fh:
        fh.write("ACT-0009,Too,few\n")
    before = _digest(path)
    code, out, _ = run_cli("fmt", "--package", str(mini), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    problem = doc["problems"][0]
    assert (problem["path"], problem["line"], problem["location"], problem["code"]) == ("data/actors.csv", 6, "data/actors.csv:6", "missing-cell")
    assert "3 cells" in problem["message"]
    assert _digest(path) == before


# --- property test -------------------------------------------------------------------------

FIELDS = json.loads((REPO / "schemas" / "actors.json").read_text())["fields"]
NAMES = [f["name"] for f in FIELDS]

cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
) | st.sampled_from(['"', ",", "\n", "\r\n", " a,b ", 'say "hi"', "e\u0301", "\u00e9", "\u2028", "=1+2", ""])
row = st.lists(cell, min_size=len(NAMES), max_size=len(NAMES))


def _norm(c: str) -> str:
    # The documented value changes of fmt, and nothing else.
    return unicodedata.normalize("NFC", c).strip()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, max_size=8), perm=st.permutations(list(range(len(NAMES)))), crlf=st.booleans())
def test_fmt_keeps_every_row_and_cell(rows: list[list[str]], perm: list[int], crlf: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pkg = copy_package(Path(tmp))
        path = pkg / "data" / "actors.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            # crlf: minimal quoting, CRLF; else: every cell quoted, LF (either way valid CSV)
            w = csv.writer(fh, lineterminator="\r\n") if crlf else csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_ALL)
            w.writerow([NAMES[i] for i in perm])
            w.writerows([[r[i] for i in perm] for r in rows])
        code, out, _ = run_cli("fmt", "--package", str(pkg))
        assert code == 0, out
        got = read_csv(path)
        # every row and cell survives (as a multiset: equal ids keep their relative order)
        assert Counter(tuple(g[n] for n in NAMES) for g in got) == Counter(tuple(_norm(c) for c in r) for r in rows)
        ids = [g["id"] for g in got]
        assert ids == sorted(ids)
        raw = path.read_bytes()
        assert raw.startswith(",".join(NAMES).encode() + b"\n")
        # idempotent, byte for byte
        code, out, _ = run_cli("fmt", "--check", "--package", str(pkg))
        assert code == 0, out
        assert path.read_bytes() == raw
