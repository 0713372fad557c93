"""Where the MLPs follow scikit-learn's MLP exactly: initial weights, errors, stopping rules."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import neural_network
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from sigmanet import DivergenceError, MLPClassifier, MLPRegressor, losses
from sigmanet.gradcheck import check_network


@pytest.mark.parametrize("activation", ["relu", "logistic"])
@pytest.mark.parametrize(
    ("ours", "theirs", "multiclass"),
    [
        (MLPClassifier, neural_network.MLPClassifier, False),
        (MLPClassifier, neural_network.MLPClassifier, True),
        (MLPRegressor, neural_network.MLPRegressor, False),
    ],
    ids=["binary", "multiclass", "regressor"],
)
def test_initial_weights_and_biases_are_scikit_learns(ours, theirs, multiclass, activation):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    y = np.arange(30) % 3 if multiclass else (X[:, 0] > 0).astype(int)
    if ours is MLPRegressor:
        y = X[:, 1]
    # one plain gradient step of size 1e-12 leaves the initial parameters to 1e-12
    params = {
        "hidden_layer_sizes": (5, 3),
        "activation": activation,
        "solver": "sgd",
        "learning_rate_init": 1e-12,
        "momentum": 0.0,
        "max_iter": 1,
        "random_state": 3,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = ours(**params).fit(X, y)
        b = theirs(**params).fit(X, y)
    for mine, reference in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=0, atol=1e-10)
        assert np.all(mine != 0)
    other = ours(**params, weight_init="glorot_uniform")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        other.fit(X, y)
    assert all(np.abs(b).max() < 1e-9 for b in other.intercepts_)  # zeros, one tiny step on


def test_divergence_is_a_value_error_with_scikit_learns_words():
    X = np.finfo(np.float64).max * np.random.default_rng(0).uniform(size=(10, 2))
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights") as info:
        MLPRegressor(random_state=0).fit(X, np.arange(10.0))
    assert isinstance(info.value, DivergenceError)
    assert "epoch 1, batch 1" in str(info.value)


@pytest.mark.parametrize("data", ["linear", "iris"])
def test_divergence_while_early_stopping_ends_with_the_best_weights(data):
    # "iris" is scikit-learn's test_mlp_diverging_loss set-up; there scikit-learn trains on
    # until the validation score is NaN, sigmanet stops at the first epoch whose (finite)
    # loss breaks the divergence rule. Either way: no error, the best weights, a warning.
    if data == "iris":
        X, y = load_iris(return_X_y=True)
        y = y.astype(float)
    else:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(150, 4)) * 5
        y = X @ np.array([1.0, -2.0, 0.5, 3.0])
    reg = MLPRegressor(
        hidden_layer_sizes=100,
        activation="identity",
        solver="sgd",
        learning_rate_init=1.0,
        max_iter=20,
        early_stopping=True,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="Training diverged.*best validation score"):
        reg.fit(X, y)
    assert reg.loss_curve_ and len(reg.loss_curve_) == reg.n_iter_ < 20
    assert reg.best_validation_score_ == max(reg.validation_scores_)
    assert all(np.isfinite(reg.validation_scores_))  # the failing epoch is never scored
    assert all(np.isfinite(c).all() for c in reg.coefs_)
    assert np.isfinite(reg.predict(X)).all()


def test_a_stratified_validation_split_that_cannot_be_made_is_refused():
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match=r"early_stopping=True holds out .* only 1 member"):
        MLPClassifier(early_stopping=True).fit(X, [0, 0, 0, 1])
    # multilabel targets are not stratified, as scikit-learn
    Y = np.array([[0, 1], [1, 0], [1, 1], [0, 0]] * 5)
    with pytest.warns(ConvergenceWarning):
        MLPClassifier(early_stopping=True, max_iter=2).fit(np.arange(40.0).reshape(20, 2), Y)


def test_n_iter_no_change_inf_runs_every_epoch_and_best_loss_follows_early_stopping():
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    with pytest.warns(ConvergenceWarning):
        clf = MLPClassifier(
            hidden_layer_sizes=4, tol=1e9, n_iter_no_change=np.inf, max_iter=30, random_state=0
        ).fit(X, y)
    assert clf.n_iter_ == 30
    assert clf.best_loss_ == min(clf.loss_curve_)
    stopped = MLPClassifier(hidden_layer_sizes=4, early_stopping=True, random_state=0).fit(X, y)
    assert stopped.best_loss_ is None


def test_poisson_regressor_has_a_log_link_and_an_exact_gradient():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 3))
    y = rng.poisson(np.exp(0.5 + X @ np.array([0.8, -0.5, 0.3]))).astype(float)
    reg = MLPRegressor(
        loss="poisson",
        hidden_layer_sizes=(4,),
        activation="tanh",
        solver="lbfgs",
        max_iter=2000,
        random_state=0,
    ).fit(X, y)
    assert reg.out_activation_ == "exp"
    z = reg.network_.predict(X)[:, 0]
    np.testing.assert_allclose(reg.predict(X), np.exp(z), rtol=1e-15)
    # the mean of the predictions matches the mean count (the intercept's score equation)
    assert reg.predict(X).mean() == pytest.approx(y.mean(), rel=1e-3)
    # backpropagation of the Poisson loss through the whole network, against central differences
    results = check_network(reg.network_, losses.get("poisson"), X[:20], y[:20, None])
    assert results and all(r.passed for r in results)
    with pytest.raises(ValueError, match="negative which is not allowed for Poisson"):
        MLPRegressor(loss="poisson").fit(X, y - 1)
