"""How the package is cited and licensed: one statement each, read from the descriptor.

The README, the codebook, the datasheet, ``CITATION.cff``, the xlsx About sheet and the
query layer's citation all take their words from here.
"""

from __future__ import annotations

from ruven import changelog
from ruven.package import DataPackage

__all__ = ["authors", "citation_text", "licence", "licence_statement", "release_date"]


def licence(pkg: DataPackage) -> dict[str, str]:
    """The data licence (the descriptor's first ``licenses`` entry): name, title, path."""
    lic = (pkg.descriptor.get("licenses") or [{}])[0]
    return {"name": str(lic.get("name", "")), "title": str(lic.get("title", lic.get("name", ""))), "path": str(lic.get("path", ""))}


def licence_statement(pkg: DataPackage) -> str:
    """The one sentence stating the data licence (README, xlsx About sheet): from the descriptor."""
    lic = licence(pkg)
    return f"{lic['title']} ({lic['name']}), {lic['path']}"


def authors(pkg: DataPackage) -> str:
    """The descriptor's contributors with the role ``author``, joined with "and"."""
    names = [str(c.get("title")) for c in pkg.descriptor.get("contributors", []) if c.get("role", "author") == "author" and c.get("title")]
    return " and ".join(names) or "ruven contributors"


def release_date(pkg: DataPackage) -> str:
    """Date of the current version: its CHANGELOG heading (``## [X.Y.Z] - DATE``), else ``created``."""
    path = pkg.file(changelog.CHANGELOG)
    if path.exists():
        date = changelog.release_date(path.read_text(encoding="utf-8"), pkg.version)
        if date:
            return date
    return str(pkg.descriptor.get("created", ""))[:10]


def citation_text(pkg: DataPackage) -> str:
    """Plain-text citation: ``ruven contributors (YEAR). TITLE (version X). Data set.``"""
    year = release_date(pkg)[:4]
    return f"{authors(pkg)} ({year}). {pkg.title} (version {pkg.version}) [Data set]. Licence: {licence(pkg)['name']}."
