"""sigmanet: the sigmoid family of models, from first principles.

Activations with exact derivatives, losses with their gradients, layers trained by
backpropagation, every form of gradient descent, and scikit-learn estimators.

Imports point one way only, from the pure numerics to the edges::

    activations, losses  ->  layers  ->  network  ->  optimizers, schedules, training
        ->  estimators, preprocessing  ->  io, diagnostics, plotting, report, cli

Nothing in the core imports matplotlib, the command line or file formats. The names below are
imported on first use (``import sigmanet`` alone loads no submodule), so a program that needs
one part, such as the ``sigmanet`` command showing its help, does not pay for scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sigmanet._version import __version__

#: submodules available as attributes of the package
_SUBMODULES = (
    "activations",
    "gradcheck",
    "initializers",
    "layers",
    "losses",
    "optimizers",
    "preprocessing",
    "recurrent",
    "schedules",
)

#: the other public names, each with the module that defines it
_NAMES = {
    "LogisticRegression": "sigmanet.estimators",
    "MLPClassifier": "sigmanet.estimators",
    "MLPRegressor": "sigmanet.estimators",
    "RNNClassifier": "sigmanet.estimators",
    "RNNRegressor": "sigmanet.estimators",
    "SoftmaxRegression": "sigmanet.estimators",
    "DivergenceError": "sigmanet.exceptions",
    "GradientCheckError": "sigmanet.exceptions",
    "ModelFileError": "sigmanet.exceptions",
    "SigmanetError": "sigmanet.exceptions",
    "Sequential": "sigmanet.network",
    "load": "sigmanet.io",
    "read_metadata": "sigmanet.io",
    "save": "sigmanet.io",
    "to_onnx": "sigmanet.io",
    "config_context": "sigmanet._array_api",
    "get_config": "sigmanet._array_api",
}

if TYPE_CHECKING:
    from sigmanet import (
        activations,
        gradcheck,
        initializers,
        layers,
        losses,
        optimizers,
        preprocessing,
        recurrent,
        schedules,
    )
    from sigmanet._array_api import config_context, get_config
    from sigmanet.estimators import (
        LogisticRegression,
        MLPClassifier,
        MLPRegressor,
        RNNClassifier,
        RNNRegressor,
        SoftmaxRegression,
    )
    from sigmanet.exceptions import (
        DivergenceError,
        GradientCheckError,
        ModelFileError,
        SigmanetError,
    )
    from sigmanet.io import load, read_metadata, save, to_onnx
    from sigmanet.network import Sequential


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        value: Any = importlib.import_module(f"sigmanet.{name}")
    elif name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    else:
        raise AttributeError(f"module 'sigmanet' has no attribute {name!r}")
    globals()[name] = value  # found once; later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "DivergenceError",
    "GradientCheckError",
    "LogisticRegression",
    "MLPClassifier",
    "MLPRegressor",
    "ModelFileError",
    "RNNClassifier",
    "RNNRegressor",
    "Sequential",
    "SigmanetError",
    "SoftmaxRegression",
    "__version__",
    "activations",
    "config_context",
    "get_config",
    "gradcheck",
    "initializers",
    "layers",
    "load",
    "losses",
    "optimizers",
    "preprocessing",
    "read_metadata",
    "recurrent",
    "save",
    "schedules",
    "to_onnx",
]
