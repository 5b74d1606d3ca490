"""Digests that name what ruven's caches keep: ruven's own code with the libraries' versions, and
every byte of a file (:mod:`ruven.validate.cache`, :mod:`ruven.db.kept`)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path


def update_file(h: hashlib._Hash, path: Path) -> None:
    """Every byte of the file at ``path`` into ``h`` (a file that cannot be read is a marker)."""
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        h.update(b"<missing>")
    h.update(b"\0")


@lru_cache(maxsize=4)
def code_and_libraries(libraries: tuple[str, ...]) -> bytes:
    """Digest of ruven's code and the versions of ``libraries``, taken once per process: it is the
    code this process runs (a file edited while ``ruven validate --watch`` runs is not loaded, so
    it must not count either)."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256()
    code = Path(__file__).resolve().parent
    for path in sorted(code.rglob("*.py")):
        h.update(str(path.relative_to(code)).encode())
        update_file(h, path)
    for lib in libraries:
        try:
            h.update(f"{lib}={version(lib)}\0".encode())
        except PackageNotFoundError:
            h.update(f"{lib}=?\0".encode())
    return h.digest()
