"""The compiled training engine: whole epochs of common networks as one compiled call.

The NumPy path of :func:`sigmanet.training.train` is the reference: the code a learner reads,
and the path for everything. For the configurations most fits use, this package runs each
epoch as one call of a numba-compiled kernel instead (matrix products through BLAS, the rest
fused into loops), which removes the per-call overhead of some forty NumPy calls per step.
It repeats the NumPy path's arithmetic in the same order and dtype, so the two agree (float64
loss curves and parameters to about 1e-12 relative, float32 parameters to about 1e-5 over 100
steps) and behave alike on NaN and inf: a step that produces a non-finite loss or an
overflowing gradient is handed to the NumPy path, which reports it as it always does.

What the kernel covers (:func:`coverage` says why a configuration is not covered):

* networks of :class:`~sigmanet.layers.Dense` layers, each followed by at most one
  :class:`~sigmanet.layers.Activation` among :data:`ACTIVATIONS`;
* softmax cross-entropy from logits with class indices, binary cross-entropy from logits and
  the squared error, without class weights, label smoothing or ``pos_weight``;
* sample weights, the L2 penalty, every schedule;
* :class:`~sigmanet.optimizers.GradientDescent` (momentum, Nesterov),
  :class:`~sigmanet.optimizers.Adam`, :class:`~sigmanet.optimizers.AdamW`,
  :class:`~sigmanet.optimizers.RMSProp` and :class:`~sigmanet.optimizers.Adagrad`;
* callbacks that act at epoch ends only (a callback with ``on_batch_end`` needs every batch).

Maxout, PReLU, dropout, user-registered activations and subclasses of the built-in losses,
layers and optimizers stay on the NumPy path. numba is imported, and a kernel compiled, only
when a fit uses the engine; compiled code is cached on disk, so later processes load it.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from sigmanet.engine._epoch import EpochKernel

__all__ = ["ACTIVATIONS", "ENGINES", "EpochKernel", "available", "coverage", "epoch_kernel"]

#: The values of the ``engine`` parameter.
ENGINES = ("auto", "compiled", "numpy")

#: The activations the kernel computes (with their parameters where they have one).
ACTIVATIONS = (
    "identity",
    "relu",
    "leaky_relu",
    "relu6",
    "elu",
    "selu",
    "sigmoid",
    "tanh",
    "gelu",
    "silu",
)

_logger = logging.getLogger(__name__)
_numba_checked: bool | None = None


def available() -> bool:
    """Whether numba can be imported (the first call imports it, about half a second)."""
    global _numba_checked
    if _numba_checked is None:
        try:
            import numba  # noqa: F401
        except ImportError:
            _numba_checked = False
            _logger.warning(
                "numba is not installed: sigmanet trains on its NumPy path (same results, "
                "slower); `pip install numba` enables the compiled engine."
            )
        else:
            _numba_checked = True
    return _numba_checked


def check_engine(engine: Any) -> str:
    """``engine`` if it is one of :data:`ENGINES`; a ValueError naming them otherwise."""
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(map(repr, ENGINES))}; got {engine!r}.")
    return engine


def coverage(
    network: Any,
    loss: Any,
    optimizer: Any,
    y: np.ndarray,
    *,
    batch_callbacks: bool = False,
) -> tuple[str | None, dict[str, Any]]:
    """Why the kernel cannot train this configuration (None if it can), and what it needs.

    The second element holds the codes the kernel takes (layers, loss, optimizer); it is
    empty when the first is not None.
    """
    from sigmanet import losses as _losses
    from sigmanet import optimizers as _optimizers
    from sigmanet.engine import _codes
    from sigmanet.layers import Activation, Dense

    if batch_callbacks:
        return "a callback acts after every batch (on_batch_end)", {}
    if network.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        return f"dtype {network.dtype}", {}
    layers: list[tuple[Any, str | None, dict[str, float]]] = []
    for index, layer in enumerate(network.layers):
        if type(layer) is Dense:
            layers.append((layer, None, {}))
        elif type(layer) is Activation and layers and layers[-1][1] is None:
            activation = layer.activation
            spec = activation._spec
            if not spec.builtin or activation.name not in ACTIVATIONS:
                return f"activation {activation.name!r} (layer {index})", {}
            layers[-1] = (layers[-1][0], activation.name, dict(activation.params))
        else:
            return f"layer {index} ({type(layer).__name__})", {}
    if not layers:
        return "the network has no Dense layer", {}
    n_outputs = network.output_dim

    loss_type = type(loss)
    if loss_type is _losses.SoftmaxCrossEntropyWithLogits:
        if loss.class_weight is not None or loss.label_smoothing:
            return "softmax cross-entropy with class weights or label smoothing", {}
        if y.ndim != 1:
            return "softmax cross-entropy with target rows (the kernel takes class indices)", {}
        if y.dtype.kind not in "iu":
            return "class indices that are not integers", {}
        if y.size and (y.min() < 0 or y.max() >= n_outputs):
            return "class indices outside the output's range", {}
        loss_code = _codes.SOFTMAX_CE
    elif loss_type is _losses.BinaryCrossEntropyWithLogits:
        if loss.pos_weight is not None:
            return "binary cross-entropy with pos_weight", {}
        if y.ndim != 2 or y.shape[1] != n_outputs or y.dtype != network.dtype:
            return f"targets of shape {y.shape} and dtype {y.dtype}", {}
        if not np.all((y >= 0) & (y <= 1)):
            return "binary targets outside [0, 1]", {}
        loss_code = _codes.BINARY_CE
    elif loss_type is _losses.SquaredError:
        if y.ndim != 2 or y.shape[1] != n_outputs or y.dtype != network.dtype:
            return f"targets of shape {y.shape} and dtype {y.dtype}", {}
        loss_code = _codes.SQUARED_ERROR
    else:
        return f"loss {loss_type.__name__}", {}

    optimizer_code = {
        _optimizers.GradientDescent: _codes.SGD,
        _optimizers.Adam: _codes.ADAM,
        _optimizers.AdamW: _codes.ADAMW,
        _optimizers.RMSProp: _codes.RMSPROP,
        _optimizers.Adagrad: _codes.ADAGRAD,
    }.get(type(optimizer))
    if optimizer_code is None:
        return f"optimizer {type(optimizer).__name__}", {}
    return None, {"layers": layers, "loss": loss_code, "optimizer": optimizer_code}


def epoch_kernel(
    engine: str,
    network: Any,
    loss: Any,
    optimizer: Any,
    y: np.ndarray,
    weight: np.ndarray | None,
    *,
    batch: int,
    l2: float,
    l2_per_batch: bool,
    dataset_weight: float,
    mean_weight: float,
    batch_callbacks: bool,
    sparse: bool = False,
) -> EpochKernel | None:
    """The compiled epoch for this fit, or None for the NumPy path.

    ``engine="auto"`` returns None for a configuration the kernel does not cover or without
    numba; ``"compiled"`` raises a ValueError saying why instead; ``"numpy"`` returns None.
    """
    check_engine(engine)
    if engine == "numpy":
        return None
    reason, codes = coverage(network, loss, optimizer, y, batch_callbacks=batch_callbacks)
    if sparse:  # the kernel multiplies dense rows
        reason = "X is a sparse matrix"
    if reason is None and not available():
        reason = "numba is not installed"
    if reason is not None:
        if engine == "compiled":
            raise ValueError(
                f"engine='compiled' cannot train this configuration: {reason}. Use "
                "engine='auto' to fall back to the NumPy path, or engine='numpy'."
            )
        return None
    params = [network.flat_parameters()]
    if optimizer._shapes is None:
        optimizer._build(params)
    elif [tuple(s) for s in optimizer._shapes] != [params[0].shape] or optimizer._dtypes != [
        params[0].dtype
    ]:
        return None  # the NumPy path reports the mismatch
    return EpochKernel(
        network,
        codes,
        optimizer,
        y,
        weight,
        batch=batch,
        l2=l2,
        l2_per_batch=l2_per_batch,
        dataset_weight=dataset_weight,
        mean_weight=mean_weight,
    )
