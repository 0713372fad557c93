"""tanh of float32 numbers by a rational function that compiled loops vectorise (numba).

Importing this module imports numba: only compiled kernels import it, when they are first
used, so ``import sigmanet`` does not. numba evaluates ``math.tanh`` and ``np.tanh`` of a
float32 one element at a time through the C library's ``tanhf`` (about 15-20 ns an element
here, against well under 1 ns for NumPy's vectorised loop); :func:`tanh_rational` is a
polynomial quotient without branches in its arithmetic, which LLVM turns into vector code
(about 0.3 ns an element).

tanh x ≈ x P(x²) / Q(x²), with P and Q of degree 4 in x² and Q(0) = 1, fitted to the smallest
largest relative error over 0 < x ≤ 9.1 by Lawson's algorithm (iteratively reweighted least
squares; C. L. Lawson 1961; J. R. Rice and K. H. Usow, Math. Comp. 22, 1968;
``tests/data/make_tanh_rational.py`` fits them again). As a function its relative error is
below 2.5e-8, under half a float32 ulp; beyond 9.1, where tanh rounds to ±1 in float32, the
result is ±1 exactly. All coefficients are positive, so Horner's rule adds no cancellation:
evaluated in float32 (eight lanes a vector) the result is within 7 float32 ulps of tanh (on a
dense grid at most 5.8, median 0.4; NumPy's own float32 tanh is within about 1.4). NaN fails
every comparison and passes through; ±inf give ±1; no finite input overflows (x² is formed of
the clipped argument). It replaced Lambert's continued fraction (Lambert 1768; Abramowitz &
Stegun 1964, 4.5.70) cut after the term 29 + x²/29, of degree 7 over 7: the same float32
accuracy on that grid (at most 5.9 ulps, median 0.4) at 0.43 ns an element against 0.28.

For float64 the kernels keep the C library's tanh: 2.5e-8 is far from float64's precision.
"""

from __future__ import annotations

import numpy as np

from sigmanet._numerics.jit import entry

__all__ = ["SATURATED", "tanh_rational"]

# lowest power of x² first (tests/data/make_tanh_rational.py prints them)
_P = (
    0.9999999763028254,
    0.13378077834624397,
    0.003491999129970772,
    2.0545944259743734e-05,
    1.3258912616221943e-08,
)
_Q = (
    1.0,
    0.4671139218556879,
    0.025863566415285377,
    0.0003279594295395064,
    7.739142886839003e-07,
)
# numba types a NumPy float32 global as float32: the whole evaluation stays float32
_P0, _P1, _P2, _P3, _P4 = (np.float32(v) for v in _P)
_Q1, _Q2, _Q3, _Q4 = (np.float32(v) for v in _Q[1:])
_ONE = np.float32(1.0)
#: Beyond this tanh rounds to ±1 in float32 (1 - tanh x < 2⁻²⁵ from x ≈ 9.01 on).
SATURATED = np.float32(9.1)


@entry
def tanh_rational(x):
    """tanh of a float32 ``x`` within 7 ulps, by a rational function that vectorises."""
    # written so that NaN fails every test and passes through
    y = x
    if y > SATURATED:
        y = SATURATED
    elif y < -SATURATED:
        y = -SATURATED
    s = y * y
    p = _P0 + s * (_P1 + s * (_P2 + s * (_P3 + s * _P4)))
    q = _ONE + s * (_Q1 + s * (_Q2 + s * (_Q3 + s * _Q4)))
    value = y * p / q
    # where float32 tanh is ±1, exactly: a gate shuts completely, as with NumPy's tanh
    if x > SATURATED:
        value = _ONE
    elif x < -SATURATED:
        value = -_ONE
    return value
