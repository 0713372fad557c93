"""The compiled prediction kernel (numba): a Dense stack's output, or its probabilities.

Importing this module imports numba; :func:`sigmanet.engine.forward` imports it only when a
prediction uses the compiled path. Rows go through the network a block at a time, so that a
block's intermediate activations stay in cache. Per layer and block there is one matrix
product (BLAS, :func:`sigmanet.engine._blas.matmul`) and then ONE pass over its result that
adds the bias and applies the activation in place; the last layer's values then go into the
output through the output function:

* ``LOGITS``: ``z = a W + b`` (``decision_function``, regression, ``predict``);
* ``SOFTMAX``: ``p_j = e^(z_j - m) / Σ_i e^(z_i - m)``, ``m = max_i z_i``, the exponentials
  through the vectorised exp of ``sigmanet._numerics.vector_exp`` (within an ulp) in one loop
  over the block: on workload 4 of ``benchmarks/run.py`` the softmax took 0.4-0.9 ms of a
  70 ms prediction where one call of the C library's exp per value took about 1.4;
* ``SIGMOID``: ``p_j = σ(z_j)``, each output on its own (multilabel);
* ``BINARY``: one logit ``z`` gives two columns ``(σ(-z), σ(z))``.

Its activations are those whose loops vectorise: identity, the ReLU family, and tanh and
sigmoid, which in float32 go through the rational tanh of
``sigmanet._numerics.rational_tanh`` (in float64 through the C library's tanh and exp, one
element at a time). The others spend their time in exp or erf, which NumPy evaluates
vectorised and numba one element at a time, so their networks predict on the NumPy path, and
this kernel stays small to compile.

The output function's σ is evaluated as ``e^x / (1 + e^x)`` for ``x < 0`` and
``1 / (1 + e^(-x))`` otherwise, as ``scipy.special.expit`` does: no exponential of a positive
number, so no overflow. The
softmax subtracts the row maximum first, so every exponent is ≤ 0 and the denominator ≥ 1
(Goodfellow, Bengio & Courville, *Deep Learning*, 2016, §4.1); rows with a ``+inf`` or a NaN
give NaN, as :func:`sigmanet.activations.softmax` does.
"""

from __future__ import annotations

import numpy as np

from sigmanet._numerics.jit import entry, helper
from sigmanet._numerics.vector_exp import exp as _exp
from sigmanet.engine._activations import _sigmoid, _tanh
from sigmanet.engine._blas import flag, matmul
from sigmanet.engine._codes import (
    ACT,
    B_AT,
    FAN_IN,
    FAN_OUT,
    LEAKY_RELU,
    RELU,
    RELU6,
    TANH,
    W_AT,
    Z_AT,
)

# renamed: SIGMOID below is the output function's code
from sigmanet.engine._codes import SIGMOID as ACTIVATION_SIGMOID
from sigmanet.engine._kernels import _row_maximum

#: What the last layer's pass applies (see the module docstring).
LOGITS, SOFTMAX, SIGMOID, BINARY = range(4)


@helper
def _bias_activation(code, alpha, Z, b, c):
    """Z ← f(Z + b) in place, one pass (each activation a loop of its own, so that the cheap
    ones, and tanh and sigmoid in float32, vectorise)."""
    rows, cols = Z.shape
    zero, six = c[0], c[3]
    if code == RELU:
        for i in range(rows):
            for j in range(cols):
                x = Z[i, j] + b[j]
                Z[i, j] = x if (x > zero or x != x) else zero
    elif code == LEAKY_RELU:
        for i in range(rows):
            for j in range(cols):
                x = Z[i, j] + b[j]
                positive = x if (x > zero or x != x) else zero
                negative = x if (x < zero or x != x) else zero
                Z[i, j] = positive + negative * alpha
    elif code == RELU6:
        for i in range(rows):
            for j in range(cols):
                x = Z[i, j] + b[j]
                Z[i, j] = x if x != x else (zero if x < zero else (six if x > six else x))
    elif code == TANH:
        for i in range(rows):
            for j in range(cols):
                Z[i, j] = _tanh(Z[i, j] + b[j])
    elif code == ACTIVATION_SIGMOID:
        for i in range(rows):
            for j in range(cols):
                Z[i, j] = _sigmoid(Z[i, j] + b[j], c)
    else:  # NONE or IDENTITY: the only others ``_full_batch.PREDICTED_ACTIVATIONS`` admits
        for i in range(rows):
            for j in range(cols):
                Z[i, j] = Z[i, j] + b[j]


@helper
def _expit(x, one):
    if x < 0:
        e = np.exp(x)
        return e / (one + e)
    return one / (one + np.exp(-x))


@helper
def _output_rows(Z, output, out, start, c):
    """The last layer's output function, from ``Z`` into rows ``start:`` of ``out``."""
    rows, k = Z.shape
    zero, one = c[0], c[1]
    if output == LOGITS:
        for i in range(rows):
            for j in range(k):
                out[start + i, j] = Z[i, j]
    elif output == SIGMOID:
        for i in range(rows):
            for j in range(k):
                out[start + i, j] = _expit(Z[i, j], one)
    elif output == BINARY:
        for i in range(rows):
            z = Z[i, 0]
            out[start + i, 0] = _expit(-z, one)
            out[start + i, 1] = _expit(z, one)
    else:  # SOFTMAX
        # Three passes over the block: each row shifted by its maximum (in place, in Z), the
        # exponentials in one loop over the whole block, which vectorises (a loop per row of
        # k values does not), then each row divided by its sum, summed in order.
        for i in range(rows):
            top = _row_maximum(Z, i)[1]
            # -inf rows shift by 0 (no inf - inf); +inf or NaN rows are NaN throughout
            shift = top if (top - top) == zero else zero
            poison = top - top if (top != top or top == np.inf) else zero
            for j in range(k):
                Z[i, j] = (Z[i, j] - shift) + poison
        exps, shifted = out[start : start + rows].ravel(), Z.ravel()
        for index in range(rows * k):
            exps[index] = _exp(shifted[index])
        for i in range(rows):
            total = zero
            for j in range(k):
                total += out[start + i, j]
            for j in range(k):
                out[start + i, j] = out[start + i, j] / total


@helper
def _non_finite(a, zero):
    """How many values of ``a`` are NaN or infinite (``x - x`` is 0 for every finite x).

    An integer count, not a floating-point sum, so that the loop vectorises without
    reassociating floating-point additions."""
    count = 0
    rows, cols = a.shape
    for i in range(rows):
        for j in range(cols):
            x = a[i, j]
            count += 0 if x - x == zero else 1
    return count


@entry
def predict(X, params, meta, alphas, c, work, out, block, output, gemm, stop_at_non_finite):
    """The network's output for every row of ``X`` into ``out``, ``block`` rows at a time
    (``gemm``: the products' BLAS, see :func:`sigmanet.engine._blas.gemm_address`).

    Returns the number of NaN and infinite values in ``X``: each block is scanned just before
    its first product, which then finds it in cache (on 50,000 x 100 float32 rows the scan
    cost nothing measurable, where NumPy's separate scan took 3-5% of the prediction). With
    ``stop_at_non_finite`` the kernel returns at the first block that holds one, with the
    count so far (``out`` is then incomplete); otherwise such values propagate as they do on
    the NumPy path.
    """
    n = X.shape[0]
    last = meta.shape[0] - 1
    # the bias of a layer without one: adding zero leaves every value as it is
    no_bias = np.zeros(np.max(meta[:, FAN_OUT]), params.dtype)
    non_finite = 0
    for start in range(0, n, block):
        stop = min(start + block, n)
        m = stop - start
        inputs = X[start:stop]
        non_finite += _non_finite(inputs, c[0])
        if non_finite > 0 and stop_at_non_finite:
            return non_finite
        for layer in range(last + 1):
            fan_in, fan_out = meta[layer, FAN_IN], meta[layer, FAN_OUT]
            W = params[meta[layer, W_AT] : meta[layer, W_AT] + fan_in * fan_out].reshape(
                (fan_in, fan_out)
            )
            Z = work[meta[layer, Z_AT] : meta[layer, Z_AT] + m * fan_out].reshape((m, fan_out))
            matmul(inputs, flag(False), W, flag(False), Z, gemm)  # type: ignore[call-arg]
            b_at = meta[layer, B_AT]
            b = params[b_at : b_at + fan_out] if b_at >= 0 else no_bias[:fan_out]
            _bias_activation(meta[layer, ACT], alphas[layer, 0], Z, b, c)
            inputs = Z
        # the last layer's block, named anew: ``inputs`` may also hold X's rows, whose array
        # can be read-only, and the softmax works in place in this block
        width = meta[last, FAN_OUT]
        Z_last = work[meta[last, Z_AT] : meta[last, Z_AT] + m * width].reshape((m, width))
        _output_rows(Z_last, output, out, start, c)
    return non_finite
