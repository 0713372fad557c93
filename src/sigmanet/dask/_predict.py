"""Prediction on Dask arrays, block by block: lazy Dask arrays of the estimator's outputs."""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet.dask._common import _as_dask_array, _dask_array_module


def _check_fitted_input(estimator: Any, X: Any) -> Any:
    from sklearn.utils.validation import check_is_fitted

    da = _dask_array_module()
    check_is_fitted(estimator, "network_")
    X = _as_dask_array(X, "X", da)
    if X.ndim != 2 or X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X must have shape (n_samples, {estimator.n_features_in_}); got {X.shape}."
        )
    return X.rechunk({1: -1})


def predict(estimator: Any, X: Any) -> Any:
    """``estimator.predict`` on each block of the Dask array ``X``: a lazy Dask array.

    Works for any fitted sigmanet estimator; nothing is computed until the result is.
    """
    return _blockwise(estimator, X, "predict")


def predict_proba(estimator: Any, X: Any) -> Any:
    """``estimator.predict_proba`` block by block: a lazy Dask array (n_samples, n_classes)."""
    return _blockwise(estimator, X, "predict_proba")


def decision_function(estimator: Any, X: Any) -> Any:
    """``estimator.decision_function`` block by block: a lazy Dask array."""
    return _blockwise(estimator, X, "decision_function")


def _blockwise(estimator: Any, X: Any, method: str) -> Any:
    X = _check_fitted_input(estimator, X)
    # one row through the method gives the result's dtype and columns without computing X
    sample = getattr(estimator, method)(np.zeros((1, X.shape[1]), dtype=X.dtype))
    if sample.ndim == 1:
        return X.map_blocks(
            _call, estimator, method, drop_axis=1, meta=np.empty((0,), dtype=sample.dtype)
        )
    return _columns(estimator, X, method)


def _columns(estimator: Any, X: Any, method: str) -> Any:
    X = _check_fitted_input(estimator, X)
    sample = getattr(estimator, method)(np.zeros((1, X.shape[1]), dtype=X.dtype))
    return X.map_blocks(
        _call,
        estimator,
        method,
        chunks=(X.chunks[0], (sample.shape[1],)),
        meta=np.empty((0, 0), dtype=sample.dtype),
    )


def _call(block: np.ndarray, estimator: Any, method: str) -> np.ndarray:
    return getattr(estimator, method)(block)
