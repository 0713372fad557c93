"""Accuracy on scikit-learn's bundled real data sets, against scikit-learn's own estimators.

Each estimator runs with its defaults in ``make_pipeline(StandardScaler(), estimator)`` under
``StratifiedKFold(5, shuffle=True, random_state=0)``; its mean accuracy must be at least the
scikit-learn estimator's mean minus one standard deviation of the fold scores (the larger of
the two estimators' standard deviations). Both figures are printed.

The pairs: sigmanet's ``MLPClassifier`` against scikit-learn's ``MLPClassifier``;
``SoftmaxRegression`` (multinomial) against ``LogisticRegression``, whose default is the same
multinomial model; sigmanet's ``LogisticRegression`` — one sigmoid per class, one-vs-rest —
against scikit-learn's ``LogisticRegression`` in its one-vs-rest form,
``OneVsRestClassifier(LogisticRegression())`` (identical to it for two classes).

Both libraries' default MLPs stop at ``max_iter=200`` before converging on these sets, so
``ConvergenceWarning`` is ignored here. BLAS runs single-threaded in this module: on a shared
two-core machine it makes the timings stable, and the same limit applies to both libraries.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sigmanet.estimators import MLPClassifier
from sigmanet.estimators.linear import LogisticRegression, SoftmaxRegression

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

LOADERS = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
}

PAIRS = {
    "MLPClassifier": (
        lambda: MLPClassifier(random_state=0),
        lambda: SklearnMLPClassifier(random_state=0),
    ),
    "SoftmaxRegression": (
        lambda: SoftmaxRegression(),
        lambda: SklearnLogisticRegression(),
    ),
    "LogisticRegression": (
        lambda: LogisticRegression(),
        lambda: OneVsRestClassifier(SklearnLogisticRegression()),
    ),
}


@functools.cache
def _dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    return LOADERS[name](return_X_y=True)


@pytest.fixture(scope="module", autouse=True)
def _single_threaded_blas():
    with threadpool_limits(limits=1):
        yield


def _cross_validated_accuracy(estimator, X, y) -> np.ndarray:
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    return cross_val_score(
        make_pipeline(StandardScaler(), estimator), X, y, cv=cv, scoring="accuracy"
    )


@pytest.mark.parametrize("dataset", list(LOADERS))
@pytest.mark.parametrize("estimator", list(PAIRS))
def test_as_accurate_as_scikit_learn(estimator, dataset, capsys):
    X, y = _dataset(dataset)
    make_ours, make_theirs = PAIRS[estimator]
    ours = _cross_validated_accuracy(make_ours(), X, y)
    theirs = _cross_validated_accuracy(make_theirs(), X, y)
    tolerance = max(ours.std(), theirs.std())
    with capsys.disabled():
        print(
            f"\n{dataset:>13} {estimator:<18} sigmanet {ours.mean():.4f} ± {ours.std():.4f}"
            f"   scikit-learn {theirs.mean():.4f} ± {theirs.std():.4f}"
        )
    assert ours.mean() >= theirs.mean() - tolerance, (ours, theirs)
    assert ours.mean() > 0.85  # every one of these data sets is easy for these models
