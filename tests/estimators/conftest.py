"""Small data sets shared by the estimator tests (deterministic, standardised, fast to fit)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_classification, make_regression
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="session")
def binary_data() -> tuple[np.ndarray, np.ndarray]:
    """Two well-separated Gaussian blobs: (X of shape (120, 2), y in {0, 1})."""
    X, y = make_blobs(
        n_samples=120, centers=[[-2.0, -2.0], [2.0, 2.0]], cluster_std=0.8, random_state=0
    )
    return X, y


@pytest.fixture(scope="session")
def multiclass_data() -> tuple[np.ndarray, np.ndarray]:
    """A three-class problem that needs a hidden layer to fit well: (150, 5), y in {0, 1, 2}."""
    X, y = make_classification(
        n_samples=150,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def separable_multiclass_data() -> tuple[np.ndarray, np.ndarray]:
    """Three well-separated blobs: (X of shape (150, 2), y in {0, 1, 2})."""
    X, y = make_blobs(
        n_samples=150,
        centers=[[-3.0, -3.0], [3.0, 3.0], [3.0, -3.0]],
        cluster_std=0.6,
        random_state=0,
    )
    return X, y


@pytest.fixture(scope="session")
def regression_data() -> tuple[np.ndarray, np.ndarray]:
    """A smooth nonlinear target: X of shape (160, 3), y = sin(x0) + x1 x2 / 2 + 0.3 x2."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-2.0, 2.0, size=(160, 3))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2] + 0.3 * X[:, 2]
    return X, y


@pytest.fixture(scope="session")
def multioutput_regression_data() -> tuple[np.ndarray, np.ndarray]:
    """Two targets from a linear model with noise: X (120, 4), Y (120, 2), both standardised."""
    X, Y = make_regression(n_samples=120, n_features=4, n_targets=2, noise=1.0, random_state=0)
    return StandardScaler().fit_transform(X), StandardScaler().fit_transform(Y)
