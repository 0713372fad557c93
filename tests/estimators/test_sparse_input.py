"""Sparse input (scipy CSR/CSC matrices and arrays) in every estimator and solver."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import load_iris

from sigmanet import LogisticRegression, MLPClassifier, MLPRegressor, SoftmaxRegression

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CONTAINERS = [sparse.csr_array, sparse.csc_matrix]  # both kinds, both formats


@pytest.fixture(scope="module")
def iris_sparse_data() -> tuple[np.ndarray, np.ndarray]:
    """Standardised iris with the entries of magnitude < 0.5 set to zero (a third of them)."""
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    X[np.abs(X) < 0.5] = 0.0
    return X, y


@pytest.fixture
def no_densifying(monkeypatch):
    """Fail the test if any scipy sparse matrix is turned into a dense one."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("a sparse matrix was densified")

    for container in CONTAINERS:
        for name in ("toarray", "todense"):
            owner = next(c for c in container.__mro__ if name in vars(c))
            monkeypatch.setattr(owner, name, refuse)


ESTIMATORS = [
    *(LogisticRegression(solver=s, max_iter=15, random_state=0) for s in ("lbfgs", "gd", "sgd")),
    *(SoftmaxRegression(solver=s, max_iter=15, random_state=0) for s in ("minibatch", "adam")),
    *(
        MLPClassifier(hidden_layer_sizes=(6,), solver=s, max_iter=15, random_state=0)
        for s in ("adam", "sgd", "lbfgs")
    ),
    MLPClassifier(hidden_layer_sizes=(6,), early_stopping=True, max_iter=15, random_state=0),
    MLPRegressor(hidden_layer_sizes=(6,), max_iter=15, random_state=0),
    MLPRegressor(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=15, random_state=0),
]


@pytest.mark.parametrize("container", CONTAINERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_sparse_fit_equals_dense_fit_without_densifying(
    estimator, dtype, container, iris_sparse_data, request
):
    X, y = iris_sparse_data
    X = X.astype(dtype)
    target = X[:, 0] if isinstance(estimator, MLPRegressor) else y
    dense = type(estimator)(**estimator.get_params()).fit(X, target)
    X_sparse = container(X)
    request.getfixturevalue("no_densifying")
    model = type(estimator)(**estimator.get_params()).fit(X_sparse, target)
    assert model.dtype_ == dtype
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    predict = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    reference = (dense.predict_proba if hasattr(dense, "predict_proba") else dense.predict)(X)
    result = predict(X_sparse)
    assert result.dtype == dtype
    np.testing.assert_allclose(result, reference, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(predict(X), result, rtol=rtol, atol=rtol)


def test_sparse_partial_fit_and_transform(iris_sparse_data, no_densifying):
    X, y = iris_sparse_data
    clf = MLPClassifier(hidden_layer_sizes=(5,), random_state=0)
    for start in range(0, 150, 50):
        clf.partial_fit(sparse.csr_array(X[start : start + 50]), y[start : start + 50], [0, 1, 2])
    hidden = clf.transform(sparse.csr_matrix(X))
    np.testing.assert_allclose(hidden, clf.transform(X), rtol=1e-12)


def test_sparse_values_beyond_float32_are_refused_by_a_float32_model(iris_sparse_data):
    X, y = iris_sparse_data
    model = LogisticRegression().fit(X.astype(np.float32), y)
    huge = sparse.csr_matrix(X * 1e300)
    with pytest.raises(ValueError, match="beyond the range of float32"):
        model.predict(huge)
