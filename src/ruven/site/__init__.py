"""The static site of the package (``ruven site``): a page per row, per table, the sources, the
actors, the codebook and the changelog, all written from the one typed connection.

- :mod:`ruven.site.model`: what the site shows, read from the connection (rows, labels, pages, references).
- :mod:`ruven.site.values`: a typed value as HTML (dates in words, ranges, enum meanings, links).
- :mod:`ruven.site.pages`: what each page holds, and the Jinja2 templates (``templates/``).
- :mod:`ruven.site.markup`: Markdown documents as HTML (markdown-it-py).
- :mod:`ruven.site.build`: :func:`build_site`, written in a temporary folder and swapped into place.
"""

from __future__ import annotations

from ruven.site.build import DEFAULT_OUT, DEFAULT_RELEASE, MARKER, SiteError, SiteResult, build_site

__all__ = ["DEFAULT_OUT", "DEFAULT_RELEASE", "MARKER", "SiteError", "SiteResult", "build_site"]
