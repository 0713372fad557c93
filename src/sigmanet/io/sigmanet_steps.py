"""How sigmanet's own classes are stored in a model file.

sigmanet's estimators follow their own ``_get_state()`` / ``_set_state(arrays, state)``
protocol: :class:`EstimatorStateCodec` stores the arrays it returns as tensors, listed in the
step's ``"arrays"`` map, the rest in the JSON description, and the hyper-parameters of the
estimator's last fit, so ``set_params`` after ``fit`` cannot make a file describe a model other
than the fitted one. sigmanet's preprocessing steps (:mod:`sigmanet.preprocessing`) are stored
by their fitted attributes, which are sigmanet's and so do not change with the installed
scikit-learn (:class:`OwnStepCodec`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet.estimators import ESTIMATORS
from sigmanet.io.sklearn_steps import AttributeCodec
from sigmanet.io.steps import REGISTRY, StepCodec
from sigmanet.preprocessing import InputColumns, StableStandardScaler

__all__ = ["EstimatorStateCodec", "OwnStepCodec", "estimator_classes"]


class EstimatorStateCodec(StepCodec):
    """sigmanet estimators: their own ``_get_state``/``_set_state`` protocol.

    The hyper-parameters stored are those of the last fit (``_fitted_params``), so changing
    them with ``set_params`` after ``fit`` cannot make the file describe another model.
    """

    sklearn_state = False

    def params(self, obj: Any) -> dict[str, Any]:
        fitted = getattr(obj, "_fitted_params", None)
        return dict(obj.get_params(deep=False) if fitted is None else fitted)

    def state(self, obj: Any) -> tuple[dict[str, np.ndarray], Any]:
        if not _is_fitted(obj):
            return {}, None
        arrays, meta = obj._get_state()
        return dict(arrays), meta

    def restore(self, obj: Any, arrays: dict[str, np.ndarray], state: Any) -> None:
        if state is None:
            if arrays:
                raise ValueError("an unfitted estimator cannot have arrays.")
            return
        obj._set_state(arrays, state)


class OwnStepCodec(AttributeCodec):
    """sigmanet's own preprocessing steps: their fitted attributes, which are sigmanet's and
    so do not change with the installed scikit-learn."""

    sklearn_state = False


def _is_fitted(obj: Any) -> bool:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(obj)
    except NotFittedError:
        return False
    return True


def estimator_classes() -> dict[str, type]:
    """sigmanet's estimator classes, by name: those a format-1 file may hold."""
    return dict(ESTIMATORS)


# Pipelines built by the command line hold these.
for _cls in (InputColumns, StableStandardScaler):
    REGISTRY.register(_cls.__name__, _cls, codec=OwnStepCodec())
for _name, _cls in ESTIMATORS.items():
    REGISTRY.register(_name, _cls, codec=EstimatorStateCodec())
del _name, _cls
