"""The compiled kernels (numba): a whole training epoch of a Dense stack, in one call.

Importing this module imports numba; :mod:`sigmanet.engine` imports it only when a fit asks
for the compiled engine, so ``import sigmanet`` compiles nothing. Every function is compiled
on first use for the dtypes it meets and kept in numba's on-disk cache (``cache=True``).

Each step repeats the arithmetic of the NumPy path (:mod:`sigmanet.layers`,
:mod:`sigmanet.losses`, :mod:`sigmanet.optimizers`) in the same order and in the same dtype:
constants come from an array of the parameters' dtype, so a float32 step stays float32 (a
float64 literal would promote it). The matrix products go through BLAS
(:func:`sigmanet.engine._blas.matmul`, NumPy's library); what lies
between them (bias, activation, loss, optimizer) is fused into loops over the elements.

A step that meets something unusual (a non-finite batch loss, a gradient whose square
overflows) is not taken: the kernel returns its index with nothing of that step applied, and
the NumPy path takes over from there, so divergence is reported exactly as it is there.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import overload

from sigmanet._numerics.rational_tanh import tanh_rational
from sigmanet.engine._blas import flag, matmul
from sigmanet.engine._codes import (
    A_AT,
    ACT,
    B_AT,
    BINARY_CE,
    D_AT,
    DONE,
    ELU,
    FAN_IN,
    FAN_OUT,
    FULL_BATCH,
    G_AT,
    GELU,
    IDENTITY,
    LEAKY_RELU,
    NONE,
    RELU,
    RELU6,
    SELU,
    SIGMOID,
    SOFTMAX_CE,
    TANH,
    W_AT,
    Z_AT,
)

_INV_SQRT2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_SPLITTER = 134217729.0
_GAUSS_TAIL_END = 40.0
_SATURATION = 1000.0

# error_model="numpy": division without exception checks, which is what lets loops vectorise.
# The helpers are called from compiled code only: no_cpython_wrapper spares each the Python
# entry point numba otherwise generates and compiles with it; ``kernel``, called from Python,
# keeps one.
# (numba's type stubs do not list no_cpython_wrapper, one of its target options)
_compiled = njit(cache=True, error_model="numpy", nogil=True, no_cpython_wrapper=True)  # type: ignore[call-overload]
_entry = njit(cache=True, error_model="numpy", nogil=True)


@_compiled
def _expit64(z):
    # σ(z) = e^z exactly once 1 + e^z rounds to 1 (z < -40): keeps subnormal results.
    if z < -40.0:
        return math.exp(z)
    return 1.0 / (1.0 + math.exp(-z))


@_compiled
def _exp_neg_half_square(a):
    # exp(-a²/2) with a split into a 26-bit head (exact square) and the remainder.
    c = _SPLITTER * a
    hi = c - (c - a)
    lo = a - hi
    return math.exp(-0.5 * (hi * hi)) * math.exp(-(hi * lo + 0.5 * (lo * lo)))


@_compiled
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


@_compiled
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


@_compiled
def _elu(x, alpha, c):
    zero = c[0]
    low = x if (x < zero or x != x) else zero
    return x if x > zero else np.expm1(low) * alpha


@_compiled
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
    # an element); the rational tanh vectorises (0.5 ns) and stays within 7 ulps. float64
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
    # beyond x = -18.2 it is 0 (σ < 1.3e-8 there). float64 keeps 1/(1 + e^-x).
    if x == types.float32:

        def sigmoid32(x, c):
            half = c[2]
            return half + half * tanh_rational(x * half)

        return sigmoid32

    def sigmoid(x, c):
        one = c[1]
        return one / (one + np.exp(-x))

    return sigmoid


@_compiled
def _gelu(x, c):
    x64 = np.float64(x)
    _, cdf, _ = _gauss(x64)
    factor = x64 if (x64 > -_GAUSS_TAIL_END or x64 != x64) else -_GAUSS_TAIL_END
    return _cast(factor * cdf, c)


@_compiled
def _silu(x, c):
    one = c[1]
    if x < c[6]:  # x < -40: x·e^x in float64 (σ(x) is e^x there)
        x64 = max(np.float64(x), -_SATURATION)
        return _cast(x64 * math.exp(x64), c)
    clipped = x if (x > c[7] or x != x) else c[7]
    return clipped * (one / (one + np.exp(-x)))


@_compiled
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


@_compiled
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


@_compiled
def _elu_gradient(x, d, alpha, c):
    zero, one = c[0], c[1]
    low = x if (x < zero or x != x) else zero
    slope = one if x > zero else np.exp(low) * alpha
    return slope * d


@_compiled
def _selu_gradient(x, d, c):
    zero = c[0]
    low = x if (x < zero or x != x) else zero
    slope = c[5] if x > zero else np.exp(low) * c[4]
    return slope * d


@_compiled
def _gelu_gradient(x, d, c):
    xc, cdf, pdf = _gauss(np.float64(x))
    return _cast(cdf + xc * pdf, c) * d  # f' rounded to the dtype, the product in it


@_compiled
def _silu_gradient(x, d, c):
    x64 = np.float64(x)
    xc = min(max(x64, -_SATURATION), _SATURATION) if x64 == x64 else x64
    return _cast(_expit64(x64) * (1.0 + xc * _expit64(-x64)), c) * d


@_compiled
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


@_compiled
def _log1p(x, one):
    """``log(1 + x)`` for ``x >= 0`` (or NaN) as ``log(u) · x / (u - 1)``, ``u = 1 + x``, and
    ``x`` itself once ``u`` rounds to 1: within a few ulps where ``log`` is correctly rounded
    (Goldberg, *What every computer scientist should know about floating-point arithmetic*,
    ACM Computing Surveys 23(1), 1991, Theorem 4).

    Why not ``np.log1p``: numba's takes about twice the time of its ``log`` (float32 and
    float64), and the losses evaluate one per row of every full-batch gradient.
    """
    u = x + one
    if u == one:
        return x
    if u == np.inf:  # x / (u - 1) would be inf / inf
        return u
    return np.log(u) * (x / (u - one))


@_compiled
def _softmax_cross_entropy(O, y, start, D, per_sample, c):
    """Per-sample loss into ``per_sample``, the unscaled gradient softmax - onehot into ``D``."""
    zero, one = c[0], c[1]
    rows, k = O.shape
    for i in range(rows):
        target = y[start + i]
        largest = 0
        top = O[i, 0]
        for j in range(1, k):
            v = O[i, j]
            if v > top or (v != v and top == top):
                largest = j
                top = v
        for j in range(k):
            D[i, j] = O[i, j] - top
        cross = D[i, target]
        rest = zero
        for j in range(k):
            if j == largest:
                D[i, j] = zero
            else:
                D[i, j] = np.exp(D[i, j])
                rest += D[i, j]
        hit = target == largest
        D[i, largest] = -rest if hit else one
        denominator = rest + one
        for j in range(k):
            D[i, j] = D[i, j] / denominator
        if not hit:
            D[i, target] = D[i, target] - one
        per_sample[i] = _log1p(rest, one) - cross


@_compiled
def _binary_cross_entropy(O, Y, start, D, per_sample, c):
    zero, one = c[0], c[1]
    rows, k = O.shape
    for i in range(rows):
        total = zero
        for j in range(k):
            x = O[i, j]
            z = Y[start + i, j]
            e = np.exp(-abs(x))
            positive = x > zero
            coefficient = (one if positive else zero) - z
            g = e / (e + one)
            if positive:
                g = -g
            D[i, j] = g + coefficient
            total += coefficient * x + _log1p(e, one)
        per_sample[i] = total


@_compiled
def _squared_error(O, Y, start, D, per_sample, c):
    zero, half = c[0], c[2]
    rows, k = O.shape
    for i in range(rows):
        total = zero
        for j in range(k):
            residual = O[i, j] - Y[start + i, j]
            D[i, j] = residual
            total += (residual * residual) * half
        per_sample[i] = total


@_compiled
def _cast(value, c):
    """``value`` rounded to the dtype of ``c`` (as NumPy casts a Python scalar), through its
    last slot, kept free for this."""
    c[-1] = value
    return c[-1]


@_compiled
def _forward_rows(X, start, stop, params, meta, alphas, c, work, gemm):
    """Forward rows ``start:stop`` of ``X`` through every layer; return the output view."""
    m = stop - start
    inputs = X[start:stop]
    for layer in range(meta.shape[0]):
        fan_in, fan_out = meta[layer, FAN_IN], meta[layer, FAN_OUT]
        W = params[meta[layer, W_AT] : meta[layer, W_AT] + fan_in * fan_out].reshape(
            (fan_in, fan_out)
        )
        Z = work[meta[layer, Z_AT] : meta[layer, Z_AT] + m * fan_out].reshape((m, fan_out))
        matmul(inputs, flag(False), W, flag(False), Z, gemm)  # type: ignore[call-arg]
        if meta[layer, B_AT] >= 0:
            b = params[meta[layer, B_AT] : meta[layer, B_AT] + fan_out]
            for i in range(m):
                for j in range(fan_out):
                    Z[i, j] = Z[i, j] + b[j]
        if meta[layer, ACT] != NONE:
            A = work[meta[layer, A_AT] : meta[layer, A_AT] + m * fan_out].reshape((m, fan_out))
            _activate(meta[layer, ACT], alphas[layer, 0], Z, A, c)
            inputs = A
        else:
            inputs = Z
    return inputs


@_compiled
def _loss_rows(
    O, y_index, Y, weight, start, loss_code, D, losses, c, mean_weight, rows, largest, normaliser
):
    """The loss of the outputs ``O`` (rows ``start:``) and its gradient with respect to them
    into ``D``, as a share of a mean over ``rows`` rows (the batch's, or the data's).

    Returns ``(value, batch_weight)``; ``value`` is not finite when the NumPy path must take
    over. Weighted, each row's share is ``(w_i / largest) / normaliser``; a ``normaliser`` of 0
    means: form both from these rows. ``mean_weight > 0`` rescales a weighted batch's
    gradient to the unbiased estimate of the stochastic loop.
    """
    if loss_code == SOFTMAX_CE:
        _softmax_cross_entropy(O, y_index, start, D, losses, c)
    elif loss_code == BINARY_CE:
        _binary_cross_entropy(O, Y, start, D, losses, c)
    else:
        _squared_error(O, Y, start, D, losses, c)
    return _mean_rows(weight, start, D, losses, c, mean_weight, rows, largest, normaliser)


@_compiled
def _mean_rows(weight, start, D, losses, c, mean_weight, rows, largest, normaliser):
    """The rows' per-sample ``losses`` as their share of the mean (see :func:`_loss_rows`),
    and the unscaled gradient ``D`` scaled by the same shares."""
    if weight.shape[0] > 0:
        return _weighted_mean_rows(weight, start, D, losses, c, mean_weight, largest, normaliser)
    return _unweighted_mean_rows(D, losses, c, rows)


@_compiled
def _weighted_mean_rows(weight, start, D, losses, c, mean_weight, largest, normaliser):
    """:func:`_mean_rows` with sample weights (a generated epoch calls the one of the two its
    fit needs, and only that one compiles)."""
    m, k = D.shape
    w = weight[start : start + m]
    batch_weight_t = c[0]
    for i in range(m):
        batch_weight_t += w[i]
    batch_weight = np.float64(batch_weight_t)
    if normaliser <= 0:
        largest = 0.0
        for i in range(m):
            largest = max(largest, np.float64(w[i]))
        for i in range(m):
            normaliser += np.float64(w[i]) / largest
    value = 0.0
    for i in range(m):
        share = (np.float64(w[i]) / largest) / normaliser
        value += np.float64(losses[i]) * share
        scale = _cast(share, c)
        for j in range(k):
            D[i, j] = D[i, j] * scale
    if mean_weight > 0 and batch_weight != m * mean_weight:
        scale = _cast(batch_weight / (m * mean_weight), c)
        for i in range(m):
            for j in range(k):
                D[i, j] = D[i, j] * scale
    return value, batch_weight


@_compiled
def _unweighted_mean_rows(D, losses, c, rows):
    """:func:`_mean_rows` without sample weights: each row's share is ``1 / rows``."""
    m, k = D.shape
    total = 0.0
    for i in range(m):
        total += np.float64(losses[i])
    if not math.isfinite(total):
        return total, np.float64(m)
    scale = _cast(1.0 / rows, c)
    for i in range(m):
        for j in range(k):
            D[i, j] = D[i, j] * scale
    return total / rows, np.float64(m)


@_compiled
def _backward_rows(X, start, stop, params, grads, meta, alphas, c, work, D, gemm):
    """Backpropagate ∂loss/∂output ``D`` of rows ``start:stop``, filling ``grads``."""
    m = stop - start
    last = meta.shape[0] - 1
    k = meta[last, FAN_OUT]
    if meta[last, ACT] != NONE:
        Z = work[meta[last, Z_AT] : meta[last, Z_AT] + m * k].reshape((m, k))
        A = work[meta[last, A_AT] : meta[last, A_AT] + m * k].reshape((m, k))
        G = work[meta[last, G_AT] : meta[last, G_AT] + m * k].reshape((m, k))
        _activation_backward(meta[last, ACT], alphas[last, 0], alphas[last, 1], Z, A, D, G, c)
    for layer in range(last, -1, -1):
        fan_in, fan_out = meta[layer, FAN_IN], meta[layer, FAN_OUT]
        G = work[meta[layer, G_AT] : meta[layer, G_AT] + m * fan_out].reshape((m, fan_out))
        if layer > 0:
            below = layer - 1
            at = meta[below, A_AT] if meta[below, ACT] != NONE else meta[below, Z_AT]
            inputs = work[at : at + m * fan_in].reshape((m, fan_in))
        else:
            inputs = X[start:stop]
        dW = grads[meta[layer, W_AT] : meta[layer, W_AT] + fan_in * fan_out].reshape(
            (fan_in, fan_out)
        )
        matmul(inputs, flag(True), G, flag(False), dW, gemm)  # type: ignore[call-arg]
        if meta[layer, B_AT] >= 0:
            db = grads[meta[layer, B_AT] : meta[layer, B_AT] + fan_out]
            for j in range(fan_out):
                db[j] = c[0]
            for i in range(m):
                for j in range(fan_out):
                    db[j] += G[i, j]
        if layer > 0:
            W = params[meta[layer, W_AT] : meta[layer, W_AT] + fan_in * fan_out].reshape(
                (fan_in, fan_out)
            )
            below = layer - 1
            D_below = work[meta[below, D_AT] : meta[below, D_AT] + m * fan_in].reshape((m, fan_in))
            matmul(G, flag(False), W, flag(True), D_below, gemm)
            Z = work[meta[below, Z_AT] : meta[below, Z_AT] + m * fan_in].reshape((m, fan_in))
            A = work[meta[below, A_AT] : meta[below, A_AT] + m * fan_in].reshape((m, fan_in))
            G_below = work[meta[below, G_AT] : meta[below, G_AT] + m * fan_in].reshape((m, fan_in))
            _activation_backward(
                meta[below, ACT], alphas[below, 0], alphas[below, 1], Z, A, D_below, G_below, c
            )


@_compiled
def _gradient_region(meta, work, m):
    """Where ∂loss/∂output goes: the last layer's G, or its D when an activation follows."""
    last = meta.shape[0] - 1
    k = meta[last, FAN_OUT]
    at = meta[last, G_AT] if meta[last, ACT] == NONE else meta[last, D_AT]
    return work[at : at + m * k].reshape((m, k))


@_compiled
def _full_batch_gradient(
    X,
    y_index,
    Y,
    weight,
    params,
    grads,
    meta,
    alphas,
    loss_code,
    c,
    work,
    per_sample,
    block,
    scratch,
    gemm,
):
    """The loss of all rows (weighted mean) and its gradient into ``grads``, no penalty.

    ``block`` rows at a time: each block goes forward, into the loss and backward while it
    is in cache, so X is read from memory once; the blocks' gradients are summed (through
    ``scratch``, of the gradients' size). A value that is not finite means: nothing reliable
    was computed, use the NumPy path.
    """
    n = X.shape[0]
    largest = 0.0
    normaliser = 0.0
    if weight.shape[0] > 0:  # the shares of the whole objective, before the first block
        for i in range(n):
            largest = max(largest, np.float64(weight[i]))
        for i in range(n):
            normaliser += np.float64(weight[i]) / largest
    value = 0.0
    for start in range(0, n, block):
        stop = min(start + block, n)
        m = stop - start
        O = _forward_rows(X, start, stop, params, meta, alphas, c, work, gemm)
        D = _gradient_region(meta, work, m)
        part, _ = _loss_rows(
            O,
            y_index,
            Y,
            weight,
            start,
            loss_code,
            D,
            per_sample[:m],
            c,
            0.0,
            n,
            largest,
            normaliser,
        )
        if not math.isfinite(part):
            return part
        value += part
        if start == 0:
            _backward_rows(X, start, stop, params, grads, meta, alphas, c, work, D, gemm)
        else:
            _backward_rows(X, start, stop, params, scratch, meta, alphas, c, work, D, gemm)
            for i in range(grads.shape[0]):
                grads[i] = grads[i] + scratch[i]
    return value


@_compiled
def _forward(X, params, meta, alphas, c, work, out, block, gemm):
    """The network's output for every row of ``X`` into ``out``, ``block`` rows at a time."""
    n = X.shape[0]
    for start in range(0, n, block):
        stop = min(start + block, n)
        O = _forward_rows(X, start, stop, params, meta, alphas, c, work, gemm)
        out[start:stop] = O


@_entry
def kernel(
    mode,
    X,
    y_index,
    Y,
    weight,
    batch,
    params,
    grads,
    meta,
    alphas,
    loss_code,
    c,
    l2,
    l2_per_batch,
    dataset_weight,
    mean_weight,
    rates,
    opt_code,
    hyper,
    hyper64,
    iterations,
    s1,
    s2,
    work,
    per_sample,
    out,
    gemm,
):
    """The entry point of the full-batch gradient and the forward pass.

    One function, so that a dtype compiles once for both (they share nearly all their code).
    Training epochs have kernels of their own, generated per configuration
    (:mod:`sigmanet.engine._generated`); the arguments only they use are kept here so that
    every caller passes one argument list. Returns ``(status, steps, value, weight_sum)``:
    ``FULL_BATCH`` gives the loss in ``value``; ``FORWARD`` writes the output into ``out``.
    """
    if mode == FULL_BATCH:
        # s1 serves as the scratch of the gradients' size, the block size comes as batch
        value = _full_batch_gradient(
            X,
            y_index,
            Y,
            weight,
            params,
            grads,
            meta,
            alphas,
            loss_code,
            c,
            work,
            per_sample,
            batch,
            s1,
            gemm,
        )
        return DONE, 0, value, 0.0
    _forward(X, params, meta, alphas, c, work, out, batch, gemm)
    return DONE, 0, 0.0, 0.0
