"""Markdown documents (the codebook, the changelog) as HTML for the site, with markdown-it-py.

Raw HTML in the Markdown is shown as text, headings get ids (so ``#deployments`` works), a link
to an http(s) URL carries ``rel="noopener noreferrer"``, an anchor (``#...``) stays a link, and
any other link (a file of the repository, ``javascript:``) becomes plain text: the site never
links to a page it does not have.
"""

from __future__ import annotations

import re

from ruven.site.values import EXTERNAL_REL
from ruven.urls import is_link

__all__ = ["inline_html", "markdown_html", "slug"]


def slug(text: str) -> str:
    """A heading's id: lower case, words joined by ``-`` (``_`` kept, as GitHub does)."""
    s = re.sub(r"[^\w\- ]+", "", text.strip().lower())
    return re.sub(r"\s+", "-", s)


def markdown_html(text: str, *, shift: int = 0) -> str:
    """``text`` (CommonMark and tables) as HTML; ``shift`` moves every heading down that many
    levels (a document's ``#`` under a page's own ``<h1>``)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(re.sub(r"<!--.*?-->\n?", "", text, flags=re.S))  # notes for editors, not readers
    seen: dict[str, int] = {}
    dropped: list[bool] = []
    for i, tok in enumerate(tokens):
        if tok.type in ("heading_open", "heading_close"):
            level = min(int(tok.tag[1]) + shift, 6)
            tok.tag = f"h{level}"
            if tok.type == "heading_open":
                inline = tokens[i + 1]
                base = slug(inline.content) or "section"
                n = seen.get(base, 0)
                seen[base] = n + 1
                tok.attrSet("id", base if n == 0 else f"{base}-{n}")
        for child in tok.children or []:
            if child.type == "link_open":
                href = str(child.attrGet("href") or "")
                if is_link(href):
                    child.attrSet("rel", EXTERNAL_REL)
                    dropped.append(False)
                elif href.startswith("#") and len(href) > 1:
                    dropped.append(False)
                else:
                    child.tag, child.attrs = "span", {}
                    dropped.append(True)
            elif child.type == "link_close":
                if dropped.pop():
                    child.tag = "span"
            elif child.type == "image":
                src = str(child.attrGet("src") or "")
                if not is_link(src):
                    child.type, child.tag, child.attrs, child.children = "text", "", {}, None
                    child.content = child.content or ""
                else:  # nothing from another host: an outside image is a link to it
                    child.type, child.content = "text", child.content or src
    return md.renderer.render(tokens, md.options, {})


def inline_html(text: str) -> str:
    """One line of Markdown (a chart caption: `code`, *emphasis*) as inline HTML; no links."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).disable(["link", "image", "autolink"])
    return md.renderInline(text)
