"""The datasheet (``docs/datasheet.md``, after Gebru et al.'s *Datasheets for Datasets*).

The prose is in ``templates/datasheet.md.j2``; the figures come from
:func:`ruven.docs.figures.datasheet_figures`; this module turns them into tables.
"""

from __future__ import annotations

from typing import Any

from ruven.citation import citation_text, licence_statement
from ruven.docs.templates import FIX_COMMAND, render
from ruven.markdown import cell, table
from ruven.package import DataPackage

__all__ = ["datasheet_markdown", "year_ranges"]

R = "right"


def year_ranges(years: list[int]) -> str:
    """``2001–2003, 2007``: runs of consecutive years; ``none`` when there are none."""
    if not years:
        return "none"
    out: list[str] = []
    start = prev = years[0]
    for y in [*years[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        out.append(str(start) if start == prev else f"{start}–{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(out)


def _tables(fig: dict[str, Any]) -> dict[str, str]:
    src = fig["sources"]
    grp = src["groups"]
    out = {
        "composition": table(["table", "rows", "live", "withdrawn"], [[f"`{t['table']}`", t["rows"], t["live"], t["withdrawn"]] for t in fig["tables"]], ["left", R, R, R]),
        "by_kind": table(["kind", "sources", "share"], [[f"`{k['kind']}`", k["sources"], f"{k['share']}%"] for k in src["by_kind"]], ["left", R, R]),
        "groups": table(
            ["group", "sources", "share"],
            [
                [label, grp[key]["sources"], f"{grp[key]['share']}%"]
                for key, label in (
                    ("state_media", "state media (`state_affiliation` filled: the outlet is owned or controlled by a state)"),
                    ("news_agencies", "news agencies (kind `news-agency`)"),
                    ("blogs_aggregators", "blogs, forums and aggregators (kinds `blog`, `aggregator`)"),
                    ("reprints", "pages that copy or relay another outlet's story"),
                )
            ],
            ["left", R, R],
        ),
        "state_media": table(["state", "sources", "share"], [[f"{s['name']} (`{s['country']}`)", s["sources"], f"{s['share']}%"] for s in src["state_media"]], ["left", R, R]),
        "languages": table(["language", "sources", "share"], [[f"{cell(lang['name'])} (`{lang['language']}`)", lang["sources"], f"{lang['share']}%"] for lang in fig["languages"]], ["left", R, R]),
        "years": table(["year", "rows", "sources"], [[y["year"], y["rows"], y["sources"]] for y in fig["years"]] or [["—", 0, 0]], ["left", R, R]),
        "confidence": "",
    }
    if fig["confidence"]:
        levels = [k for k in fig["confidence"][0] if k not in ("table", "rows")]
        out["confidence"] = table(
            ["table", *levels, "rows"],
            [[f"`{c['table']}`", *(c.get(lvl, 0) for lvl in levels), c["rows"]] for c in fig["confidence"]],
            ["left", *(R for _ in levels), R],
        )
    return out


def datasheet_markdown(pkg: DataPackage, fig: dict[str, Any]) -> str:
    text = render(
        "datasheet.md.j2",
        pkg=pkg,
        fix_command=FIX_COMMAND,
        fig=fig,
        tables=_tables(fig),
        licence=licence_statement(pkg),
        citation=citation_text(pkg),
        thin_years=year_ranges(fig["few_sources_years"]),
        state_parts=", ".join(f"{s['name']} {s['share']}%" for s in fig["sources"]["state_media"]),
        main_languages=", ".join(lang["name"] for lang in fig["languages"][:4]),
    )
    return text.rstrip() + "\n"
