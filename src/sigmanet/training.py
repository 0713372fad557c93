"""The fit loop: one loop for the three forms of gradient descent.

``batch_size`` chooses the form (see the documentation's theory page on gradient descent):

* ``None`` or ``"full"``: batch gradient descent (BGD), every step uses all m samples;
* ``1``: stochastic gradient descent (SGD), one sample per step in a random order;
* ``k``: mini-batch gradient descent (MBGD), k samples per step.

Each step is ``w ← w - η ∇w L`` (or the chosen optimizer's rule). Per epoch the samples are
shuffled once, into a buffer, from ``random_state``; the batches are contiguous slices of that
buffer. In steady state a step allocates no arrays: layers, the loss and the optimizer write
into buffers they keep.

Divergence
----------
This loop and :func:`sigmanet.line_search.train_line_search` apply one rule,
:class:`DivergenceRule` (:func:`train_lbfgs` needs none after a finite start: L-BFGS accepts only
steps that decrease the objective). Training has diverged when the loss of an epoch (the
objective of an iteration, for batch gradient descent)

* is not finite, or
* exceeds ``DIVERGENCE_FACTOR = 1e4`` times the *reference*
  ``max(loss at the start, loss of the zero output)``,

and then :class:`~sigmanet.exceptions.DivergenceError` is raised. The parameters are then the
last that the rule measured and passed: those at the start of the last epoch whose mean loss
passed (an epoch's mean measures the parameters it starts from and moves through), the last
iterate that passed for batch gradient descent, or those at the start.

Why this rule: a step size that diverges makes the loss grow geometrically (or, for Adam, whose
steps are bounded by η, by about η per step) until it overflows, and a finite loss ten thousand
times the reference means predictions far worse than predicting nothing, so no useful model is
lost by stopping there. The reference is measured before the first step, not in the first
epoch, because with a step far too large the first epoch is already ruined. The loss of the
zero output (``log 2`` per output for the binary cross-entropy from logits, ``log K`` for the
softmax cross-entropy, ``½ mean ‖y‖²`` for the squared error) keeps a near-perfect start (a
warm start) from making every later increase look like divergence. In this loop a non-finite
batch loss stops training at once; the finite test judges whole epochs, whose mean is not at
the mercy of one noisy batch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sigmanet import engine as _engine
from sigmanet._arrays import as_float_array, as_float_input, is_sparse
from sigmanet._threads import blas_threads_for, limit_blas_threads
from sigmanet.exceptions import DivergenceError, GradientOverflowError
from sigmanet.losses import BatchEvaluator, Loss
from sigmanet.network import Sequential
from sigmanet.optimizers import Optimizer

__all__ = [
    "DIVERGENCE_FACTOR",
    "BlockSums",
    "Callback",
    "DivergenceRule",
    "EarlyStopping",
    "FullBatchObjective",
    "History",
    "LambdaCallback",
    "block_sums",
    "minimize_lbfgs",
    "objective_from_sums",
    "train",
    "train_lbfgs",
]


@dataclass
class History:
    """What a call to :func:`train` recorded, one entry per epoch."""

    loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    epochs: int = 0
    steps: int = 0
    samples_seen: int = 0
    stopped_early: bool = False
    best_epoch: int | None = None
    divergence_reference: float = math.nan
    engine: str = "numpy"


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

    def on_epoch_end(self, network: Sequential, logs: dict[str, Any]) -> bool | None:
        return self._epoch(network, logs) if self._epoch is not None else None


class EarlyStopping(Callback):
    """Stop when the monitored quantity has not improved for ``patience`` epochs.

    Improvement means ``value < best - min_delta`` for losses (``mode="min"``) or
    ``value > best + min_delta`` for scores (``mode="max"``). With ``restore_best_weights``
    the parameters of the best epoch are copied back when training ends.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs: ``"validation_loss"`` (default), ``"loss"``, or a metric.
    patience : int
        Epochs without improvement tolerated before stopping.
    min_delta : float
        The least change that counts as an improvement.
    mode : {"min", "max"}
        Whether smaller or larger is better.
    restore_best_weights : bool
        Copy the best epoch's parameters back at the end.
    """

    def __init__(
        self,
        monitor: str = "validation_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        mode: str = "min",
        restore_best_weights: bool = True,
    ) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max'; got {mode!r}.")
        if patience < 0:
            raise ValueError(f"patience must be >= 0; got {patience!r}.")
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0; got {min_delta!r}.")
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = mode
        self.restore_best_weights = bool(restore_best_weights)
        self.best: float = math.inf if mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.wait = 0
        self.stopped = False
        self._best_params: list[np.ndarray] | None = None

    def on_train_begin(self, network: Sequential) -> None:
        self.wait = 0
        self.stopped = False

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, network: Sequential, logs: dict[str, Any]) -> bool:
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which this training run does not "
                f"record; available: {', '.join(sorted(logs))}. (validation_loss needs "
                "validation data.)"
            )
        value = float(logs[self.monitor])
        if self._improved(value):
            self.best = value
            self.best_epoch = int(logs["epoch"])
            self.wait = 0
            if self.restore_best_weights:
                params = network.parameters()
                if self._best_params is None or len(self._best_params) != len(params):
                    self._best_params = [p.copy() for p in params]
                else:
                    for saved, p in zip(self._best_params, params, strict=True):
                        np.copyto(saved, p)
            return False
        self.wait += 1
        self.stopped = self.wait > self.patience
        return self.stopped

    def on_train_end(self, network: Sequential, history: History) -> None:
        history.best_epoch = self.best_epoch
        if self.restore_best_weights and self._best_params is not None:
            for p, saved in zip(network.parameters(), self._best_params, strict=True):
                np.copyto(p, saved)


#: An epoch whose loss exceeds this many times the loss at the start has diverged.
DIVERGENCE_FACTOR = 1e4

#: Rows of the evenly spaced sample on which :func:`train` measures the loss at the start.
REFERENCE_ROWS = 4096

DIVERGENCE_ADVICE = (
    "Lower the learning rate, or standardise the inputs (e.g. with "
    "sklearn.preprocessing.StandardScaler)."
)


class DivergenceRule:
    """The divergence test of every solver (see the module docstring).

    A loss ``L`` has diverged when it is not finite or ``L > factor · reference``. A reference
    that is not a positive finite number (a start that is already non-finite, or a zero loss at
    both the start and the zero output) leaves only the finiteness test.

    Parameters
    ----------
    reference : float
        ``max(loss at the start, loss of the zero output)``: see :meth:`at_start`.
    factor : float
        ``DIVERGENCE_FACTOR`` by default.
    """

    def __init__(self, reference: float, factor: float = DIVERGENCE_FACTOR) -> None:
        self.reference = float(reference)
        self.factor = float(factor)
        judged = math.isfinite(self.reference) and self.reference > 0
        self.limit = self.factor * self.reference if judged else math.inf

    @classmethod
    def at_start(
        cls,
        network: Sequential,
        loss: Any,
        X: np.ndarray,
        y: np.ndarray,
        weight: np.ndarray | None,
        penalty: float = 0.0,
        block_rows: int = 256,
    ) -> DivergenceRule:
        """The rule whose reference is measured on ``(X, y, weight)`` at the current parameters.

        ``penalty`` is the L2 term ``½ (l2 / m) Σ‖W‖²`` at the start, added to the loss there.
        The rows go through in blocks of ``block_rows`` (a training batch's size), so that
        measuring takes no more memory than a training step.
        """
        n = X.shape[0]
        block_rows = max(1, min(int(block_rows), n))
        start = zero_output = total = 0.0
        zeros = scratch = None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for begin in range(0, n, block_rows):
                stop = min(begin + block_rows, n)
                w = None if weight is None else weight[begin:stop]
                share = float(stop - begin if w is None else np.sum(w, dtype=np.float64))
                if share <= 0:
                    continue
                output = network.predict(X[begin:stop])
                if zeros is None or scratch is None:
                    zeros = np.zeros((block_rows, *output.shape[1:]), output.dtype)
                    scratch = np.empty_like(zeros)
                rows, targets, grad = stop - begin, y[begin:stop], scratch[: stop - begin]
                start += share * float(loss.value_and_gradient(targets, output, w, out=grad)[0])
                value = loss.value_and_gradient(targets, zeros[:rows], w, out=grad)[0]
                zero_output += share * float(value)
                total += share
        if total <= 0:
            return cls(math.nan)
        return cls(max(start / total + penalty, zero_output / total))

    @classmethod
    def for_objective(cls, objective: FullBatchObjective, start: float) -> DivergenceRule:
        """The rule of a full-batch solver whose objective is ``start`` at the first point."""
        network = objective.network
        zeros = np.zeros((objective.X.shape[0], network.output_dim or 1), network.dtype)
        scratch = np.empty_like(zeros)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value = objective.loss.value_and_gradient(
                objective.y, zeros, objective.weight, out=scratch
            )[0]
        return cls(max(start, float(value)))

    def diverged(self, value: float) -> bool:
        """Whether the loss ``value`` has diverged."""
        return not value <= self.limit  # also true for NaN

    def reason(self, value: float, what: str = "the loss") -> str:
        """Why ``value`` has diverged, in words."""
        if not math.isfinite(value):
            return f"{what} became {value}"
        return (
            f"{what}, {value:.3g}, exceeds {self.factor:g} times {self.reference:.3g}, the "
            "larger of the loss at the start and the loss of a zero output"
        )


def _resolve_batch_size(batch_size: Any, n_samples: int) -> int:
    if batch_size is None or (isinstance(batch_size, str) and batch_size == "full"):
        return n_samples
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise ValueError(f"batch_size must be a positive int, None or 'full'; got {batch_size!r}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size}.")
    return min(int(batch_size), n_samples)


def _check_lengths(X: np.ndarray, y: np.ndarray, weight: np.ndarray | None, what: str) -> None:
    if X.ndim not in (2, 3):
        raise ValueError(
            f"{what} X must be 2-D (n_samples, n_features), or 3-D (n_samples, n_timesteps, "
            f"n_features) for recurrent networks; got shape {X.shape}."
        )
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{what} X and y have different numbers of samples: {X.shape[0]} and {y.shape[0]}."
        )
    if weight is not None and weight.shape != (X.shape[0],):
        raise ValueError(
            f"{what} sample_weight must have shape ({X.shape[0]},); got {weight.shape}."
        )


def train(
    network: Sequential,
    loss: Any,
    optimizer: Any,
    X: Any,
    y: Any,
    *,
    epochs: int = 10,
    batch_size: int | str | None = 32,
    shuffle: bool = True,
    random_state: Any = None,
    schedule: Any = None,
    sample_weight: Any = None,
    validation_data: tuple[Any, ...] | None = None,
    l2: float = 0.0,
    l2_scale: str = "batch",
    callbacks: Sequence[Callback] = (),
    initial_epoch: int = 0,
    samples_seen: int = 0,
    blas_threads: int | str | None = "auto",
    divergence_reference: float | None = None,
    engine: str = "auto",
) -> History:
    """Train ``network`` on ``(X, y)`` by gradient descent; return the :class:`History`.

    Parameters
    ----------
    network : Sequential
        A built network; its parameters are updated in place.
    loss : sigmanet.losses.Loss
        Provides ``value_and_gradient(y, output, sample_weight, out=)``.
    optimizer : sigmanet.optimizers.Optimizer
        Updates ``network.parameters()`` from ``network.gradients()``.
    X : array or scipy sparse matrix of shape (n_samples, n_features)
    y : array of shape (n_samples,) or (n_samples, n_outputs)
        Targets in the form ``loss`` expects (class indices, one-hot, values).
    epochs : int
        Passes over the data.
    batch_size : int, None or "full"
        ``None``/``"full"``: batch GD; ``1``: stochastic GD; ``k``: mini-batch GD.
    shuffle : bool
        Reshuffle the samples every epoch (from ``random_state``).
    random_state : int, Generator or None
        Seed of the shuffling.
    schedule : sigmanet.schedules.Schedule, optional
        Sets ``optimizer.learning_rate`` before every step from ``(epoch, step, samples_seen)``;
        its ``on_epoch_end(epoch, loss)`` hears each epoch's training loss.
    sample_weight : array of shape (n_samples,), optional
        Non-negative per-sample weights. The objective is ``Σ w_i ℓ_i / Σ w_i``; a batch B
        estimates its gradient without bias as ``Σ_B w_i ∇ℓ_i / (|B| · mean(w))``, so a weight
        counts at every batch size (a one-sample batch keeps its weight). Zero-weight samples
        are left out. The recorded batch loss is the batch's weighted mean.
    validation_data : (X_val, y_val) or (X_val, y_val, w_val), optional
        Evaluated after every epoch into ``history.validation_loss``.
    l2 : float
        L2 penalty ``(l2 / 2m) Σ‖W‖²`` on the weight matrices (biases are not penalised); its
        gradient ``(l2 / m) W`` is added to ∂L/∂W.
    l2_scale : {"batch", "dataset"}
        What ``m`` is: the batch's total sample weight, its size when unweighted (``"batch"``,
        scikit-learn's MLP ``alpha``), or the training set's total sample weight
        (``"dataset"``: every batch size then minimises the objective :func:`train_lbfgs`
        minimises, as the linear models need).
    callbacks : sequence of Callback
        Epoch and batch hooks; an :class:`EarlyStopping` among them can stop training.
    initial_epoch, samples_seen : int
        Where a previous call left off (for ``partial_fit`` and schedules).
    blas_threads : "auto", int or None
        BLAS threads while training. ``"auto"`` uses one when a step's largest matrix product
        is small (batch rows × the largest weight matrix's size under six million), where
        OpenBLAS's threads cost more than they gain (see ``sigmanet/_threads.py``), and leaves
        larger products alone; an int sets the count; None leaves it as it is.
    divergence_reference : float, optional
        The reference of the divergence rule (:class:`DivergenceRule`); None measures it at the
        start, on up to ``REFERENCE_ROWS`` evenly spaced rows. A caller continuing an earlier
        run (``partial_fit``) passes that run's ``history.divergence_reference``, so that a
        loss growing slowly over many short runs is still judged against the first start.
    engine : {"auto", "compiled", "numpy"}
        ``"auto"`` runs each epoch as one compiled call (:mod:`sigmanet.engine`) when the
        configuration allows it and numba is installed, and the NumPy loop otherwise;
        ``"compiled"`` insists (a ValueError says why it cannot); ``"numpy"`` never compiles.
        Both give the same results; ``history.engine`` says which ran.

    Raises
    ------
    DivergenceError
        At the first non-finite batch loss, or at the end of an epoch whose loss the divergence
        rule rejects (module docstring), naming the epoch and batch. The parameters are then
        those at the start of the last epoch whose loss passed the rule (or at the start).
        The error's ``history`` holds the epochs before the one that failed.
    """
    X = as_float_input(X, "X")
    y = np.asarray(y)
    weight = None if sample_weight is None else as_float_array(sample_weight, "sample_weight")
    _check_lengths(X, y, weight, "Training")
    n_samples = X.shape[0]
    if n_samples == 0:
        raise ValueError("Training data is empty: X has 0 samples.")
    if network.input_dim != X.shape[-1]:
        raise ValueError(
            f"X has {X.shape[-1]} features, but the network expects {network.input_dim}."
        )
    if int(epochs) != epochs or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer; got {epochs!r}.")
    if l2 < 0 or not math.isfinite(l2):
        raise ValueError(f"l2 must be a finite number >= 0; got {l2!r}.")
    if l2_scale not in ("batch", "dataset"):
        raise ValueError(f"l2_scale must be 'batch' or 'dataset'; got {l2_scale!r}.")
    _engine.check_engine(engine)
    dtype = network.dtype
    if X.dtype != dtype:
        X = X.astype(dtype)
    if y.dtype.kind == "f" and y.dtype != dtype:
        y = y.astype(dtype)
    mean_weight = 1.0
    if weight is not None:
        if weight.dtype != dtype:
            weight = weight.astype(dtype)
        if not (np.all(np.isfinite(weight)) and np.all(weight >= 0) and np.any(weight > 0)):
            raise ValueError("sample_weight must be finite, non-negative and not all zero.")
        keep = weight > 0
        if not keep.all():  # zero-weight samples do not enter the objective
            X, y, weight = X[keep], y[keep], weight[keep]
            n_samples = X.shape[0]
        mean_weight = float(np.mean(weight, dtype=np.float64))
    dataset_weight = n_samples * mean_weight  # Σ w over the kept samples
    batch = _resolve_batch_size(batch_size, n_samples)
    weights = network.weight_matrices()
    if divergence_reference is None:
        every = -(-n_samples // REFERENCE_ROWS)  # evenly spaced rows, also through sorted data
        start_penalty = 0.0
        if l2 > 0:
            m = batch * mean_weight if l2_scale == "batch" else dataset_weight
            start_penalty = 0.5 * l2 / m * math.fsum(float(np.vdot(w, w)) for w in weights)
        rule = DivergenceRule.at_start(
            network,
            loss,
            X[::every],
            y[::every],
            None if weight is None else weight[::every],
            start_penalty,
            block_rows=batch,
        )
    else:
        rule = DivergenceRule(divergence_reference)
    y, evaluate = _batch_evaluator(loss, y, network, weight)
    largest_weight = max((w.size for w in network.weight_matrices()), default=0)
    threads = blas_threads_for(blas_threads, batch, largest_weight)
    rng = np.random.default_rng(random_state)

    validation = None
    if validation_data is not None:
        X_val = as_float_input(validation_data[0], "X_val").astype(dtype, copy=False)
        y_val = np.asarray(validation_data[1])
        w_val = None
        if len(validation_data) > 2 and validation_data[2] is not None:
            w_val = as_float_array(validation_data[2], "sample_weight_val")
        _check_lengths(X_val, y_val, w_val, "Validation")
        validation = (X_val, y_val, w_val)

    # Shuffled copies live in buffers filled once per epoch; batches are contiguous slices.
    # A sparse X (CSR) is reordered into a new sparse matrix per epoch instead: only its
    # non-zero values move, and it is never densified.
    sparse_X = is_sparse(X)
    if shuffle:
        X_epoch = X if sparse_X else np.empty_like(X)
        y_epoch = np.empty_like(y)
        w_epoch = None if weight is None else np.empty_like(weight)
        order = np.arange(n_samples)
    else:
        X_epoch, y_epoch, w_epoch = X, y, weight

    # The optimizer sees one vector: a few NumPy calls per step however many layers there are.
    params = [network.flat_parameters()]
    grads = [network.flat_gradients()]
    weight_grads = network.weight_gradients()
    l2_scratch = [np.empty_like(w) for w in weights] if l2 > 0 else []
    # The parameters at the start of the current epoch, and at the start of the last epoch
    # whose mean loss passed the divergence rule: those are what a DivergenceError keeps (an
    # epoch's mean loss measures the parameters it started from and moved through).
    epoch_start = [p.copy() for p in params]
    sane = [p.copy() for p in params]
    sane_epoch: int | None = None
    grad_buffers: dict[int, np.ndarray] = {}

    # The first step checks the arrays; the same ones follow, so later steps can skip the
    # checks, unless the optimizer is not sigmanet's or overrides step() itself.
    update = optimizer.step
    unchecked_update = update
    if isinstance(optimizer, Optimizer) and type(optimizer).step is Optimizer.step:
        unchecked_update = optimizer.step_unchecked
    history = History(samples_seen=samples_seen, divergence_reference=rule.reference)
    kernel = _engine.epoch_kernel(
        engine,
        network,
        loss,
        optimizer,
        y,
        weight,
        batch=batch,
        l2=l2,
        l2_per_batch=l2_scale == "batch",
        dataset_weight=dataset_weight,
        mean_weight=mean_weight,
        batch_callbacks=any(_hears_batches(callback) for callback in callbacks),
        sparse=sparse_X,
    )
    history.engine = "numpy" if kernel is None else "compiled"
    for callback in callbacks:
        callback.on_train_begin(network)

    def diverged(reason: str, epoch: int, step: int, value: float = math.nan) -> DivergenceError:
        for p, saved in zip(params, sane, strict=True):
            np.copyto(p, saved)
        kept = (
            "at the start of this run"
            if sane_epoch is None
            else f"at the start of epoch {sane_epoch + 1}, the last epoch whose loss passed"
        )
        return DivergenceError(
            f"Training diverged at epoch {epoch + 1}, batch {step + 1}: {reason}. The "
            f"parameters are those {kept}. {DIVERGENCE_ADVICE}",
            epoch=epoch,
            batch=step,
            history=history,
            loss=value,
        )

    # Overflow inside a diverging step is reported once, as a DivergenceError naming the epoch
    # and batch, instead of as a RuntimeWarning from deep inside NumPy.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), limit_blas_threads(threads):
        for epoch in range(initial_epoch, initial_epoch + int(epochs)):
            if shuffle:
                rng.shuffle(order)
                if sparse_X:
                    X_epoch = X[order]
                else:
                    np.take(X, order, axis=0, out=X_epoch, mode="clip")
                np.take(y, order, axis=0, out=y_epoch, mode="clip")
                if w_epoch is not None and weight is not None:
                    np.take(weight, order, axis=0, out=w_epoch, mode="clip")
            for p, saved in zip(params, epoch_start, strict=True):
                np.copyto(saved, p)

            total_loss = 0.0
            total_weight = 0.0
            first_step = 0
            if kernel is not None:  # the NumPy loop below continues where it stopped, if it did
                first_step, total_loss, total_weight = kernel.run(
                    epoch, X_epoch, y_epoch, w_epoch, optimizer, schedule, history
                )
            step = first_step - 1  # the last step taken, for the epoch's divergence report
            for step, start in enumerate(range(first_step * batch, n_samples, batch), first_step):
                stop = min(start + batch, n_samples)
                m = stop - start
                X_batch = X_epoch[start:stop]
                y_batch = y_epoch[start:stop]
                w_batch = None if w_epoch is None else w_epoch[start:stop]
                batch_weight = float(m if w_batch is None else w_batch.sum())

                if schedule is not None:
                    optimizer.learning_rate = schedule(epoch, step, history.samples_seen)

                output = network.forward(X_batch, training=True)
                grad_output = grad_buffers.get(m)
                if grad_output is None:
                    grad_output = grad_buffers[m] = np.empty_like(output)
                batch_loss = evaluate(y_batch, output, w_batch, grad_output)
                if w_batch is not None and batch_weight != m * mean_weight:
                    # the loss divided by Σ_B w; the unbiased estimate divides by |B| · mean(w)
                    np.multiply(grad_output, batch_weight / (m * mean_weight), out=grad_output)
                if l2 > 0:
                    penalty = l2 / (batch_weight if l2_scale == "batch" else dataset_weight)
                    batch_loss += 0.5 * penalty * sum(float(np.vdot(w, w)) for w in weights)

                if not math.isfinite(batch_loss):
                    raise diverged(rule.reason(batch_loss), epoch, step, batch_loss)

                network.backward(grad_output)
                if l2 > 0:
                    for w, g, scratch in zip(weights, weight_grads, l2_scratch, strict=True):
                        np.multiply(w, penalty, out=scratch)
                        np.add(g, scratch, out=g)
                try:
                    update(params, grads)
                    update = unchecked_update
                except GradientOverflowError as error:  # raised before anything was updated
                    raise diverged(f"a gradient overflowed ({error})", epoch, step) from error

                total_loss += batch_loss * batch_weight
                total_weight += batch_weight
                history.steps += 1
                history.samples_seen += m
                if callbacks:
                    logs = {"epoch": epoch, "batch": step, "loss": batch_loss, "batch_size": m}
                    for callback in callbacks:
                        callback.on_batch_end(network, logs)

            epoch_loss = total_loss / total_weight if total_weight > 0 else float("nan")
            if rule.diverged(epoch_loss):
                reason = rule.reason(epoch_loss, "the epoch's mean loss")
                raise diverged(reason, epoch, step, epoch_loss)
            sane, epoch_start, sane_epoch = epoch_start, sane, epoch
            history.loss.append(epoch_loss)
            history.learning_rate.append(float(optimizer.learning_rate))
            history.epochs += 1
            epoch_logs: dict[str, Any] = {"epoch": epoch, "loss": epoch_loss}
            if validation is not None:
                X_val, y_val, w_val = validation
                val_output = network.forward(X_val)
                val_loss = float(loss.value(y_val, val_output, w_val))
                history.validation_loss.append(val_loss)
                epoch_logs["validation_loss"] = val_loss
            if schedule is not None:
                schedule.on_epoch_end(epoch, epoch_loss)

            stop_training = False
            for callback in callbacks:
                if callback.on_epoch_end(network, epoch_logs):
                    stop_training = True
            for key, value in epoch_logs.items():
                if key not in ("epoch", "loss", "validation_loss"):
                    history.metrics.setdefault(key, []).append(float(value))
            if stop_training:
                history.stopped_early = True
                break

    for callback in callbacks:
        callback.on_train_end(network, history)
    return history


def _hears_batches(callback: Any) -> bool:
    """Whether ``callback`` does something after every batch (the compiled epoch cannot)."""
    if isinstance(callback, LambdaCallback):
        return callback._batch is not None
    return type(callback).on_batch_end is not Callback.on_batch_end


def _batch_evaluator(
    loss: Any, y: np.ndarray, network: Sequential, weight: np.ndarray | None
) -> tuple[np.ndarray, BatchEvaluator]:
    """The loss's per-batch function; its targets are checked once here, not at every batch."""
    if isinstance(loss, Loss) and network.output_dim is not None:
        bound = loss.bind(y, n_outputs=network.output_dim, sample_weight=weight)
        return bound.targets, bound

    def evaluate(
        y: np.ndarray, output: np.ndarray, weight: np.ndarray | None, out: np.ndarray
    ) -> float:
        return float(loss.value_and_gradient(y, output, weight, out=out)[0])

    return y, evaluate  # any object with value_and_gradient(y, output, sample_weight, out=)


@dataclass
class BlockSums:
    """The data term of the full-batch objective summed over a block of rows.

    For sample weights ``w_i`` (1 without weights) and the per-sample loss ``ℓ_i(θ)``:
    ``loss = Σ w_i ℓ_i``, ``gradient = Σ w_i ∂ℓ_i/∂θ`` (float64, laid out as
    ``Sequential.flat_parameters()``) and ``weight = Σ w_i``. Sums of disjoint blocks add up
    (``a + b``) to the sums of their union, in any order or tree.
    """

    loss: float
    gradient: np.ndarray
    weight: float

    def __add__(self, other: BlockSums) -> BlockSums:
        return BlockSums(
            self.loss + other.loss, self.gradient + other.gradient, self.weight + other.weight
        )


def block_sums(
    network: Sequential,
    loss: Any,
    X: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray | None = None,
    *,
    block_rows: int | None = None,
) -> BlockSums:
    """:class:`BlockSums` of ``(X, y, weight)`` at the network's current parameters.

    The rows are taken ``block_rows`` at a time (all at once when None), so the arrays a
    forward and backward pass makes stay the size of one block: a worker evaluates a large
    chunk in cache-sized pieces, in the network's dtype, without copying the chunk. Each block
    is one forward and one backward pass; the loss's mean over the block and its gradient are
    scaled back to sums by the block's weight. A block of zero total weight adds nothing.

    Parameters
    ----------
    network : Sequential
        A built network; its gradients are overwritten.
    loss : sigmanet.losses.Loss
        Provides ``value_and_gradient(y, output, sample_weight, out=)``.
    X, y, weight
        Rows already checked and in the network's dtype (as :class:`FullBatchObjective` keeps
        them).
    block_rows : int, optional
        Rows per forward/backward pass.
    """
    n_samples = X.shape[0]
    step = n_samples if block_rows is None else max(1, int(block_rows))
    flat_grads = network.flat_gradients()
    gradient = np.zeros(flat_grads.shape, dtype=np.float64)
    scaled = np.empty_like(gradient)
    total_loss = 0.0
    total_weight = 0.0
    grad_output: np.ndarray | None = None
    for start in range(0, n_samples, max(step, 1)):  # an empty chunk has step 0
        stop = min(start + step, n_samples)
        w = None if weight is None else weight[start:stop]
        mass = float(stop - start) if w is None else float(np.sum(w, dtype=np.float64))
        if mass == 0:
            continue
        output = network.forward(X[start:stop], training=True)
        if grad_output is None or grad_output.shape != output.shape:
            grad_output = np.empty_like(output)
        value, _ = loss.value_and_gradient(y[start:stop], output, w, out=grad_output)
        network.backward(grad_output)
        np.multiply(flat_grads, mass, out=scaled, dtype=np.float64)
        gradient += scaled
        total_loss += float(value) * mass
        total_weight += mass
    return BlockSums(total_loss, gradient, total_weight)


class FullBatchObjective:
    """The full-batch objective and its gradient, for the solvers that see all data at once.

    ``J(θ) = Σ w_i ℓ_i / Σ w_i + (l2 / 2S) Σ‖W‖²`` with ``S = Σ w_i`` (``n`` unweighted) and the
    penalty on the weight matrices only. With ``l2 = 1/C`` it has the minimiser of
    scikit-learn's ``C Σ w_i ℓ_i + ½‖w‖²``. Calling the object evaluates ``J`` at the network's
    current parameters and leaves ``∂J/∂θ`` in the network's gradients (one forward and one
    backward pass).

    The value is assembled from sums over rows (:meth:`block_sums`, :meth:`from_sums`), so an
    objective whose rows live elsewhere (the chunks of a Dask array on a cluster,
    :mod:`sigmanet.dask`) adds up its blocks' :class:`BlockSums` and calls :meth:`from_sums`:
    the in-memory fit and the distributed one run the same code.

    Parameters
    ----------
    network, loss, X, y, sample_weight
        As for :func:`train`; X, y and the weights are validated and cast to the network's
        dtype once, here.
    l2 : float
        Penalty strength (biases are not penalised).
    engine : {"auto", "compiled", "numpy"}
        Whether loss and gradient come from the compiled kernel (:mod:`sigmanet.engine`; one
        forward pass, one fused loop for loss and residual, one backward pass) or from the
        network's NumPy layers, as for :func:`train`. ``self.engine`` says which is used.
    """

    def __init__(
        self,
        network: Sequential,
        loss: Any,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        l2: float = 0.0,
        engine: str = "auto",
    ) -> None:
        if not isinstance(network, Sequential) or network.input_dim is None:
            raise TypeError("network must be a built sigmanet.network.Sequential.")
        X = as_float_input(X, "X")
        y = np.asarray(y)
        weight = None if sample_weight is None else as_float_array(sample_weight, "sample_weight")
        _check_lengths(X, y, weight, "Training")
        if X.shape[0] == 0:
            raise ValueError("Training data is empty: X has 0 samples.")
        if X.shape[-1] != network.input_dim:
            raise ValueError(
                f"X has {X.shape[-1]} features, but the network expects {network.input_dim}."
            )
        if not (isinstance(l2, numbers.Real) and math.isfinite(l2) and l2 >= 0):
            raise ValueError(f"l2 must be a finite number >= 0; got {l2!r}.")
        dtype = network.dtype
        self.network: Sequential = network
        self.loss: Any = loss
        self.X: Any = X.astype(dtype, copy=False)
        self.y: np.ndarray = y.astype(dtype, copy=False) if y.dtype.kind == "f" else y
        self.weight: np.ndarray | None = (
            None if weight is None else weight.astype(dtype, copy=False)
        )
        total = float(X.shape[0] if weight is None else np.sum(weight, dtype=np.float64))
        self.l2: float = float(l2)
        self.penalty: float = float(l2) / total if total > 0 else 0.0
        self._kernel: _engine.FullBatchKernel | None = None
        if _engine.check_engine(engine) != "numpy":
            self._kernel = _engine.full_batch_kernel(
                network, loss, self.X, self.y, self.weight, engine
            )
            if self._kernel is None and engine == "compiled":
                raise ValueError(
                    "engine='compiled' cannot compute this objective (see "
                    "sigmanet.engine.network_coverage and loss_coverage); use engine='auto'."
                )
        self.engine: str = "numpy" if self._kernel is None else "compiled"

    def __call__(self) -> float:
        """``J`` at the current parameters; ``∂J/∂θ`` is left in ``network.flat_gradients()``."""
        if self._kernel is not None:
            value = self._kernel()  # the mean loss; its gradient is in flat_gradients()
            if math.isfinite(value):
                return _add_l2_penalty(self.network, value, self.penalty)
        # The NumPy path, with the loss's repairs of infinite logits.
        return self.from_sums(self.block_sums())

    def block_sums(self) -> BlockSums:
        """The sums over this objective's rows at the current parameters (:func:`block_sums`)."""
        return block_sums(self.network, self.loss, self.X, self.y, self.weight)

    def from_sums(self, sums: BlockSums) -> float:
        """``J`` from the sums over all rows, however they were gathered.

        ``J = Σ w_i ℓ_i / S + (l2 / 2S) Σ‖W‖²`` with ``S = sums.weight``; ``∂J/∂θ =
        sums.gradient / S + (l2 / S) W`` is written into ``network.flat_gradients()`` (in the
        network's dtype). One block of all rows gives the in-memory objective; per-chunk sums
        added together (on a cluster, say) give the same ``J`` up to rounding.

        Raises
        ------
        ValueError
            If the rows' total weight ``S`` is not positive.
        """
        return objective_from_sums(self.network, sums, self.l2)


def objective_from_sums(network: Sequential, sums: BlockSums, l2: float = 0.0) -> float:
    """The full-batch objective ``J`` from the sums over all rows; see
    :meth:`FullBatchObjective.from_sums`, which this is without rows of its own."""
    total = float(sums.weight)
    if not total > 0:
        raise ValueError(f"The rows' total sample weight must be positive; got {total}.")
    network.flat_gradients()[...] = sums.gradient / total
    return _add_l2_penalty(network, float(sums.loss) / total, float(l2) / total)


def _add_l2_penalty(network: Sequential, value: float, penalty: float) -> float:
    """``value + ½ penalty Σ‖W‖²``, with ``penalty · W`` added to the weight gradients."""
    if penalty > 0:
        for w, g in zip(network.weight_matrices(), network.weight_gradients(), strict=True):
            g += penalty * w  # a Python-float scalar keeps float32 float32
        squares = [float(np.vdot(w, w)) for w in network.weight_matrices()]
        value += 0.5 * penalty * math.fsum(squares)
    return float(value)


@dataclass
class LbfgsResult:
    """What :func:`train_lbfgs` did: scipy's outcome and the loss after each iteration."""

    loss: list[float]
    n_iter: int
    n_fun: int
    converged: bool
    message: str
    engine: str = "numpy"


def train_lbfgs(
    network: Sequential,
    loss: Any,
    X: Any,
    y: Any,
    *,
    sample_weight: Any = None,
    l2: float = 0.0,
    max_iter: int = 200,
    max_fun: int = 15000,
    tol: float = 1e-4,
    ftol: float | None = None,
    engine: str = "auto",
) -> LbfgsResult:
    """Fit all parameters at once by L-BFGS on the full-batch objective.

    The objective is :class:`FullBatchObjective`'s ``J(θ) = Σ w_i ℓ_i / Σ w_i + (l2 / 2S) Σ‖W‖²``
    (scikit-learn's MLP ``alpha``; with ``l2 = 1/C`` scikit-learn's logistic regression's
    minimiser). Its gradient comes from one backward pass; scipy's
    L-BFGS-B (Liu & Nocedal 1989) takes the steps. Parameters are packed into one float64
    vector for scipy, copied from and into the network's flat parameter vector (of its dtype).

    Parameters
    ----------
    network, loss, X, y, sample_weight
        As for :func:`train`.
    l2 : float
        Penalty strength on the weight matrices (biases are not penalised).
    max_iter, max_fun : int
        Iteration and function-evaluation limits (scikit-learn's ``max_iter``, ``max_fun``).
    tol : float
        Stop when the largest component of the projected gradient is below ``tol`` (scipy's
        ``gtol``, as scikit-learn uses it).
    ftol : float, optional
        Stop when the relative reduction of the objective falls below this
        (default ``64 · machine epsilon``, as scikit-learn's logistic regression).
    engine : {"auto", "compiled", "numpy"}
        Where the objective's gradient comes from (see :class:`FullBatchObjective`).

    Raises
    ------
    DivergenceError
        If the objective is not finite at the starting point. After a finite start L-BFGS
        cannot break the divergence rule (module docstring): its line search accepts only
        iterates that decrease the objective (scipy's sufficient-decrease condition), and
        treats a non-finite trial value as a failed trial.
    """
    evaluate = FullBatchObjective(network, loss, X, y, sample_weight, l2, engine=engine)
    return minimize_lbfgs(network, evaluate, max_iter=max_iter, max_fun=max_fun, tol=tol, ftol=ftol)


def minimize_lbfgs(
    network: Sequential,
    evaluate: Callable[[], float],
    *,
    max_iter: int = 200,
    max_fun: int = 15000,
    tol: float = 1e-4,
    ftol: float | None = None,
) -> LbfgsResult:
    """Minimise ``evaluate`` over the network's parameters by scipy's L-BFGS-B.

    ``evaluate()`` returns the objective at the network's current parameters and leaves its
    gradient in ``network.flat_gradients()``, as :class:`FullBatchObjective` does; an
    objective whose sums come from elsewhere (a cluster) plugs in here. The other parameters
    are :func:`train_lbfgs`'s.
    """
    from scipy.optimize import minimize

    flat_params = network.flat_parameters()
    flat_grads = network.flat_gradients()
    history: list[float] = []

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        flat_params[...] = theta
        # a trial point may overflow: scipy sees inf and backtracks, no warning needed
        with np.errstate(over="ignore", invalid="ignore"):
            value = evaluate()
        return value, flat_grads.astype(np.float64)

    theta0 = flat_params.astype(np.float64)
    start_value, _ = objective(theta0)
    if not math.isfinite(start_value):
        raise DivergenceError(
            f"The objective is {start_value} at the starting point; check the inputs for "
            "extreme values.",
            epoch=0,
            batch=0,
        )

    def record(intermediate_result: Any) -> None:
        history.append(float(intermediate_result.fun))

    options: dict[str, Any] = {
        "maxiter": int(max_iter),
        "maxfun": int(max_fun),
        "gtol": float(tol),
        "ftol": 64 * float(np.finfo(np.float64).eps) if ftol is None else float(ftol),
    }
    result = minimize(
        objective, theta0, jac=True, method="L-BFGS-B", callback=record, options=options
    )
    flat_params[...] = result.x
    return LbfgsResult(
        loss=history,
        n_iter=int(result.nit),
        n_fun=int(result.nfev),
        converged=bool(result.success),
        message=str(result.message),
        engine=getattr(
            evaluate, "engine", "numpy"
        ),  # an objective of sums gathered elsewhere: NumPy
    )
