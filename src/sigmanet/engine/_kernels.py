"""The compiled kernels (numba): a whole training epoch of a Dense stack, in one call.

Importing this module imports numba; :mod:`sigmanet.engine` imports it only when a fit asks
for the compiled engine, so ``import sigmanet`` compiles nothing. Every function is compiled
on first use for the dtypes it meets and kept in numba's on-disk cache (``cache=True``).

Each step repeats the arithmetic of the NumPy path (:mod:`sigmanet.layers`,
:mod:`sigmanet.losses`, :mod:`sigmanet.optimizers`) in the same order and in the same dtype:
constants come from an array of the parameters' dtype, so a float32 step stays float32 (a
float64 literal would promote it). The matrix products go through BLAS
(:func:`sigmanet.engine._blas.matmul`, NumPy's library); what lies
between them (bias, activation, loss, optimizer) is fused into loops over the elements. The
activations' formulas are in :mod:`sigmanet.engine._activations`, the optimizers' steps in
:mod:`sigmanet.engine._updates`; here are the losses, the batch means and the full-batch
gradient.

A step that meets something unusual (a non-finite batch loss, a gradient whose square
overflows) is not taken: the kernel returns its index with nothing of that step applied, and
the NumPy path takes over from there, so divergence is reported exactly as it is there.
"""

from __future__ import annotations

import math

import numpy as np

from sigmanet._numerics.jit import entry, helper
from sigmanet._numerics.vector_exp import exp as _exp
from sigmanet.engine._activations import _activate, _activation_backward, _cast
from sigmanet.engine._blas import flag, matmul
from sigmanet.engine._codes import (
    A_AT,
    ACT,
    B_AT,
    BINARY_CE,
    D_AT,
    DONE,
    FAN_IN,
    FAN_OUT,
    FULL_BATCH,
    G_AT,
    NONE,
    SOFTMAX_CE,
    W_AT,
    Z_AT,
)


@helper
def _gather_rows(A, order, start, m, out):
    """``out[i, :] ← A[order[start + i], :]`` for ``i < m``: a batch's rows in the epoch's
    order.

    Gathering each batch as it is needed, into a block that stays in cache, replaces a
    shuffled copy of the whole training set per epoch: that copy wrote every row to memory
    and read it back for the products.
    """
    for i in range(m):
        row = order[start + i]
        for j in range(A.shape[1]):
            out[i, j] = A[row, j]


@helper
def _gather(a, order, start, m, out):
    """``out[i] ← a[order[start + i]]`` for ``i < m``: a batch's targets or weights."""
    for i in range(m):
        out[i] = a[order[start + i]]


@helper
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


@helper
def _row_maximum(O, i):
    """(its position, the largest value) of row ``i``: the first maximum, or the first NaN."""
    largest = 0
    top = O[i, 0]
    for j in range(1, O.shape[1]):
        v = O[i, j]
        if v > top or (v != v and top == top):
            largest = j
            top = v
    return largest, top


@helper
def _softmax_cross_entropy(O, y, start, D, per_sample, c):
    """Per-sample loss into ``per_sample``, the unscaled gradient softmax - onehot into ``D``.

    Three passes over the block: each row shifted by its maximum, the exponentials in one
    loop over the whole block (which vectorises, where a loop per row of k values does not),
    then each row's loss and gradient from them. Between the first pass and the last the
    maximum's position waits in ``per_sample`` (an integer below k, exact in either dtype),
    which the last pass then overwrites with the loss."""
    zero, one = c[0], c[1]
    rows, k = O.shape
    for i in range(rows):
        largest, top = _row_maximum(O, i)
        per_sample[i] = largest
        for j in range(k):
            D[i, j] = O[i, j] - top
    exps = D.ravel()
    for index in range(rows * k):
        exps[index] = _exp(exps[index])
    for i in range(rows):
        target = y[start + i]
        largest = int(per_sample[i])
        top = O[i, largest]
        cross = O[i, target] - top
        rest = zero
        for j in range(k):
            if j == largest:
                D[i, j] = zero
            else:
                rest += D[i, j]
        hit = target == largest
        D[i, largest] = -rest if hit else one
        denominator = rest + one
        for j in range(k):
            D[i, j] = D[i, j] / denominator
        if not hit:
            D[i, target] = D[i, target] - one
        per_sample[i] = _log1p(rest, one) - cross


@helper
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


@helper
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


@helper
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


@helper
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


@helper
def _mean_rows(weight, start, D, losses, c, mean_weight, rows, largest, normaliser):
    """The rows' per-sample ``losses`` as their share of the mean (see :func:`_loss_rows`),
    and the unscaled gradient ``D`` scaled by the same shares."""
    if weight.shape[0] > 0:
        return _weighted_mean_rows(weight, start, D, losses, c, mean_weight, largest, normaliser)
    return _unweighted_mean_rows(D, losses, c, rows)


@helper
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


@helper
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


@helper
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


@helper
def _gradient_region(meta, work, m):
    """Where ∂loss/∂output goes: the last layer's G, or its D when an activation follows."""
    last = meta.shape[0] - 1
    k = meta[last, FAN_OUT]
    at = meta[last, G_AT] if meta[last, ACT] == NONE else meta[last, D_AT]
    return work[at : at + m * k].reshape((m, k))


@helper
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


@helper
def _forward(X, params, meta, alphas, c, work, out, block, gemm):
    """The network's output for every row of ``X`` into ``out``, ``block`` rows at a time."""
    n = X.shape[0]
    for start in range(0, n, block):
        stop = min(start + block, n)
        O = _forward_rows(X, start, stop, params, meta, alphas, c, work, gemm)
        out[start:stop] = O


@entry
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
