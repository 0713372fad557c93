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

        layers = codes["layers"]
        base = self.params.__array_interface__["data"][0]
        size = dtype.itemsize
        meta = np.zeros((len(layers), _codes.N_COLUMNS), dtype=np.int64)
        alphas = np.zeros((len(layers), 2), dtype=dtype)
        at = 0
        for row, (dense, name, params) in enumerate(layers):
            W = dense.params["W"]
            b = dense.params.get("b")
            meta[row, _codes.FAN_IN], meta[row, _codes.FAN_OUT] = W.shape
            meta[row, _codes.W_AT] = (W.__array_interface__["data"][0] - base) // size
            meta[row, _codes.B_AT] = (
                -1 if b is None else (b.__array_interface__["data"][0] - base) // size
            )
            meta[row, _codes.ACT] = _codes.NONE if name is None else _codes.ACTIVATION_CODES[name]
            alpha = params.get("alpha", 0.0)
            alphas[row] = (alpha, 1.0 - alpha)
            region = self.batch * W.shape[1]
            for column in (_codes.Z_AT, _codes.A_AT, _codes.D_AT, _codes.G_AT):
                meta[row, column] = at
                at += region
        self.meta = meta
        self.alphas = alphas
        self.work = np.zeros(at, dtype=dtype)
        self.per_sample = np.zeros(self.batch, dtype=dtype)
        self.constants = np.array(_codes.CONSTANTS, dtype=dtype)
        self.no_index = np.zeros(0, dtype=np.intp)
        self.no_rows = np.zeros((0, 0), dtype=dtype)
        self.no_weight = np.zeros(0, dtype=dtype)

        self.hyper, self.hyper64 = _hyper_parameters(optimizer, dtype)
        state = optimizer._state
        empty = np.zeros(0, dtype=dtype)
        names = list(optimizer._state_names)
        self.state = [state[name][0] if name in state else empty for name in names]
        while len(self.state) < 2:
            self.state.append(empty)
        n_samples = y.shape[0]
        self.n_samples = n_samples
        self.n_steps = -(-n_samples // self.batch)
        self.rates = np.zeros(self.n_steps, dtype=np.float64)

    def run(
        self,
        epoch: int,
        X: np.ndarray,
        y: np.ndarray,
        weight: np.ndarray | None,
        optimizer: Any,
        schedule: Any,
        history: Any,
    ) -> tuple[int, float, float]:
        """Train one epoch on the shuffled ``X``, ``y``, ``weight``.

        Returns ``(steps, loss_sum, weight_sum)``: the steps taken (all of them unless a step
        needs the NumPy path, which then continues from that step), Σ batch loss · batch weight
        and Σ batch weight. The optimizer's step count and learning rate and the history's
        step and sample counts are advanced as the NumPy path advances them.
        """
        from sigmanet.engine._kernels import run_epoch

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
        _, steps, loss_sum, weight_sum = run_epoch(
            X,
            y_index,
            y_rows,
            w,
            self.batch,
            self.params,
            self.grads,
            self.meta,
            self.alphas,
            self.loss_code,
            self.constants,
            self.l2,
            self.l2_per_batch,
            self.dataset_weight,
            self.mean_weight,
            rates,
            self.optimizer_code,
            self.hyper,
            self.hyper64,
            optimizer.iterations,
            self.state[0],
            self.state[1],
            self.work,
            self.per_sample,
        )
        optimizer.iterations += steps
        if schedule is not None and steps:
            optimizer.learning_rate = float(rates[steps - 1])
        history.steps += steps
        history.samples_seen += min(steps * self.batch, self.n_samples)
        return int(steps), float(loss_sum), float(weight_sum)


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
