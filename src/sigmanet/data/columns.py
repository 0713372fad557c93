"""What a column read by pyarrow holds: numbers, or text (categories), decided vectorised.

Numeric columns (integers, floats, booleans, decimals) become float64 with NaN where a value is
missing. A text column is looked at cell by cell with ``pyarrow.compute`` (no Python loop):
surrounding spaces are stripped, the missing-value tokens are recognised in any case, and each
cell is tested against the grammar of a decimal number. A text column all of whose present
cells are numbers is numeric; one whose cells are mostly numbers with a few that are not
(``4250g``) is a numeric column with typos, and those cells are kept to be named; one whose
numbers are written with a decimal comma (``1,5``) is recognised as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sigmanet.data.csvfile import MISSING_TOKENS
from sigmanet.data.errors import DataFileError

__all__ = ["ColumnValues", "column_values"]

_NUMBER = r"^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf|infinity)$"
_DECIMAL_COMMA = r"^[+-]?(\d{1,3}(\.\d{3})+|\d*),\d+([eE][+-]?\d+)?$"
_SHOWN = 5


@dataclass
class ColumnValues:
    """One column's values, ready for a model, and what is odd about them.

    Attributes
    ----------
    name : str
    numeric : bool
    values : ndarray of shape (n_rows,)
        float64 with NaN where missing when ``numeric``; otherwise an object array of the
        cells' text (stripped; None where pyarrow read a missing value).
    missing : ndarray of bool, shape (n_rows,)
    first_text : (int, str) or None
        Row and text of the first cell that is not a number (text columns).
    first_nonfinite : (int, str) or None
        Row and text of the first infinite value (numeric columns).
    stray_text : list of (int, str)
        The first few cells that are not numbers, when numbers are most of the present cells.
    n_stray_text : int
        How many such cells there are in all.
    decimal_comma : (int, str) or None
        The first number written with a decimal comma, when every present cell is a number
        written with a decimal point or comma and some with a comma.
    """

    name: str
    numeric: bool
    values: np.ndarray
    missing: np.ndarray
    first_text: tuple[int, str] | None = None
    first_nonfinite: tuple[int, str] | None = None
    stray_text: list[tuple[int, str]] = field(default_factory=list)
    n_stray_text: int = 0
    decimal_comma: tuple[int, str] | None = None

    def text(self, row: int) -> str:
        """The cell at ``row`` as text, for messages."""
        value = self.values[row]
        if self.numeric:
            number = float(value)
            return repr(int(number)) if number.is_integer() else repr(number)
        return "" if value is None else str(value)


def _numpy_mask(mask: Any) -> np.ndarray:
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _float64(column: Any) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pc.cast(column, pa.float64())
    return np.asarray(pc.fill_null(values, np.nan).to_numpy(zero_copy_only=False), np.float64)


def _numeric(name: str, values: np.ndarray) -> ColumnValues:
    missing = np.isnan(values)
    column = ColumnValues(name, True, values, missing)
    infinite = np.flatnonzero(np.isinf(values))
    if infinite.size:
        row = int(infinite[0])
        column.first_nonfinite = (row, "inf" if values[row] > 0 else "-inf")
    return column


def column_values(column: Any, name: str, source: str = "") -> ColumnValues:
    """Analyse ``column`` (a pyarrow Array or ChunkedArray) named ``name``.

    Raises
    ------
    DataFileError
        The column's type is neither numeric, text nor temporal (binary, lists, structs).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind):
        column = pc.cast(column, kind.value_type)
        kind = column.type
    if (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_null(kind)
    ):
        return _numeric(name, _float64(column))
    if pa.types.is_temporal(kind):
        column = pc.cast(column, pa.string())
        kind = column.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        where = f"{source}: " if source else ""
        raise DataFileError(
            f"{where}column {name!r} has type {kind}, which is neither numbers nor text; "
            f"leave it out (--drop-columns {name}) or convert it"
        )
    trimmed = pc.utf8_trim_whitespace(column)
    missing = _numpy_mask(pc.is_null(column)) | _numpy_mask(
        pc.is_in(pc.utf8_lower(trimmed), value_set=pa.array(MISSING_TOKENS))
    )
    number = _numpy_mask(pc.match_substring_regex(trimmed, _NUMBER, ignore_case=True)) & ~missing
    present = ~missing
    n_present, n_numbers = int(present.sum()), int(number.sum())
    if n_numbers == n_present:
        parsed = pc.if_else(pa.chunked_array([number], type=pa.bool_()), trimmed, None)
        return _numeric(name, _float64(parsed))
    text = np.asarray(trimmed.to_numpy(zero_copy_only=False), dtype=object)
    not_numbers = np.flatnonzero(present & ~number)
    first = int(not_numbers[0])
    result = ColumnValues(name, False, text, missing, first_text=(first, str(text[first])))
    if n_numbers > not_numbers.size:
        result.stray_text = [(int(row), str(text[row])) for row in not_numbers[:_SHOWN]]
        result.n_stray_text = int(not_numbers.size)
    comma = _numpy_mask(pc.match_substring_regex(trimmed, _DECIMAL_COMMA)) & present & ~number
    if comma.any() and int((comma | number).sum()) == n_present:
        row = int(np.flatnonzero(comma)[0])
        result.decimal_comma = (row, str(text[row]))
    return result
