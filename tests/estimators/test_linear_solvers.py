"""Every solver and every batch form of gradient descent reaches the same optimum.

The objective is convex (strictly, with the L2 penalty), so L-BFGS run to a tight tolerance
gives the reference minimiser; batch gradient descent (Armijo line search or a fixed step, and
the training loop with one batch of all samples), stochastic gradient descent, mini-batch
gradient descent and Adam must land within 1e-4 of it, coefficients and intercepts alike.

About the stochastic configurations. Random-reshuffling SGD with a decaying step a/(b + t)
approaches the optimum only like 1/t (the error at the end of an epoch is a bias proportional to
the step), so reaching 1e-4 takes thousands of epochs. The problems for the stochastic solvers
are therefore tiny (4 and 6 samples, 2 features), which keeps the whole run to a few seconds;
the regularisation (λ = 1/(C n) = 0.5 on the mean loss) makes them strongly convex. The steps
are the annealed schedule a/(b + epoch + i) with c = 0, so that they decay to zero, and for Adam
an exponential decay. Each configuration reached 4e-5 or better when it was chosen.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.special import expit

from sigmanet import losses
from sigmanet.estimators.linear import LogisticRegression, SoftmaxRegression
from sigmanet.exceptions import DivergenceError
from sigmanet.layers import Activation, Dense
from sigmanet.line_search import ARMIJO_C, train_line_search
from sigmanet.network import Sequential

TOLERANCE = 1e-4


def _max_difference(model, reference) -> float:
    return max(
        float(np.max(np.abs(model.coef_ - reference.coef_))),
        float(np.max(np.abs(model.intercept_ - reference.intercept_))),
    )


def _reference(cls, X, y, C, sample_weight=None):
    return cls(C=C, tol=1e-10, max_iter=10_000).fit(X, y, sample_weight=sample_weight)


def _medium_problem(n_classes: int):
    """60 samples, 3 standardised features, labels from a noisy linear model."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    scores = X @ rng.normal(size=(3, n_classes)) + rng.gumbel(size=(60, n_classes))
    return X, np.argmax(scores, axis=1)


def _tiny_problem(n_samples: int, n_classes: int):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n_samples, 2)), np.arange(n_samples) % n_classes


# --------------------------------------------------------------------------------------------
# Full-batch forms
# --------------------------------------------------------------------------------------------

FULL_BATCH = {
    "gd-armijo": {"solver": "gd", "tol": 1e-9, "max_iter": 5000},
    "gd-fixed-step": {
        "solver": "gd",
        "learning_rate": "constant",
        "learning_rate_init": 1.0,
        "tol": 1e-9,
        "max_iter": 5000,
    },
    "minibatch-all-samples": {
        "solver": "minibatch",
        "batch_size": 60,
        "learning_rate_init": 1.0,
        "tol": None,
        "max_iter": 3000,
    },
}


@pytest.mark.parametrize("config", FULL_BATCH.values(), ids=FULL_BATCH.keys())
@pytest.mark.parametrize(
    ("cls", "n_classes"),
    [(LogisticRegression, 2), (LogisticRegression, 3), (SoftmaxRegression, 3)],
    ids=["logistic-binary", "logistic-ovr", "softmax"],
)
def test_full_batch_solvers_reach_the_lbfgs_optimum(cls, n_classes, config):
    X, y = _medium_problem(n_classes)
    reference = _reference(cls, X, y, C=1.0)
    model = cls(C=1.0, random_state=0, **config).fit(X, y)
    assert _max_difference(model, reference) < TOLERANCE
    assert model.loss_ == pytest.approx(reference.loss_, abs=1e-8)


# --------------------------------------------------------------------------------------------
# Stochastic and mini-batch forms
# --------------------------------------------------------------------------------------------

STOCHASTIC = {
    "logistic-sgd": (
        LogisticRegression,
        4,
        2,
        {
            "solver": "sgd",
            "max_iter": 5000,
            "learning_rate": "annealed",
            "learning_rate_params": {"a": 2.0, "b": 4.0, "c": 0.0},
        },
    ),
    "logistic-minibatch": (
        LogisticRegression,
        4,
        2,
        {
            "solver": "minibatch",
            "batch_size": 2,
            "max_iter": 4000,
            "learning_rate": "annealed",
            "learning_rate_params": {"a": 4.0, "b": 8.0, "c": 0.0},
        },
    ),
    "logistic-adam": (
        LogisticRegression,
        4,
        2,
        {
            "solver": "adam",
            "batch_size": 2,
            "max_iter": 4000,
            "learning_rate": "exponential",
            "learning_rate_init": 0.05,
            "learning_rate_params": {"gamma": 0.998},
        },
    ),
    "softmax-sgd": (
        SoftmaxRegression,
        6,
        3,
        {
            "solver": "sgd",
            "max_iter": 4000,
            "learning_rate": "annealed",
            "learning_rate_params": {"a": 0.8, "b": 2.0, "c": 0.0},
        },
    ),
    "softmax-minibatch": (
        SoftmaxRegression,
        6,
        3,
        {
            "solver": "minibatch",
            "batch_size": 3,
            "max_iter": 4000,
            "learning_rate": "annealed",
            "learning_rate_params": {"a": 4.0, "b": 8.0, "c": 0.0},
        },
    ),
    "softmax-adam": (
        SoftmaxRegression,
        6,
        3,
        {
            "solver": "adam",
            "batch_size": 3,
            "max_iter": 4000,
            "learning_rate": "exponential",
            "learning_rate_init": 0.05,
            "learning_rate_params": {"gamma": 0.998},
        },
    ),
}


@pytest.mark.parametrize(
    ("cls", "n_samples", "n_classes", "config"), STOCHASTIC.values(), ids=STOCHASTIC.keys()
)
def test_stochastic_solvers_reach_the_lbfgs_optimum(cls, n_samples, n_classes, config):
    X, y = _tiny_problem(n_samples, n_classes)
    C = 1.0 / (0.5 * n_samples)
    reference = _reference(cls, X, y, C=C)
    model = cls(C=C, tol=None, random_state=0, **config).fit(X, y)
    assert model.n_iter_ == config["max_iter"]
    assert _max_difference(model, reference) < TOLERANCE


def test_sgd_counts_sample_weights_as_repetitions():
    """One sample per step must still weigh each sample by its weight (a batch normalised by its
    own weight would ignore it), so weighted SGD reaches the weighted optimum."""
    X, y = _tiny_problem(4, 2)
    weight = np.array([1.0, 3.0, 2.0, 0.5])
    C = 0.5
    reference = _reference(LogisticRegression, X, y, C=C, sample_weight=weight)
    unweighted = _reference(LogisticRegression, X, y, C=C)
    assert _max_difference(reference, unweighted) > 0.05  # the weights matter here
    model = LogisticRegression(
        C=C,
        solver="sgd",
        tol=None,
        max_iter=7000,
        random_state=0,
        learning_rate="annealed",
        learning_rate_params={"a": 2.0, "b": 4.0, "c": 0.0},
    ).fit(X, y, sample_weight=weight)
    assert _max_difference(model, reference) < TOLERANCE


def test_stochastic_loss_curve_is_the_objective():
    """The epoch loss of the stochastic solvers estimates the same J as L-BFGS's loss_."""
    X, y = _medium_problem(2)
    reference = _reference(LogisticRegression, X, y, C=1.0)
    model = LogisticRegression(
        solver="minibatch", batch_size=60, learning_rate_init=1.0, tol=None, max_iter=3000
    ).fit(X, y)
    # With a single batch the epoch loss is J at the start of the epoch, exactly.
    assert model.loss_curve_[-1] == pytest.approx(reference.loss_, abs=1e-10)
    assert model.loss_curve_[0] == pytest.approx(math.log(2))  # J(0): σ(0) = ½ for every sample


# --------------------------------------------------------------------------------------------
# train_line_search
# --------------------------------------------------------------------------------------------


def _logistic_network(n_features: int, dtype=np.float64) -> Sequential:
    return Sequential([Dense(1, initializer="zeros")]).build(n_features, dtype=dtype)


def _seed_gradient(X, y, w, b, l2):
    """The vectorised gradient of the mean log loss plus (l2 / 2m) ‖w‖²."""
    m = X.shape[0]
    residual = y - expit(X @ w + b)
    return -(X.T @ residual) / m + l2 * w / m, -residual.sum() / m


def test_fixed_step_is_the_gradient_descent_update():
    """w ← w - η ∇w J and b ← b - η ∇b J, with ∇w J = -(1/m) Xᵀ(y - σ(Xw + b)) + (l2/m) w."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    y = (rng.random(30) < 0.5).astype(float)
    network = _logistic_network(3)
    dense = network.layers[0]
    dense.params["W"][:, 0] = [0.3, -0.2, 0.1]
    dense.params["b"][:] = 0.05
    w, b = dense.params["W"][:, 0].copy(), float(dense.params["b"][0])
    eta, l2 = 0.7, 2.0
    loss = losses.get("binary_cross_entropy_with_logits")
    for _ in range(3):
        grad_w, grad_b = _seed_gradient(X, y, w, b, l2)
        w, b = w - eta * grad_w, b - eta * grad_b
    result = train_line_search(network, loss, X, y[:, None], l2=l2, max_iter=3, tol=0.0, step=eta)
    assert result.n_iter == 3 and result.step_sizes == [eta] * 3
    np.testing.assert_allclose(dense.params["W"][:, 0], w, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dense.params["b"][0], b, rtol=1e-13, atol=1e-15)


def test_backtracking_steps_satisfy_the_armijo_condition():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 4)) * np.array([1.0, 3.0, 0.3, 10.0])  # badly scaled
    y = (rng.random(50) < expit(X @ np.array([1.0, -0.5, 2.0, 0.1]))).astype(float)[:, None]
    loss = losses.get("binary_cross_entropy_with_logits")
    network = _logistic_network(4)
    previous = [p.copy() for p in network.parameters()]
    values = []

    def objective_and_gradient():
        output = network.forward(X)
        value, grad = loss.value_and_gradient(y, output)
        network.backward(grad)
        return value, [g.copy() for g in network.gradients()]

    start_value, start_grad = objective_and_gradient()
    for p, saved in zip(network.parameters(), previous, strict=True):
        np.copyto(p, saved)
    steps = []

    def record(iteration, value, g_norm, step):
        values.append(value)
        steps.append(step)

    result = train_line_search(network, loss, X, y, max_iter=100, tol=0.0, callback=record)
    assert result.n_iter == 100 and not result.converged
    assert result.n_fun > result.n_iter  # some trial steps were rejected
    assert values == result.loss and steps == result.step_sizes
    assert all(later < earlier for earlier, later in itertools.pairwise(values))
    # The first step from zero satisfies sufficient decrease against the starting gradient.
    squared = sum(float(np.vdot(g, g)) for g in start_grad)
    assert values[0] <= start_value - ARMIJO_C * steps[0] * squared
    # The steps adapt: the badly scaled feature forces steps far below the trial step of 1.
    assert min(steps) < 0.1


def test_line_search_stops_at_the_rounding_limit():
    """Asked for tol=0, backtracking stops once no step can be told apart from none."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 2))
    y = (rng.random(40) < 0.5).astype(float)[:, None]
    loss = losses.get("binary_cross_entropy_with_logits")
    network = _logistic_network(2)
    result = train_line_search(network, loss, X, y, l2=1.0, max_iter=10_000, tol=0.0)
    assert result.converged
    assert "rounding" in result.message
    assert result.n_iter < 10_000
    assert result.gradient_norm < 1e-6


def test_line_search_works_for_a_hidden_layer_and_float32():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.float32)[:, None]
    network = Sequential([Dense(4), Activation("tanh"), Dense(1)]).build(
        2, random_state=0, dtype=np.float32
    )
    loss = losses.get("binary_cross_entropy_with_logits")
    result = train_line_search(network, loss, X, y, max_iter=50, tol=1e-3)
    assert result.loss[-1] < result.loss[0]
    assert all(p.dtype == np.float32 for p in network.parameters())


def test_fixed_step_divergence_raises_and_keeps_finite_parameters():
    X = np.array([[1e150], [-1e150]])
    y = np.array([[1.0], [0.0]])
    network = _logistic_network(1)
    loss = losses.get("squared_error")
    with pytest.raises(DivergenceError, match="diverged"):
        train_line_search(network, loss, X, y, max_iter=10, tol=0.0, step=1e10)
    assert all(np.isfinite(p).all() for p in network.parameters())


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"max_iter": -1}, ValueError, "max_iter"),
        ({"tol": -1.0}, ValueError, "tol"),
        ({"l2": float("nan")}, ValueError, "l2"),
        ({"step": 0.0}, ValueError, "step"),
        ({"step": "big"}, TypeError, "step"),
    ],
)
def test_line_search_rejects_bad_arguments(kwargs, error, match):
    X = np.ones((3, 2))
    y = np.array([[0.0], [1.0], [1.0]])
    arguments = {"max_iter": 5, "tol": 1e-4, **kwargs}
    with pytest.raises(error, match=match):
        train_line_search(_logistic_network(2), losses.get("bce_with_logits"), X, y, **arguments)


def test_line_search_rejects_inconsistent_data():
    loss = losses.get("bce_with_logits")
    with pytest.raises(ValueError, match="different numbers of samples"):
        train_line_search(
            _logistic_network(2), loss, np.ones((3, 2)), np.ones((2, 1)), max_iter=1, tol=0.0
        )
    with pytest.raises(ValueError, match="expects 3"):
        train_line_search(
            _logistic_network(3), loss, np.ones((3, 2)), np.ones((3, 1)), max_iter=1, tol=0.0
        )
    with pytest.raises(ValueError, match="empty"):
        train_line_search(
            _logistic_network(2), loss, np.ones((0, 2)), np.ones((0, 1)), max_iter=1, tol=0.0
        )
