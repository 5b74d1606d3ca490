"""URLs: the one judgement of a well-formed http(s) URL and the one place a URL becomes a link.

Only an absolute ``http`` or ``https`` URL with a host ever becomes a link (``javascript:``,
``data:``, ``file:`` and relative URLs stay text), in every output: the Datasette site, and
any HTML another output writes. Light on purpose (standard library only).
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

__all__ = ["LINK_SCHEMES", "is_link", "link_html", "url_problem"]

#: URL schemes a link may have; any other URL is shown as text.
LINK_SCHEMES = ("http", "https")


def url_problem(value: str) -> str | None:
    """Why ``value`` is not a well-formed http(s) URL, or None."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        return f"it cannot be parsed ({exc})"
    if parts.scheme not in LINK_SCHEMES:
        return f"its scheme is {parts.scheme or 'missing'!r}, not http or https"
    host = parts.hostname or ""
    if not host:
        return "it has no host name"
    if any(ch.isspace() for ch in value):
        return "it contains spaces"
    if "." not in host and host != "localhost" and not host.startswith("["):
        return f"its host {host!r} has no domain"
    if port == 0:
        return "its port is 0"
    return None


def is_link(url: str) -> bool:
    """Whether ``url`` may become a link: only absolute http(s) URLs (no ``javascript:``, no ``data:``)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in LINK_SCHEMES and bool(parts.netloc) and not any(ch.isspace() or ord(ch) < 32 for ch in url.strip())


def link_html(url: str, text: str = "", *, title: str = "") -> str:
    """HTML for ``url``: an ``<a>`` element when :func:`is_link`, else the escaped text (with the
    URL beside it, as text, when the two differ). Everything is escaped."""
    text = text or url
    if is_link(url):
        tip = f' title="{escape(title, quote=True)}"' if title else ""
        return f'<a href="{escape(url.strip(), quote=True)}"{tip}>{escape(text)}</a>'
    if url and url != text:
        return f"{escape(text)} ({escape(url)})"
    return escape(text)
