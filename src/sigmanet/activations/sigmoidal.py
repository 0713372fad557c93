"""The sigmoidal (logistic) family: S-shaped curves bounded on both sides, and log σ.

sigmoid (alias logistic), generalized_logistic, log_sigmoid, tanh, hard_sigmoid, softsign.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from sigmanet._numerics.contract import as_input, check_out, emit, piecewise_constant, zeros_like
from sigmanet._numerics.tails import sech_squared, sigmoid_prime_from_abs
from sigmanet.activations.core import FINITE, NONZERO, define, parameter

__all__ = [
    "generalized_logistic",
    "generalized_logistic_derivative",
    "generalized_logistic_second_derivative",
    "hard_sigmoid",
    "hard_sigmoid_derivative",
    "hard_sigmoid_second_derivative",
    "log_sigmoid",
    "log_sigmoid_derivative",
    "log_sigmoid_second_derivative",
    "logistic",
    "logistic_derivative",
    "logistic_second_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "sigmoid_second_derivative",
    "softsign",
    "softsign_derivative",
    "softsign_second_derivative",
    "tanh",
    "tanh_derivative",
    "tanh_second_derivative",
]

INF = float("inf")


# -- sigmoid ---------------------------------------------------------------------------------


def sigmoid(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic sigmoid, σ(x) = 1 / (1 + e^(-x)); values in [0, 1], σ(-inf) = 0, σ(+inf) = 1.

    Notes
    -----
    Computed by ``scipy.special.expit``, which evaluates e^(-abs(x)) only, so it never overflows
    (the naive ``1/(1+exp(-x))`` overflows for x < -709 in float64, x < -88 in float32).
    """
    x = as_input(x)
    check_out(out, x.shape)
    return np.asarray(special.expit(x, out=out))


def sigmoid_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of the sigmoid, σ'(x) = σ(x)(1 - σ(x)).

    Its maximum is σ'(0) = 0.25, so each sigmoid layer scales the backpropagated gradient by
    at most 1/4: the reason deep sigmoid networks lose their gradient.

    Notes
    -----
    Evaluated as e/(1+e)² with e = exp(-abs(x)): no cancellation in 1 - σ(x) for large x.
    """
    x = as_input(x)
    return emit(sigmoid_prime_from_abs(np.abs(x)), x.dtype, None)


def sigmoid_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of the sigmoid, σ''(x) = σ'(x)(1 - 2σ(x)) = -σ'(x)·tanh(x/2)."""
    x = as_input(x)
    return emit(-sigmoid_prime_from_abs(np.abs(x)) * np.tanh(x / 2), x.dtype, None)


def _sigmoid_backward(
    x: np.ndarray, y: np.ndarray | None, grad: np.ndarray, out: np.ndarray
) -> np.ndarray:
    if y is None:
        y = special.expit(x)
    np.subtract(1, y, out=out)
    np.multiply(out, y, out=out)
    return np.multiply(out, grad, out=out)


define(
    "sigmoid",
    sigmoid,
    sigmoid_derivative,
    sigmoid_second_derivative,
    aliases=("logistic",),
    initializer="glorot_uniform",
    range=(0.0, 1.0),
    limits=((0, 1), (0, 0), (0, 0)),
    backward=_sigmoid_backward,
)

logistic = sigmoid
logistic_derivative = sigmoid_derivative
logistic_second_derivative = sigmoid_second_derivative


# -- generalized_logistic --------------------------------------------------------------------


def generalized_logistic(
    x: ArrayLike,
    L: float = 1.0,
    k: float = 1.0,
    x0: float = 0.0,
    *,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """General logistic function, f(x) = L / (1 + e^(-k(x - x0))) = L·σ(k(x - x0)).

    The family of S-curves the sigmoid belongs to (L = 1, k = 1, x0 = 0).

    Parameters
    ----------
    L : float
        The curve's maximum (its supremum; the infimum is 0).
    k : float, nonzero
        Steepness; negative k gives a decreasing curve.
    x0 : float
        The midpoint, where f(x0) = L/2.
    """
    L, k, x0 = _check_generalized_logistic(L, k, x0)
    x = as_input(x)
    check_out(out, x.shape)
    z = _logistic_argument(x, k, x0)
    if L == 1.0:
        return np.asarray(special.expit(z, out=out))
    return np.asarray(np.multiply(special.expit(z), L, out=out))


def generalized_logistic_derivative(
    x: ArrayLike, L: float = 1.0, k: float = 1.0, x0: float = 0.0
) -> np.ndarray:
    """Derivative of the general logistic function, f'(x) = L·k·σ(z)(1 - σ(z)), z = k(x - x0).

    L, k and x0 as in :func:`generalized_logistic`.
    """
    x, z, L, k = _generalized_logistic_argument(x, L, k, x0)
    return emit(sigmoid_prime_from_abs(np.abs(z)) * (L * k), x.dtype, None)


def generalized_logistic_second_derivative(
    x: ArrayLike, L: float = 1.0, k: float = 1.0, x0: float = 0.0
) -> np.ndarray:
    """Second derivative, f''(x) = L·k²·σ'(z)(1 - 2σ(z)) = -L·k²·σ'(z)·tanh(z/2), z = k(x - x0).

    L, k and x0 as in :func:`generalized_logistic`.
    """
    x, z, L, k = _generalized_logistic_argument(x, L, k, x0)
    result = sigmoid_prime_from_abs(np.abs(z)) * np.tanh(z / 2) * (-L * k * k)
    return emit(result, x.dtype, None)


_GENERALIZED_LOGISTIC = {"L": (1.0, FINITE), "k": (1.0, NONZERO), "x0": (0.0, FINITE)}


def _check_generalized_logistic(L: Any, k: Any, x0: Any) -> tuple[float, float, float]:
    name = "generalized_logistic"
    return (
        parameter(name, "L", L, FINITE),
        parameter(name, "k", k, NONZERO),
        parameter(name, "x0", x0, FINITE),
    )


def _generalized_logistic_argument(
    x: ArrayLike, L: Any, k: Any, x0: Any
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """``(x, z, L, k)`` with the parameters checked, x as an array and z = k(x - x0)."""
    L, k, x0 = _check_generalized_logistic(L, k, x0)
    x = as_input(x)
    return x, _logistic_argument(x, k, x0), L, k


def _logistic_argument(x: np.ndarray, k: float, x0: float) -> np.ndarray:
    if k == 1.0 and x0 == 0.0:
        return x
    # k(x - x0) beyond the float range only means "saturated": inf gives σ its exact limit.
    with np.errstate(over="ignore"):
        return np.multiply(np.subtract(x, x0), k)


define(
    "generalized_logistic",
    generalized_logistic,
    generalized_logistic_derivative,
    generalized_logistic_second_derivative,
    params=_GENERALIZED_LOGISTIC,
    initializer="glorot_uniform",
    range=lambda L, k, x0: (min(0.0, L), max(0.0, L)),
    limits=((0, 1), (0, 0), (0, 0)),
)


# -- log_sigmoid -----------------------------------------------------------------------------


def log_sigmoid(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Log of the sigmoid, log σ(x) = -log(1 + e^(-x)) = -softplus(-x).

    Values ≤ 0; equals x exactly for x ≤ -40 in float64.

    Notes
    -----
    ``scipy.special.log_expit``: min(0, x) - log1p(e^(-abs(x))), never log(σ(x)), which would
    give -inf once σ(x) underflows.
    """
    x = as_input(x)
    check_out(out, x.shape)
    return np.asarray(special.log_expit(x, out=out))


def log_sigmoid_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of log σ, f'(x) = 1 - σ(x) = σ(-x)."""
    x = as_input(x)
    return np.asarray(special.expit(-x))


def log_sigmoid_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of log σ, f''(x) = -σ(x)(1 - σ(x))."""
    x = as_input(x)
    return emit(-sigmoid_prime_from_abs(np.abs(x)), x.dtype, None)


define(
    "log_sigmoid",
    log_sigmoid,
    log_sigmoid_derivative,
    log_sigmoid_second_derivative,
    initializer="glorot_uniform",
    range=(-INF, 0.0),
    limits=((-INF, 0), (1, 0), (0, 0)),
)


# -- tanh ------------------------------------------------------------------------------------


def tanh(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Hyperbolic tangent, tanh(x) = (e^x - e^(-x)) / (e^x + e^(-x)) = 2σ(2x) - 1; values in
    [-1, 1]."""
    x = as_input(x)
    check_out(out, x.shape)
    return np.asarray(np.tanh(x, out=out))


def tanh_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of tanh, f'(x) = 1 - tanh²(x) = sech²(x).

    Notes
    -----
    Evaluated as 4e/(1+e)² with e = exp(-2 abs(x)), accurate in the tails where 1 - tanh² is not.
    """
    x = as_input(x)
    return emit(sech_squared(x), x.dtype, None)


def tanh_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of tanh, f''(x) = -2·tanh(x)·(1 - tanh²(x))."""
    x = as_input(x)
    return emit(-2 * np.tanh(x) * sech_squared(x), x.dtype, None)


def _tanh_backward(
    x: np.ndarray, y: np.ndarray | None, grad: np.ndarray, out: np.ndarray
) -> np.ndarray:
    if y is None:
        y = np.tanh(x)
    np.multiply(y, y, out=out)
    np.subtract(1, out, out=out)
    return np.multiply(out, grad, out=out)


define(
    "tanh",
    tanh,
    tanh_derivative,
    tanh_second_derivative,
    initializer="glorot_uniform",
    range=(-1.0, 1.0),
    limits=((-1, 1), (0, 0), (0, 0)),
    backward=_tanh_backward,
)


# -- hard_sigmoid ----------------------------------------------------------------------------


def hard_sigmoid(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Hard sigmoid, f(x) = relu6(x + 3) / 6 (PyTorch's ``Hardsigmoid``).

    A piecewise-linear stand-in for σ: 0 for x ≤ -3, 1 for x ≥ 3, linear in between.
    """
    x = as_input(x)
    check_out(out, x.shape)
    dtype = x.dtype.type
    return np.asarray(np.divide(np.clip(x + dtype(3), dtype(0), dtype(6)), dtype(6), out=out))


def hard_sigmoid_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of the hard sigmoid, f'(x) = 1/6 on (-3, 3), else 0."""
    x = as_input(x)
    return piecewise_constant(x, [((x > -3) & (x < 3), 1.0 / 6.0)])


def hard_sigmoid_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of the hard sigmoid: 0 away from the kinks at ±3."""
    return zeros_like(as_input(x))


define(
    "hard_sigmoid",
    hard_sigmoid,
    hard_sigmoid_derivative,
    hard_sigmoid_second_derivative,
    initializer="glorot_uniform",
    range=(0.0, 1.0),
    limits=((0, 1), (0, 0), (0, 0)),
    kinks=(-3.0, 3.0),
)


# -- softsign --------------------------------------------------------------------------------


def softsign(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Softsign, f(x) = x / (1 + abs(x)); values in [-1, 1], f(±inf) = ±1."""
    x = as_input(x)
    check_out(out, x.shape)
    big = np.finfo(x.dtype).max
    # Clipping ±inf to ±max gives max/(1 + max) = 1 exactly instead of inf/inf = NaN.
    xc = np.clip(x, -big, big)
    return np.asarray(np.divide(xc, 1 + np.abs(xc), out=out))


def softsign_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of softsign, f'(x) = 1 / (1 + abs(x))².

    Notes
    -----
    Squaring 1/(1 + abs(x)) rather than dividing by (1 + abs(x))² avoids overflow beyond 1e154.
    """
    x = as_input(x)
    r = 1 / (1 + np.abs(x))
    return np.asarray(r * r)


def softsign_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of softsign, f''(x) = -2·sign(x) / (1 + abs(x))³.

    0 at x = 0, where the one-sided values ∓2 disagree.
    """
    x = as_input(x)
    r = 1 / (1 + np.abs(x))
    return np.asarray(-2 * np.sign(x) * (r * r * r))


define(
    "softsign",
    softsign,
    softsign_derivative,
    softsign_second_derivative,
    initializer="glorot_uniform",
    range=(-1.0, 1.0),
    limits=((-1, 1), (0, 0), (0, 0)),
    kinks=(0.0,),
)
