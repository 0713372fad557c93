"""Training progress on stderr, and a stop asked for by Ctrl-C, as one training callback.

On a terminal a progress bar (rich) shows the epoch, the loss and the validation figures.
Elsewhere (a log file, a pipe, CI) the same figures are plain lines, not one per epoch: the first
epoch, every ``ceil(total / 20)``-th and the last, so at most about 21 lines whatever the
number of epochs.
"""

from __future__ import annotations

import math
from typing import Any

from sigmanet.cli._output import _fmt
from sigmanet.training import Callback

__all__ = ["TrainingMonitor"]

#: at most this many periodic lines (plus the last epoch's) when stderr is not a terminal
MAX_LINES = 20


class TrainingMonitor(Callback):
    """Shows progress (unless ``show`` is False) and stops training once :meth:`stop` was called.

    Parameters
    ----------
    total_epochs : int
        The most epochs the fit may run (``max_iter``).
    stream : file
        Where progress goes (stderr).
    show : bool
        Whether to show progress at all.
    """

    def __init__(self, total_epochs: int, stream: Any, show: bool) -> None:
        self.total_epochs = max(int(total_epochs), 1)
        self.stream = stream
        self.show = show
        self.every = math.ceil(self.total_epochs / MAX_LINES)
        self.terminal = bool(getattr(stream, "isatty", lambda: False)())
        self.epochs = 0
        self.stopped = False
        self._printed = 0
        self._status = ""
        self._bar: Any = None
        self._task: Any = None

    def stop(self) -> None:
        """Ask training to stop at the end of the current epoch."""
        self.stopped = True

    def on_train_begin(self, network: Any) -> None:
        if self.show and self.terminal:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("epoch"),
                MofNCompleteColumn(),
                BarColumn(),
                TextColumn("{task.fields[status]}"),
                console=Console(file=self.stream),
            )
            self._task = self._bar.add_task("fit", total=self.total_epochs, status="")
            self._bar.start()

    def on_epoch_end(self, network: Any, logs: dict[str, Any]) -> bool:
        self.epochs = int(logs["epoch"]) + 1
        self._status = status_text(logs)
        if self._bar is not None:
            self._bar.update(self._task, completed=self.epochs, status=self._status)
        elif self.show and (self.epochs == 1 or self.epochs % self.every == 0):
            self._line()
        return self.stopped

    def on_train_end(self, network: Any, history: Any) -> None:
        if self._bar is not None:
            self._bar.update(self._task, total=self.epochs, completed=self.epochs)
            self._bar.stop()
        elif self.show and self.epochs and self._printed != self.epochs:
            self._line()

    def _line(self) -> None:
        width = len(str(self.total_epochs))
        print(f"epoch {self.epochs:>{width}}/{self.total_epochs}  {self._status}", file=self.stream)
        self.stream.flush()
        self._printed = self.epochs


def status_text(logs: dict[str, Any]) -> str:
    """An epoch's figures for reading: ``loss 0.3466  validation loss 0.41  ...`` (6 digits)."""
    parts = [f"loss {_fmt(float(logs['loss']))}"]
    if "validation_loss" in logs:
        parts.append(f"validation loss {_fmt(float(logs['validation_loss']))}")
    if "validation_score" in logs:
        parts.append(f"validation score {_fmt(float(logs['validation_score']))}")
    return "  ".join(parts)
