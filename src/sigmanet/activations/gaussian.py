"""The Gaussian error linear units: x weighted by the standard normal CDF Φ(x).

gelu (exact) and gelu_tanh (the tanh approximation). Both are evaluated in float64, also for
float32 input, and rounded once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from sigmanet._numerics.contract import as_input, check_out, emit, wide
from sigmanet._numerics.double_double import two_prod, two_sum
from sigmanet._numerics.tails import GAUSS_TAIL_END, SATURATION, expit, gauss
from sigmanet.activations.core import define

__all__ = [
    "gelu",
    "gelu_derivative",
    "gelu_second_derivative",
    "gelu_tanh",
    "gelu_tanh_derivative",
    "gelu_tanh_second_derivative",
]

INF = float("inf")

# 2·√(2/π) and 2·√(2/π)·0.044715 as unevaluated sums hi + lo (double-double): the tanh-GELU
# tail exp(v) amplifies an absolute error in v by |v| (~600 at x = -20), so v is carried in
# double-double arithmetic to stay within 1e-13 of the exact formula.
_GELU_A_HI, _GELU_A_LO = 1.5957691216057308, -9.96930880911092e-17
_GELU_B_HI, _GELU_B_LO = 0.07135481627260025, -6.175149918155315e-19
_GELU_B_DEC = 0.044715


# -- gelu ------------------------------------------------------------------------------------


def gelu(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Gaussian error linear unit (exact), f(x) = x·Φ(x) = ½x(1 + erf(x/√2)).

    Φ is the standard normal CDF (Hendrycks & Gimpel 2016, "Gaussian Error Linear Units").
    f(-inf) = -0.0, f(+inf) = +inf.

    Notes
    -----
    In the tail x < -5, Φ(x) = ½·erfcx(abs(x)/√2)·exp(-x²/2) with x² split exactly, which keeps
    full relative accuracy down to x ≈ -37.5 (``ndtr`` and ``erfc`` lose up to 2e-13 there).
    """
    x = as_input(x)
    check_out(out, x.shape)
    x64 = wide(x)
    _, cdf, _ = gauss(x64)
    # Φ = 0 below -40: clipping the factor x there turns -inf·0 = NaN into the limit -0.
    return emit(np.maximum(x64, -GAUSS_TAIL_END) * cdf, x.dtype, out)


def gelu_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of the exact GELU, f'(x) = Φ(x) + x·φ(x), φ the standard normal density."""
    x = as_input(x)
    xc, cdf, pdf = gauss(wide(x))
    return emit(cdf + xc * pdf, x.dtype, None)


def gelu_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of the exact GELU, f''(x) = 2φ(x) + x·φ'(x) = φ(x)(2 - x²)."""
    x = as_input(x)
    xc, _, pdf = gauss(wide(x))
    return emit(pdf * (2 - xc * xc), x.dtype, None)


define(
    "gelu",
    gelu,
    gelu_derivative,
    gelu_second_derivative,
    initializer="he_uniform",
    # the minimum, at x ≈ -0.7518, rounded down
    range=(-0.16997120748, INF),
    limits=((0, INF), (0, 1), (0, 0)),
)


# -- gelu_tanh -------------------------------------------------------------------------------


def _gelu_tanh_compensated(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(σ(v), σ(-v))`` with v = 2√(2/π)(x + 0.044715x³) carried in double-double."""
    square, square_err = two_prod(x, x)
    cube, cube_err = two_prod(square, x)
    cube_err = cube_err + square_err * x
    cubic, cubic_err = two_prod(_GELU_B_HI, cube)
    cubic_err = cubic_err + (_GELU_B_HI * cube_err + _GELU_B_LO * cube)
    linear, linear_err = two_prod(_GELU_A_HI, x)
    linear_err = linear_err + _GELU_A_LO * x
    v_hi, v_err = two_sum(cubic, linear)
    v_lo = v_err + cubic_err + linear_err
    # σ(v_hi + v_lo) = σ(v_hi) + v_lo·σ'(v_hi) + O(v_lo²), and |v_lo| < 1e-12.
    s_hi = expit(v_hi)
    s_neg_hi = expit(-v_hi)
    shift = v_lo * (s_hi * s_neg_hi)
    return s_hi + shift, s_neg_hi - shift


def _gelu_tanh_parts(x64: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x_clipped, σ(v), σ(-v))`` in float64 for v = 2√(2/π)(x + 0.044715x³).

    Plain float64 for abs(x) ≤ 4, where abs(v) ≤ 11 bounds the error amplification; beyond,
    v is recomputed in double-double.
    """
    xc = np.clip(x64, -SATURATION, SATURATION)
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
    for u ≪ 0; σ does not). f(-inf) = -0.0, f(+inf) = +inf.
    """
    x = as_input(x)
    check_out(out, x.shape)
    x64 = wide(x)
    _, s, _ = _gelu_tanh_parts(x64)
    # Below -SATURATION, σ(v) = 0 exactly; clipping x there keeps -inf·0 from giving NaN.
    return emit(np.maximum(x64, -SATURATION) * s, x.dtype, out)


def gelu_tanh_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of tanh-GELU, f'(x) = σ(v) + x·σ(v)σ(-v)·v', v' = 2√(2/π)(1 + 3·0.044715x²).

    With v = 2√(2/π)(x + 0.044715x³) as in :func:`gelu_tanh` (chain rule through σ(v)).
    """
    x = as_input(x)
    xc, s, s_neg = _gelu_tanh_parts(wide(x))
    v_prime = _GELU_A_HI * (1 + (3 * _GELU_B_DEC) * (xc * xc))
    return emit(s + xc * (s * s_neg) * v_prime, x.dtype, None)


def gelu_tanh_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of tanh-GELU.

    f''(x) = σ'(v)·[2v' + x((1 - 2σ(v))·v'² + v'')], with σ'(v) = σ(v)σ(-v),
    v' = 2√(2/π)(1 + 3·0.044715x²) and v'' = 2√(2/π)·6·0.044715x.
    """
    x = as_input(x)
    xc, s, s_neg = _gelu_tanh_parts(wide(x))
    v_prime = _GELU_A_HI * (1 + (3 * _GELU_B_DEC) * (xc * xc))
    v_second = (6 * _GELU_B_HI) * xc
    inner = 2 * v_prime + xc * ((s_neg - s) * (v_prime * v_prime) + v_second)
    return emit((s * s_neg) * inner, x.dtype, None)


define(
    "gelu_tanh",
    gelu_tanh,
    gelu_tanh_derivative,
    gelu_tanh_second_derivative,
    initializer="he_uniform",
    # the minimum, at x ≈ -0.7525, rounded down
    range=(-0.17004075058, INF),
    limits=((0, INF), (0, 1), (0, 0)),
)
