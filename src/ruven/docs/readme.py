"""The README's generated sections (between ``BEGIN/END GENERATED`` markers) and their writers."""

from __future__ import annotations

from collections.abc import Iterable

from ruven.citation import authors, citation_text, licence_statement, release_date
from ruven.docs.templates import FIX_COMMAND
from ruven.errors import DocsError
from ruven.package import DataPackage

__all__ = ["README", "README_SECTIONS", "charts_markdown", "how_to_cite_markdown", "licence_markdown", "marker", "replace_section"]

README = "README.md"
#: README sections that ``ruven docs`` owns, in the order they are reported.
README_SECTIONS = ("data-dictionary", "charts", "how-to-cite", "licence", "cli-reference")


def marker(name: str, end: bool = False) -> str:
    return f"<!-- {'END' if end else 'BEGIN'} GENERATED: {name} -->"


def replace_section(text: str, name: str, content: str, where: str = README) -> str:
    """``text`` with the section ``name`` (between its two markers) replaced by ``content``."""
    begin, end = marker(name), marker(name, end=True)
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < 0 or j < i:
        raise DocsError(
            f"{where} has no {begin} … {end} pair",
            f"add the two marker lines where the {name} section belongs, then run `{FIX_COMMAND}`",
            location=where,
        )
    return text[: i + len(begin)] + "\n" + content.strip("\n") + "\n" + text[j:]


def how_to_cite_markdown(pkg: DataPackage) -> str:
    year = release_date(pkg)[:4]
    key = f"{pkg.name}_{pkg.version.replace('.', '_')}"
    return "\n".join(
        [
            "Cite the version you used:",
            "",
            f"> {citation_text(pkg)}",
            "",
            "```bibtex",
            f"@misc{{{key},",
            f"  author = {{{{{authors(pkg)}}}}},",
            f"  title = {{{{{pkg.title}}}}},",
            f"  year = {{{year}}},",
            f"  version = {{{pkg.version}}},",
            "  note = {Data set}",
            "}",
            "```",
            "",
            "`CITATION.cff` holds the same in the Citation File Format. Cite the original page too (`sources.url`) "
            "when you quote a statement or a figure.",
        ]
    )


def licence_markdown(pkg: DataPackage) -> str:
    return (
        f"Data (`data/`, `schemas/`, `validation/`, `datapackage.json`): **{licence_statement(pkg)}**; "
        "see `LICENSE-DATA.md`."
    )



def charts_markdown(charts: Iterable[tuple[str, str, str]]) -> str:
    out = []
    for title, image, caption in charts:
        out += [f"**{title}.** {caption}", "", f"![{title}]({image})", ""]
    out.append("The charts are drawn from the data by `ruven chart` (PNG and SVG in `docs/charts/`); `ruven docs` redraws them when the data changes.")
    return "\n".join(out)
