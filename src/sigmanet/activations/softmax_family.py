"""Softmax and log-softmax: not elementwise, so not in the registry.

Each entry along ``axis`` depends on the whole row; backpropagation needs the Jacobian, or
better the vector-Jacobian product, which these functions provide.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sigmanet._arrays import as_float_array, result_dtype
from sigmanet._numerics.contract import as_input, check_out, check_same_shape, emit

__all__ = ["log_softmax", "log_softmax_vjp", "softmax", "softmax_jacobian", "softmax_vjp"]


def _check_axis(axis: Any, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an integer; got {axis!r}.")
    if ndim == 0:
        raise ValueError("x must have at least one dimension for softmax; got a scalar.")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {ndim}.")
    return int(axis) % ndim


def _shifted(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """``(x - max, row_has_posinf)``: the shift makes every exponent ≤ 0 for finite rows."""
    row_max = np.max(x, axis=axis, keepdims=True)
    posinf = np.isposinf(row_max)
    # A row of -inf (or with +inf) has no finite max; shifting by 0 there avoids inf - inf.
    shift = np.where(np.isfinite(row_max), row_max, x.dtype.type(0))
    # x - max < -max_float (a row spanning ±max_float) rounds to -inf correctly: e^(-inf) = 0.
    with np.errstate(over="ignore"):
        return x - shift, posinf


def _row_function(x: ArrayLike, axis: int, out: np.ndarray | None, of_shifted: Any) -> np.ndarray:
    """``of_shifted(x - max, axis)`` with the checks, empty input, and +inf rows as NaN."""
    x = as_input(x)
    axis = _check_axis(axis, x.ndim)
    check_out(out, x.shape)
    if x.size == 0:
        return emit(np.empty(x.shape, dtype=x.dtype), x.dtype, out)
    shifted, posinf = _shifted(x, axis)
    with np.errstate(invalid="ignore", divide="ignore"):  # only the documented NaN rows
        result = of_shifted(shifted, axis)
    if posinf.any():
        result = np.where(posinf, x.dtype.type(np.nan), result)
    return emit(result, x.dtype, out)


def _normalised(shifted: np.ndarray, axis: int) -> np.ndarray:
    exponentials = np.exp(shifted)
    return exponentials / np.sum(exponentials, axis=axis, keepdims=True)


def _log_normalised(shifted: np.ndarray, axis: int) -> np.ndarray:
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x: ArrayLike, axis: int = -1, *, out: np.ndarray | None = None) -> np.ndarray:
    """Softmax along ``axis``, s_i = e^(x_i - m) / Σ_j e^(x_j - m), m = max_j x_j.

    The normalised exponential, the multi-class generalisation of the logistic function.

    Parameters
    ----------
    x : array_like, shape (..., k, ...)
        Scores (logits); at least one dimension.
    axis : int
        Axis along which the entries sum to 1.

    Returns
    -------
    ndarray, same shape as ``x``
        Entries in [0, 1] summing to 1 along ``axis``.

    Notes
    -----
    Subtracting the row maximum makes every exponent ≤ 0, so finite input never overflows
    and the denominator is ≥ 1. Non-finite rows: ``-inf`` entries get probability 0 when
    the row has a finite entry; a row of only ``-inf``, a row containing ``+inf`` (whose limit
    depends on how the entries grow) and a row containing NaN are all NaN.
    """
    return _row_function(x, axis, out, _normalised)


def log_softmax(x: ArrayLike, axis: int = -1, *, out: np.ndarray | None = None) -> np.ndarray:
    """Log-softmax along ``axis``, log s_i = x_i - logsumexp(x) = (x_i - m) - log Σ_j e^(x_j - m).

    Parameters
    ----------
    x : array_like, shape (..., k, ...)
        Scores (logits); at least one dimension.
    axis : int

    Returns
    -------
    ndarray, same shape as ``x``
        Values ≤ 0; exact where softmax itself underflows to 0.

    Notes
    -----
    Never log(softmax(x)), which is -inf wherever softmax underflows. Non-finite rows as in
    :func:`softmax`.
    """
    return _row_function(x, axis, out, _log_normalised)


def softmax_jacobian(x: ArrayLike) -> np.ndarray:
    """Jacobian of the softmax over the last axis, J = diag(s) - s sᵀ, s = softmax(x).

    J_ij = ∂s_i/∂x_j = s_i(δ_ij - s_j). Symmetric, and its rows sum to 0.

    Parameters
    ----------
    x : array_like, shape (k,) or (n, k) or (..., k)
        Scores (logits), not probabilities.

    Returns
    -------
    ndarray, shape (k, k) or (n, k, k) or (..., k, k)
    """
    s = softmax(x, axis=-1)
    k = s.shape[-1]
    jacobian = -(s[..., :, None] * s[..., None, :])
    diagonal = np.arange(k)
    jacobian[..., diagonal, diagonal] += s
    return jacobian


def _vjp_operands(
    output: ArrayLike, grad_output: ArrayLike, name: str, axis: int, out: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, int, np.dtype[Any]]:
    forward = as_float_array(output, name)
    grad = as_float_array(grad_output, "grad_output")
    check_same_shape(forward, grad, name, "grad_output")
    axis = _check_axis(axis, forward.ndim)
    check_out(out, forward.shape)
    return forward, grad, axis, result_dtype(forward, grad)


def softmax_vjp(
    s: ArrayLike, grad_output: ArrayLike, axis: int = -1, *, out: np.ndarray | None = None
) -> np.ndarray:
    """Vector-Jacobian product of the softmax, gᵀJ = s ⊙ (g - ⟨g, s⟩).

    What backpropagation through a softmax needs, in O(k) per row instead of the O(k²) of
    forming J = diag(s) - s sᵀ.

    Parameters
    ----------
    s : array_like, shape (..., k, ...)
        The softmax *output* along ``axis``.
    grad_output : array_like, same shape as ``s``
        ∂L/∂s.
    axis : int

    Returns
    -------
    ndarray, same shape as ``s``
        ∂L/∂x.
    """
    s, grad, axis, dtype = _vjp_operands(s, grad_output, "s", axis, out)
    inner = np.sum(grad * s, axis=axis, keepdims=True)
    return emit(s * (grad - inner), dtype, out)


def log_softmax_vjp(
    log_s: ArrayLike, grad_output: ArrayLike, axis: int = -1, *, out: np.ndarray | None = None
) -> np.ndarray:
    """Vector-Jacobian product of log-softmax, gᵀJ = g - softmax(x)·Σ g.

    The Jacobian of log s_i with respect to x_j is δ_ij - s_j.

    Parameters
    ----------
    log_s : array_like, shape (..., k, ...)
        The log-softmax *output* along ``axis``.
    grad_output : array_like, same shape as ``log_s``
        ∂L/∂(log s).
    axis : int

    Returns
    -------
    ndarray, same shape as ``log_s``
        ∂L/∂x.
    """
    log_s, grad, axis, dtype = _vjp_operands(log_s, grad_output, "log_s", axis, out)
    total = np.sum(grad, axis=axis, keepdims=True)
    return emit(grad - np.exp(log_s) * total, dtype, out)
