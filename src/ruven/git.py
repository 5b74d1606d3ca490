"""The one wrapper around the ``git`` command: every read of a repository goes through here.

Nothing here writes to a repository. ``git`` missing is a :class:`~ruven.errors.RuvenError`
(exit 3) with a hint; a failing git command is a return value, not an exception.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ruven.errors import RuvenError

__all__ = ["is_revision", "log_paths", "mode", "run", "show", "tag_exists", "tags_merged", "toplevel"]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` in ``cwd``: the completed process (bytes), whatever its exit code."""
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise RuvenError("git is not installed", "install git, or compare two package folders") from exc


def toplevel(folder: Path) -> Path | None:
    """The work tree holding ``folder``, or None when it is not in a git repository."""
    proc = run(["rev-parse", "--show-toplevel"], folder)
    return Path(proc.stdout.decode().strip()) if proc.returncode == 0 else None


def is_revision(rev: str, top: Path) -> bool:
    return run(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top).returncode == 0


def show(rev: str, path: str, top: Path) -> bytes | None:
    """The bytes of ``path`` (relative to the top) at ``rev``; None when it has no such file."""
    proc = run(["show", f"{rev}:{path}"], top)
    return proc.stdout if proc.returncode == 0 else None


def mode(rev: str, path: str, top: Path) -> str | None:
    """The git mode of ``path`` at ``rev`` (``100644`` a file, ``120000`` a symlink), or None."""
    out = run(["ls-tree", "-z", rev, "--", path], top).stdout.decode("utf-8", "replace")
    return out.split(" ", 1)[0] if out else None


def tags_merged(top: Path, pattern: str = "v*") -> list[str]:
    """Tags matching ``pattern`` reachable from HEAD."""
    return run(["tag", "--merged", "HEAD", "--list", pattern], top).stdout.decode().split()


def tag_exists(top: Path, tag: str) -> bool:
    return run(["rev-parse", "--verify", "--quiet", f"refs/tags/{tag}"], top).returncode == 0


def log_paths(top: Path, *paths: str) -> list[str]:
    """Commits of HEAD's history that touch ``paths``, oldest first."""
    return run(["log", "--format=%H", "--reverse", "HEAD", "--", *paths], top).stdout.decode().split()
