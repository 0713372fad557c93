"""The activations' element formulas for the compiled kernels (numba), with their exact
derivatives, in the dtype of the arrays they meet.

Each repeats its NumPy counterpart (:mod:`sigmanet.activations`) in the same order of
operations and dtype: constants come from an array of that dtype (``c``), and a value formed
in float64 for accuracy (GELU's Φ, SiLU's far tail) is rounded to it by :func:`_cast`. float32
tanh and sigmoid go through the rational tanh of ``sigmanet._numerics.rational_tanh``, which
vectorises (numba's float32 tanh is the C library's, one element at a time); float64 keeps the
exact formulas, the sigmoid's exp through the vectorised exp of
``sigmanet._numerics.vector_exp``. :func:`_activate` and :func:`_activation_backward` apply
them to blocks, with loops of their own for the activations that vectorise.

Importing this module imports numba; only the compiled kernels import it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import types
from numba.extending import overload

from sigmanet._numerics.jit import helper
from sigmanet._numerics.rational_tanh import tanh_rational
from sigmanet._numerics.vector_exp import exp as _exp
from sigmanet.engine._codes import (
    ELU,
    GELU,
    IDENTITY,
    LEAKY_RELU,
    NONE,
    RELU,
    RELU6,
    SELU,
    SIGMOID,
    TANH,
)

_INV_SQRT2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_SPLITTER = 134217729.0
_GAUSS_TAIL_END = 40.0
_SATURATION = 1000.0


@helper
def _cast(value, c):
    """``value`` rounded to the dtype of ``c`` (as NumPy casts a Python scalar), through its
    last slot, kept free for this."""
    c[-1] = value
    return c[-1]


@helper
def _expit64(z):
    # σ(z) = e^z exactly once 1 + e^z rounds to 1 (z < -40): keeps subnormal results.
    if z < -40.0:
        return math.exp(z)
    return 1.0 / (1.0 + math.exp(-z))


@helper
def _exp_neg_half_square(a):
    # exp(-a²/2) with a split into a 26-bit head (exact square) and the remainder.
    c = _SPLITTER * a
    hi = c - (c - a)
    lo = a - hi
    return math.exp(-0.5 * (hi * hi)) * math.exp(-(hi * lo + 0.5 * (lo * lo)))


@helper
def _gauss(x):
    """(x clipped to [-40, 40], Φ(x), φ(x)) in float64; NaN stays NaN."""
    xc = x
    if x < -_GAUSS_TAIL_END:
        xc = -_GAUSS_TAIL_END
    elif x > _GAUSS_TAIL_END:
        xc = _GAUSS_TAIL_END
    a = abs(xc)
    if a > 5.0:
        gauss = _exp_neg_half_square(a)
        upper = 0.5 * math.erfc(a * _INV_SQRT2)
        cdf = upper if xc < 0.0 else 1.0 - upper
        return xc, cdf, gauss * _INV_SQRT_2PI
    # Φ as the normal CDF of Cephes: erf near 0, erfc elsewhere (no cancellation in the tails)
    t = xc * _INV_SQRT2
    if abs(t) < _INV_SQRT2:
        cdf = 0.5 + 0.5 * math.erf(t)
    else:
        cdf = 0.5 * math.erfc(abs(t))
        if t > 0.0:
            cdf = 1.0 - cdf
    return xc, cdf, math.exp(-0.5 * (xc * xc)) * _INV_SQRT_2PI


@helper
def _value(code, x, alpha, c):
    """f(x) for one element, in the arrays' dtype (the constants of ``c`` carry it)."""
    zero, six = c[0], c[3]
    if code == IDENTITY:
        return x
    if code == RELU:
        return x if (x > zero or x != x) else zero  # max(x, 0) keeping NaN, as np.maximum
    if code == LEAKY_RELU:
        positive = x if (x > zero or x != x) else zero
        negative = x if (x < zero or x != x) else zero
        return positive + negative * alpha
    if code == RELU6:
        if x != x:
            return x
        return zero if x < zero else (six if x > six else x)
    if code == ELU:
        return _elu(x, alpha, c)
    if code == SELU:
        return _selu(x, c)
    if code == SIGMOID:
        return _sigmoid(x, c)
    if code == TANH:
        return _tanh(x)
    if code == GELU:
        return _gelu(x, c)
    return _silu(x, c)


@helper
def _elu(x, alpha, c):
    zero = c[0]
    low = x if (x < zero or x != x) else zero
    return x if x > zero else np.expm1(low) * alpha


@helper
def _selu(x, c):
    zero = c[0]
    low = x if (x < zero or x != x) else zero
    return x * c[5] if x > zero else np.expm1(low) * c[4]


def _tanh(x):
    """tanh of one element in its dtype, for compiled code (the overload below says how)."""
    return np.tanh(x)


@overload(_tanh, jit_options={"error_model": "numpy", "nogil": True})
def _tanh_for(x):
    # numba's tanh of a float32 is the C library's tanhf, one element at a time (about 16 ns
    # an element); the rational tanh vectorises (0.3 ns) and stays within 7 ulps. float64
    # keeps the C library's tanh, within an ulp of NumPy's.
    if x == types.float32:
        return lambda x: tanh_rational(x)
    return lambda x: np.tanh(x)


def _sigmoid(x, c):
    """σ(x) for one element in its dtype, for compiled code (the overload below says how)."""
    one = c[1]
    return one / (one + np.exp(-x))


@overload(_sigmoid, jit_options={"error_model": "numpy", "nogil": True})
def _sigmoid_for(x, c):
    # float32: σ(x) = ½ + ½ tanh(x/2) through the rational tanh, which vectorises (about 0.6 ns
    # an element against 3 ns for 1/(1 + e^-x), whose expf numba calls element by element).
    # Its error is absolute, at most about 4e-7 (7 ulps of tanh near 1, halved), so far in the
    # negative tail, where σ is below 1e-4, it is coarser relative to σ than NumPy's expit;
    # beyond x = -18.2 it is 0 (σ < 1.3e-8 there). float64 keeps 1/(1 + e^-x), with the
    # vectorised exp of sigmanet._numerics.vector_exp (within 1 ulp).
    if x == types.float32:

        def sigmoid32(x, c):
            half = c[2]
            return half + half * tanh_rational(x * half)

        return sigmoid32

    def sigmoid(x, c):
        one = c[1]
        return one / (one + _exp(-x))

    return sigmoid


@helper
def _gelu(x, c):
    x64 = np.float64(x)
    _, cdf, _ = _gauss(x64)
    factor = x64 if (x64 > -_GAUSS_TAIL_END or x64 != x64) else -_GAUSS_TAIL_END
    return _cast(factor * cdf, c)


@helper
def _silu(x, c):
    one = c[1]
    if x < c[6]:  # x < -40: x·e^x in float64 (σ(x) is e^x there)
        x64 = max(np.float64(x), -_SATURATION)
        return _cast(x64 * math.exp(x64), c)
    clipped = x if (x > c[7] or x != x) else c[7]
    return clipped * (one / (one + np.exp(-x)))


@helper
def _activate(code, alpha, Z, A, c):
    """A ← f(Z) elementwise; ``c`` holds the constants in the arrays' dtype."""
    rows, cols = Z.shape
    zero, six = c[0], c[3]
    # The cheap activations get loops of their own, free of the dispatch, so that they
    # vectorise; the others spend their time in exp or erf anyway.
    if code == RELU:
        for i in range(rows):
            for j in range(cols):
                x = Z[i, j]
                A[i, j] = x if (x > zero or x != x) else zero
        return
    if code == LEAKY_RELU:
        for i in range(rows):
            for j in range(cols):
                x = Z[i, j]
                positive = x if (x > zero or x != x) else zero
                negative = x if (x < zero or x != x) else zero
                A[i, j] = positive + negative * alpha
        return
    if code == RELU6:
        for i in range(rows):
            for j in range(cols):
                x = Z[i, j]
                A[i, j] = x if x != x else (zero if x < zero else (six if x > six else x))
        return
    if code == IDENTITY:
        for i in range(rows):
            for j in range(cols):
                A[i, j] = Z[i, j]
        return
    # float32 tanh and sigmoid vectorise too (see _tanh): loops of their own as well
    if code == TANH:
        for i in range(rows):
            for j in range(cols):
                A[i, j] = _tanh(Z[i, j])
        return
    if code == SIGMOID:
        for i in range(rows):
            for j in range(cols):
                A[i, j] = _sigmoid(Z[i, j], c)
        return
    for i in range(rows):
        for j in range(cols):
            A[i, j] = _value(code, Z[i, j], alpha, c)


@helper
def _gradient(code, x, y, d, alpha, one_minus_alpha, c):
    """d · f'(x) for one element, f' formed as the NumPy path forms it (y = f(x))."""
    zero, one, six = c[0], c[1], c[3]
    if code in (IDENTITY, NONE):
        return d
    if code == RELU:
        # (x > 0) as a number: 0 at NaN, so the gradient passes NaN only from d
        return (one if x > zero else zero) * d
    if code == LEAKY_RELU:
        h = one if x > zero else zero
        return (h * one_minus_alpha + alpha) * d
    if code == RELU6:
        slope = x if x != x else (one if (x > zero and x < six) else zero)
        return slope * d
    if code == ELU:
        return _elu_gradient(x, d, alpha, c)
    if code == SELU:
        return _selu_gradient(x, d, c)
    if code == SIGMOID:
        return ((one - y) * y) * d
    if code == TANH:
        return (one - y * y) * d
    if code == GELU:
        return _gelu_gradient(x, d, c)
    return _silu_gradient(x, d, c)


@helper
def _elu_gradient(x, d, alpha, c):
    zero, one = c[0], c[1]
    low = x if (x < zero or x != x) else zero
    slope = one if x > zero else np.exp(low) * alpha
    return slope * d


@helper
def _selu_gradient(x, d, c):
    zero = c[0]
    low = x if (x < zero or x != x) else zero
    slope = c[5] if x > zero else np.exp(low) * c[4]
    return slope * d


@helper
def _gelu_gradient(x, d, c):
    xc, cdf, pdf = _gauss(np.float64(x))
    return _cast(cdf + xc * pdf, c) * d  # f' rounded to the dtype, the product in it


@helper
def _silu_gradient(x, d, c):
    x64 = np.float64(x)
    xc = min(max(x64, -_SATURATION), _SATURATION) if x64 == x64 else x64
    return _cast(_expit64(x64) * (1.0 + xc * _expit64(-x64)), c) * d


@helper
def _activation_backward(code, alpha, one_minus_alpha, Z, A, D, G, c):
    """G ← D ⊙ f'(Z). ``NONE`` (a Dense layer with no activation) passes D through."""
    rows, cols = Z.shape
    zero, one, six = c[0], c[1], c[3]
    if code == RELU:
        for i in range(rows):
            for j in range(cols):
                G[i, j] = (one if Z[i, j] > zero else zero) * D[i, j]
        return
    if code in (NONE, IDENTITY):
        for i in range(rows):
            for j in range(cols):
                G[i, j] = D[i, j]
        return
    if code == LEAKY_RELU:
        for i in range(rows):
            for j in range(cols):
                h = one if Z[i, j] > zero else zero
                G[i, j] = (h * one_minus_alpha + alpha) * D[i, j]
        return
    if code == RELU6:
        for i in range(rows):
            for j in range(cols):
                x = Z[i, j]
                slope = x if x != x else (one if (x > zero and x < six) else zero)
                G[i, j] = slope * D[i, j]
        return
    if code == SIGMOID:
        for i in range(rows):
            for j in range(cols):
                y = A[i, j]
                G[i, j] = ((one - y) * y) * D[i, j]
        return
    if code == TANH:
        for i in range(rows):
            for j in range(cols):
                y = A[i, j]
                G[i, j] = (one - y * y) * D[i, j]
        return
    for i in range(rows):
        for j in range(cols):
            G[i, j] = _gradient(code, Z[i, j], A[i, j], D[i, j], alpha, one_minus_alpha, c)
