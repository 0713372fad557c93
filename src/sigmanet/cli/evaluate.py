"""``sigmanet evaluate``: a saved model's metrics on labelled data."""

from __future__ import annotations

import warnings
from typing import Any

import click
import numpy as np

from sigmanet.cli._command import CONTEXT_SETTINGS, examples, run
from sigmanet.cli._data import (
    _cells_checked,
    as_model_input,
    parse_target,
    prepare_inputs,
    read_for_model,
)
from sigmanet.cli._errors import PROG, CommandError, UsageError
from sigmanet.cli._models import _is_classifier, _label_kind, _load_for_data, recorded_target
from sigmanet.cli._output import _console, _emit_warnings, _print_metrics


def cmd_evaluate(args: Any, stdout: Any, stderr: Any) -> int:
    model, inputs = _load_for_data(args.model)
    if args.target is None:
        args.target = recorded_target(model)
        if args.target is None:
            raise UsageError(
                f"{args.model} does not record which column it predicts (it was saved from "
                "Python, or by an earlier sigmanet): give it with --target COLUMN"
            )
    table = read_for_model(args.data, model, inputs, args.target, progress=stderr)
    kind = _label_kind(model)
    X, rows = prepare_inputs(table, model, inputs, args.target, drop_incomplete=True)
    y, missing = parse_target(table, args.target, kind)
    y, missing = y[rows], missing[rows]
    if missing.any():
        X, y = X[~missing], y[~missing]
    if X.shape[0] < table.n_rows:
        print(
            f"{PROG}: note: evaluating {X.shape[0]} of {table.n_rows} rows (dropped rows with "
            "missing values)",
            file=stderr,
        )
    if X.shape[0] == 0:
        raise CommandError(f"{table.source}: no rows to evaluate")
    X = as_model_input(model, inputs, X)
    if _is_classifier(model):
        classes = np.asarray(model.classes_)
        if kind == "int" and classes.dtype.kind in "iu":
            y = y.astype(classes.dtype)
        unknown = sorted(set(y.tolist()) - set(classes.tolist()), key=str)
        if unknown:
            shown = ", ".join(map(str, unknown[:5])) + (" ..." if len(unknown) > 5 else "")
            raise CommandError(
                f"{table.source}: the target {args.target!r} has label(s) the model does not "
                f"know: {shown} (its classes: {', '.join(map(str, classes.tolist()[:10]))})"
            )
    console = _console(stdout)
    with warnings.catch_warnings(record=True) as caught, _cells_checked():
        warnings.simplefilter("always")
        name = type(inputs.estimator).__name__
        _print_metrics(console, model, X, y, f"{name} on {table.source}")
    _emit_warnings(caught, stderr)
    return 0


@click.command(
    "evaluate",
    context_settings=CONTEXT_SETTINGS,
    short_help="score a saved model on labelled data",
    epilog=examples(
        """example:
  sigmanet evaluate iris.safetensors test.csv
  sigmanet evaluate model.safetensors other.csv --target label"""
    ),
)
@click.argument("model", metavar="MODEL")
@click.argument("data", metavar="DATA")
@click.option(
    "--target",
    metavar="COLUMN",
    help="the column of true labels (default: the one the model was trained to predict)",
)
def command(**options: Any) -> int:
    """Score the model file MODEL on DATA. Classifiers: accuracy, log loss, ROC AUC, macro
    precision/recall/F1, the confusion matrix (its largest confusions for many classes) and
    precision/recall/F1 per class. Regressors: R², MAE, RMSE."""
    return run(cmd_evaluate, options)
