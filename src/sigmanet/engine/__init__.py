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

The same kernels give the full-batch loss and gradient L-BFGS evaluates
(:class:`~sigmanet.training.FullBatchObjective`: logistic and softmax regression, MLPs) in one
forward pass, one fused loop for loss and residual, and one backward pass; and the estimators'
predictions (:func:`forward`, block by block).

Maxout, PReLU, dropout, user-registered activations and subclasses of the built-in losses,
layers and optimizers stay on the NumPy path. ``engine="auto"`` compiles a network only where
the kernel was measured faster: for each path (the training epoch, the L-BFGS objective,
prediction) and dtype, :data:`AUTO_ACTIVATIONS` lists the activations it takes there;
``engine="compiled"`` takes every one of :data:`ACTIVATIONS` in training and L-BFGS, and
identity, the ReLU family, sigmoid and tanh in prediction. float32 tanh and sigmoid go
through a rational tanh that vectorises (``sigmanet._numerics.rational_tanh``, within 7
ulps; σ(x) = ½ + ½ tanh(x/2)); float64 keeps the exact formulas, its sigmoid's exp through a
vectorised exp within an ulp (``sigmanet._numerics.vector_exp``). numba is imported, and a
kernel compiled, only when a fit uses the engine. Each configuration (its layers'
activations, its loss, its optimizer, whether samples are weighted) gets an epoch of its own,
generated as source and compiled for the dtype it meets, so a fit compiles only the formulas
it uses (a training fit compiles neither the L-BFGS nor the prediction kernel); compiled code
is cached on disk (``NUMBA_CACHE_DIR`` when set), so later processes load it.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from sigmanet.engine._epoch import EpochKernel
from sigmanet.engine._full_batch import FullBatchKernel, forward

__all__ = [
    "ACTIVATIONS",
    "AUTO_ACTIVATIONS",
    "ENGINES",
    "PATHS",
    "EpochKernel",
    "FullBatchKernel",
    "available",
    "coverage",
    "epoch_kernel",
    "forward",
    "full_batch_kernel",
    "loss_coverage",
    "network_coverage",
]

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

#: The engine's three paths: the training epoch (:func:`epoch_kernel`), the full-batch loss
#: and gradient L-BFGS evaluates (:func:`full_batch_kernel`) and prediction (:func:`forward`).
PATHS = ("epoch", "full_batch", "predict")

_CHEAP = ("identity", "relu", "leaky_relu", "relu6")

#: The activations ``engine="auto"`` compiles, per path and dtype: those where the compiled
#: kernel was measured faster than the NumPy path in every case of that path and dtype.
#: ``engine="compiled"`` takes every one of :data:`ACTIVATIONS` in training and L-BFGS, and
#: those of ``sigmanet.engine._full_batch.PREDICTED_ACTIVATIONS`` in prediction.
AUTO_ACTIVATIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "epoch": {
        "float32": (*_CHEAP, "sigmoid", "tanh", "silu"),
        "float64": (*_CHEAP, "sigmoid", "silu"),
    },
    "full_batch": {
        "float32": (*_CHEAP, "sigmoid", "tanh"),
        "float64": (*_CHEAP, "sigmoid", "silu"),
    },
    "predict": {
        "float32": (*_CHEAP, "sigmoid", "tanh"),
        "float64": (*_CHEAP, "sigmoid"),
    },
}
# How the lists were chosen: ``python benchmarks/activations.py`` (100-256-128-10, softmax
# cross-entropy, one BLAS thread, compiled and NumPy interleaved, medians of 3 rounds; a quiet
# 2-core machine, load average 0.9-1.0). NumPy's time over the compiled one (above 1: the
# kernel is faster); epoch: Adam, 4,096 samples, 2 epochs; L-BFGS: 10 loss-and-gradient
# evaluations on 4,096 rows; predict: softmax output of 20,000 rows:
#
#              epoch f32     epoch f64     L-BFGS       predict
#              b32   b256    b32   b256    f32   f64    f32   f64
#   relu       1.76  1.22    1.94  1.19    1.27  1.22   1.15  1.28
#   sigmoid    1.77  1.45    1.56  1.19    1.45  1.16   2.02  1.22
#   tanh       1.76  1.20    1.21  0.86    1.23  0.72   1.08  0.44
#   silu       1.64  1.34    1.70  1.52    0.92  1.03
#   elu        1.40  0.94    1.26  0.95    0.51  0.74
#   selu       1.24  0.97    1.24  0.90    0.54  0.64
#   gelu       1.13  0.94    1.22  0.98    0.96  0.93
#
# float32 tanh and sigmoid (σ(x) = ½ + ½ tanh(x/2)) go through the rational tanh, which
# vectorises; in float64 numba calls the C library's tanh one element at a time, where NumPy's
# float64 tanh is vectorised: float64 tanh networks stay on NumPy on every path. (The float64
# sigmoid's exp has been vectorised since this table was measured: sigmoid only gained.) ELU,
# SELU and GELU lose at batch 256, near the MLPs' default batch of min(200, n_samples), so
# "auto" leaves them to NumPy. SiLU's L-BFGS objective loses in float32 and gains a little in
# float64 (1.03 here; 1.11 and 1.08 in two runs on a loaded machine). The full-batch kernel
# computes SiLU, ELU, SELU and GELU through a dispatch on the activation per element (the
# generated epoch has their formulas written into its loops). The prediction kernel does not
# compute them: a per-element loop added to it for a measurement only (loaded machine) took
# them to 0.40-0.89 of NumPy's speed.

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


def network_coverage(
    network: Any, engine: str = "compiled", path: str = "epoch"
) -> tuple[str | None, list[Any]]:
    """Why the kernels cannot compute this network (None if they can), and its layers.

    The layers come as ``(dense, activation name or None, activation parameters)``. For
    ``engine="auto"`` only the activations :data:`AUTO_ACTIVATIONS` lists for ``path`` (one
    of :data:`PATHS`) and the network's dtype qualify.
    """
    if path not in AUTO_ACTIVATIONS:
        raise ValueError(f"path must be one of {', '.join(map(repr, PATHS))}; got {path!r}.")
    from sigmanet.layers import Activation, Dense

    if network.input_dim is None:
        return "the network is not built", []
    if network.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        return f"dtype {network.dtype}", []
    fast = AUTO_ACTIVATIONS[path][network.dtype.name]
    layers: list[tuple[Any, str | None, dict[str, float]]] = []
    for index, layer in enumerate(network.layers):
        if type(layer) is Dense:
            layers.append((layer, None, {}))
        elif type(layer) is Activation and layers and layers[-1][1] is None:
            activation = layer.activation
            if not activation.spec.builtin or activation.name not in ACTIVATIONS:
                return f"activation {activation.name!r} (layer {index})", []
            if engine == "auto" and activation.name not in fast:
                return (
                    f"activation {activation.name!r} is faster on NumPy in {network.dtype.name} "
                    f"(layer {index})",
                    [],
                )
            layers[-1] = (layers[-1][0], activation.name, dict(activation.params))
        else:
            return f"layer {index} ({type(layer).__name__})", []
    if not layers:
        return "the network has no Dense layer", []
    return None, layers


def loss_coverage(loss: Any, y: np.ndarray, network: Any) -> tuple[str | None, int]:
    """Why the kernels cannot compute this loss on targets ``y`` (None if they can); its code."""
    from sigmanet import losses as _losses
    from sigmanet.engine import _codes

    n_outputs = network.output_dim
    loss_type = type(loss)
    if loss_type is _losses.SoftmaxCrossEntropyWithLogits:
        if loss.class_weight is not None or loss.label_smoothing:
            return "softmax cross-entropy with class weights or label smoothing", -1
        if y.ndim != 1:
            return "softmax cross-entropy with target rows (the kernel takes class indices)", -1
        if y.dtype.kind not in "iu":
            return "class indices that are not integers", -1
        if y.size and (y.min() < 0 or y.max() >= n_outputs):
            return "class indices outside the output's range", -1
        return None, _codes.SOFTMAX_CE
    if loss_type is _losses.BinaryCrossEntropyWithLogits or loss_type is _losses.SquaredError:
        if getattr(loss, "pos_weight", None) is not None:
            return "binary cross-entropy with pos_weight", -1
        if y.ndim != 2 or y.shape[1] != n_outputs or y.dtype != network.dtype:
            return f"targets of shape {y.shape} and dtype {y.dtype}", -1
        if loss_type is _losses.SquaredError:
            return None, _codes.SQUARED_ERROR
        if not np.all((y >= 0) & (y <= 1)):
            return "binary targets outside [0, 1]", -1
        return None, _codes.BINARY_CE
    return f"loss {loss_type.__name__}", -1


def coverage(
    network: Any,
    loss: Any,
    optimizer: Any,
    y: np.ndarray,
    *,
    batch_callbacks: bool = False,
    engine: str = "compiled",
) -> tuple[str | None, dict[str, Any]]:
    """Why the epoch kernel cannot train this configuration (None if it can), and its codes.

    The second element holds the codes the kernel takes (layers, loss, optimizer); it is
    empty when the first is not None.
    """
    from sigmanet import optimizers as _optimizers
    from sigmanet.engine import _codes

    if batch_callbacks:
        return "a callback acts after every batch (on_batch_end)", {}
    reason, layers = network_coverage(network, engine, "epoch")
    if reason is not None:
        return reason, {}
    reason, loss_code = loss_coverage(loss, y, network)
    if reason is not None:
        return reason, {}
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
    reason, codes = coverage(
        network, loss, optimizer, y, batch_callbacks=batch_callbacks, engine=engine
    )
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
    if optimizer.shapes is None:
        optimizer.build(params)
    elif [tuple(s) for s in optimizer.shapes] != [params[0].shape] or optimizer.dtypes != [
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


def full_batch_kernel(
    network: Any,
    loss: Any,
    X: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray | None,
    engine: str = "auto",
) -> FullBatchKernel | None:
    """The compiled full-batch loss and gradient for this objective, or None for NumPy's."""
    if not isinstance(X, np.ndarray):  # a sparse X: the kernel multiplies dense rows
        return None
    reason, layers = network_coverage(network, engine, "full_batch")
    if reason is None:
        reason, loss_code = loss_coverage(loss, y, network)
    if reason is not None or not available():
        return None
    return FullBatchKernel(network, layers, loss_code, X, y, weight)
