"""``CHANGELOG.md`` (Keep a Changelog): parsed in this one place.

Sections are ``## [NAME]`` or ``## [NAME] - YYYY-MM-DD``; ``Unreleased`` collects entries
for the next version; a release dates its section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CHANGELOG", "UNRELEASED", "Section", "has_entries", "parse", "release_date", "sections"]

CHANGELOG = "CHANGELOG.md"
UNRELEASED = "Unreleased"
SECTION_RE = re.compile(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?(.*)$", re.M)


@dataclass
class Section:
    name: str
    date: str  # "" when undated
    start: int  # offset of the "## [" line
    body_start: int
    end: int

    def body(self, text: str) -> str:
        return text[self.body_start : self.end]


def sections(text: str) -> list[Section]:
    """Every ``## [NAME]`` section of ``text``, in order."""
    ms = list(SECTION_RE.finditer(text))
    return [Section(m.group(1), m.group(2) or "", m.start(), m.end(), ms[i + 1].start() if i + 1 < len(ms) else len(text)) for i, m in enumerate(ms)]


def parse(text: str) -> dict[str, Section]:
    """Sections by name (the first of a name wins)."""
    out: dict[str, Section] = {}
    for s in sections(text):
        out.setdefault(s.name, s)
    return out


def release_date(text: str, version: str) -> str:
    """The date of ``## [VERSION] - DATE``; ``""`` when the version has no dated section."""
    s = parse(text).get(version)
    return s.date if s is not None else ""


def has_entries(body: str) -> bool:
    return any(re.match(r"^\s*[-*] \S", line) for line in body.splitlines())
