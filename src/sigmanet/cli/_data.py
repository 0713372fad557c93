"""Reading a data file and turning its columns into a model's input.

A CSV or Parquet file becomes a :class:`Table`, read by pyarrow through :mod:`sigmanet.data`
after its header (or schema) has been checked against the names the command needs; its
columns are analysed, vectorised, when first used. :func:`plan_training_data` checks it
against ``train``'s options and :func:`build_preprocessing` makes the scikit-learn pipeline
that turns its columns into features; :func:`prepare_inputs` reads a file for a saved model.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sigmanet.cli._errors import CommandError, UsageError


@contextlib.contextmanager
def _data_errors() -> Any:
    """A data file that cannot be read is a :class:`CommandError` (one line, exit status 1)."""
    from sigmanet.data import DataFileError

    try:
        yield
    except DataFileError as error:
        raise CommandError(str(error)) from error


class Table:
    """A data file's columns, read by pyarrow (:mod:`sigmanet.data`), analysed when first used.

    Rows are numbered from 0. :meth:`where` names a row as the file does (``line N`` of a CSV
    file, ``row N`` of a Parquet file), found only when a message needs it. Each column's
    pyarrow data is let go once it has been analysed, so the file is held once, not twice.
    """

    def __init__(self, header: Any, arrow: Any) -> None:
        self.header = header
        self.source: str = header.source
        self.columns: list[str] = list(arrow.column_names)
        self.n_rows: int = arrow.num_rows
        self._arrow = {name: arrow.column(name) for name in self.columns}
        self._analysed: dict[str, Column] = {}
        self._where: dict[int, str] = {}

    def column(self, name: str) -> Column:
        """The column ``name`` analysed (:func:`sigmanet.data.column_values`)."""
        if name not in self._analysed:
            from sigmanet.data import column_values

            with _data_errors():
                self._analysed[name] = column_values(self._arrow.pop(name), name, self.source)
        return self._analysed[name]

    def release(self) -> None:
        """Let go of the columns not analysed, and return pyarrow's freed memory to the system
        (its allocator keeps it otherwise, and the data would be held twice)."""
        import pyarrow

        self._arrow.clear()
        pyarrow.default_memory_pool().release_unused()

    def locate(self, rows: Sequence[int]) -> dict[int, str]:
        """Where each of ``rows`` is in the file (one pass over a CSV file for all of them)."""
        from sigmanet.data import row_locations

        wanted = [int(row) for row in rows if int(row) not in self._where]
        if wanted:
            self._where.update(row_locations(self.header, wanted))
        return {int(row): self._where[int(row)] for row in rows}

    def where(self, row: int) -> str:
        return self.locate([row])[int(row)]

    def texts(self, name: str) -> list[str]:
        """A column's cells as the text they are (stripped; "" where missing), not analysed as
        numbers: identifiers such as ``007`` stay so (read it with ``as_text``)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from sigmanet.data import MISSING_TOKENS

        text = pc.utf8_trim_whitespace(pc.cast(self._arrow[name], pa.string()))
        missing = pc.fill_null(pc.is_in(pc.utf8_lower(text), pa.array(MISSING_TOKENS)), True)
        return pc.if_else(missing, "", text).to_pylist()

    def cell(self, name: str, row: int) -> str:
        """The cell's text, for messages."""
        return self.column(name).text(row)


def read_table(
    path: str,
    *,
    required: dict[str, Sequence[str]] | None = None,
    columns: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    progress: Any = None,
    as_text: Sequence[str] = (),
    cancelled: Callable[[], bool] | None = None,
) -> Table:
    """Read a CSV or Parquet file; every problem becomes a :class:`CommandError`.

    The header (or the Parquet schema) is read first: the names in ``required`` (``{what:
    names}``, e.g. ``{"target column": ["species"]}``) must be columns of the file, or the
    command fails at once, naming the closest columns, however large the file. Then the
    columns ``columns`` (all by default) except ``skip`` are read, with progress on
    ``progress`` (a text file such as stderr) for large files; those in ``as_text`` as the
    text they are (identifiers: ``007`` is not the number 7). ``cancelled`` stops the read
    of a CSV file once it returns true (:class:`BackgroundRead`).
    """
    from sigmanet.data import check_columns, read_data, read_header

    with _data_errors():
        header = read_header(path)
        for what, names in (required or {}).items():
            check_columns(header, names, what)
        chosen = list(header.names if columns is None else columns)
        check_columns(header, chosen, "column(s)")
        chosen = [name for name in chosen if name not in skip]
        arrow = read_data(header, chosen, progress=progress, as_text=as_text, cancelled=cancelled)
    return Table(header, arrow)


class BackgroundRead:
    """:func:`read_table` in a thread, started before a command's slow imports (scikit-learn
    and SciPy take seconds), so that those overlap pyarrow's parsing, which runs without the
    GIL.

    :meth:`result` gives the table, or raises what :func:`read_table` raised, so a command
    reports a file's problems as it does when it reads in its own thread, and at the same
    point. :meth:`close` stops the read if it is still going (the command failed before it
    needed the table, or Ctrl-C) and waits for the thread: none is left running.
    """

    def __init__(self, path: str, **options: Any) -> None:
        self._stop = threading.Event()
        self._table: Table | None = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._table = read_table(path, cancelled=self._stop.is_set, **options)
            except BaseException as error:  # handed to the main thread by result()
                self._error = error

        self._thread = threading.Thread(target=run, name="sigmanet-read", daemon=True)
        self._thread.start()

    def result(self) -> Table:
        """The table, once read; or the error of the read."""
        while self._thread.is_alive():
            self._thread.join(0.1)  # in short waits, so that Ctrl-C is seen at once
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        assert self._table is not None
        table, self._table = self._table, None  # the caller holds the only reference
        return table

    def close(self) -> None:
        """Stop the read if it is still going, and wait for its thread to end."""
        self._stop.set()
        self._thread.join()
        self._table = self._error = None


def read_for_model(
    path: str,
    model: Any,
    inputs: ModelInputs,
    target: str | None,
    *,
    progress: Any = None,
    what: str = "target column",
    as_text: Sequence[str] = (),
) -> Table:
    """Read the columns a loaded model takes (and ``target``, or another column not an input,
    named ``what`` in messages), checked from the header first."""
    required: dict[str, Sequence[str]] = {}
    columns = None
    if target is not None:
        required[what] = [target]
    if inputs.columns is not None:
        required["input column(s)"] = inputs.columns
        columns = [*inputs.columns, *([target] if target and target not in inputs.columns else [])]
    return read_table(path, required=required, columns=columns, progress=progress, as_text=as_text)


Column = Any  # sigmanet.data.ColumnValues: a column's numbers or text, and its odd cells


def analyse_column(table: Table, name: str) -> Column:
    return table.column(name)


def _stray_text_error(table: Table, column: Column, advice: str) -> CommandError:
    where = table.locate([row for row, _ in column.stray_text])
    shown = ", ".join(f"{where[row]}: {cell!r}" for row, cell in column.stray_text) + (
        " ..." if column.n_stray_text > len(column.stray_text) else ""
    )
    return CommandError(
        f"{table.source}: column {column.name!r} holds numbers, but {column.n_stray_text} "
        f"cell(s) are not numbers ({shown}); {advice}"
    )


def _decimal_comma_error(table: Table, column: Column) -> CommandError:
    row, cell = column.decimal_comma
    return CommandError(
        f"{table.source}: column {column.name!r} holds numbers written with a decimal comma "
        f"({table.where(row)}: {cell!r}); sigmanet reads numbers with a decimal point: save the "
        "file with '.' as the decimal separator (e.g. from a spreadsheet: CSV with ';' or ',' "
        "as the delimiter and '.' for decimals), or read it in Python with "
        "sigmanet.data.read_data(path, decimal_comma=True)"
    )


def _column_list(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names)


# ============================================================================================
# Preprocessing: a scikit-learn pipeline fitted on the training rows, saved inside the model
# ============================================================================================


def _check_columns_exist(table: Table, names: Sequence[str], what: str) -> None:
    from sigmanet.data import check_columns

    with _data_errors():
        check_columns(table.header, names, what)


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


def _label_texts(column: Column) -> np.ndarray:
    """A column's cells as text labels ("" where missing), vectorised."""
    if column.numeric:
        values = np.where(column.missing, 0.0, column.values)
        whole = np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53)
        labels = values.astype(np.int64).astype(str) if whole else values.astype(str)
    else:
        labels = np.asarray(column.values, dtype=object).astype(str)
    labels[column.missing] = ""
    return labels


def parse_target(table: Table, name: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """The target column as labels of ``kind`` (and its missing mask)."""
    column = analyse_column(table, name)
    missing = column.missing
    if kind == "str":
        return _label_texts(column), missing
    if not column.numeric:
        row, cell = column.first_text
        expected = "a number" if kind in ("float", "number") else "an integer class label"
        raise CommandError(
            f"{table.source}: target column {name!r} at {table.where(row)} has {cell!r}, "
            f"which is not {expected}"
        )
    values = column.values
    finite = np.isfinite(values) | missing
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise CommandError(
            f"{table.source}: target column {name!r} at {table.where(row)} is not a finite number"
        )
    if kind == "int":
        filled = np.where(missing, 0.0, values)
        if not np.all(filled == np.round(filled)):
            row = int(np.flatnonzero(filled != np.round(filled))[0])
            raise CommandError(
                f"{table.source}: target column {name!r} at {table.where(row)} is "
                f"{table.cell(name, row)!r}, not an integer class label of this model"
            )
        return filled.astype(np.int64), missing
    return np.where(missing, 0.0, values), missing


def _report_nonnumeric(table: Table, columns: dict[str, Column], names: list[str]) -> str:
    where = table.locate([columns[name].first_text[0] for name in names[:5]])
    details = []
    for name in names[:5]:
        row, cell = columns[name].first_text
        details.append(f"{name!r} ({where[row]}: {cell!r})")
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return ", ".join(details) + more


def _check_finite(table: Table, columns: dict[str, Column], names: Sequence[str]) -> None:
    for name in names:
        bad = columns[name].first_nonfinite
        if bad is not None:
            row, cell = bad
            raise CommandError(
                f"{table.source}: column {name!r} at {table.where(row)} is {cell!r}, not a "
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
        if columns[name].decimal_comma is not None:
            raise _decimal_comma_error(table, columns[name])
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
            rows_of = {
                name: int(np.flatnonzero(columns[name].missing)[0]) for name in with_gaps[:5]
            }
            where = table.locate(list(rows_of.values()))
            first = [f"{name!r} ({where[row]})" for name, row in rows_of.items()]
            raise CommandError(
                f"{table.source}: missing values in column(s) {', '.join(first)}"
                f"{' and more' if len(with_gaps) > 5 else ''}; pass --impute mean, median or "
                "drop to handle them"
            )
        if target_missing.any():
            row = int(np.flatnonzero(target_missing)[0])
            raise CommandError(
                f"{table.source}: the target {target!r} is missing at {table.where(row)}; "
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
        categories[name] = sorted(np.unique(present.astype(str)).tolist())
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
    table.release()
    return TrainingPlan(features, categories, columns, rows, y, kind)


def _cells_checked() -> Any:
    """Skip scikit-learn's finiteness check of the pipeline's input.

    Every cell was checked when the file was read (text, missing, infinite), so the check
    adds nothing; and it sums the input first, which for finite values near ±1e308 meets
    inf - inf and warns of an invalid value.
    """
    from sklearn import config_context

    return config_context(assume_finite=True)


#: rows copied at a time into a row-major array (a block of every column stays in the cache)
_BLOCK_ROWS = 8192


def _row_major(columns: dict[str, Column], features: Sequence[str], rows: np.ndarray) -> np.ndarray:
    """The numeric columns ``features`` at ``rows`` as one C-contiguous float64 array.

    Filled a block of rows at a time: a column at a time would write each value a whole row
    apart (a cache line per value), and building the array column-major and then converting
    it would hold the data twice.
    """
    X = np.empty((rows.size, len(features)), dtype=np.float64)
    values = [columns[name].values for name in features]
    every_row = rows.size == (values[0].size if values else 0) and bool(
        np.array_equal(rows, np.arange(rows.size))
    )
    block = np.empty((len(features), min(_BLOCK_ROWS, rows.size)), dtype=np.float64)
    for start in range(0, rows.size, _BLOCK_ROWS):
        stop = min(start + _BLOCK_ROWS, rows.size)
        part = block[:, : stop - start]
        for index, column in enumerate(values):
            if every_row:
                part[index] = column[start:stop]
            else:
                np.take(column, rows[start:stop], out=part[index])
        X[start:stop] = part.T
    return X


def raw_inputs(
    table: Table,
    columns: dict[str, Column],
    features: Sequence[str],
    categorical: Any,
    rows: Any,
    order: str = "F",
) -> np.ndarray:
    """The pipeline's input for ``rows``: one column per feature, in order.

    Numeric columns are floats with NaN where missing; categorical columns (``categorical``, a
    collection of names) are the cells' text with NaN where missing, in an object array. A
    table without categorical columns gives a float64 array, column-major (``order="F"``,
    for the column transformer) or row-major (``"C"``, the layout the models compute in).
    """
    rows = np.asarray(rows, dtype=np.intp)
    if not any(name in categorical for name in features):
        if order == "C":
            return _row_major(columns, features, rows)
        # column-major: built, and selected by the pipeline's column transformer, column by
        # column (a row-major array made there costs several times the time, in strided copies)
        X = np.empty((rows.size, len(features)), dtype=np.float64, order="F")
        for index, name in enumerate(features):
            np.take(columns[name].values, rows, out=X[:, index])
        return X
    X = np.empty((rows.size, len(features)), dtype=object, order="F")
    for index, name in enumerate(features):
        column = columns[name]
        if name in categorical:
            X[:, index] = _label_texts(column)[rows]
            X[column.missing[rows], index] = math.nan
        else:
            X[:, index] = column.values[rows]
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
    from sklearn.pipeline import Pipeline

    from sigmanet.preprocessing import InputColumns, StableStandardScaler

    fill = impute in ("mean", "median")
    if fill:  # imported only when used (sklearn.impute takes a quarter of a second)
        from sklearn.impute import SimpleImputer
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
        from sklearn.preprocessing import OneHotEncoder

        known = [list(categories[features[index]]) for index in categorical_index]
        encoder = OneHotEncoder(categories=known, handle_unknown="error", sparse_output=False)
        steps.append(("one_hot", encoder))
        parts.append(("categorical", Pipeline(steps), categorical_index))
    encode = ColumnTransformer(parts, sparse_threshold=0.0, verbose_feature_names_out=False)
    return Pipeline([("columns", InputColumns(list(features))), ("encode", encode)])


def is_identity(categories: dict[str, list[str]], impute: str, standardize: bool) -> bool:
    """Whether :func:`build_preprocessing` of these options passes its input through unchanged
    (numeric columns only, no filling, no scaling)."""
    return not categories and impute not in ("mean", "median") and not standardize


def fit_identity(preprocessing: Any, X: np.ndarray) -> bool:
    """Fit an identity preprocessing (:func:`is_identity`) without transforming ``X``.

    What a pass-through column transformer learns is the shape of its input, not its values,
    so it is fitted on the first rows alone; its output for them is then checked to be those
    rows, unchanged. Returns False (nothing to rely on: fit it on every row) if it is not.
    Transforming every row would only copy ``X``, twice (selection, then stacking).
    """
    head = X[: min(len(X), 64)]
    out = preprocessing.fit_transform(head)
    return bool(
        isinstance(out, np.ndarray)
        and out.shape == head.shape
        and out.dtype == head.dtype
        and np.array_equal(out, head, equal_nan=True)
    )


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
        if column.decimal_comma is not None:
            raise _decimal_comma_error(table, column)
        if not column.numeric:
            row, cell = column.first_text
            raise CommandError(
                f"{table.source}: column {name!r} at {table.where(row)} has {cell!r}, "
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
                f"{table.source}: column {name!r} has a missing value at {table.where(row)}, "
                "and the model cannot fill it (it was trained without --impute mean or median)"
            )
    for name, known in inputs.categories.items():
        column = columns[name]
        texts = _label_texts(column)[rows]
        unseen = np.flatnonzero(~column.missing[rows] & ~np.isin(texts, np.asarray(known, str)))
        if unseen.size:
            row = int(rows[unseen[0]])
            shown = ", ".join(known[:10]) + (" ..." if len(known) > 10 else "")
            raise CommandError(
                f"{table.source}: column {name!r} at {table.where(row)} has category "
                f"{str(texts[unseen[0]])!r}, which was not seen in training (known: {shown})"
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
