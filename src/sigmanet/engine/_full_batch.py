"""The full-batch objective and inference through the compiled kernels."""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet.engine import _codes
from sigmanet.engine._epoch import call_kernel, layer_tables

#: Rows per block of the full-batch gradient: a block of X and its activations stay in cache.
FULL_BATCH_BLOCK_ROWS = 1024


class FullBatchKernel:
    """``Σ w_i ℓ_i / Σ w_i`` over all rows and its gradient, in one compiled call.

    One pass over blocks of rows: each goes forward (a matrix product per layer, bias and
    activation fused), through one loop for the loss and its residual, and backward while it
    is in cache. The gradient lands in the network's flat gradients, as
    :class:`sigmanet.training.FullBatchObjective` expects (it adds the penalty).
    """

    def __init__(
        self,
        network: Any,
        layers: list[Any],
        loss_code: int,
        X: np.ndarray,
        y: np.ndarray,
        weight: np.ndarray | None,
    ) -> None:
        dtype = network.dtype
        self.params = network.flat_parameters()
        self.grads = network.flat_gradients()
        self.X = np.ascontiguousarray(X)
        n = self.X.shape[0]
        self.block = min(n, FULL_BATCH_BLOCK_ROWS)
        self.meta, self.alphas, self.work = layer_tables(self.params, layers, self.block)
        self.scratch = np.zeros_like(self.grads)
        self.loss_code = loss_code
        if loss_code == _codes.SOFTMAX_CE:
            self.y_index = np.ascontiguousarray(y, dtype=np.intp)
            self.y_rows = np.zeros((0, 0), dtype=dtype)
        else:
            self.y_index = np.zeros(0, dtype=np.intp)
            self.y_rows = np.ascontiguousarray(y)
        self.weight = np.zeros(0, dtype) if weight is None else np.ascontiguousarray(weight)
        self.per_sample = np.zeros(self.block, dtype=dtype)

    def __call__(self) -> float:
        """The loss at the current parameters (gradient in the network's); NaN or inf means
        the NumPy path must evaluate this point (it repairs infinite logits)."""
        _, _, value, _ = call_kernel(
            _codes.FULL_BATCH,
            self.X,
            y_index=self.y_index,
            y_rows=self.y_rows,
            weight=self.weight,
            params=self.params,
            grads=self.grads,
            meta=self.meta,
            alphas=self.alphas,
            loss_code=self.loss_code,
            work=self.work,
            per_sample=self.per_sample,
            batch=self.block,
            state=[self.scratch, self.scratch],
        )
        return value


#: Rows per block in :func:`forward`: a block's activations (rows × the widest layer) stay in
#: the core's L2 cache between one layer's product and the next.
BLOCK_ROWS = 256

#: The output functions :func:`forward` applies to the last layer's values.
OUTPUTS = ("logits", "softmax", "sigmoid", "binary")

#: The activations of the networks :func:`forward` computes in its kernel (``engine="compiled"``;
#: ``"auto"`` takes those of :data:`sigmanet.engine.AUTO_ACTIVATIONS` ``["predict"]``). GELU,
#: SiLU, ELU and SELU spend their time in exp or erf, which NumPy evaluates vectorised and
#: numba one element at a time: those networks predict on the NumPy path.
PREDICTED_ACTIVATIONS = ("identity", "relu", "leaky_relu", "relu6", "sigmoid", "tanh")


def forward(
    network: Any,
    X: np.ndarray,
    engine: str = "auto",
    output: str = "logits",
    *,
    finite: bool = False,
) -> np.ndarray | None:
    """The network's output for ``X`` (float, the network's dtype), or None when the compiled
    kernel does not cover the network (its activations must be among
    ``PREDICTED_ACTIVATIONS``, with ``engine="auto"`` among those listed for prediction in
    its dtype), numba is missing or ``engine`` is ``"numpy"``; with ``finite=True``, None
    also when ``X`` holds a NaN or an infinity, which the kernel finds as it goes (the caller
    then has its own scan report it). Without it such values propagate, as on the NumPy path.

    ``output`` is what the last layer's values become: ``"logits"`` (as they are),
    ``"softmax"`` (per row, ``e^(z_j - m) / Σ_i e^(z_i - m)`` with ``m`` the row maximum),
    ``"sigmoid"`` (per value) or ``"binary"`` (one logit ``z`` per row becomes the two columns
    ``(σ(-z), σ(z))``). The kernel goes through ``BLOCK_ROWS`` rows at a time: per layer one
    matrix product, then one pass that adds the bias and applies the activation in place; the
    last layer's pass applies ``output`` and writes into the result.
    """
    from sigmanet.engine import available, network_coverage

    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(map(repr, OUTPUTS))}; got {output!r}.")
    if engine == "numpy" or not isinstance(X, np.ndarray):  # a sparse X stays on NumPy's path
        return None
    if X.ndim != 2 or X.shape[0] == 0 or X.dtype != network.dtype:
        return None
    if output == "binary" and network.output_dim != 1:
        raise ValueError(f"output='binary' needs one output; the network has {network.output_dim}.")
    reason, layers = network_coverage(network, engine, "predict")
    if reason is not None or any(
        name is not None and name not in PREDICTED_ACTIVATIONS for _, name, _ in layers
    ):
        return None
    if not available():
        return None
    from sigmanet.engine import _predict
    from sigmanet.engine._blas import gemm_address

    params = network.flat_parameters()
    rows = min(BLOCK_ROWS, X.shape[0])
    meta, alphas, work = layer_tables(params, layers, rows, training=False)
    width = 2 if output == "binary" else network.output_dim
    out = np.empty((X.shape[0], width), dtype=network.dtype)
    non_finite = _predict.predict(
        np.ascontiguousarray(X),
        params,
        meta,
        alphas,
        np.array(_codes.CONSTANTS, dtype=network.dtype),
        work,
        out,
        rows,
        OUTPUTS.index(output),
        gemm_address(network.dtype),
        finite,
    )
    return None if finite and non_finite else out
