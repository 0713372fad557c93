"""Progress while a large file is read: a line rewritten in place on a terminal, otherwise a
plain line every few seconds (a log file gets a handful of lines, not hundreds)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["MIN_PROGRESS_BYTES", "ReadProgress"]

# Files smaller than this are read in well under a second: no progress for them.
MIN_PROGRESS_BYTES = 32 << 20


def _megabytes(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:,.0f} MB" if n_bytes >= 1e7 else f"{n_bytes / 1e6:.1f} MB"


class ReadProgress:
    """Report how much of a file has been read, on ``stream`` (a text file, e.g. stderr).

    Parameters
    ----------
    label : str
        What is read, e.g. the file's name.
    total_bytes : int
        The file's size.
    stream : text file
        Where to write; on a terminal one line is rewritten every ``interval`` seconds
        (0.2 by default), otherwise a line is written every ``interval`` seconds (5 by default).
    """

    def __init__(
        self, label: str, total_bytes: int, stream: Any, *, interval: float | None = None
    ) -> None:
        self.label = label
        self.total_bytes = max(int(total_bytes), 1)
        self.stream = stream
        isatty = getattr(stream, "isatty", None)
        self.terminal = bool(isatty()) if callable(isatty) else False
        self.interval = interval if interval is not None else (0.2 if self.terminal else 5.0)
        self.start = time.monotonic()
        self._last = self.start
        self._shown = False

    def update(self, done_bytes: int) -> None:
        """Note that ``done_bytes`` have been read; write a line if one is due."""
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        fraction = min(done_bytes / self.total_bytes, 1.0)
        text = (
            f"reading {self.label}: {fraction:4.0%} of {_megabytes(self.total_bytes)}, "
            f"{now - self.start:.0f} s"
        )
        self._write(text)

    def follow(self, position: Callable[[], int]) -> None:
        """Call ``position()`` (bytes read so far) from a background thread, and report it,
        until :meth:`finish` or :meth:`stop`. The reader itself runs undisturbed (pyarrow's
        multithreaded reader has no progress callback of its own)."""
        self._stop = threading.Event()

        def run() -> None:
            while not self._stop.wait(min(self.interval, 0.5)):
                try:
                    done = position()
                except Exception:  # the file was closed under us: the read is over
                    return
                self.update(done)

        self._thread = threading.Thread(target=run, name="sigmanet-read-progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop following (the read ended, or failed)."""
        stop = getattr(self, "_stop", None)
        if stop is not None:
            stop.set()
            self._thread.join()

    def finish(self, n_rows: int, n_columns: int) -> None:
        """Stop following and write the closing line (if a progress line was written)."""
        self.stop()
        if not self._shown:
            return
        seconds = time.monotonic() - self.start
        self._write(
            f"read {self.label}: {n_rows:,} rows x {n_columns} columns "
            f"({_megabytes(self.total_bytes)}) in {seconds:.1f} s",
            final=True,
        )

    def _write(self, text: str, *, final: bool = False) -> None:
        self._shown = True
        if self.terminal:
            self.stream.write("\r\x1b[2K" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
