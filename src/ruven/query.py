"""The query layer, kept as an importable name for users: everything lives in :mod:`ruven.db`."""

from __future__ import annotations

from ruven.db import *  # noqa: F403
from ruven.db import __all__  # noqa: F401
