"""Checks of what a loss is given: outputs, targets and sample weights.

Each check names the argument and what was expected, so that bad input to any loss (or to
:meth:`sigmanet.losses.Loss.bind`) is refused with the same words.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sigmanet._arrays import FloatArray, as_float_array

__all__ = [
    "as_dtype",
    "check_output",
    "check_unit_interval",
    "length_error",
    "normalized_weights",
    "targets_like",
]


def check_output(output: ArrayLike, name: str, ndims: tuple[int, ...] = (1, 2)) -> FloatArray:
    """``output`` as a float array of ``ndims`` dimensions and at least one sample."""
    x = as_float_array(output, name)
    if x.ndim not in ndims:
        expected = (
            "(n_samples, n_classes)" if ndims == (2,) else "(n_samples,) or (n_samples, n_outputs)"
        )
        raise ValueError(f"{name} must have shape {expected}; got an array of shape {x.shape}.")
    if x.shape[0] == 0:
        raise ValueError(
            f"{name} has no samples (shape {x.shape}): the mean loss over an empty batch is "
            "undefined."
        )
    return x


def length_error(y_shape: tuple[int, ...], shape: tuple[int, ...], name: str) -> ValueError:
    """The error for targets and an output of different numbers of samples."""
    return ValueError(
        f"y_true and {name} must have the same number of samples; got y_true with "
        f"{y_shape[0]} (shape {y_shape}) and {name} with {shape[0]} (shape {shape})."
    )


def as_dtype(value: ArrayLike, name: str, dtype: np.dtype[Any] | None) -> np.ndarray:
    """``value`` as a float array of ``dtype``; integers go there directly, never via float64.

    With ``dtype=None`` integers and booleans keep their dtype (they are converted batch by
    batch, to the output's dtype) and floats keep theirs.
    """
    array = np.asarray(value)
    if array.dtype.kind in "iub":
        return array if dtype is None else array.astype(dtype)
    floats = as_float_array(array, name)
    return floats if dtype is None else floats.astype(dtype, copy=False)


def targets_like(
    y_true: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any] | None, name: str
) -> np.ndarray:
    """Targets with the ``shape`` (and ``dtype``) of the output.

    A 1-D ``y_true`` is accepted for an output of shape ``(n, 1)`` (and a column ``(n, 1)`` for
    a 1-D output), since that is how a single-output network meets scikit-learn's ``y``.
    """
    y = as_dtype(y_true, "y_true", dtype)
    if y.shape == shape:
        return y
    if y.ndim == 0:
        raise ValueError(
            f"y_true must be an array with one entry per sample of {name}; got a scalar."
        )
    if y.shape[0] != shape[0]:
        raise length_error(y.shape, shape, name)
    if y.ndim == 1 and len(shape) == 2 and shape[1] == 1:
        return y.reshape(-1, 1)
    if y.ndim == 2 and y.shape[1] == 1 and len(shape) == 1:
        return y.reshape(-1)
    raise ValueError(f"y_true must have the shape of {name}, {shape}; got shape {y.shape}.")


def check_unit_interval(values: np.ndarray, name: str) -> None:
    """Refuse values outside ``[0, 1]``; NaN passes, so that it propagates into the loss."""
    # min/max rather than elementwise masks: two reductions, no temporaries.
    if values.size and (values.min() < 0 or values.max() > 1):
        raise ValueError(
            f"{name} must lie in [0, 1]; got values from {values.min()} to {values.max()}."
        )


def normalized_weights(
    sample_weight: ArrayLike | None,
    n_samples: int,
    extra: NDArray[np.float64] | None = None,
    *,
    checked: bool = False,
) -> NDArray[np.float64] | None:
    """``w / Σ w`` in float64, where ``w`` is ``sample_weight`` times ``extra`` (class weights).

    ``checked=True`` skips the checks of the values (finite, non-negative) for weights that
    were checked before, as rows of a training set's weights.
    """
    if sample_weight is None and extra is None:
        return None
    if sample_weight is None:
        weights = np.ones(n_samples)
    else:
        weights = np.asarray(as_float_array(sample_weight, "sample_weight"), dtype=np.float64)
        if weights.ndim != 1 or weights.shape[0] != n_samples:
            raise ValueError(
                f"sample_weight must have shape ({n_samples},), one weight per sample; "
                f"got shape {weights.shape}."
            )
        if not checked:
            if not np.isfinite(weights).all():
                raise ValueError("sample_weight must be finite; got NaN or inf.")
            if (weights < 0).any():
                raise ValueError(
                    f"sample_weight must be non-negative; got a minimum of {weights.min()}."
                )
    if extra is not None:
        weights = weights * extra
    # Dividing by the largest weight first keeps Σ w finite for weights near the float64 maximum.
    largest = weights.max()
    if largest == 0:
        what = "sample_weight" if extra is None else "sample_weight times class_weight"
        raise ValueError(f"The weights ({what}) are all zero; at least one must be positive.")
    weights = weights / largest
    return weights / weights.sum()
