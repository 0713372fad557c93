"""sigmanet: the sigmoid family of models, from first principles.

Activations with exact derivatives, losses with their gradients, layers trained by
backpropagation, every form of gradient descent, and scikit-learn estimators.

Imports point one way only, from the pure numerics to the edges::

    activations, losses  ->  layers  ->  network  ->  optimizers, schedules, training
        ->  estimators  ->  persistence, diagnostics, plotting, cli

Nothing in the core imports matplotlib, the command line or file formats.
"""

from sigmanet import activations, gradcheck, initializers, layers, losses, optimizers, schedules
from sigmanet.estimators import (
    LogisticRegression,
    MLPClassifier,
    MLPRegressor,
    SoftmaxRegression,
)
from sigmanet.exceptions import DivergenceError, GradientCheckError, ModelFileError, SigmanetError
from sigmanet.network import Sequential
from sigmanet.persistence import load, read_metadata, save

__version__ = "0.1.0"

__all__ = [
    "DivergenceError",
    "GradientCheckError",
    "LogisticRegression",
    "MLPClassifier",
    "MLPRegressor",
    "ModelFileError",
    "Sequential",
    "SigmanetError",
    "SoftmaxRegression",
    "__version__",
    "activations",
    "gradcheck",
    "initializers",
    "layers",
    "load",
    "losses",
    "optimizers",
    "read_metadata",
    "save",
    "schedules",
]
