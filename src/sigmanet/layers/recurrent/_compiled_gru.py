"""The GRU's loop over the steps, compiled (numba): the same arithmetic as the NumPy loop of
:class:`sigmanet.layers.recurrent.GRU` with sigmoid gates and a tanh candidate, one call per
pass instead of about fifteen NumPy calls per step.

As for the LSTM (:mod:`sigmanet.layers.recurrent._compiled`, whose design and float32 tanh
these kernels share): per step one product through NumPy's gemm into a preallocated block,
then loops over contiguous blocks in the NumPy loop's order and dtype, so that the two agree to
about 1e-12 relative in float64 and 1e-5 in float32, and NaN propagates through both. The gates are
``σ(a) = ½ + ½ tanh(a/2)``, as the NumPy loop computes them (halving is exact).
"""

from __future__ import annotations

import math

from sigmanet._numerics.rational_tanh import tanh_rational as _tanh_rational
from sigmanet.engine._blas import flag, matmul_rows
from sigmanet.layers.recurrent._compiled import _compiled

__all__ = ["gru_backward", "gru_forward"]


@_compiled
def gru_forward(ax, ah, W_rec, h, gates, reverse, consts, rational, gemm):
    """The forward loop of :class:`~sigmanet.layers.recurrent.GRU`, in place::

        [a_r, a_z, a_n] = W_ih x_t + b_ih          (``ax``, given)
        [ah_r, ah_z, ah_n] = W_hh h_{t-1} + b_hh    (``ah``, filled)
        r = σ(a_r + ah_r)   z = σ(a_z + ah_z)   n = tanh(a_n + r ⊙ ah_n)
        h_t = n + z ⊙ (h_{t-1} - n)

    ``ax`` and ``ah`` (T, 3H, n): ``ax`` ends holding the pre-activations of r, z and n;
    ``W_rec`` (3H, H [+ 1]) is ``[W_hh | b_hh]``, ``h`` (T + 1, H + 1, n) the states with
    their row of ones and the starting state; ``gates`` (T, 3H, n) receives r, z and n.
    ``consts`` holds ½ (and ¼, 1) in the arrays' dtype; ``rational`` selects
    :func:`~sigmanet._numerics.rational_tanh.tanh_rational` for tanh (float32).
    """
    T, G, n = ax.shape
    H = G // 3
    m = H * n  # the elements of one gate's block
    rows = W_rec.shape[1]  # H, or H + 1 where the states' row of ones adds b_hh
    half = consts[0]
    for step in range(T):
        t = T - 1 - step if reverse else step
        before = t + 1 if reverse else t
        after = t if reverse else t + 1
        matmul_rows(W_rec, flag(False), h[before, :rows], flag(False), ah[t], flag(False), gemm)  # type: ignore[call-arg]
        a_t, b_t, g_t = ax[t].ravel(), ah[t].ravel(), gates[t].ravel()
        for k in range(2 * m):
            a_t[k] += b_t[k]
        # r and z: σ(a) = ½ tanh(½ a) + ½
        for k in range(2 * m):
            g_t[k] = a_t[k] * half
        if rational:
            for k in range(2 * m):
                g_t[k] = _tanh_rational(g_t[k])
        else:
            for k in range(2 * m):
                g_t[k] = math.tanh(g_t[k])
        for k in range(2 * m):
            g_t[k] = g_t[k] * half + half
        r, z, cand = g_t[:m], g_t[m : 2 * m], g_t[2 * m :]
        a_n, ah_n = a_t[2 * m :], b_t[2 * m :]
        for k in range(m):
            a_n[k] += r[k] * ah_n[k]
        if rational:
            for k in range(m):
                cand[k] = _tanh_rational(a_n[k])
        else:
            for k in range(m):
                cand[k] = math.tanh(a_n[k])
        h_prev, h_t = h[before].ravel()[:m], h[after].ravel()[:m]
        for k in range(m):
            h_t[k] = cand[k] + (h_prev[k] - cand[k]) * z[k]


@_compiled
def gru_backward(
    ah,
    gates,
    h,
    W_hh,
    dh_out,
    dh,
    dh_next,
    da_input,
    da_hidden,
    by_gate,
    reverse,
    truncate,
    consts,
    gemm,
):
    """The backward loop of :class:`~sigmanet.layers.recurrent.GRU`, in place::

        δn = δh ⊙ (1 - z)          δa_n = δn ⊙ (1 - n²)
        δr = δa_n ⊙ ah_n           δz = δh ⊙ (h_{t-1} - n)
        δa_r, δa_z = (δr, δz) ⊙ (1 - σ) σ
        δh_{t-1} = δh ⊙ z + W_hhᵀ [δa_r, δa_z, δa_n ⊙ r]

    ``dh`` (H, n) holds δh after the last step on entry and the initial state's on return,
    ``dh_next`` (H, n) is scratch;
    ``dh_out`` (T, H, n) adds the output's gradient at every step (an empty first axis:
    none). ``da_input`` (T, 3H, n) receives ∂L/∂(W_ih x_t + b_ih) and ``da_hidden``
    ∂L/∂(W_hh h_{t-1} + b_hh); ``by_gate`` (2, 3H, T, n) the same two gate row first, the
    layout in which the weights' gradients over all steps are one product each;
    ``truncate`` (0: none) cuts the gradient every ``truncate`` steps as
    :meth:`~sigmanet.layers.recurrent.GRU.backward` does. ``consts`` holds 1 at index 2.
    """
    T, G, n = gates.shape
    H = G // 3
    m = H * n
    one = consts[2]
    with_output = dh_out.shape[0] > 0
    dh_flat = dh.ravel()
    next_flat = dh_next.ravel()
    for step in range(T):
        t = step if reverse else T - 1 - step
        before = t + 1 if reverse else t
        g_t, b_t, h_prev = gates[t].ravel(), ah[t].ravel(), h[before].ravel()[:m]
        di, dj = da_input[t].ravel(), da_hidden[t].ravel()
        r, z, cand = g_t[:m], g_t[m : 2 * m], g_t[2 * m :]
        if with_output:
            from_output = dh_out[t].ravel()
            for k in range(m):
                dh_flat[k] += from_output[k]
        d_n, ah_n = di[2 * m :], b_t[2 * m :]
        # δa_n = (1 - n²) ⊙ ((1 - z) ⊙ δh)
        for k in range(m):
            d_n[k] = (one - cand[k] * cand[k]) * ((one - z[k]) * dh_flat[k])
        # δa_r = (1 - r) r ⊙ δa_n ⊙ ah_n, δa_z = (1 - z) z ⊙ (h_{t-1} - n) ⊙ δh
        for k in range(m):
            di[k] = (one - r[k]) * r[k] * (d_n[k] * ah_n[k])
        for k in range(m):
            di[m + k] = (one - z[k]) * z[k] * ((h_prev[k] - cand[k]) * dh_flat[k])
        for k in range(2 * m):
            dj[k] = di[k]
        for k in range(m):
            dj[2 * m + k] = d_n[k] * r[k]
        matmul_rows(W_hh, flag(True), da_hidden[t], flag(False), dh_next, flag(False), gemm)  # type: ignore[call-arg]
        for k in range(m):
            dh_flat[k] = dh_flat[k] * z[k] + next_flat[k]
        for row in range(G):
            source_in, source_hid = da_input[t, row], da_hidden[t, row]
            row_in, row_hid = by_gate[0, row, t], by_gate[1, row, t]
            for j in range(n):
                row_in[j] = source_in[j]
            for j in range(n):
                row_hid[j] = source_hid[j]
        if truncate > 0 and (step + 1) % truncate == 0:
            dh[:] = 0
