"""The preprocessing steps of a pipeline as ONNX nodes: what :func:`sigmanet.io.to_onnx` adds
before the estimator.

Each converter takes the graph, the fitted step and its input, and returns its output. A value
flowing through the graph is either a matrix (one float tensor of shape ``(n, width)``) or a
table (one ``(n, 1)`` tensor per column, numbers or strings), the form a ``ColumnTransformer``
reads categorical columns in. The formulas are those of the fitted steps:

* ``StandardScaler``: ``(x - mean_) / scale_``; sigmanet's ``StableStandardScaler``:
  ``(x / unit_ - mean_in_units_) / scale_in_units_``; ``MinMaxScaler``: ``x scale_ + min_``
  (clipped to ``feature_range`` with ``clip=True``);
* ``SimpleImputer``: a missing value (NaN, or the empty string for categories) becomes the
  column's ``statistics_``; with ``add_indicator=True`` the indicator columns follow;
* ``OneHotEncoder``: per column, ``1`` where the value equals a category of ``categories_``
  (less the dropped one), so an unknown category gives zeros;
* ``ColumnTransformer``: each transformer on its columns, the outputs side by side in the order
  of ``transformers_``; ``InputColumns`` and the identity ``FunctionTransformer``: nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sigmanet.io.onnx_graph import Graph, Matrix, Table

__all__ = [
    "CLASSES",
    "CONVERTERS",
    "as_matrix",
    "convert",
    "inverse_transform",
    "string_columns",
]


def _refuse(step: Any, why: str) -> ValueError:
    return ValueError(
        f"cannot export {type(step).__module__}.{type(step).__qualname__} to ONNX: {why}"
    )


def _is_table(value: Any) -> bool:
    return isinstance(value, Table)


def as_matrix(graph: Graph, value: Any, step: Any) -> str:
    """``value`` as one float tensor of shape (n, width), for a step that reads numbers."""
    if not _is_table(value):
        return str(value.name)
    strings = [name for name, kind in value.columns if kind == "string"]
    if strings:
        raise _refuse(step, f"it reads the categorical column(s) {strings} as numbers.")
    if len(value.columns) == 1:
        return str(value.columns[0][0])
    return graph.op("Concat", [name for name, _ in value.columns], axis=1)


def _width(value: Any) -> int:
    return len(value.columns) if _is_table(value) else int(value.width)


def _columns(graph: Graph, value: Any) -> list[tuple[str, str]]:
    """Each column of ``value`` as an (n, 1) tensor."""
    if _is_table(value):
        return list(value.columns)
    return [(_slice_column(graph, value.name, index), "number") for index in range(value.width)]


def _slice_column(graph: Graph, x: str, index: int) -> str:
    starts = graph.constant([index], dtype=np.int64)
    ends = graph.constant([index + 1], dtype=np.int64)
    return graph.op("Slice", [x, starts, ends, graph.constant([1], dtype=np.int64)])


def _select(graph: Graph, value: Any, indices: list[int]) -> Any:
    if _is_table(value):
        return Table([value.columns[index] for index in indices])
    chosen = graph.op("Gather", [value.name, graph.constant(indices, dtype=np.int64)], axis=1)
    return Matrix(chosen, len(indices))


# -- scalers ----------------------------------------------------------------------------------


def _standard_scaler(graph: Graph, step: Any, value: Any) -> Any:
    x = as_matrix(graph, value, step)
    # mean_ is fitted even with with_mean=False, and then not used
    if step.with_mean:
        x = graph.op("Sub", [x, graph.constant(step.mean_, "mean")])
    if step.with_std:
        x = graph.op("Div", [x, graph.constant(step.scale_, "scale")])
    return Matrix(x, _width(value))


def _stable_standard_scaler(graph: Graph, step: Any, value: Any) -> Any:
    x = graph.op("Div", [as_matrix(graph, value, step), graph.constant(step.unit_, "unit")])
    x = graph.op("Sub", [x, graph.constant(step.mean_in_units_, "mean")])
    x = graph.op("Div", [x, graph.constant(step.scale_in_units_, "scale")])
    return Matrix(x, _width(value))


def _min_max_scaler(graph: Graph, step: Any, value: Any) -> Any:
    x = graph.op("Mul", [as_matrix(graph, value, step), graph.constant(step.scale_, "scale")])
    x = graph.op("Add", [x, graph.constant(step.min_, "min")])
    if step.clip:
        x = graph.clip(x, *step.feature_range)
    return Matrix(x, _width(value))


def inverse_transform(graph: Graph, step: Any, x: str) -> str:
    """A ``TransformedTargetRegressor``'s ``transformer_.inverse_transform`` of ``x``."""
    name = type(step).__name__
    if name == "StandardScaler":
        if step.with_std:
            x = graph.op("Mul", [x, graph.constant(step.scale_, "scale")])
        if step.with_mean:
            x = graph.op("Add", [x, graph.constant(step.mean_, "mean")])
        return x
    if name == "StableStandardScaler":
        x = graph.op("Mul", [x, graph.constant(step.scale_in_units_, "scale")])
        x = graph.op("Add", [x, graph.constant(step.mean_in_units_, "mean")])
        return graph.op("Mul", [x, graph.constant(step.unit_, "unit")])
    if name == "MinMaxScaler":
        x = graph.op("Sub", [x, graph.constant(step.min_, "min")])
        return graph.op("Div", [x, graph.constant(step.scale_, "scale")])
    if name == "FunctionTransformer" and step.inverse_func is None:
        return x
    raise _refuse(step, "it has no ONNX inverse transform in sigmanet (the target's scaler).")


# -- missing values ---------------------------------------------------------------------------


def _is_missing(graph: Graph, column: str, kind: str, missing: Any) -> str:
    """Where ``column`` holds the missing-value marker (NaN / the empty string for strings)."""
    if missing is None or (isinstance(missing, float) and np.isnan(missing)):
        if kind == "string":
            return graph.op("Equal", [column, graph.constant([""], dtype=object)])
        return graph.op("IsNaN", [column])
    marker = [str(missing)] if kind == "string" else [missing]
    return graph.op(
        "Equal", [column, graph.constant(marker, dtype=object if kind == "string" else None)]
    )


def _simple_imputer(graph: Graph, step: Any, value: Any) -> Any:
    statistics = np.asarray(step.statistics_)
    kept = list(range(len(statistics)))
    if statistics.dtype.kind == "f" and not getattr(step, "keep_empty_features", False):
        kept = [index for index in kept if not np.isnan(statistics[index])]
    columns = _columns(graph, value)
    filled: list[tuple[str, str]] = []
    for index in kept:
        column, kind = columns[index]
        fill = statistics[index]
        if kind == "string":
            constant = graph.constant([str(fill)], "fill", dtype=object)
        else:
            constant = graph.constant([fill], "fill")
        missing = _is_missing(graph, column, kind, step.missing_values)
        filled.append((graph.op("Where", [missing, constant, column]), kind))
    if step.add_indicator:
        filled += _indicator_columns(graph, step.indicator_, columns, step.missing_values)
    return Table(filled) if _is_table(value) else _done_columns(graph, filled, step)


def _indicator_columns(
    graph: Graph, indicator: Any, columns: list[tuple[str, str]], missing: Any
) -> list[tuple[str, str]]:
    result = []
    for index in indicator.features_:
        column, kind = columns[int(index)]
        result.append(
            (
                graph.op("Cast", [_is_missing(graph, column, kind, missing)], to=graph.float_type),
                "number",
            )
        )
    return result


def _missing_indicator(graph: Graph, step: Any, value: Any) -> Any:
    columns = _indicator_columns(graph, step, _columns(graph, value), step.missing_values)
    return _done_columns(graph, columns, step)


def _done_columns(graph: Graph, columns: list[tuple[str, str]], step: Any) -> Any:
    if not columns:
        raise _refuse(step, "it outputs no column.")
    return Matrix(as_matrix(graph, Table(columns), step), len(columns))


# -- categories -------------------------------------------------------------------------------


def _one_hot_encoder(graph: Graph, step: Any, value: Any) -> Any:
    if hasattr(step, "infrequent_categories_"):
        raise _refuse(
            step, "infrequent categories (min_frequency, max_categories) are not exported."
        )
    drop = getattr(step, "drop_idx_", None)
    outputs, width = [], 0
    for index, (column, kind) in enumerate(_columns(graph, value)):
        categories = list(step.categories_[index])
        if drop is not None and drop[index] is not None:
            del categories[int(drop[index])]
        if not categories:
            continue
        width += len(categories)
        if kind == "string":
            names = ["" if _is_nan(item) else str(item) for item in categories]
            equal = graph.op("Equal", [column, graph.constant(names, "categories", dtype=object)])
        else:
            numbers = np.asarray(categories, dtype=np.float64)
            equal = graph.op("Equal", [column, graph.constant(numbers, "categories")])
            if np.isnan(numbers).any():
                nan = graph.op(
                    "And",
                    [graph.op("IsNaN", [column]), graph.constant(np.isnan(numbers), dtype=bool)],
                )
                equal = graph.op("Or", [equal, nan])
        outputs.append(graph.op("Cast", [equal], to=graph.float_type))
    if not outputs:
        raise _refuse(step, "it outputs no column.")
    x = outputs[0] if len(outputs) == 1 else graph.op("Concat", outputs, axis=1)
    return Matrix(x, width)


def _is_nan(item: Any) -> bool:
    return isinstance(item, float) and np.isnan(item)


# -- composition ------------------------------------------------------------------------------


def _identity(graph: Graph, step: Any, value: Any) -> Any:
    if type(step).__name__ == "FunctionTransformer" and step.func is not None:
        raise _refuse(step, "only the identity FunctionTransformer (func=None) is exported.")
    return value


def _pipeline(graph: Graph, step: Any, value: Any) -> Any:
    for _, inner in step.steps:
        if inner is None or inner == "passthrough":
            continue
        value = convert(graph, inner, value)
    return value


def _column_indices(step: Any, columns: Any, n_features: int) -> list[int]:
    names = [str(name) for name in getattr(step, "feature_names_in_", [])]
    if callable(columns):
        raise _refuse(step, "a callable column selection is not exported.")
    if isinstance(columns, slice):
        if isinstance(columns.start, str) or isinstance(columns.stop, str):
            start = names.index(columns.start) if columns.start is not None else 0
            stop = names.index(columns.stop) + 1 if columns.stop is not None else n_features
            return list(range(start, stop))
        return list(range(n_features))[columns]
    items: list[Any] = np.atleast_1d(np.asarray(columns, dtype=object)).tolist()
    if items and all(isinstance(item, bool) for item in items):
        return [index for index, chosen in enumerate(items) if chosen]
    return [names.index(item) if isinstance(item, str) else int(item) for item in items]


def _column_transformer(graph: Graph, step: Any, value: Any) -> Any:
    n_features = _width(value)
    outputs: list[str] = []
    width = 0
    for _, transformer, columns in step.transformers_:
        indices = _column_indices(step, columns, n_features)
        if transformer == "drop" or not indices:
            continue
        selected = _select(graph, value, indices)
        if transformer != "passthrough":
            selected = convert(graph, transformer, selected)
        outputs.append(as_matrix(graph, selected, transformer))
        width += _width(selected)
    if not outputs:
        raise _refuse(step, "it outputs no column.")
    x = outputs[0] if len(outputs) == 1 else graph.op("Concat", outputs, axis=1)
    return Matrix(x, width)


def string_columns(step: Any) -> set[int]:
    """The input columns ``step`` (the first of a model) reads as categories (strings)."""
    name = type(step).__name__
    if name == "ColumnTransformer":
        n_features = int(step.n_features_in_)
        found: set[int] = set()
        for _, transformer, columns in step.transformers_:
            if not isinstance(transformer, str) and string_columns(transformer):
                found.update(_column_indices(step, columns, n_features))
        return found
    if name == "Pipeline":
        inner = [s for _, s in step.steps if s is not None and s != "passthrough"]
        return string_columns(inner[0]) if inner else set()
    if name == "OneHotEncoder":
        return {i for i, c in enumerate(step.categories_) if np.asarray(c).dtype.kind in "OU"}
    if name == "SimpleImputer" and np.asarray(step.statistics_).dtype.kind in "OU":
        return set(range(len(step.statistics_)))
    return set()


def convert(graph: Graph, step: Any, value: Any) -> Any:
    """The output of the fitted ``step`` on ``value``."""
    converter = CONVERTERS.get(type(step).__name__)
    if converter is None or CLASSES[type(step).__name__] is not type(step):
        raise _refuse(
            step, f"not a step the export knows; supported: {', '.join(sorted(CONVERTERS))}."
        )
    return converter(graph, step, value)


#: The converter of each preprocessing class, by class name.
CONVERTERS: dict[str, Callable[[Graph, Any, Any], Any]] = {
    "ColumnTransformer": _column_transformer,
    "FunctionTransformer": _identity,
    "InputColumns": _identity,
    "MinMaxScaler": _min_max_scaler,
    "MissingIndicator": _missing_indicator,
    "OneHotEncoder": _one_hot_encoder,
    "Pipeline": _pipeline,
    "SimpleImputer": _simple_imputer,
    "StableStandardScaler": _stable_standard_scaler,
    "StandardScaler": _standard_scaler,
}


def _classes() -> dict[str, type]:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import MissingIndicator, SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import (
        FunctionTransformer,
        MinMaxScaler,
        OneHotEncoder,
        StandardScaler,
    )

    from sigmanet.preprocessing import InputColumns, StableStandardScaler

    classes = (
        ColumnTransformer,
        FunctionTransformer,
        InputColumns,
        MinMaxScaler,
        MissingIndicator,
        OneHotEncoder,
        Pipeline,
        SimpleImputer,
        StableStandardScaler,
        StandardScaler,
    )
    return {cls.__name__: cls for cls in classes}


#: The class each converter is for: a class of another module with the same name is refused.
CLASSES: dict[str, type] = _classes()
