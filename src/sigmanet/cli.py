"""The ``sigmanet`` command: train, predict, evaluate, inspect, plot, trace, demo.

Run ``sigmanet --help`` (or ``python -m sigmanet --help``) for the commands, and
``sigmanet COMMAND --help`` for each one's options and an example.

Data files
----------
CSV (any extension but ``.parquet``/``.pq``; UTF-8, optional BOM) with a header row. The
delimiter is a tab for ``.tsv`` files, otherwise whichever of ``,``, ``;`` and tab occurs most
often in the header line. Empty cells and ``NA``, ``N/A``, ``NaN``, ``null``, ``None``, ``?``
(any case) are missing values. Parquet files are read when pyarrow is installed.

Preprocessing
-------------
By default every column but the target must be numeric and complete; anything else is an error
naming the columns and the option that handles them:

* ``--drop-columns a,b`` ignores columns (identifiers, free text);
* ``--one-hot-categoricals`` encodes each non-numeric column as one 0/1 column per category
  seen in the training rows; a category unseen in training is an error at prediction time.
  Numeric columns are never one-hot encoded: a column whose present cells are mostly (more
  than half) numbers, with a few that are not (``4250g``), is an error naming those cells and
  their lines;
* ``--impute mean|median`` fills a numeric column's missing values with the mean/median of
  its training rows (categorical columns: their most frequent category); ``--impute drop``
  drops rows with a missing value before training; rows whose target is missing are dropped
  whenever ``--impute`` is not ``none``;
* ``--standardize`` centres and scales every numeric column by its training mean and standard
  deviation (:class:`sigmanet.preprocessing.StableStandardScaler`, exact at any magnitude);
* ``--scale-target`` (regressors) standardises the target the same way for training, and
  predictions come back in the target's units.

The preprocessing is a scikit-learn pipeline, fitted on the training rows only:
``Pipeline([("preprocessing", Pipeline([("columns", InputColumns(...)), ("encode",
ColumnTransformer(...))])), ("model", estimator)])``, where the column transformer holds a
``SimpleImputer`` and the scaler for the numeric columns and a ``SimpleImputer`` and a
``OneHotEncoder`` for the categorical ones, and the estimator sits in a
``TransformedTargetRegressor`` under ``--scale-target``. ``train --save MODEL`` writes that
whole fitted pipeline to ONE model file; ``predict``, ``evaluate``, ``info`` and ``plot`` read
it back, and match the input columns by name (their order and any extra columns do not
matter). A model saved from Python without named columns reads every column except
``--target``, which must all be numeric. A model saved by sigmanet 0.1.0 with a separate
``MODEL.preprocessing.json`` is refused with a message saying to train it again: that second
file could fall out of step with the model, so it is not applied.

No command writes over one of its own inputs (the data file, the model), even with ``--force``.

Exit status: 0 on success, 1 for a data or model error, 2 for a usage error; errors are one
line on stderr starting ``sigmanet: error:``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import inspect
import io
import json
import math
import os
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sigmanet.training import Callback

__all__ = ["main"]

PROG = "sigmanet"
LEGACY_SIDECAR_SUFFIX = ".preprocessing.json"
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
MODELS = {
    "logistic": "LogisticRegression",
    "softmax": "SoftmaxRegression",
    "mlp-classifier": "MLPClassifier",
    "mlp-regressor": "MLPRegressor",
}
IMPUTE_CHOICES = ("none", "mean", "median", "drop")


class CommandError(Exception):
    """A data or model problem: reported as one line, exit status 1."""


class UsageError(Exception):
    """Bad command-line arguments: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors become :class:`UsageError` instead of printing usage and exiting."""

    def error(self, message: str) -> Any:
        raise UsageError(f"{message} (see '{self.prog} --help')")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32, width=100)


# ============================================================================================
# Reading data
# ============================================================================================


@dataclass
class Table:
    """A data file as columns of raw cells (strings from CSV, Python values from Parquet)."""

    source: str
    columns: list[str]
    data: dict[str, list[Any]]
    locations: list[str]

    @property
    def n_rows(self) -> int:
        return len(self.locations)


def read_table(path: str) -> Table:
    """Read a CSV or Parquet file; every problem becomes a :class:`CommandError`."""
    file = Path(path)
    if not file.exists():
        raise CommandError(f"{path}: no such file")
    if file.is_dir():
        raise CommandError(f"{path}: is a directory, not a data file")
    if file.suffix.lower() in (".parquet", ".pq"):
        return _read_parquet(file, path)
    return _read_csv(file, path)


def _pick_delimiter(header_line: str, suffix: str) -> str:
    if suffix in (".tsv", ".tab"):
        return "\t"
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > 0 else ","


def _check_header(names: list[str], source: str) -> list[str]:
    names = [name.strip() for name in names]
    for index, name in enumerate(names, start=1):
        if not name:
            raise CommandError(f"{source}: column {index} of the header has no name")
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise CommandError(
            f"{source}: duplicate column name(s) in the header: {', '.join(duplicates)}"
        )
    return names


def _read_csv(file: Path, source: str) -> Table:
    try:
        raw = file.read_bytes()
    except OSError as error:
        raise CommandError(f"{source}: cannot read: {error.strerror or error}") from error
    if b"\x00" in raw[:65536]:
        raise CommandError(f"{source}: is a binary file, not a CSV text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CommandError(
            f"{source}: is not UTF-8 text (byte {error.start}); save the CSV as UTF-8"
        ) from error
    if not text.strip():
        raise CommandError(f"{source}: the file is empty (expected a header row and data rows)")
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = _pick_delimiter(first_line, file.suffix.lower())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[list[str]] = []
    locations: list[str] = []
    try:
        for row in reader:
            if not row:
                continue
            if header is None:
                header = _check_header(row, source)
                continue
            if len(row) != len(header):
                raise CommandError(
                    f"{source}: line {reader.line_num} has {len(row)} field(s), but the header "
                    f"has {len(header)}"
                )
            rows.append(row)
            locations.append(f"line {reader.line_num}")
    except csv.Error as error:
        raise CommandError(
            f"{source}: not a valid CSV file (line {reader.line_num}): {error}"
        ) from error
    assert header is not None  # the text is not blank, so some row was read
    if not rows:
        raise CommandError(f"{source}: has a header but no data rows")
    data = {name: [row[index] for row in rows] for index, name in enumerate(header)}
    return Table(source, header, data, locations)


def _read_parquet(file: Path, source: str) -> Table:
    try:
        import pyarrow.parquet as parquet
    except ImportError as error:
        raise CommandError(
            f"{source}: reading Parquet files needs pyarrow: pip install pyarrow "
            '(or pip install "sigmanet[parquet]"), or convert the file to CSV'
        ) from error
    try:
        arrow_table = parquet.read_table(file)
    except Exception as error:  # pyarrow raises its own error types for unreadable files
        raise CommandError(f"{source}: not a readable Parquet file: {error}") from error
    columns = _check_header([str(name) for name in arrow_table.column_names], source)
    if not columns:
        raise CommandError(f"{source}: the file has no columns")
    data = {
        name: list(values)
        for name, values in zip(columns, arrow_table.to_pydict().values(), strict=True)
    }
    n_rows = arrow_table.num_rows
    if n_rows == 0:
        raise CommandError(f"{source}: has columns but no data rows")
    return Table(source, columns, data, [f"row {index + 1}" for index in range(n_rows)])


# -- cells ----------------------------------------------------------------------------------


def _is_missing(cell: Any) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float):
        return math.isnan(cell)
    if isinstance(cell, str):
        return cell.strip().lower() in MISSING_TOKENS
    return False


def _to_number(cell: Any) -> float | None:
    """The cell as a float, or None if it is not a number. Missing cells are not passed in."""
    if isinstance(cell, bool):
        return float(cell)
    if isinstance(cell, int | float | np.integer | np.floating):
        return float(cell)
    if isinstance(cell, str):
        try:
            return float(cell.strip())
        except ValueError:
            return None
    return None


def _cell_text(cell: Any) -> str:
    return cell.strip() if isinstance(cell, str) else str(cell)


@dataclass
class Column:
    """What a column holds: numbers (NaN where missing) or, if any cell is not a number, text."""

    name: str
    numeric: bool
    values: np.ndarray  # float64 with NaN for missing when numeric; object of str otherwise
    missing: np.ndarray  # bool
    first_text: tuple[int, str] | None = None  # (row, cell) of the first non-numeric cell
    first_nonfinite: tuple[int, str] | None = None
    # (row, cell) of every non-numeric cell when numbers are most of the present cells: a
    # numeric column with typos (a unit typed into one cell), not a categorical one
    stray_text: list[tuple[int, str]] = field(default_factory=list)


def analyse_column(table: Table, name: str) -> Column:
    cells = table.data[name]
    missing = np.fromiter((_is_missing(cell) for cell in cells), dtype=bool, count=len(cells))
    numbers = np.full(len(cells), np.nan)
    texts: list[tuple[int, str]] = []
    first_nonfinite = None
    for row, cell in enumerate(cells):
        if missing[row]:
            continue
        value = _to_number(cell)
        if value is None:
            texts.append((row, _cell_text(cell)))
            continue
        if not math.isfinite(value) and first_nonfinite is None:
            first_nonfinite = (row, _cell_text(cell))
        numbers[row] = value
    if not texts:
        return Column(name, True, numbers, missing, None, first_nonfinite)
    n_numbers = int(np.count_nonzero(~missing)) - len(texts)
    stray = texts if n_numbers > len(texts) else []
    text = np.array([_cell_text(cell) for cell in cells], dtype=object)
    return Column(name, False, text, missing, texts[0], None, stray)


def _stray_text_error(table: Table, column: Column, advice: str) -> CommandError:
    shown = ", ".join(
        f"{table.locations[row]}: {cell!r}" for row, cell in column.stray_text[:5]
    ) + (" ..." if len(column.stray_text) > 5 else "")
    count = len(column.stray_text)
    return CommandError(
        f"{table.source}: column {column.name!r} holds numbers, but {count} cell(s) are not "
        f"numbers ({shown}); {advice}"
    )


def _column_list(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names)


# ============================================================================================
# Preprocessing: a scikit-learn pipeline fitted on the training rows, saved inside the model
# ============================================================================================


def _check_columns_exist(table: Table, names: Sequence[str], what: str) -> None:
    absent = [name for name in names if name not in table.data]
    if absent:
        raise CommandError(
            f"{table.source}: {what} {_column_list(absent)} not found; the columns are: "
            f"{_column_list(table.columns)}"
        )


def _target_kind(column: Column) -> str:
    if not column.numeric:
        return "str"
    present = column.values[~column.missing]
    if (
        np.all(np.isfinite(present))
        and np.all(present == np.round(present))
        and np.all(np.abs(present) < 2**53)
    ):
        return "int"
    return "float"


def parse_target(table: Table, name: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """The target column as labels of ``kind`` (and its missing mask)."""
    column = analyse_column(table, name)
    missing = column.missing
    if kind == "str":
        labels = np.array([_cell_text(cell) for cell in table.data[name]], dtype=object)
        labels[missing] = ""
        return labels.astype(str), missing
    if not column.numeric:
        row, cell = column.first_text  # type: ignore[misc]
        expected = "a number" if kind in ("float", "number") else "an integer class label"
        raise CommandError(
            f"{table.source}: target column {name!r} at {table.locations[row]} has {cell!r}, "
            f"which is not {expected}"
        )
    values = column.values
    finite = np.isfinite(values) | missing
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise CommandError(
            f"{table.source}: target column {name!r} at {table.locations[row]} is not a finite "
            "number"
        )
    if kind == "int":
        filled = np.where(missing, 0.0, values)
        if not np.all(filled == np.round(filled)):
            row = int(np.flatnonzero(filled != np.round(filled))[0])
            raise CommandError(
                f"{table.source}: target column {name!r} at {table.locations[row]} is "
                f"{table.data[name][row]!r}, not an integer class label of this model"
            )
        return filled.astype(np.int64), missing
    return np.where(missing, 0.0, values), missing


def _report_nonnumeric(table: Table, columns: dict[str, Column], names: list[str]) -> str:
    details = []
    for name in names[:5]:
        row, cell = columns[name].first_text  # type: ignore[misc]
        details.append(f"{name!r} ({table.locations[row]}: {cell!r})")
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return ", ".join(details) + more


def _check_finite(table: Table, columns: dict[str, Column], names: Sequence[str]) -> None:
    for name in names:
        bad = columns[name].first_nonfinite
        if bad is not None:
            row, cell = bad
            raise CommandError(
                f"{table.source}: column {name!r} at {table.locations[row]} is {cell!r}, not a "
                "finite number"
            )


@dataclass
class TrainingPlan:
    """What the training file holds: input columns (the categorical ones among them), the
    usable rows and the target of every row."""

    features: list[str]
    categorical: dict[str, list[str]]  # categorical column -> its categories in the usable rows
    columns: dict[str, Column]
    rows: np.ndarray
    y: np.ndarray
    target_kind: str


def plan_training_data(
    table: Table,
    target: str,
    drop: Sequence[str],
    one_hot: bool,
    impute: str,
    is_classifier: bool,
) -> TrainingPlan:
    """Check a training file against the options and decide its input columns and rows.

    ``--impute drop`` and a missing target are row filters applied here, before the pipeline.
    """
    _check_columns_exist(table, [target], "target column")
    _check_columns_exist(table, drop, "--drop-columns:")
    if target in drop:
        raise UsageError(f"the target column {target!r} cannot also be in --drop-columns")
    features = [name for name in table.columns if name != target and name not in drop]
    if not features:
        raise CommandError(
            f"{table.source}: no feature columns are left besides the target {target!r}"
        )
    columns = {name: analyse_column(table, name) for name in features}
    for name in features:
        if columns[name].stray_text:
            # one-hot encoding would turn every distinct number into a column of its own
            raise _stray_text_error(
                table,
                columns[name],
                "correct them, or empty them and pass --impute mean, median or drop, or "
                f"ignore the column with --drop-columns {name}",
            )
    text_columns = [name for name in features if not columns[name].numeric]
    if text_columns and not one_hot:
        listing = ",".join(text_columns)
        raise CommandError(
            f"{table.source}: non-numeric values in column(s) "
            f"{_report_nonnumeric(table, columns, text_columns)}; pass --one-hot-categoricals "
            f"to encode them, or --drop-columns {listing} to ignore them"
        )
    numeric = [name for name in features if columns[name].numeric]
    _check_finite(table, columns, numeric)

    target_column = analyse_column(table, target)
    kind = _target_kind(target_column) if is_classifier else "number"
    y, target_missing = parse_target(table, target, kind)

    with_gaps = [name for name in features if columns[name].missing.any()]
    if impute == "none":
        if with_gaps:
            first = []
            for name in with_gaps[:5]:
                row = int(np.flatnonzero(columns[name].missing)[0])
                first.append(f"{name!r} ({table.locations[row]})")
            raise CommandError(
                f"{table.source}: missing values in column(s) {', '.join(first)}"
                f"{' and more' if len(with_gaps) > 5 else ''}; pass --impute mean, median or "
                "drop to handle them"
            )
        if target_missing.any():
            row = int(np.flatnonzero(target_missing)[0])
            raise CommandError(
                f"{table.source}: the target {target!r} is missing at {table.locations[row]}; "
                "pass --impute drop (or mean/median) to drop rows without a target"
            )
    keep = ~target_missing
    if impute == "drop":
        for name in features:
            keep &= ~columns[name].missing
    rows = np.flatnonzero(keep)
    if rows.size == 0:
        raise CommandError(f"{table.source}: no rows are left after dropping missing values")
    categories = {}
    for name in text_columns:
        column = columns[name]
        present = column.values[rows][~column.missing[rows]]
        if not present.size:
            raise CommandError(
                f"{table.source}: categorical column {name!r} has no values; drop it with "
                f"--drop-columns {name}"
            )
        # every category of the file, also those only in the validation rows, so that
        # scoring them is not an error; the encoder's columns of those stay 0 in training
        categories[name] = sorted(set(present.tolist()))
    for name in numeric:
        if impute in ("mean", "median") and columns[name].missing[rows].all():
            raise CommandError(
                f"column {name!r} has no values in the training rows to compute a {impute} "
                f"from; drop it with --drop-columns {name}"
            )
        if impute == "mean":
            # the imputer sums the column: beyond the float range it would fill NaN and skip
            # the column without a word
            values = columns[name].values[rows]
            with np.errstate(over="ignore"):
                total = np.nansum(np.abs(values))
            if not math.isfinite(total):
                raise CommandError(
                    f"{table.source}: column {name!r} holds values too large to average "
                    f"(up to {np.nanmax(np.abs(values)):g}): their sum is beyond the float "
                    "range; pass --impute median instead of mean"
                )
    return TrainingPlan(features, categories, columns, rows, y, kind)


def _cells_checked() -> Any:
    """Skip scikit-learn's finiteness check of the pipeline's input.

    Every cell was checked when the file was read (text, missing, infinite), so the check
    adds nothing; and it sums the input first, which for finite values near ±1e308 meets
    inf - inf and warns of an invalid value.
    """
    from sklearn import config_context

    return config_context(assume_finite=True)


def raw_inputs(
    table: Table, columns: dict[str, Column], features: Sequence[str], categorical: Any, rows: Any
) -> np.ndarray:
    """The pipeline's input for ``rows``: one column per feature, in order.

    Numeric columns are floats with NaN where missing; categorical columns (``categorical``, a
    collection of names) are the cells' text with NaN where missing, in an object array. A
    table without categorical columns gives a float64 array.
    """
    rows = np.asarray(rows, dtype=np.intp)
    if not any(name in categorical for name in features):
        if not features:
            return np.zeros((rows.size, 0))
        return np.column_stack([columns[name].values[rows] for name in features]).astype(np.float64)
    X = np.empty((rows.size, len(features)), dtype=object)
    for index, name in enumerate(features):
        column = columns[name]
        if name in categorical:
            cells = table.data[name]
            X[:, index] = [
                math.nan if column.missing[row] else _cell_text(cells[row]) for row in rows.tolist()
            ]
        else:
            X[:, index] = column.values[rows].tolist()
    return X


def build_preprocessing(
    features: Sequence[str], categories: dict[str, list[str]], impute: str, standardize: bool
) -> Any:
    """The unfitted preprocessing pipeline of ``train``'s options.

    ``Pipeline([("columns", InputColumns(features)), ("encode", ColumnTransformer(...))])``:
    numeric columns go through ``SimpleImputer(strategy=impute)`` (``--impute mean|median``)
    and :class:`~sigmanet.preprocessing.StableStandardScaler` (``--standardize``); categorical
    columns through ``SimpleImputer(strategy="most_frequent")`` (the same options) and a
    ``OneHotEncoder`` of the given ``categories`` that refuses any other.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from sigmanet.preprocessing import InputColumns, StableStandardScaler

    fill = impute in ("mean", "median")
    numeric_index = [i for i, name in enumerate(features) if name not in categories]
    categorical_index = [i for i, name in enumerate(features) if name in categories]
    parts: list[tuple[str, Any, list[int]]] = []
    if numeric_index:
        steps: list[tuple[str, Any]] = []
        if fill:
            steps.append(("impute", SimpleImputer(strategy=impute)))
        if standardize:
            steps.append(("standardize", StableStandardScaler()))
        parts.append(("numeric", Pipeline(steps) if steps else "passthrough", numeric_index))
    if categorical_index:
        steps = []
        if fill:
            # ties go to the smallest category, so the fill value is reproducible
            steps.append(("impute", SimpleImputer(strategy="most_frequent")))
        known = [list(categories[features[index]]) for index in categorical_index]
        encoder = OneHotEncoder(categories=known, handle_unknown="error", sparse_output=False)
        steps.append(("one_hot", encoder))
        parts.append(("categorical", Pipeline(steps), categorical_index))
    encode = ColumnTransformer(parts, sparse_threshold=0.0, verbose_feature_names_out=False)
    return Pipeline([("columns", InputColumns(list(features))), ("encode", encode)])


@dataclass
class ModelInputs:
    """What a loaded model reads from a table, found in the model itself."""

    columns: list[str] | None  # None: every column but the target (a model without names)
    categories: dict[str, list[str]]  # categorical column -> the categories seen in training
    fills_missing: bool  # an imputer fills missing values
    estimator: Any  # the sigmanet estimator at the end (inside a target transformer if any)
    scaled_target: bool = False
    standardized: list[str] = field(default_factory=list)


def _walk(step: Any) -> list[Any]:
    """Every estimator nested in a pipeline, column transformer or target transformer."""
    found = [step]
    for _, inner in getattr(step, "steps", None) or []:
        found += _walk(inner)
    for _, inner, _ in getattr(step, "transformers_", None) or []:
        if not isinstance(inner, str):
            found += _walk(inner)
    regressor = getattr(step, "regressor_", None)
    if regressor is not None:
        found += _walk(regressor)
    return found


def _selected_names(selection: Any, columns: list[str] | None) -> list[str]:
    """The column names a column transformer's selection (names, indices or a mask) picks."""
    if isinstance(selection, slice) or callable(selection):
        return []  # not from this command line; nothing to check cell by cell
    items = np.atleast_1d(np.asarray(selection))
    if items.dtype == bool:
        items = np.flatnonzero(items)
    if items.dtype.kind in "iu":
        return [columns[index] for index in items.tolist()] if columns is not None else []
    return [str(item) for item in items.tolist()]


def model_inputs(model: Any) -> ModelInputs:
    """Read a loaded model's input columns, categories and imputation from its steps."""
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    from sigmanet.preprocessing import StableStandardScaler

    try:
        names = getattr(model, "feature_names_in_", None)
    except AttributeError:  # a pipeline whose first step has no names
        names = None
    columns = None if names is None else [str(name) for name in names]
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    scaled_target = isinstance(final, TransformedTargetRegressor)
    estimator = final.regressor_ if scaled_target else final
    steps = _walk(model)
    categories: dict[str, list[str]] = {}
    standardized: list[str] = []
    for step in steps:
        if not isinstance(step, ColumnTransformer):
            continue
        for _, transformer, selection in step.transformers_:
            if isinstance(transformer, str):
                continue
            inner = _walk(transformer)
            picked = _selected_names(selection, columns)
            for encoder in (s for s in inner if isinstance(s, OneHotEncoder)):
                for name, values in zip(picked, encoder.categories_, strict=False):
                    categories[name] = [str(value) for value in np.asarray(values).tolist()]
            if any(isinstance(s, StableStandardScaler) for s in inner):
                standardized += picked
    return ModelInputs(
        columns=columns,
        categories=categories,
        fills_missing=any(isinstance(step, SimpleImputer) for step in steps),
        estimator=estimator,
        scaled_target=scaled_target,
        standardized=standardized,
    )


def _input_columns(model: Any, inputs: ModelInputs, table: Table, target: str | None) -> list[str]:
    if inputs.columns is not None:
        return inputs.columns
    features = [name for name in table.columns if name != target]
    n_expected = getattr(model, "n_features_in_", None)
    if n_expected is not None and len(features) != n_expected:
        raise CommandError(
            f"{table.source}: the model expects {n_expected} input column(s) but the file has "
            f"{len(features)} besides the target ({_column_list(features[:8])}"
            f"{' ...' if len(features) > 8 else ''}); the model does not name the columns it "
            "was trained on"
        )
    return features


def prepare_inputs(
    table: Table,
    model: Any,
    inputs: ModelInputs,
    target: str | None,
    *,
    drop_incomplete: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The model's input from a new file, and the rows it covers.

    Checked cell by cell, so every problem names its column and line: text in a numeric
    column, a category unseen in training, a missing value the model cannot fill (refused, or
    with ``drop_incomplete`` the row is left out).
    """
    features = _input_columns(model, inputs, table, target)
    _check_columns_exist(table, features, "input column(s)")
    columns = {name: analyse_column(table, name) for name in features}
    numeric = [name for name in features if name not in inputs.categories]
    for name in numeric:
        column = columns[name]
        if column.stray_text:
            raise _stray_text_error(
                table, column, "the model was trained on numbers in this column"
            )
        if not column.numeric:
            row, cell = column.first_text  # type: ignore[misc]
            raise CommandError(
                f"{table.source}: column {name!r} at {table.locations[row]} has {cell!r}, "
                "which is not a number (the model was trained on numbers in this column)"
            )
    _check_finite(table, columns, numeric)
    rows = np.arange(table.n_rows)
    if not inputs.fills_missing:
        incomplete = np.zeros(table.n_rows, dtype=bool)
        for name in features:
            incomplete |= columns[name].missing
        if drop_incomplete:
            rows = np.flatnonzero(~incomplete)
            if rows.size == 0:
                raise CommandError(
                    f"{table.source}: every row has a missing value, and the model cannot fill "
                    "them (it was trained without --impute mean or median)"
                )
        elif incomplete.any():
            row = int(np.flatnonzero(incomplete)[0])
            name = next(name for name in features if columns[name].missing[row])
            raise CommandError(
                f"{table.source}: column {name!r} has a missing value at {table.locations[row]}, "
                "and the model cannot fill it (it was trained without --impute mean or median)"
            )
    for name, known in inputs.categories.items():
        column = columns[name]
        seen = set(known)
        for row in rows.tolist():
            if column.missing[row]:
                continue
            value = _cell_text(table.data[name][row])
            if value not in seen:
                shown = ", ".join(known[:10]) + (" ..." if len(known) > 10 else "")
                raise CommandError(
                    f"{table.source}: column {name!r} at {table.locations[row]} has category "
                    f"{value!r}, which was not seen in training (known: {shown})"
                )
    return raw_inputs(table, columns, features, inputs.categories, rows), rows


def as_model_input(model: Any, inputs: ModelInputs, X: np.ndarray) -> Any:
    """``X`` as the model takes it: a data frame for a model fitted on one from Python.

    Pipelines from this command line start with ``InputColumns`` and take arrays; a model that
    records column names otherwise was fitted on a data frame, and its steps may select
    columns by name.
    """
    from sigmanet.preprocessing import InputColumns

    first = model.steps[0][1] if hasattr(model, "steps") else model
    while hasattr(first, "steps"):
        first = first.steps[0][1]
    if inputs.columns is None or isinstance(first, InputColumns):
        return X
    try:
        import pandas
    except ImportError as error:
        raise CommandError(
            "the model was fitted on a pandas data frame; reading a file for it needs pandas: "
            "pip install pandas"
        ) from error
    return pandas.DataFrame(
        {
            name: X[:, index] if name in inputs.categories else X[:, index].astype(np.float64)
            for index, name in enumerate(inputs.columns)
        }
    )


def sidecar_path(model_path: str | Path) -> Path:
    return Path(f"{model_path}{LEGACY_SIDECAR_SUFFIX}")


def _refuse_legacy_sidecar(model_path: str, model: Any) -> None:
    """A bare estimator beside ``MODEL.preprocessing.json`` was saved by sigmanet 0.1.0's CLI.

    Its preprocessing lived in that second file, which could fall out of step with the model
    (the two were not replaced together); this sigmanet keeps the preprocessing inside the
    model file and does not apply the separate one, rather than guess whether it belongs.
    """
    if hasattr(model, "steps") or not sidecar_path(model_path).exists():
        return
    raise CommandError(
        f"{model_path} was saved by an earlier sigmanet with its preprocessing in a separate "
        f"file, {sidecar_path(model_path).name}, which this sigmanet no longer reads (it "
        "could silently fall out of step with the model); train the model again with "
        "'sigmanet train ... --save' (the same options), which stores the preprocessing "
        "inside the model file"
    )


# ============================================================================================
# Models
# ============================================================================================


def _estimator_classes() -> dict[str, Any]:
    from sigmanet.estimators import ESTIMATORS

    return dict(ESTIMATORS)


def load_model(path: str) -> Any:
    from sigmanet.persistence import load

    return load(path)


def _is_classifier(model: Any) -> bool:
    from sklearn.base import is_classifier

    return bool(is_classifier(model))


def _emit_warnings(caught: list[warnings.WarningMessage], stderr: Any) -> None:
    seen = set()
    for warning in caught:
        text = str(warning.message).strip()
        if text not in seen:
            seen.add(text)
            print(f"{PROG}: warning: {text}", file=stderr)


# ============================================================================================
# Output helpers
# ============================================================================================


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


# ============================================================================================
# Argument types
# ============================================================================================


def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive integers such as 64,32; got {text!r}"
        ) from None
    if not values or any(value < 1 for value in values):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive integers; got {text!r}")
    return values


def _float_list(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers such as 1,0.5; got {text!r}"
        ) from None
    if not all(math.isfinite(value) for value in values):
        raise argparse.ArgumentTypeError(f"numbers must be finite; got {text!r}")
    return values


def _name_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated names")
    return names


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return value


def _nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0; got {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = _nonnegative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0; got {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _nonnegative_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1); got {text!r}")
    return value


def _batch_size(text: str) -> int | str:
    if text in ("auto", "full"):
        return text
    return _positive_int(text)


# ============================================================================================
# Commands
# ============================================================================================


def _model_options(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """Constructor arguments from the command line, refusing options the model lacks."""
    accepted = set(cls().get_params())
    given = {
        "--hidden-layer-sizes": ("hidden_layer_sizes", args.hidden_layer_sizes),
        "--activation": ("activation", args.activation),
        "--solver": ("solver", args.solver),
        "--max-iter": ("max_iter", args.max_iter),
        "--learning-rate-init": ("learning_rate_init", args.learning_rate_init),
        "--batch-size": ("batch_size", args.batch_size),
        "--random-state": ("random_state", args.random_state),
    }
    if "learning_rate_init" not in accepted and "learning_rate" in accepted:
        # the linear models take the step size itself as learning_rate
        given["--learning-rate-init"] = ("learning_rate", args.learning_rate_init)
    params: dict[str, Any] = {}
    for option, (name, value) in given.items():
        if value is None:
            continue
        if name not in accepted:
            raise UsageError(f"{option} does not apply to --model {args.model}")
        params[name] = value
    if args.alpha is not None:
        if "alpha" in accepted:
            params["alpha"] = args.alpha
        elif "C" in accepted and args.alpha > 0:
            params["C"] = 1.0 / args.alpha  # the same penalty: alpha = 1/C
        else:
            raise UsageError(f"--alpha {args.alpha:g} does not apply to --model {args.model}")
    if "verbose" in accepted:
        params["verbose"] = False if args.quiet else "progress"
    return params


def _split(
    rows: np.ndarray, y: np.ndarray, fraction: float, classifier: bool, seed: Any, stderr: Any
) -> tuple[np.ndarray, np.ndarray]:
    if fraction == 0:
        return rows, rows[:0]
    from sklearn.model_selection import train_test_split

    n_val = math.ceil(fraction * rows.size)
    if n_val < 1 or rows.size - n_val < 1:
        raise CommandError(
            f"cannot hold out {fraction:g} of {rows.size} rows for validation; use more data or "
            "--validation-fraction 0"
        )
    try:
        train, val = train_test_split(
            rows, test_size=fraction, random_state=seed, stratify=y[rows] if classifier else None
        )
    except ValueError:
        # stratification needs >= 2 members per class and a split large enough for each class
        print(
            f"{PROG}: note: the validation split is not stratified (some classes are too small)",
            file=stderr,
        )
        train, val = train_test_split(rows, test_size=fraction, random_state=seed)
    return np.sort(train), np.sort(val)


def _same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file: the same resolved path, or the same inode (a hard link)."""
    if Path(a).resolve() == Path(b).resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): it cannot be the other
        return False


def _refuse_overwriting_inputs(option: str, output: str, inputs: dict[str, str]) -> None:
    """Refuse an output that is one of the inputs (it would destroy it), even with --force."""
    for role, path in inputs.items():
        if _same_file(output, path):
            raise CommandError(
                f"{option} {output} is the {role} {path}; writing there would destroy it "
                "(refused even with --force): choose another file name"
            )


def _fit_step(step: Any, X: Any, *fit_args: Any) -> Any:
    try:
        return step.fit(X, *fit_args)
    except ValueError as error:
        raise CommandError(f"preprocessing failed: {error}") from error


def cmd_train(args: argparse.Namespace, stdout: Any, stderr: Any) -> int:
    classes = _estimator_classes()
    class_name = MODELS[args.model]
    if class_name not in classes:
        raise CommandError(f"--model {args.model} ({class_name}) is not available in this sigmanet")
    cls = classes[class_name]
    params = _model_options(args, cls)
    if args.save:
        _refuse_overwriting_inputs("--save", args.save, {"training data file": args.data})
    if args.save and not args.force and Path(args.save).exists():
        raise CommandError(f"{args.save} already exists; pass --force to overwrite it")
    if args.save and not Path(args.save).resolve().parent.is_dir():
        raise CommandError(f"cannot save to {args.save}: its directory does not exist")
    if args.report:
        _check_report_path(args.report, args.force)
    estimator = cls(**params)
    classifier = _is_classifier(estimator)
    if args.scale_target and classifier:
        raise UsageError(f"--scale-target applies to regressors, not to --model {args.model}")

    table = read_table(args.data)
    plan = plan_training_data(
        table,
        args.target,
        args.drop_columns or [],
        args.one_hot_categoricals,
        args.impute,
        classifier,
    )
    rows, y_all = plan.rows, plan.y
    if classifier and plan.target_kind == "float":
        fractional = rows[y_all[rows] != np.round(y_all[rows])]
        row = int(fractional[0]) if fractional.size else int(rows[0])
        raise CommandError(
            f"{table.source}: the target {args.target!r} holds numbers that are not whole "
            f"({table.locations[row]}: {table.data[args.target][row]!r}); --model {args.model} "
            "is a classifier and needs class labels (integers or text). For a numeric target "
            "pass --model mlp-regressor"
        )
    dropped = table.n_rows - rows.size
    if dropped:
        print(f"{PROG}: note: dropped {dropped} row(s) with missing values", file=stderr)
    if classifier:
        n_classes = len(np.unique(y_all[rows]))
        if n_classes < 2:
            raise CommandError(f"{table.source}: the target {args.target!r} has a single class")
        if n_classes > max(20, rows.size // 10):
            print(
                f"{PROG}: note: the target has {n_classes} distinct values; for a numeric "
                "target pass --model mlp-regressor",
                file=stderr,
            )
    train_rows, val_rows = _split(
        rows, y_all, args.validation_fraction, classifier, args.random_state, stderr
    )
    if args.impute in ("mean", "median"):
        for name in plan.features:
            if plan.columns[name].missing[train_rows].all():
                # the imputer would leave the column out, without a word
                raise CommandError(
                    f"{table.source}: column {name!r} has no values in the training rows (its "
                    "few values fell in the validation split) to fill its missing values from; "
                    f"drop it with --drop-columns {name}, or pass --validation-fraction 0"
                )
    categorical = plan.categorical
    raw_train = raw_inputs(table, plan.columns, plan.features, categorical, train_rows)
    raw_val = raw_inputs(table, plan.columns, plan.features, categorical, val_rows)
    y_train, y_val = y_all[train_rows], y_all[val_rows]

    # The preprocessing is fitted on the training rows alone, then the model on its output;
    # the pipeline of the two is what is measured below and saved.
    preprocessing = build_preprocessing(
        plan.features, plan.categorical, args.impute, args.standardize
    )
    with _cells_checked():
        _fit_step(preprocessing, raw_train)
        dtype = np.float32 if args.float32 else np.float64
        X_train = preprocessing.transform(raw_train).astype(dtype)
        X_val = preprocessing.transform(raw_val).astype(dtype) if val_rows.size else None

    model: Any = estimator
    fit_kwargs: dict[str, Any] = {}
    if args.scale_target:
        from sklearn.compose import TransformedTargetRegressor

        from sigmanet.preprocessing import StableStandardScaler

        model = TransformedTargetRegressor(regressor=estimator, transformer=StableStandardScaler())
    signature = inspect.signature(estimator.fit).parameters
    if X_val is not None and "validation_data" in signature:
        y_val_seen = y_val
        if args.scale_target:
            # the regressor learns the standardised target, so its validation target is too;
            # the target transformer fits the same scaler on the same rows
            from sigmanet.preprocessing import StableStandardScaler

            target_scaler = _fit_step(StableStandardScaler(), y_train.reshape(-1, 1))
            y_val_seen = target_scaler.transform(y_val.reshape(-1, 1)).ravel()
        fit_kwargs["validation_data"] = (X_val, y_val_seen)
    recorder = _report_recorder(args, signature, fit_kwargs)
    console = _console(stdout)
    console.print(
        f"training {class_name} on {X_train.shape[0]} rows x {X_train.shape[1]} features"
        + (f", validating on {val_rows.size} rows" if val_rows.size else "")
        + (" (standardised target)" if args.scale_target else "")
    )
    from sklearn.pipeline import Pipeline

    from sigmanet.exceptions import DivergenceError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.fit(X_train, y_train, **fit_kwargs)
        except DivergenceError as error:
            hint = "a smaller --learning-rate-init" + (
                "" if args.standardize else ", or --standardize"
            )
            raise CommandError(f"{error} On the command line: {hint}.") from error
        except ValueError as error:
            raise CommandError(f"training failed: {error}") from error
    _emit_warnings(caught, stderr)
    pipeline = Pipeline([("preprocessing", preprocessing), ("model", model)])

    fitted = model.regressor_ if args.scale_target else model
    loss_curve = list(getattr(fitted, "loss_curve_", None) or [])
    n_iter = getattr(fitted, "n_iter_", "?")
    if isinstance(n_iter, np.ndarray):  # the linear models keep scikit-learn's array of one
        n_iter = int(n_iter.max())
    summary = f"done: {n_iter} iteration(s)"
    if loss_curve:
        summary += f", final training loss {loss_curve[-1]:.6g}"
        if args.scale_target:
            summary += " (standardised target)"
    console.print(summary)
    with _cells_checked():
        if val_rows.size:
            _print_metrics(
                console, pipeline, raw_val, y_val, f"validation split ({val_rows.size} rows)"
            )
        else:
            _print_metrics(
                console,
                pipeline,
                raw_train,
                y_train,
                "training data (no validation split: --validation-fraction 0)",
            )

    if args.save:
        from sigmanet.persistence import save

        try:
            save(pipeline, args.save, overwrite=args.force)
        except FileExistsError as error:
            raise CommandError(
                f"{args.save} already exists; pass --force to overwrite it"
            ) from error
        console.print(f"saved the model and its preprocessing to {args.save}")
        if sidecar_path(args.save).exists():
            print(
                f"{PROG}: note: {sidecar_path(args.save)} belongs to the model this one replaced "
                "and is not used any more; delete it",
                file=stderr,
            )
    if args.report:
        _write_train_report(args, model, preprocessing, recorder, X_train, y_train, X_val, y_val)
        console.print(f"wrote the training report to {args.report}")
    return 0


def _check_report_path(path: str, force: bool) -> None:
    if Path(path).exists() and not force:
        raise CommandError(f"{path} already exists; pass --force to overwrite it")
    if not Path(path).resolve().parent.is_dir():
        raise CommandError(f"cannot write the report {path}: its directory does not exist")


def _report_recorder(args: argparse.Namespace, signature: Any, fit_kwargs: dict) -> Any:
    """A gradient-flow recorder for ``--report``, added to the fit's callbacks if it takes any."""
    if not args.report or "callbacks" not in signature:
        return None
    from sigmanet.diagnostics import GradientFlowRecorder

    recorder = GradientFlowRecorder()
    fit_kwargs["callbacks"] = [recorder]
    return recorder


def _write_train_report(
    args: argparse.Namespace,
    model: Any,
    preprocessing: Any,
    recorder: Any,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray | None,
    y_val: np.ndarray,
) -> None:
    from sigmanet.report import write_report

    # what the run was, not where its outputs went or how it talked
    ignored = ("func", "command", "force", "report", "quiet")
    options = {key: value for key, value in sorted(vars(args).items()) if key not in ignored}
    held_out = (X_val, y_val) if X_val is not None else (None, None)
    try:
        names = [str(name) for name in preprocessing.get_feature_names_out()]
    except (AttributeError, ValueError):
        names = None
    fitted = getattr(model, "regressor_", model)
    try:
        write_report(
            args.report,
            model,
            X_train,
            y_train,
            X_val=held_out[0],
            y_val=held_out[1],
            feature_names=names,
            title=f"sigmanet train {Path(args.data).name}: {type(fitted).__name__}",
            config={"command": "train", "options": options},
            gradient_flow=recorder,
            overwrite=args.force,
        )
    except OSError as error:
        raise CommandError(f"cannot write the report {args.report}: {error}") from error


def _load_for_data(model_path: str) -> tuple[Any, ModelInputs]:
    model = load_model(model_path)
    _refuse_legacy_sidecar(model_path, model)
    return model, model_inputs(model)


def cmd_predict(args: argparse.Namespace, stdout: Any, stderr: Any) -> int:
    if args.output:
        _refuse_overwriting_inputs(
            "--output", args.output, {"data file": args.data, "model file": args.model}
        )
    table = read_table(args.data)
    model, inputs = _load_for_data(args.model)
    X, _ = prepare_inputs(table, model, inputs, None, drop_incomplete=False)
    X = as_model_input(model, inputs, X)
    if args.proba and not hasattr(model, "predict_proba"):
        raise CommandError(f"{args.model}: this model has no class probabilities (--proba)")
    with warnings.catch_warnings(record=True) as caught, _cells_checked():
        warnings.simplefilter("always")
        predicted = np.asarray(model.predict(X))
        proba = np.asarray(model.predict_proba(X)) if args.proba else None
    _emit_warnings(caught, stderr)

    header: list[str]
    if predicted.ndim == 1:
        header = ["prediction"]
        columns = [predicted]
    else:
        header = [f"prediction_{index}" for index in range(predicted.shape[1])]
        columns = list(predicted.T)
    if proba is not None:
        header += [f"proba_{label}" for label in np.asarray(model.classes_).tolist()]
        columns += list(proba.T)

    def write(handle: Any) -> None:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for values in zip(*columns, strict=True):
            writer.writerow([_format_number(value) for value in values])

    if args.output:
        output = Path(args.output)
        if output.exists() and not args.force:
            raise CommandError(f"{output} already exists; pass --force to overwrite it")
        text = io.StringIO(newline="")
        write(text)
        from sigmanet.persistence import write_atomically

        try:
            write_atomically(output, text.getvalue().encode("utf-8"), overwrite=args.force)
        except FileExistsError as error:
            raise CommandError(f"{output} already exists; pass --force to overwrite it") from error
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror or error}") from error
        print(f"wrote {len(predicted)} prediction(s) to {output}", file=stderr)
    else:
        write(stdout)
    return 0


def _label_kind(model: Any) -> str:
    if not _is_classifier(model):
        return "number"
    classes = np.asarray(model.classes_)
    if classes.dtype.kind in "UO":
        return "str"
    return "int" if classes.dtype.kind in "iub" else "float"


def cmd_evaluate(args: argparse.Namespace, stdout: Any, stderr: Any) -> int:
    table = read_table(args.data)
    _check_columns_exist(table, [args.target], "target column")
    model, inputs = _load_for_data(args.model)
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


def _layer_rows(model: Any) -> list[tuple[str, str, str, str]]:
    network = getattr(model, "network_", None)
    rows: list[tuple[str, str, str, str]] = []
    if network is None:
        return rows
    for index, layer in enumerate(network.layers):
        config = layer.get_config()
        kind = type(layer).__name__
        if "activation" in config:
            activation = config["activation"]
            name = activation.get("name") if isinstance(activation, dict) else activation
            kind = f"{kind}({name})"
        shapes = ", ".join(f"{key} {tuple(value.shape)}" for key, value in layer.params.items())
        count = sum(int(value.size) for value in layer.params.values())
        rows.append(
            (
                str(index),
                kind,
                f"{layer.input_dim} → {layer.output_dim}",
                f"{shapes or '-'}" + (f"  [{count}]" if count else ""),
            )
        )
    return rows


def cmd_info(args: argparse.Namespace, stdout: Any, stderr: Any) -> int:
    from rich.table import Table as RichTable

    from sigmanet.persistence import read_metadata

    meta = read_metadata(args.model)
    model, inputs = _load_for_data(args.model)
    estimator = inputs.estimator
    console = _console(stdout)
    console.print(
        f"{type(estimator).__name__}  ({args.model}; written by sigmanet "
        f"{meta.get('sigmanet_version')}, format {meta.get('format_version')})"
    )

    summary = RichTable()
    summary.add_column("property")
    summary.add_column("value")
    summary.add_row("inputs (n_features_in_)", _fmt(getattr(estimator, "n_features_in_", None)))
    if hasattr(estimator, "n_channels_"):
        summary.add_row("channels per time step (n_channels_)", _fmt(estimator.n_channels_))
    if hasattr(estimator, "classes_"):
        classes = np.asarray(estimator.classes_).tolist()
        shown = ", ".join(map(str, classes[:12])) + (" ..." if len(classes) > 12 else "")
        summary.add_row("classes", f"{len(classes)}: {shown}")
    summary.add_row("dtype", str(getattr(estimator, "dtype_", "-")))
    network = getattr(estimator, "network_", None)
    if network is not None:
        total = sum(int(value.size) for layer in network.layers for value in layer.params.values())
        summary.add_row("parameters", str(total))
    params = estimator.get_params(deep=False)
    for name in (
        "hidden_layer_sizes",
        "activation",
        "cell",
        "hidden_size",
        "num_layers",
        "bidirectional",
        "solver",
        "alpha",
        "C",
        "batch_size",
        "learning_rate",
        "learning_rate_init",
        "max_iter",
        "random_state",
    ):
        if name in params:
            summary.add_row(name, _fmt(params[name]))
    console.print("model")
    console.print(summary)

    layers = _layer_rows(estimator)
    if layers:
        table = RichTable()
        console.print("layers")
        for heading in ("#", "layer", "width", "parameters"):
            table.add_column(heading)
        for row in layers:
            table.add_row(*row)
        console.print(table)

    history = RichTable()
    history.add_column("quantity")
    history.add_column("value")
    history.add_row("iterations (n_iter_)", _fmt(getattr(estimator, "n_iter_", None)))
    loss = [float(v) for v in (getattr(estimator, "loss_curve_", None) or [])]
    if loss:
        history.add_row(
            "training loss first / last / min", f"{loss[0]:.6g} / {loss[-1]:.6g} / {min(loss):.6g}"
        )
    val_loss = [float(v) for v in (getattr(estimator, "validation_loss_curve_", None) or [])]
    if val_loss:
        history.add_row("validation loss last / min", f"{val_loss[-1]:.6g} / {min(val_loss):.6g}")
    scores = [float(v) for v in (getattr(estimator, "validation_scores_", None) or [])]
    if scores:
        history.add_row("validation score last / best", f"{scores[-1]:.6g} / {max(scores):.6g}")
    console.print("training history" + (" (standardised target)" if inputs.scaled_target else ""))
    console.print(history)

    if model is not estimator:
        table = RichTable()
        console.print("preprocessing (stored in the model file)")
        table.add_column("setting")
        table.add_column("value")
        if inputs.columns is not None:
            table.add_row("input columns", ", ".join(inputs.columns))
        if inputs.categories:
            table.add_row(
                "one-hot",
                "; ".join(
                    f"{name}: {', '.join(values)}" for name, values in inputs.categories.items()
                ),
            )
        table.add_row("impute", _imputation(model))
        table.add_row(
            "standardize", ", ".join(inputs.standardized) if inputs.standardized else "no"
        )
        table.add_row("scale target", "yes" if inputs.scaled_target else "no")
        console.print(table)
    return 0


def _imputation(model: Any) -> str:
    from sklearn.impute import SimpleImputer

    strategies = sorted({step.strategy for step in _walk(model) if isinstance(step, SimpleImputer)})
    return ", ".join(strategies) if strategies else "none (rows with missing values refused)"


def _output_path(text: str) -> Path:
    from sigmanet.plotting import FIGURE_FORMATS

    path = Path(text)
    if path.suffix.lower() not in FIGURE_FORMATS:
        raise UsageError(f"--output must end in {', '.join(FIGURE_FORMATS)}; got {text!r}")
    if not path.resolve().parent.is_dir():
        raise CommandError(f"cannot write {text}: its directory does not exist")
    return path


def _save(figure: Any, path: Path, stderr: Any) -> None:
    import tempfile

    from sigmanet.persistence import write_atomically
    from sigmanet.plotting import save_figure

    try:
        # drawn aside, then written as the model files are: an existing picture is replaced
        # whole or not at all
        with tempfile.TemporaryDirectory() as scratch:
            drawn = save_figure(figure, Path(scratch) / f"figure{path.suffix}")
            write_atomically(path, drawn.read_bytes(), overwrite=True)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror or error}") from error
    print(f"wrote {path}", file=stderr)


def cmd_plot(args: argparse.Namespace, stdout: Any, stderr: Any) -> int:
    read = {"model file": getattr(args, "model", None), "data file": getattr(args, "data", None)}
    _refuse_overwriting_inputs(
        "--output", args.output, {role: path for role, path in read.items() if path}
    )
    output = _output_path(args.output)
    try:
        from sigmanet import plotting
    except ImportError as error:  # pragma: no cover - only without matplotlib
        raise CommandError(str(error)) from error
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:  # pragma: no cover
        raise CommandError('plotting needs matplotlib: pip install "sigmanet[plot]"') from error

    if args.plot == "activations":
        from sigmanet import activations

        known = set(activations.names())
        unknown = [name for name in args.names if name not in known]
        if unknown:
            raise UsageError(
                f"unknown activation(s) {', '.join(unknown)}; available: {', '.join(sorted(known))}"
            )
        figure = plotting.plot_activations(args.names, derivatives=args.derivatives)
    elif args.plot == "loss":
        _, inputs = _load_for_data(args.model)
        figure = plotting.plot_loss_curve(inputs.estimator, log_scale=args.log)
    elif args.plot == "boundary":
        model, inputs = _load_for_data(args.model)
        if not _is_classifier(model):
            raise CommandError(f"{args.model}: a decision boundary needs a classifier")
        table = read_table(args.data)
        _check_columns_exist(table, [args.target], "target column")
        features = _input_columns(model, inputs, table, args.target)
        if len(features) != 2:
            raise CommandError(
                f"{args.model}: the model has {len(features)} input columns; a decision "
                "boundary needs a model trained on exactly 2"
            )
        if inputs.categories:
            raise CommandError(
                f"{args.model}: the model's inputs include one-hot columns; plot boundary needs "
                "a model trained on two numeric columns"
            )
        X, rows = prepare_inputs(table, model, inputs, args.target, drop_incomplete=True)
        y, missing = parse_target(table, args.target, _label_kind(model))
        keep = ~missing[rows]
        # the whole pipeline is drawn, so the axes are in the data's own units
        figure = plotting.plot_decision_boundary(
            model,
            X[keep],
            y[rows][keep],
            feature_names=features,
            name=type(inputs.estimator).__name__,
        )
    elif args.plot == "gradients-through-time":
        figure = _through_time_figure(args, stdout)
    else:  # gradient-flow
        figure = _gradient_flow_figure(args, stdout, stderr)
    _save(figure, output, stderr)
    return 0


def _gradient_flow_data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, str]:
    from sigmanet.preprocessing import StableStandardScaler

    if args.data is None:
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        name = "scikit-learn digits"
    else:
        if args.target is None:
            raise UsageError("--data needs --target COLUMN")
        table = read_table(args.data)
        plan = plan_training_data(table, args.target, [], False, "none", True)
        X = raw_inputs(table, plan.columns, plan.features, (), plan.rows)
        y = plan.y[plan.rows]
        name = args.data
    return StableStandardScaler().fit_transform(X), y, name


def _gradient_flow_figure(args: argparse.Namespace, stdout: Any, stderr: Any) -> Any:
    from sigmanet import plotting
    from sigmanet.diagnostics import GradientFlowRecorder

    X, y, name = _gradient_flow_data(args)
    cls = _estimator_classes()["MLPClassifier"]
    recorders = {}
    for activation in ("sigmoid", "relu"):
        recorder = GradientFlowRecorder()
        model = cls(
            hidden_layer_sizes=(args.width,) * args.depth,
            activation=activation,
            alpha=0.0,
            max_iter=args.epochs,
            random_state=args.random_state,
        )
        with warnings.catch_warnings():
            # a few epochs cannot converge, and that is not the point here
            warnings.simplefilter("ignore")
            model.fit(X, y, callbacks=[recorder])
        recorders[activation] = recorder
    console = _console(stdout)
    console.print(
        f"mean |dL/dW| per layer, {args.depth} hidden layers of {args.width}, "
        f"{args.epochs} epoch(s) on {name} (standardised):"
    )
    for activation, recorder in recorders.items():
        mean = recorder.history.mean(axis=0)
        ratio = mean[0] / mean[-1] if mean[-1] > 0 else float("nan")
        values = "  ".join(f"{value:.2e}" for value in mean)
        console.print(f"  {activation:8s} {values}   first/last = {ratio:.3g}")
    return plotting.plot_gradient_flow(
        recorders,
        title=f"gradient flow: {args.depth}×{args.width} sigmoid vs relu on {name}",
    )


def _through_time_figure(args: argparse.Namespace, stdout: Any) -> Any:
    from sigmanet import plotting
    from sigmanet.diagnostics import gradients_through_time

    try:
        norms = gradients_through_time(
            args.cells, steps=args.steps, units=args.units, random_state=args.random_state
        )
    except ValueError as error:
        raise CommandError(f"--cells: {error}") from error
    console = _console(stdout)
    console.print(f"‖dL/dh_t‖ with the loss at step {args.steps}, {args.units} units:")
    marks = sorted({0, min(10, args.steps - 1), min(50, args.steps - 1), args.steps - 1})
    console.print("  steps back " + "  ".join(f"{back:>8d}" for back in marks))
    for cell, curve in norms.items():
        values = "  ".join(f"{curve[args.steps - 1 - back]:8.1e}" for back in marks)
        console.print(f"  {cell:<10} {values}")
    return plotting.plot_gradients_through_time(
        norms, title=f"gradients through time over {args.steps} steps"
    )


# -- trace ----------------------------------------------------------------------------------


def _arr(values: np.ndarray, indent: int = 0) -> str:
    """An array for the trace: vectors as ``[a, b]``, matrices aligned row under row."""
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[0] == 1:
        values = values[0]
    if values.ndim <= 1:
        return "[" + ", ".join(f"{value:.6g}" for value in np.atleast_1d(values)) + "]"
    text = np.array2string(
        values, precision=6, separator=", ", floatmode="maxprec", max_line_width=100 - indent
    )
    return text.replace("\n", "\n" + " " * indent)


def _show(out: Any, prefix: str, values: np.ndarray, suffix: str = "") -> None:
    print(f"{prefix}{_arr(values, len(prefix))}{suffix}", file=out)


_TRACE_KEYS = (
    "x",
    "y",
    "weights",
    "biases",
    "activation",
    "output_activation",
    "loss",
    "learning_rate",
)
_TRACE_DEFAULTS = {"activation": "sigmoid", "loss": "squared_error", "learning_rate": 0.5}


def _trace_file(path: str) -> dict[str, Any]:
    """The values of ``trace --params FILE``: a JSON object with keys of :data:`_TRACE_KEYS`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read --params file {path}: {error.strerror or error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"--params file {path} is not valid JSON (line {error.lineno}, column "
            f"{error.colno}: {error.msg})."
        ) from None
    if not isinstance(document, dict):
        raise UsageError(f"--params file {path} must hold a JSON object {{...}} of named values.")
    unknown = sorted(set(document) - set(_TRACE_KEYS))
    if unknown:
        raise UsageError(
            f"--params file {path} has unknown key(s) {', '.join(map(repr, unknown))}; "
            f"valid keys: {', '.join(_TRACE_KEYS)}."
        )
    return document


def _json_option(name: str) -> Any:
    """An argparse type: a JSON value, e.g. ``--weights '[[[0.15, 0.25], [0.2, 0.3]]]'``."""

    def parse(text: str) -> Any:
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise argparse.ArgumentTypeError(
                f"{name} must be JSON, e.g. a list of matrices [[[...], ...], ...] "
                f"({error.msg} at character {error.pos})"
            ) from None

    return parse


def cmd_trace(args: argparse.Namespace, stdout: Any, stderr: Any) -> int:
    from sigmanet.diagnostics import trace_backprop

    # the file, then the options given on the command line over it, then the defaults
    values: dict[str, Any] = _trace_file(args.params) if args.params else {}
    for key in _TRACE_KEYS:
        given = getattr(args, key)
        if given is not None:
            values[key] = given
    for key, default in _TRACE_DEFAULTS.items():
        values.setdefault(key, default)
    explicit = "weights" in values
    if not explicit and "biases" in values:
        raise UsageError("biases were given without weights: give --weights too.")
    seed = 0 if args.seed is None else args.seed
    options = {
        "activation": values["activation"],
        "output_activation": values.get("output_activation"),
        "loss": values["loss"],
        "learning_rate": values["learning_rate"],
    }
    try:
        trace = trace_backprop(
            values.get("x"),
            values.get("y"),
            layer_sizes=args.sizes or (2, 3, 1),
            weights=values.get("weights"),
            biases=values.get("biases"),
            random_state=seed,
            **options,
        )
        after = trace_backprop(
            trace.x,
            trace.y,
            weights=[step.W_new for step in trace.layers],
            biases=[step.b_new for step in trace.layers],
            **options,
        )
    except (TypeError, ValueError) as error:
        raise UsageError(str(error)) from error
    out = stdout
    L = len(trace.layers)
    last = trace.layers[-1]
    sizes = "-".join(map(str, trace.layer_sizes))
    sigmoid_out = last.activation in ("sigmoid", "logistic")
    g_out = "σ" if sigmoid_out else "g"
    loss_text = "squared error" if trace.loss_name == "squared_error" else "log loss"
    samples = "one sample" if trace.x.shape[0] == 1 else f"{trace.x.shape[0]} samples"
    print(
        f"One forward and backward pass of a {sizes} network ({values['activation']} hidden, "
        f"{last.activation} output), {samples}, {loss_text}.",
        file=out,
    )
    print(
        f"x = {_arr(trace.x)}    y = {_arr(trace.y)}    η (learning rate) = "
        f"{trace.learning_rate:g}",
        file=out,
    )
    if explicit:
        print("Weights and biases as given.", file=out)
    else:
        print(
            f"Weights drawn with seed {seed} uniformly in [-1, 1], rounded to 2 decimals; "
            "biases 0.",
            file=out,
        )
    print(
        "Rows are samples: z = a W + b is the textbook column form W x + b, transposed.",
        file=out,
    )
    print("Recorded from the library's own forward and backward pass (Sequential).\n", file=out)

    sigmoid_formula = "      σ(z) = 1 / (1 + e^(-z))" if sigmoid_out else ""
    print(f"FORWARD   z[l] = a[l-1] W[l] + b[l]      a[l] = g(z[l]){sigmoid_formula}", file=out)
    pad = "    "
    for step in trace.layers:
        l = step.index
        print(f"  layer {l} ({step.W.shape[0]} → {step.W.shape[1]}, {step.activation})", file=out)
        _show(out, f"{pad}W[{l}] = ", step.W)
        _show(out, f"{pad}b[{l}] = ", step.b)
        _show(out, f"{pad}z[{l}] = a[{l - 1}] W[{l}] + b[{l}] = ", step.z)
        _show(out, f"{pad}a[{l}] = {step.activation}(z[{l}]) = ", step.a)
    _show(out, f"  output  ŷ = a[{L}] = ", trace.output)
    if trace.loss_name == "squared_error":
        mean = "" if trace.x.shape[0] == 1 else "(1/m) Σ_rows "
        print(f"  loss    L = {mean}½ Σ (ŷ - y)² = {trace.loss:.6g}\n", file=out)
    else:
        mean = "" if trace.x.shape[0] == 1 else "(1/m) Σ_rows "
        print(f"  loss    L = {mean}-(y log ŷ + (1 - y) log(1 - ŷ)) = {trace.loss:.6g}\n", file=out)

    # with m samples dz is per sample and the batch loss their mean: the sums carry 1/m
    per_m, rows = ("", "") if trace.x.shape[0] == 1 else (" / m", "Σ_rows ")
    print(
        f"BACKWARD  dz[l] = ∂ℓ/∂z[l]      dW[l] = a[l-1]ᵀ dz[l]{per_m}      "
        f"db[l] = {rows}dz[l]{per_m}",
        file=out,
    )
    print(f"  layer {L} (output)", file=out)
    if sigmoid_out:
        _show(out, f"{pad}σ'(z[{L}]) = σ(z)(1 - σ(z)) = a[{L}](1 - a[{L}]) = ", last.g_prime)
    else:
        _show(out, f"{pad}g'(z[{L}]) = ", last.g_prime)
    if trace.loss_name == "squared_error":
        _show(out, f"{pad}δ = (y - ŷ) {g_out}'(z[{L}]) = ", trace.delta, "      (the delta rule)")
        _show(out, f"{pad}dz[{L}] = (ŷ - y) {g_out}'(z[{L}]) = -δ = ", last.dz)
    else:
        _show(out, f"{pad}dz[{L}] = ŷ - y = ", last.dz, "      (sigmoid with log loss: σ' cancels)")
    for step in reversed(trace.layers):
        l = step.index
        if l != L:
            g = "σ" if step.activation in ("sigmoid", "logistic") else "g"
            print(f"  layer {l}", file=out)
            if g == "σ":
                _show(out, f"{pad}σ'(z[{l}]) = a[{l}](1 - a[{l}]) = ", step.g_prime)
            else:
                _show(out, f"{pad}g'(z[{l}]) = ", step.g_prime)
            _show(out, f"{pad}dz[{l}] = (dz[{l + 1}] W[{l + 1}]ᵀ) ⊙ {g}'(z[{l}]) = ", step.dz)
        _show(out, f"{pad}dW[{l}] = a[{l - 1}]ᵀ dz[{l}]{per_m} = ", step.dW)
        _show(out, f"{pad}db[{l}] = {rows}dz[{l}]{per_m} = ", step.db)
    _show(
        out,
        f"  output layer in the delta rule's form, Δw_ij = η δ_j x_i = -η dW[{L}] = ",
        -trace.learning_rate * last.dW,
        "\n",
    )

    print(f"UPDATE    W ← W - η dW      b ← b - η db      (η = {trace.learning_rate:g})", file=out)
    for step in trace.layers:
        _show(out, f"  W[{step.index}] = ", step.W_new)
        _show(out, f"  b[{step.index}] = ", step.b_new)
    print(f"  loss after the step: {after.loss:.6g} (before: {trace.loss:.6g})", file=out)
    return 0


# -- demo -----------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace, stdout: Any, stderr: Any) -> int:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

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
    printer = _EpochPrinter(console, X_test, y_test)
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
        model.fit(X_train, y_train, callbacks=[printer])
    _emit_warnings(caught, stderr)
    rows, matrix = classification_metrics(model, X_test, y_test)
    console.print(f"held-out images ({len(y_test)})")
    console.print(_metrics_table(rows))
    console.print("confusion matrix (rows: true digit, columns: predicted digit)")
    console.print(_confusion_table(matrix, list(model.classes_)))
    return 0


class _EpochPrinter(Callback):
    """Prints each epoch's training loss and held-out accuracy (digits labels are 0..9)."""

    def __init__(self, console: Any, X_test: np.ndarray, y_test: np.ndarray) -> None:
        self.console = console
        self.X_test = X_test
        self.y_test = y_test

    def on_train_begin(self, network: Any) -> None:
        return None

    def on_batch_end(self, network: Any, logs: dict[str, Any]) -> None:
        return None

    def on_epoch_end(self, network: Any, logs: dict[str, Any]) -> bool:
        predicted = np.argmax(network.forward(self.X_test), axis=1)
        accuracy = float(np.mean(predicted == self.y_test))
        self.console.print(
            f"epoch {int(logs['epoch']) + 1:3d}   loss {logs['loss']:.4f}   "
            f"held-out accuracy {accuracy:.3f}"
        )
        return False

    def on_train_end(self, network: Any, history: Any) -> None:
        return None


# ============================================================================================
# The parser
# ============================================================================================

_EXAMPLES = {
    "train": """example:
  sigmanet train iris.csv --target species --model mlp-classifier \\
      --hidden-layer-sizes 16 --activation tanh --max-iter 300 --save iris.safetensors
  sigmanet train houses.csv --target price --model mlp-regressor --standardize \\
      --one-hot-categoricals --impute median --drop-columns id
  sigmanet train balances.csv --target balance --model mlp-regressor --standardize \\
      --scale-target --save balances.safetensors
  sigmanet train moons.csv --target label --random-state 0 --report report.html

--save writes ONE file: the fitted preprocessing (input columns, imputation, one-hot
categories, scaling) and the model, as one scikit-learn pipeline that predict, evaluate,
info and plot read back.""",
    "predict": """example:
  sigmanet predict iris.safetensors new_flowers.csv --proba --output predictions.csv""",
    "evaluate": """example:
  sigmanet evaluate iris.safetensors test.csv --target species""",
    "info": """example:
  sigmanet info iris.safetensors""",
    "plot": """examples:
  sigmanet plot activations --names sigmoid,tanh,relu --output activations.png
  sigmanet plot loss iris.safetensors --output loss.svg
  sigmanet plot boundary model.safetensors two_features.csv --target label --output regions.png
  sigmanet plot gradient-flow --output gradient_flow.png
  sigmanet plot gradients-through-time --output through_time.png""",
    "activations": """example:
  sigmanet plot activations --names sigmoid,tanh --derivatives 0,1 --output activations.svg""",
    "loss": """example:
  sigmanet plot loss iris.safetensors --output loss.png""",
    "boundary": """example:
  sigmanet plot boundary model.safetensors two_features.csv --target label --output regions.png""",
    "gradient-flow": """example:
  sigmanet plot gradient-flow --depth 6 --width 32 --epochs 3 --output gradient_flow.png
  sigmanet plot gradient-flow --data cancer.csv --target diagnosis --output flow.svg""",
    "gradients-through-time": """example:
  sigmanet plot gradients-through-time --steps 100 --output through_time.png
  sigmanet plot gradients-through-time --cells rnn,lstm,gru --output through_time.svg""",
    "trace": """examples:
  sigmanet trace
  sigmanet trace --x 0.05,0.10 --y 0.01,0.99 --sizes 2,2,2 --learning-rate 0.5
  sigmanet trace --x 0.05,0.10 --y 0.01,0.99 --learning-rate 0.5 \\
      --weights '[[[0.15, 0.25], [0.20, 0.30]], [[0.40, 0.50], [0.45, 0.55]]]' \\
      --biases '[[0.35, 0.35], [0.60, 0.60]]'
  sigmanet trace --params step.json      # the same values as one JSON object

A --params file holds any of the keys x, y, weights, biases, activation,
output_activation, loss, learning_rate; options on the command line override it.
weights[l] is W[l] of shape (inputs, outputs): z = a W + b, rows are samples.""",
    "demo": """example:
  sigmanet demo""",
}


def _add_command(subparsers: Any, name: str, help_text: str, description: str) -> _Parser:
    return subparsers.add_parser(
        name,
        help=help_text,
        description=description,
        epilog=_EXAMPLES[name],
        formatter_class=_Formatter,
    )


def build_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="sigmanet: the sigmoid family of models from first principles.",
        epilog="""examples:
  sigmanet demo
  sigmanet train data.csv --target label --save model.safetensors
  sigmanet predict model.safetensors new.csv --output predictions.csv
  sigmanet trace

Run 'sigmanet COMMAND --help' for a command's options.""",
        formatter_class=_Formatter,
    )
    from sigmanet import __version__

    parser.add_argument("--version", action="version", version=f"sigmanet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    train = _add_command(
        commands,
        "train",
        "train a model on a CSV/Parquet file",
        "Train a model on DATA and report metrics on a held-out split.",
    )
    train.add_argument("data", metavar="DATA", help="CSV file (or .parquet with pyarrow)")
    train.add_argument("--target", required=True, metavar="COLUMN", help="the column to predict")
    train.add_argument(
        "--model",
        choices=sorted(MODELS),
        default="mlp-classifier",
        help="model to train (default: mlp-classifier)",
    )
    train.add_argument(
        "--hidden-layer-sizes",
        type=_int_list,
        metavar="N,N,...",
        help="hidden layer widths, e.g. 64,32 (MLPs; default 100)",
    )
    train.add_argument(
        "--activation",
        metavar="NAME",
        help="hidden activation, e.g. relu, sigmoid, tanh, gelu (MLPs)",
    )
    train.add_argument("--solver", metavar="NAME", help="adam, sgd, lbfgs, ...")
    train.add_argument("--max-iter", type=_positive_int, metavar="N", help="epochs/iterations")
    train.add_argument(
        "--learning-rate-init", type=_positive_float, metavar="ETA", help="initial learning rate"
    )
    train.add_argument(
        "--alpha",
        type=_nonnegative_float,
        metavar="A",
        help="L2 penalty (for logistic/softmax: C = 1/A)",
    )
    train.add_argument(
        "--batch-size",
        type=_batch_size,
        metavar="N",
        help="mini-batch size, 'auto' or 'full' (batch gradient descent)",
    )
    train.add_argument(
        "--validation-fraction",
        type=_fraction,
        default=0.1,
        metavar="F",
        help="share of rows held out for the final metrics (default 0.1; 0: none)",
    )
    train.add_argument(
        "--random-state",
        type=int,
        metavar="SEED",
        help="seed of the split and the model (default: random)",
    )
    train.add_argument("--save", metavar="MODEL", help="write the trained model to this file")
    train.add_argument("--force", action="store_true", help="overwrite an existing MODEL")
    train.add_argument(
        "--report",
        metavar="FILE.html",
        help="write a self-contained HTML training report (figures, metrics, the run as JSON)",
    )
    train.add_argument("--drop-columns", type=_name_list, metavar="A,B", help="columns to ignore")
    train.add_argument(
        "--one-hot-categoricals", action="store_true", help="one-hot encode non-numeric columns"
    )
    train.add_argument(
        "--impute",
        choices=IMPUTE_CHOICES,
        default="none",
        help="missing values: fill with the column mean/median, drop the rows, "
        "or refuse (none, the default)",
    )
    train.add_argument(
        "--standardize",
        action="store_true",
        help="centre and scale the numeric features by their training mean and std",
    )
    train.add_argument(
        "--scale-target",
        action="store_true",
        help="regressors: learn the target standardised by its training mean and std "
        "(predictions come back in the target's units)",
    )
    train.add_argument("--float32", action="store_true", help="train in float32")
    train.add_argument("--quiet", action="store_true", help="no progress output")

    predict = _add_command(
        commands,
        "predict",
        "predict with a saved model",
        "Write predictions for DATA as CSV (one row per input row).",
    )
    predict.add_argument("model", metavar="MODEL")
    predict.add_argument("data", metavar="DATA")
    predict.add_argument("--output", metavar="FILE", help="CSV file to write (default: stdout)")
    predict.add_argument("--proba", action="store_true", help="add class probability columns")
    predict.add_argument("--force", action="store_true", help="overwrite an existing FILE")

    evaluate = _add_command(
        commands,
        "evaluate",
        "score a saved model on labelled data",
        "Classifiers: accuracy, log loss, macro precision/recall/F1 and the "
        "confusion matrix. Regressors: R², MAE, RMSE.",
    )
    evaluate.add_argument("model", metavar="MODEL")
    evaluate.add_argument("data", metavar="DATA")
    evaluate.add_argument("--target", required=True, metavar="COLUMN")

    info = _add_command(
        commands,
        "info",
        "describe a saved model",
        "Layers, shapes, parameters and training history of a model file.",
    )
    info.add_argument("model", metavar="MODEL")

    plot = _add_command(
        commands,
        "plot",
        "draw a figure (needs matplotlib)",
        "Draw a figure to a .png, .svg or .pdf file.",
    )
    plots = plot.add_subparsers(dest="plot", metavar="FIGURE", parser_class=_Parser)
    plots.required = True
    activations = _add_command(
        plots,
        "activations",
        "activation functions and derivatives",
        "f, f' and f'' of registered activations.",
    )
    activations.add_argument(
        "--names",
        type=_name_list,
        default=["sigmoid", "tanh", "relu"],
        metavar="A,B",
        help="activations (default sigmoid,tanh,relu)",
    )
    activations.add_argument(
        "--derivatives",
        type=_derivative_orders,
        default=(0, 1, 2),
        metavar="0,1,2",
        help="orders to draw (default 0,1,2)",
    )
    loss = _add_command(
        plots,
        "loss",
        "training/validation loss curves",
        "The loss per epoch recorded in a model file.",
    )
    loss.add_argument("model", metavar="MODEL")
    loss.add_argument("--log", action="store_true", help="logarithmic loss axis")
    boundary = _add_command(
        plots,
        "boundary",
        "decision regions of a 2-feature classifier",
        "Decision regions of a classifier trained on two numeric columns.",
    )
    boundary.add_argument("model", metavar="MODEL")
    boundary.add_argument("data", metavar="DATA")
    boundary.add_argument("--target", required=True, metavar="COLUMN")
    flow = _add_command(
        plots,
        "gradient-flow",
        "vanishing gradients: deep sigmoid vs relu",
        "Train the same deep network with sigmoid and with relu hidden layers "
        "for a few epochs, recording mean |dL/dW| per layer.",
    )
    flow.add_argument("--data", metavar="DATA", help="CSV file (default: scikit-learn digits)")
    flow.add_argument("--target", metavar="COLUMN", help="class column of DATA")
    flow.add_argument(
        "--depth", type=_positive_int, default=6, metavar="N", help="hidden layers (default 6)"
    )
    flow.add_argument(
        "--width",
        type=_positive_int,
        default=32,
        metavar="N",
        help="units per hidden layer (default 32)",
    )
    flow.add_argument(
        "--epochs", type=_positive_int, default=3, metavar="N", help="epochs (default 3)"
    )
    flow.add_argument("--random-state", type=int, default=0, metavar="SEED")
    through_time = _add_command(
        plots,
        "gradients-through-time",
        "vanishing gradients through time: tanh RNN vs LSTM",
        "The norm of dL/dh_t against the steps between h_t and the loss, for a freshly "
        "initialised tanh RNN and LSTM on the same random sequences.",
    )
    through_time.add_argument(
        "--steps", type=_positive_int, default=100, metavar="T", help="time steps (default 100)"
    )
    through_time.add_argument(
        "--units", type=_positive_int, default=32, metavar="N", help="state width (default 32)"
    )
    through_time.add_argument(
        "--cells",
        type=_name_list,
        default=["rnn", "lstm"],
        metavar="A,B",
        help="cells among rnn, lstm, gru (default rnn,lstm)",
    )
    through_time.add_argument("--random-state", type=int, default=0, metavar="SEED")
    for sub in (activations, loss, boundary, flow, through_time):
        sub.add_argument(
            "--output", required=True, metavar="FILE", help="image file: .png, .svg or .pdf"
        )

    trace = _add_command(
        commands,
        "trace",
        "one backpropagation step, printed",
        "One forward and backward pass of a tiny network with every "
        "intermediate value, beside the formulas.",
    )
    trace.add_argument(
        "--params",
        metavar="FILE.json",
        help="a JSON object with x, y, weights, biases, ... (options override it)",
    )
    trace.add_argument("--x", type=_float_list, metavar="X1,X2", help="input (default 1,0.5)")
    trace.add_argument("--y", type=_float_list, metavar="Y", help="target (default 1)")
    trace.add_argument(
        "--weights",
        type=_json_option("--weights"),
        metavar="JSON",
        help="W[1], W[2], ... as a JSON list of (inputs × outputs) matrices",
    )
    trace.add_argument(
        "--biases",
        type=_json_option("--biases"),
        metavar="JSON",
        help="b[1], b[2], ... as a JSON list of vectors (default zeros)",
    )
    trace.add_argument(
        "--sizes",
        type=_int_list,
        metavar="N,N,N",
        help="layer widths from input to output, for drawn weights (default 2,3,1)",
    )
    trace.add_argument(
        "--activation",
        metavar="NAME",
        help="hidden activation (default sigmoid)",
    )
    trace.add_argument(
        "--output-activation", metavar="NAME", help="output activation (default: --activation)"
    )
    trace.add_argument("--loss", choices=("squared_error", "log_loss"))
    trace.add_argument("--learning-rate", type=_positive_float, metavar="ETA", help="default 0.5")
    trace.add_argument("--seed", type=int, help="seed of drawn weights (default 0)")

    demo = _add_command(
        commands,
        "demo",
        "train on scikit-learn's digits and report",
        "Train an MLPClassifier on scikit-learn's bundled digits (no download) "
        "and report the held-out accuracy.",
    )
    demo.add_argument(
        "--max-iter", type=_positive_int, default=30, metavar="N", help="epochs (default 30)"
    )
    demo.add_argument("--random-state", type=int, default=0, metavar="SEED")

    from sigmanet.playground import command as playground

    playground.add_parser(commands, _Formatter)
    return parser


def _derivative_orders(text: str) -> tuple[int, ...]:
    try:
        orders = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected orders among 0,1,2; got {text!r}") from None
    if (
        not orders
        or any(order not in (0, 1, 2) for order in orders)
        or len(set(orders)) != len(orders)
    ):
        raise argparse.ArgumentTypeError(f"expected distinct orders among 0,1,2; got {text!r}")
    return orders


def _playground_run(args: argparse.Namespace, stdout: Any, stderr: Any) -> int:
    from sigmanet.playground.command import run

    return run(args, stdout, stderr)


#: Exit statuses of a process ended by SIGINT (Ctrl-C) and SIGPIPE, as shells report them.
EXIT_INTERRUPTED = 128 + 2
EXIT_BROKEN_PIPE = 128 + 13

_COMMANDS: dict[str, Callable[[argparse.Namespace, Any, Any], int]] = {
    "train": cmd_train,
    "predict": cmd_predict,
    "evaluate": cmd_evaluate,
    "info": cmd_info,
    "plot": cmd_plot,
    "trace": cmd_trace,
    "demo": cmd_demo,
    "playground": _playground_run,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sigmanet`` command with ``argv`` (default ``sys.argv[1:]``); return its status.

    0 on success, 1 for a data or model error, 2 for a usage error. Errors are printed as one
    line on stderr, ``sigmanet: error: ...``, without a traceback. As shells report a process
    ended by a signal: 130 (128 + SIGINT) after Ctrl-C, and 141 (128 + SIGPIPE), silently, when
    the reader of stdout has gone (``sigmanet predict ... | head -1``).
    """
    stdout, stderr = sys.stdout, sys.stderr
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(None if argv is None else list(argv))
        except SystemExit as exit_:  # --help and --version
            return int(exit_.code or 0) if not isinstance(exit_.code, str) else 2
        status = _COMMANDS[args.command](args, stdout, stderr)
        stdout.flush()  # a closed pipe is reported here, not as an error at interpreter exit
        return status
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=stderr)
        return 2
    except CommandError as error:
        print(f"{PROG}: error: {error}", file=stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout has gone (`sigmanet predict ... | head -1`): the rest is not
        # wanted. Stop quietly, as cat or grep do when SIGPIPE ends them; what is still
        # buffered goes to /dev/null, so that Python's flush at exit cannot fail again.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as error:
        from sigmanet.exceptions import SigmanetError

        if isinstance(error, SigmanetError | ValueError | OSError | ImportError):
            print(f"{PROG}: error: {_one_line(error)}", file=stderr)
            return 1
        raise


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    if isinstance(error, OSError) and error.filename and error.strerror:
        text = f"{error.filename}: {error.strerror}"
    return " ".join(text.split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
