"""Versions of the data package: SemVer ``MAJOR.MINOR.PATCH``, parsed by ``packaging``.

Only plain release versions count (no pre-release, post, dev or local parts, exactly three
numbers), as ``ruven release`` writes them.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

__all__ = ["BUMPS", "bump_between", "max_bump", "next_version", "parse_version"]

#: Kinds of change, smallest first.
BUMPS = ("none", "patch", "minor", "major")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of ``1.2.3`` or ``v1.2.3``; None for anything else."""
    try:
        v = Version(text.strip())
    except InvalidVersion:
        return None
    if len(v.release) != 3 or v.epoch or v.is_prerelease or v.is_postrelease or v.local or v.dev is not None:
        return None
    if str(v) != text.strip().removeprefix("v"):  # packaging accepts 1.02.3, 1.2.3.0 …: SemVer does not
        return None
    return v.major, v.minor, v.micro


def max_bump(*bumps: str) -> str:
    return max(bumps, key=BUMPS.index, default="none")


def next_version(old: str, bump: str) -> str:
    """The version after ``old`` (``""`` = none yet: 0.0.0) for a ``bump``."""
    a, b, c = parse_version(old or "0.0.0") or (0, 0, 0)
    return {"major": f"{a + 1}.0.0", "minor": f"{a}.{b + 1}.0", "patch": f"{a}.{b}.{c + 1}"}.get(bump, f"{a}.{b}.{c}")


def bump_between(old: str, new: str) -> str | None:
    """``major``/``minor``/``patch`` when ``new`` is the next such version after ``old``; else None."""
    if parse_version(old or "0.0.0") is None or parse_version(new) is None:
        return None
    return next((b for b in ("major", "minor", "patch") if next_version(old, b) == new.strip().removeprefix("v")), None)
