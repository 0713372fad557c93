"""Sigmoid, tanh and Gaussian factors that keep full relative accuracy in their tails."""

from __future__ import annotations

import numpy as np
from scipy import special

from sigmanet._numerics.double_double import exp_neg_half_square

#: Beyond abs(x) = SATURATION every sigmoid-like factor is exactly 0 or 1 in float32 and
#: float64, so clipping inner arguments there changes no result and keeps x·0 away from inf·0.
SATURATION = 1000.0
#: Φ(-40) ≈ 3.7e-350 is 0 in float64.
GAUSS_TAIL_END = 40.0
INV_SQRT2 = 0.7071067811865476  # 1/√2
INV_SQRT_2PI = 0.3989422804014327  # 1/√(2π)


def sigmoid_prime_from_abs(abs_z: np.ndarray) -> np.ndarray:
    """σ'(z) = σ(z)σ(-z) = e/(1+e)² with e = exp(-abs(z)): one exp, no cancellation."""
    e = np.exp(-abs_z)
    one_plus = 1 + e
    return e / (one_plus * one_plus)


def expit(z: np.ndarray) -> np.ndarray:
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


def sech_squared(x: np.ndarray) -> np.ndarray:
    """sech²(x) = 1 - tanh²(x), evaluated as 4e/(1+e)² with e = exp(-2 abs(x)).

    1 - tanh²(x) cancels to 0 once tanh rounds to ±1 (abs(x) > 19 in float64) although the
    true value, 4e^(-2 abs(x)), is still a normal number; this form keeps it.
    """
    # e^(-800) is 0 in both dtypes, so clipping there only keeps 2·abs(x) from overflowing.
    e = np.exp(-2 * np.minimum(np.abs(x), x.dtype.type(400)))
    one_plus = 1 + e
    return 4 * e / (one_plus * one_plus)


def gauss(x64: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x_clipped, Φ(x), φ(x))`` in float64, x clipped to [-40, 40] (Φ(-40) = 0 there).

    ``ndtr`` rounds the argument of erfc, which costs a relative error up to ~x²·2⁻⁵³
    (2e-13 near x = -37), and exp(-x²/2) loses as much by rounding x²; beyond abs(x) = 5 both
    are redone as Φ(-a) = ½·erfcx(a/√2)·exp(-a²/2) with a² split exactly.
    """
    xc = np.clip(x64, -GAUSS_TAIL_END, GAUSS_TAIL_END)
    cdf = np.asarray(special.ndtr(xc))
    pdf = np.asarray(np.exp(-0.5 * (xc * xc)) * INV_SQRT_2PI)
    tail = np.abs(xc) > 5
    if tail.any():
        x_tail = xc[tail]
        a = np.abs(x_tail)
        gaussian = exp_neg_half_square(a)
        upper = 0.5 * special.erfcx(a * INV_SQRT2) * gaussian
        cdf[tail] = np.where(x_tail < 0, upper, 1 - upper)
        pdf[tail] = gaussian * INV_SQRT_2PI
    return xc, cdf, pdf
