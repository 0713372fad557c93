"""Training from a Parquet file larger than memory, in row batches, with memory flat in its size.

:func:`fit_parquet` trains an estimator that has ``partial_fit`` (``MLPClassifier``,
``MLPRegressor``) from ``pyarrow.parquet.ParquetFile.iter_batches``:

1. A first pass reads the columns it needs one row group at a time and collects what training
   needs up front: the classes (a classifier's ``partial_fit`` must know every class on its
   first call) and each feature's mean and variance for standardisation (scikit-learn's
   ``StandardScaler.partial_fit``, the pairwise update of Chan, Golub & LeVeque, "Algorithms for
   computing the sample variance", The American Statistician 37, 1983). Non-finite values are
   refused here, naming the column and row group.
2. Every epoch visits the row groups in a fresh random order and reads each in record batches
   into a shuffle buffer of ``shuffle_buffer`` rows. When the buffer is full, its rows are
   permuted and half of them go to ``partial_fit`` (one call, mini-batches inside); the other
   half stay and mix with the rows that follow. The epoch's last rows are flushed the same way.

Memory is bounded by the shuffle buffer, one record batch and one row group's column chunks,
whatever the file's size (``benchmarks/streaming.py`` measures it). The shuffle is local: a
row can only move within about ``shuffle_buffer`` rows of where the row-group order puts it,
so files sorted by the target need row groups that are small beside the buffer.

pyarrow's read-ahead: ``ParquetFile(pre_buffer=True)`` fetches the column chunks of the row
groups ahead of the reader in large coalesced reads, which helps on high-latency storage
(object stores) but holds more of the file in memory; the default here is ``False``, as
pyarrow's own for ``ParquetFile``. Both are measured in the README.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["StreamReport", "fit_parquet"]


@dataclass
class StreamReport:
    """What :func:`fit_parquet` did: rows per epoch, epochs, ``partial_fit`` calls, seconds."""

    rows: int
    epochs: int
    calls: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        """Training rows processed per second (rows × epochs / seconds; the first pass excluded)."""
        return self.rows * self.epochs / self.seconds if self.seconds > 0 else math.inf


def _columns(schema: Any, target: str, features: Any) -> list[str]:
    import pyarrow as pa

    names = list(schema.names)
    if target not in names:
        raise ValueError(f"target column {target!r} is not in the file; its columns: {names}.")
    chosen = [n for n in names if n != target] if features is None else list(features)
    if not chosen:
        raise ValueError("There are no feature columns: the file holds only the target.")
    for name in chosen:
        if name not in names:
            raise ValueError(f"feature column {name!r} is not in the file; its columns: {names}.")
        kind = schema.field(name).type
        if not (
            pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
        ):
            raise TypeError(
                f"feature column {name!r} has type {kind}; streaming trains on numeric columns "
                "only (encode it first, or leave it out with features=[...])."
            )
    return chosen


def _matrix(batch: Any, features: list[str], where: str) -> np.ndarray:
    columns = []
    for name in features:
        column = batch.column(name)
        if column.null_count:
            raise ValueError(f"feature column {name!r} has missing values in {where}.")
        values = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError(f"feature column {name!r} has NaN or infinite values in {where}.")
        columns.append(values)
    return np.column_stack(columns)


def _labels(batch: Any, target: str, where: str) -> np.ndarray:
    column = batch.column(target)
    if column.null_count:
        raise ValueError(f"target column {target!r} has missing values in {where}.")
    return np.asarray(column.to_numpy(zero_copy_only=False))


def fit_parquet(
    estimator: Any,
    path: Any,
    target: str,
    *,
    features: Any = None,
    epochs: int = 1,
    batch_rows: int = 8192,
    shuffle_buffer: int = 65536,
    standardize: bool = True,
    pre_buffer: bool = False,
    random_state: Any = None,
) -> tuple[Any, StreamReport]:
    """Train ``estimator`` on the Parquet file at ``path``, streaming it in row batches.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        ``MLPClassifier`` or ``MLPRegressor`` (a stochastic solver); trained in place.
    path : str or path-like
    target : str
        The column to predict.
    features : list of str, optional
        The feature columns (numeric); all other columns by default.
    epochs : int
        Passes over the file.
    batch_rows : int
        Rows per record batch read from the file.
    shuffle_buffer : int
        Rows held for shuffling (see the module docstring); 0 feeds the batches in file order
        (within the shuffled row-group order).
    standardize : bool
        Scale the features to mean 0 and variance 1 with statistics from the first pass; the
        result is then ``Pipeline([("scale", StandardScaler), ("model", estimator)])``, which
        predicts on raw rows and saves as one model file.
    pre_buffer : bool
        pyarrow's read-ahead of column chunks (see the module docstring).
    random_state : int, Generator or None
        Seeds the row-group order and the buffer's permutations.

    Returns
    -------
    model : the estimator, or the pipeline with its scaler
    report : StreamReport
    """
    import pyarrow.parquet as pq
    from sklearn.base import is_classifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if not hasattr(estimator, "partial_fit"):
        raise TypeError(
            f"{type(estimator).__name__} has no partial_fit; streaming trains MLPClassifier or "
            "MLPRegressor with a stochastic solver."
        )
    for name, value, low in (("epochs", epochs, 1), ("batch_rows", batch_rows, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
    if isinstance(shuffle_buffer, bool) or not isinstance(shuffle_buffer, int | np.integer):
        raise ValueError(f"shuffle_buffer must be an integer >= 0; got {shuffle_buffer!r}.")
    if shuffle_buffer < 0:
        raise ValueError(f"shuffle_buffer must be an integer >= 0; got {shuffle_buffer!r}.")

    source = pq.ParquetFile(path, pre_buffer=pre_buffer)
    chosen = _columns(source.schema_arrow, target, features)
    n_groups = source.num_row_groups
    classifier = is_classifier(estimator)

    # the first pass: classes and the features' moments, one row group at a time
    scaler = StandardScaler() if standardize else None
    classes: np.ndarray | None = None
    rows = 0
    for group in range(n_groups):
        where = f"row group {group}"
        table = source.read_row_group(group, columns=[*chosen, target])
        if scaler is not None:
            scaler.partial_fit(_matrix(table, chosen, where))
        labels = _labels(table, target, where)
        if classifier:
            found = np.unique(labels)
            classes = found if classes is None else np.union1d(classes, found)
        rows += table.num_rows
        del table
    if rows == 0:
        raise ValueError(f"{path} has no rows.")

    rng = np.random.default_rng(random_state)
    calls = 0

    def feed(X: np.ndarray, y: np.ndarray) -> None:
        nonlocal calls
        if scaler is not None:
            X = scaler.transform(X)
        if classifier:
            estimator.partial_fit(X, y, classes=classes)
        else:
            estimator.partial_fit(X, y)
        calls += 1

    start = time.perf_counter()
    for _ in range(int(epochs)):
        held_X: list[np.ndarray] = []
        held_y: list[np.ndarray] = []
        held = 0
        for group in rng.permutation(n_groups).tolist():
            batches = source.iter_batches(
                batch_size=int(batch_rows), row_groups=[group], columns=[*chosen, target]
            )
            for index, batch in enumerate(batches):
                where = f"row group {group}, batch {index}"
                X, y = _matrix(batch, chosen, where), _labels(batch, target, where)
                if shuffle_buffer == 0:
                    feed(X, y)
                    continue
                held_X.append(X)
                held_y.append(y)
                held += len(y)
                if held >= shuffle_buffer:
                    X_all, y_all = np.concatenate(held_X), np.concatenate(held_y)
                    order = rng.permutation(held)
                    out, keep = (
                        order[: held - shuffle_buffer // 2],
                        order[held - shuffle_buffer // 2 :],
                    )
                    feed(X_all[out], y_all[out])
                    held_X, held_y, held = [X_all[keep]], [y_all[keep]], len(keep)
        if held:
            X_all, y_all = np.concatenate(held_X), np.concatenate(held_y)
            order = rng.permutation(held)
            feed(X_all[order], y_all[order])
    seconds = time.perf_counter() - start
    report = StreamReport(rows=rows, epochs=int(epochs), calls=calls, seconds=seconds)
    if scaler is None:
        return estimator, report
    return Pipeline([("scale", scaler), ("model", estimator)]), report
