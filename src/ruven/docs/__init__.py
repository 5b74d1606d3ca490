"""Generated documentation: the codebook, the datasheet, README sections and CITATION.cff.

Everything here is derived from ``datapackage.json``, ``schemas/*.json`` and the data, so it
cannot drift from them: ``ruven docs`` rewrites the files and ``ruven docs --check`` says
which ones differ. Never imports click, never prints, never exits; the CLI reference (which
needs click) is handed in by ``ruven.cli.docs`` as finished Markdown.

- :mod:`~ruven.docs.generate`: the driver (what is written where, ``--check``)
- :mod:`~ruven.docs.codebook`: the codebook and the README's data dictionary
- :mod:`~ruven.docs.figures`: the figures the datasheet quotes, from the data
- :mod:`~ruven.docs.datasheet`: the datasheet's tables
- :mod:`~ruven.docs.readme`: the README's generated sections and their markers
- :mod:`~ruven.docs.cff`: ``CITATION.cff``
- ``templates/``: the prose (Jinja2) of the codebook and the datasheet
"""

from __future__ import annotations

from ruven.docs.generate import DocsResult, GeneratedFile, generate_docs
from ruven.docs.templates import FIX_COMMAND
from ruven.errors import DocsError

__all__ = ["FIX_COMMAND", "DocsError", "DocsResult", "GeneratedFile", "generate_docs"]
