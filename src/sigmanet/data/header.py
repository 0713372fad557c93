"""A data file's header (CSV) or schema (Parquet), read before any of its data.

Reading the column names first lets every mistake a user can make on the command line (a
misspelt target, a column that is not there) be reported at once, however large the file,
with the names that come closest. A CSV file's first line also decides its delimiter and shows
whether it is UTF-8 text at all.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigmanet.data.encoding import check_utf8
from sigmanet.data.errors import DataFileError

__all__ = [
    "DELIMITERS",
    "MAX_LINE_BYTES",
    "PARQUET_SUFFIXES",
    "FileHeader",
    "check_columns",
    "close_matches",
    "import_pyarrow",
    "read_header",
]

PARQUET_SUFFIXES = (".parquet", ".pq")
DELIMITERS = (",", ";", "\t", "|")
# A CSV record (a line, or several lines inside quotes) may be at most this long: the reader
# holds a few blocks of this size, so a file without line breaks fails here instead of
# filling memory.
MAX_LINE_BYTES = 16 << 20
_HEAD_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileHeader:
    """What the start of a data file says about it.

    Attributes
    ----------
    source : str
        The path as the user gave it, for messages.
    path : Path
    format : {"csv", "parquet"}
    names : list of str
        The column names (CSV: stripped of surrounding spaces).
    raw_names : list of str
        The names as written in the file (what pyarrow calls the columns).
    delimiter : str or None
        The CSV delimiter; None for Parquet.
    size : int
        The file's size in bytes.
    n_rows : int or None
        The number of rows, when the file records it (Parquet).
    schema : pyarrow.Schema or None
        The Parquet schema; None for CSV.
    """

    source: str
    path: Path
    format: str
    names: list[str]
    raw_names: list[str]
    delimiter: str | None
    size: int
    n_rows: int | None = None
    schema: Any = field(default=None, repr=False)

    def raw_name(self, name: str) -> str:
        """The file's own spelling of column ``name``."""
        return self.raw_names[self.names.index(name)]


def import_pyarrow(source: str, module: str = "pyarrow") -> Any:
    """Import ``module`` (``pyarrow`` or one of its submodules) or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise DataFileError(
            f"{source}: reading data files needs pyarrow: pip install pyarrow"
        ) from error


def read_header(path: str | Path, *, max_line_bytes: int = MAX_LINE_BYTES) -> FileHeader:
    """Read the column names of a CSV or Parquet file without reading its data.

    A path ending ``.parquet`` or ``.pq`` is Parquet, anything else CSV (compressed CSV too:
    ``.gz``, ``.bz2``, ``.zst``, ``.lz4``). The CSV delimiter is a tab for ``.tsv``/``.tab``
    files, otherwise whichever of ``,``, ``;``, tab and ``|`` occurs most often in the header.

    Raises
    ------
    DataFileError
        The file does not exist, is a directory, is not UTF-8 text, is empty, has a header line
        longer than ``max_line_bytes``, a column without a name or two of the same name, or is
        not a readable Parquet file.
    """
    source = str(path)
    file = Path(path)
    if not file.exists():
        raise DataFileError(f"{source}: no such file")
    if file.is_dir():
        raise DataFileError(f"{source}: is a directory, not a data file")
    try:
        size = file.stat().st_size
    except OSError as error:
        raise DataFileError(f"{source}: cannot read: {error.strerror or error}") from error
    if file.suffix.lower() in PARQUET_SUFFIXES:
        return _parquet_header(file, source, size)
    return _csv_header(file, source, size, max_line_bytes)


def _parquet_header(file: Path, source: str, size: int) -> FileHeader:
    parquet = import_pyarrow(source, "pyarrow.parquet")
    try:
        metadata = parquet.ParquetFile(file).metadata
        schema = metadata.schema.to_arrow_schema()
    except Exception as error:  # pyarrow raises its own error types for unreadable files
        raise DataFileError(f"{source}: not a readable Parquet file: {error}") from error
    names = _check_names([str(name) for name in schema.names], source)
    if not names:
        raise DataFileError(f"{source}: the file has no columns")
    return FileHeader(
        source, file, "parquet", names, list(schema.names), None, size, metadata.num_rows, schema
    )


def _first_line(file: Path, source: str, max_line_bytes: int) -> tuple[bytes, bool]:
    """The bytes up to the end of the first non-blank line, and whether that is the whole file."""
    pyarrow = import_pyarrow(source)
    head = b""
    try:
        with pyarrow.input_stream(str(file), compression="detect") as stream:
            while True:
                chunk = stream.read(_HEAD_CHUNK)
                head += chunk
                if not chunk:
                    return head, True
                check_utf8(head[:_HEAD_CHUNK], source, complete=False)
                text_start = len(head) - len(head.lstrip(b"\r\n\t \xef\xbb\xbf"))
                end = head.find(b"\n", text_start)
                if end >= 0:
                    return head[: end + 1], False
                if len(head) > max_line_bytes:
                    raise DataFileError(
                        f"{source}: its first line is longer than {max_line_bytes >> 20} MB "
                        "without a line break: not a CSV file with a header row (a CSV file "
                        "has one record per line)"
                    )
    except OSError as error:
        raise DataFileError(f"{source}: cannot read: {error}") from error


def _csv_header(file: Path, source: str, size: int, max_line_bytes: int) -> FileHeader:
    head, whole = _first_line(file, source, max_line_bytes)
    check_utf8(head, source, complete=True)
    text = head.decode("utf-8-sig")
    if not text.strip():
        raise DataFileError(f"{source}: the file is empty (expected a header row and data rows)")
    line = text.strip("\r\n\t ").splitlines()[0]
    delimiter = _pick_delimiter(line, file)
    raw = next(csv.reader(io.StringIO(line), delimiter=delimiter))
    names = _check_names(raw, source)
    if whole and not text[text.find(line) + len(line) :].strip():
        raise DataFileError(f"{source}: has a header but no data rows")
    return FileHeader(source, file, "csv", names, raw, delimiter, size)


def _pick_delimiter(header_line: str, file: Path) -> str:
    suffixes = [suffix.lower() for suffix in file.suffixes]
    if ".tsv" in suffixes or ".tab" in suffixes:
        return "\t"
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > 0 else ","


def _check_names(raw: Sequence[str], source: str) -> list[str]:
    names = [name.strip() for name in raw]
    for index, name in enumerate(names, start=1):
        if not name:
            raise DataFileError(f"{source}: column {index} of the header has no name")
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise DataFileError(
            f"{source}: duplicate column name(s) in the header: {', '.join(duplicates)}"
        )
    return names


def close_matches(name: str, names: Sequence[str], n: int = 3) -> list[str]:
    """The names in ``names`` closest to ``name`` (case-insensitive), best first: those that
    contain it or that it contains (``bill`` for ``bill_length``; three letters at least, so
    that ``a`` is no match for ``target``), then the most similar."""
    lowered = {candidate.lower(): candidate for candidate in names}
    key = name.lower().strip()
    inside = [
        low
        for low in lowered
        if (len(key) >= 3 and key in low) or (len(low) >= max(3, len(key) // 2) and low in key)
    ]
    similar = difflib.get_close_matches(key, list(lowered), n=n, cutoff=0.6)
    found = sorted(inside, key=len) + [low for low in similar if low not in inside]
    return [lowered[match] for match in found[:n]]


def _column_list(names: Sequence[str], limit: int = 30) -> str:
    shown = ", ".join(repr(name) for name in names[:limit])
    return shown + (f" ... ({len(names)} in all)" if len(names) > limit else "")


def _delimiter_hint(header: FileHeader) -> str:
    if header.format != "csv" or len(header.names) != 1:
        return ""
    name = header.names[0]
    for candidate in (*DELIMITERS, ":", " "):
        if candidate != header.delimiter and candidate in name:
            used = "tab" if header.delimiter == "\t" else repr(header.delimiter)
            shown = "tab" if candidate == "\t" else repr(candidate)
            return (
                f" (the header was read as ONE column split on {used}; is the file separated "
                f"by {shown}? sigmanet reads ',', ';', tab and '|', and tab for .tsv files)"
            )
    return ""


def check_columns(header: FileHeader, names: Sequence[str], what: str) -> None:
    """Raise :class:`DataFileError` naming any of ``names`` the file does not have.

    ``what`` says what the names are ("target column", "--drop-columns:"). The message lists
    the closest names the file has, or all of them.
    """
    absent = [name for name in names if name not in header.names]
    if not absent:
        return
    hints = []
    for name in absent:
        close = close_matches(name, header.names)
        if close:
            prefix = f"for {name!r} " if len(absent) > 1 else ""
            hints.append(f"{prefix}did you mean {' or '.join(map(repr, close))}?")
    advice = f" ({'; '.join(hints)})" if hints else ""
    raise DataFileError(
        f"{header.source}: {what} {', '.join(map(repr, absent))} not found{advice}; the columns "
        f"are: {_column_list(header.names)}{_delimiter_hint(header)}"
    )
