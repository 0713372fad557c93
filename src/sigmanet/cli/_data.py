"""Reading a data file and turning its columns into a model's input.

A CSV or Parquet file becomes a :class:`Table` of raw cells; :func:`plan_training_data` checks
it against ``train``'s options and :func:`build_preprocessing` makes the scikit-learn pipeline
that turns its columns into features; :func:`prepare_inputs` reads a file for a saved model.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sigmanet.cli._errors import CommandError, UsageError

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})


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
