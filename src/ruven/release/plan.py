"""``ruven release``: check the preconditions, set the version, date the changelog, build.

Preconditions (every one is checked and reported, so a maintainer sees all that is wrong):

1. the package validates through every layer;
2. ``fmt --check`` finds nothing to change;
3. the package is in a git repository, VERSION was not released yet, and the SemVer bump from
   the last release reachable from HEAD (its tag ``v<semver>``, or, in a clone without tags,
   the commit that first set the highest version ``datapackage.json`` had; none: an empty
   package, version 0.0.0) to VERSION is the bump ``ruven diff`` implies from it to the
   working tree; no row was deleted;
4. ``CHANGELOG.md`` has entries for VERSION: a ``## [VERSION]`` section, or entries under
   ``## [Unreleased]`` (which becomes ``## [VERSION] - DATE`` under a fresh, empty
   ``## [Unreleased]``).

Then ``version`` is set in ``datapackage.json``, the changelog section is dated, and the
release files are built with :func:`ruven.release.build`. Tagging and pushing stay with the
maintainer (the plan says the commands).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ruven import changelog, git
from ruven.changelog import CHANGELOG, UNRELEASED, has_entries
from ruven.errors import FileChangedError, UsageError
from ruven.package import DataPackage
from ruven.releases import release_tags, version_history
from ruven.versions import bump_between, next_version, parse_version


@dataclass
class Check:
    name: str
    ok: bool
    message: str
    hint: str = ""


@dataclass
class ReleasePlan:
    version: str
    previous: str
    tag: str  # the revision compared with: a tag, or the commit that set the last version ("" = empty package)
    implied: str
    requested: str
    today: str
    dry_run: bool
    checks: list[Check] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    done: bool = False
    build: dict[str, Any] | None = None
    since: str = ""  # the last release in words: "tag v0.2.0", "0.2.0 (commit …)"

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d = {"ok": self.ok, **d}
        return d


# ------------------------------------------------------------------ changelog


def dated_changelog(text: str, version: str, today: str) -> tuple[str | None, Check]:
    """The changelog with VERSION's section dated (or the reason it cannot be)."""
    secs = changelog.parse(text)
    unrel = secs.get(UNRELEASED)
    mine = secs.get(version)
    fresh = f"## [{UNRELEASED}]\n\n"
    if mine is not None:
        if not has_entries(mine.body(text)):
            return None, Check("changelog", False, f"{CHANGELOG} has a ## [{version}] section without entries", f"list the rows added, corrected and withdrawn and the schema changes under ## [{version}] (ruven diff --format markdown helps)")
        if unrel is not None and has_entries(unrel.body(text)):
            return None, Check("changelog", False, f"{CHANGELOG} has entries both under ## [{UNRELEASED}] and under ## [{version}]", f"move the [{UNRELEASED}] entries into ## [{version}] (or delete that section to have [{UNRELEASED}] renamed)")
        line_end = text.index("\n", mine.start) if "\n" in text[mine.start :] else len(text)
        new = text[: mine.start] + f"## [{version}] - {today}" + text[line_end:]
        if unrel is None:
            new = new[: mine.start] + fresh + new[mine.start :]
        return new, Check("changelog", True, f"{CHANGELOG}: ## [{version}] will be dated {today}")
    if unrel is None or not has_entries(unrel.body(text)):
        return None, Check("changelog", False, f"{CHANGELOG} has no entries for {version}", f"add them under ## [{UNRELEASED}] (rows added / corrected / withdrawn by id, schema changes); `ruven diff <last release, e.g. 0.2.0> . --format markdown` lists them")
    header_end = unrel.body_start
    new = text[: unrel.start] + fresh + f"## [{version}] - {today}" + text[header_end:]
    return new, Check("changelog", True, f"{CHANGELOG}: the [{UNRELEASED}] entries become ## [{version}] - {today}, under a fresh empty [{UNRELEASED}]")


# ------------------------------------------------------------------ git


def last_release(top: Path, descriptor: Path) -> tuple[str, str, str]:
    """``(version, revision to compare with, how it was found)`` of the last release reachable from
    HEAD: the highest ``v<semver>`` tag, else the highest version ``datapackage.json`` had in a
    commit (the commit that first set it); ``("0.0.0", "", …)`` when there is none."""
    tags = release_tags(top)
    history = version_history(top, descriptor)
    best_tag = tags[-1] if tags else None
    best_hist = history[-1] if history else None
    if best_tag and (best_hist is None or best_tag[0] >= best_hist[0]):
        return best_tag[1][1:], best_tag[1], best_tag[1]
    if best_hist:
        return best_hist[2], best_hist[1], f"{best_hist[2]} (commit {best_hist[1][:7]}: datapackage.json's version with its dated changelog section)"
    return "0.0.0", "", "an empty package (no earlier version in git)"


def released(top: Path, descriptor: Path, version: str) -> bool:
    """True when ``version`` was released already: tagged, or in a commit's datapackage.json."""
    return git.tag_exists(top, f"v{version}") or any(v == version for _, _, v in version_history(top, descriptor))


# ------------------------------------------------------------------ the release


def release(
    package: str | os.PathLike[str] | DataPackage | None,
    version: str,
    *,
    dry_run: bool = False,
    today: dt.date | None = None,
    out: str | os.PathLike[str] = "dist",
) -> ReleasePlan:
    from ruven.canonical import canonical_json_text, format_package
    from ruven.diff import EMPTY, diff, load_snapshot
    from ruven.fs import atomic_write_text, digest_bytes, package_lock

    if parse_version(version) is None or version.startswith("v"):
        raise UsageError(f"{version!r} is not a version MAJOR.MINOR.PATCH", "write it like 0.2.0 (the tag v0.2.0 is made from it)")
    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    day = (today or dt.date.today()).isoformat()
    plan = ReleasePlan(version, "", "", "", "", day, dry_run)

    from ruven.candidate import validate_cached

    report = validate_cached(pkg, today=today)
    plan.checks.append(
        Check("validate", True, f"the package validates ({', '.join(report.layers)}; {len(report.warnings)} warning(s))")
        if report.ok()
        else Check("validate", False, f"the package does not validate: {len(report.errors)} error(s), first: {report.errors[0].location}: {report.errors[0].message}", "run `ruven validate` and fix every error")
    )

    fmt = format_package(pkg, write=False)
    plan.checks.append(
        Check("fmt", True, "every file is in canonical form")
        if fmt.ok
        else Check("fmt", False, "files are not canonical: " + ", ".join([c.path for c in fmt.changes] + [p.path for p in fmt.problems]), "run `ruven fmt` and commit the result")
    )

    top = git.toplevel(pkg.root)
    if top is None:
        plan.checks.append(Check("version", False, f"{pkg.root} is not in a git repository, so there is no last release to compare with", "release from a clone of the repository"))
    else:
        plan.previous, plan.tag, since = last_release(top, pkg.descriptor_path)
        plan.since = since
        d = diff(load_snapshot(plan.tag or EMPTY, pkg.descriptor_path), load_snapshot(str(pkg.root)))
        plan.implied = d.bump
        plan.requested = bump_between(plan.previous, version) or "invalid"
        expected = next_version(plan.previous, d.bump)
        if released(top, pkg.descriptor_path, version):
            plan.checks.append(Check("version", False, f"{version} was released already (tagged, or committed as datapackage.json's version)", f"release the next version ({expected})"))
        elif not d.differs:
            plan.checks.append(Check("version", False, f"nothing changed since {since}", "there is nothing to release"))
        elif d.violations:
            plan.checks.append(Check("version", False, f"{len(d.violations)} row(s) deleted since {since}: {d.violations[0]}", "restore deleted rows and withdraw them instead (ruven diff lists them)"))
        elif plan.requested != d.bump:
            plan.checks.append(
                Check(
                    "version",
                    False,
                    f"{plan.previous} -> {version} is {'not a single SemVer step' if plan.requested == 'invalid' else 'a ' + plan.requested.upper() + ' bump'}, "
                    f"but `ruven diff` from {since} implies {d.bump.upper()} ({'; '.join(d.why())})",
                    f"release {expected} instead",
                )
            )
        else:
            plan.checks.append(Check("version", True, f"{plan.previous} -> {version} is the {d.bump.upper()} bump `ruven diff` implies from {since} ({'; '.join(d.why())})"))

    cl_path = pkg.file(CHANGELOG)
    new_changelog = None
    if not cl_path.is_file():
        plan.checks.append(Check("changelog", False, f"there is no {CHANGELOG} next to datapackage.json", f"create it with a ## [{UNRELEASED}] section listing the changes"))
    else:
        new_changelog, check = dated_changelog(cl_path.read_bytes().decode("utf-8"), version, day)
        plan.checks.append(check)

    from ruven.docs.generate import VERSIONED

    has_docs = any((pkg.root / rel).exists() for rel in VERSIONED)  # docs that state the version
    plan.actions = [
        f"set version in {pkg.descriptor_path.name}: {pkg.version or '-'} -> {version}",
        f"date {CHANGELOG}: ## [{version}] - {day}",
        *(["regenerate the docs that carry the version (ruven docs: CITATION.cff, codebook, datasheet)"] if has_docs else []),
        f"build the release files into {out}/ (ruven build)",
    ]
    plan.next_steps = [f'git commit -am "Release {version}"', f"git tag v{version}", "git push && git push --tags"]
    if not plan.ok or dry_run:
        return plan

    with package_lock(pkg.root):  # the writers' one lock: re-read both files under it, write only if unchanged
        read = pkg.descriptor_path.read_bytes()
        raw = json.loads(read.decode("utf-8-sig"))
        raw["version"] = version
        if new_changelog is not None:
            cl_read = cl_path.read_bytes()
            new_changelog, check = dated_changelog(cl_read.decode("utf-8"), version, day)
            if new_changelog is None:
                raise FileChangedError(f"{CHANGELOG} changed while the release was checked: {check.message}", check.hint or "run ruven release again", location=str(cl_path))
        atomic_write_text(pkg.descriptor_path, canonical_json_text(raw), expect=digest_bytes(read))
        if new_changelog is not None:
            atomic_write_text(cl_path, new_changelog, expect=digest_bytes(cl_read))
    if has_docs:
        from ruven.docs import generate_docs

        generate_docs(DataPackage.load(pkg.descriptor_path))
    from ruven.release import build

    result = build(DataPackage.load(pkg.descriptor_path), out, validate=False)  # validated above (plan.ok)
    plan.build = result.to_dict()
    plan.done = True
    return plan


__all__ = ["Check", "ReleasePlan", "dated_changelog", "last_release", "release", "release_tags", "released", "version_history"]
