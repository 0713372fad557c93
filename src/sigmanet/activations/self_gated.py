"""The self-gated units: x multiplied by a gate computed from x itself.

silu (alias swish, gate σ(x)), mish (gate tanh(softplus(x))), hardswish (gate
relu6(x + 3)/6). Smooth ones are evaluated in float64, also for float32 input, and rounded
once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from sigmanet._numerics.contract import (
    as_input,
    check_out,
    emit,
    keep_nan,
    piecewise_constant,
    wide,
)
from sigmanet._numerics.tails import SATURATION, expit, sigmoid_prime_from_abs
from sigmanet.activations.core import define

__all__ = [
    "hardswish",
    "hardswish_derivative",
    "hardswish_second_derivative",
    "mish",
    "mish_derivative",
    "mish_second_derivative",
    "silu",
    "silu_derivative",
    "silu_second_derivative",
    "swish",
    "swish_derivative",
    "swish_second_derivative",
]

INF = float("inf")


# -- silu / swish ----------------------------------------------------------------------------


def silu(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Sigmoid linear unit (swish), f(x) = x·σ(x) (Elfwing et al. 2018; Ramachandran et al. 2017).

    f(-inf) = -0.0 (the naive x·σ(x) is -inf·0 = NaN there).
    """
    x = as_input(x)
    check_out(out, x.shape)
    # Where σ(x) is subnormal (x < -709 in float64, x < -87 in float32) x·σ(x) is still
    # normal, so the far tail, where σ(x) = e^x exactly, is redone as x·e^x in float64.
    tail = x < -40
    patch = None
    if tail.any():
        x_tail = np.maximum(x[tail].astype(np.float64), -SATURATION)
        patch = x_tail * np.exp(x_tail)
    # Below -SATURATION, σ(x) = 0 exactly, so clipping the factor x changes nothing but -inf.
    clipped = np.maximum(x, x.dtype.type(-SATURATION))
    result = np.asarray(np.multiply(clipped, special.expit(x), out=out))
    if patch is not None:
        result[tail] = patch
    return result


def silu_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of SiLU, f'(x) = σ(x)(1 + x(1 - σ(x))); f'(-inf) = 0, f'(+inf) = 1."""
    x = as_input(x)
    # float64 even for float32 input: 1 + x(1 - σ) cancels near the minimum at x ≈ -1.28.
    x64 = wide(x)
    xc = np.clip(x64, -SATURATION, SATURATION)
    return emit(expit(x64) * (1 + xc * expit(-x64)), x.dtype, None)


def silu_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of SiLU, f''(x) = σ'(x)(2 + x(1 - 2σ(x))), σ' = σ(1 - σ)."""
    x = as_input(x)
    x64 = wide(x)
    xc = np.clip(x64, -SATURATION, SATURATION)
    s = special.expit(x64)
    s_neg = special.expit(-x64)
    return emit(sigmoid_prime_from_abs(np.abs(x64)) * (2 + xc * (s_neg - s)), x.dtype, None)


define(
    "silu",
    silu,
    silu_derivative,
    silu_second_derivative,
    aliases=("swish",),
    initializer="he_uniform",
    # the minimum, at x ≈ -1.2785, rounded down
    range=(-0.27846454277, INF),
    limits=((0, INF), (0, 1), (0, 0)),
)

swish = silu
swish_derivative = silu_derivative
swish_second_derivative = silu_second_derivative


# -- mish ------------------------------------------------------------------------------------


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

    Notes
    -----
    tanh(softplus(x)) is evaluated as a ratio of positive terms in e^x, so nothing
    overflows or cancels at large abs(x).
    """
    x = as_input(x)
    check_out(out, x.shape)
    x64 = wide(x)
    # tanh(log(1 + w)) = n/(n + 2) with n = w(w + 2), w = e^x: positive terms only. Past
    # x = 40, 2/n < 1e-34 and t = 1 exactly, so w is clipped there to stay finite.
    w = np.exp(np.minimum(x64, 40.0))
    n = w * (w + 2)
    t = n / (n + 2)
    return emit(np.maximum(x64, -SATURATION) * t, x.dtype, out)


def mish_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of Mish, f'(x) = tanh(sp) + x·σ(x)·(1 - tanh²(sp)), sp = softplus(x)."""
    x = as_input(x)
    # With w = e^x and n = w(w + 2) as in mish: tanh(sp) = n/(n + 2), σ = w/(1 + w),
    # 1 - tanh²(sp) = 4(n + 1)/(n + 2)². Past x = 40 the second term is below 1e-33 and
    # t = 1, so clipping x at 40 changes nothing.
    xc = np.clip(wide(x), -SATURATION, 40.0)
    w = np.exp(xc)
    n = w * (w + 2)
    n_plus_2 = n + 2
    result = n / n_plus_2 + xc * (w / (1 + w)) * (4 * (n + 1) / (n_plus_2 * n_plus_2))
    return emit(result, x.dtype, None)


def mish_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of Mish, f''(x) = σ·S·(2 + x(1 - σ - 2σ·t)).

    Here t = tanh(softplus(x)), S = 1 - t² and σ = σ(x); it follows from t' = S·σ and
    S' = -2·S·t·σ.
    """
    x = as_input(x)
    x64 = wide(x)
    t, sech_squared, s, s_neg = _mish_parts(x64)
    xc = np.clip(x64, -SATURATION, SATURATION)
    return emit(s * sech_squared * (2 + xc * (s_neg - 2 * s * t)), x.dtype, None)


define(
    "mish",
    mish,
    mish_derivative,
    mish_second_derivative,
    initializer="he_uniform",
    # the minimum, at x ≈ -1.1924, rounded down
    range=(-0.30884341302, INF),
    limits=((0, INF), (0, 1), (0, 0)),
)


# -- hardswish -------------------------------------------------------------------------------


def hardswish(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Hard swish, f(x) = x·relu6(x + 3)/6 (Howard et al. 2019, MobileNetV3)."""
    x = as_input(x)
    check_out(out, x.shape)
    dtype = x.dtype.type
    gate = np.clip(x + dtype(3), dtype(0), dtype(6)) / dtype(6)
    # The gate is 0 for x ≤ -3: clipping x there turns -inf·0 into the limit -0.
    return np.asarray(np.multiply(np.maximum(x, dtype(-3)), gate, out=out))


def hardswish_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of hard swish, f'(x) = 0 for x ≤ -3, (2x + 3)/6 on (-3, 3), 1 for x ≥ 3."""
    x = as_input(x)
    dtype = x.dtype.type
    ramp = (2 * np.clip(x, dtype(-3), dtype(3)) + dtype(3)) / dtype(6)
    result = np.where(x >= 3, dtype(1), np.where(x > -3, ramp, dtype(0)))
    return keep_nan(np.asarray(result), x)


def hardswish_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of hard swish, f''(x) = 1/3 on (-3, 3), else 0."""
    x = as_input(x)
    return piecewise_constant(x, [((x > -3) & (x < 3), 1.0 / 3.0)])


define(
    "hardswish",
    hardswish,
    hardswish_derivative,
    hardswish_second_derivative,
    initializer="he_uniform",
    range=(-0.375, INF),  # the minimum, at x = -1.5
    limits=((0, INF), (0, 1), (0, 0)),
    kinks=(-3.0, 3.0),
)
