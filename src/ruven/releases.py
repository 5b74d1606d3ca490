"""The package's releases in the git history: ``v<semver>`` tags, and, in a clone without
tags, the commits that set ``datapackage.json``'s version with a dated changelog section.

``ruven release`` finds the last release here; ``ruven diff`` resolves a version such as
``0.2.0`` or ``v0.2.0`` to a revision here (:func:`resolve_version`).
"""

from __future__ import annotations

import json
from pathlib import Path

from ruven import changelog, git
from ruven.changelog import CHANGELOG
from ruven.versions import parse_version

__all__ = ["release_tags", "resolve_version", "version_history"]


def release_tags(top: Path) -> list[tuple[tuple[int, int, int], str]]:
    """``(version, tag)`` of every ``v<semver>`` tag reachable from HEAD, lowest first."""
    tags = []
    for t in git.tags_merged(top, "v*"):
        v = parse_version(t[1:]) if t.startswith("v") else None
        if v is not None:
            tags.append((v, t))
    return sorted(tags)


def version_history(top: Path, descriptor: Path) -> list[tuple[tuple[int, int, int], str, str]]:
    """``(version, commit, version text)`` for every release in the history of HEAD, oldest
    first: the first commit whose ``datapackage.json`` has version V while the ``CHANGELOG.md``
    beside it has a dated ``## [V] - YYYY-MM-DD`` section (what ``ruven release`` writes). A
    clone has no tags, but it has this history."""
    rel = descriptor.resolve().relative_to(top.resolve()).as_posix()
    log_rel = (descriptor.resolve().parent / CHANGELOG).relative_to(top.resolve()).as_posix()
    seen: dict[str, str] = {}
    for commit in git.log_paths(top, rel, log_rel):
        shown = git.show(commit, rel, top) or b""
        try:
            version = str(json.loads(shown.decode("utf-8-sig")).get("version", ""))
        except (ValueError, AttributeError):
            continue
        if parse_version(version) is None or version in seen:
            continue
        log = (git.show(commit, log_rel, top) or b"").decode("utf-8", "replace")
        if changelog.release_date(log, version):
            seen[version] = commit
    return sorted((parse_version(v), c, v) for v, c in seen.items())  # type: ignore[misc]


def resolve_version(spec: str, top: Path, descriptor: Path) -> tuple[str, str] | None:
    """``(revision, how it was found)`` of the release named ``spec`` (``0.2.0`` or ``v0.2.0``):
    its tag ``v0.2.0`` when the repository has it, else the commit of :func:`version_history`
    that released it; None when ``spec`` is not a version or was never released."""
    if parse_version(spec) is None:
        return None
    version = spec.strip().removeprefix("v")
    tag = f"v{version}"
    if git.tag_exists(top, tag):
        return tag, f"tag {tag}"
    for _, commit, v in version_history(top, descriptor):
        if v == version:
            return commit, f"release {version}, commit {commit[:7]} (no tag {tag} here: the commit that set datapackage.json's version {version} with a dated changelog section)"
    return None
