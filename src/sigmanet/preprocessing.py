"""Preprocessing steps of sigmanet's own, for scikit-learn pipelines.

* :class:`InputColumns`, the first step of a pipeline that reads a table: its input columns by
  name, so a saved pipeline says which columns it needs and in which order.
* :class:`StableStandardScaler`, standardisation that stays exact at every finite magnitude.

Standardisation
---------------
:class:`StableStandardScaler` computes what scikit-learn's ``StandardScaler`` computes,

.. math::

    z = \\frac{x - \\bar{x}}{s}, \\qquad
    \\bar{x} = \\frac{1}{m} \\sum_i x_i, \\qquad
    s = \\sqrt{\\frac{1}{m} \\sum_i (x_i - \\bar{x})^2},

but the textbook formula fails at the ends of the float range: ``(x - x̄)²`` overflows for
values near 1e160 and beyond (float64), the sum of the values overflows near 1e308 / m, and the
variance of values near 1e-170 underflows to 0, so the column is left unscaled.

Each column is first divided by ``u``, the power of two with ``u <= max |x| < 2u``. Dividing by
a power of two is exact (short of subnormal results), so the moments of ``x / u``, which lies in
(-2, 2), are the moments of ``x`` to the last bit of a normal computation, and nothing can
overflow. The two-pass form ``mean((x/u - mean(x/u))²)`` avoids the cancellation of
``mean(x²) - mean(x)²`` (Chan, Golub and LeVeque, "Algorithms for computing the sample
variance", The American Statistician 37(3), 1983). ``transform`` uses the same units:
``z = (x/u - x̄/u) / (s/u)``, with ``x̄/u`` and ``s/u`` kept as fitted.

A column with zero variance keeps the scale 1, as in scikit-learn: it becomes ``x - x̄``.
A value whose standardised form is beyond the float range (new data far outside the
training range) raises a ``ValueError`` naming the column; it never becomes ``inf`` with an
overflow warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["InputColumns", "StableStandardScaler"]

_FLOAT_DTYPES = (np.float64, np.float32)


def _finite(estimator: BaseEstimator, X: Any, *, reset: bool) -> np.ndarray:
    # scikit-learn's own check sums X first, and a sum of finite values near ±1e308 meets
    # inf - inf (an "invalid value" warning), so finiteness is checked element by element here
    X = validate_data(estimator, X, dtype=_FLOAT_DTYPES, reset=reset, ensure_all_finite=False)
    if not np.isfinite(X).all():
        raise ValueError(
            f"Input X contains NaN or infinity; {type(estimator).__name__} needs finite numbers "
            "(impute missing values first, e.g. with sklearn.impute.SimpleImputer)."
        )
    return X


def _power_of_two_units(max_abs: np.ndarray) -> np.ndarray:
    """Per column the power of two ``u`` with ``u <= max_abs < 2u`` (1 where max_abs is 0)."""
    _, exponent = np.frexp(max_abs)  # max_abs = f 2^e with 0.5 <= f < 1
    # 2^(e-1) and not 2^e: for the largest floats 2^e is 2^1024, which overflows
    units = np.ldexp(1.0, exponent - 1)
    units[max_abs == 0] = 1.0
    return units


class StableStandardScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Centre and scale each feature to mean 0 and standard deviation 1, overflow-free.

    ``z = (x - mean_) / scale_`` with the population standard deviation, as
    ``sklearn.preprocessing.StandardScaler`` with its defaults, but computed in units of a
    power of two per column so that any finite input gives the right answer when it is
    representable, without overflow or underflow (see the module documentation).

    float32 input gives float32 output (the moments are computed in float64).

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Mean of each feature in the training data.
    scale_ : ndarray of shape (n_features,)
        Standard deviation of each feature (1 where it is 0).
    var_ : ndarray of shape (n_features,)
        Variance of each feature; ``inf`` where the variance itself exceeds the float range
        (the standard deviation never does).
    unit_ : ndarray of shape (n_features,)
        The power of two each feature is divided by before its moments are computed (1 for a
        constant feature).
    mean_in_units_, scale_in_units_ : ndarray of shape (n_features,)
        ``mean_ / unit_`` and ``scale_ / unit_``, what ``transform`` uses: exact even where
        ``scale_`` rounds (subnormal data).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When fitted on a data frame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sigmanet.preprocessing import StableStandardScaler
    >>> X = np.array([[1e300], [2e300], [3e300]])
    >>> StableStandardScaler().fit_transform(X).ravel().round(6).tolist()
    [-1.224745, 0.0, 1.224745]
    """

    def fit(self, X: Any, y: Any = None) -> StableStandardScaler:
        """Compute ``mean_`` and ``scale_`` of each column of X (finite numbers)."""
        X = _finite(self, X, reset=True)
        values = X.astype(np.float64, copy=False)
        max_abs = np.max(np.abs(values), axis=0)
        units = _power_of_two_units(max_abs)
        scaled = values / units
        low, high = scaled.min(axis=0), scaled.max(axis=0)
        # a mean cannot leave [min, max], nor a standard deviation exceed (max - min)/2; the
        # clip only removes rounding, and keeps mean * u and std * u finite at the largest floats
        mean = np.clip(scaled.mean(axis=0), low, high)
        std = np.minimum(np.sqrt(np.mean((scaled - mean) ** 2, axis=0)), (high - low) / 2)
        constant = std == 0
        self.unit_ = np.where(constant, 1.0, units)
        self.mean_in_units_ = np.where(constant, mean * units, mean)
        self.scale_in_units_ = np.where(constant, 1.0, std)
        self.mean_ = mean * units
        # for subnormal data the scale itself can round to 0; the scale in units does not
        self.scale_ = np.where(constant, 1.0, std * units)
        with np.errstate(over="ignore"):
            # the variance of values beyond 1e154 is beyond the float range: inf, on purpose
            self.var_ = np.where(constant, 0.0, std * std * units * units)
        return self

    def _checked(self, result: np.ndarray, what: str) -> np.ndarray:
        finite = np.isfinite(result)
        if not finite.all():
            column = int(np.flatnonzero(~finite.all(axis=0))[0])
            names = getattr(self, "feature_names_in_", None)
            name = f"{names[column]!r}" if names is not None else f"{column}"
            raise ValueError(
                f"{what} of feature {name} is beyond the range of {result.dtype} (a value far "
                f"outside the training data, whose mean is {self.mean_[column]:g} and standard "
                f"deviation {self.scale_[column]:g})."
            )
        return result

    def transform(self, X: Any) -> np.ndarray:
        """``(X - mean_) / scale_``, computed in the units ``unit_``; X's float dtype kept."""
        check_is_fitted(self, "mean_")
        X = _finite(self, X, reset=False)
        with np.errstate(over="ignore", invalid="ignore"):
            z = (X.astype(np.float64, copy=False) / self.unit_ - self.mean_in_units_) / (
                self.scale_in_units_
            )
            result = z.astype(X.dtype, copy=False)
        return self._checked(result, "the standardised value")

    def inverse_transform(self, X: Any) -> np.ndarray:
        """``X * scale_ + mean_``, computed in the units ``unit_``; X's float dtype kept."""
        check_is_fitted(self, "mean_")
        X = _finite(self, X, reset=False)
        with np.errstate(over="ignore", invalid="ignore"):
            x = (
                X.astype(np.float64, copy=False) * self.scale_in_units_ + self.mean_in_units_
            ) * self.unit_
            result = x.astype(X.dtype, copy=False)
        return self._checked(result, "the value in the original units")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class InputColumns(TransformerMixin, BaseEstimator):
    """The named input columns of a pipeline, in order; the data pass through unchanged.

    A pipeline that starts with this step records which columns of a table it reads, so a saved
    pipeline can be applied to a new file by column name (extra columns and another column
    order do not matter). ``transform`` takes either a data frame (pandas, polars: anything
    with ``columns`` and selection by a list of names), from which it takes these columns in
    this order as a NumPy array, or a 2-D array whose columns already are these, in this order.

    Parameters
    ----------
    columns : sequence of str
        The input column names, in the order the next step expects them.
    target : str or None, default=None
        The name of the column the pipeline predicts, when it was trained from a table: a
        record for whoever reads the model (``sigmanet evaluate`` finds the true labels by it);
        ``fit`` and ``transform`` do not use it.

    Attributes
    ----------
    feature_names_in_ : ndarray of str
        ``columns``; a pipeline starting with this step reports them as its own.
    n_features_in_ : int
    """

    def __init__(self, columns: Sequence[str] = (), target: str | None = None) -> None:
        self.columns = columns
        self.target = target

    def _names(self) -> list[str]:
        names = [] if isinstance(self.columns, str) else list(self.columns)
        if not names or not all(isinstance(name, str) for name in names):
            raise ValueError(f"columns must be a non-empty sequence of str; got {self.columns!r}.")
        if len(set(names)) != len(names):
            raise ValueError(f"columns must be distinct; got {names!r}.")
        return names

    @staticmethod
    def _select(X: Any, names: list[str]) -> np.ndarray:
        if hasattr(X, "columns") and not isinstance(X, np.ndarray):
            present = {str(name) for name in X.columns}
            absent = [name for name in names if name not in present]
            if absent:
                raise ValueError(f"X has no column(s) {absent!r}; the pipeline reads {names!r}.")
            return np.asarray(X[names])
        array = np.asarray(X)
        if array.ndim != 2 or array.shape[1] != len(names):
            raise ValueError(
                f"X must be a 2-D array with {len(names)} columns ({', '.join(names)}); got "
                f"shape {array.shape}."
            )
        return array

    def fit(self, X: Any, y: Any = None) -> InputColumns:
        """Check X has the columns; record them as ``feature_names_in_``."""
        names = self._names()
        if self.target is not None and not isinstance(self.target, str):
            raise ValueError(f"target must be a column name (str) or None; got {self.target!r}.")
        self._select(X, names)
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """X's columns ``feature_names_in_``, in that order, as an array."""
        check_is_fitted(self, "feature_names_in_")
        return self._select(X, [str(name) for name in self.feature_names_in_])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_in_")
        return np.asarray(self.feature_names_in_, dtype=object)
