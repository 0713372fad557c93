"""The LSTM's loop over the steps, compiled (numba): the same arithmetic as the NumPy loop of
:class:`sigmanet.layers.recurrent.LSTM`, one call per pass instead of about a dozen NumPy
calls per step.

Importing this module imports numba; the layer imports it only on its first pass (and not at
all when numba is missing, where the NumPy loop runs). Each kernel is compiled on first use for
the dtype it meets and kept in numba's on-disk cache (``cache=True``).

Per step the products go through NumPy's own ``gemm``, whose address the layer passes
(``sigmanet.engine._blas.matmul_rows``; numba's ``np.dot`` calls scipy's BLAS, with the
transposed ``W_hhᵀ`` of backward about 30% slower here): forward, one product per step gives
the pre-activations from the step's rows [x_t, 1, h_{t-1}] (inputs, bias and recurrence
together), backward one writes δh into a preallocated block. The rest of the cell is a few
loops over contiguous blocks, in the order and the dtype of the NumPy loop: constants are cast
to the arrays' dtype, so a float32 pass stays float32. The one difference is tanh in float32:
numba calls the C library's ``tanhf`` one element at a time (about 20 ns an element here,
against about 4 ns for NumPy's loop), so float32 uses :func:`_tanh_rational`, a rational
function that vectorises (about 0.3 ns an element), within 7 ulps of tanh where NumPy's is
within 1.4. In float64
the kernels call ``math.tanh``. The two paths agree to about 1e-12 relative in float64 and 1e-5
in float32, and NaN propagates through both.
"""

from __future__ import annotations

import math

# numba's BLAS is scipy's: loading it first lets a thread limit set afterwards reach it
import scipy.linalg.cython_blas  # noqa: F401

# the GRU's and SimpleRNN's kernels take the decorator from here, after scipy's BLAS is loaded
from sigmanet._numerics.jit import entry as _compiled
from sigmanet._numerics.rational_tanh import tanh_rational as _tanh_rational
from sigmanet.engine._blas import flag, matmul_rows

__all__ = ["lstm_backward", "lstm_forward"]


@_compiled
def lstm_forward(
    W, rows, width_x, h, c, gates, slopes, tanh_c, pre, reverse, consts, rational, gemm
):
    """The forward loop of :class:`~sigmanet.layers.recurrent.LSTM`'s fused cell, in place.

    ``W`` (4H, width_x + H) is [W_ih | b | W_hh], the gates in the order i, f, o, g with the
    rows of i, f and o halved; ``rows`` (T, n, width_x + H) holds each step's rows [x_t, 1]
    in its first ``width_x`` columns and, for the first step processed, h_0 in the others. A
    step forms its pre-activations in one product, a_t = W [x_t, 1, h_{t-1}]ᵀ into ``pre``
    (4H, n) (the BLAS at ``gemm``, see ``sigmanet.engine._blas.matmul_rows``: inputs,
    bias and recurrence in one call, K = width_x + H), and writes h_t into the next step's
    rows, where the weights' gradients read it too (``_Recurrent._accumulate``). ``h`` (T + 1,
    H + 1, n) and ``c`` (T + 1, H, n) hold the starting state; ``gates``, ``slopes`` (T, 4H,
    n) and ``tanh_c`` (T, H, n) are filled, and h_t, by time. ``consts`` holds ½, ¼ and 1 in
    the arrays' dtype; ``rational`` selects :func:`_tanh_rational` for tanh.
    """
    T, G, n = gates.shape
    H = G // 4
    m = H * n  # the elements of one gate's block
    half, quarter, one = consts[0], consts[1], consts[2]
    a_t = pre.ravel()
    # One loop per stretch of the block that shares its formulas, each over contiguous views
    # indexed from 0, which LLVM vectorises: every value is read and written once a step (a
    # loop per operation instead would pass over the block eight times).
    for step in range(T):
        t = T - 1 - step if reverse else step
        before = t + 1 if reverse else t
        after = t if reverse else t + 1
        matmul_rows(W, flag(False), rows[t], flag(True), pre, flag(False), gemm)  # type: ignore[call-arg]
        g_t, s_t = gates[t].ravel(), slopes[t].ravel()
        # i, f, o: σ = ½ + ½ tanh(a/2) (their rows come halved), σ' = ¼ (1 - tanh²)
        a_v, g_v, s_v = a_t[: 3 * m], g_t[: 3 * m], s_t[: 3 * m]
        if rational:
            for k in range(3 * m):
                y = _tanh_rational(a_v[k])
                s_v[k] = (one - y * y) * quarter
                g_v[k] = y * half + half
        else:
            for k in range(3 * m):
                y = math.tanh(a_v[k])
                s_v[k] = (one - y * y) * quarter
                g_v[k] = y * half + half
        # g: tanh, tanh' = 1 - tanh²
        a_v, g_v, s_v = a_t[3 * m :], g_t[3 * m :], s_t[3 * m :]
        if rational:
            for k in range(m):
                y = _tanh_rational(a_v[k])
                s_v[k] = one - y * y
                g_v[k] = y
        else:
            for k in range(m):
                y = math.tanh(a_v[k])
                s_v[k] = one - y * y
                g_v[k] = y
        i, f, o, g = g_t[:m], g_t[m : 2 * m], g_t[2 * m : 3 * m], g_t[3 * m :]
        c_prev, c_t = c[before].ravel(), c[after].ravel()
        tc_t, h_t = tanh_c[t].ravel(), h[after].ravel()[:m]
        if rational:
            for k in range(m):
                cell = f[k] * c_prev[k] + i[k] * g[k]
                c_t[k] = cell
                y = _tanh_rational(cell)
                tc_t[k] = y
                h_t[k] = o[k] * y
        else:
            for k in range(m):
                cell = f[k] * c_prev[k] + i[k] * g[k]
                c_t[k] = cell
                y = math.tanh(cell)
                tc_t[k] = y
                h_t[k] = o[k] * y
        if step + 1 < T:
            # h_t (H, n) into the next step's rows (n, H): contiguous writes, reads at stride n
            # from the block just written
            following = rows[t - 1 if reverse else t + 1]
            for j in range(n):
                target = following[j]
                for u in range(H):
                    target[width_x + u] = h_t[u * n + j]


@_compiled
def lstm_backward(
    gates, slopes, c, tanh_c, W_hh, dh_out, dh, dc, da, by_gate, reverse, truncate, consts, gemm
):
    """The backward loop of :class:`~sigmanet.layers.recurrent.LSTM`, in place.

    ``dh`` and ``dc`` (H, n) hold δh and δc after the last step on entry and the initial
    state's on return; ``dh_out`` (T, H, n) adds the output's gradient at every step (an
    empty first axis: none); ``da`` (T, 4H, n) receives δa_t, and ``by_gate`` (4H, T, n) the
    same values gate row first, the layout in which the weights' gradients over all steps are
    one product each; δh_{t-1} = W_hhᵀ δa_t (``W_hh`` (4H, H), transposed by the BLAS call
    through the ``gemm`` at that address, see ``sigmanet.engine._blas.matmul_rows``);
    ``truncate`` (0: none) cuts the gradient every ``truncate`` steps as
    :meth:`~sigmanet.layers.recurrent.LSTM.backward` does.
    """
    T, G, n = gates.shape
    H = G // 4
    m = H * n
    one = consts[2]
    with_output = dh_out.shape[0] > 0
    dh_flat, dc_flat = dh.ravel(), dc.ravel()
    for step in range(T):
        t = step if reverse else T - 1 - step
        before = t + 1 if reverse else t
        g_t, s_t, y, c_prev = (
            gates[t].ravel(),
            slopes[t].ravel(),
            tanh_c[t].ravel(),
            c[before].ravel(),
        )
        da_t = da[t]
        d = da_t.ravel()
        i, f, o, g = g_t[:m], g_t[m : 2 * m], g_t[2 * m : 3 * m], g_t[3 * m :]
        s_i, s_f, s_o, s_g = s_t[:m], s_t[m : 2 * m], s_t[2 * m : 3 * m], s_t[3 * m :]
        d_i, d_f, d_o, d_g = d[:m], d[m : 2 * m], d[2 * m : 3 * m], d[3 * m :]
        if with_output:
            from_output = dh_out[t].ravel()
            for k in range(m):
                dh_flat[k] += from_output[k]
        # One pass: δc ← δc + δh ⊙ o ⊙ tanh'(c_t), the four gates' δa from it, then
        # δc_{t-1} = δc ⊙ f
        for k in range(m):
            y_k = y[k]
            dc_k = (one - y_k * y_k) * (dh_flat[k] * o[k]) + dc_flat[k]
            d_i[k] = dc_k * g[k] * s_i[k]
            d_f[k] = dc_k * c_prev[k] * s_f[k]
            d_o[k] = dh_flat[k] * y_k * s_o[k]
            d_g[k] = dc_k * i[k] * s_g[k]
            dc_flat[k] = dc_k * f[k]
        matmul_rows(W_hh, flag(True), da_t, flag(False), dh, flag(False), gemm)  # type: ignore[call-arg]
        for r in range(G):
            row, source = by_gate[r, t], da_t[r]
            for j in range(n):
                row[j] = source[j]
        if truncate > 0 and (step + 1) % truncate == 0:
            dh[:] = 0
            dc[:] = 0
