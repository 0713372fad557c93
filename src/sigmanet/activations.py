"""Activation functions with their exact first and second derivatives, and a registry.

Every elementwise activation ``f`` comes as three pure functions, ``f(x)``,
``f_derivative(x)`` and ``f_second_derivative(x)``, all taken with respect to the *input*
``x``. They accept any array_like of real numbers and return an ndarray of the same shape
(0-d for a scalar). float32 stays float32, integers and booleans become float64.

Numerical contract, for float32 and float64 alike:

* no overflow, invalid or divide-by-zero warning for any finite input (underflow to zero or
  to a subnormal number is allowed and expected in the tails);
* NaN in gives NaN out, ``±inf`` gives the mathematical limit;
* wherever the true value is a normal number, float64 function values agree with 50-digit
  references to a few units of 1e-16 relative (the tests demand 1e-13, also for the first
  derivatives of sigmoid, log_sigmoid, tanh, softplus, silu and gelu), float32 values to a
  few ulps (tests: 5e-7). Near a zero of f' (silu, gelu, mish) only absolute accuracy holds.
* compound activations (gelu, gelu_tanh, mish, silu') evaluate float32 input in float64 and
  round once; the piecewise-linear ones and sigmoid/tanh/softplus stay in float32.
* the ``backward`` specialisations from y (sigmoid, tanh) are accurate to a few eps times
  ``|grad_output|`` absolutely, not relatively where f' is tiny.

Softmax and log-softmax are not elementwise; they come with their Jacobian and the
vector-Jacobian products that backpropagation uses.

The registry maps names to :class:`Activation` objects, which bundle ``f``, ``f'``, ``f''``
and a ``backward`` specialised for speed (``sigmoid``: ``g·y(1-y)`` from the forward output).

>>> from sigmanet import activations
>>> act = activations.get("leaky_relu", alpha=0.1)
>>> act
Activation('leaky_relu', alpha=0.1)
>>> act([-1.0, 2.0]).tolist(), act.derivative([-1.0, 2.0]).tolist()
([-0.1, 2.0], [0.1, 1.0])
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from sigmanet._arrays import as_float_array, result_dtype

__all__ = [
    "SELU_ALPHA",
    "SELU_LAMBDA",
    "Activation",
    "elu",
    "elu_derivative",
    "elu_second_derivative",
    "gelu",
    "gelu_derivative",
    "gelu_second_derivative",
    "gelu_tanh",
    "gelu_tanh_derivative",
    "gelu_tanh_second_derivative",
    "generalized_logistic",
    "generalized_logistic_derivative",
    "generalized_logistic_second_derivative",
    "get",
    "hard_sigmoid",
    "hard_sigmoid_derivative",
    "hard_sigmoid_second_derivative",
    "hardswish",
    "hardswish_derivative",
    "hardswish_second_derivative",
    "identity",
    "identity_derivative",
    "identity_second_derivative",
    "leaky_relu",
    "leaky_relu_derivative",
    "leaky_relu_second_derivative",
    "log_sigmoid",
    "log_sigmoid_derivative",
    "log_sigmoid_second_derivative",
    "log_softmax",
    "log_softmax_vjp",
    "logistic",
    "logistic_derivative",
    "logistic_second_derivative",
    "mish",
    "mish_derivative",
    "mish_second_derivative",
    "names",
    "register",
    "relu",
    "relu6",
    "relu6_derivative",
    "relu6_second_derivative",
    "relu_derivative",
    "relu_second_derivative",
    "selu",
    "selu_derivative",
    "selu_second_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "sigmoid_second_derivative",
    "silu",
    "silu_derivative",
    "silu_second_derivative",
    "softmax",
    "softmax_jacobian",
    "softmax_vjp",
    "softplus",
    "softplus_derivative",
    "softplus_second_derivative",
    "softsign",
    "softsign_derivative",
    "softsign_second_derivative",
    "swish",
    "swish_derivative",
    "swish_second_derivative",
    "tanh",
    "tanh_derivative",
    "tanh_second_derivative",
    "unregister",
]

#: SELU scale λ (Klambauer et al. 2017, "Self-Normalizing Neural Networks").
SELU_LAMBDA = 1.0507009873554805
#: SELU negative-branch coefficient α (Klambauer et al. 2017).
SELU_ALPHA = 1.6732632423543772
_SELU_LAMBDA_ALPHA = SELU_LAMBDA * SELU_ALPHA

_INV_SQRT2 = 0.7071067811865476  # 1/√2
_INV_SQRT_2PI = 0.3989422804014327  # 1/√(2π)
# 2·√(2/π) and 2·√(2/π)·0.044715 as unevaluated sums hi + lo (double-double): the tanh-GELU
# tail exp(v) amplifies an absolute error in v by |v| (~600 at x = -20), so v is carried in
# double-double arithmetic to stay within 1e-13 of the exact formula.
_GELU_A_HI, _GELU_A_LO = 1.5957691216057308, -9.96930880911092e-17
_GELU_B_HI, _GELU_B_LO = 0.07135481627260025, -6.175149918155315e-19
_GELU_B_DEC = 0.044715
# Beyond |x| = _SATURATION every sigmoid-like factor is exactly 0 or 1 in float32 and
# float64, so clipping inner arguments there changes no result and keeps x·0 away from inf·0.
_SATURATION = 1000.0
# Φ(-40) ≈ 3.7e-350 is 0 in float64.
_GAUSS_TAIL_END = 40.0
_SPLITTER = 134217729.0  # 2**27 + 1, Veltkamp's splitting constant for float64


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _input(x: ArrayLike) -> np.ndarray:
    return as_float_array(x, "x")


def _check_out(out: Any, shape: tuple[int, ...]) -> None:
    if out is None:
        return
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray or None; got {type(out).__name__}.")
    if out.dtype.kind != "f":
        raise TypeError(f"out must have a floating dtype; got {out.dtype}.")
    if out.shape != shape:
        raise ValueError(f"out must have the input's shape {shape}; got {out.shape}.")
    if not out.flags.writeable:
        raise ValueError("out must be a writeable array.")


def _emit(result: Any, dtype: np.dtype[Any], out: np.ndarray | None) -> np.ndarray:
    """Return ``result`` in ``dtype``, or write it into ``out``."""
    if out is None:
        return np.asarray(result).astype(dtype, copy=False)
    np.copyto(out, result, casting="same_kind")
    return out


def _wide(x: np.ndarray) -> np.ndarray:
    # Compound formulas run in float64 for float32 input and are rounded once at the end:
    # float32 intermediates would stack several ulps of error.
    return x if x.dtype == np.float64 else x.astype(np.float64)


def _keep_nan(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Put NaN into ``values`` wherever ``x`` is NaN (piecewise formulas would drop it)."""
    nan = np.isnan(x)
    if nan.any():
        values = np.array(values, dtype=values.dtype, copy=True)
        values[nan] = np.nan
    return values


def _piecewise_constant(x: np.ndarray, conditions_values: list[tuple[Any, float]]) -> np.ndarray:
    """Constants on regions of ``x`` (0 elsewhere), NaN where ``x`` is NaN."""
    dtype = x.dtype.type
    result = np.zeros(x.shape, dtype=x.dtype)
    for condition, value in conditions_values:
        np.copyto(result, dtype(value), where=condition)
    return _keep_nan(result, x)


def _zeros_like(x: np.ndarray) -> np.ndarray:
    return _piecewise_constant(x, [])


def _sigmoid_prime_from_abs(abs_z: np.ndarray) -> np.ndarray:
    """σ'(z) = σ(z)σ(-z) = e/(1+e)² with e = exp(-abs(z)): one exp, no cancellation."""
    e = np.exp(-abs_z)
    one_plus = 1 + e
    return e / (one_plus * one_plus)


def _expit(z: np.ndarray) -> np.ndarray:
    """σ(z) down into the subnormal range.

    ``scipy.special.expit`` flushes to 0 below z ≈ -709.8 (float64) and -88.7 (float32),
    while x·σ(x) there is still a normal number; for z < -40, 1 + e^z rounds to 1 in both
    dtypes, so σ(z) = e^z exactly.
    """
    s = np.asarray(special.expit(z))
    tail = z < -40
    if tail.any():
        s = np.where(tail, np.exp(np.minimum(z, z.dtype.type(0))), s)
    return s


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp split of float64 ``a`` into a 26-bit head and the exact remainder."""
    c = _SPLITTER * a
    head = c - (c - a)
    return head, a - head


def _two_prod(a: Any, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's exact product: a·b = p + err (for abs(a·b) well inside the float64 range)."""
    p = a * b
    a_hi, a_lo = _split(np.asarray(a, dtype=np.float64))
    b_hi, b_lo = _split(b)
    err = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return p, err


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's exact sum: a + b = s + err."""
    s = a + b
    bb = s - a
    err = (a - (s - bb)) + (b - bb)
    return s, err


def _exp_neg_half_square(a: np.ndarray) -> np.ndarray:
    """exp(-a²/2) for float64 0 ≤ a ≤ 40, accurate to a few ulps.

    Rounding a² costs a relative error of a²·2⁻⁵³ ≈ 1e-13 at a = 37; splitting a = hi + lo
    makes hi² exact, and the small rest goes into a second exp.
    """
    hi, lo = _split(a)
    return np.exp(-0.5 * (hi * hi)) * np.exp(-(hi * lo + 0.5 * (lo * lo)))


def _gauss(x64: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x_clipped, Φ(x), φ(x))`` in float64, x clipped to [-40, 40] (Φ(-40) = 0 there).

    ``ndtr`` rounds the argument of erfc, which costs a relative error up to ~x²·2⁻⁵³
    (2e-13 near x = -37), and exp(-x²/2) loses as much by rounding x²; beyond abs(x) = 5 both
    are redone as Φ(-a) = ½·erfcx(a/√2)·exp(-a²/2) with a² split exactly.
    """
    xc = np.clip(x64, -_GAUSS_TAIL_END, _GAUSS_TAIL_END)
    cdf = np.asarray(special.ndtr(xc))
    pdf = np.asarray(np.exp(-0.5 * (xc * xc)) * _INV_SQRT_2PI)
    tail = np.abs(xc) > 5
    if tail.any():
        x_tail = xc[tail]
        a = np.abs(x_tail)
        gauss = _exp_neg_half_square(a)
        upper = 0.5 * special.erfcx(a * _INV_SQRT2) * gauss
        cdf[tail] = np.where(x_tail < 0, upper, 1 - upper)
        pdf[tail] = gauss * _INV_SQRT_2PI
    return xc, cdf, pdf


def _real_param(value: Any, param: str, activation: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"Parameter {param!r} of activation {activation!r} must be a real number; "
            f"got {value!r}."
        )
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(
            f"Parameter {param!r} of activation {activation!r} must be finite; got {value!r}."
        )
    return result


def _positive_param(value: Any, param: str, activation: str) -> float:
    result = _real_param(value, param, activation)
    if result <= 0:
        raise ValueError(
            f"Parameter {param!r} of activation {activation!r} must be > 0; got {value!r}."
        )
    return result


def _nonzero_param(value: Any, param: str, activation: str) -> float:
    result = _real_param(value, param, activation)
    if result == 0:
        raise ValueError(
            f"Parameter {param!r} of activation {activation!r} must be nonzero; got {value!r}."
        )
    return result


# --------------------------------------------------------------------------------------------
# sigmoid / logistic
# --------------------------------------------------------------------------------------------


def sigmoid(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic sigmoid, σ(x) = 1 / (1 + e^(-x)).

    Parameters
    ----------
    x : array_like, any shape
        Input values.
    out : ndarray, optional
        Array of the input's shape to write the result into.

    Returns
    -------
    ndarray, same shape as ``x``
        Values in [0, 1]; σ(+inf) = 1, σ(-inf) = 0.

    Notes
    -----
    Computed by ``scipy.special.expit``, which evaluates e^(-abs(x)) only, so it never overflows
    (the naive ``1/(1+exp(-x))`` overflows for x < -709 in float64, x < -88 in float32).
    """
    x = _input(x)
    _check_out(out, x.shape)
    return np.asarray(special.expit(x, out=out))


def sigmoid_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of the sigmoid, σ'(x) = σ(x)(1 - σ(x)).

    Its maximum is σ'(0) = 0.25, so each sigmoid layer scales the backpropagated gradient by
    at most 1/4: the reason deep sigmoid networks lose their gradient.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``

    Notes
    -----
    Evaluated as e/(1+e)² with e = exp(-abs(x)): no cancellation in 1 - σ(x) for large x.
    """
    x = _input(x)
    return _emit(_sigmoid_prime_from_abs(np.abs(x)), x.dtype, None)


def sigmoid_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of the sigmoid, σ''(x) = σ'(x)(1 - 2σ(x)) = -σ'(x)·tanh(x/2).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    return _emit(-_sigmoid_prime_from_abs(np.abs(x)) * np.tanh(x / 2), x.dtype, None)


logistic = sigmoid
logistic_derivative = sigmoid_derivative
logistic_second_derivative = sigmoid_second_derivative


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
    x : array_like, any shape
    L : float
        The curve's maximum (its supremum; the infimum is 0).
    k : float, nonzero
        Steepness; negative k gives a decreasing curve.
    x0 : float
        The midpoint, where f(x0) = L/2.
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
    """
    L, k, x0 = _check_generalized_logistic(L, k, x0)
    x = _input(x)
    _check_out(out, x.shape)
    z = _logistic_argument(x, k, x0)
    if L == 1.0:
        return np.asarray(special.expit(z, out=out))
    return np.asarray(np.multiply(special.expit(z), L, out=out))


def generalized_logistic_derivative(
    x: ArrayLike, L: float = 1.0, k: float = 1.0, x0: float = 0.0
) -> np.ndarray:
    """Derivative of the general logistic function, f'(x) = L·k·σ(z)(1 - σ(z)), z = k(x - x0).

    Parameters
    ----------
    x : array_like, any shape
    L, k, x0 : float
        As in :func:`generalized_logistic`.

    Returns
    -------
    ndarray, same shape as ``x``
    """
    L, k, x0 = _check_generalized_logistic(L, k, x0)
    x = _input(x)
    z = _logistic_argument(x, k, x0)
    return _emit(_sigmoid_prime_from_abs(np.abs(z)) * (L * k), x.dtype, None)


def generalized_logistic_second_derivative(
    x: ArrayLike, L: float = 1.0, k: float = 1.0, x0: float = 0.0
) -> np.ndarray:
    """Second derivative, f''(x) = L·k²·σ'(z)(1 - 2σ(z)) = -L·k²·σ'(z)·tanh(z/2), z = k(x - x0).

    Parameters
    ----------
    x : array_like, any shape
    L, k, x0 : float
        As in :func:`generalized_logistic`.

    Returns
    -------
    ndarray, same shape as ``x``
    """
    L, k, x0 = _check_generalized_logistic(L, k, x0)
    x = _input(x)
    z = _logistic_argument(x, k, x0)
    result = _sigmoid_prime_from_abs(np.abs(z)) * np.tanh(z / 2) * (-L * k * k)
    return _emit(result, x.dtype, None)


def _check_generalized_logistic(L: Any, k: Any, x0: Any) -> tuple[float, float, float]:
    name = "generalized_logistic"
    return (
        _real_param(L, "L", name),
        _nonzero_param(k, "k", name),
        _real_param(x0, "x0", name),
    )


def _logistic_argument(x: np.ndarray, k: float, x0: float) -> np.ndarray:
    if k == 1.0 and x0 == 0.0:
        return x
    # k(x - x0) beyond the float range only means "saturated": inf gives σ its exact limit.
    with np.errstate(over="ignore"):
        return np.multiply(np.subtract(x, x0), k)


# --------------------------------------------------------------------------------------------
# log_sigmoid
# --------------------------------------------------------------------------------------------


def log_sigmoid(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Log of the sigmoid, log σ(x) = -log(1 + e^(-x)) = -softplus(-x).

    Parameters
    ----------
    x : array_like, any shape
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
        Values ≤ 0; equals x exactly for x ≤ -40 in float64.

    Notes
    -----
    ``scipy.special.log_expit``: min(0, x) - log1p(e^(-abs(x))), never log(σ(x)), which would
    give -inf once σ(x) underflows.
    """
    x = _input(x)
    _check_out(out, x.shape)
    return np.asarray(special.log_expit(x, out=out))


def log_sigmoid_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of log σ, f'(x) = 1 - σ(x) = σ(-x).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    return np.asarray(special.expit(-x))


def log_sigmoid_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of log σ, f''(x) = -σ(x)(1 - σ(x)).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    return _emit(-_sigmoid_prime_from_abs(np.abs(x)), x.dtype, None)


# --------------------------------------------------------------------------------------------
# tanh
# --------------------------------------------------------------------------------------------


def tanh(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Hyperbolic tangent, tanh(x) = (e^x - e^(-x)) / (e^x + e^(-x)) = 2σ(2x) - 1.

    Parameters
    ----------
    x : array_like, any shape
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
        Values in [-1, 1].
    """
    x = _input(x)
    _check_out(out, x.shape)
    return np.asarray(np.tanh(x, out=out))


def _sech_squared(x: np.ndarray) -> np.ndarray:
    # 1 - tanh²(x) cancels to 0 once tanh rounds to ±1 (|x| > 19 in float64) although the
    # true value, 4e^(-2|x|), is still a normal number; this form keeps it.
    # e^(-800) is 0 in both dtypes, so clipping |x| there only keeps 2|x| from overflowing.
    e = np.exp(-2 * np.minimum(np.abs(x), x.dtype.type(400)))
    one_plus = 1 + e
    return 4 * e / (one_plus * one_plus)


def tanh_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of tanh, f'(x) = 1 - tanh²(x) = sech²(x).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``

    Notes
    -----
    Evaluated as 4e/(1+e)² with e = exp(-2 abs(x)), accurate in the tails where 1 - tanh² is not.
    """
    x = _input(x)
    return _emit(_sech_squared(x), x.dtype, None)


def tanh_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of tanh, f''(x) = -2·tanh(x)·(1 - tanh²(x)).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    return _emit(-2 * np.tanh(x) * _sech_squared(x), x.dtype, None)


# --------------------------------------------------------------------------------------------
# Piecewise-linear family: relu, relu6, leaky_relu, hard_sigmoid, identity
# --------------------------------------------------------------------------------------------


def relu(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Rectified linear unit, f(x) = max(0, x).

    Parameters
    ----------
    x : array_like, any shape
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    _check_out(out, x.shape)
    return np.asarray(np.maximum(x, x.dtype.type(0), out=out))


def relu_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of ReLU, f'(x) = 1 for x > 0, else 0.

    At the kink x = 0 the subgradient 0 is returned, as PyTorch does.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    return _keep_nan((x > 0).astype(x.dtype), x)


def relu_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of ReLU: 0 (everywhere except the kink, where it does not exist).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
        Zeros (NaN where ``x`` is NaN).
    """
    return _zeros_like(_input(x))


def relu6(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """ReLU capped at 6, f(x) = min(max(0, x), 6).

    Parameters
    ----------
    x : array_like, any shape
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    _check_out(out, x.shape)
    dtype = x.dtype.type
    return np.asarray(np.clip(x, dtype(0), dtype(6), out=out))


def relu6_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of ReLU6, f'(x) = 1 on the open interval (0, 6), else 0.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    return _piecewise_constant(x, [((x > 0) & (x < 6), 1.0)])


def relu6_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of ReLU6: 0 away from the kinks at 0 and 6.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    return _zeros_like(_input(x))


def leaky_relu(x: ArrayLike, alpha: float = 0.01, *, out: np.ndarray | None = None) -> np.ndarray:
    """Leaky ReLU, f(x) = x for x > 0, α·x for x ≤ 0 (Maas et al. 2013).

    Parameters
    ----------
    x : array_like, any shape
    alpha : float
        Slope of the negative part.
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
    """
    alpha = _real_param(alpha, "alpha", "leaky_relu")
    x = _input(x)
    _check_out(out, x.shape)
    zero = x.dtype.type(0)
    if alpha == 0.0:
        return np.asarray(np.maximum(x, zero, out=out))
    # max(x,0) + α·min(x,0) adds an exact zero to one term, so each branch is exact.
    with np.errstate(over="ignore"):  # only |α| > 1 can overflow, to the correct ±inf
        negative = np.minimum(x, zero) * alpha
    return np.asarray(np.add(np.maximum(x, zero), negative, out=out))


def leaky_relu_derivative(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """Derivative of leaky ReLU, f'(x) = 1 for x > 0, α for x ≤ 0.

    Parameters
    ----------
    x : array_like, any shape
    alpha : float

    Returns
    -------
    ndarray, same shape as ``x``
    """
    alpha = _real_param(alpha, "alpha", "leaky_relu")
    x = _input(x)
    return _piecewise_constant(x, [(x > 0, 1.0), (x <= 0, alpha)])


def leaky_relu_second_derivative(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """Second derivative of leaky ReLU: 0 away from the kink.

    Parameters
    ----------
    x : array_like, any shape
    alpha : float

    Returns
    -------
    ndarray, same shape as ``x``
    """
    _real_param(alpha, "alpha", "leaky_relu")
    return _zeros_like(_input(x))


def hard_sigmoid(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Hard sigmoid, f(x) = relu6(x + 3) / 6 (PyTorch's ``Hardsigmoid``).

    A piecewise-linear stand-in for σ: 0 for x ≤ -3, 1 for x ≥ 3, linear in between.

    Parameters
    ----------
    x : array_like, any shape
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    _check_out(out, x.shape)
    dtype = x.dtype.type
    return np.asarray(np.divide(np.clip(x + dtype(3), dtype(0), dtype(6)), dtype(6), out=out))


def hard_sigmoid_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of the hard sigmoid, f'(x) = 1/6 on (-3, 3), else 0.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    return _piecewise_constant(x, [((x > -3) & (x < 3), 1.0 / 6.0)])


def hard_sigmoid_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of the hard sigmoid: 0 away from the kinks at ±3.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    return _zeros_like(_input(x))


def identity(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Identity, f(x) = x (a copy, so the result never aliases the input).

    Parameters
    ----------
    x : array_like, any shape
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    _check_out(out, x.shape)
    if out is None:
        return np.array(x, copy=True)
    np.copyto(out, x, casting="same_kind")
    return out


def identity_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of the identity, f'(x) = 1.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
        Ones (NaN where ``x`` is NaN).
    """
    x = _input(x)
    return _piecewise_constant(x, [(True, 1.0)])


def identity_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of the identity, f''(x) = 0.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    return _zeros_like(_input(x))


# --------------------------------------------------------------------------------------------
# Exponential linear units: elu, selu
# --------------------------------------------------------------------------------------------


def _elu_core(x: np.ndarray, alpha: float) -> np.ndarray:
    # expm1 keeps α(e^x - 1) accurate near 0; min(x, 0) keeps e^x from overflowing on the
    # branch np.where discards.
    with np.errstate(over="ignore"):  # only |α| > 1 near -max can overflow, to the true ±inf
        negative = np.expm1(np.minimum(x, x.dtype.type(0))) * alpha
    return np.asarray(np.where(x > 0, x, negative.astype(x.dtype, copy=False)))


def _elu_prime_core(x: np.ndarray, alpha: float) -> np.ndarray:
    negative = np.exp(np.minimum(x, x.dtype.type(0))) * alpha
    return np.asarray(np.where(x > 0, x.dtype.type(1), negative.astype(x.dtype, copy=False)))


def _elu_second_core(x: np.ndarray, alpha: float) -> np.ndarray:
    negative = np.exp(np.minimum(x, x.dtype.type(0))) * alpha
    return np.asarray(np.where(x > 0, x.dtype.type(0), negative.astype(x.dtype, copy=False)))


def elu(x: ArrayLike, alpha: float = 1.0, *, out: np.ndarray | None = None) -> np.ndarray:
    """Exponential linear unit, f(x) = x for x > 0, α(e^x - 1) for x ≤ 0 (Clevert et al. 2016).

    Parameters
    ----------
    x : array_like, any shape
    alpha : float
        Saturation value of the negative part is -α.
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
    """
    alpha = _real_param(alpha, "alpha", "elu")
    x = _input(x)
    _check_out(out, x.shape)
    return _emit(_elu_core(x, alpha), x.dtype, out)


def elu_derivative(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Derivative of ELU, f'(x) = 1 for x > 0, α·e^x = f(x) + α for x ≤ 0.

    Parameters
    ----------
    x : array_like, any shape
    alpha : float

    Returns
    -------
    ndarray, same shape as ``x``
    """
    alpha = _real_param(alpha, "alpha", "elu")
    return _elu_prime_core(_input(x), alpha)


def elu_second_derivative(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Second derivative of ELU, f''(x) = 0 for x > 0, α·e^x for x ≤ 0.

    Parameters
    ----------
    x : array_like, any shape
    alpha : float

    Returns
    -------
    ndarray, same shape as ``x``
    """
    alpha = _real_param(alpha, "alpha", "elu")
    return _elu_second_core(_input(x), alpha)


def selu(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Scaled ELU, f(x) = λx for x > 0, λα(e^x - 1) for x ≤ 0 (Klambauer et al. 2017).

    λ = 1.0507009873554805 and α = 1.6732632423543772 make activations self-normalising
    (zero mean, unit variance) under LeCun-normal initialisation.

    Parameters
    ----------
    x : array_like, any shape
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    _check_out(out, x.shape)
    dtype = x.dtype.type
    negative = np.expm1(np.minimum(x, dtype(0))) * dtype(_SELU_LAMBDA_ALPHA)
    with np.errstate(over="ignore"):  # λx > max only for x near max: inf is correctly rounded
        positive = x * dtype(SELU_LAMBDA)
    return _emit(np.where(x > 0, positive, negative), x.dtype, out)


def selu_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of SELU, f'(x) = λ for x > 0, λα·e^x for x ≤ 0.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    dtype = x.dtype.type
    negative = np.exp(np.minimum(x, dtype(0))) * dtype(_SELU_LAMBDA_ALPHA)
    return np.asarray(np.where(x > 0, dtype(SELU_LAMBDA), negative))


def selu_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of SELU, f''(x) = 0 for x > 0, λα·e^x for x ≤ 0.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    dtype = x.dtype.type
    negative = np.exp(np.minimum(x, dtype(0))) * dtype(_SELU_LAMBDA_ALPHA)
    return np.asarray(np.where(x > 0, dtype(0), negative))


# --------------------------------------------------------------------------------------------
# GELU
# --------------------------------------------------------------------------------------------


def gelu(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Gaussian error linear unit (exact), f(x) = x·Φ(x) = ½x(1 + erf(x/√2)).

    Φ is the standard normal CDF (Hendrycks & Gimpel 2016, "Gaussian Error Linear Units").

    Parameters
    ----------
    x : array_like, any shape
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
        f(-inf) = -0.0, f(+inf) = +inf.

    Notes
    -----
    In the tail x < -5, Φ(x) = ½·erfcx(abs(x)/√2)·exp(-x²/2) with x² split exactly, which keeps
    full relative accuracy down to x ≈ -37.5 (``ndtr`` and ``erfc`` lose up to 2e-13 there).
    """
    x = _input(x)
    _check_out(out, x.shape)
    x64 = _wide(x)
    _, cdf, _ = _gauss(x64)
    # Φ = 0 below -40: clipping the factor x there turns -inf·0 = NaN into the limit -0.
    return _emit(np.maximum(x64, -_GAUSS_TAIL_END) * cdf, x.dtype, out)


def gelu_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of the exact GELU, f'(x) = Φ(x) + x·φ(x), φ the standard normal density.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    xc, cdf, pdf = _gauss(_wide(x))
    return _emit(cdf + xc * pdf, x.dtype, None)


def gelu_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of the exact GELU, f''(x) = 2φ(x) + x·φ'(x) = φ(x)(2 - x²).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    xc, _, pdf = _gauss(_wide(x))
    return _emit(pdf * (2 - xc * xc), x.dtype, None)


def _gelu_tanh_compensated(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(σ(v), σ(-v))`` with v = 2√(2/π)(x + 0.044715x³) carried in double-double."""
    square, square_err = _two_prod(x, x)
    cube, cube_err = _two_prod(square, x)
    cube_err = cube_err + square_err * x
    cubic, cubic_err = _two_prod(_GELU_B_HI, cube)
    cubic_err = cubic_err + (_GELU_B_HI * cube_err + _GELU_B_LO * cube)
    linear, linear_err = _two_prod(_GELU_A_HI, x)
    linear_err = linear_err + _GELU_A_LO * x
    v_hi, v_err = _two_sum(cubic, linear)
    v_lo = v_err + cubic_err + linear_err
    # σ(v_hi + v_lo) = σ(v_hi) + v_lo·σ'(v_hi) + O(v_lo²), and |v_lo| < 1e-12.
    s_hi = _expit(v_hi)
    s_neg_hi = _expit(-v_hi)
    shift = v_lo * (s_hi * s_neg_hi)
    return s_hi + shift, s_neg_hi - shift


def _gelu_tanh_parts(x64: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x_clipped, σ(v), σ(-v))`` in float64 for v = 2√(2/π)(x + 0.044715x³).

    Plain float64 for abs(x) ≤ 4, where abs(v) ≤ 11 bounds the error amplification; beyond,
    v is recomputed in double-double.
    """
    xc = np.clip(x64, -_SATURATION, _SATURATION)
    v = xc * (_GELU_A_HI + _GELU_B_HI * (xc * xc))
    s = np.asarray(special.expit(v))
    s_neg = np.asarray(special.expit(-v))
    tail = np.abs(xc) > 4
    if tail.any():
        s[tail], s_neg[tail] = _gelu_tanh_compensated(xc[tail])
    return xc, s, s_neg


def gelu_tanh(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """GELU, tanh approximation, f(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³))).

    The approximation of Hendrycks & Gimpel (2016) used by BERT and GPT-2; equal to
    x·σ(v) with v = 2√(2/π)(x + 0.044715x³), which is how it is computed (1 + tanh(u) cancels
    for u ≪ 0; σ does not).

    Parameters
    ----------
    x : array_like, any shape
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
        f(-inf) = -0.0, f(+inf) = +inf.
    """
    x = _input(x)
    _check_out(out, x.shape)
    x64 = _wide(x)
    _, s, _ = _gelu_tanh_parts(x64)
    # Below -_SATURATION, σ(v) = 0 exactly; clipping x there keeps -inf·0 from giving NaN.
    return _emit(np.maximum(x64, -_SATURATION) * s, x.dtype, out)


def gelu_tanh_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of tanh-GELU, f'(x) = σ(v) + x·σ(v)σ(-v)·v', v' = 2√(2/π)(1 + 3·0.044715x²).

    With v = 2√(2/π)(x + 0.044715x³) as in :func:`gelu_tanh` (chain rule through σ(v)).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    xc, s, s_neg = _gelu_tanh_parts(_wide(x))
    v_prime = _GELU_A_HI * (1 + (3 * _GELU_B_DEC) * (xc * xc))
    return _emit(s + xc * (s * s_neg) * v_prime, x.dtype, None)


def gelu_tanh_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of tanh-GELU.

    f''(x) = σ'(v)·[2v' + x((1 - 2σ(v))·v'² + v'')], with σ'(v) = σ(v)σ(-v),
    v' = 2√(2/π)(1 + 3·0.044715x²) and v'' = 2√(2/π)·6·0.044715x.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    xc, s, s_neg = _gelu_tanh_parts(_wide(x))
    v_prime = _GELU_A_HI * (1 + (3 * _GELU_B_DEC) * (xc * xc))
    v_second = (6 * _GELU_B_HI) * xc
    inner = 2 * v_prime + xc * ((s_neg - s) * (v_prime * v_prime) + v_second)
    return _emit((s * s_neg) * inner, x.dtype, None)


# --------------------------------------------------------------------------------------------
# silu / swish, mish
# --------------------------------------------------------------------------------------------


def silu(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Sigmoid linear unit (swish), f(x) = x·σ(x) (Elfwing et al. 2018; Ramachandran et al. 2017).

    Parameters
    ----------
    x : array_like, any shape
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
        f(-inf) = -0.0 (the naive x·σ(x) is -inf·0 = NaN there).
    """
    x = _input(x)
    _check_out(out, x.shape)
    # Where σ(x) is subnormal (x < -709 in float64, x < -87 in float32) x·σ(x) is still
    # normal, so the far tail, where σ(x) = e^x exactly, is redone as x·e^x in float64.
    tail = x < -40
    patch = None
    if tail.any():
        x_tail = np.maximum(x[tail].astype(np.float64), -_SATURATION)
        patch = x_tail * np.exp(x_tail)
    # Below -_SATURATION, σ(x) = 0 exactly, so clipping the factor x changes nothing but -inf.
    clipped = np.maximum(x, x.dtype.type(-_SATURATION))
    result = np.asarray(np.multiply(clipped, special.expit(x), out=out))
    if patch is not None:
        result[tail] = patch
    return result


def silu_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of SiLU, f'(x) = σ(x)(1 + x(1 - σ(x))).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
        f'(-inf) = 0, f'(+inf) = 1.
    """
    x = _input(x)
    # float64 even for float32 input: 1 + x(1 - σ) cancels near the minimum at x ≈ -1.28.
    x64 = _wide(x)
    xc = np.clip(x64, -_SATURATION, _SATURATION)
    return _emit(_expit(x64) * (1 + xc * _expit(-x64)), x.dtype, None)


def silu_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of SiLU, f''(x) = σ'(x)(2 + x(1 - 2σ(x))), σ' = σ(1 - σ).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    x64 = _wide(x)
    xc = np.clip(x64, -_SATURATION, _SATURATION)
    s = special.expit(x64)
    s_neg = special.expit(-x64)
    return _emit(_sigmoid_prime_from_abs(np.abs(x64)) * (2 + xc * (s_neg - s)), x.dtype, None)


swish = silu
swish_derivative = silu_derivative
swish_second_derivative = silu_second_derivative


def _mish_parts(
    x: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(tanh(softplus(x)), sech²(softplus(x)), σ(x), σ(-x))`` without cancellation.

    With e = exp(-abs(x)): tanh(log(1+e^x)) = n/(n+2), n = e^x(e^x+2), rewritten for x > 0 by
    dividing through by e^(2x); every term is positive, so nothing cancels, and
    sech² = 1 - tanh² = 4(1+e)²·g/den² with g = e² for x > 0 and 1 for x ≤ 0.
    """
    e = np.exp(-np.abs(x))
    positive = x > 0
    one_plus = 1 + e
    e_squared = e * e
    numerator = np.where(positive, 1 + 2 * e, e * (e + 2))
    denominator = numerator + np.where(positive, 2 * e_squared, 2)
    t = numerator / denominator
    sech_squared = (
        4 * (one_plus * one_plus) * np.where(positive, e_squared, 1) / (denominator * denominator)
    )
    s_small = e / one_plus
    s_large = 1 / one_plus
    s = np.where(positive, s_large, s_small)
    s_neg = np.where(positive, s_small, s_large)
    return t, sech_squared, s, s_neg


def mish(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Mish, f(x) = x·tanh(softplus(x)) = x·tanh(log(1 + e^x)) (Misra 2019).

    Parameters
    ----------
    x : array_like, any shape
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``

    Notes
    -----
    tanh(softplus(x)) is evaluated as a ratio of positive terms in e^x, so nothing
    overflows or cancels at large abs(x).
    """
    x = _input(x)
    _check_out(out, x.shape)
    x64 = _wide(x)
    # tanh(log(1 + w)) = n/(n + 2) with n = w(w + 2), w = e^x: positive terms only. Past
    # x = 40, 2/n < 1e-34 and t = 1 exactly, so w is clipped there to stay finite.
    w = np.exp(np.minimum(x64, 40.0))
    n = w * (w + 2)
    t = n / (n + 2)
    return _emit(np.maximum(x64, -_SATURATION) * t, x.dtype, out)


def mish_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of Mish, f'(x) = tanh(sp) + x·σ(x)·(1 - tanh²(sp)), sp = softplus(x).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    # With w = e^x and n = w(w + 2) as in mish: tanh(sp) = n/(n + 2), σ = w/(1 + w),
    # 1 - tanh²(sp) = 4(n + 1)/(n + 2)². Past x = 40 the second term is below 1e-33 and
    # t = 1, so clipping x at 40 changes nothing.
    xc = np.clip(_wide(x), -_SATURATION, 40.0)
    w = np.exp(xc)
    n = w * (w + 2)
    n_plus_2 = n + 2
    result = n / n_plus_2 + xc * (w / (1 + w)) * (4 * (n + 1) / (n_plus_2 * n_plus_2))
    return _emit(result, x.dtype, None)


def mish_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of Mish, f''(x) = σ·S·(2 + x(1 - σ - 2σ·t)).

    Here t = tanh(softplus(x)), S = 1 - t² and σ = σ(x); it follows from t' = S·σ and
    S' = -2·S·t·σ.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    x64 = _wide(x)
    t, sech_squared, s, s_neg = _mish_parts(x64)
    xc = np.clip(x64, -_SATURATION, _SATURATION)
    return _emit(s * sech_squared * (2 + xc * (s_neg - 2 * s * t)), x.dtype, None)


# --------------------------------------------------------------------------------------------
# softplus, softsign
# --------------------------------------------------------------------------------------------


def _softplus_argument(x: np.ndarray, beta: float) -> np.ndarray:
    if beta == 1.0:
        return x
    with np.errstate(over="ignore"):  # β·x = ±inf only means "saturated"
        return x * x.dtype.type(beta)


def softplus(x: ArrayLike, beta: float = 1.0, *, out: np.ndarray | None = None) -> np.ndarray:
    """Softplus, f(x) = (1/β)·log(1 + e^(βx)), a smooth ReLU.

    Parameters
    ----------
    x : array_like, any shape
    beta : float, > 0
        Sharpness; f tends to ReLU as β grows.
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
        Equals x exactly for x ≥ 40 (float64, β = 1).

    Notes
    -----
    Computed as max(x, 0) + log1p(e^(-abs(βx)))/β: the exponential never overflows and the
    naive log(1 + e^(βx)) loses everything below e^(βx) ≈ 1e-16.
    """
    beta = _positive_param(beta, "beta", "softplus")
    x = _input(x)
    _check_out(out, x.shape)
    z = _softplus_argument(x, beta)
    tail = np.log1p(np.exp(-np.abs(z)))
    if beta != 1.0:
        tail = tail / x.dtype.type(beta)
    return np.asarray(np.add(np.maximum(x, x.dtype.type(0)), tail, out=out))


def softplus_derivative(x: ArrayLike, beta: float = 1.0) -> np.ndarray:
    """Derivative of softplus, f'(x) = σ(βx): the sigmoid itself for β = 1.

    Parameters
    ----------
    x : array_like, any shape
    beta : float, > 0

    Returns
    -------
    ndarray, same shape as ``x``
    """
    beta = _positive_param(beta, "beta", "softplus")
    x = _input(x)
    return np.asarray(special.expit(_softplus_argument(x, beta)))


def softplus_second_derivative(x: ArrayLike, beta: float = 1.0) -> np.ndarray:
    """Second derivative of softplus, f''(x) = β·σ(βx)(1 - σ(βx)).

    Parameters
    ----------
    x : array_like, any shape
    beta : float, > 0

    Returns
    -------
    ndarray, same shape as ``x``
    """
    beta = _positive_param(beta, "beta", "softplus")
    x = _input(x)
    result = _sigmoid_prime_from_abs(np.abs(_softplus_argument(x, beta)))
    if beta != 1.0:
        result = result * x.dtype.type(beta)
    return _emit(result, x.dtype, None)


def softsign(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Softsign, f(x) = x / (1 + abs(x)).

    Parameters
    ----------
    x : array_like, any shape
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
        Values in [-1, 1]; f(±inf) = ±1.
    """
    x = _input(x)
    _check_out(out, x.shape)
    big = np.finfo(x.dtype).max
    # Clipping ±inf to ±max gives max/(1 + max) = 1 exactly instead of inf/inf = NaN.
    xc = np.clip(x, -big, big)
    return np.asarray(np.divide(xc, 1 + np.abs(xc), out=out))


def softsign_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of softsign, f'(x) = 1 / (1 + abs(x))².

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``

    Notes
    -----
    Squaring 1/(1 + abs(x)) rather than dividing by (1 + abs(x))² avoids overflow beyond 1e154.
    """
    x = _input(x)
    r = 1 / (1 + np.abs(x))
    return np.asarray(r * r)


def softsign_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of softsign, f''(x) = -2·sign(x) / (1 + abs(x))³.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
        0 at x = 0, where the one-sided values ∓2 disagree.
    """
    x = _input(x)
    r = 1 / (1 + np.abs(x))
    return np.asarray(-2 * np.sign(x) * (r * r * r))


# --------------------------------------------------------------------------------------------
# hardswish
# --------------------------------------------------------------------------------------------


def hardswish(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Hard swish, f(x) = x·relu6(x + 3)/6 (Howard et al. 2019, MobileNetV3).

    Parameters
    ----------
    x : array_like, any shape
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    _check_out(out, x.shape)
    dtype = x.dtype.type
    gate = np.clip(x + dtype(3), dtype(0), dtype(6)) / dtype(6)
    # The gate is 0 for x ≤ -3: clipping x there turns -inf·0 into the limit -0.
    return np.asarray(np.multiply(np.maximum(x, dtype(-3)), gate, out=out))


def hardswish_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of hard swish, f'(x) = 0 for x ≤ -3, (2x + 3)/6 on (-3, 3), 1 for x ≥ 3.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    dtype = x.dtype.type
    ramp = (2 * np.clip(x, dtype(-3), dtype(3)) + dtype(3)) / dtype(6)
    result = np.where(x >= 3, dtype(1), np.where(x > -3, ramp, dtype(0)))
    return _keep_nan(np.asarray(result), x)


def hardswish_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of hard swish, f''(x) = 1/3 on (-3, 3), else 0.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = _input(x)
    return _piecewise_constant(x, [((x > -3) & (x < 3), 1.0 / 3.0)])


# --------------------------------------------------------------------------------------------
# Softmax family (not elementwise)
# --------------------------------------------------------------------------------------------


def _check_axis(axis: Any, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an integer; got {axis!r}.")
    if ndim == 0:
        raise ValueError("x must have at least one dimension for softmax; got a scalar.")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {ndim}.")
    return int(axis) % ndim


def _shifted(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """``(x - max, row_has_posinf)``: the shift makes every exponent ≤ 0 for finite rows."""
    row_max = np.max(x, axis=axis, keepdims=True)
    posinf = np.isposinf(row_max)
    # A row of -inf (or with +inf) has no finite max; shifting by 0 there avoids inf - inf.
    shift = np.where(np.isfinite(row_max), row_max, x.dtype.type(0))
    # x - max < -max_float (a row spanning ±max_float) rounds to -inf correctly: e^(-inf) = 0.
    with np.errstate(over="ignore"):
        return x - shift, posinf


def softmax(x: ArrayLike, axis: int = -1, *, out: np.ndarray | None = None) -> np.ndarray:
    """Softmax along ``axis``, s_i = e^(x_i - m) / Σ_j e^(x_j - m), m = max_j x_j.

    The normalised exponential, the multi-class generalisation of the logistic function.

    Parameters
    ----------
    x : array_like, shape (..., k, ...)
        Scores (logits); at least one dimension.
    axis : int
        Axis along which the entries sum to 1.
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
        Entries in [0, 1] summing to 1 along ``axis``.

    Notes
    -----
    Subtracting the row maximum makes every exponent ≤ 0, so finite input never overflows
    and the denominator is ≥ 1. Non-finite rows: ``-inf`` entries get probability 0 when
    the row has a finite entry; a row of only ``-inf``, a row containing ``+inf`` (whose limit
    depends on how the entries grow) and a row containing NaN are all NaN.
    """
    x = _input(x)
    axis = _check_axis(axis, x.ndim)
    _check_out(out, x.shape)
    if x.size == 0:
        return _emit(np.empty(x.shape, dtype=x.dtype), x.dtype, out)
    shifted, posinf = _shifted(x, axis)
    exponentials = np.exp(shifted)
    total = np.sum(exponentials, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):  # only the documented NaN rows
        result = exponentials / total
    if posinf.any():
        result = np.where(posinf, x.dtype.type(np.nan), result)
    return _emit(result, x.dtype, out)


def log_softmax(x: ArrayLike, axis: int = -1, *, out: np.ndarray | None = None) -> np.ndarray:
    """Log-softmax along ``axis``, log s_i = x_i - logsumexp(x) = (x_i - m) - log Σ_j e^(x_j - m).

    Parameters
    ----------
    x : array_like, shape (..., k, ...)
        Scores (logits); at least one dimension.
    axis : int
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``x``
        Values ≤ 0; exact where softmax itself underflows to 0.

    Notes
    -----
    Never log(softmax(x)), which is -inf wherever softmax underflows. Non-finite rows as in
    :func:`softmax`.
    """
    x = _input(x)
    axis = _check_axis(axis, x.ndim)
    _check_out(out, x.shape)
    if x.size == 0:
        return _emit(np.empty(x.shape, dtype=x.dtype), x.dtype, out)
    shifted, posinf = _shifted(x, axis)
    with np.errstate(invalid="ignore", divide="ignore"):  # only the documented NaN rows
        log_total = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        result = shifted - log_total
    if posinf.any():
        result = np.where(posinf, x.dtype.type(np.nan), result)
    return _emit(result, x.dtype, out)


def softmax_jacobian(x: ArrayLike) -> np.ndarray:
    """Jacobian of the softmax over the last axis, J = diag(s) - s sᵀ, s = softmax(x).

    J_ij = ∂s_i/∂x_j = s_i(δ_ij - s_j). Symmetric, and its rows sum to 0.

    Parameters
    ----------
    x : array_like, shape (k,) or (n, k) or (..., k)
        Scores (logits), not probabilities.

    Returns
    -------
    ndarray, shape (k, k) or (n, k, k) or (..., k, k)
    """
    s = softmax(x, axis=-1)
    k = s.shape[-1]
    jacobian = -(s[..., :, None] * s[..., None, :])
    diagonal = np.arange(k)
    jacobian[..., diagonal, diagonal] += s
    return jacobian


def _check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}."
        )


def softmax_vjp(
    s: ArrayLike, grad_output: ArrayLike, axis: int = -1, *, out: np.ndarray | None = None
) -> np.ndarray:
    """Vector-Jacobian product of the softmax, gᵀJ = s ⊙ (g - ⟨g, s⟩).

    What backpropagation through a softmax needs, in O(k) per row instead of the O(k²) of
    forming J = diag(s) - s sᵀ.

    Parameters
    ----------
    s : array_like, shape (..., k, ...)
        The softmax *output* along ``axis``.
    grad_output : array_like, same shape as ``s``
        ∂L/∂s.
    axis : int
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``s``
        ∂L/∂x.
    """
    s = as_float_array(s, "s")
    grad_output = as_float_array(grad_output, "grad_output")
    _check_same_shape(s, grad_output, "s", "grad_output")
    axis = _check_axis(axis, s.ndim)
    _check_out(out, s.shape)
    dtype = result_dtype(s, grad_output)
    inner = np.sum(grad_output * s, axis=axis, keepdims=True)
    return _emit(s * (grad_output - inner), dtype, out)


def log_softmax_vjp(
    log_s: ArrayLike, grad_output: ArrayLike, axis: int = -1, *, out: np.ndarray | None = None
) -> np.ndarray:
    """Vector-Jacobian product of log-softmax, gᵀJ = g - softmax(x)·Σ g.

    The Jacobian of log s_i with respect to x_j is δ_ij - s_j.

    Parameters
    ----------
    log_s : array_like, shape (..., k, ...)
        The log-softmax *output* along ``axis``.
    grad_output : array_like, same shape as ``log_s``
        ∂L/∂(log s).
    axis : int
    out : ndarray, optional

    Returns
    -------
    ndarray, same shape as ``log_s``
        ∂L/∂x.
    """
    log_s = as_float_array(log_s, "log_s")
    grad_output = as_float_array(grad_output, "grad_output")
    _check_same_shape(log_s, grad_output, "log_s", "grad_output")
    axis = _check_axis(axis, log_s.ndim)
    _check_out(out, log_s.shape)
    dtype = result_dtype(log_s, grad_output)
    total = np.sum(grad_output, axis=axis, keepdims=True)
    return _emit(grad_output - np.exp(log_s) * total, dtype, out)


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

BackwardFunction = Callable[..., np.ndarray]


@dataclass(frozen=True)
class _Spec:
    name: str
    function: Callable[..., Any]
    derivative: Callable[..., Any]
    second_derivative: Callable[..., Any] | None
    defaults: dict[str, float] = field(default_factory=dict)
    validate: Callable[..., dict[str, float]] | None = None
    # backward(x, y, grad_output, out, **params) filling ``out`` (never None)
    backward: BackwardFunction | None = None
    builtin: bool = False


_REGISTRY: dict[str, _Spec] = {}
_BUILTINS: dict[str, _Spec] = {}
_ALIASES: dict[str, str] = {}


def _overlaps(out: np.ndarray, *arrays: np.ndarray) -> bool:
    return any(np.may_share_memory(out, a) for a in arrays)


def _sigmoid_backward(
    x: np.ndarray, y: np.ndarray | None, grad: np.ndarray, out: np.ndarray
) -> np.ndarray:
    if y is None:
        y = special.expit(x)
    np.subtract(1, y, out=out)
    np.multiply(out, y, out=out)
    return np.multiply(out, grad, out=out)


def _tanh_backward(
    x: np.ndarray, y: np.ndarray | None, grad: np.ndarray, out: np.ndarray
) -> np.ndarray:
    if y is None:
        y = np.tanh(x)
    np.multiply(y, y, out=out)
    np.subtract(1, out, out=out)
    return np.multiply(out, grad, out=out)


def _relu_backward(
    x: np.ndarray, y: np.ndarray | None, grad: np.ndarray, out: np.ndarray
) -> np.ndarray:
    np.greater(x, 0, out=out)
    return np.multiply(out, grad, out=out)


def _leaky_relu_backward(
    x: np.ndarray, y: np.ndarray | None, grad: np.ndarray, out: np.ndarray, alpha: float
) -> np.ndarray:
    # (x > 0) is 1 or 0; h(1 - α) + α maps that to 1 or α.
    np.greater(x, 0, out=out)
    np.multiply(out, 1 - alpha, out=out)
    np.add(out, alpha, out=out)
    return np.multiply(out, grad, out=out)


def _identity_backward(
    x: np.ndarray, y: np.ndarray | None, grad: np.ndarray, out: np.ndarray
) -> np.ndarray:
    np.copyto(out, grad, casting="same_kind")
    return out


def _softplus_backward(
    x: np.ndarray, y: np.ndarray | None, grad: np.ndarray, out: np.ndarray, beta: float
) -> np.ndarray:
    if beta == 1.0:
        special.expit(x, out=out)
    else:
        np.copyto(out, softplus_derivative(x, beta), casting="same_kind")
    return np.multiply(out, grad, out=out)


def _validator(**checks: Callable[[Any, str, str], float]) -> Callable[..., dict[str, float]]:
    def validate(params: dict[str, Any], name: str = "") -> dict[str, float]:
        return {key: checks[key](value, key, name) for key, value in params.items()}

    return validate


def _generalized_logistic_validate(params: dict[str, Any], name: str = "") -> dict[str, float]:
    L, k, x0 = _check_generalized_logistic(params["L"], params["k"], params["x0"])
    return {"L": L, "k": k, "x0": x0}


def _register_builtin(
    name: str,
    function: Callable[..., Any],
    derivative: Callable[..., Any],
    second_derivative: Callable[..., Any],
    *,
    defaults: dict[str, float] | None = None,
    validate: Callable[..., dict[str, float]] | None = None,
    backward: BackwardFunction | None = None,
    aliases: tuple[str, ...] = (),
) -> None:
    spec = _Spec(
        name,
        function,
        derivative,
        second_derivative,
        dict(defaults or {}),
        validate,
        backward,
        builtin=True,
    )
    _REGISTRY[name] = spec
    _BUILTINS[name] = spec
    for alias in aliases:
        _ALIASES[alias] = name


_alpha = _validator(alpha=_real_param)
_register_builtin(
    "sigmoid",
    sigmoid,
    sigmoid_derivative,
    sigmoid_second_derivative,
    backward=_sigmoid_backward,
    aliases=("logistic",),
)
_register_builtin(
    "generalized_logistic",
    generalized_logistic,
    generalized_logistic_derivative,
    generalized_logistic_second_derivative,
    defaults={"L": 1.0, "k": 1.0, "x0": 0.0},
    validate=_generalized_logistic_validate,
)
_register_builtin("log_sigmoid", log_sigmoid, log_sigmoid_derivative, log_sigmoid_second_derivative)
_register_builtin("tanh", tanh, tanh_derivative, tanh_second_derivative, backward=_tanh_backward)
_register_builtin("relu", relu, relu_derivative, relu_second_derivative, backward=_relu_backward)
_register_builtin("relu6", relu6, relu6_derivative, relu6_second_derivative)
_register_builtin(
    "leaky_relu",
    leaky_relu,
    leaky_relu_derivative,
    leaky_relu_second_derivative,
    defaults={"alpha": 0.01},
    validate=_alpha,
    backward=_leaky_relu_backward,
)
_register_builtin(
    "elu",
    elu,
    elu_derivative,
    elu_second_derivative,
    defaults={"alpha": 1.0},
    validate=_alpha,
)
_register_builtin("selu", selu, selu_derivative, selu_second_derivative)
_register_builtin("gelu", gelu, gelu_derivative, gelu_second_derivative)
_register_builtin("gelu_tanh", gelu_tanh, gelu_tanh_derivative, gelu_tanh_second_derivative)
_register_builtin("silu", silu, silu_derivative, silu_second_derivative, aliases=("swish",))
_register_builtin("mish", mish, mish_derivative, mish_second_derivative)
_register_builtin(
    "softplus",
    softplus,
    softplus_derivative,
    softplus_second_derivative,
    defaults={"beta": 1.0},
    validate=_validator(beta=_positive_param),
    backward=_softplus_backward,
)
_register_builtin(
    "hard_sigmoid", hard_sigmoid, hard_sigmoid_derivative, hard_sigmoid_second_derivative
)
_register_builtin("hardswish", hardswish, hardswish_derivative, hardswish_second_derivative)
_register_builtin("softsign", softsign, softsign_derivative, softsign_second_derivative)
_register_builtin(
    "identity",
    identity,
    identity_derivative,
    identity_second_derivative,
    backward=_identity_backward,
)
del _alpha
_BUILTIN_ALIASES = dict(_ALIASES)

_NOT_ELEMENTWISE = {
    "softmax": "softmax is not elementwise: use sigmanet.activations.softmax or the "
    "sigmanet.layers.Softmax layer.",
    "log_softmax": "log_softmax is not elementwise: use sigmanet.activations.log_softmax.",
    "maxout": "maxout has weights: use the sigmanet.layers.Maxout layer.",
    "prelu": "prelu learns its slope: use the sigmanet.layers.PReLU layer.",
}


def _resolve(name: str) -> _Spec:
    canonical = _ALIASES.get(name, name)
    spec = _REGISTRY.get(canonical)
    if spec is None:
        message = f"Unknown activation {name!r}. Valid names: {', '.join(names())}."
        if name in _NOT_ELEMENTWISE:
            message += " " + _NOT_ELEMENTWISE[name]
        else:
            close = difflib.get_close_matches(name, names(), n=1)
            if close:
                message += f" Did you mean {close[0]!r}?"
        raise ValueError(message)
    return spec


class Activation:
    """A registered activation: callable, with exact derivatives.

    Obtain one with :func:`get` (or construct it from a registered name directly).

    Parameters
    ----------
    name : str
        A registered name or alias (see :func:`names`); aliases resolve to the canonical name.
    **params : float
        The activation's parameters, overriding its defaults (e.g. ``alpha`` for
        ``leaky_relu``).

    Attributes
    ----------
    name : str
        Canonical name.
    params : dict[str, float]
        All parameters with their values, defaults included.

    Examples
    --------
    >>> act = Activation("sigmoid")
    >>> y = act([0.0, 2.0])
    >>> act.backward([0.0, 2.0], y, [1.0, 1.0])  # σ'(x) from y: y(1-y)
    array([0.25      , 0.10499359])
    """

    __slots__ = ("_params", "_spec")

    def __init__(self, name: str, **params: float) -> None:
        if not isinstance(name, str):
            raise TypeError(f"Activation name must be a str; got {type(name).__name__}.")
        spec = _resolve(name)
        unknown = sorted(set(params) - set(spec.defaults))
        if unknown:
            if spec.defaults:
                valid = "; valid parameters: " + ", ".join(sorted(spec.defaults))
            else:
                valid = "; it takes no parameters"
            raise TypeError(
                f"Unknown parameter{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))} for activation {spec.name!r}{valid}."
            )
        merged = {**spec.defaults, **params}
        if spec.validate is not None:
            merged = spec.validate(merged, spec.name)
        self._spec = spec
        self._params = merged

    @property
    def name(self) -> str:
        return self._spec.name

    @property
    def params(self) -> dict[str, float]:
        return dict(self._params)

    def __call__(self, x: ArrayLike, out: np.ndarray | None = None) -> np.ndarray:
        """f(x), written into ``out`` (same shape as ``x``) when given."""
        spec = self._spec
        if spec.builtin:
            return spec.function(x, out=out, **self._params)
        x = _input(x)
        _check_out(out, x.shape)
        return _emit(self._user_result(spec.function, x, "function"), x.dtype, out)

    def derivative(self, x: ArrayLike) -> np.ndarray:
        """f'(x), same shape as ``x``."""
        spec = self._spec
        if spec.builtin:
            return spec.derivative(x, **self._params)
        x = _input(x)
        return _emit(self._user_result(spec.derivative, x, "derivative"), x.dtype, None)

    def second_derivative(self, x: ArrayLike) -> np.ndarray:
        """f''(x), same shape as ``x``.

        Raises
        ------
        NotImplementedError
            For a user-registered activation registered without a second derivative.
        """
        spec = self._spec
        if spec.second_derivative is None:
            raise NotImplementedError(
                f"Activation {spec.name!r} was registered without a second derivative; "
                "pass second_derivative= to sigmanet.activations.register to provide one."
            )
        if spec.builtin:
            return spec.second_derivative(x, **self._params)
        x = _input(x)
        return _emit(
            self._user_result(spec.second_derivative, x, "second_derivative"), x.dtype, None
        )

    def backward(
        self,
        x: ArrayLike,
        y: ArrayLike | None,
        grad_output: ArrayLike,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """∂L/∂x = grad_output ⊙ f'(x), given the forward output y = f(x).

        Parameters
        ----------
        x : array_like, any shape
            The forward input.
        y : array_like or None, same shape as ``x``
            The forward output f(x); activations whose f' is cheapest from y (sigmoid:
            y(1-y), tanh: 1-y²) use it. ``None`` recomputes it when needed.
        grad_output : array_like, same shape as ``x``
            ∂L/∂y.
        out : ndarray, optional
            Array of the input's shape to write ∂L/∂x into; for sigmoid, tanh, relu,
            leaky_relu, softplus (β = 1) and identity nothing else is allocated, provided
            ``out`` does not overlap ``y`` or ``grad_output``.

        Returns
        -------
        ndarray, same shape as ``x``
        """
        x = _input(x)
        grad_output = as_float_array(grad_output, "grad_output")
        _check_same_shape(x, grad_output, "x", "grad_output")
        y_array = None
        if y is not None:
            y_array = as_float_array(y, "y")
            _check_same_shape(x, y_array, "x", "y")
        _check_out(out, x.shape)
        spec = self._spec
        if spec.backward is None:
            result = np.multiply(self.derivative(x), grad_output)
            return _emit(result, result_dtype(x, grad_output), out)
        if out is None:
            if spec.backward is _identity_backward:
                return grad_output.astype(result_dtype(x, grad_output), copy=False)
            buffer = np.empty(x.shape, dtype=result_dtype(x, grad_output))
            return spec.backward(x, y_array, grad_output, buffer, **self._params)
        overlapping = [grad_output] if y_array is None else [grad_output, y_array]
        if _overlaps(out, *overlapping) and spec.backward is not _identity_backward:
            buffer = np.empty(x.shape, dtype=result_dtype(x, grad_output))
            spec.backward(x, y_array, grad_output, buffer, **self._params)
            np.copyto(out, buffer, casting="same_kind")
            return out
        return spec.backward(x, y_array, grad_output, out, **self._params)

    def _kernels(self) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
        """``forward(x, out)`` and ``backward(x, y, grad_output, out)`` without argument checks.

        For callers that guarantee what :meth:`__call__` and :meth:`backward` check: float
        arrays of one shape and dtype, and an ``out`` that overlaps neither ``y`` nor
        ``grad_output``: the layers, whose buffers are made so. Saves the checks' cost on
        every training step; activations without a specialised backward get the checked one.
        """
        spec, params = self._spec, self._params
        if not spec.builtin or spec.backward is None:
            return self.__call__, self.backward
        # partials of module-level functions, so that layers holding them can be pickled
        return partial(spec.function, **params), partial(spec.backward, **params)

    def _user_result(self, function: Callable[..., Any], x: np.ndarray, role: str) -> Any:
        result = np.asarray(function(x, **self._params))
        if result.shape != x.shape:
            raise ValueError(
                f"The {role} of activation {self.name!r} returned shape {result.shape} for "
                f"input of shape {x.shape}; it must be elementwise."
            )
        return result

    def get_config(self) -> dict[str, Any]:
        """``{"name": name, **params}``; ``get(**config)`` rebuilds an equal activation."""
        return {"name": self.name, **self._params}

    def __repr__(self) -> str:
        params = "".join(f", {key}={value!r}" for key, value in self._params.items())
        return f"Activation({self.name!r}{params})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Activation):
            return NotImplemented
        return self.name == other.name and self._params == other._params

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self._params.items()))))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.name, self._params))


def _rebuild(name: str, params: dict[str, float]) -> Activation:
    return Activation(name, **params)


def get(name: str | Activation, **params: float) -> Activation:
    """Look up an activation by name (or alias) with its parameters.

    Parameters
    ----------
    name : str or Activation
        A registered name or alias (see :func:`names`). An :class:`Activation` is returned
        as it is (``params`` must then be empty).
    **params : float
        Parameters overriding the defaults, e.g. ``get("leaky_relu", alpha=0.2)``.

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid names) or an invalid parameter value.
    TypeError
        For a parameter the activation does not take, or a name that is not a str.
    """
    if isinstance(name, Activation):
        if params:
            raise TypeError(
                f"Parameters {sorted(params)} cannot be applied to an existing Activation "
                f"{name!r}; pass its name instead, e.g. get({name.name!r}, ...)."
            )
        return name
    if not isinstance(name, str):
        raise TypeError(
            f"activation must be a name (str) or an Activation; got {type(name).__name__}."
        )
    return Activation(name, **params)


def names() -> list[str]:
    """Sorted registered activation names, aliases included."""
    return sorted([*_REGISTRY, *_ALIASES])


def register(
    name: str,
    function: Callable[..., Any],
    derivative: Callable[..., Any],
    second_derivative: Callable[..., Any] | None = None,
    *,
    params: Mapping[str, float] | None = None,
    overwrite: bool = False,
) -> Activation:
    """Register a user-defined elementwise activation.

    Parameters
    ----------
    name : str
        The new name.
    function, derivative : callable
        ``f(x, **params)`` and ``f'(x, **params)``, taking an ndarray and returning an
        array of the same shape. Check ``derivative`` with
        :func:`sigmanet.gradcheck.check_activation`.
    second_derivative : callable, optional
        ``f''(x, **params)``; without it :meth:`Activation.second_derivative` raises
        NotImplementedError.
    params : mapping of str to float, optional
        Parameter names with their default values.
    overwrite : bool
        Replace an existing activation (or alias) of that name.

    Returns
    -------
    Activation
        The activation with its default parameters.

    Raises
    ------
    ValueError
        If ``name`` is taken and ``overwrite`` is False, or is empty.
    TypeError
        If a function is not callable or a parameter default is not a real number.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {type(name).__name__}.")
    if not name.strip():
        raise ValueError("name must be a non-empty string.")
    for role, candidate in (("function", function), ("derivative", derivative)):
        if not callable(candidate):
            raise TypeError(f"{role} must be callable; got {type(candidate).__name__}.")
    if second_derivative is not None and not callable(second_derivative):
        raise TypeError(
            f"second_derivative must be callable or None; got {type(second_derivative).__name__}."
        )
    defaults: dict[str, float] = {}
    for key, value in dict(params or {}).items():
        if not isinstance(key, str) or not key.isidentifier():
            raise ValueError(f"Parameter names must be identifiers; got {key!r}.")
        defaults[key] = _real_param(value, key, name)
    taken = name in _REGISTRY or name in _ALIASES
    if taken and not overwrite:
        raise ValueError(
            f"Activation {name!r} is already registered; pass overwrite=True to replace it."
        )
    _ALIASES.pop(name, None)
    _REGISTRY[name] = _Spec(
        name,
        function,
        derivative,
        second_derivative,
        defaults,
        _validator(**dict.fromkeys(defaults, _real_param)) if defaults else None,
    )
    return Activation(name)


def unregister(name: str) -> None:
    """Remove a user-registered activation; a replaced built-in gets its original back.

    Raises
    ------
    ValueError
        If ``name`` is not registered, or is a built-in that was never replaced.
    """
    spec = _REGISTRY.get(name)
    if spec is None:
        raise ValueError(f"Activation {name!r} is not registered.")
    if spec.builtin:
        raise ValueError(f"Activation {name!r} is built in and cannot be unregistered.")
    if name in _BUILTINS:
        _REGISTRY[name] = _BUILTINS[name]
    else:
        del _REGISTRY[name]
    if name in _BUILTIN_ALIASES:
        _ALIASES[name] = _BUILTIN_ALIASES[name]
