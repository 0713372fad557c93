"""``sigmanet train --stream``: training from a file larger than memory, in row batches.

The file is streamed through :func:`sigmanet.streaming.fit_file` (Parquet row groups in a new
order every epoch, CSV blocks in file order, a shuffle buffer for both) into the estimator's
``partial_fit``, so memory stays flat in the file's size. The saved model is the same kind of
pipeline as ``train`` without ``--stream`` saves: its input columns by name, the scaler when
``--standardize`` was given, then the estimator; ``predict``, ``evaluate`` and ``info`` read it
back as any other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sigmanet.cli._data import _data_errors
from sigmanet.cli._errors import CommandError, UsageError

# Options of `train` that need the whole file in memory (or a held-out split of it).
_IN_MEMORY_ONLY = {
    "one_hot_categoricals": "--one-hot-categoricals",
    "scale_target": "--scale-target",
    "report": "--report",
    "float32": "--float32",
}


def train_streaming(args: Any, estimator: Any, drop: list[str], console: Any) -> Any:
    """Train ``estimator`` on ``args.data`` streamed; return the fitted pipeline.

    ``--max-iter`` is the number of passes over the file (1 by default), ``--shuffle-buffer``
    the rows mixed in memory; every feature column must be numeric and complete.
    """
    from sklearn.pipeline import Pipeline

    from sigmanet.data import check_columns, read_header
    from sigmanet.preprocessing import InputColumns
    from sigmanet.streaming import fit_file

    given = [option for name, option in _IN_MEMORY_ONLY.items() if getattr(args, name, None)]
    if args.impute != "none":
        given.append(f"--impute {args.impute}")
    if given:
        raise UsageError(
            f"{', '.join(given)} cannot be combined with --stream (it reads the file in batches; "
            "encode, impute or scale the file first, or train without --stream)"
        )
    if not hasattr(estimator, "partial_fit"):
        raise UsageError(
            f"--stream trains a model that learns batch by batch (--model mlp-classifier or "
            f"mlp-regressor); {type(estimator).__name__} has no partial_fit"
        )
    if type(estimator).__name__ in ("LogisticRegression", "SoftmaxRegression"):
        raise UsageError(
            f"--stream trains --model mlp-classifier or mlp-regressor; {type(estimator).__name__}"
            "'s partial_fit would penalise each batch as if it were the whole file: train it "
            "without --stream (solver lbfgs)"
        )
    with _data_errors():
        header = read_header(args.data)
        check_columns(header, [args.target], "target column")
        check_columns(header, drop, "--drop-columns:")
    features = [name for name in header.names if name != args.target and name not in drop]
    if not features:
        raise CommandError(f"{header.source}: no feature columns are left besides the target")
    if "verbose" in estimator.get_params():
        estimator.set_params(verbose=False)  # one call per batch: its progress would flood
    epochs = args.max_iter or 1
    console.print(
        f"streaming {type(estimator).__name__} on {Path(args.data).name} ({len(features)} "
        f"features, {epochs} pass(es), a shuffle buffer of {args.shuffle_buffer:,} rows; "
        "no validation split)"
    )
    try:
        with _data_errors():
            fitted, report = fit_file(
                estimator,
                args.data,
                args.target,
                features=features,
                epochs=epochs,
                shuffle_buffer=args.shuffle_buffer,
                standardize=args.standardize,
                random_state=args.random_state,
            )
    except (ValueError, TypeError) as error:
        raise CommandError(f"{args.data}: {error}") from error
    if isinstance(args.class_weight, dict):
        from sigmanet.cli.train import _class_weights

        # recorded under the model's own labels (integers where the file's are), as training
        # without --stream records them, so that the loaded model can go on with partial_fit
        labels = np.asarray(estimator.classes_)
        estimator.set_params(class_weight=_class_weights(args.class_weight, labels, "", args))
        estimator._record_fitted_params()
    console.print(
        f"done: {report.rows:,} rows x {report.epochs} pass(es), {report.calls} batches, "
        f"{report.rows_per_second:,.0f} rows/s"
    )
    columns = InputColumns(features).fit(np.empty((0, len(features))))
    steps: list[tuple[str, Any]] = [("columns", columns)]
    if fitted is not estimator:  # the scaler of --standardize comes first
        steps.append(("standardize", fitted.named_steps["scale"]))
    return Pipeline([("preprocessing", Pipeline(steps)), ("model", estimator)])


def save_streamed(args: Any, pipeline: Any, console: Any) -> None:
    """Write the streamed model to ``--save`` (as ``train`` does; never over a file unasked)."""
    from sigmanet.persistence import save

    try:
        save(pipeline, args.save, overwrite=args.force)
    except FileExistsError as error:
        raise CommandError(f"{args.save} already exists; pass --force to overwrite it") from error
    console.print(f"saved the model and its preprocessing to {args.save}")
