"""Where a CSV file's records are: their line numbers, an unclosed quote, an over-long record.

pyarrow's multithreaded reader does not know the line a row came from, so messages that name
one find it afterwards, in one pass over the file in blocks (vectorised, memory bounded by the
block). A record ends at a line break outside quotes: with quotes escaped by doubling
(RFC 4180), a line break is outside quotes exactly when the number of quote characters before
it is even, so the record boundaries are the line breaks at which that count is even. Empty
lines are skipped, as the reader skips them. Record 0 is the header; data row ``i`` (from 0)
is record ``i + 1``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["RecordScan", "scan_records"]

_NEWLINE, _QUOTE, _RETURN = 10, 34, 13


@dataclass
class RecordScan:
    """What :func:`scan_records` found.

    Attributes
    ----------
    lines : dict
        Record index -> the line (from 1) on which it starts, for the records asked for.
    n_records : int
        Non-empty records, the header included.
    open_quote_line : int or None
        The line on which a quoted field starts that is never closed.
    long_record : tuple of (int, int) or None
        ``(line, bytes)`` of the first record longer than the limit.
    """

    lines: dict[int, int] = field(default_factory=dict)
    n_records: int = 0
    open_quote_line: int | None = None
    long_record: tuple[int, int] | None = None


def scan_records(
    path: str | Path,
    records: Iterable[int] = (),
    *,
    max_record_bytes: int | None = None,
    block_bytes: int = 16 << 20,
) -> RecordScan:
    """Scan a CSV file (compressed ones too) for the start lines of ``records`` and problems.

    Parameters
    ----------
    path : str or path-like
    records : iterable of int
        Record indices (0 is the header) whose start lines are wanted.
    max_record_bytes : int, optional
        Report the first record longer than this many bytes.
    block_bytes : int
        Bytes read at a time; memory is a small multiple of it.
    """
    import pyarrow

    wanted = np.unique(np.fromiter(records, dtype=np.int64))
    scan = RecordScan()
    parity = 0  # quote characters seen so far, modulo 2
    newlines = 0  # line breaks before the current block
    offset = 0  # the current block's first byte in the file
    start_pos, start_line = 0, 1  # where the record being read began
    last_byte = _NEWLINE
    with pyarrow.input_stream(str(path), compression="detect") as stream:
        while True:
            block = stream.read(block_bytes)
            if not block:
                break
            buf = np.frombuffer(block, dtype=np.uint8)
            breaks = np.flatnonzero(buf == _NEWLINE)
            quotes = np.flatnonzero(buf == _QUOTE)
            outside = ((parity + np.searchsorted(quotes, breaks)) & 1) == 0
            ends = breaks[outside]
            if ends.size:
                numbers = newlines + 1 + np.flatnonzero(outside)  # which line break, from 1
                ends_global = offset + ends
                begins = np.concatenate(([start_pos], ends_global[:-1] + 1))
                begin_lines = np.concatenate(([start_line], numbers[:-1] + 1))
                lengths = ends_global - begins
                before = np.where(ends > 0, buf[np.maximum(ends - 1, 0)], last_byte)
                empty = (lengths == 0) | ((lengths == 1) & (before == _RETURN))
                _note(scan, wanted, begin_lines, lengths, empty, max_record_bytes)
                start_pos, start_line = int(ends_global[-1]) + 1, int(numbers[-1]) + 1
            parity = (parity + quotes.size) & 1
            newlines += breaks.size
            offset += buf.size
            last_byte = int(buf[-1])
    length = offset - start_pos
    if length > 0 and not (length == 1 and last_byte == _RETURN):
        _note(
            scan,
            wanted,
            np.array([start_line]),
            np.array([length]),
            np.array([False]),
            max_record_bytes,
        )
    if parity:
        scan.open_quote_line = start_line
    return scan


def _note(
    scan: RecordScan,
    wanted: np.ndarray,
    begin_lines: np.ndarray,
    lengths: np.ndarray,
    empty: np.ndarray,
    max_record_bytes: int | None,
) -> None:
    kept_lines = begin_lines[~empty]
    first = scan.n_records
    scan.n_records += kept_lines.size
    if max_record_bytes is not None and scan.long_record is None:
        long = np.flatnonzero(lengths > max_record_bytes)
        if long.size:
            scan.long_record = (int(begin_lines[long[0]]), int(lengths[long[0]]))
    inside = wanted[(wanted >= first) & (wanted < scan.n_records)]
    for record in inside.tolist():
        scan.lines[record] = int(kept_lines[record - first])
