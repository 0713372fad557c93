"""``sigmanet demo``: an MLP trained on scikit-learn's bundled digits, epoch by epoch."""

from __future__ import annotations

import warnings
from typing import Any

import click
import numpy as np

from sigmanet.cli._command import CONTEXT_SETTINGS, examples, run
from sigmanet.cli._models import _estimator_classes
from sigmanet.cli._output import (
    _confusion_table,
    _console,
    _emit_warnings,
    _metrics_table,
    classification_metrics,
)


def cmd_demo(args: Any, stdout: Any, stderr: Any) -> int:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from sigmanet.training import LambdaCallback

    cls = _estimator_classes()["MLPClassifier"]
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=args.random_state
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    console = _console(stdout)
    console.print(
        f"sigmanet demo: MLPClassifier(hidden_layer_sizes=(64,), activation='relu', "
        f"solver='adam', learning_rate_init=0.003, batch_size=32) on scikit-learn's digits "
        "(8x8 images, 10 classes): "
        f"{len(y_train)} training and {len(y_test)} held-out images (stratified), "
        "standardised."
    )

    def report_epoch(network: Any, logs: dict[str, Any]) -> bool:
        # digits' labels are 0..9, the network's output columns in order
        predicted = np.argmax(network.forward(X_test), axis=1)
        accuracy = float(np.mean(predicted == y_test))
        console.print(
            f"epoch {int(logs['epoch']) + 1:3d}   loss {logs['loss']:.4f}   "
            f"held-out accuracy {accuracy:.3f}"
        )
        return False

    model = cls(
        hidden_layer_sizes=(64,),
        activation="relu",
        learning_rate_init=0.003,
        batch_size=32,
        max_iter=args.max_iter,
        random_state=args.random_state,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X_train, y_train, callbacks=[LambdaCallback(on_epoch_end=report_epoch)])
    _emit_warnings(caught, stderr)
    rows, matrix = classification_metrics(model, X_test, y_test)
    console.print(f"held-out images ({len(y_test)})")
    console.print(_metrics_table(rows))
    console.print("confusion matrix (rows: true digit, columns: predicted digit)")
    console.print(_confusion_table(matrix, list(model.classes_)))
    return 0


@click.command(
    "demo",
    context_settings=CONTEXT_SETTINGS,
    short_help="train on scikit-learn's digits and report",
    epilog=examples(
        """example:
  sigmanet demo"""
    ),
)
@click.option(
    "--max-iter", type=click.IntRange(min=1), default=30, metavar="N", help="epochs (default 30)"
)
@click.option("--random-state", type=int, default=0, metavar="SEED", help="seed (default 0)")
def command(**options: Any) -> int:
    """Train an MLPClassifier on scikit-learn's bundled digits (no download) and report the
    held-out accuracy."""
    return run(cmd_demo, options)
