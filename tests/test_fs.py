"""The one atomic writer and the one lock (ruven.fs), and SemVer versions (ruven.versions)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from filelock import FileLock, Timeout

from ruven.fs import atomic_path, atomic_write_text, default_mode, locks
from ruven.versions import bump_between, max_bump, next_version, parse_version


def test_atomic_write_new_file_gets_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "a.md", "x\r\ny\n")
        assert (tmp_path / "a.md").stat().st_mode & 0o777 == 0o640 == default_mode()
    finally:
        os.umask(old)
    assert (tmp_path / "a.md").read_bytes() == b"x\r\ny\n"  # no newline translation
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]  # no temp file left


def test_atomic_write_keeps_an_existing_files_mode(tmp_path: Path) -> None:
    p = tmp_path / "b.csv"
    p.write_text("old", encoding="utf-8")
    p.chmod(0o664)
    atomic_write_text(p, "new")
    assert p.read_text(encoding="utf-8") == "new"
    assert p.stat().st_mode & 0o777 == 0o664


def test_atomic_path_leaves_the_old_file_when_the_writer_fails(tmp_path: Path) -> None:
    p = tmp_path / "c.zip"
    p.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(p) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer failed")
    assert p.read_bytes() == b"old"
    assert [x.name for x in tmp_path.iterdir()] == ["c.zip"]


def test_locks_exclude_other_holders_until_released(tmp_path: Path) -> None:
    a, b = tmp_path / ".a.lock", tmp_path / ".b.lock"
    with locks([b, a]):
        for p in (a, b):
            with pytest.raises(Timeout):
                FileLock(str(p), timeout=0.05).acquire()
    for p in (a, b):
        lock = FileLock(str(p), timeout=0.05)
        lock.acquire()
        lock.release()


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("0.3.0", (0, 3, 0)), ("v1.2.3", (1, 2, 3)), ("10.0.12", (10, 0, 12)), ("1.2", None), ("1.2.3.4", None), ("01.2.3", None), ("1.2.3rc1", None), ("1.2.3-rc.1", None), ("1.2.3+local", None), ("x", None), ("", None)],
)
def test_parse_version(text: str, parsed: tuple[int, int, int] | None) -> None:
    assert parse_version(text) == parsed


def test_bumps() -> None:
    assert next_version("", "minor") == "0.1.0"
    assert [next_version("1.2.3", b) for b in ("major", "minor", "patch", "none")] == ["2.0.0", "1.3.0", "1.2.4", "1.2.3"]
    assert bump_between("0.2.0", "0.3.0") == "minor" and bump_between("0.2.0", "1.0.0") == "major" and bump_between("0.2.0", "0.2.1") == "patch"
    assert bump_between("0.2.0", "0.4.0") is None and bump_between("0.2.0", "0.3.1") is None and bump_between("0.2.0", "junk") is None
    assert bump_between("", "0.1.0") == "minor"
    assert max_bump("patch", "none", "minor") == "minor" and max_bump() == "none"
