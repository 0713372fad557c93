"""The classification metrics the commands print: counted once from the confusion matrix,
equal to scikit-learn's functions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sigmanet.cli._output import (
    _binary_roc_auc,
    _classification_metrics_sklearn,
    classification_metrics,
)


class _Fixed:
    """A classifier whose predictions and probabilities are given."""

    def __init__(self, classes, predicted, proba=None):
        self.classes_ = np.asarray(classes)
        self._predicted = np.asarray(predicted)
        if proba is not None:
            self._proba = np.asarray(proba)
            self.predict_proba = lambda X: self._proba

    def predict(self, X):
        return self._predicted


def _random_case(rng, classes, n, dtype=np.float64):
    classes = np.asarray(classes)
    k = len(classes)
    logits = rng.normal(size=(n, k)) * 3
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba = (proba / proba.sum(axis=1, keepdims=True)).astype(dtype)
    proba[0] = 0  # a probability of exactly 0 and 1: the clipping matters
    proba[0, 0] = 1
    y = classes[rng.integers(0, k, size=n)]
    predicted = classes[np.argmax(proba, axis=1)]
    return y, predicted, proba


@pytest.mark.parametrize(
    "classes",
    [[0, 1], [-3, 5, 7], ["ham", "spam"], ["a", "b", "c", "d"], [False, True], [1.0, 2.0, 3.0]],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_metrics_equal_scikit_learn(classes, dtype):
    rng = np.random.default_rng(0)
    y, predicted, proba = _random_case(rng, classes, 997, dtype)
    model = _Fixed(classes, predicted, proba)
    X = np.zeros((len(y), 1))
    rows, matrix = classification_metrics(model, X, y)
    expected_rows, expected_matrix = _classification_metrics_sklearn(
        model, X, y, np.asarray(classes), predicted
    )
    np.testing.assert_array_equal(matrix, expected_matrix)
    assert [name for name, _ in rows] == [name for name, _ in expected_rows]
    for (name, value), (_, expected) in zip(rows, expected_rows, strict=True):
        assert value == pytest.approx(expected, rel=1e-12, abs=0), name


def test_a_class_never_predicted_and_one_never_true():
    classes = np.array([0, 1, 2])
    y = np.array([0, 0, 1, 1, 0, 1])  # class 2 is never true
    predicted = np.array([0, 0, 0, 0, 0, 2])  # class 1 is never predicted
    proba = np.full((6, 3), 1 / 3)
    model = _Fixed(classes, predicted, proba)
    rows, matrix = classification_metrics(model, np.zeros((6, 1)), y)
    expected_rows, expected_matrix = _classification_metrics_sklearn(
        model, np.zeros((6, 1)), y, classes, predicted
    )
    np.testing.assert_array_equal(matrix, expected_matrix)
    for (name, value), (_, expected) in zip(rows, expected_rows, strict=True):
        if isinstance(value, str):
            assert value == expected
        else:
            assert value == pytest.approx(expected, rel=1e-12), name
    assert dict(rows)["precision (macro)"] == pytest.approx((3 / 5 + 0 + 0) / 3)


def test_labels_outside_the_classes_use_scikit_learn_rules():
    # a label the model does not know (a validation row of a class absent from training)
    classes = np.array([0, 1])
    y = np.array([0, 1, 2, 1])
    predicted = np.array([0, 1, 1, 1])
    model = _Fixed(classes, predicted)
    rows, matrix = classification_metrics(model, np.zeros((4, 1)), y)
    assert dict(rows)["accuracy"] == pytest.approx(3 / 4)  # the unknown label counts as wrong
    np.testing.assert_array_equal(matrix, [[1, 0], [0, 2]])
    assert dict(rows)["log loss"] == "n/a (no predict_proba)"


@pytest.mark.parametrize("decimals", [None, 2, 0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_roc_auc_equals_scikit_learn_with_and_without_ties(decimals, dtype):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(1)
    positive = rng.random(5003) < 0.3
    score = rng.normal(size=positive.size) + positive  # informative, far from 0.5
    if decimals is not None:  # many equal scores, across both classes
        score = np.round(score, decimals)
    score = score.astype(dtype)
    expected = roc_auc_score(positive, score)
    assert _binary_roc_auc(positive, score) == pytest.approx(expected, rel=1e-12, abs=0)


def test_binary_roc_auc_of_equal_scores_is_one_half_and_nan_goes_to_scikit_learn():
    positive = np.array([True, False, True, False, False])
    assert _binary_roc_auc(positive, np.full(5, 0.7)) == 0.5
    with pytest.raises(ValueError, match="NaN"):
        _binary_roc_auc(positive, np.array([0.1, np.nan, 0.3, 0.2, 0.4]))


def _fitted(kind):
    """A small fitted classifier of each kind ``train`` makes, and its data."""
    from sigmanet import LogisticRegression, MLPClassifier, SoftmaxRegression

    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 4))
    if kind == "mlp":
        y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
        model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=0)
    else:
        y = np.digitize(X[:, 0] + 0.5 * X[:, 2], [-0.5, 0.5])  # three classes
        cls = LogisticRegression if kind == "logistic" else SoftmaxRegression
        model = cls(max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the fits are kept short
        model.fit(X, y)
    return model, X, y


class _Counted:
    """A model whose predict and predict_proba calls are counted (rows passed to each)."""

    def __init__(self, model):
        self.model = model
        self.classes_ = model.classes_
        self.calls: dict[str, list[int]] = {"predict": [], "predict_proba": []}

    @property
    def steps(self):  # a pipeline of one step: the argmax rule looks at the last step
        return [("model", self.model)]

    def predict(self, X):
        self.calls["predict"].append(len(X))
        return self.model.predict(X)

    def predict_proba(self, X):
        self.calls["predict_proba"].append(len(X))
        return self.model.predict_proba(X)


@pytest.mark.parametrize("kind", ["logistic", "softmax", "mlp"])
def test_metrics_from_one_forward_pass_equal_those_of_predict(kind):
    model, X, y = _fitted(kind)
    counted = _Counted(model)
    rows, matrix = classification_metrics(counted, X, y)
    # the labels come from the probabilities: one pass, predict not called
    assert counted.calls == {"predict": [], "predict_proba": [len(X)]}
    expected_rows, expected_matrix = _classification_metrics_sklearn(
        model, X, y, np.asarray(model.classes_), model.predict(X)
    )
    np.testing.assert_array_equal(matrix, expected_matrix)
    for (name, value), (_, expected) in zip(rows, expected_rows, strict=True):
        assert value == pytest.approx(expected, rel=1e-12, abs=0), name


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_labels_of_equal_probabilities_come_from_predict(dtype):
    from sigmanet.cli._output import _predicted_labels

    model, X, _ = _fitted("logistic")
    binary = _fitted("mlp")[0]  # a two-class model: logits whose sign decides
    for fitted in (model, binary):
        X_rows = X.astype(dtype)
        proba = np.asarray(fitted.predict_proba(X_rows))
        labels = _predicted_labels(fitted, X_rows, np.asarray(fitted.classes_), proba)
        np.testing.assert_array_equal(labels, fitted.predict(X_rows))
    # logits of ±1e-20: both probabilities round to 0.5, and the label is the logit's sign
    from sigmanet import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tiny = LogisticRegression(max_iter=5, random_state=0).fit(X, X[:, 0] > 0)
    tiny.coef_ = np.array([[1e-20, 0.0, 0.0, 0.0]])
    tiny.intercept_ = np.zeros(1)
    X_tiny = np.array([[1.0, 0, 0, 0], [-1.0, 0, 0, 0], [0.0, 0, 0, 0]])
    proba = tiny.predict_proba(X_tiny)
    assert np.all(proba == 0.5)
    counted = _Counted(tiny)
    labels = _predicted_labels(counted, X_tiny, np.asarray(tiny.classes_), proba)
    np.testing.assert_array_equal(labels, [True, False, False])
    assert counted.calls["predict"] == [3]  # the three tied rows, asked of predict


def test_labels_of_other_models_come_from_predict():
    from sigmanet.cli._output import _predicted_labels

    # a model outside sigmanet's argmax classifiers: its predict is its own
    classes = np.array([0, 1])
    proba = np.array([[0.9, 0.1], [0.2, 0.8]])
    model = _Fixed(classes, [1, 1], proba)
    labels = _predicted_labels(model, np.zeros((2, 1)), classes, proba)
    np.testing.assert_array_equal(labels, [1, 1])
