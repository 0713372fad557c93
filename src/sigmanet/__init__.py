"""sigmanet: the sigmoid family of models, from first principles.

Activations with exact derivatives, losses with their gradients, layers trained by
backpropagation, every form of gradient descent, and scikit-learn estimators.

Imports point one way only, from the pure numerics to the edges::

    activations, losses  ->  layers  ->  network  ->  optimizers, schedules, training
        ->  estimators, preprocessing  ->  persistence, diagnostics, plotting, report, cli

Nothing in the core imports matplotlib, the command line or file formats.
"""

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
from sigmanet import persistence as _persistence
from sigmanet.estimators import (
    LogisticRegression,
    MLPClassifier,
    MLPRegressor,
    RNNClassifier,
    RNNRegressor,
    SoftmaxRegression,
)
from sigmanet.exceptions import DivergenceError, GradientCheckError, ModelFileError, SigmanetError
from sigmanet.network import Sequential
from sigmanet.persistence import load, read_metadata, save


class _OwnStepCodec(_persistence.AttributeCodec):
    """sigmanet's own preprocessing steps: their fitted attributes, which are sigmanet's and
    so do not change with the installed scikit-learn."""

    sklearn_state = False


# Pipelines built by the command line hold these; registered here, where the package is put
# together, because persistence sits after preprocessing in the flow of imports.
for _step in (preprocessing.InputColumns, preprocessing.StableStandardScaler):
    _persistence.register_step(_step, _OwnStepCodec())
del _step

__version__ = "0.1.0"

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
]
