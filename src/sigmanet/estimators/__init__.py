"""scikit-learn estimators built on the sigmanet core."""

from sigmanet.estimators.linear import LogisticRegression, SoftmaxRegression
from sigmanet.estimators.mlp import MLPClassifier, MLPRegressor
from sigmanet.estimators.rnn import RNNClassifier, RNNRegressor

__all__ = [
    "ESTIMATORS",
    "LogisticRegression",
    "MLPClassifier",
    "MLPRegressor",
    "RNNClassifier",
    "RNNRegressor",
    "SoftmaxRegression",
]

#: The classes a model file may name: the allow-list :func:`sigmanet.load` builds from.
ESTIMATORS = {
    cls.__name__: cls
    for cls in (
        LogisticRegression,
        SoftmaxRegression,
        MLPClassifier,
        MLPRegressor,
        RNNClassifier,
        RNNRegressor,
    )
}
