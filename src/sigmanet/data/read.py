"""Reading a data file's columns into a pyarrow Table, and naming where its rows are."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sigmanet.data.csvfile import read_csv
from sigmanet.data.header import FileHeader, read_header
from sigmanet.data.lines import scan_records
from sigmanet.data.parquetfile import read_parquet

__all__ = ["read_data", "row_locations"]


def read_data(
    file: FileHeader | str | Path,
    columns: Sequence[str] | None = None,
    *,
    progress: Any = None,
    decimal_comma: bool = False,
    as_text: Sequence[str] = (),
    cancelled: Callable[[], bool] | None = None,
) -> Any:
    """Read a CSV or Parquet file's columns (all by default) into a ``pyarrow.Table``.

    Parameters
    ----------
    file : FileHeader or path
        A path, or the header ``sigmanet.data.header.read_header()`` read (whose column
        names are then already checked).
    columns : sequence of str, optional
        The columns to read, in this order.
    progress : text file, optional
        Where to report progress for large files (e.g. ``sys.stderr``).
    decimal_comma : bool
        CSV numbers are written with a decimal comma.
    as_text : sequence of str
        Columns read as text whatever they hold (identifiers such as ``007``).
    cancelled : callable, optional
        CSV files: called before each block is read; once it returns true, the read stops
        with ``sigmanet.data.csvfile.ReadCancelled`` (for a read in a background thread).

    Raises
    ------
    DataFileError
        The file cannot be read; the message says where and why.
    """
    header = file if isinstance(file, FileHeader) else read_header(file)
    if header.format == "parquet":
        return read_parquet(header, columns, progress=progress, as_text=as_text)
    return read_csv(
        header,
        columns,
        progress=progress,
        decimal_comma=decimal_comma,
        as_text=as_text,
        cancelled=cancelled,
    )


def row_locations(header: FileHeader, rows: Iterable[int]) -> dict[int, str]:
    """Where data rows (from 0) are, for messages: ``"line N"`` in a CSV file (found in one
    pass over it), ``"row N"`` (from 1) in a Parquet file."""
    rows = sorted({int(row) for row in rows})
    if header.format != "csv":
        return {row: f"row {row + 1}" for row in rows}
    lines = scan_records(header.path, [row + 1 for row in rows]).lines
    return {
        row: f"line {lines[row + 1]}" if row + 1 in lines else f"data row {row + 1}" for row in rows
    }
