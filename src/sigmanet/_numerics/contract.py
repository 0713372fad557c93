"""The array contract of sigmanet's pure array functions.

Every function built on these helpers takes any array_like of real numbers and returns an
ndarray of the same shape (0-d for a scalar): float32 stays float32, integers and booleans
become float64, NaN in gives NaN out, and an optional ``out=`` array of the input's shape
receives the result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sigmanet._arrays import as_float_array


def as_input(x: ArrayLike) -> np.ndarray:
    """``x`` as a float ndarray under the dtype rules (errors name the argument ``x``)."""
    return as_float_array(x, "x")


def check_out(out: Any, shape: tuple[int, ...]) -> None:
    """Refuse an ``out=`` argument that is not a writeable float ndarray of ``shape``."""
    if out is None:
        return
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray or None; got {type(out).__name__}.")
    if out.dtype.kind != "f":
        raise TypeError(f"out must have a floating dtype; got {out.dtype}.")
    if out.shape != shape:
        raise ValueError(f"out must have the input's shape {shape}; got {out.shape}.")
    if not out.flags.writeable:
        raise ValueError("out must be a writeable array.")


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Refuse two arrays that an elementwise formula pairs but whose shapes differ."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}."
        )


def emit(result: Any, dtype: np.dtype[Any], out: np.ndarray | None) -> np.ndarray:
    """Return ``result`` in ``dtype``, or write it into ``out``."""
    if out is None:
        return np.asarray(result).astype(dtype, copy=False)
    np.copyto(out, result, casting="same_kind")
    return out


def overlaps(out: np.ndarray, *arrays: np.ndarray) -> bool:
    """Whether ``out`` may share memory with any of ``arrays``."""
    return any(np.may_share_memory(out, a) for a in arrays)


def wide(x: np.ndarray) -> np.ndarray:
    """``x`` in float64.

    Compound formulas run in float64 for float32 input and are rounded once at the end:
    float32 intermediates would stack several ulps of error.
    """
    return x if x.dtype == np.float64 else x.astype(np.float64)


def keep_nan(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Put NaN into ``values`` wherever ``x`` is NaN (piecewise formulas would drop it)."""
    nan = np.isnan(x)
    if nan.any():
        values = np.array(values, dtype=values.dtype, copy=True)
        values[nan] = np.nan
    return values


def piecewise_constant(x: np.ndarray, conditions_values: list[tuple[Any, float]]) -> np.ndarray:
    """Constants on regions of ``x`` (0 elsewhere), in ``x``'s dtype, NaN where ``x`` is NaN."""
    dtype = x.dtype.type
    result = np.zeros(x.shape, dtype=x.dtype)
    for condition, value in conditions_values:
        np.copyto(result, dtype(value), where=condition)
    return keep_nan(result, x)


def zeros_like(x: np.ndarray) -> np.ndarray:
    """Zeros of ``x``'s shape and dtype, NaN where ``x`` is NaN."""
    return piecewise_constant(x, [])
