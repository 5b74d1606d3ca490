"""One call run in a second thread while the caller goes on: polars (and so most of each
check) runs without Python's GIL, so the two overlap on two cores. ``RUVEN_THREADS=1`` runs
every call in the caller's thread, at once."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


def threaded() -> bool:
    """Whether calls may run in a second thread (not with ``RUVEN_THREADS=1``)."""
    return os.environ.get("RUVEN_THREADS") != "1"


class InThread(Generic[T]):
    """``fn()`` in a second thread (at once in this one, not :func:`threaded`); :meth:`result`
    waits for it and returns what it returned, or raises what it raised."""

    def __init__(self, fn: Callable[[], T], name: str) -> None:
        self._got: list[tuple[bool, object]] = []
        self._thread: threading.Thread | None = None
        if threaded():
            self._thread = threading.Thread(target=self._run, args=(fn,), name=name, daemon=True)
            self._thread.start()
        else:
            self._run(fn)

    def _run(self, fn: Callable[[], T]) -> None:
        try:
            self._got.append((True, fn()))
        except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread by result()
            self._got.append((False, exc))

    def wait(self) -> None:
        """Wait for the call, whatever it did."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def result(self) -> T:
        self.wait()
        ok, value = self._got[0]
        if not ok:
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]
