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


def test_replace_refuses_a_file_changed_since_it_was_read(tmp_path: Path) -> None:
    from ruven.errors import FileChangedError
    from ruven.fs import digest, digest_bytes

    p = tmp_path / "d.csv"
    p.write_bytes(b"read\n")
    read = digest(p)
    assert read == digest_bytes(b"read\n") and digest(tmp_path / "missing") is None
    p.write_bytes(b"edited by hand\n")
    with pytest.raises(FileChangedError):
        atomic_write_text(p, "written from what was read\n", expect=read)
    assert p.read_bytes() == b"edited by hand\n"
    assert [x.name for x in tmp_path.iterdir()] == ["d.csv"]  # no temp file left
    atomic_write_text(p, "new\n", expect=digest(p))
    assert p.read_bytes() == b"new\n"
    with pytest.raises(FileChangedError):  # expect=None: "there was no file"
        atomic_write_text(p, "x", expect=None)


@pytest.mark.parametrize(
    ("err", "cls", "word"),
    [("EACCES", "FileAccessError", "permission"), ("EPERM", "FileAccessError", "permission"), ("EROFS", "FileAccessError", "read-only"),
     ("ENOSPC", "DiskFullError", "disk is full"), ("EDQUOT", "DiskFullError", "quota"), ("EFBIG", "DiskFullError", "size limit"),
     ("ENOTDIR", "FileAccessError", "in the way"), ("EIO", "FileAccessError", "cannot use")],
)
def test_os_errors_become_plain_errors(err: str, cls: str, word: str) -> None:
    import errno

    from ruven import errors

    exc = OSError(getattr(errno, err), os.strerror(getattr(errno, err)), "/pkg/data/actors.csv")
    mapped = errors.from_os_error(exc)
    assert type(mapped).__name__ == cls and mapped.exit_code == 3
    assert word in mapped.message and "/pkg/data/actors.csv" in mapped.message and mapped.hint


def test_a_full_disk_leaves_no_temp_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    p = tmp_path / "e.csv"
    p.write_text("old\n", encoding="utf-8")
    code = (
        "import resource, signal; from pathlib import Path; from ruven.fs import atomic_write_text\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN); resource.setrlimit(resource.RLIMIT_FSIZE, (16, 16))\n"
        f"atomic_write_text(Path({str(p)!r}), 'x' * 1000)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert "DiskFullError" in proc.stderr and "disk is full" in proc.stderr, proc.stderr
    assert p.read_text(encoding="utf-8") == "old\n"
    assert [x.name for x in tmp_path.iterdir()] == ["e.csv"]
