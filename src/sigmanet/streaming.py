"""Training from a Parquet or CSV file larger than memory, in row batches, memory flat in its size.

:func:`fit_parquet` trains an estimator that has ``partial_fit`` (``MLPClassifier``,
``MLPRegressor``) from ``pyarrow.parquet.ParquetFile.iter_batches``, :func:`fit_csv` from
pyarrow's streaming CSV reader (``pyarrow.csv.open_csv``), and :func:`fit_file` picks one by
the file's name:

1. A first pass reads the columns it needs one row group at a time and collects what training
   needs up front: the classes (a classifier's ``partial_fit`` must know every class on its
   first call) and their rows (``class_weight="balanced"`` then weighs the classes of the
   whole file, as ``fit`` on all of it would, where each ``partial_fit`` call would balance
   its own batch), and each feature's mean and variance for standardisation (scikit-learn's
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

A CSV file has no row groups: it is read from start to end every epoch, one block of the
reader at a time, and only the shuffle buffer mixes its rows (convert a CSV file sorted by its
target to Parquet, whose row groups are reordered). Its feature columns are read as float64
and a classifier's target as text (integers when every label is one), whatever the first
block suggests; the header is checked first (:func:`sigmanet.data.read_header`).

pyarrow's read-ahead: ``ParquetFile(pre_buffer=True)`` fetches the column chunks of the row
groups ahead of the reader in large coalesced reads, which helps on high-latency storage
(object stores) but holds more of the file in memory; the default here is ``False``, as
pyarrow's own for ``ParquetFile``. Both are measured in the README.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["StreamReport", "fit_csv", "fit_file", "fit_parquet"]


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


def _labels(batch: Any, target: str, where: str, as_integers: bool = False) -> np.ndarray:
    column = batch.column(target)
    if column.null_count:
        raise ValueError(f"target column {target!r} has missing values in {where}.")
    labels = np.asarray(column.to_numpy(zero_copy_only=False))
    return labels.astype(np.int64) if as_integers else labels


class _ParquetSource:
    """Row groups of a Parquet file: read whole in the first pass, in batches in the epochs."""

    def __init__(self, path: Any, pre_buffer: bool) -> None:
        import pyarrow.parquet as pq

        self.file = pq.ParquetFile(path, pre_buffer=pre_buffer)
        self.schema = self.file.schema_arrow
        self.n_groups = self.file.num_row_groups
        self.integer_labels = False

    def groups(self, columns: list[str]) -> Iterator[tuple[str, Any]]:
        for group in range(self.n_groups):
            yield f"row group {group}", self.file.read_row_group(group, columns=columns)

    def batches(self, group: int, columns: list[str], batch_rows: int) -> Iterator[tuple[str, Any]]:
        batches = self.file.iter_batches(batch_size=batch_rows, row_groups=[group], columns=columns)
        for index, batch in enumerate(batches):
            yield f"row group {group}, batch {index}", batch


class _CsvSource:
    """A CSV file read from start to end by pyarrow's streaming reader, a block at a time."""

    BLOCK_BYTES = 4 << 20

    def __init__(self, path: Any, target: str, features: Any, classifier: bool) -> None:
        import pyarrow as pa

        from sigmanet.data import check_columns, read_header

        self.header = read_header(path)
        check_columns(self.header, [target], "target column")
        if features is not None:
            check_columns(self.header, features, "feature column(s)")
        label_type = pa.string() if classifier else pa.float64()
        self.schema = pa.schema(
            [(name, label_type if name == target else pa.float64()) for name in self.header.names]
        )
        self.n_groups = 1
        self.integer_labels = False

    def _reader(self, columns: list[str]) -> Any:
        import pyarrow.csv as csv

        from sigmanet.data.csvfile import null_values

        header = self.header
        return csv.open_csv(
            str(header.path),
            read_options=csv.ReadOptions(block_size=self.BLOCK_BYTES),
            parse_options=csv.ParseOptions(delimiter=header.delimiter, newlines_in_values=True),
            convert_options=csv.ConvertOptions(
                include_columns=[header.raw_name(name) for name in columns],
                column_types={
                    header.raw_name(name): self.schema.field(name).type for name in columns
                },
                null_values=null_values(),
                strings_can_be_null=True,
            ),
        )

    def groups(self, columns: list[str]) -> Iterator[tuple[str, Any]]:
        return self.batches(0, columns, 0)

    def batches(self, group: int, columns: list[str], batch_rows: int) -> Iterator[tuple[str, Any]]:
        import pyarrow as pa

        first = 1
        try:
            with self._reader(columns) as reader:
                for batch in reader:
                    batch = batch.rename_columns(columns)
                    yield f"rows {first} to {first + batch.num_rows - 1}", batch
                    first += batch.num_rows
        except pa.ArrowInvalid as error:
            raise ValueError(
                f"{self.header.source}: cannot stream it after data row {first - 1}: {error} "
                "(streaming reads numeric feature columns; leave others out with "
                "features=[...] or --drop-columns)"
            ) from error


def _integer_labels(classes: np.ndarray) -> bool:
    """Whether text labels are all integers (a CSV classifier's target, read as text)."""
    if classes.dtype.kind not in "UO":
        return False
    return all(_is_integer_text(str(label)) for label in classes.tolist())


def _is_integer_text(text: str) -> bool:
    return text.lstrip("+-").isdigit()


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
    _check_arguments(estimator, epochs, batch_rows, shuffle_buffer)
    source = _ParquetSource(path, pre_buffer)
    return _fit_stream(
        estimator, source, path, target, features, epochs, batch_rows, shuffle_buffer,
        standardize, random_state,
    )  # fmt: skip


def fit_csv(
    estimator: Any,
    path: Any,
    target: str,
    *,
    features: Any = None,
    epochs: int = 1,
    shuffle_buffer: int = 65536,
    standardize: bool = True,
    random_state: Any = None,
) -> tuple[Any, StreamReport]:
    """Train ``estimator`` on the CSV file at ``path``, streaming it a block at a time.

    As :func:`fit_parquet` (the same parameters, but a CSV file has no row groups to reorder
    and its batches are the reader's blocks of 4 MB); every feature column must hold numbers
    (missing values and text are errors naming the rows).
    """
    from sklearn.base import is_classifier

    _check_arguments(estimator, epochs, 1, shuffle_buffer)
    source = _CsvSource(path, target, features, is_classifier(estimator))
    return _fit_stream(
        estimator, source, path, target, features, epochs, 1, shuffle_buffer, standardize,
        random_state,
    )  # fmt: skip


def fit_file(estimator: Any, path: Any, target: str, **options: Any) -> tuple[Any, StreamReport]:
    """:func:`fit_parquet` for a ``.parquet``/``.pq`` file, :func:`fit_csv` for any other."""
    from pathlib import Path

    from sigmanet.data.header import PARQUET_SUFFIXES

    if Path(path).suffix.lower() in PARQUET_SUFFIXES:
        return fit_parquet(estimator, path, target, **options)
    options.pop("batch_rows", None)
    options.pop("pre_buffer", None)
    return fit_csv(estimator, path, target, **options)


def _check_arguments(estimator: Any, epochs: Any, batch_rows: Any, shuffle_buffer: Any) -> None:
    if not hasattr(estimator, "partial_fit"):
        raise TypeError(
            f"{type(estimator).__name__} has no partial_fit; streaming trains MLPClassifier or "
            "MLPRegressor with a stochastic solver."
        )
    from sigmanet.estimators.linear import LogisticRegression, SoftmaxRegression

    if isinstance(estimator, LogisticRegression | SoftmaxRegression):
        # Their J penalises W / (C S) with S the rows of the call: a stream of batches would
        # be penalised about as many times more strongly as there are batches.
        raise TypeError(
            f"streaming does not train {type(estimator).__name__}: its partial_fit penalises "
            "each call's rows as if they were all the data, so batches of a file would be "
            "penalised far more strongly than fit on the whole file. Fit it with "
            "solver='lbfgs' on the loaded data, or with sigmanet.dask.fit_stochastic, which "
            "keeps the whole data's penalty."
        )
    for name, value, low in (("epochs", epochs, 1), ("batch_rows", batch_rows, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
    if isinstance(shuffle_buffer, bool) or not isinstance(shuffle_buffer, int | np.integer):
        raise ValueError(f"shuffle_buffer must be an integer >= 0; got {shuffle_buffer!r}.")
    if shuffle_buffer < 0:
        raise ValueError(f"shuffle_buffer must be an integer >= 0; got {shuffle_buffer!r}.")


def _stream_class_weight(
    class_weight: Any, classes: Any, counts: dict[Any, int], as_integers: bool
) -> Any:
    """The ``class_weight`` every ``partial_fit`` call gets (``class_weight`` itself if it
    needs no change).

    ``"balanced"`` becomes the whole file's weights, ``S / (k · S_c)`` from the first pass's
    counts: each call would otherwise balance its own batch. Where text labels were turned
    into integers (a CSV file's), a dict's text keys are turned likewise (``{"1": 5.0}`` for
    the class read from the text ``1``).
    """
    from sigmanet.estimators._base import balanced_class_weights

    if isinstance(class_weight, str):
        per_class = np.zeros(len(classes))
        for label, count in counts.items():  # text labels "1" and "01" are one class
            per_class[np.searchsorted(classes, int(label) if as_integers else label)] += count
        weights = balanced_class_weights(per_class).tolist()
        return dict(zip(classes.tolist(), weights, strict=True))
    text_keys = isinstance(class_weight, dict) and any(isinstance(k, str) for k in class_weight)
    if as_integers and text_keys:
        return {
            int(key) if isinstance(key, str) and _is_integer_text(key) else key: weight
            for key, weight in class_weight.items()
        }
    return class_weight


def _fit_stream(
    estimator: Any,
    source: Any,
    path: Any,
    target: str,
    features: Any,
    epochs: int,
    batch_rows: int,
    shuffle_buffer: int,
    standardize: bool,
    random_state: Any,
) -> tuple[Any, StreamReport]:
    from sklearn.base import is_classifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    chosen = _columns(source.schema, target, features)
    n_groups = source.n_groups
    classifier = is_classifier(estimator)

    # the first pass: classes and the features' moments, one row group at a time
    scaler = StandardScaler() if standardize else None
    classes: np.ndarray | None = None
    counts: dict[Any, int] = {}  # rows of each class label, for class_weight="balanced"
    rows = 0
    for where, table in source.groups([*chosen, target]):
        if scaler is not None:
            scaler.partial_fit(_matrix(table, chosen, where))
        labels = _labels(table, target, where)
        if classifier:
            found, found_counts = np.unique(labels, return_counts=True)
            classes = found if classes is None else np.union1d(classes, found)
            for label, count in zip(found.tolist(), found_counts.tolist(), strict=True):
                counts[label] = counts.get(label, 0) + count
        rows += table.num_rows
        del table
    if rows == 0:
        raise ValueError(f"{path} has no rows.")
    as_integers = classes is not None and _integer_labels(classes)
    if as_integers:
        assert classes is not None
        classes = np.unique(classes.astype(np.int64))
    user_weights = getattr(estimator, "class_weight", None) if classifier else None
    weights = _stream_class_weight(user_weights, classes, counts, as_integers)
    if weights is not user_weights:
        estimator.set_params(class_weight=weights)
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

    try:
        start = time.perf_counter()
        for _ in range(int(epochs)):
            held_X: list[np.ndarray] = []
            held_y: list[np.ndarray] = []
            held = 0
            for group in rng.permutation(n_groups).tolist():
                for where, batch in source.batches(group, [*chosen, target], int(batch_rows)):
                    X, y = _matrix(batch, chosen, where), _labels(batch, target, where, as_integers)
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
    finally:
        if weights is not user_weights:  # the user's parameter back, as the model records it
            estimator.set_params(class_weight=user_weights)
            if hasattr(estimator, "_fitted_params"):
                estimator._record_fitted_params()
    seconds = time.perf_counter() - start
    report = StreamReport(rows=rows, epochs=int(epochs), calls=calls, seconds=seconds)
    if scaler is None:
        return estimator, report
    return Pipeline([("scale", scaler), ("model", estimator)]), report
