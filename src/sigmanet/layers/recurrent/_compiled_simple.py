"""The loop over the steps of a tanh :class:`~sigmanet.layers.recurrent.SimpleRNN`, compiled
(numba): the same arithmetic as its NumPy loop, one call per pass instead of three NumPy
calls per step.

As for the LSTM (:mod:`sigmanet.layers.recurrent._compiled`, whose design and float32 tanh
these kernels share): per step one product through NumPy's gemm into a preallocated block and
a loop over a contiguous block, in the NumPy loop's order and dtype; the two agree to about
1e-12 relative in float64 and 1e-5 in float32, and NaN propagates through both.
"""

from __future__ import annotations

import math

from sigmanet._numerics.rational_tanh import tanh_rational as _tanh_rational
from sigmanet.engine._blas import flag, matmul_rows
from sigmanet.layers.recurrent._compiled import _compiled

__all__ = ["simple_backward", "simple_forward"]


@_compiled
def simple_forward(a, W_rec, h, recurrent, reverse, rational, gemm):
    """The forward loop, ``h_t = tanh(a_t + W_hh h_{t-1})``, in place.

    ``a`` (T, H, n) holds ``W_ih x_t + b_ih + b_hh`` and ends holding the pre-activations;
    ``h`` (T + 1, H + 1, n) the states and the starting state; ``recurrent`` (H, n) is
    scratch; ``rational`` selects
    :func:`~sigmanet._numerics.rational_tanh.tanh_rational` for tanh (float32).
    """
    T, H, n = a.shape
    m = H * n
    product = recurrent.ravel()
    for step in range(T):
        t = T - 1 - step if reverse else step
        before = t + 1 if reverse else t
        after = t if reverse else t + 1
        matmul_rows(W_rec, flag(False), h[before, :H], flag(False), recurrent, flag(False), gemm)  # type: ignore[call-arg]
        a_t, h_t = a[t].ravel(), h[after].ravel()[:m]
        for k in range(m):
            a_t[k] += product[k]
        if rational:
            for k in range(m):
                h_t[k] = _tanh_rational(a_t[k])
        else:
            for k in range(m):
                h_t[k] = math.tanh(a_t[k])


@_compiled
def simple_backward(h, W_hh, dh_out, dh, da, by_gate, reverse, truncate, consts, gemm):
    """The backward loop, ``δa_t = (1 - h_t²) ⊙ δh_t``, ``δh_{t-1} = W_hhᵀ δa_t``, in place.

    ``dh`` (H, n) holds δh after the last step on entry and the initial state's on return;
    ``dh_out`` (T, H, n) adds the output's gradient at every step (an empty first axis:
    none); ``da`` (T, H, n) receives δa_t and ``by_gate`` (H, T, n) the same values row
    first (see :func:`~sigmanet.layers.recurrent._compiled.lstm_backward`); ``truncate``
    (0: none) cuts the gradient every ``truncate`` steps. ``consts`` holds 1 at index 2.
    """
    T, H, n = da.shape
    m = H * n
    one = consts[2]
    with_output = dh_out.shape[0] > 0
    dh_flat = dh.ravel()
    for step in range(T):
        t = step if reverse else T - 1 - step
        after = t if reverse else t + 1
        h_t, d = h[after].ravel()[:m], da[t].ravel()
        if with_output:
            from_output = dh_out[t].ravel()
            for k in range(m):
                dh_flat[k] += from_output[k]
        for k in range(m):
            d[k] = (one - h_t[k] * h_t[k]) * dh_flat[k]
        matmul_rows(W_hh, flag(True), da[t], flag(False), dh, flag(False), gemm)  # type: ignore[call-arg]
        for row in range(H):
            target, source = by_gate[row, t], da[t, row]
            for j in range(n):
                target[j] = source[j]
        if truncate > 0 and (step + 1) % truncate == 0:
            dh[:] = 0
