"""The fit loop: one loop for the three forms of gradient descent.

``batch_size`` chooses the form (see the documentation's theory page on gradient descent):

* ``None`` or ``"full"``: batch gradient descent (BGD), every step uses all m samples;
* ``1``: stochastic gradient descent (SGD), one sample per step in a random order;
* ``k``: mini-batch gradient descent (MBGD), k samples per step.

Each step is ``w ← w - η ∇w L`` (or the chosen optimizer's rule). Per epoch the samples are
shuffled once, into a buffer, from ``random_state``; the batches are contiguous slices of that
buffer. In steady state a step allocates no arrays: layers, the loss and the optimizer write
into buffers they keep, and everything a step needs that does not change from step to step
(buffers, the L2 factor, which callbacks hear batches) is worked out once, before the first.
Divergence is judged by :class:`~sigmanet.training.DivergenceRule`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
from sigmanet.training.callbacks import Callback
from sigmanet.training.data import check_rows, training_rows
from sigmanet.training.divergence import (
    DIVERGENCE_ADVICE,
    REFERENCE_BLOCK_VALUES,
    REFERENCE_ROWS,
    DivergenceRule,
)

__all__ = ["History", "train"]


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
        (``"dataset"``: every batch size then minimises the objective
        :func:`~sigmanet.training.train_lbfgs` minimises, as the linear models need).
    callbacks : sequence of Callback
        Epoch and batch hooks; an :class:`~sigmanet.training.EarlyStopping` among them can
        stop training.
    initial_epoch, samples_seen : int
        Where a previous call left off (for ``partial_fit`` and schedules).
    blas_threads : "auto", int or None
        BLAS threads while training. ``"auto"`` uses one when a step's largest matrix product
        is under ten billion multiply-adds (batch rows × the largest weight matrix's size),
        where OpenBLAS's threads cost more than they gain on a busy machine (see
        ``sigmanet/_threads.py``), and leaves larger products alone; an int sets the count;
        None leaves it as it is.
    divergence_reference : float, optional
        The reference of the divergence rule (:class:`~sigmanet.training.DivergenceRule`);
        None measures it at the start, on up to ``REFERENCE_ROWS`` evenly spaced rows. A caller
        continuing an earlier run (``partial_fit``) passes that run's
        ``history.divergence_reference``, so that a loss growing slowly over many short runs is
        still judged against the first start.
    engine : {"auto", "compiled", "numpy"}
        ``"auto"`` runs each epoch as one compiled call (:mod:`sigmanet.engine`) when the
        configuration allows it and numba is installed, and the NumPy loop otherwise;
        ``"compiled"`` insists (a ValueError says why it cannot); ``"numpy"`` never compiles.
        Both give the same results; ``history.engine`` says which ran.

    Raises
    ------
    DivergenceError
        At the first non-finite batch loss, or at the end of an epoch whose loss the divergence
        rule rejects (:mod:`sigmanet.training.divergence`), naming the epoch and batch. The
        parameters are then those at the start of the last epoch whose loss passed the rule (or
        at the start). The error's ``history`` holds the epochs before the one that failed.
    """
    # Set-up: the rows checked and cast once, the divergence reference, the step's buffers.
    rows = _Rows.checked(network, X, y, sample_weight)
    _check_settings(epochs, l2, l2_scale, engine)
    batch = _resolve_batch_size(batch_size, rows.n_samples)
    largest_weight = max((w.size for w in network.weight_matrices()), default=0)
    threads = blas_threads_for(blas_threads, batch, largest_weight)
    if divergence_reference is None:
        rule = _rule_at_start(network, loss, rows, batch, l2, l2_scale)
    else:
        rule = DivergenceRule(divergence_reference)
    validation = _validation_rows(validation_data, network.dtype)
    history = History(samples_seen=samples_seen, divergence_reference=rule.reference)
    fit = _Fit(
        network, loss, optimizer, rows, batch, schedule, l2, l2_scale, callbacks, rule, history
    )
    kernel = fit.compiled_epochs(engine)
    history.engine = "numpy" if kernel is None else "compiled"
    if kernel is not None:  # the kernel reads rows in C order: one copy now, not one an epoch
        rows.X = np.ascontiguousarray(rows.X)
    shuffler = _Shuffler(rows, fit.y, shuffle, random_state)
    for callback in callbacks:
        callback.on_train_begin(network)

    # The epochs. Overflow inside a diverging step is reported once, as a DivergenceError
    # naming the epoch and batch, instead of as a RuntimeWarning from deep inside NumPy.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), limit_blas_threads(threads):
        for epoch in range(initial_epoch, initial_epoch + int(epochs)):
            epoch_loss = fit.epoch(epoch, shuffler, kernel)
            if fit.end_of_epoch(epoch, epoch_loss, validation):
                history.stopped_early = True
                break

    # The end.
    for callback in callbacks:
        callback.on_train_end(network, history)
    return history


@dataclass
class _Rows:
    """The training rows, checked and in the network's dtype, zero-weight rows left out."""

    X: Any
    y: np.ndarray
    weight: np.ndarray | None
    mean_weight: float

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def total_weight(self) -> float:
        """``Σ w`` over the kept rows (their count without weights)."""
        return self.n_samples * self.mean_weight

    @property
    def sparse(self) -> bool:
        return is_sparse(self.X)

    @classmethod
    def checked(cls, network: Sequential, X: Any, y: Any, sample_weight: Any) -> _Rows:
        X, y, weight = training_rows(network, X, y, sample_weight)
        dtype = network.dtype
        if X.dtype != dtype:
            X = X.astype(dtype)
        if y.dtype.kind == "f" and y.dtype != dtype:
            y = y.astype(dtype)
        if weight is None:
            return cls(X, y, None, 1.0)
        if weight.dtype != dtype:
            weight = weight.astype(dtype)
        if not (np.all(np.isfinite(weight)) and np.all(weight >= 0) and np.any(weight > 0)):
            raise ValueError("sample_weight must be finite, non-negative and not all zero.")
        keep = weight > 0
        if not keep.all():  # zero-weight samples do not enter the objective
            X, y, weight = X[keep], y[keep], weight[keep]
        return cls(X, y, weight, float(np.mean(weight, dtype=np.float64)))


def _check_settings(epochs: Any, l2: float, l2_scale: str, engine: str) -> None:
    if int(epochs) != epochs or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer; got {epochs!r}.")
    if l2 < 0 or not math.isfinite(l2):
        raise ValueError(f"l2 must be a finite number >= 0; got {l2!r}.")
    if l2_scale not in ("batch", "dataset"):
        raise ValueError(f"l2_scale must be 'batch' or 'dataset'; got {l2_scale!r}.")
    _engine.check_engine(engine)


def _resolve_batch_size(batch_size: Any, n_samples: int) -> int:
    if batch_size is None or (isinstance(batch_size, str) and batch_size == "full"):
        return n_samples
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise ValueError(f"batch_size must be a positive int, None or 'full'; got {batch_size!r}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size}.")
    return min(int(batch_size), n_samples)


def _rule_at_start(
    network: Sequential, loss: Any, rows: _Rows, batch: int, l2: float, l2_scale: str
) -> DivergenceRule:
    """The divergence rule, its reference measured on evenly spaced rows (also through sorted
    data) at the current parameters, the L2 penalty included."""
    every = -(-rows.n_samples // REFERENCE_ROWS)
    # Blocks of a bounded size (REFERENCE_BLOCK_VALUES values a row's widest layer or input
    # holds, at every step of a sequence), but not of a small batch's few rows.
    steps = rows.X.shape[1] if rows.X.ndim == 3 else 1
    widest = max((max(w.shape) for w in network.weight_matrices()), default=1)
    per_row = max(math.prod(rows.X.shape[1:]), steps * widest)
    start_penalty = 0.0
    if l2 > 0:
        m = batch * rows.mean_weight if l2_scale == "batch" else rows.total_weight
        squares = (float(np.vdot(w, w)) for w in network.weight_matrices())
        start_penalty = 0.5 * l2 / m * math.fsum(squares)
    return DivergenceRule.at_start(
        network,
        loss,
        rows.X[::every],
        rows.y[::every],
        None if rows.weight is None else rows.weight[::every],
        start_penalty,
        block_rows=max(batch, REFERENCE_BLOCK_VALUES // per_row),
    )


def _validation_rows(validation_data: tuple[Any, ...] | None, dtype: Any) -> tuple[Any, ...] | None:
    if validation_data is None:
        return None
    X_val = as_float_input(validation_data[0], "X_val").astype(dtype, copy=False)
    y_val = np.asarray(validation_data[1])
    w_val = None
    if len(validation_data) > 2 and validation_data[2] is not None:
        w_val = as_float_array(validation_data[2], "sample_weight_val")
    check_rows(X_val, y_val, w_val, "Validation")
    return X_val, y_val, w_val


class _Shuffler:
    """Each epoch's order of the rows.

    :meth:`next_epoch` draws the order; :meth:`arrays` gives the rows in it, copied into
    buffers filled at most once per epoch, for the NumPy steps, whose batches are contiguous
    slices. The compiled engine takes the order itself and gathers each batch as it goes, so
    an epoch that it runs to the end copies nothing. A sparse X (CSR) is reordered into a new
    sparse matrix instead: only its non-zero values move, and it is never densified.
    """

    def __init__(self, rows: _Rows, y: np.ndarray, shuffle: bool, random_state: Any) -> None:
        self.rows, self.y = rows, y
        self.rng = np.random.default_rng(random_state)
        self.order = np.arange(rows.n_samples) if shuffle else None
        self.buffers: tuple[Any, np.ndarray, np.ndarray | None] | None = None
        self.filled = False

    def next_epoch(self) -> np.ndarray | None:
        """Draw the next epoch's order: the permutation of the rows (None without shuffling)."""
        if self.order is None:
            return None
        self.rng.shuffle(self.order)
        self.filled = False
        return self.order

    def arrays(self) -> tuple[Any, np.ndarray, np.ndarray | None]:
        """``(X, y, weight)`` in this epoch's order."""
        rows = self.rows
        if self.order is None:
            return rows.X, self.y, rows.weight
        if self.buffers is None:
            self.buffers = (
                rows.X if rows.sparse else np.empty_like(rows.X),
                np.empty_like(self.y),
                None if rows.weight is None else np.empty_like(rows.weight),
            )
        X_epoch, y_epoch, w_epoch = self.buffers
        if not self.filled:
            if rows.sparse:
                X_epoch = rows.X[self.order]
                self.buffers = (X_epoch, y_epoch, w_epoch)
            else:
                np.take(rows.X, self.order, axis=0, out=X_epoch, mode="clip")
            np.take(self.y, self.order, axis=0, out=y_epoch, mode="clip")
            if w_epoch is not None and rows.weight is not None:
                np.take(rows.weight, self.order, axis=0, out=w_epoch, mode="clip")
            self.filled = True
        return X_epoch, y_epoch, w_epoch


class _Fit:
    """One call of :func:`train`: the epoch, the step, and what they keep between calls."""

    def __init__(
        self,
        network: Sequential,
        loss: Any,
        optimizer: Any,
        rows: _Rows,
        batch: int,
        schedule: Any,
        l2: float,
        l2_scale: str,
        callbacks: Sequence[Callback],
        rule: DivergenceRule,
        history: History,
    ) -> None:
        self.history = history
        self.network, self.loss, self.optimizer, self.schedule = network, loss, optimizer, schedule
        self.rows, self.batch, self.rule = rows, batch, rule
        self.n_samples = rows.n_samples
        self.callbacks = callbacks
        self.batch_hooks = [callback for callback in callbacks if callback.hears_batches]
        self.y, self.evaluate = _batch_evaluator(loss, rows.y, network, rows.weight)
        # The optimizer sees one vector: a few NumPy calls per step however many layers.
        self.params = [network.flat_parameters()]
        self.grads = [network.flat_gradients()]
        self.weights = network.weight_matrices()
        self.weight_grads = network.weight_gradients()
        self.l2 = l2
        self.l2_per_batch = l2_scale == "batch"
        self.dataset_penalty = l2 / rows.total_weight  # the L2 factor with l2_scale="dataset"
        self.mean_weight = rows.mean_weight
        self.l2_scratch = [np.empty_like(w) for w in self.weights] if l2 > 0 else []
        self.grad_buffers: dict[int, np.ndarray] = {}
        # The parameters at the start of the current epoch, and at the start of the last epoch
        # whose mean loss passed the divergence rule: those are what a DivergenceError keeps
        # (an epoch's mean loss measures the parameters it started from and moved through).
        self.epoch_start = [p.copy() for p in self.params]
        self.sane = [p.copy() for p in self.params]
        self.sane_epoch: int | None = None
        # The first step checks the arrays; the same ones follow, so later steps can skip the
        # checks, unless the optimizer is not sigmanet's or overrides step() itself.
        self.update = optimizer.step
        self.unchecked_update = self.update
        if isinstance(optimizer, Optimizer) and type(optimizer).step is Optimizer.step:
            self.unchecked_update = optimizer.step_unchecked

    def compiled_epochs(self, engine: str) -> Any:
        """The compiled kernel that runs whole epochs (:mod:`sigmanet.engine`), or None when
        ``engine`` or this configuration rules it out."""
        return _engine.epoch_kernel(
            engine,
            self.network,
            self.loss,
            self.optimizer,
            self.y,
            self.rows.weight,
            batch=self.batch,
            l2=self.l2,
            l2_per_batch=self.l2_per_batch,
            dataset_weight=self.rows.total_weight,
            mean_weight=self.rows.mean_weight,
            batch_callbacks=bool(self.batch_hooks),
            sparse=self.rows.sparse,
        )

    # -- the epoch ---------------------------------------------------------------------------
    def epoch(self, epoch: int, shuffler: _Shuffler, kernel: Any) -> float:
        """Every step of one epoch (the rows in the ``shuffler``'s next order); its mean loss,
        judged by the divergence rule."""
        for p, saved in zip(self.params, self.epoch_start, strict=True):
            np.copyto(saved, p)
        total_loss = total_weight = 0.0
        first_step = 0
        order = shuffler.next_epoch()
        if kernel is not None:  # the NumPy steps below continue where it stopped, if it did
            rows = self.rows
            first_step, total_loss, total_weight = kernel.run(
                epoch,
                rows.X,
                self.y,
                rows.weight,
                order,
                self.optimizer,
                self.schedule,
                self.history,
            )
        batch, n_samples = self.batch, self.n_samples
        step = first_step - 1  # the last step taken, for the epoch's divergence report
        if first_step * batch < n_samples:  # NumPy steps to take: they read the rows in order
            X, y, weight = shuffler.arrays()
        for step, start in enumerate(range(first_step * batch, n_samples, batch), first_step):
            stop = min(start + batch, n_samples)
            w_batch = None if weight is None else weight[start:stop]
            batch_loss, batch_weight = self.step(epoch, step, X[start:stop], y[start:stop], w_batch)
            total_loss += batch_loss * batch_weight
            total_weight += batch_weight
        epoch_loss = total_loss / total_weight if total_weight > 0 else float("nan")
        if self.rule.diverged(epoch_loss):
            reason = self.rule.reason(epoch_loss, "the epoch's mean loss")
            raise self.diverged(reason, epoch, step, epoch_loss)
        self.sane, self.epoch_start, self.sane_epoch = self.epoch_start, self.sane, epoch
        return epoch_loss

    def end_of_epoch(
        self, epoch: int, epoch_loss: float, validation: tuple[Any, ...] | None
    ) -> bool:
        """Record the epoch, score the validation rows, tell the schedule and the callbacks;
        whether a callback asks to stop."""
        history = self.history
        history.loss.append(epoch_loss)
        history.learning_rate.append(float(self.optimizer.learning_rate))
        history.epochs += 1
        logs: dict[str, Any] = {"epoch": epoch, "loss": epoch_loss}
        if validation is not None:
            X_val, y_val, w_val = validation
            val_loss = float(self.loss.value(y_val, self.network.forward(X_val), w_val))
            history.validation_loss.append(val_loss)
            logs["validation_loss"] = val_loss
        if self.schedule is not None:
            self.schedule.on_epoch_end(epoch, epoch_loss)
        stop = False
        for callback in self.callbacks:
            if callback.on_epoch_end(self.network, logs):
                stop = True
        for key, value in logs.items():
            if key not in ("epoch", "loss", "validation_loss"):
                history.metrics.setdefault(key, []).append(float(value))
        return stop

    # -- the step ----------------------------------------------------------------------------
    def step(
        self, epoch: int, step: int, X: Any, y: np.ndarray, weight: np.ndarray | None
    ) -> tuple[float, float]:
        """One forward pass, loss, backward pass and update; the batch's loss and weight."""
        network, history = self.network, self.history
        m = X.shape[0]
        batch_weight = float(m if weight is None else weight.sum())
        if self.schedule is not None:
            self.optimizer.learning_rate = self.schedule(epoch, step, history.samples_seen)

        output = network.forward(X, training=True)
        grad_output = self.grad_buffers.get(m)
        if grad_output is None:
            grad_output = self.grad_buffers[m] = np.empty_like(output)
        batch_loss = self.evaluate(y, output, weight, grad_output)
        mean_weight = self.mean_weight
        if weight is not None and batch_weight != m * mean_weight:
            # the loss divided by Σ_B w; the unbiased estimate divides by |B| · mean(w)
            np.multiply(grad_output, batch_weight / (m * mean_weight), out=grad_output)
        penalty = self.l2 / batch_weight if self.l2_per_batch else self.dataset_penalty
        if penalty > 0:
            batch_loss += 0.5 * penalty * sum(float(np.vdot(w, w)) for w in self.weights)
        if not math.isfinite(batch_loss):
            raise self.diverged(self.rule.reason(batch_loss), epoch, step, batch_loss)

        network.backward(grad_output)
        if penalty > 0:
            for w, g, scratch in zip(self.weights, self.weight_grads, self.l2_scratch, strict=True):
                np.multiply(w, penalty, out=scratch)
                np.add(g, scratch, out=g)
        try:
            self.update(self.params, self.grads)
            self.update = self.unchecked_update
        except GradientOverflowError as error:  # raised before anything was updated
            raise self.diverged(f"a gradient overflowed ({error})", epoch, step) from error

        history.steps += 1
        history.samples_seen += m
        if self.batch_hooks:
            logs = {"epoch": epoch, "batch": step, "loss": batch_loss, "batch_size": m}
            for callback in self.batch_hooks:
                callback.on_batch_end(network, logs)
        return batch_loss, batch_weight

    # -- divergence --------------------------------------------------------------------------
    def diverged(
        self, reason: str, epoch: int, step: int, value: float = math.nan
    ) -> DivergenceError:
        """The error to raise, with the parameters put back to the last the rule passed."""
        for p, saved in zip(self.params, self.sane, strict=True):
            np.copyto(p, saved)
        kept = (
            "at the start of this run"
            if self.sane_epoch is None
            else f"at the start of epoch {self.sane_epoch + 1}, the last epoch whose loss passed"
        )
        return DivergenceError(
            f"Training diverged at epoch {epoch + 1}, batch {step + 1}: {reason}. The "
            f"parameters are those {kept}. {DIVERGENCE_ADVICE}",
            epoch=epoch,
            batch=step,
            history=self.history,
            loss=value,
        )


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
