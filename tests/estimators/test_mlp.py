"""MLPClassifier and MLPRegressor: every option trains, and bad input fails clearly.

Most fits here stop at ``max_iter`` on purpose (a few epochs show that the loss falls), so
scikit-learn's ``ConvergenceWarning`` is ignored module-wide; ``test_convergence_warning``
checks that it is still raised. Every other warning fails a test.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier

from sigmanet import activations, losses
from sigmanet.estimators import MLPClassifier, MLPRegressor
from sigmanet.exceptions import DivergenceError
from sigmanet.layers import Activation, Dense, Dropout, Maxout, PReLU
from sigmanet.training import Callback

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

HIDDEN_ACTIVATIONS = sorted({*activations.names(), "prelu", "maxout"})
SOLVERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "lbfgs"]
SCHEDULES = ["constant", "invscaling", "adaptive", "step", "exponential", "cosine", "annealed"]


def _classifier(**params):
    defaults = {
        "hidden_layer_sizes": (8,),
        "max_iter": 40,
        "learning_rate_init": 0.01,
        "random_state": 0,
    }
    return MLPClassifier(**{**defaults, **params})


def _regressor(**params):
    defaults = {
        "hidden_layer_sizes": (8,),
        "max_iter": 40,
        "learning_rate_init": 0.01,
        "random_state": 0,
    }
    return MLPRegressor(**{**defaults, **params})


class Recorder(Callback):
    """Counts every hook call and keeps what the hooks saw."""

    def __init__(self, stop_after: int | None = None):
        self.calls = {"train_begin": 0, "batch_end": 0, "epoch_end": 0, "train_end": 0}
        self.networks = set()
        self.batch_sizes = []
        self.gradient_norms = []
        self.epoch_parameters = []
        self.stop_after = stop_after

    def on_train_begin(self, network):
        self.calls["train_begin"] += 1
        self.networks.add(id(network))

    def on_batch_end(self, network, logs):
        self.calls["batch_end"] += 1
        self.networks.add(id(network))
        self.batch_sizes.append(logs["batch_size"])
        self.gradient_norms.append([float(np.linalg.norm(g)) for g in network.weight_gradients()])

    def on_epoch_end(self, network, logs):
        self.calls["epoch_end"] += 1
        self.epoch_parameters.append([p.copy() for p in network.parameters()])
        return self.stop_after is not None and self.calls["epoch_end"] >= self.stop_after

    def on_train_end(self, network, history):
        self.calls["train_end"] += 1


# -- every hidden activation, solver, schedule and batch form trains ---------------------------


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_hidden_activation_trains_a_classifier(activation, multiclass_data):
    X, y = multiclass_data
    # scikit-learn's initialisation (biases too) from seed 0 starts log_sigmoid's 8 units
    # where 40 epochs reach 0.68; seeds 1-7 reach 0.91-0.95
    clf = _classifier(activation=activation, random_state=1).fit(X, y)
    assert clf.loss_curve_[-1] < 0.75 * clf.loss_curve_[0]
    assert clf.score(X, y) > 0.7
    hidden = clf.network_.layers[:-1]
    if activation == "maxout":
        assert isinstance(hidden[0], Maxout)
    elif activation == "prelu":
        assert isinstance(hidden[1], PReLU)
    else:
        assert isinstance(hidden[1], Activation)
        assert hidden[1].activation.name == activations.get(activation).name


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_hidden_activation_trains_a_regressor(activation, regression_data):
    X, y = regression_data
    reg = _regressor(activation=activation, batch_size=32).fit(X, y)
    assert reg.loss_curve_[-1] < 0.5 * reg.loss_curve_[0]
    assert reg.score(X, y) > 0.5


def test_per_layer_activations_and_dropout_build_the_layers_asked_for(multiclass_data):
    X, y = multiclass_data
    clf = _classifier(
        hidden_layer_sizes=(6, 5, 4),
        activation=["tanh", "maxout", "prelu"],
        dropout=[0.2, 0.0, 0.1],
        maxout_pieces=3,
    ).fit(X, y)
    kinds = [type(layer) for layer in clf.network_.layers]
    assert kinds == [Dense, Activation, Dropout, Maxout, Dense, PReLU, Dropout, Dense]
    assert clf.network_.layers[1].activation.name == "tanh"
    assert [layer.rate for layer in clf.network_.layers if isinstance(layer, Dropout)] == [0.2, 0.1]
    assert clf.network_.layers[3].params["W"].shape == (6, 5 * 3)
    assert [w.shape for w in clf.coefs_] == [(5, 6), (6, 15), (5, 4), (4, 3)]
    assert clf.n_layers_ == 5
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_dropout_acts_in_training_only(multiclass_data):
    X, y = multiclass_data
    plain = _classifier(hidden_layer_sizes=(32,), max_iter=20).fit(X, y)
    dropped = _classifier(hidden_layer_sizes=(32,), max_iter=20, dropout=0.5).fit(X, y)
    again = _classifier(hidden_layer_sizes=(32,), max_iter=20, dropout=0.5).fit(X, y)
    # the masks change the training path, reproducibly for a fixed random_state
    assert not np.allclose(plain.coefs_[0], dropped.coefs_[0])
    for a, b in zip(dropped.coefs_, again.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    # the training loss is computed through the masks, from the first batch on
    assert dropped.loss_curve_[0] != plain.loss_curve_[0]
    # inference is deterministic and uses every unit
    np.testing.assert_array_equal(dropped.predict_proba(X), dropped.predict_proba(X))
    hidden = dropped.transform(X)
    np.testing.assert_allclose(
        hidden, np.maximum(X @ dropped.coefs_[0] + dropped.intercepts_[0], 0.0), rtol=1e-12
    )
    assert dropped.score(X, y) > 0.8


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"hidden_layer_sizes": (4, 4), "activation": ["tanh"]}, "1 entries but there are 2"),
        ({"hidden_layer_sizes": (4, 4), "dropout": [0.1, 0.2, 0.3]}, "3 entries but there"),
        ({"hidden_layer_sizes": (4,), "activation": ["tanh", "nope"]}, "2 entries"),
    ],
)
def test_per_layer_lists_of_the_wrong_length_are_rejected(params, message, binary_data):
    with pytest.raises(ValueError, match=message):
        _classifier(**params).fit(*binary_data)


@pytest.mark.parametrize("solver", SOLVERS)
def test_every_solver_trains(solver, multiclass_data):
    X, y = multiclass_data
    # (seed 0 leaves adagrad at exactly 0.8 from scikit-learn's initialisation)
    clf = _classifier(solver=solver, hidden_layer_sizes=(16,), max_iter=60, random_state=1)
    clf.fit(X, y)
    assert clf.loss_curve_[-1] < 0.6 * clf.loss_curve_[0]
    assert clf.score(X, y) > 0.8
    assert 1 <= clf.n_iter_ <= 60
    assert len(clf.loss_curve_) == clf.n_iter_ or solver == "lbfgs"


def test_the_solvers_are_really_different(multiclass_data):
    X, y = multiclass_data
    weights = {
        solver: _classifier(solver=solver, alpha=0.01, max_iter=5).fit(X, y).coefs_[0]
        for solver in SOLVERS
    }
    for first, second in itertools.combinations(SOLVERS, 2):
        assert not np.allclose(weights[first], weights[second]), (first, second)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_every_learning_rate_schedule_trains(schedule, multiclass_data):
    X, y = multiclass_data
    # "annealed" is the stochastic step 4/(1+epoch+i)+0.01: one sample at a time, no
    # momentum, as in "Machine Learning in Action"; it ignores learning_rate_init.
    extra = {"batch_size": 1, "momentum": 0.0} if schedule == "annealed" else {"batch_size": 16}
    clf = _classifier(
        solver="sgd",
        learning_rate=schedule,
        learning_rate_init=0.05,
        max_iter=30,
        random_state=1,  # seed 0 leaves invscaling at 0.73 from scikit-learn's initialisation
        **extra,
    ).fit(X, y)
    assert clf.loss_curve_[-1] < 0.6 * clf.loss_curve_[0]
    assert clf.score(X, y) > 0.8
    final_rate = clf._optimizer.learning_rate
    if schedule in ("constant", "adaptive"):
        assert final_rate == 0.05
    elif schedule == "annealed":
        n_batches = X.shape[0]
        assert final_rate == pytest.approx(4 / (1 + (clf.n_iter_ - 1) + n_batches - 1) + 0.01)
    else:
        assert final_rate < 0.05


@pytest.mark.parametrize("schedule", ["adaptive", "constant"])
def test_the_stopping_rule_and_adaptive_rate_match_scikit_learn(schedule, multiclass_data):
    X, y = multiclass_data
    # tol=10 makes every epoch after the first "not improving"; after n_iter_no_change + 1 of
    # them training stops or, with "adaptive", the rate is divided by 5 until it falls to 1e-6:
    # 1e-3 / 5**5 = 3.2e-7 after epochs 3, 5, 7, 9, 11, then a stop at epoch 13.
    params = {
        "hidden_layer_sizes": (8,),
        "solver": "sgd",
        "learning_rate": schedule,
        "learning_rate_init": 1e-3,
        "tol": 10.0,
        "n_iter_no_change": 1,
        "max_iter": 100,
        "random_state": 0,
    }
    ours = MLPClassifier(**params).fit(X, y)
    theirs = SklearnMLPClassifier(**params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == (13 if schedule == "adaptive" else 3)
    expected_rate = 1e-3 / 5**5 if schedule == "adaptive" else 1e-3
    assert ours._optimizer.learning_rate == pytest.approx(expected_rate, rel=1e-12)
    assert theirs._optimizer.learning_rate == pytest.approx(expected_rate, rel=1e-12)


@pytest.mark.parametrize(
    ("batch_size", "expected"),
    [(1, [1] * 150), (64, [64, 64, 22]), ("auto", [150]), ("full", [150]), (500, [150])],
)
def test_batch_size_forms(batch_size, expected, multiclass_data):
    X, y = multiclass_data
    recorder = Recorder()
    clf = _classifier(solver="sgd", batch_size=batch_size, max_iter=2).fit(
        X, y, callbacks=[recorder]
    )
    assert recorder.batch_sizes == expected * 2
    assert clf.t_ == 2 * X.shape[0]


def test_batch_size_auto_is_200_on_larger_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(450, 3))
    y = (X[:, 0] > 0).astype(int)
    recorder = Recorder()
    _classifier(max_iter=1).fit(X, y, callbacks=[recorder])
    assert recorder.batch_sizes == [200, 200, 50]


# -- class_weight and sample_weight ------------------------------------------------------------


@pytest.fixture(scope="module")
def imbalanced_data():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0.0, 1.0, size=(270, 2)), rng.normal(1.0, 1.0, size=(30, 2))])
    y = np.r_[np.zeros(270, dtype=int), np.ones(30, dtype=int)]
    return X, y


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_balanced_class_weight_is_n_over_k_times_the_class_count(solver, imbalanced_data):
    # "balanced" weighs class c by n / (k · n_c), scikit-learn's compute_class_weight: the fit
    # equals one with those weights given per sample, and scales nothing else.
    from sklearn.utils.class_weight import compute_class_weight

    X, y = imbalanced_data
    per_class = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    np.testing.assert_allclose(per_class, [300 / (2 * 270), 300 / (2 * 30)])
    params = {"solver": solver, "max_iter": 10, "batch_size": 32}
    balanced = _classifier(class_weight="balanced", **params).fit(X, y)
    by_sample = _classifier(**params).fit(X, y, sample_weight=per_class[y])
    for a, b in zip(
        balanced.coefs_ + balanced.intercepts_,
        by_sample.coefs_ + by_sample.intercepts_,
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(balanced.loss_curve_, by_sample.loss_curve_, rtol=1e-12)
    # with sample weights, the class totals are weighted: each class again sums to n / k
    weight = np.random.default_rng(4).uniform(0.5, 2.0, size=len(y))
    totals = np.bincount(y, weights=weight)
    combined = weight * totals.sum() / (2 * totals[y])
    both = _classifier(class_weight="balanced", **params).fit(X, y, sample_weight=weight)
    reference = _classifier(**params).fit(X, y, sample_weight=combined)
    for a, b in zip(both.coefs_, reference.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_balanced_class_weight_shifts_predictions_to_the_minority(imbalanced_data):
    X, y = imbalanced_data
    plain = _classifier(solver="lbfgs", max_iter=200).fit(X, y)
    balanced = _classifier(solver="lbfgs", max_iter=200, class_weight="balanced").fit(X, y)
    minority_plain = int(np.sum(plain.predict(X) == 1))
    minority_balanced = int(np.sum(balanced.predict(X) == 1))
    assert minority_balanced > 2 * max(minority_plain, 10)
    # recall of the minority class rises
    assert np.mean(balanced.predict(X[y == 1]) == 1) > np.mean(plain.predict(X[y == 1]) == 1)


def test_class_weight_dict_equals_sample_weight(imbalanced_data):
    X, y = imbalanced_data
    by_class = _classifier(solver="lbfgs", max_iter=30, class_weight={1: 5.0}).fit(X, y)
    by_sample = _classifier(solver="lbfgs", max_iter=30).fit(
        X, y, sample_weight=np.where(y == 1, 5.0, 1.0)
    )
    for a, b in zip(by_class.coefs_, by_sample.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("class_weight", "message"),
    [({7: 2.0}, "not classes of y"), ("heavy", "class_weight must be"), (3.0, "class_weight")],
)
def test_bad_class_weight(class_weight, message, binary_data):
    with pytest.raises(ValueError, match=message):
        _classifier(class_weight=class_weight).fit(*binary_data)


@pytest.mark.parametrize(
    ("solver", "batch_size"), [("lbfgs", "auto"), ("sgd", "full"), ("adam", "full")]
)
def test_integer_sample_weight_equals_repeated_rows(solver, batch_size, multiclass_data):
    X, y = multiclass_data
    counts = np.random.default_rng(1).integers(0, 4, size=len(y))
    weighted = _classifier(solver=solver, batch_size=batch_size, max_iter=15, alpha=0.01).fit(
        X, y, sample_weight=counts
    )
    repeated = _classifier(solver=solver, batch_size=batch_size, max_iter=15, alpha=0.01).fit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts)
    )
    for a, b in zip(
        weighted.coefs_ + weighted.intercepts_, repeated.coefs_ + repeated.intercepts_, strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-9)


def test_weighted_mini_batch_loss_curve_is_the_weighted_log_loss(multiclass_data):
    # With a negligible step the one epoch's loss is the weighted log loss of the network it
    # ends with, which scikit-learn's log_loss computes independently of the fit loop.
    from sklearn.metrics import log_loss

    X, y = multiclass_data
    weight = np.random.default_rng(3).uniform(0.1, 10.0, size=len(y))
    clf = _classifier(solver="sgd", batch_size=16, alpha=0.0, learning_rate_init=1e-12, max_iter=1)
    clf.fit(X, y, sample_weight=weight)
    expected = log_loss(y, clf.predict_proba(X), sample_weight=weight)
    np.testing.assert_allclose(clf.loss_curve_, [expected], rtol=1e-9)


def test_regressor_sample_weight_equals_repeated_rows(regression_data):
    X, y = regression_data
    counts = np.random.default_rng(2).integers(1, 3, size=len(y))
    weighted = _regressor(solver="lbfgs", max_iter=20).fit(X, y, sample_weight=counts)
    repeated = _regressor(solver="lbfgs", max_iter=20).fit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts)
    )
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-7, atol=1e-9)


def test_sample_weight_changes_the_fit(binary_data):
    X, y = binary_data
    weights = np.where(np.arange(len(y)) % 3 == 0, 10.0, 1.0)
    plain = _classifier(solver="lbfgs", max_iter=10).fit(X, y)
    weighted = _classifier(solver="lbfgs", max_iter=10).fit(X, y, sample_weight=weights)
    assert not np.allclose(plain.coefs_[0], weighted.coefs_[0])


@pytest.mark.parametrize(
    ("sample_weight", "message"),
    [
        (np.ones(5), r"sample_weight\.shape"),
        (-np.ones(120), "must be non-negative"),
        (np.zeros(120), "non-zero|positive"),
    ],
)
def test_bad_sample_weight(sample_weight, message, binary_data):
    with pytest.raises(ValueError, match=message):
        _classifier().fit(*binary_data, sample_weight=sample_weight)


# -- multilabel, hinge, huber, multi-output ----------------------------------------------------


def test_multilabel_indicator_targets(multiclass_data):
    X, _ = multiclass_data
    Y = (X[:, :3] > 0).astype(int)
    clf = _classifier(solver="lbfgs", hidden_layer_sizes=(16,), max_iter=300).fit(X, Y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.out_activation_ == "logistic"
    prediction = clf.predict(X)
    assert prediction.shape == Y.shape
    assert set(np.unique(prediction)) <= {0, 1}
    assert clf.score(X, Y) > 0.9  # subset accuracy
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape
    assert np.all((proba >= 0) & (proba <= 1))
    assert not np.allclose(proba.sum(axis=1), 1.0)  # independent sigmoids, not a softmax
    np.testing.assert_array_equal(prediction, (proba > 0.5).astype(int))
    assert clf.decision_function(X).shape == Y.shape
    # log σ(z) is computed from z directly, so where σ(z) rounds to 1 it keeps its tiny
    # negative value instead of log(1) = 0: compare with an absolute tolerance of a few ulps
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-10, atol=1e-15)


def test_multilabel_rejects_class_weight_and_hinge(multiclass_data):
    X, _ = multiclass_data
    Y = (X[:, :3] > 0).astype(int)
    with pytest.raises(ValueError, match="multilabel"):
        _classifier(class_weight="balanced").fit(X, Y)
    with pytest.raises(ValueError, match="hinge"):
        _classifier(loss="hinge").fit(X, Y)


@pytest.mark.parametrize("data", ["binary_data", "separable_multiclass_data"])
def test_hinge_loss_trains_a_margin_classifier(data, request):
    X, y = request.getfixturevalue(data)
    clf = _classifier(loss="hinge", solver="lbfgs", max_iter=100).fit(X, y)
    assert clf.score(X, y) == 1.0
    assert clf.out_activation_ == "identity"
    assert not hasattr(clf, "predict_proba")
    assert not hasattr(clf, "predict_log_proba")
    scores = clf.decision_function(X)
    if len(clf.classes_) == 2:
        assert scores.shape == (len(y),)
        # a margin classifier pushes every training point beyond the margin |z| >= 1 (nearly)
        assert np.mean(np.abs(scores) >= 0.9) > 0.95
    else:
        assert scores.shape == (len(y), 3)
        np.testing.assert_array_equal(clf.classes_[np.argmax(scores, axis=1)], clf.predict(X))


def test_huber_loss_resists_outliers():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(200, 1))
    clean = np.tanh(X[:, 0])
    y = clean + rng.normal(0, 0.05, size=200)
    y[:10] += 30.0  # gross outliers
    errors = {}
    for loss in ("squared_error", "huber"):
        reg = _regressor(
            loss=loss, activation="tanh", solver="lbfgs", max_iter=300, huber_delta=0.1
        ).fit(X, y)
        errors[loss] = float(np.sqrt(np.mean((reg.predict(X) - clean) ** 2)))
    assert errors["huber"] < 0.2
    assert errors["huber"] < errors["squared_error"] / 4


def test_multi_output_regression(multioutput_regression_data):
    X, Y = multioutput_regression_data
    reg = _regressor(solver="lbfgs", hidden_layer_sizes=(16,), max_iter=300).fit(X, Y)
    assert reg.n_outputs_ == 2
    assert reg.coefs_[-1].shape == (16, 2)
    assert reg.out_activation_ == "identity"
    prediction = reg.predict(X)
    assert prediction.shape == Y.shape
    assert reg.score(X, Y) > 0.95
    single = _regressor(solver="lbfgs", hidden_layer_sizes=(16,), max_iter=300).fit(X, Y[:, 0])
    assert single.predict(X).shape == (len(X),)
    warm = _regressor(warm_start=True, max_iter=2).fit(X, Y)
    with pytest.raises(ValueError, match=r"y has 4 output\(s\), but the model was fitted with 2"):
        warm.fit(X, np.c_[Y, Y])


# -- early stopping and validation data --------------------------------------------------------


@pytest.mark.parametrize("estimator", ["classifier", "regressor"])
def test_early_stopping_restores_the_best_weights(estimator, multiclass_data, regression_data):
    if estimator == "classifier":
        X, y = multiclass_data
        # a high learning rate makes the validation score bounce, so the best epoch is not
        # the last one
        model = _classifier(
            early_stopping=True,
            learning_rate_init=0.1,
            max_iter=200,
            n_iter_no_change=5,
            validation_fraction=0.2,
        )
    else:
        X, y = regression_data
        model = _regressor(
            early_stopping=True,
            learning_rate_init=0.1,
            max_iter=200,
            n_iter_no_change=5,
            validation_fraction=0.2,
        )
    recorder = Recorder()
    model.fit(X, y, callbacks=[recorder])
    assert model.n_iter_ < 200  # stopped early
    assert len(model.validation_scores_) == model.n_iter_
    assert len(model.validation_loss_curve_) == model.n_iter_
    assert len(model.loss_curve_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    best_epoch = int(np.argmax(model.validation_scores_))
    assert best_epoch < model.n_iter_ - 1
    final = model.network_.parameters()
    for restored, best in zip(final, recorder.epoch_parameters[best_epoch], strict=True):
        np.testing.assert_array_equal(restored, best)
    last = recorder.epoch_parameters[-1]
    assert any(not np.array_equal(a, b) for a, b in zip(final, last, strict=True))
    assert all(np.isfinite(v) for v in model.validation_loss_curve_)


def _sklearn_early_stopping_epoch(scores, tol, n_iter_no_change):
    """The epoch (1-based) at which scikit-learn's MLP stops on these validation scores, or None.

    Its rule: a score below ``best + tol`` does not count as an improvement; the fit stops when
    more than ``n_iter_no_change`` epochs in a row did not improve.
    """
    best, count = -math.inf, 0
    for epoch, score in enumerate(scores, start=1):
        count = count + 1 if score < best + tol else 0
        best = max(best, score)
        if count > n_iter_no_change:
            return epoch
    return None


def test_early_stopping_applies_tol_to_the_validation_score_as_scikit_learn(regression_data):
    # The validation R² rises every epoch, but by less than tol after a while: with tol the fit
    # stops where scikit-learn's rule stops it; without tol it would run all max_iter epochs.
    X, y = regression_data
    model = _regressor(
        solver="sgd",
        early_stopping=True,
        tol=0.01,
        n_iter_no_change=3,
        max_iter=60,
        validation_fraction=0.25,
    ).fit(X, y)
    scores = model.validation_scores_
    assert all(b > a for a, b in itertools.pairwise(scores))  # never worse
    assert _sklearn_early_stopping_epoch(scores, tol=0.0, n_iter_no_change=3) is None
    assert model.n_iter_ == _sklearn_early_stopping_epoch(scores, tol=0.01, n_iter_no_change=3)
    assert model.n_iter_ < 60


def test_without_early_stopping_there_are_no_validation_scores(binary_data):
    clf = _classifier(max_iter=3).fit(*binary_data)
    assert clf.validation_scores_ is None
    assert clf.best_validation_score_ is None
    assert clf.validation_loss_curve_ == []
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_validation_data_fills_the_validation_loss_curve(multiclass_data):
    X, y = multiclass_data
    X_train, y_train, X_val, y_val = X[:100], y[:100], X[100:], y[100:]
    clf = _classifier(max_iter=12).fit(X_train, y_train, validation_data=(X_val, y_val))
    assert len(clf.validation_loss_curve_) == clf.n_iter_ == 12
    expected = losses.get("softmax_cross_entropy_with_logits").value(
        y_val, clf.decision_function(X_val)
    )
    assert clf.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-10)
    assert clf.validation_loss_curve_[-1] < clf.validation_loss_curve_[0]
    # the scores are recorded too (they decide nothing without early_stopping)
    assert len(clf.validation_scores_) == 12
    assert clf.validation_scores_[-1] == pytest.approx(clf.score(X_val, y_val))
    assert clf.best_validation_score_ is None


def test_validation_data_with_string_labels_and_regression(multiclass_data, regression_data):
    X, y = multiclass_data
    labels = np.array(["ant", "bee", "cat"])[y]
    clf = _classifier(max_iter=3).fit(
        X[:100], labels[:100], validation_data=(X[100:], labels[100:])
    )
    assert len(clf.validation_loss_curve_) == 3
    Xr, yr = regression_data
    reg = _regressor(max_iter=3).fit(Xr[:100], yr[:100], validation_data=(Xr[100:], yr[100:]))
    expected = 0.5 * np.mean((reg.predict(Xr[100:]) - yr[100:]) ** 2)
    assert reg.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-10)
    assert reg.validation_scores_[-1] == pytest.approx(reg.score(Xr[100:], yr[100:]))


def test_bad_validation_data(multiclass_data):
    X, y = multiclass_data
    with pytest.raises(ValueError, match="features"):
        _classifier().fit(X, y, validation_data=(X[:, :2], y))
    with pytest.raises(ValueError, match="not seen"):
        _classifier().fit(X, y, validation_data=(X, y + 5))
    with pytest.raises(ValueError, match="NaN"):
        _classifier().fit(X, y, validation_data=(np.full_like(X, np.nan), y))


# -- transform, partial_fit, warm_start ---------------------------------------------------------


def test_transform_gives_the_hidden_activations(multiclass_data):
    X, y = multiclass_data
    clf = _classifier(
        hidden_layer_sizes=(7, 4), activation=["tanh", "logistic"], dropout=0.3, max_iter=5
    ).fit(X, y)
    (W0, W1, _), (b0, b1, _) = clf.coefs_, clf.intercepts_
    first = np.tanh(X @ W0 + b0)
    second = 1.0 / (1.0 + np.exp(-(first @ W1 + b1)))  # moderate values: no overflow here
    np.testing.assert_allclose(clf.transform(X, layer=0), first, rtol=1e-12)
    np.testing.assert_allclose(clf.transform(X, layer=1), second, rtol=1e-12)
    np.testing.assert_allclose(clf.transform(X), second, rtol=1e-12)
    np.testing.assert_allclose(clf.transform(X, layer=-2), first, rtol=1e-12)
    np.testing.assert_allclose(clf.fit_transform(X, y), second, rtol=1e-12)
    for bad in (2, -3, 0.5, "0"):
        with pytest.raises(ValueError, match="layer must be an integer"):
            clf.transform(X, layer=bad)


def test_transform_of_maxout_and_regressor(regression_data):
    X, y = regression_data
    reg = _regressor(hidden_layer_sizes=(5,), activation="maxout", max_iter=3).fit(X, y)
    W, b = reg.coefs_[0], reg.intercepts_[0]
    expected = (X @ W + b).reshape(len(X), 5, 2).max(axis=2)
    np.testing.assert_allclose(reg.transform(X), expected, rtol=1e-12)
    hidden = reg.transform(X[:3].astype(np.float32))
    assert hidden.dtype == np.float64  # the model computes in the dtype it was fitted in


def test_partial_fit_streams_without_rebuilding(multiclass_data):
    X, y = multiclass_data
    clf = _classifier()
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X[:50], y[:50])
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    network, coefs, optimizer = clf.network_, clf.coefs_, clf._optimizer
    before = [c.copy() for c in coefs]
    assert clf.n_iter_ == 1
    clf.partial_fit(X[50:], y[50:])
    assert clf.network_ is network
    assert clf._optimizer is optimizer
    assert all(a is b for a, b in zip(clf.coefs_, coefs, strict=True))
    assert any(not np.array_equal(a, b) for a, b in zip(clf.coefs_, before, strict=True))
    assert clf.n_iter_ == 1  # the epochs of the last call, as scikit-learn counts
    assert clf.t_ == len(y)
    assert len(clf.loss_curve_) == 2
    for _ in range(40):
        for start in range(0, len(y), 50):
            clf.partial_fit(X[start : start + 50], y[start : start + 50])
    assert clf.score(X, y) > 0.85
    assert clf.network_ is network


def test_partial_fit_classes_may_be_absent_from_a_batch(multiclass_data):
    X, y = multiclass_data
    clf = _classifier()
    clf.partial_fit(X[y == 0], y[y == 0], classes=np.array([0, 1, 2]))
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (len(y), 3)
    before = clf.predict_proba(X[y == 2])[:, 2].mean()
    clf.partial_fit(X[y == 2], y[y == 2], classes=[0, 1, 2])
    # a batch of class 2 alone trains class 2's output, which the first call never saw
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 2  # n_iter_: this call's epochs
    assert clf.predict_proba(X[y == 2])[:, 2].mean() > before


def test_partial_fit_rejects_unseen_classes_and_changed_classes(multiclass_data):
    X, y = multiclass_data
    clf = _classifier().partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    with pytest.raises(ValueError, match=r"not seen at the first call \[2\]"):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="differs from the classes of the first call"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not seen"):
        _classifier().partial_fit(X, y, classes=[0, 1])


def test_partial_fit_regressor_and_unsupported_settings(regression_data):
    X, y = regression_data
    reg = _regressor()
    reg.partial_fit(X, y)
    network = reg.network_
    reg.partial_fit(X, y)
    assert reg.network_ is network and reg.n_iter_ == 1
    assert len(reg.loss_curve_) == 2 and reg.loss_curve_[1] < reg.loss_curve_[0]
    # as scikit-learn: no partial_fit attribute with L-BFGS
    for estimator in (_regressor(solver="lbfgs"), _classifier(solver="lbfgs")):
        assert not hasattr(estimator, "partial_fit")
        with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
            estimator.partial_fit(X, y > 0)
        assert "only available for stochastic solvers" in str(info.value.__cause__)
    with pytest.raises(ValueError, match="early_stopping"):
        _regressor(early_stopping=True).partial_fit(X, y)


def test_warm_start_continues_training(multiclass_data):
    X, y = multiclass_data
    # plain full-batch gradient descent has no optimizer state and no shuffling, so two
    # warm-started fits of 3 epochs are exactly one fit of 6 epochs
    params = {"solver": "sgd", "momentum": 0.0, "batch_size": "full", "shuffle": False}
    clf = _classifier(warm_start=True, max_iter=3, **params).fit(X, y)
    network = clf.network_
    clf.fit(X, y)
    assert clf.network_ is network
    # n_iter_ counts the last fit; loss_curve_ goes on across warm starts (scikit-learn's rules)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 6
    once = _classifier(max_iter=6, **params).fit(X, y)
    for a, b in zip(clf.coefs_, once.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(clf.loss_curve_, once.loss_curve_, rtol=1e-12)
    cold = _classifier(warm_start=False, max_iter=3, **params).fit(X, y)
    first_network = cold.network_
    cold.fit(X, y)
    assert cold.network_ is not first_network
    assert cold.n_iter_ == 3
    np.testing.assert_allclose(cold.loss_curve_, once.loss_curve_[:3], rtol=1e-12)


# -- progress, callbacks, probabilities, decision function -------------------------------------


def test_verbose_prints_scikit_learns_lines(binary_data, capsys):
    clf = _classifier(verbose=True, max_iter=3).fit(*binary_data)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.splitlines() == [
        f"Iteration {epoch}, loss = {loss:.8f}"
        for epoch, loss in enumerate(clf.loss_curve_, start=1)
    ]
    clf = _classifier(verbose=2, max_iter=3, early_stopping=True).fit(*binary_data)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"Validation score: {clf.validation_scores_[0]:f}"


def test_verbose_progress_shows_a_progress_bar_on_stderr(binary_data, capsys):
    _classifier(verbose="progress", max_iter=3).fit(*binary_data)
    captured = capsys.readouterr()
    for epoch in (1, 2, 3):
        assert f"epoch {epoch}: loss" in captured.err
    assert captured.out == ""
    _classifier(verbose="progress", max_iter=30, early_stopping=True).fit(*binary_data)
    assert "val score" in capsys.readouterr().err
    with pytest.raises(ValueError, match="verbose must be True or False, an integer >= 0 or 'pro"):
        _classifier(verbose="bar").fit(*binary_data)


def test_quiet_by_default(binary_data, capsys):
    _classifier(max_iter=3).fit(*binary_data)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_callbacks_are_called(multiclass_data):
    X, y = multiclass_data
    recorder = Recorder()
    clf = _classifier(solver="sgd", batch_size=50, max_iter=4).fit(X, y, callbacks=[recorder])
    assert recorder.calls == {"train_begin": 1, "batch_end": 12, "epoch_end": 4, "train_end": 1}
    assert recorder.networks == {id(clf.network_)}
    # fresh gradients at every batch: nonzero and not all equal
    assert all(all(norm > 0 for norm in norms) for norms in recorder.gradient_norms)
    assert len({tuple(norms) for norms in recorder.gradient_norms}) == 12
    regressor_recorder = Recorder()
    MLPRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(X, y, callbacks=[regressor_recorder])
    assert regressor_recorder.calls["epoch_end"] == 2


def test_a_callback_can_stop_training(binary_data):
    clf = _classifier(max_iter=50).fit(*binary_data, callbacks=[Recorder(stop_after=3)])
    assert clf.n_iter_ == 3


def test_convergence_warning():
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        _classifier(max_iter=2).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="L-BFGS"):
        _classifier(solver="lbfgs", max_iter=2).fit(X, y)


@pytest.mark.parametrize("data", ["binary_data", "multiclass_data"])
def test_predict_proba_rows_sum_to_one(data, request):
    X, y = request.getfixturevalue(data)
    clf = _classifier().fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(clf.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(proba >= 0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[np.argmax(proba, axis=1)])
    log_proba = clf.predict_log_proba(X)
    np.testing.assert_allclose(log_proba, np.log(proba), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("data", ["binary_data", "separable_multiclass_data"])
def test_predict_log_proba_stays_finite_where_proba_underflows(data, request):
    X, y = request.getfixturevalue(data)
    clf = _classifier(solver="lbfgs", activation="identity", max_iter=200).fit(X, y)
    extreme = X * 1e4  # huge logits: some probabilities underflow to exactly 0
    proba = clf.predict_proba(extreme)
    log_proba = clf.predict_log_proba(extreme, from_logits=True)
    with np.errstate(divide="raise"):  # scikit-learn's log(predict_proba), without a warning
        np.testing.assert_array_equal(clf.predict_log_proba(extreme)[proba == 0.0], -np.inf)
    assert np.any(proba == 0.0)
    assert np.all(np.isfinite(log_proba))
    assert np.all(log_proba[proba == 0.0] < -700)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    visible = proba > 1e-300
    np.testing.assert_allclose(log_proba[visible], np.log(proba[visible]), rtol=1e-10, atol=1e-12)


def test_decision_function_shapes(binary_data, multiclass_data):
    X, y = binary_data
    binary = _classifier().fit(X, y)
    scores = binary.decision_function(X)
    assert scores.shape == (len(X),)
    np.testing.assert_array_equal(binary.predict(X), binary.classes_[(scores > 0).astype(int)])
    np.testing.assert_allclose(binary.predict_proba(X)[:, 1], 1 / (1 + np.exp(-scores)))
    X, y = multiclass_data
    multi = _classifier().fit(X, y)
    assert multi.decision_function(X).shape == (len(X), 3)
    assert multi.decision_function(X[:1]).shape == (1, 3)
    with pytest.raises(ValueError, match="0 sample"):  # as scikit-learn's estimators
        binary.predict(X[:0, :2])


# -- dtypes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_the_model_computes_in_the_dtype_of_x(dtype, solver, multiclass_data):
    X, y = multiclass_data
    X = X.astype(dtype)
    clf = _classifier(
        solver=solver, max_iter=5, hidden_layer_sizes=(6, 4), activation=["tanh", "prelu"]
    ).fit(X, y)
    assert clf.dtype_ == np.dtype(dtype)
    for array in [*clf.coefs_, *clf.intercepts_, *clf.network_.parameters()]:
        assert array.dtype == dtype
    if solver != "lbfgs":
        state = clf._optimizer.state_dict()
        buffers = [b for value in state.values() if isinstance(value, list) for b in value]
        assert buffers or solver == "sgd"
        assert all(b.dtype == dtype for b in buffers)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0, rtol=1e-6)
    for method in ("predict_proba", "predict_log_proba", "decision_function", "transform"):
        assert getattr(clf, method)(X).dtype == dtype
        # the model keeps its own dtype whatever the dtype of the input at predict time
        assert getattr(clf, method)(X.astype(np.float64)).dtype == dtype
    reg = _regressor(solver=solver, max_iter=5).fit(X, y.astype(dtype))
    assert reg.predict(X).dtype == dtype
    assert all(c.dtype == dtype for c in reg.coefs_)


def test_integer_input_trains_in_float64():
    X = np.arange(40).reshape(20, 2) % 7
    y = (X[:, 0] > 3).astype(int)
    clf = _classifier(max_iter=3).fit(X, y)
    assert clf.dtype_ == np.float64 and clf.coefs_[0].dtype == np.float64


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_float32_and_float64_fits_agree(solver, separable_multiclass_data):
    X, y = separable_multiclass_data
    fit64 = _classifier(solver=solver, max_iter=100).fit(X, y)
    fit32 = _classifier(solver=solver, max_iter=100).fit(X.astype(np.float32), y)
    np.testing.assert_array_equal(fit32.predict(X), fit64.predict(X))
    np.testing.assert_array_equal(fit32.predict(X), y)
    np.testing.assert_allclose(fit32.predict_proba(X), fit64.predict_proba(X), rtol=1e-2, atol=1e-6)


# -- labels as scikit-learn has them ---------------------------------------------------------------


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["no", "yes"]),
        np.array([-1, 1]),
        np.array([False, True]),
        np.array([1.0, 3.0]),
        np.array(["a", "b", "c"]),
    ],
    ids=["strings", "minus-one-one", "bools", "floats", "three-strings"],
)
def test_labels_behave_as_in_scikit_learn(labels, binary_data, separable_multiclass_data):
    X, index = binary_data if len(labels) == 2 else separable_multiclass_data
    y = labels[index]
    ours = _classifier(solver="lbfgs", max_iter=100).fit(X, y)
    theirs = SklearnMLPClassifier((8,), solver="lbfgs", max_iter=100, random_state=0).fit(X, y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.classes_.dtype == theirs.classes_.dtype
    prediction = ours.predict(X)
    assert prediction.dtype == theirs.predict(X).dtype
    np.testing.assert_array_equal(prediction, theirs.predict(X))
    np.testing.assert_array_equal(prediction, y)
    assert ours.predict_proba(X).shape == theirs.predict_proba(X).shape


def test_a_single_class_training_set_behaves_as_in_scikit_learn(binary_data):
    X, _ = binary_data
    y = np.full(len(X), "only")
    ours = _classifier(max_iter=5).fit(X, y)
    theirs = SklearnMLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.score(X, y) == theirs.score(X, y) == 1.0
    # scikit-learn returns two probability columns for its one class; ours keeps one column
    # per entry of classes_, as predict_proba documents
    np.testing.assert_array_equal(ours.predict_proba(X), np.ones((len(X), 1)))
    np.testing.assert_array_equal(ours.predict_log_proba(X), np.zeros((len(X), 1)))


# -- bad input -----------------------------------------------------------------------------------


def _with(X, index, value):
    X = np.array(X, dtype=float)
    X.flat[index] = value
    return X


BAD_FIT_INPUT = [
    ("nan-X", lambda X, y: (_with(X, 3, np.nan), y), "Input X contains NaN"),
    ("inf-X", lambda X, y: (_with(X, 3, np.inf), y), "Input X contains infinity"),
    ("nan-y", lambda X, y: (X, _with(y, 0, np.nan)), "Input y contains NaN"),
    ("empty", lambda X, y: (X[:0], y[:0]), "0 sample"),
    ("one-d-X", lambda X, y: (X[:, 0], y), "Reshape your data"),
    ("lengths", lambda X, y: (X, y[:-1]), "inconsistent numbers of samples"),
    ("complex-X", lambda X, y: (X.astype(complex), y), "Complex data not supported"),
    ("string-X", lambda X, y: (np.full(X.shape, "a"), y), "could not convert|float"),
    ("3d-X", lambda X, y: (X[:, :, None], y), "dim 3|3D|2D"),
]


@pytest.mark.parametrize(
    ("case", "make", "message"), BAD_FIT_INPUT, ids=[c[0] for c in BAD_FIT_INPUT]
)
@pytest.mark.parametrize("estimator", ["classifier", "regressor"])
def test_bad_fit_input_is_rejected_clearly(case, make, message, estimator, binary_data):
    X, y = make(*binary_data)
    model = _classifier() if estimator == "classifier" else _regressor()
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)


def test_inf_in_regression_target(regression_data):
    X, y = regression_data
    with pytest.raises(ValueError, match="Input y contains infinity"):
        _regressor().fit(X, _with(y, 2, np.inf))


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_continuous_target_for_a_classifier(scale, regression_data):
    X, y = regression_data
    target = y if scale == 1.0 else scale + np.round(y)  # non-integral floats: continuous too
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        _classifier().fit(X, target)
    with pytest.raises(ValueError, match="Unknown label type"):  # scikit-learn refuses too
        SklearnMLPClassifier().fit(X, target)


def test_bad_predict_input(binary_data):
    X, y = binary_data
    clf = _classifier(max_iter=2).fit(X, y)
    reg = _regressor(max_iter=2).fit(X, y.astype(float))
    for model in (clf, reg):
        with pytest.raises(ValueError, match=r"X has 3 features, but \w+ is expecting 2"):
            model.predict(np.ones((4, 3)))
        with pytest.raises(ValueError, match="NaN"):
            model.predict(_with(X, 0, np.nan))
        with pytest.raises(ValueError, match="Reshape your data"):
            model.predict(X[:, 0])
        with pytest.raises(ValueError, match="X has 3 features"):
            model.transform(np.ones((4, 3)))


@pytest.mark.parametrize(
    "method",
    ["predict", "predict_proba", "predict_log_proba", "decision_function", "transform", "score"],
)
def test_using_an_unfitted_classifier_raises_not_fitted(method, binary_data):
    X, y = binary_data
    args = (X, y) if method == "score" else (X,)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(MLPClassifier(), method)(*args)


def test_using_an_unfitted_regressor_raises_not_fitted(binary_data):
    X, _ = binary_data
    for method in ("predict", "transform"):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(MLPRegressor(), method)(X)


INVALID_PARAMS = [
    ({"learning_rate_init": -0.1}, r"learning_rate_init must be a number > 0; got -0.1"),
    ({"learning_rate_init": math.nan}, "learning_rate_init must be"),
    (
        {"solver": "newton"},
        r"solver must be one of 'lbfgs', 'adagrad', 'adam', 'adamw', 'rmsprop', 'sgd'; "
        r"got 'newton'",
    ),
    (
        {"activation": "swishy"},
        r"activation must be one of .*'maxout'.*'prelu'.*'relu'.*'tanh'.*; got 'swishy'",
    ),
    (
        {"learning_rate": "fast"},
        r"learning_rate must be one of .*'adaptive'.*'constant'.*'invscaling'.*; got 'fast'",
    ),
    ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes must be an integer >= 1 or a list of"),
    ({"hidden_layer_sizes": (4.5,)}, "hidden_layer_sizes must be an integer >= 1 or a list of"),
    ({"hidden_layer_sizes": "wide"}, "hidden_layer_sizes must be an integer >= 1 or a list of"),
    ({"batch_size": 0}, "batch_size must be an integer >= 1 or one of 'auto', 'full'"),
    ({"batch_size": True}, "batch_size must be"),
    ({"max_iter": 0}, "max_iter must be an integer >= 1"),
    ({"alpha": -1.0}, "alpha must be a number >= 0"),
    ({"momentum": 1.5}, r"momentum must be a number in \[0, 1\)"),
    ({"beta_2": 1.0}, r"beta_2 must be a number in \[0, 1\)"),
    ({"validation_fraction": 0.0}, r"validation_fraction must be a number in \(0, 1\)"),
    ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\)"),
    ({"dropout": [0.5, 1.0]}, r"dropout must be a number in \[0, 1\)"),
    ({"n_iter_no_change": 0}, "n_iter_no_change must be an integer >= 1 or numpy.inf"),
    ({"n_iter_no_change": 2.5}, "n_iter_no_change must be an integer >= 1 or numpy.inf"),
    ({"tol": -1e-3}, "tol must be a number >= 0"),
    ({"epsilon": 0.0}, "epsilon must be a number > 0"),
    ({"shuffle": "yes"}, "shuffle must be True or False"),
    ({"maxout_pieces": 0}, "maxout_pieces must be an integer >= 1"),
    ({"loss": "squared_error"}, r"loss must be one of 'log_loss', 'hinge'; got 'squared_error'"),
]


@pytest.mark.parametrize(
    ("params", "message"),
    INVALID_PARAMS,
    ids=[next(iter(p)) + "-" + str(i) for i, (p, _) in enumerate(INVALID_PARAMS)],
)
def test_invalid_hyper_parameters_are_named(params, message, binary_data):
    with pytest.raises(ValueError, match=message):
        _classifier(**params).fit(*binary_data)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"loss": "log_loss"},
            r"loss must be one of 'squared_error', 'huber', 'poisson'; got 'log_loss'",
        ),
        ({"huber_delta": 0.0}, "huber_delta must be a number > 0"),
        ({"solver": "Adam"}, "solver must be one of .*; got 'Adam'"),
    ],
)
def test_invalid_regressor_hyper_parameters(params, message, regression_data):
    with pytest.raises(ValueError, match=message):
        _regressor(**params).fit(*regression_data)


def test_hyper_parameters_are_json_and_clone_cleanly():
    for model in (
        MLPClassifier(),
        MLPRegressor(),
        _classifier(activation=["tanh"], class_weight={0: 2.0}),
    ):
        params = model.get_params()
        assert set(json.loads(json.dumps(params, allow_nan=False))) == set(params)
        assert clone(model).get_params() == params


# -- divergence ---------------------------------------------------------------------------------


def _assert_diverges(model, X, y):
    seen = []
    recorder = type(
        "BatchLog",
        (Callback,),
        {"on_batch_end": lambda self, network, logs: seen.append((logs["epoch"], logs["batch"]))},
    )()
    with pytest.raises(DivergenceError, match=r"epoch \d+, batch \d+") as info:
        model.fit(X, y, callbacks=[recorder])
    error = info.value
    last_epoch, last_batch = seen[-1]
    if "the loss became" in str(error):  # a non-finite batch: the one after the last logged
        assert (error.epoch, error.batch) in ((last_epoch, last_batch + 1), (last_epoch + 1, 0))
    else:  # the epoch's mean loss, judged after its last batch
        assert "the epoch's mean loss" in str(error)
        assert (error.epoch, error.batch) == (last_epoch, last_batch)
    assert f"epoch {error.epoch + 1}, batch {error.batch + 1}" in str(error)
    assert all(np.isfinite(p).all() for p in model.network_.parameters())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_huge_learning_rate_raises_divergence_error(dtype, regression_data):
    X, y = regression_data
    model = _regressor(solver="sgd", learning_rate_init=10.0, max_iter=200)
    _assert_diverges(model, X.astype(dtype), 100 * y)


def test_a_diverging_classifier_raises_divergence_error():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = rng.integers(0, 3, size=100)  # noise: the loss can never reach zero
    model = _classifier(
        activation="identity",
        solver="sgd",
        learning_rate_init=1e8,
        max_iter=500,
        n_iter_no_change=500,
    )
    _assert_diverges(model, X, y)


# -- BLAS threads ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("blas_threads", "batch_size", "expect_one"),
    [
        ("auto", 16, True),  # 16 rows x a 20 x 16 matrix: a small product
        (None, 16, False),
        (1, 16, True),
    ],
)
def test_blas_threads_apply_during_the_fit_and_are_restored(
    blas_threads, batch_size, expect_one, blas_thread_counts
):
    from sigmanet.training import LambdaCallback

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 20)), rng.integers(0, 3, size=64)
    before = blas_thread_counts()
    seen: list[list[int]] = []
    probe = LambdaCallback(on_batch_end=lambda network, logs: seen.append(blas_thread_counts()))
    clf = MLPClassifier(
        hidden_layer_sizes=(16,), batch_size=batch_size, max_iter=1, blas_threads=blas_threads
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y, callbacks=[probe])
    expected = [1] * len(before) if expect_one else before
    assert seen and all(threads == expected for threads in seen)
    assert blas_thread_counts() == before


def test_blas_threads_apply_to_lbfgs(monkeypatch, blas_thread_counts):
    from sigmanet.estimators import _base

    seen = []
    original = _base.train_lbfgs

    def recording(*args, **kwargs):
        seen.append(blas_thread_counts())
        return original(*args, **kwargs)

    monkeypatch.setattr(_base, "train_lbfgs", recording)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=50)
    MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, blas_threads=1).fit(X, y)
    assert seen == [[1] * len(blas_thread_counts())]


@pytest.mark.parametrize("bad", ["many", 0, 2.5, True])
def test_blas_threads_are_checked_before_any_work(bad):
    X, y = np.ones((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="blas_threads must be 'auto', an integer >= 1 or None"):
        MLPClassifier(blas_threads=bad).fit(X, y)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_the_engine_is_a_parameter_and_the_one_used_is_an_attribute(cls, multiclass_data):
    X, y = multiclass_data
    common = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0, "batch_size": 16}
    reference = cls(engine="numpy", **common).fit(X, y)
    compiled = cls(**common).fit(X, y)
    lbfgs = cls(solver="lbfgs", engine="compiled", **common).fit(X, y)
    lbfgs_numpy = cls(solver="lbfgs", engine="numpy", **common).fit(X, y)
    with_dropout = cls(dropout=0.1, **common).fit(X, y)
    with_tanh = cls(activation="tanh", **common).fit(X, y)  # faster on NumPy: "auto" keeps it
    assert (reference.engine_, compiled.engine_) == ("numpy", "compiled")
    assert (lbfgs.engine_, lbfgs_numpy.engine_) == ("compiled", "numpy")
    assert (with_dropout.engine_, with_tanh.engine_) == ("numpy", "numpy")
    for fast, slow in ((compiled, reference), (lbfgs, lbfgs_numpy)):
        np.testing.assert_allclose(fast.loss_curve_, slow.loss_curve_, rtol=1e-12)
        for a, b in zip(fast.coefs_, slow.coefs_, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(fast.predict(X), slow.predict(X), rtol=1e-10, atol=1e-13)
    with pytest.raises(ValueError, match="engine='compiled' cannot train"):
        cls(dropout=0.1, engine="compiled", **common).fit(X, y)
    with pytest.raises(ValueError, match="engine must be one of"):
        cls(engine="gpu", **common).fit(X, y)
