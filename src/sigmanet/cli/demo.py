"""``sigmanet demo``: an MLP trained on scikit-learn's bundled digits, epoch by epoch."""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path
from typing import Any

import click
import numpy as np

from sigmanet.cli._command import CONTEXT_SETTINGS, examples, run
from sigmanet.cli._errors import CommandError
from sigmanet.cli._models import _estimator_classes
from sigmanet.cli._output import (
    _confusion_table,
    _console,
    _emit_warnings,
    _metrics_table,
    classification_metrics,
)

#: the example files ``demo --write-data DIR`` writes, used by the README's command lines
EXAMPLE_FILES = ("iris.csv", "new_flowers.csv", "two_features.csv", "balances.csv", "step.json")


def _example_files() -> dict[str, str]:
    """The text of each example file: scikit-learn's iris and a synthetic regression table."""
    from sklearn.datasets import load_iris

    iris = load_iris()
    species = iris.target_names[iris.target]
    names = [name.replace(" (cm)", "").replace(" ", "_") for name in iris.feature_names]

    def table(header: list[str], rows: list[list[Any]]) -> str:
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return text.getvalue()

    flowers = [
        [f"f{index + 1:03d}", *(f"{value:g}" for value in row), label]
        for index, (row, label) in enumerate(zip(iris.data, species, strict=True))
    ]
    # balances: a target in the tens of thousands, where --scale-target matters
    rng = np.random.default_rng(0)
    n = 400
    income = rng.uniform(20_000, 150_000, n)
    limit = income * rng.uniform(0.2, 0.6, n)
    cards = rng.integers(1, 6, n)
    balance = np.maximum(0.0, 0.9 * limit - 0.1 * income + 2_000 * cards + rng.normal(0, 3_000, n))
    step = {
        "x": [0.05, 0.10],
        "y": [0.01, 0.99],
        "weights": [[[0.15, 0.25], [0.20, 0.30]], [[0.40, 0.50], [0.45, 0.55]]],
        "biases": [[0.35, 0.35], [0.60, 0.60]],
        "learning_rate": 0.5,
    }
    return {
        "iris.csv": table(["flower", *names, "species"], flowers),
        "new_flowers.csv": table(["flower", *names], [row[:-1] for row in flowers[::10]]),
        "two_features.csv": table(
            ["petal_length", "petal_width", "species"], [row[3:] for row in flowers]
        ),
        "balances.csv": table(
            ["income", "limit", "cards", "balance"],
            [
                [f"{a:.2f}", f"{b:.2f}", int(c), f"{d:.2f}"]
                for a, b, c, d in zip(income, limit, cards, balance, strict=True)
            ],
        ),
        "step.json": json.dumps(step, indent=2) + "\n",
    }


def _write_data(directory: str, force: bool, stderr: Any) -> int:
    from sigmanet.persistence import write_atomically

    folder = Path(directory)
    if not folder.is_dir():
        raise CommandError(f"--write-data {directory}: no such directory")
    existing = [name for name in EXAMPLE_FILES if (folder / name).exists()]
    if existing and not force:
        raise CommandError(
            f"{', '.join(existing)} already exist(s) in {directory}; pass --force to overwrite"
        )
    for name, text in _example_files().items():
        try:
            write_atomically(folder / name, text.encode("utf-8"), overwrite=force)
        except OSError as error:
            raise CommandError(
                f"cannot write {folder / name}: {error.strerror or error}"
            ) from error
    print(f"wrote {', '.join(EXAMPLE_FILES)} to {directory}", file=stderr)
    return 0


def cmd_demo(args: Any, stdout: Any, stderr: Any) -> int:
    if args.write_data is not None:
        return _write_data(args.write_data, args.force, stderr)
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
        """examples:
  sigmanet demo
  sigmanet demo --write-data .      # iris.csv, balances.csv, ... for the README's commands"""
    ),
)
@click.option(
    "--max-iter", type=click.IntRange(min=1), default=30, metavar="N", help="epochs (default 30)"
)
@click.option("--random-state", type=int, default=0, metavar="SEED", help="seed (default 0)")
@click.option(
    "--write-data",
    metavar="DIR",
    help="instead of training, write the example files of the README to DIR: "
    + ", ".join(EXAMPLE_FILES),
)
@click.option("--force", is_flag=True, help="with --write-data: overwrite existing files")
def command(**options: Any) -> int:
    """Train an MLPClassifier on scikit-learn's bundled digits (no download) and report the
    held-out accuracy."""
    return run(cmd_demo, options)
