"""Read the data package's descriptor and Table Schemas (plain JSON; no heavy imports).

The JSON in ``datapackage.json`` and ``schemas/`` is the single source of truth: every
other part of ruven (validation layers, DuckDB types, codebook, ``ruven add`` prompts)
asks this module for fields, keys and references instead of keeping its own list.

Parts: :mod:`ruven.package.model` (descriptor, resources), :mod:`ruven.package.paths` (the one resolver of every path the
package names, and the bounded reader), :mod:`ruven.package.fields` (a field
and its ``x-ruven`` conventions), :mod:`ruven.package.dates` (EDTF dates and their bounds).
"""

from __future__ import annotations

from ruven.package.dates import PARTIAL_DATE_RE, date_bounds, date_problem
from ruven.package.fields import ID_LIST, PARTIAL_DATE, TOTALS_FLAG, Field, ForeignKey
from ruven.package.model import DESCRIPTOR, DataPackage, Resource, find_package

__all__ = [
    "DESCRIPTOR",
    "ID_LIST",
    "PARTIAL_DATE",
    "PARTIAL_DATE_RE",
    "TOTALS_FLAG",
    "DataPackage",
    "Field",
    "ForeignKey",
    "Resource",
    "date_bounds",
    "date_problem",
    "find_package",
]
