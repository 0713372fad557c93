"""LogisticRegression and SoftmaxRegression: the model, scikit-learn parity, input handling."""

from __future__ import annotations

import itertools
import json
import re
import warnings

import numpy as np
import pytest
import sklearn.linear_model as sklearn_linear
from scipy.special import expit
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sigmanet.estimators.linear import LogisticRegression, SoftmaxRegression

MODELS = [LogisticRegression, SoftmaxRegression]
SOLVERS = ["lbfgs", "gd", "sgd", "minibatch", "adam"]


@pytest.fixture(scope="module")
def binary_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (rng.random(80) < expit(X @ np.array([1.5, -1.0, 0.5]) + 0.3)).astype(int)
    return X, y


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def separable():
    """Two well-separated blobs (and a 3-class version), standardised."""
    rng = np.random.default_rng(1)
    centres = np.array([[3.0, 0.0], [-3.0, 0.0], [0.0, 4.0]])
    y = np.repeat([0, 1, 2], 30)
    X = centres[y] + rng.normal(scale=0.5, size=(90, 2))
    return X, y


# --------------------------------------------------------------------------------------------
# The model: the textbook formulas
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_fitted_model_satisfies_the_gradient_condition(binary_data, C):
    """At the optimum, -(1/m) Xᵀ(y - σ(Xw + b)) + w/(C m) = 0 and -(1/m) 1ᵀ(y - σ(Xw + b)) = 0."""
    X, y = binary_data
    model = LogisticRegression(C=C, tol=1e-10, max_iter=1000).fit(X, y)
    w, b = model.coef_[0], model.intercept_[0]
    m = X.shape[0]
    h = 1.0 / (1.0 + np.exp(-(X @ w + b)))  # the textbook σ, safe here: |Xw + b| is small
    grad_w = -(X.T @ (y - h)) / m + w / (C * m)
    grad_b = -np.sum(y - h) / m
    assert np.max(np.abs(grad_w)) < 1e-8
    assert abs(grad_b) < 1e-8
    assert np.max(np.abs(w)) > 0.1  # a non-trivial solution


def test_multinomial_gradient_condition(iris):
    """Softmax regression: Xᵀ(softmax(XWᵀ + b) - Y)/m + W/(C m) = 0 at the optimum."""
    X, y = iris
    C = 2.0
    model = SoftmaxRegression(C=C, tol=1e-10, max_iter=1000).fit(X, y)
    Z = X @ model.coef_.T + model.intercept_
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    Y = np.eye(3)[y]
    m = X.shape[0]
    assert np.max(np.abs((P - Y).T @ X / m + model.coef_ / (C * m))) < 1e-7
    assert np.max(np.abs((P - Y).sum(axis=0) / m)) < 1e-7


def test_decision_function_and_probabilities_are_the_formulas(binary_data):
    X, y = binary_data
    model = LogisticRegression().fit(X, y)
    z = X @ model.coef_[0] + model.intercept_[0]
    np.testing.assert_allclose(model.decision_function(X), z, rtol=1e-12, atol=1e-12)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], expit(z), rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), (z > 0).astype(int))


def test_ovr_probabilities_normalise_the_sigmoids(iris):
    X, y = iris
    model = LogisticRegression().fit(X, y)
    sigmoids = expit(X @ model.coef_.T + model.intercept_)
    expected = sigmoids / sigmoids.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), np.argmax(sigmoids, axis=1))


def test_probabilities_are_stable_for_huge_logits():
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    for model in (
        LogisticRegression().fit(X, [0, 1, 2, 0]),
        SoftmaxRegression().fit(X, [0, 1, 2, 0]),
    ):
        model.coef_ = np.array([[1e4, 0.0], [-1e4, 0.0], [0.0, 1e4]])
        with np.errstate(all="raise", under="ignore"):
            proba = model.predict_proba(X * 100)
            log_proba = model.predict_log_proba(X * 100)
        assert np.all(np.isfinite(log_proba))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
        np.testing.assert_array_equal(np.argmax(proba, axis=1), [0, 1, 2, 0])  # a tie: first
        assert log_proba[0, 1] < -1e5  # finite, not -inf: computed from the logits
    binary = LogisticRegression().fit(X[:2], [0, 1])
    binary.coef_ = np.array([[-1e4, 0.0]])
    binary.intercept_ = np.array([0.0])
    with np.errstate(all="raise", under="ignore"):
        log_proba = binary.predict_log_proba(np.array([[1e3, 0.0]]))
    assert log_proba[0, 0] == 0.0 and log_proba[0, 1] == -1e7


def test_softmax_for_two_classes_is_logistic_with_twice_c(binary_data):
    X, y = binary_data
    softmax = SoftmaxRegression(C=0.5, tol=1e-10).fit(X, y)
    logistic = LogisticRegression(C=1.0, tol=1e-10).fit(X, y)
    assert softmax.coef_.shape == (2, 3)
    np.testing.assert_allclose(softmax.coef_[0], -softmax.coef_[1], atol=1e-12)
    np.testing.assert_allclose(softmax.coef_[1] - softmax.coef_[0], logistic.coef_[0], atol=1e-7)
    np.testing.assert_allclose(
        softmax.decision_function(X), logistic.decision_function(X), atol=1e-6
    )
    np.testing.assert_allclose(softmax.predict_proba(X), logistic.predict_proba(X), atol=1e-7)


def test_softmax_parameters_are_centred(iris):
    X, y = iris
    for solver in ("lbfgs", "adam"):
        model = SoftmaxRegression(solver=solver, random_state=0, max_iter=50, tol=None).fit(X, y)
        np.testing.assert_allclose(model.coef_.sum(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(model.intercept_.sum(), 0.0, atol=1e-12)


# --------------------------------------------------------------------------------------------
# scikit-learn parity
# --------------------------------------------------------------------------------------------


def test_matches_sklearn_with_c_one():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours = LogisticRegression(C=1.0, tol=1e-10, max_iter=1000).fit(X, y)
    theirs = sklearn_linear.LogisticRegression(C=1.0, tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4)


@pytest.mark.parametrize("penalty", [None, "l2"])
def test_matches_sklearn_unpenalised_or_large_c(binary_data, penalty):
    X, y = binary_data
    C = 1.0 if penalty is None else 1e8
    ours = LogisticRegression(penalty=penalty, C=C, tol=1e-10, max_iter=1000).fit(X, y)
    theirs = sklearn_linear.LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4)


@pytest.mark.parametrize("C", [0.3, 3.0])
def test_matches_sklearn_multinomial_and_ovr(iris, C):
    X, y = iris
    softmax = SoftmaxRegression(C=C, tol=1e-10, max_iter=1000).fit(X, y)
    multinomial = sklearn_linear.LogisticRegression(C=C, tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(softmax.coef_, multinomial.coef_, atol=1e-4)
    np.testing.assert_allclose(softmax.intercept_, multinomial.intercept_, atol=1e-4)
    np.testing.assert_allclose(softmax.predict_proba(X), multinomial.predict_proba(X), atol=1e-5)

    ovr = LogisticRegression(C=C, tol=1e-10, max_iter=1000).fit(X, y)
    reference = OneVsRestClassifier(
        sklearn_linear.LogisticRegression(C=C, tol=1e-10, max_iter=1000)
    ).fit(X, y)
    coef = np.vstack([e.coef_ for e in reference.estimators_])
    np.testing.assert_allclose(ovr.coef_, coef, atol=1e-4)
    np.testing.assert_allclose(ovr.predict_proba(X), reference.predict_proba(X), atol=1e-5)


def test_sample_weight_and_class_weight_match_sklearn(binary_data):
    X, y = binary_data
    weight = np.random.default_rng(5).uniform(0.1, 3.0, size=len(y))
    for class_weight in (None, "balanced", {0: 2.0}):
        ours = LogisticRegression(class_weight=class_weight, tol=1e-10).fit(X, y, weight)
        theirs = sklearn_linear.LogisticRegression(class_weight=class_weight, tol=1e-10).fit(
            X, y, weight
        )
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
        np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4)


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_integer_weights_equal_repeated_samples(binary_data, solver):
    X, y = binary_data
    counts = np.random.default_rng(6).integers(0, 4, size=len(y))
    weighted = LogisticRegression(solver=solver, tol=1e-9, max_iter=5000).fit(X, y, counts)
    repeated = LogisticRegression(solver=solver, tol=1e-9, max_iter=5000).fit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts)
    )
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-6)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, atol=1e-6)


@pytest.mark.parametrize("solver", ["sgd", "minibatch"])
def test_zero_weights_are_allowed_in_stochastic_solvers(binary_data, solver):
    X, y = binary_data
    weight = np.ones(len(y))
    weight[::3] = 0.0
    kept = weight > 0
    params = {"solver": solver, "random_state": 0, "max_iter": 5, "tol": None}
    weighted = LogisticRegression(**params).fit(X, y, weight)
    dropped = LogisticRegression(**params).fit(X[kept], y[kept])
    np.testing.assert_allclose(weighted.coef_, dropped.coef_, rtol=1e-12)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (np.array([-1, 1]), np.array([-1, 1])),
        (np.array(["no", "yes"]), np.array(["no", "yes"])),
        (np.array([False, True]), np.array([False, True])),
        (np.array([2.0, 7.0]), np.array([2.0, 7.0])),
    ],
)
@pytest.mark.parametrize("cls", MODELS)
def test_labels_of_any_type(binary_data, cls, labels, expected):
    X, y = binary_data
    model = cls().fit(X, labels[y])
    np.testing.assert_array_equal(model.classes_, expected)
    reference = cls().fit(X, y)
    np.testing.assert_array_equal(model.predict(X), labels[reference.predict(X)])
    theirs = sklearn_linear.LogisticRegression().fit(X, labels[y])
    assert (model.predict(X) == theirs.predict(X)).mean() > 0.95


def test_string_labels_multiclass(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])
    for cls in MODELS:
        model = cls().fit(X, names[y])
        np.testing.assert_array_equal(model.classes_, names)
        assert model.score(X, names[y]) > 0.9
        assert model.predict(X).dtype == names.dtype


@pytest.mark.parametrize("cls", MODELS)
def test_single_class_is_refused_like_sklearn(cls):
    with pytest.raises(ValueError, match="at least 2 classes"):
        cls().fit(np.ones((4, 2)), [3, 3, 3, 3])


def test_works_in_pipelines_and_grid_search(iris):
    X, y = iris
    pipeline = make_pipeline(StandardScaler(), SoftmaxRegression())
    search = GridSearchCV(pipeline, {"softmaxregression__C": [0.1, 1.0]}, cv=3).fit(X, y)
    assert search.best_score_ > 0.85
    model = LogisticRegression(
        C=2.0, solver="sgd", learning_rate="annealed", learning_rate_params={"a": 1.0}
    )
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    json.dumps(model.get_params())  # every hyper-parameter is JSON-serialisable
    assert not hasattr(model, "transform")


# --------------------------------------------------------------------------------------------
# Attributes, solvers, warm start
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("cls", MODELS)
def test_every_solver_fits_and_exposes_the_attributes(iris, cls, solver):
    X, y = iris
    model = cls(solver=solver, random_state=0, max_iter=500).fit(X, y)
    assert model.score(X, y) > 0.9
    assert model.coef_.shape == (3, 4) and model.intercept_.shape == (3,)
    assert model.n_features_in_ == 4 and model.n_outputs_ == 3
    # scikit-learn's layout: an int32 array with one entry (one optimisation problem)
    assert model.n_iter_.shape == (1,) and model.n_iter_.dtype == np.int32
    assert 0 < model.n_iter_[0] < 500
    assert len(model.loss_curve_) == model.n_iter_[0]
    assert model.loss_ == model.loss_curve_[-1]
    assert model.dtype_ == np.float64
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    decision = model.decision_function(X)
    assert decision.shape == (150, 3)
    np.testing.assert_array_equal(model.predict(X), np.argmax(decision, axis=1))


def test_binary_shapes(binary_data):
    X, y = binary_data
    logistic = LogisticRegression().fit(X, y)
    assert logistic.coef_.shape == (1, 3) and logistic.intercept_.shape == (1,)
    assert logistic.decision_function(X).shape == (80,)
    assert logistic.predict_proba(X).shape == (80, 2)
    softmax = SoftmaxRegression().fit(X, y)
    assert softmax.coef_.shape == (2, 3) and softmax.decision_function(X).shape == (80,)
    np.testing.assert_array_equal(softmax.predict(X), softmax.decision_function(X) > 0)


def test_loss_curves_decrease_for_deterministic_solvers(iris):
    X, y = iris
    for solver in ("lbfgs", "gd"):
        curve = SoftmaxRegression(solver=solver).fit(X, y).loss_curve_
        assert all(b <= a for a, b in itertools.pairwise(curve))


def test_sgd_default_is_the_annealed_step():
    """η = 4/(1 + epoch + i) + 0.01: with one epoch over two samples the two steps are 4.01 and
    2.01, and the update is w ← w - η (σ(z) - y) x (Harrington 2012, ch. 5)."""
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([1, 0])
    model = LogisticRegression(solver="sgd", penalty=None, shuffle=False, max_iter=1, tol=None)
    model.fit(X, y)
    w, b = np.zeros(2), 0.0
    for i, (x, target) in enumerate(zip(X, y, strict=True)):
        eta = 4.0 / (1 + 0 + i) + 0.01
        residual = expit(x @ w + b) - target
        w, b = w - eta * residual * x, b - eta * residual
    np.testing.assert_allclose(model.coef_[0], w, rtol=1e-14)
    np.testing.assert_allclose(model.intercept_[0], b, rtol=1e-14)


def test_fit_intercept_false(binary_data):
    X, y = binary_data
    model = LogisticRegression(fit_intercept=False, tol=1e-10).fit(X, y)
    np.testing.assert_array_equal(model.intercept_, [0.0])
    theirs = sklearn_linear.LogisticRegression(fit_intercept=False, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_, theirs.coef_, atol=1e-4)
    model.intercept_ = [0.0]
    with pytest.raises(ValueError, match="fit_intercept=False"):
        model.intercept_ = [1.0]


def test_coef_assignment_changes_predictions(binary_data):
    X, y = binary_data
    model = LogisticRegression().fit(X, y)
    model.coef_ = np.zeros((1, 3))
    model.intercept_ = np.array([2.0])
    np.testing.assert_allclose(model.decision_function(X), 2.0)
    model.coef_[0, 0] = 1.0  # in place, through the view
    np.testing.assert_allclose(model.decision_function(X), X[:, 0] + 2.0)
    with pytest.raises(ValueError, match=r"shape \(1, 3\)"):
        model.coef_ = np.zeros((3, 1))
    with pytest.raises(ValueError, match="finite"):
        model.intercept_ = [np.nan]


@pytest.mark.parametrize("solver", ["lbfgs", "gd", "adam"])
def test_warm_start_continues_from_the_previous_fit(iris, solver):
    X, y = iris
    params = {"solver": solver, "random_state": 0, "tol": 1e-6, "max_iter": 1000}
    cold = SoftmaxRegression(**params).fit(X, y)
    warm = SoftmaxRegression(warm_start=True, **params).fit(X, y)
    first_loss = warm.loss_
    warm.fit(X, y)
    assert warm.n_iter_ < cold.n_iter_
    assert warm.loss_ <= first_loss + 1e-6
    with pytest.raises(ValueError, match="classes of the previous fit"):
        warm.fit(X[y < 2], y[y < 2])


def test_convergence_warning_when_max_iter_is_too_small(iris):
    X, y = iris
    for solver in ("lbfgs", "gd", "sgd"):
        # scikit-learn's first words, e.g. "lbfgs failed to converge"
        with pytest.warns(ConvergenceWarning, match=f"^{solver} failed to converge after 2 it"):
            SoftmaxRegression(solver=solver, max_iter=2, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SoftmaxRegression(solver="sgd", max_iter=2, tol=None, random_state=0).fit(X, y)


def test_verbose_reports_progress(iris, capsys):
    X, y = iris
    with pytest.warns(ConvergenceWarning):
        SoftmaxRegression(solver="gd", verbose=1, max_iter=3, tol=0.0).fit(X, y)
    assert "iteration 3" in capsys.readouterr().err
    SoftmaxRegression(verbose=1).fit(X, y)
    assert "iterations" in capsys.readouterr().err
    SoftmaxRegression(solver="sgd", verbose=1, max_iter=2, tol=None).fit(X, y)
    assert "epoch" in capsys.readouterr().err


def test_same_seed_same_model(iris):
    X, y = iris
    a = LogisticRegression(solver="sgd", random_state=3, max_iter=5, tol=None).fit(X, y)
    b = LogisticRegression(solver="sgd", random_state=3, max_iter=5, tol=None).fit(X, y)
    c = LogisticRegression(solver="sgd", random_state=4, max_iter=5, tol=None).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert not np.array_equal(a.coef_, c.coef_)


# --------------------------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("cls", MODELS)
def test_float32_trains_in_float32(separable, cls, solver):
    X, y = separable
    # C = 0.1 keeps the problem well curved, so that the solvers' tolerances (a gradient of
    # 1e-4, float32 rounding) move the coefficients by much less than 1%.
    params = {"C": 0.1, "solver": solver, "random_state": 0, "max_iter": 1000}
    if solver not in ("lbfgs", "gd"):
        params["max_iter"] = 30
        params["tol"] = None  # the same number of epochs in both dtypes
    model32 = cls(**params).fit(X.astype(np.float32), y)
    model64 = cls(**params).fit(X, y)
    assert model32.dtype_ == np.float32 and model64.dtype_ == np.float64
    assert model32.coef_.dtype == np.float32 and model32.intercept_.dtype == np.float32
    assert all(p.dtype == np.float32 for p in model32.network_.parameters())
    assert model32.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert model32.decision_function(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_array_equal(model32.predict(X), model64.predict(X))
    np.testing.assert_allclose(
        model32.predict_proba(X.astype(np.float32)),
        model64.predict_proba(X),
        rtol=1e-2,
    )


def test_integer_and_float32_inputs(binary_data):
    X, y = binary_data
    model = LogisticRegression().fit(np.round(X * 10).astype(np.int64), y)
    assert model.dtype_ == np.float64
    model32 = LogisticRegression().fit(X.astype(np.float32), y)
    assert model32.predict_proba(X).dtype == np.float32  # float64 input to a float32 model


def test_pandas_feature_names(binary_data):
    pd = pytest.importorskip("pandas")
    X, y = binary_data
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    model = LogisticRegression().fit(frame, y)
    np.testing.assert_array_equal(model.feature_names_in_, ["a", "b", "c"])
    with pytest.warns(UserWarning, match="feature names"):
        model.predict(X)


# --------------------------------------------------------------------------------------------
# Persistence protocol
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", MODELS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_state_round_trip(iris, cls, dtype):
    X, y = iris
    names = np.array(["a", "b", "c"])[y]
    model = cls(C=3.0, solver="gd", max_iter=1000).fit(X.astype(dtype), names)
    arrays, meta = model._get_state()
    json.dumps(meta)
    restored = cls(**model.get_params())
    restored._set_state({k: v.copy() for k, v in arrays.items()}, json.loads(json.dumps(meta)))
    np.testing.assert_array_equal(restored.classes_, model.classes_)
    np.testing.assert_array_equal(restored.coef_, model.coef_)
    np.testing.assert_array_equal(restored.intercept_, model.intercept_)
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert restored.dtype_ == model.dtype_
    assert restored.loss_curve_ == model.loss_curve_ and restored.n_iter_ == model.n_iter_
    assert restored.loss_ == model.loss_


def test_state_with_inconsistent_arrays_is_refused(binary_data):
    X, y = binary_data
    model = LogisticRegression().fit(X, y)
    arrays, meta = model._get_state()
    bad = {name: np.zeros((5, 5)) for name in arrays}
    with pytest.raises(ValueError, match="shape"):
        LogisticRegression()._set_state(bad, meta)
    with pytest.raises(ValueError, match="do not match"):
        LogisticRegression(fit_intercept=False)._set_state(arrays, meta)
    with pytest.raises(ValueError, match="n_outputs_"):
        LogisticRegression()._set_state(arrays, {**meta, "classes_": [0, 1, 2]})


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", MODELS)
@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        ([[0.0, np.nan], [1.0, 2.0]], [0, 1], "NaN"),
        ([[0.0, np.inf], [1.0, 2.0]], [0, 1], "infinity"),
        ([[0.0, 1.0], [1.0, 2.0]], [0, np.nan], "NaN"),
        ([[0.0, 1.0], [1.0, 2.0]], [0, np.inf], "infinity"),
        (np.zeros((0, 2)), [], "0 sample"),
        ([0.0, 1.0, 2.0], [0, 1, 0], "Reshape your data"),
        ([[0.0, 1.0], [1.0, 2.0]], [0, 1, 1], "inconsistent numbers of samples"),
        ([[0.5, 1.0], [1.0, 2.0]], [0.5, 1.7], "Unknown label type"),
    ],
    ids=["nan-X", "inf-X", "nan-y", "inf-y", "empty", "1d-X", "lengths", "continuous-y"],
)
def test_bad_training_data_is_refused(cls, X, y, match):
    with pytest.raises(ValueError, match=match):
        cls().fit(np.asarray(X), np.asarray(y))


@pytest.mark.parametrize("cls", MODELS)
def test_complex_data_is_refused(cls):
    with pytest.raises(ValueError, match=r"[Cc]omplex"):
        cls().fit(np.array([[1 + 1j, 0], [0, 1]]), [0, 1])


@pytest.mark.parametrize("cls", MODELS)
def test_prediction_input_is_checked(binary_data, cls):
    X, y = binary_data
    with pytest.raises(NotFittedError):
        cls().predict(X)
    with pytest.raises(NotFittedError):
        cls().coef_
    assert not hasattr(cls(), "coef_")
    model = cls().fit(X, y)
    with pytest.raises(ValueError, match="3 features"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        model.predict_proba(np.array([[np.nan, 0.0, 0.0]]))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"C": -1.0}, "C must be"),
        ({"C": 0}, "C must be"),
        ({"C": -np.inf}, "C must be"),
        ({"penalty": "l1"}, "penalty must be 'l2' or None"),
        ({"solver": "newton"}, "solver must be one of 'lbfgs', 'gd', 'sgd', 'minibatch', 'adam'"),
        ({"max_iter": -1}, "max_iter"),
        ({"max_iter": 2.5}, "max_iter"),
        ({"tol": -1e-3}, "tol"),
        ({"batch_size": 0}, "batch_size"),
        ({"n_iter_no_change": 0}, "n_iter_no_change"),
        ({"fit_intercept": "yes"}, "fit_intercept"),
        ({"verbose": -1}, "verbose"),
        ({"class_weight": "heavy"}, "class_weight"),
        ({"class_weight": {7: 2.0}}, "not classes"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"learning_rate_init": -0.1}, "learning_rate_init"),
        ({"learning_rate_params": [1]}, "learning_rate_params"),
        ({"learning_rate": "fast", "solver": "sgd"}, "annealed"),
        (
            {"learning_rate": "annealed", "learning_rate_params": {"z": 1}, "solver": "sgd"},
            "unexpected",
        ),
        ({"learning_rate": {"a": 1}, "solver": "sgd"}, "'name'"),
        ({"learning_rate": "annealed", "solver": "gd"}, "solver='gd'"),
        ({"learning_rate": "constant", "solver": "gd"}, "learning_rate_init"),
        (
            {"learning_rate": "constant", "learning_rate_params": {"a": 1}, "solver": "sgd"},
            "takes none",
        ),
        (
            {
                "learning_rate": "step",
                "learning_rate_params": {"learning_rate": 1},
                "solver": "sgd",
            },
            "learning_rate_init",
        ),
        ({"learning_rate": "backtracking", "solver": "sgd"}, "needs solver='gd'"),
    ],
)
def test_invalid_hyper_parameters_are_refused(binary_data, params, match):
    X, y = binary_data
    with pytest.raises(ValueError, match=match):
        LogisticRegression(**params).fit(X, y)


def test_bad_sample_weight_is_refused(binary_data):
    X, y = binary_data
    with pytest.raises(ValueError, match="non-negative"):
        LogisticRegression().fit(X, y, sample_weight=np.r_[-1.0, np.ones(len(y) - 1)])
    with pytest.raises(ValueError, match=r"positive|non-zero"):
        LogisticRegression().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit(X, y, sample_weight=np.full(len(y), np.nan))
    with pytest.raises(ValueError, match=r"\(80,\)|shape"):
        LogisticRegression().fit(X, y, sample_weight=np.ones(3))


@pytest.mark.parametrize("cls", MODELS)
def test_sparsify_shows_coef_as_a_sparse_matrix_and_densify_undoes_it(iris, cls):
    from scipy import sparse

    X, y = iris
    model = cls().fit(X, y)
    dense = model.coef_.copy()
    scores = model.decision_function(X)
    assert model.sparsify() is model
    assert sparse.issparse(model.coef_)
    np.testing.assert_array_equal(model.coef_.toarray(), dense)
    np.testing.assert_allclose(model.decision_function(sparse.csr_matrix(X)), scores, rtol=1e-12)
    model.coef_ = sparse.csr_matrix(dense * 2)  # a sparse assignment is taken as its values
    assert model.densify() is model
    assert isinstance(model.coef_, np.ndarray)
    np.testing.assert_array_equal(model.coef_, dense * 2)


def test_c_inf_is_no_penalty_and_max_iter_0_keeps_the_start(binary_data):
    X, y = binary_data
    unpenalised = LogisticRegression(C=np.inf, max_iter=1000).fit(X, y)
    none = LogisticRegression(penalty=None, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(unpenalised.coef_, none.coef_, rtol=1e-6)
    with pytest.warns(UserWarning, match="Setting penalty=None will ignore the C"):
        LogisticRegression(penalty=None, C=4.0).fit(X, y)
    for solver in ("gd", "sgd"):
        with pytest.warns(ConvergenceWarning, match="after 0 iteration"):
            model = LogisticRegression(solver=solver, max_iter=0).fit(X, y)
        assert model.n_iter_[0] == 0
        np.testing.assert_array_equal(model.coef_, 0.0)


# --------------------------------------------------------------------------------------------
# learning_rate as in the MLPs; the old forms still work, with a FutureWarning
# --------------------------------------------------------------------------------------------

OLD_AND_NEW = [
    (
        {"solver": "gd", "learning_rate": 0.5},
        {"solver": "gd", "learning_rate": "constant", "learning_rate_init": 0.5},
    ),
    (
        {"solver": "minibatch", "learning_rate": 0.3},
        {"solver": "minibatch", "learning_rate": "constant", "learning_rate_init": 0.3},
    ),
    (
        {"solver": "sgd", "learning_rate": {"name": "annealed", "a": 1.0, "b": 10.0}},
        {
            "solver": "sgd",
            "learning_rate": "annealed",
            "learning_rate_params": {"a": 1.0, "b": 10.0},
        },
    ),
    (
        {"solver": "adam", "learning_rate": {"name": "exponential", "learning_rate": 0.05}},
        {"solver": "adam", "learning_rate": "exponential", "learning_rate_init": 0.05},
    ),
]


@pytest.mark.parametrize(("old", "new"), OLD_AND_NEW)
def test_old_learning_rate_values_warn_with_what_to_write_and_fit_the_same(binary_data, old, new):
    X, y = binary_data
    common = {"max_iter": 20, "tol": None, "random_state": 0}
    advice = ", ".join(f"{k}={v!r}" for k, v in new.items() if k.startswith("learning_rate"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        before = LogisticRegression(**old, **common).fit(X, y)
    deprecations = [w for w in caught if issubclass(w.category, FutureWarning)]
    assert len(deprecations) == 1
    assert re.search(r"is deprecated.*Write " + re.escape(advice), str(deprecations[0].message))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)  # 20 iterations of "gd"
        after = LogisticRegression(**new, **common).fit(X, y)
    np.testing.assert_array_equal(before.coef_, after.coef_)
    np.testing.assert_array_equal(before.loss_curve_, after.loss_curve_)
    upgraded = LogisticRegression._upgrade_params(old)
    assert {k: v for k, v in upgraded.items() if v is not None} == new


def test_upgrade_params_leaves_todays_values_alone():
    params = LogisticRegression(solver="sgd", learning_rate="cosine").get_params()
    assert LogisticRegression._upgrade_params(params) == params


def test_a_model_saved_with_an_old_learning_rate_loads_without_a_warning(binary_data, tmp_path):
    import sigmanet

    X, y = binary_data
    with pytest.warns(FutureWarning):
        model = LogisticRegression(solver="minibatch", learning_rate=0.3, max_iter=5, tol=None)
        model.fit(X, y)
    path = sigmanet.save(model, tmp_path / "old.safetensors")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = sigmanet.load(path)
    assert loaded.learning_rate == "constant" and loaded.learning_rate_init == 0.3
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_step_given_without_a_schedule_is_a_constant_step(binary_data):
    X, y = binary_data
    common = {"solver": "sgd", "max_iter": 5, "tol": None, "random_state": 0}
    implied = LogisticRegression(learning_rate_init=0.05, **common).fit(X, y)
    explicit = LogisticRegression(learning_rate="constant", learning_rate_init=0.05, **common)
    np.testing.assert_array_equal(implied.coef_, explicit.fit(X, y).coef_)
    annealed = LogisticRegression(**common).fit(X, y)  # the solver's default schedule
    assert not np.array_equal(implied.coef_, annealed.coef_)
    with pytest.raises(ValueError, match=r"annealed.*learning_rate"):
        LogisticRegression(learning_rate="annealed", learning_rate_init=0.05, **common).fit(X, y)
