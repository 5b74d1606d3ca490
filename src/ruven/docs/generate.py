"""``generate_docs``: regenerate (or, with ``check``, compare) every generated document.

Writes go through :func:`ruven.fs.atomic_write_text` (a rewritten file keeps its mode).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ruven.docs.cff import citation_cff
from ruven.docs.codebook import codebook_markdown, data_dictionary_markdown
from ruven.docs.datasheet import datasheet_markdown
from ruven.docs.figures import datasheet_figures
from ruven.docs.readme import (
    README,
    README_SECTIONS,
    charts_markdown,
    how_to_cite_markdown,
    licence_markdown,
    replace_section,
)
from ruven.docs.templates import FIX_COMMAND
from ruven.fs import atomic_write_text
from ruven.package import DataPackage

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

__all__ = ["CITATION", "CODEBOOK", "DATASHEET", "VERSIONED", "DocsResult", "GeneratedFile", "generate_docs"]

CODEBOOK = "docs/codebook.md"
DATASHEET = "docs/datasheet.md"
CITATION = "CITATION.cff"
#: The generated files that state the package's version: a release regenerates them.
VERSIONED = (CITATION, CODEBOOK, DATASHEET)


@dataclass
class GeneratedFile:
    path: str  # relative to the package root
    status: str  # unchanged | written | would-change | skipped
    detail: str = ""


@dataclass
class DocsResult:
    check: bool
    files: list[GeneratedFile] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def drifted(self) -> list[GeneratedFile]:
        return [f for f in self.files if f.status == "would-change"]

    @property
    def ok(self) -> bool:
        return not self.drifted

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "check": self.check,
            "files": [asdict(f) for f in self.files],
            "fix": FIX_COMMAND if self.drifted else None,
            "figures": self.figures,
        }


def generate_docs(
    package: str | os.PathLike[str] | DataPackage | None = None,
    *,
    check: bool = False,
    cli_reference: str | None = None,
    charts: Iterable[tuple[str, str, str]] | None = None,
) -> DocsResult:
    """Regenerate (or, with ``check``, compare) every generated document of the package.

    ``cli_reference`` is the Markdown of the README's CLI reference (built by the CLI layer from
    click's help); ``charts`` is ``(title, image path, caption)`` per chart, for the README.
    """
    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    from ruven.db import connect

    with connect(pkg) as con:  # one typed connection for every document: the package is loaded once
        return _generate(pkg, con, check=check, cli_reference=cli_reference, charts=charts)


def _generate(
    pkg: DataPackage,
    con: duckdb.DuckDBPyConnection,
    *,
    check: bool,
    cli_reference: str | None,
    charts: Iterable[tuple[str, str, str]] | None,
) -> DocsResult:
    result = DocsResult(check=check)
    figures = datasheet_figures(pkg, con)
    result.figures = figures
    if charts is None:
        from ruven.charts import readme_entries

        charts = readme_entries()
    sections: dict[str, Callable[[], str]] = {
        "data-dictionary": lambda: data_dictionary_markdown(pkg),
        "charts": lambda: charts_markdown(charts),
        "how-to-cite": lambda: how_to_cite_markdown(pkg),
        "licence": lambda: licence_markdown(pkg),
    }
    if cli_reference is not None:
        sections["cli-reference"] = lambda: cli_reference
    targets: list[tuple[str, Callable[[str | None], str | None]]] = [
        (CODEBOOK, lambda old: codebook_markdown(pkg, con)),
        (DATASHEET, lambda old: datasheet_markdown(pkg, figures)),
        (CITATION, lambda old: citation_cff(pkg)),
    ]

    def readme(old: str | None) -> str | None:
        if old is None:
            return None
        text = old
        for name in README_SECTIONS:
            if name in sections:
                text = replace_section(text, name, sections[name]())
        return text

    targets.append((README, readme))
    for rel, make in targets:
        path = pkg.file(rel)  # the one resolver: a README symlinked out of the package is refused
        old = path.read_text(encoding="utf-8") if path.exists() else None
        new = make(old)
        if new is None:
            result.files.append(GeneratedFile(rel, "skipped", f"no {rel} in the package"))
        elif new == old:
            result.files.append(GeneratedFile(rel, "unchanged"))
        elif check:
            result.files.append(GeneratedFile(rel, "would-change", "missing" if old is None else "differs from what the package generates"))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, new)
            result.files.append(GeneratedFile(rel, "written"))
    _charts_target(pkg, con, result, check)
    return result


def _charts_target(pkg: DataPackage, con: duckdb.DuckDBPyConnection, result: DocsResult, check: bool) -> None:
    """The committed chart images: redrawn (``ruven chart``) when the data behind them changed."""
    from ruven.charts import CHART_DATA_FILE, DEFAULT_OUT, chart_data_json, render_charts

    rel = f"{DEFAULT_OUT}/{CHART_DATA_FILE}"
    path = pkg.file(rel)
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old == chart_data_json(pkg, con):
        result.files.append(GeneratedFile(rel, "unchanged"))
    elif check:
        result.files.append(GeneratedFile(rel, "would-change", "the charts' data changed: their images need redrawing"))
    else:
        render_charts(pkg, pkg.root / DEFAULT_OUT, con=con)
        result.files.append(GeneratedFile(rel, "written", "charts redrawn"))

