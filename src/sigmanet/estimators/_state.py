"""The persistence protocol: the arrays and metadata that determine a fitted estimator."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted


class PersistedState(BaseEstimator):
    """``_get_state``/``_set_state``: what a model file stores besides ``get_params()``."""

    _STATE_SCALARS: tuple[str, ...] = (
        "n_features_in_",
        "n_outputs_",
        "n_iter_",
        "t_",
        "loss_",
        "best_loss_",
        "best_validation_score_",
    )
    _STATE_LISTS: tuple[str, ...] = ("loss_curve_", "validation_loss_curve_", "validation_scores_")

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays and JSON metadata that, with ``get_params()``, determine every prediction."""
        check_is_fitted(self, "network_")
        arrays = {f"param.{name}": value for name, value in self.network_.named_parameters()}
        meta: dict[str, Any] = {"dtype": self.network_.dtype.name}
        for name in self._STATE_SCALARS:
            value = getattr(self, name, None)
            if isinstance(value, np.ndarray) and value.size == 1:  # the linear models' n_iter_
                value = value.item()
            meta[name] = (
                None
                if value is None
                else (int(value) if isinstance(value, numbers.Integral) else float(value))
            )
        for name in self._STATE_LISTS:
            value = getattr(self, name, None)
            meta[name] = None if value is None else [float(v) for v in value]
        if hasattr(self, "feature_names_in_"):
            meta["feature_names_in_"] = [str(v) for v in self.feature_names_in_]
        if hasattr(self, "engine_"):
            meta["engine_"] = str(self.engine_)
        meta.update(self._extra_state())
        return arrays, meta

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Restore what :meth:`_get_state` returned onto a fresh estimator."""
        self._validate_params()
        dtype = np.dtype(meta["dtype"])
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64; got {dtype}.")
        self._restore_extra_state(meta)
        self._rng = np.random.default_rng(self.random_state)
        self._initialise(self._input_width(meta), int(meta["n_outputs_"]), dtype)
        expected = dict(self.network_.named_parameters())
        if set(arrays) != {f"param.{name}" for name in expected}:
            raise ValueError(
                f"the arrays {sorted(arrays)} do not match the network the parameters "
                f"describe, which has {sorted('param.' + n for n in expected)}."
            )
        for name, target in expected.items():
            source = arrays[f"param.{name}"]
            if source.shape != target.shape or source.dtype != target.dtype:
                raise ValueError(
                    f"array param.{name} has shape {source.shape} and dtype {source.dtype}; "
                    f"expected shape {target.shape} and dtype {target.dtype}."
                )
            target[...] = source
        for name in self._STATE_SCALARS:
            if name in meta:
                setattr(self, name, meta[name])
        if getattr(self, "n_features_in_", None) is None:
            # only the sequence models, fitted on 3-D input, have no table width
            self.__dict__.pop("n_features_in_", None)
        for name in self._STATE_LISTS:
            if name in meta:
                setattr(self, name, None if meta[name] is None else list(meta[name]))
        if meta.get("feature_names_in_") is not None:
            self.feature_names_in_ = np.asarray(meta["feature_names_in_"], dtype=object)
        if meta.get("engine_") is not None:
            if meta["engine_"] not in ("compiled", "numpy"):
                raise ValueError(f"engine_ must be 'compiled' or 'numpy'; got {meta['engine_']!r}.")
            self.engine_ = meta["engine_"]
        self._publish_attributes()
        self._record_fitted_params()

    def _restore_extra_state(self, meta: dict[str, Any]) -> None:
        return None

    def _input_width(self, meta: dict[str, Any]) -> int:
        """The network's input width from a model file's metadata."""
        if meta.get("n_features_in_") is None:
            raise ValueError("the model file's state has no n_features_in_.")
        return int(meta["n_features_in_"])
