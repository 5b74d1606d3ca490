"""The one typed DuckDB connection of the package and its research views.

- :mod:`ruven.db.types`: the one schema-to-DuckDB type mapping, casts, comments, EDTF bounds.
- :mod:`ruven.db.labels`: row labels and summaries from the schemas' resource-level ``x-ruven``.
- :mod:`ruven.db.views`: the research views, kept as ``.sql`` files in ``ruven/db/sql/``.
- :mod:`ruven.db.connection`: ``connect`` / ``load`` (typed tables, ``<table>_all``, live views,
  comments, ``package_info``, the sandbox).
- :mod:`ruven.db.run`: ``run`` and ``query`` (read-only statements unless allowed).
- :mod:`ruven.db.export`: the connection's relations as plain values (what every output holds).

Every output (query, charts, info, serve, the release files) reads the package through here.
"""

from __future__ import annotations

from ruven.db.connection import citation, connect, load, open_database
from ruven.db.labels import label_fields, label_text, summary_fields
from ruven.db.names import SOURCE_IDS, WITHDRAWN, all_table, ident, literal
from ruven.db.run import READ_ONLY_STATEMENTS, QueryResult, query, run
from ruven.db.types import TYPES, column_comment, duckdb_type, edtf_bounds, typed_columns
from ruven.db.views import View, views

__all__ = [
    "READ_ONLY_STATEMENTS",
    "SOURCE_IDS",
    "TYPES",
    "WITHDRAWN",
    "QueryResult",
    "View",
    "all_table",
    "citation",
    "column_comment",
    "connect",
    "duckdb_type",
    "edtf_bounds",
    "ident",
    "label_fields",
    "label_text",
    "literal",
    "load",
    "open_database",
    "query",
    "run",
    "summary_fields",
    "typed_columns",
    "views",
]
