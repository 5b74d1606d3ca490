"""The bytes of a big table, read a block of whole records at a time for
:func:`ruven.validate.tables.parts`: each block is read in a second thread while the part
before is checked (:class:`Ahead`), into the same memory each time (:class:`Reader`), and cut
after its last whole record (:func:`records`), with the counts of bytes that tell the parts'
reader whether polars read it as the exact reader would. With ``scan``, each block's bytes are
checked as they are read (:func:`clean`), for the preflight."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from ruven.validate.background import InThread

#: Below this many bytes, :func:`count_bytes` uses ``bytes.count``.
SMALL_BYTES = 1 << 20
#: Bytes compared at once by :func:`count_bytes`: the masks of a slice (a bit a byte) are made
#: in the memory of the slice before, where a mask of the whole block took pages the kernel
#: had to fault in (53,000 faults at 1M rows per table, one in nine of the run's)
COUNT_SLICE = 4 << 20


def count_bytes(data: bytes, needles: bytes, end: int | None = None) -> list[int]:
    """How often each byte of ``needles`` occurs in ``data[:end]``. A big buffer is compared
    in place by polars (through numpy's zero-copy view of the bytes), every needle in one
    query on every core, a slice at a time: three counts of 32 MiB take 4-6 ms this way and
    33-35 ms with ``bytes.count``."""
    n = len(data) if end is None else end
    if n < SMALL_BYTES:
        return [data.count(needles[i : i + 1], 0, n) for i in range(len(needles))]
    import numpy as np
    import polars as pl

    counts = [0] * len(needles)
    for at in range(0, n, COUNT_SLICE):
        frame = pl.DataFrame({"b": pl.Series(np.frombuffer(data, dtype=np.uint8, count=min(COUNT_SLICE, n - at), offset=at))})
        for i, c in enumerate(frame.select((pl.col("b") == byte).sum().alias(str(i)) for i, byte in enumerate(needles)).row(0)):
            counts[i] += int(c)
    return counts


class BadBytes(Exception):
    """Bytes of a big table that the preflight left to :func:`ruven.validate.tables.parts`
    (``scan``) hold a NUL byte or are not UTF-8: the preflight must scan the file and report
    it (see :class:`ruven.validate.preflight.LateScan`)."""


class Ahead:
    """The blocks of :func:`records`, each read in a second thread (``fetch``) while the part
    before is checked, once that part was parsed and its block let go: memory holds one block
    at a time, and the read (0.25 s at 1M rows per table, and its counts of bytes 0.2 s of
    CPU) leaves the checks' way. Not threaded (``RUVEN_THREADS=1``), the block is read at
    once."""

    def __init__(self, blocks: Iterator[Block]) -> None:
        self._blocks = blocks
        self._next: InThread[Block | None] | None = None

    def fetch(self) -> None:
        if self._next is None:
            self._next = InThread(lambda: next(self._blocks, None), "ruven-read")

    def take(self) -> Block | None:
        self.fetch()
        assert self._next is not None
        block, self._next = self._next.result(), None
        return block

    def close(self) -> None:
        """Wait for a block being read (the file closes after)."""
        if self._next is not None:
            self._next.wait()


#: what :func:`records` yields: (block, end, line breaks, commas, (end, quotes) or None)
Block = tuple[bytes, int, int, int, "tuple[int, int] | None"]


def records(fh: Any, size: int, scan: bool = False) -> Iterator[Block]:
    """Runs of whole records of about ``size`` bytes, from where ``fh`` stands, each read once,
    as ``(block, end, line breaks, commas, plain)``: ``block[:end]`` are whole records, ending at
    a line break outside quotes (an even number of quotes before it since the start of the run),
    with their counts of line breaks and commas, and ``plain``, (end, quotes), where they hold no
    carriage return (for :func:`ruven.validate.tables._lengths_rule_out_short`); ``block[end:]`` is the start of the next record, read
    again with the next run (a copy of ``block[:end]`` would cost as much as the read, and a
    second read of it did: 0.7 s at 1M rows per table). With ``scan``, each run's bytes are
    checked as :func:`clean` does, in the thread that reads them."""
    start = fh.tell()
    want = size
    reader = Reader(fh)
    while True:
        fh.seek(start)
        data = reader.read(want)
        end = len(data)
        if end < want:  # the end of the file: the rest is whole records
            if data:
                counts = count_bytes(data, NEEDLES)
                if scan and not _clean(data, end, counts):
                    raise BadBytes(fh.name)
                yield data, end, counts[1], counts[2], _plain(end, counts)
            return
        counted = 0  # (counts are those of data[:counted])
        while True:
            end = data.rfind(b"\n", 0, end) + 1
            if end == 0:
                break
            # an odd count of quotes: the line break before is tried, and only the bytes between
            # the two are counted again (not the whole block)
            counts = [c - data.count(NEEDLES[i : i + 1], end, counted) for i, c in enumerate(counts)] if counted else count_bytes(data, NEEDLES, end)
            counted = end
            if counts[0] % 2 == 0:
                break
            end -= 1
        if end == 0:  # one record longer than the block: read more at once
            want *= 2
            continue
        if scan and not _clean(data, end, counts):
            raise BadBytes(fh.name)
        start += end
        want = size
        yield data, end, counts[1], counts[2], _plain(end, counts)
        del data


#: the bytes :func:`records` counts in a block, in one pass: quotes, line breaks, commas,
#: carriage returns and NUL bytes (the last two were each a scan of their own, holding
#: Python's lock)
NEEDLES = b'"\n,\r\x00'


def _plain(end: int, counts: list[int]) -> tuple[int, int] | None:
    return None if counts[3] else (end, counts[0])


def _clean(data: bytes, end: int, counts: list[int]) -> bool:
    """:func:`clean`, with the NUL bytes of ``data[:end]`` counted already."""
    return not counts[4] and _utf8(data, end)


#: bytes decoded at once by :func:`clean` (a str of a 32 MiB block would hold up to 128 MiB)
DECODE_BYTES = 1 << 20


def clean(data: bytes, end: int) -> bool:
    """Whether ``data[:end]`` holds no NUL byte and is UTF-8 that ends with a whole character.
    ASCII is told at once; other text is decoded a slice at a time, and the text let go."""
    return data.find(b"\x00", 0, end) < 0 and _utf8(data, end)


def _utf8(data: bytes, end: int) -> bool:
    """Whether ``data[:end]`` is UTF-8 that ends with a whole character."""
    import codecs

    if data.isascii():
        return True
    view = memoryview(data)[:end]
    at = 0
    try:
        while at < end:
            last = at + DECODE_BYTES >= end
            _, used = codecs.utf_8_decode(view[at : at + DECODE_BYTES], "strict", last)
            if last:
                break
            if not used:  # (a slice shorter than one character: not with DECODE_BYTES of 4 or more)
                return False
            at += used
    except UnicodeDecodeError:
        return False
    finally:
        view.release()
    return True


class Reader:
    """Blocks of an unbuffered file read into the same memory each time: a fresh ``bytes`` of
    32 MiB costs the kernel a page fault for each of its 8,192 pages, and a copy into memory
    that no cache holds (0.6-0.7 s of system time at 1M rows per table, against 0.25 s). The
    memory is an ``io.BytesIO``'s: the file is read into its buffer (``getbuffer``), and
    ``getvalue`` hands that buffer out as ``bytes`` without a copy. A block still held when the
    next is read stays as it was: the ``BytesIO`` then copies its buffer before it is written
    (only slower)."""

    def __init__(self, fh: Any) -> None:
        self._fh = fh
        self._memory: io.BytesIO | None = None
        self._size = 0

    def read(self, n: int) -> bytes:
        """``n`` bytes from where the file stands, fewer only at its end (a read of the
        operating system may return fewer; then it reads on)."""
        memory = self._memory
        if memory is None or self._size != n:
            memory = self._memory = io.BytesIO(bytes(n))
            self._size = n
        got = 0
        with memory.getbuffer() as view:
            while got < n:
                with view[got:] as rest:
                    more = self._fh.readinto(rest)
                if not more:
                    break
                got += more
        if got < n:  # the end of the file: its memory is not read into again
            self._memory = None
            memory.truncate(got)
        return memory.getvalue()
