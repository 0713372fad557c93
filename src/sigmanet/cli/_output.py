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


def classification_metrics(model: Any, X: np.ndarray, y: np.ndarray) -> tuple[list, np.ndarray]:
    """(name, value) rows and the confusion matrix of a classifier on (X, y)."""
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
    )

    classes = np.asarray(model.classes_)
    predicted = model.predict(X)
    rows: list[tuple[str, Any]] = [
        ("samples", len(y)),
        ("accuracy", float(accuracy_score(y, predicted))),
    ]
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        rows.append(("log loss", float(log_loss(y, proba, labels=classes))))
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
        console.print(_metrics_table(rows))
        console.print("confusion matrix (rows: true class, columns: predicted class)")
        console.print(_confusion_table(matrix, list(np.asarray(model.classes_))))
    else:
        console.print(_metrics_table(regression_metrics(model, X, y)))
