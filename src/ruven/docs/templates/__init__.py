"""The Jinja2 templates of the generated documents (``*.md.j2``, shipped as package data)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import jinja2

__all__ = ["FIX_COMMAND", "render"]

#: The command that regenerates every generated document.
FIX_COMMAND = "ruven docs"


@cache
def _env() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("ruven.docs", "templates"),
        autoescape=False,  # Markdown, not HTML  # noqa: S701
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render(name: str, **context: Any) -> str:
    """The template ``name`` rendered with ``context`` (a missing variable is an error)."""
    return _env().get_template(name).render(**context)
