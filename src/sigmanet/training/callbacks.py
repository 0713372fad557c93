"""Hooks into the fit loop: the callback protocol and the callbacks sigmanet ships.

:func:`sigmanet.training.train` calls a :class:`~sigmanet.training.Callback`'s hooks before
the first epoch, after every optimizer step, after every epoch (where returning ``True`` stops
training) and once at the end.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from sigmanet.constraints import Interval, Options, check
from sigmanet.network import Sequential

if TYPE_CHECKING:
    from sigmanet.training.loop import History

__all__ = [
    "Callback",
    "EarlyStopping",
    "IterationPrinter",
    "LambdaCallback",
    "ProgressBar",
    "progress_callbacks",
]


class Callback:
    """Hooks called by :func:`train`. Return ``True`` from an epoch hook to stop training.

    ``logs`` holds ``epoch``, ``loss`` and, when validation data is given,
    ``validation_loss``; batch logs hold ``epoch``, ``batch``, ``loss`` and ``batch_size``.
    ``network`` is the model being trained (its ``grads`` are fresh at ``on_batch_end``).
    """

    def on_train_begin(self, network: Sequential) -> None:
        """Called once before the first epoch."""

    def on_batch_end(self, network: Sequential, logs: dict[str, Any]) -> None:
        """Called after every optimizer step."""

    def on_epoch_end(self, network: Sequential, logs: dict[str, Any]) -> bool | None:
        """Called after every epoch; return ``True`` to stop."""
        return None

    def on_train_end(self, network: Sequential, history: History) -> None:
        """Called once after the last epoch."""

    @property
    def hears_batches(self) -> bool:
        """Whether :meth:`on_batch_end` does anything. The loop calls it only for callbacks
        that do, and a compiled epoch (:mod:`sigmanet.engine`) runs only when none does."""
        return type(self).on_batch_end is not Callback.on_batch_end


class LambdaCallback(Callback):
    """A callback from plain functions, e.g. ``LambdaCallback(on_epoch_end=print_loss)``."""

    def __init__(
        self,
        on_epoch_end: Callable[[Sequential, dict[str, Any]], bool | None] | None = None,
        on_batch_end: Callable[[Sequential, dict[str, Any]], None] | None = None,
    ) -> None:
        self._epoch = on_epoch_end
        self._batch = on_batch_end

    def on_batch_end(self, network: Sequential, logs: dict[str, Any]) -> None:
        if self._batch is not None:
            self._batch(network, logs)

    @property
    def hears_batches(self) -> bool:
        return self._batch is not None

    def on_epoch_end(self, network: Sequential, logs: dict[str, Any]) -> bool | None:
        return self._epoch(network, logs) if self._epoch is not None else None


class EarlyStopping(Callback):
    """Stop when the monitored quantity has not improved for more than ``patience`` epochs.

    The one "no improvement for n epochs" rule of sigmanet, with scikit-learn's semantics
    (its MLP's ``n_iter_no_change``/``tol``, on the training loss or the validation score).
    For ``mode="min"`` (losses) an epoch *misses* when ``value > best - min_delta``; for
    ``mode="max"`` (scores) when ``value < best + min_delta``; any other epoch resets the count
    of misses. ``best`` follows every strictly better value (``value < best``, resp.
    ``value > best``), and with ``restore_best_weights`` the parameters of that epoch are kept
    and copied back when training ends. After more than ``patience`` misses in a row training
    stops, unless ``on_plateau`` acts instead.

    So ``patience=10`` is scikit-learn's MLP rule for ``n_iter_no_change=10`` (it stops after
    11 epochs without improvement), and ``patience=n - 1`` the rule of its ``SGDClassifier``
    (which stops after ``n``).

    Parameters
    ----------
    monitor : str, default="validation_loss"
        A key of the epoch logs: ``"validation_loss"``, ``"loss"``, or a metric another
        callback puts there (e.g. the estimators' ``"validation_score"``).
    patience : int or numpy.inf, default=10
        Misses in a row tolerated; ``numpy.inf`` never stops.
    min_delta : float, default=0.0
        How much better than ``best`` an epoch must be not to miss (scikit-learn's ``tol``).
    mode : {"min", "max"}, default="min"
        Whether smaller or larger is better.
    restore_best_weights : bool, default=True
        Copy the best epoch's parameters back at the end.
    best : float, optional
        The best value so far, when continuing an earlier run (a warm start); by default
        ``inf`` for ``"min"`` and ``-inf`` for ``"max"``.
    on_plateau : callable, optional
        Called (without arguments) when patience runs out. If it returns True it has acted
        (scikit-learn's ``learning_rate="adaptive"`` divides the step by 5): the count of
        misses starts again and training goes on. Otherwise training stops.

    Attributes
    ----------
    best : float
        The best value seen.
    best_epoch : int or None
        The epoch (as counted in the logs) of ``best``, None before any improvement.
    wait : int
        Misses in a row.
    stopped : bool
        Whether this rule stopped training.
    """

    def __init__(
        self,
        monitor: str = "validation_loss",
        patience: float = 10,
        min_delta: float = 0.0,
        mode: str = "min",
        restore_best_weights: bool = True,
        best: float | None = None,
        on_plateau: Callable[[], bool] | None = None,
    ) -> None:
        check("mode", mode, [Options("min", "max")], owner="EarlyStopping")
        check(
            "patience",
            patience,
            [Interval("integer", 0, None), Options(math.inf, label="numpy.inf")],
            owner="EarlyStopping",
        )
        check("min_delta", min_delta, [Interval("real", 0, None)], owner="EarlyStopping")
        self.monitor = monitor
        self.patience = patience if patience == math.inf else int(patience)
        self.min_delta = float(min_delta)
        self.mode = mode
        self.restore_best_weights = bool(restore_best_weights)
        self.on_plateau = on_plateau
        if best is None:
            best = math.inf if mode == "min" else -math.inf
        self.best: float = float(best)
        self.best_epoch: int | None = None
        self.wait = 0
        self.stopped = False
        self._best_params: list[np.ndarray] | None = None

    def on_train_begin(self, network: Sequential) -> None:
        self.wait = 0
        self.stopped = False

    def _misses(self, value: float) -> bool:
        # written as scikit-learn writes it, so that NaN compares as it does there
        if self.mode == "min":
            return value > self.best - self.min_delta
        return value < self.best + self.min_delta

    def _better(self, value: float) -> bool:
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, network: Sequential, logs: dict[str, Any]) -> bool:
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which this training run does not "
                f"record; available: {', '.join(sorted(logs))}. (validation_loss needs "
                "validation data.)"
            )
        value = float(logs[self.monitor])
        self.wait = self.wait + 1 if self._misses(value) else 0
        if self._better(value):
            self.best = value
            self.best_epoch = int(logs["epoch"])
            if self.restore_best_weights:
                self._keep(network.parameters())
        if self.wait <= self.patience:
            return False
        if self.on_plateau is not None and self.on_plateau():
            self.wait = 0
            return False
        self.stopped = True
        return True

    def _keep(self, params: list[np.ndarray]) -> None:
        if self._best_params is None or len(self._best_params) != len(params):
            self._best_params = [p.copy() for p in params]
        else:
            for saved, p in zip(self._best_params, params, strict=True):
                np.copyto(saved, p)

    def restore(self, network: Sequential) -> None:
        """Copy the best epoch's parameters back (if any were kept)."""
        if self.restore_best_weights and self._best_params is not None:
            for p, saved in zip(network.parameters(), self._best_params, strict=True):
                np.copyto(p, saved)

    def on_train_end(self, network: Sequential, history: History) -> None:
        history.best_epoch = self.best_epoch
        self.restore(network)


class ProgressBar(Callback):
    """A terminal progress bar (rich, on stderr): the epoch, the loss, the validation results.

    Parameters
    ----------
    total_epochs : int
        The most epochs the run can take (the bar's length; shortened if it stops early).
    """

    def __init__(self, total_epochs: int) -> None:
        self.total_epochs = total_epochs
        self._progress: Any = None
        self._task: Any = None

    def on_train_begin(self, network: Sequential) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        console = Console(file=sys.stderr)
        self._progress = Progress(
            TextColumn("epoch"),
            MofNCompleteColumn(),
            BarColumn(),
            TextColumn("{task.fields[status]}"),
            console=console,
            transient=False,
        )
        self._task = self._progress.add_task("fit", total=self.total_epochs, status="")
        self._progress.start()

    def on_epoch_end(self, network: Sequential, logs: dict[str, Any]) -> bool | None:
        status = f"loss {logs['loss']:.6f}"
        if "validation_loss" in logs:
            status += f"  val loss {logs['validation_loss']:.6f}"
        if "validation_score" in logs:
            status += f"  val score {logs['validation_score']:.4f}"
        self._progress.update(self._task, advance=1, status=status)
        if not self._progress.console.is_terminal:
            self._progress.console.print(f"epoch {int(logs['epoch']) + 1}: {status}")
        return None

    def on_train_end(self, network: Sequential, history: History) -> None:
        self._progress.update(self._task, total=self._progress.tasks[0].completed)
        self._progress.stop()


class IterationPrinter(Callback):
    """scikit-learn's ``verbose`` output: ``Iteration n, loss = ...`` on stdout after each epoch
    (and ``Validation score: ...`` when the logs hold ``validation_score``)."""

    def __init__(self, first_iteration: int = 1) -> None:
        self.iteration = first_iteration

    def on_epoch_end(self, network: Sequential, logs: dict[str, Any]) -> bool | None:
        print(f"Iteration {self.iteration}, loss = {logs['loss']:.8f}")
        if "validation_score" in logs:
            print(f"Validation score: {logs['validation_score']:f}")
        self.iteration += 1
        return None


def progress_callbacks(verbose: Any, total_epochs: int) -> list[Callback]:
    """What an estimator's ``verbose`` asks for: nothing (``0``/``False``), scikit-learn's
    printed lines (``True`` or an int > 0: :class:`IterationPrinter`) or a progress bar
    (``"progress"``: :class:`ProgressBar`)."""
    if isinstance(verbose, str) and verbose == "progress":
        return [ProgressBar(total_epochs)]
    return [IterationPrinter()] if verbose else []
