"""One fit's compiled epoch: the network laid out as the kernel's tables and buffers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sigmanet.engine import _codes


class EpochKernel:
    """Runs the epochs of one :func:`sigmanet.training.train` call through the kernel.

    Built once per fit (tables, buffers, optimizer state views); :meth:`run` then trains one
    epoch. Parameters and optimizer state are the network's and the optimizer's own arrays,
    updated in place, so the NumPy path can take over at any step and state saved from the
    optimizer resumes either way.
    """

    def __init__(
        self,
        network: Any,
        codes: dict[str, Any],
        optimizer: Any,
        y: np.ndarray,
        weight: np.ndarray | None,
        *,
        batch: int,
        l2: float,
        l2_per_batch: bool,
        dataset_weight: float,
        mean_weight: float,
    ) -> None:
        dtype = network.dtype
        self.dtype = dtype
        self.params = network.flat_parameters()
        self.grads = network.flat_gradients()
        self.batch = int(batch)
        self.loss_code = int(codes["loss"])
        self.optimizer_code = int(codes["optimizer"])
        self.l2 = float(l2)
        self.l2_per_batch = bool(l2_per_batch)
        self.dataset_weight = float(dataset_weight)
        self.mean_weight = float(mean_weight)
        self.weighted = weight is not None

        self.meta, self.alphas, self.work = layer_tables(self.params, codes["layers"], self.batch)
        self.constants = np.array(_codes.CONSTANTS, dtype=dtype)
        self.layer_codes = [
            (int(self.meta[row, _codes.ACT]), bool(self.meta[row, _codes.B_AT] >= 0))
            for row in range(self.meta.shape[0])
        ]
        self.function = self._epoch_function(self.weighted)
        self.per_sample = np.zeros(self.batch, dtype=dtype)
        from sigmanet.engine._blas import gemm_address

        self.gemm = gemm_address(dtype)
        self.no_index = np.zeros(0, dtype=np.intp)
        self.no_rows = np.zeros((0, 0), dtype=dtype)
        self.no_weight = np.zeros(0, dtype=dtype)
        self.no_buffers: tuple[np.ndarray, ...] = (
            self.no_rows,
            self.no_index,
            self.no_rows,
            self.no_weight,
        )
        self.buffers: tuple[np.ndarray, ...] | None = None

        self.hyper, self.hyper64 = _hyper_parameters(optimizer, dtype)
        state = optimizer.state
        empty = np.zeros(0, dtype=dtype)
        names = list(optimizer.state_names)
        self.state = [state[name][0] if name in state else empty for name in names]
        while len(self.state) < 2:
            self.state.append(empty)
        n_samples = y.shape[0]
        self.n_samples = n_samples
        self.n_steps = -(-n_samples // self.batch)
        self.rates = np.zeros(self.n_steps, dtype=np.float64)

    def _epoch_function(self, weighted: bool) -> Any:
        """The generated epoch of this configuration, with or without sample weights."""
        from sigmanet.engine._generated import epoch_function

        return epoch_function(self.layer_codes, self.loss_code, self.optimizer_code, weighted)

    def _gather_buffers(self, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """The buffers a shuffled epoch's batches are gathered into: rows, class indices or
        target rows (whichever the loss reads) and weights (when weighted), made at the first
        shuffled epoch."""
        if self.buffers is None or (self.weighted and self.buffers[3].shape[0] == 0):
            batch, dtype = self.batch, self.dtype
            X_batch = np.empty((batch, int(self.meta[0, _codes.FAN_IN])), dtype=dtype)
            if self.loss_code == _codes.SOFTMAX_CE:
                y_batch, Y_batch = np.empty(batch, dtype=np.intp), self.no_rows
            else:
                y_batch, Y_batch = self.no_index, np.empty((batch, y.shape[1]), dtype=dtype)
            w_batch = np.empty(batch, dtype=dtype) if self.weighted else self.no_weight
            self.buffers = (X_batch, y_batch, Y_batch, w_batch)
        return self.buffers

    def run(
        self,
        epoch: int,
        X: np.ndarray,
        y: np.ndarray,
        weight: np.ndarray | None,
        order: np.ndarray | None,
        optimizer: Any,
        schedule: Any,
        history: Any,
    ) -> tuple[int, float, float]:
        """Train one epoch on the rows ``X``, ``y``, ``weight`` taken in ``order`` (a
        permutation of the rows; None: as they are).

        Returns ``(steps, loss_sum, weight_sum)``: the steps taken (all of them unless a step
        needs the NumPy path, which then continues from that step), Σ batch loss · batch weight
        and Σ batch weight. The optimizer's step count and learning rate and the history's
        step and sample counts are advanced as the NumPy path advances them.
        """
        rates = self.rates
        if schedule is None:
            rates.fill(optimizer.learning_rate)
        else:
            seen = history.samples_seen
            for step in range(self.n_steps):
                rate = float(schedule(epoch, step, seen))
                if not (math.isfinite(rate) and rate >= 0):
                    return 0, 0.0, 0.0  # the NumPy path sets it and reports the error
                rates[step] = rate
                seen += min(self.batch, self.n_samples - step * self.batch)
        X = np.ascontiguousarray(X)
        if self.loss_code == _codes.SOFTMAX_CE:
            y_index, y_rows = np.ascontiguousarray(y, dtype=np.intp), self.no_rows
        else:
            y_index, y_rows = self.no_index, np.ascontiguousarray(y)
        w = self.no_weight if weight is None else np.ascontiguousarray(weight)
        if (weight is not None) != self.weighted:  # not in a fit, which keeps its weights
            self.weighted = weight is not None
            self.function = self._epoch_function(self.weighted)
        if order is None:
            order, buffers = self.no_index, self.no_buffers
        else:
            order, buffers = np.ascontiguousarray(order, dtype=np.intp), self._gather_buffers(y)
        _, steps, loss_sum, weight_sum = self.function(
            X,
            y_index,
            y_rows,
            w,
            self.batch,
            self.params,
            self.grads,
            self.meta,
            self.alphas,
            self.constants,
            self.l2,
            self.l2_per_batch,
            self.dataset_weight,
            self.mean_weight,
            rates,
            self.hyper,
            self.hyper64,
            int(optimizer.iterations),
            self.state[0],
            self.state[1],
            self.work,
            self.per_sample,
            self.gemm,
            order,
            *buffers,
        )
        optimizer.iterations += steps
        if schedule is not None and steps:
            optimizer.learning_rate = float(rates[steps - 1])
        history.steps += steps
        history.samples_seen += min(steps * self.batch, self.n_samples)
        return int(steps), float(loss_sum), float(weight_sum)


def call_kernel(
    mode: int,
    X: np.ndarray,
    *,
    params: np.ndarray,
    meta: np.ndarray,
    alphas: np.ndarray,
    work: np.ndarray,
    y_index: np.ndarray | None = None,
    y_rows: np.ndarray | None = None,
    weight: np.ndarray | None = None,
    batch: int = 1,
    grads: np.ndarray | None = None,
    loss_code: int = 0,
    l2: float = 0.0,
    l2_per_batch: bool = True,
    dataset_weight: float = 1.0,
    mean_weight: float = 0.0,
    rates: np.ndarray | None = None,
    optimizer_code: int = 0,
    hyper: np.ndarray | None = None,
    hyper64: np.ndarray | None = None,
    iterations: int = 0,
    state: list[np.ndarray] | None = None,
    per_sample: np.ndarray | None = None,
    out: np.ndarray | None = None,
) -> tuple[int, int, float, float]:
    """Call the entry point of the full-batch gradient and the forward pass; what a mode does
    not use is an empty array.

    Every argument keeps one type whatever the mode, so each dtype compiles once.
    """
    from sigmanet.engine._blas import gemm_address
    from sigmanet.engine._kernels import kernel

    dtype = params.dtype
    empty = np.zeros(0, dtype=dtype)
    empty_rows = np.zeros((0, 0), dtype=dtype)
    state = state or [empty, empty]
    status, steps, value, weight_sum = kernel(
        mode,
        X,
        np.zeros(0, dtype=np.intp) if y_index is None else y_index,
        empty_rows if y_rows is None else y_rows,
        empty if weight is None else weight,
        int(batch),
        params,
        empty if grads is None else grads,
        meta,
        alphas,
        int(loss_code),
        np.array(_codes.CONSTANTS, dtype=dtype),
        float(l2),
        bool(l2_per_batch),
        float(dataset_weight),
        float(mean_weight),
        np.zeros(0) if rates is None else rates,
        int(optimizer_code),
        empty if hyper is None else hyper,
        np.zeros(0) if hyper64 is None else hyper64,
        int(iterations),
        state[0],
        state[1],
        work,
        empty if per_sample is None else per_sample,
        empty_rows if out is None else out,
        gemm_address(dtype),
    )
    return int(status), int(steps), float(value), float(weight_sum)


def layer_tables(
    params: np.ndarray,
    layers: list[tuple[Any, str | None, dict[str, float]]],
    rows: int,
    training: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kernel's per-layer table, the activations' parameters, and its work buffer.

    ``layers`` holds ``(dense, activation name or None, activation parameters)`` per Dense
    layer; each gets four work regions of ``rows × fan_out`` (see ``_codes``), or only the
    forward pass's two when not ``training``.
    """
    dtype = params.dtype
    base = params.__array_interface__["data"][0]
    size = dtype.itemsize
    meta = np.zeros((len(layers), _codes.N_COLUMNS), dtype=np.int64)
    alphas = np.zeros((len(layers), 2), dtype=dtype)
    at = 0
    for row, (dense, name, activation_params) in enumerate(layers):
        W = dense.params["W"]
        b = dense.params.get("b")
        meta[row, _codes.FAN_IN], meta[row, _codes.FAN_OUT] = W.shape
        meta[row, _codes.W_AT] = (W.__array_interface__["data"][0] - base) // size
        meta[row, _codes.B_AT] = (
            -1 if b is None else (b.__array_interface__["data"][0] - base) // size
        )
        meta[row, _codes.ACT] = _codes.NONE if name is None else _codes.ACTIVATION_CODES[name]
        alpha = activation_params.get("alpha", 0.0)
        alphas[row] = (alpha, 1.0 - alpha)
        region = rows * W.shape[1]
        columns = (_codes.Z_AT, _codes.A_AT, _codes.D_AT, _codes.G_AT)
        for column in columns if training else columns[:2]:
            meta[row, column] = at
            at += region
    return meta, alphas, np.zeros(at, dtype=dtype)


def _hyper_parameters(optimizer: Any, dtype: np.dtype[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The optimizer's constants: in ``dtype`` as its NumPy update casts them, and in float64."""
    name = type(optimizer).__name__
    if name == "GradientDescent":
        values = [optimizer.momentum, 1.0 if optimizer.nesterov else 0.0]
        wide = [0.0]
    elif name in ("Adam", "AdamW"):
        b1, b2 = optimizer.beta_1, optimizer.beta_2
        values = [b1, b2, 1.0 - b1, 1.0 - b2, optimizer.epsilon]
        wide = [b1, b2, getattr(optimizer, "weight_decay", 0.0)]
    elif name == "RMSProp":
        values = [optimizer.rho, 1.0 - optimizer.rho, optimizer.epsilon, optimizer.momentum]
        wide = [0.0]
    else:  # Adagrad
        values = [optimizer.epsilon]
        wide = [0.0]
    return np.array(values, dtype=dtype), np.array(wide, dtype=np.float64)
