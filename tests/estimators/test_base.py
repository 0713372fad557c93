"""Contracts every estimator shares (sigmanet.estimators._base): what no single model's tests
can promise alone."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.base import is_regressor
from sklearn.datasets import load_breast_cancer, load_diabetes

from sigmanet.estimators import ESTIMATORS
from sigmanet.exceptions import DivergenceError
from sigmanet.training import Callback

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _fitted_float32(name, X, y):
    return ESTIMATORS[name](max_iter=5, random_state=0).fit(X.astype(np.float32), y)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_a_float32_model_refuses_inputs_beyond_float32s_range(name, binary_data):
    # 1e39 has no float32 value: casting it would give inf (and a warning). Computing in float64
    # instead would silently answer with another dtype than the model's.
    X, y = binary_data
    regressor = is_regressor(ESTIMATORS[name]())
    if regressor:
        y = y.astype(float)
    model = _fitted_float32(name, X, y)
    assert model.predict(X[:3]).dtype == (np.float32 if regressor else y.dtype)
    beyond = X[:3].astype(np.float64)
    beyond[1, 0] = 1e39
    methods = [
        method
        for method in (
            "predict",
            "predict_proba",
            "predict_log_proba",
            "decision_function",
            "transform",
        )
        if hasattr(model, method)
    ]
    assert "predict" in methods
    for method in methods:
        with pytest.raises(ValueError, match=r"beyond the range of float32.*1e\+39"):
            getattr(model, method)(beyond)
    with pytest.raises(ValueError, match="beyond the range of float32"):
        model.score(beyond, y[:3])


# -- divergence: every solver of every estimator ------------------------------------------------

_STOCHASTIC = [("sgd", 1.0), ("adam", 1e6), ("adamw", 1e6), ("rmsprop", 1e6), ("adagrad", 1e6)]
DIVERGING = [
    *[("MLPClassifier", {"solver": s, "learning_rate_init": lr}) for s, lr in _STOCHASTIC],
    *[
        ("MLPRegressor", {"solver": s, "learning_rate_init": 0.01 if s == "sgd" else lr})
        for s, lr in _STOCHASTIC
    ],
    *[
        (name, {"solver": solver, "learning_rate": "constant", "learning_rate_init": lr})
        for name in ("LogisticRegression", "SoftmaxRegression")
        for solver, lr in (("gd", 1e6), ("sgd", 1e3), ("minibatch", 1e6), ("adam", 1e6))
    ],
]


class _Starts(Callback):
    """The parameters at the start of every epoch (and after the last)."""

    def __init__(self):
        self.starts = []

    def on_train_begin(self, network):
        self.starts.append([p.copy() for p in network.parameters()])

    def on_epoch_end(self, network, logs):
        self.starts.append([p.copy() for p in network.parameters()])


@pytest.mark.parametrize(
    ("name", "params"), DIVERGING, ids=[f"{n}-{p['solver']}" for n, p in DIVERGING]
)
def test_a_finite_explosion_is_a_divergence_error_for_every_solver(name, params):
    # Unscaled inputs and steps far too large: the loss explodes (to 1e7 ... 1e115) and stays
    # finite. Each fit ends in a DivergenceError, with the parameters the rule last passed.
    if name == "MLPRegressor":
        X, y = load_diabetes(return_X_y=True)
        X = X * 100.0
    else:
        X, y = load_breast_cancer(return_X_y=True)
    if name.startswith("MLP"):
        params = {"hidden_layer_sizes": (8,), **params}
    model = ESTIMATORS[name](max_iter=50, random_state=0, **params)
    recorder = _Starts()
    fit_params = {"callbacks": [recorder]} if name.startswith("MLP") else {}
    with pytest.raises(DivergenceError, match=r"exceeds 10000 times") as info:
        model.fit(X, y, **fit_params)
    message = str(info.value)
    assert "Lower the learning rate, or standardise the inputs" in message
    assert all(np.isfinite(p).all() for p in model.network_.parameters())
    if recorder.starts:
        kept = recorder.starts[max(info.value.epoch - 1, 0)]
        for p, expected in zip(model.network_.parameters(), kept, strict=True):
            np.testing.assert_array_equal(p, expected)
    elif params["solver"] != "gd" or info.value.epoch == 0:
        # the linear models start from zeros; nothing passed the rule before the failing step
        assert "at the start" in message
        assert all(not p.any() for p in model.network_.parameters())


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_lbfgs_only_ever_decreases_the_objective_so_it_cannot_diverge(name):
    # L-BFGS accepts a step only when it decreases the objective enough: even on unscaled
    # inputs its curve never rises, which is why it needs no divergence rule after the start.
    X, y = load_breast_cancer(return_X_y=True)
    if name == "MLPRegressor":
        y = y.astype(float)
    params = {"hidden_layer_sizes": (8,)} if name.startswith("MLP") else {}
    model = ESTIMATORS[name](solver="lbfgs", max_iter=30, random_state=0, **params).fit(X, y)
    curve = model.loss_curve_
    assert len(curve) > 3 and np.isfinite(curve).all()
    assert all(b <= a for a, b in itertools.pairwise(curve))


def test_a_stream_of_partial_fit_calls_is_judged_against_its_first_start():
    # Batch descent on least squares with a step a little too large: the loss about doubles
    # at every call. Each call alone sees only that; against the first call's start the stream
    # has diverged within a few dozen calls, long before the loss overflows (~950 calls).
    from sigmanet.estimators import MLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    y = X @ np.array([1.0, -2.0]) + 0.1 * rng.normal(size=100)
    model = MLPRegressor(
        hidden_layer_sizes=(),
        solver="sgd",
        batch_size="full",
        learning_rate_init=2.3,
        momentum=0.0,
        alpha=0.0,
        random_state=0,
    )
    with pytest.raises(DivergenceError, match="exceeds 10000 times") as info:
        for _ in range(100):
            model.partial_fit(X, y)
    assert 5 < info.value.epoch < 100
    curve = model.loss_curve_  # the calls that passed: each a little worse than the last
    assert len(curve) == info.value.epoch
    assert all(1.5 < b / a < 2.5 for a, b in itertools.pairwise(curve[3:]))
