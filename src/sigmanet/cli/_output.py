"""What the commands print: tables, numbers, metrics, warnings."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from sigmanet.cli._errors import PROG
from sigmanet.cli._models import _is_classifier


def _emit_warnings(caught: list[warnings.WarningMessage], stderr: Any) -> None:
    seen = set()
    for warning in caught:
        text = str(warning.message).strip()
        if text not in seen:
            seen.add(text)
            print(f"{PROG}: warning: {text}", file=stderr)


def _console(file: Any) -> Any:
    from rich.console import Console

    width = None if getattr(file, "isatty", lambda: False)() else 120
    # markup off: file names and labels are printed as they are, "[" included
    return Console(file=file, width=width, highlight=False, soft_wrap=False, markup=False)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float | np.floating):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.6g}"
    return str(value)


def _format_number(value: Any) -> str:
    """A number in the shortest form that reads back to the same float."""
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, np.integer | np.bool_):
        return str(value.item())
    return str(value)


def _metrics_table(rows: list[tuple[str, Any]]) -> Any:
    from rich.table import Table as RichTable

    table = RichTable()
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, _fmt(value))
    return table


def _confusion_table(matrix: np.ndarray, labels: Sequence[Any]) -> Any:
    from rich.table import Table as RichTable

    table = RichTable()
    table.add_column("true \\ pred")
    for label in labels:
        table.add_column(str(label), justify="right")
    for label, row in zip(labels, matrix, strict=True):
        table.add_row(str(label), *(str(int(count)) for count in row))
    return table


#: a confusion matrix with more classes than this is shown as its largest confusions
MATRIX_CLASSES = 12
#: the confusions listed when the matrix is too wide to read
TOP_CONFUSIONS = 15


def classification_metrics(model: Any, X: np.ndarray, y: np.ndarray) -> tuple[list, np.ndarray]:
    """(name, value) rows and the confusion matrix of a classifier on (X, y).

    The rows: samples, accuracy, log loss and ROC AUC (from ``predict_proba``), and the macro
    averages of precision, recall and F1. ROC AUC is the area under the ROC curve of the
    second class's probability for two classes, and the mean of the one-vs-rest areas for
    more (Hand and Till's one-vs-rest form, as scikit-learn's ``multi_class="ovr"``); it needs
    every class among the true labels.

    When every true and predicted label is one of the model's classes, accuracy, precision,
    recall and F1 come from the confusion matrix, counted once (accuracy = trace / n;
    precision_k = C_kk / sum_i C_ik, recall_k = C_kk / sum_j C_kj, F1_k = 2 C_kk / (sum_i C_ik
    + sum_j C_kj), 0 where a denominator is 0, averaged over the classes), and the log loss
    is -mean(log(clip(p_true, eps, 1 - eps))): the values scikit-learn's functions give, whose
    checks of the labels would otherwise sort the whole column a dozen times.
    """
    classes = np.asarray(model.classes_)
    proba = np.asarray(model.predict_proba(X)) if hasattr(model, "predict_proba") else None
    predicted = _predicted_labels(model, X, classes, proba)
    codes = _class_codes(y, classes)
    predicted_codes = None if codes is None else _class_codes(predicted, classes)
    if codes is None or predicted_codes is None:
        return _classification_metrics_sklearn(model, X, y, classes, predicted, proba)
    n_classes = len(classes)
    matrix = np.bincount(codes * n_classes + predicted_codes, minlength=n_classes**2).reshape(
        n_classes, n_classes
    )
    rows: list[tuple[str, Any]] = [
        ("samples", len(y)),
        ("accuracy", float(np.trace(matrix) / len(y))),
    ]
    if proba is not None:
        eps = np.finfo(proba.dtype).eps
        chosen = np.clip(proba[np.arange(len(codes)), codes], eps, 1 - eps)
        rows.append(("log loss", float(np.mean(-np.log(chosen)))))
        if np.bincount(codes, minlength=n_classes).min() == 0:
            rows.append(("ROC AUC", "n/a (not every class is among the labels)"))
        elif n_classes == 2:
            rows.append(("ROC AUC", _binary_roc_auc(codes == 1, proba[:, 1])))
        else:
            from sklearn.metrics import roc_auc_score

            auc = roc_auc_score(codes, proba, multi_class="ovr", average="macro")
            rows.append(("ROC AUC (one-vs-rest, macro)", float(auc)))
    else:
        rows.append(("log loss", "n/a (no predict_proba)"))
    true_positive = np.diag(matrix).astype(np.float64)
    predicted_count, support = matrix.sum(axis=0), matrix.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted_count > 0, true_positive / predicted_count, 0.0)
        recall = np.where(support > 0, true_positive / support, 0.0)
        both = predicted_count + support
        f1 = np.where(both > 0, 2 * true_positive / both, 0.0)
    rows.append(("precision (macro)", float(np.mean(precision))))
    rows.append(("recall (macro)", float(np.mean(recall))))
    rows.append(("F1 (macro)", float(np.mean(f1))))
    return rows, matrix


def _binary_roc_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """The area under the ROC curve of ``score`` for the rows where ``positive`` is true.

    It is the Mann-Whitney statistic: the probability that a random positive row scores above
    a random negative one, ties counted as one half (Hanley and McNeil, *Radiology* 143(1),
    1982): AUC = U / (n₊ n₋), U = Σ over the positive rows of (the negatives scoring below
    it + half those scoring the same), counted by binary search in the sorted negative
    scores. U is a sum of integers and halves, exact in float64, and equals R₊ - n₊(n₊ + 1)/2
    (R₊ the positives' rank sum), so the value is the same as from the ranks, for two sorts of
    half the rows rather than an argsort of all of them. It equals scikit-learn's trapezoidal
    ``roc_auc_score``, whose checks of the labels and of the curve take several times as long
    on a million rows. Non-finite scores go to scikit-learn, which names the problem.
    """
    if not np.all(np.isfinite(score)):
        from sklearn.metrics import roc_auc_score

        return float(roc_auc_score(positive, score))
    negatives = np.sort(score[~positive])
    # sorted queries: the binary searches walk the negatives in order (cache-friendly)
    positives = np.sort(score[positive])
    below = int(np.sum(np.searchsorted(negatives, positives, side="left")))
    up_to = int(np.sum(np.searchsorted(negatives, positives, side="right")))
    return (below + up_to) / 2.0 / (positives.size * negatives.size)


#: sigmanet's classifiers whose ``predict`` is the class of the largest ``predict_proba``
#: (the output function is increasing in each logit, so the largest logit has the largest
#: probability). Named, not imported: ``train`` imports only the chosen model's module.
_ARGMAX_CLASSIFIERS = {
    "sigmanet.estimators.linear.LogisticRegression",
    "sigmanet.estimators.linear.SoftmaxRegression",
    "sigmanet.estimators.mlp.MLPClassifier",
}


def _predicts_argmax(model: Any) -> bool:
    """Whether ``model`` (or a pipeline's last step) predicts the class of its largest
    probability: one of :data:`_ARGMAX_CLASSIFIERS`, with one label per row (a multilabel
    MLP gives each label's probability apart)."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    kind = f"{type(final).__module__}.{type(final).__qualname__}"
    return kind in _ARGMAX_CLASSIFIERS and not getattr(final, "_multilabel", False)


def _predicted_labels(
    model: Any, X: Any, classes: np.ndarray, proba: np.ndarray | None
) -> np.ndarray:
    """``model.predict(X)``, taken from ``proba`` (``predict_proba(X)``) where that is the same.

    For a model of :func:`_predicts_argmax` the label of a row is ``classes[argmax(p)]``,
    which spares a second pass over the rows (and through a pipeline's preprocessing): the
    probabilities are increasing in the logits ``predict`` compares, so the two agree except
    where rounding makes the largest probabilities equal (a logit of 1e-20 gives σ = 0.5 for
    both classes, which ``predict`` decides by its sign). Rows whose two largest probabilities
    lie within a few units of rounding of each other are therefore given ``predict``'s own
    labels, as are all rows if a probability is not finite.
    """
    if (
        proba is None
        or not isinstance(X, np.ndarray)
        or not _predicts_argmax(model)
        or proba.ndim != 2
        or proba.shape != (len(X), classes.size)
        or classes.size < 2
        or not np.all(np.isfinite(proba))
    ):
        return np.asarray(model.predict(X))
    top = np.argmax(proba, axis=1)
    largest = proba[np.arange(len(top)), top]
    second = np.partition(proba, -2, axis=1)[:, -2]
    close = np.flatnonzero(largest - second <= 8 * np.finfo(proba.dtype).eps * largest)
    predicted = classes[top]
    if close.size:
        predicted[close] = model.predict(X[close])
    return predicted


def _class_codes(labels: Any, classes: np.ndarray) -> np.ndarray | None:
    """Each label's index in ``classes`` (sorted, as a classifier's ``classes_``), or None
    when a label is not one of them (or the two cannot be compared)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or classes.ndim != 1 or classes.size == 0:
        return None
    if labels.dtype.kind not in "iufbUS" or classes.dtype.kind not in "iufbUS":
        return None  # object arrays: mixed types, compared by scikit-learn's own rules
    if (labels.dtype.kind in "US") != (classes.dtype.kind in "US"):
        return None
    if np.any(classes[1:] <= classes[:-1]):
        return None
    codes = np.searchsorted(classes, labels)
    inside = codes < classes.size
    if not inside.all() or not np.array_equal(classes[codes], labels):
        return None
    return codes.astype(np.intp, copy=False)


def _classification_metrics_sklearn(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    classes: np.ndarray,
    predicted: np.ndarray,
    proba: np.ndarray | None = None,
) -> tuple[list, np.ndarray]:
    """:func:`classification_metrics` by scikit-learn's functions, for labels outside the
    model's classes (``proba``: the model's ``predict_proba(X)`` when already computed)."""
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    rows: list[tuple[str, Any]] = [
        ("samples", len(y)),
        ("accuracy", float(accuracy_score(y, predicted))),
    ]
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X) if proba is None else proba
        rows.append(("log loss", float(log_loss(y, proba, labels=classes))))
        present = set(np.unique(y).tolist())
        if len(present) < len(classes):
            rows.append(("ROC AUC", "n/a (not every class is among the labels)"))
        elif len(classes) == 2:
            rows.append(("ROC AUC", float(roc_auc_score(y == classes[1], proba[:, 1]))))
        else:
            auc = roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)
            rows.append(("ROC AUC (one-vs-rest, macro)", float(auc)))
    else:
        rows.append(("log loss", "n/a (no predict_proba)"))
    for name, metric in (
        ("precision (macro)", precision_score),
        ("recall (macro)", recall_score),
        ("F1 (macro)", f1_score),
    ):
        rows.append(
            (name, float(metric(y, predicted, labels=classes, average="macro", zero_division=0)))
        )
    matrix = confusion_matrix(y, predicted, labels=classes)
    return rows, matrix


def _per_class_table(matrix: np.ndarray, labels: Sequence[Any]) -> Any:
    """Precision, recall, F1 and support of every class, from the confusion matrix.

    precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2 P R / (P + R); 0 where a
    denominator is 0 (scikit-learn's ``zero_division=0``).
    """
    from rich.table import Table as RichTable

    true_positive = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0)
    support = matrix.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, true_positive / predicted, 0.0)
        recall = np.where(support > 0, true_positive / support, 0.0)
        total = precision + recall
        f1 = np.where(total > 0, 2 * precision * recall / total, 0.0)
    table = RichTable()
    table.add_column("class")
    for heading in ("precision", "recall", "F1", "support"):
        table.add_column(heading, justify="right")
    for index, label in enumerate(labels):
        table.add_row(
            str(label),
            _fmt(float(precision[index])),
            _fmt(float(recall[index])),
            _fmt(float(f1[index])),
            str(int(support[index])),
        )
    return table


def _confusions_table(matrix: np.ndarray, labels: Sequence[Any]) -> Any:
    """The largest off-diagonal cells of a confusion matrix, largest first."""
    from rich.table import Table as RichTable

    off = matrix.copy()
    np.fill_diagonal(off, 0)
    flat = np.argsort(-off, axis=None, kind="stable")[:TOP_CONFUSIONS]
    table = RichTable()
    table.add_column("true class")
    table.add_column("predicted as")
    table.add_column("count", justify="right")
    for index in flat.tolist():
        true, guess = divmod(index, matrix.shape[1])
        if off[true, guess] == 0:
            break
        table.add_row(str(labels[true]), str(labels[guess]), str(int(off[true, guess])))
    return table


def print_classification(
    console: Any, rows: list, matrix: np.ndarray, labels: Sequence[Any]
) -> None:
    """The metrics, the confusion matrix (or its largest confusions) and the per-class table."""
    console.print(_metrics_table(rows))
    if len(labels) <= MATRIX_CLASSES:
        console.print("confusion matrix (rows: true class, columns: predicted class)")
        console.print(_confusion_table(matrix, labels))
    else:
        errors = int(matrix.sum() - np.trace(matrix))
        console.print(
            f"largest confusions ({len(labels)} classes, too many for the whole matrix; "
            f"{errors} misclassified in all)"
        )
        console.print(_confusions_table(matrix, labels))
    console.print("per class")
    console.print(_per_class_table(matrix, labels))


def regression_metrics(model: Any, X: np.ndarray, y: np.ndarray) -> list[tuple[str, Any]]:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    predicted = np.asarray(model.predict(X), dtype=np.float64)
    rows: list[tuple[str, Any]] = [("samples", len(y))]
    rows.append(("R²", float(r2_score(y, predicted)) if len(y) >= 2 else "n/a (< 2 samples)"))
    rows.append(("MAE", float(mean_absolute_error(y, predicted))))
    rows.append(("RMSE", float(math.sqrt(mean_squared_error(y, predicted)))))
    return rows


def _print_metrics(console: Any, model: Any, X: np.ndarray, y: np.ndarray, title: str) -> None:
    console.print(title)
    if _is_classifier(model):
        rows, matrix = classification_metrics(model, X, y)
        print_classification(console, rows, matrix, list(np.asarray(model.classes_)))
    else:
        console.print(_metrics_table(regression_metrics(model, X, y)))
