"""scikit-learn estimators built on the sigmanet core.

Each class is imported from its module on first use (``from sigmanet.estimators import
LogisticRegression`` loads the linear models, not the MLPs or the recurrent networks), so a
program that trains one kind of model does not pay for the others' imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sigmanet.estimators.linear import LogisticRegression, SoftmaxRegression
    from sigmanet.estimators.mlp import MLPClassifier, MLPRegressor
    from sigmanet.estimators.rnn import RNNClassifier, RNNRegressor

#: The classes a model file may name: the allow-list :func:`sigmanet.load` builds from
#: (imported on first use, with every estimator module).
ESTIMATORS: dict[str, type[Any]]

__all__ = [
    "ESTIMATORS",
    "LogisticRegression",
    "MLPClassifier",
    "MLPRegressor",
    "RNNClassifier",
    "RNNRegressor",
    "SoftmaxRegression",
]

#: each class, with the module that defines it
_MODULES = {
    "LogisticRegression": "sigmanet.estimators.linear",
    "SoftmaxRegression": "sigmanet.estimators.linear",
    "MLPClassifier": "sigmanet.estimators.mlp",
    "MLPRegressor": "sigmanet.estimators.mlp",
    "RNNClassifier": "sigmanet.estimators.rnn",
    "RNNRegressor": "sigmanet.estimators.rnn",
}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value: Any = getattr(importlib.import_module(_MODULES[name]), name)
    elif name == "ESTIMATORS":
        value = {cls_name: __getattr__(cls_name) for cls_name in _MODULES}
    else:
        raise AttributeError(f"module 'sigmanet.estimators' has no attribute {name!r}")
    globals()[name] = value  # found once; later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
