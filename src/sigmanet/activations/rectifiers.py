"""The rectifiers: piecewise-linear units that pass positive input unchanged.

relu, relu6, leaky_relu. (PReLU, whose slope is learned, and maxout are layers:
:class:`sigmanet.layers.PReLU`, :class:`sigmanet.layers.Maxout`.)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from sigmanet._numerics.contract import (
    as_input,
    check_out,
    keep_nan,
    piecewise_constant,
    zeros_like,
)
from sigmanet.activations.core import FINITE, define, parameter

__all__ = [
    "leaky_relu",
    "leaky_relu_derivative",
    "leaky_relu_second_derivative",
    "relu",
    "relu6",
    "relu6_derivative",
    "relu6_second_derivative",
    "relu_derivative",
    "relu_second_derivative",
]

INF = float("inf")


# -- relu ------------------------------------------------------------------------------------


def relu(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Rectified linear unit, f(x) = max(0, x)."""
    x = as_input(x)
    check_out(out, x.shape)
    return np.asarray(np.maximum(x, x.dtype.type(0), out=out))


def relu_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of ReLU, f'(x) = 1 for x > 0, else 0.

    At the kink x = 0 the subgradient 0 is returned, as PyTorch does.
    """
    x = as_input(x)
    return keep_nan((x > 0).astype(x.dtype), x)


def relu_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of ReLU: 0 (everywhere except the kink, where it does not exist)."""
    return zeros_like(as_input(x))


def _relu_backward(
    x: np.ndarray, y: np.ndarray | None, grad: np.ndarray, out: np.ndarray
) -> np.ndarray:
    np.greater(x, 0, out=out)
    return np.multiply(out, grad, out=out)


define(
    "relu",
    relu,
    relu_derivative,
    relu_second_derivative,
    initializer="he_uniform",
    range=(0.0, INF),
    limits=((0, INF), (0, 1), (0, 0)),
    kinks=(0.0,),
    backward=_relu_backward,
)


# -- relu6 -----------------------------------------------------------------------------------


def relu6(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """ReLU capped at 6, f(x) = min(max(0, x), 6)."""
    x = as_input(x)
    check_out(out, x.shape)
    dtype = x.dtype.type
    return np.asarray(np.clip(x, dtype(0), dtype(6), out=out))


def relu6_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of ReLU6, f'(x) = 1 on the open interval (0, 6), else 0."""
    x = as_input(x)
    return piecewise_constant(x, [((x > 0) & (x < 6), 1.0)])


def relu6_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of ReLU6: 0 away from the kinks at 0 and 6."""
    return zeros_like(as_input(x))


define(
    "relu6",
    relu6,
    relu6_derivative,
    relu6_second_derivative,
    initializer="he_uniform",
    range=(0.0, 6.0),
    limits=((0, 6), (0, 0), (0, 0)),
    kinks=(0.0, 6.0),
)


# -- leaky_relu ------------------------------------------------------------------------------


def leaky_relu(x: ArrayLike, alpha: float = 0.01, *, out: np.ndarray | None = None) -> np.ndarray:
    """Leaky ReLU, f(x) = x for x > 0, α·x for x ≤ 0 (Maas et al. 2013).

    Parameters
    ----------
    alpha : float
        Slope of the negative part.
    """
    alpha = parameter("leaky_relu", "alpha", alpha, FINITE)
    x = as_input(x)
    check_out(out, x.shape)
    zero = x.dtype.type(0)
    if alpha == 0.0:
        return np.asarray(np.maximum(x, zero, out=out))
    # max(x,0) + α·min(x,0) adds an exact zero to one term, so each branch is exact.
    with np.errstate(over="ignore"):  # only |α| > 1 can overflow, to the correct ±inf
        negative = np.minimum(x, zero) * alpha
    return np.asarray(np.add(np.maximum(x, zero), negative, out=out))


def leaky_relu_derivative(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """Derivative of leaky ReLU, f'(x) = 1 for x > 0, α for x ≤ 0."""
    alpha = parameter("leaky_relu", "alpha", alpha, FINITE)
    x = as_input(x)
    return piecewise_constant(x, [(x > 0, 1.0), (x <= 0, alpha)])


def leaky_relu_second_derivative(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """Second derivative of leaky ReLU: 0 away from the kink."""
    parameter("leaky_relu", "alpha", alpha, FINITE)
    return zeros_like(as_input(x))


def _leaky_relu_backward(
    x: np.ndarray, y: np.ndarray | None, grad: np.ndarray, out: np.ndarray, alpha: float
) -> np.ndarray:
    # (x > 0) is 1 or 0; h(1 - α) + α maps that to 1 or α.
    np.greater(x, 0, out=out)
    np.multiply(out, 1 - alpha, out=out)
    np.add(out, alpha, out=out)
    return np.multiply(out, grad, out=out)


define(
    "leaky_relu",
    leaky_relu,
    leaky_relu_derivative,
    leaky_relu_second_derivative,
    params={"alpha": (0.01, FINITE)},
    initializer="he_uniform",
    range=lambda alpha: (-INF if alpha > 0 else 0.0, INF),
    limits=((-INF, INF), (0.01, 1), (0, 0)),
    kinks=(0.0,),
    backward=_leaky_relu_backward,
)
