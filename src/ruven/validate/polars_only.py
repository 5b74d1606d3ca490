"""pandera's polars API, imported without pandas.

pandera imports pandas, and with it pyarrow, whenever pandas is installed (its top-level
``__init__``), and looks for pandas' frame types again at its first check
(``pandera.backends.register_checks``). ruven's pandera rules check polars frames only; pandas
is installed for Great Expectations and the Stata files, which run elsewhere (layer 3 in a child
process). Importing pandera as a polars-only install sees it (pandera supports that install,
GH #2387) saves about 80 MB of memory and 0.5-0.8 s on every ``ruven validate``. hypothesis,
which pandera's data synthesis imports where it is installed (a development install), is
answered missing the same way (50 ms); ruven does not synthesise data with pandera.

While pandera is imported and its first check backend is looked up, an import of ``pandas``
fails as it does where pandas is not installed; afterwards pandas imports as usual, for whoever
needs it. When pandas is imported already (``--watch`` keeps Great Expectations in the process),
or the polars-only import fails in a way pandera does not expect, pandera is imported as usual.
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
from typing import Any

_LOCK = threading.Lock()
#: pandera.polars once fully imported (``sys.modules`` holds a module before its import ends,
#: and the checks across rows may ask from a second thread meanwhile)
_MODULE: list[Any] = []


#: modules pandera imports where installed that ruven's rules do not use: pandas (see above),
#: and hypothesis, which a development install has, for pandera's data synthesis (50 ms)
MISSING = ("pandas", "hypothesis")


class _NoPandas(importlib.abc.MetaPathFinder):
    """An import finder that answers ``pandas`` and ``hypothesis`` (and their submodules) as
    missing."""

    def __init__(self) -> None:
        #: (one imported already, hypothesis in the tests, stays whole)
        self.missing = {name for name in MISSING if name not in sys.modules}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname.split(".", 1)[0] in self.missing:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


def pandera_polars() -> Any:
    """``pandera.polars``, imported without pandas where pandas is not imported yet."""
    if _MODULE:
        return _MODULE[0]
    with _LOCK:
        if not _MODULE:
            _MODULE.append(_import())
        return _MODULE[0]


def _import() -> Any:
    if "pandas" in sys.modules or "pandera" in sys.modules:
        import pandera.polars

        return pandera.polars
    finder: _NoPandas | None = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        import pandera.polars

        _prime_backend_lookup()
        _import_builtin_checks()
    except Exception:  # noqa: BLE001 - a pandera that needs pandas after all: import it as usual
        for name in [m for m in sys.modules if m == "pandera" or m.startswith("pandera.")]:
            del sys.modules[name]
        sys.meta_path.remove(finder)
        finder = None
        import pandera.polars
    finally:
        if finder is not None:
            sys.meta_path.remove(finder)
    return pandera.polars


def _import_builtin_checks() -> None:
    """pandera imports its polars checks (and with them its data synthesis) at its first check:
    import them now, while hypothesis is missing too."""
    try:
        import pandera.backends.polars.builtin_checks  # noqa: F401
    except ImportError:  # pragma: no cover - another pandera layout
        return


def _prime_backend_lookup() -> None:
    """pandera looks for pandas' frame types at its first check and keeps the answer: ask now,
    while pandas is missing (a pandera without this lookup needs no priming)."""
    try:
        from pandera.backends import register_checks
    except ImportError:  # pragma: no cover - another pandera layout
        return
    lookup = getattr(register_checks, "_load_get_backend_types_from_mro", None)
    if callable(lookup):
        lookup()
