"""Reading a CSV file with pyarrow's multithreaded reader.

The file's header has been read first (:func:`sigmanet.data.header.read_header`), so the
delimiter is known and the columns asked for exist. pyarrow infers each column's type over the
whole file (integers, floats, or text); temporal-looking columns are kept as the text they are,
since the models read numbers and categories, not dates. Missing values are empty cells and
``NA``, ``N/A``, ``NaN``, ``null``, ``None`` and ``?`` in any case (:data:`MISSING_TOKENS`).

Memory: the reader holds a few blocks of ``block_size`` bytes besides the table it builds, and
a record longer than a block is an error (a file without line breaks, or a quote that is never
closed, cannot grow memory without bound). The file is read in blocks of :data:`FIRST_BLOCK_BYTES`
(1 MB) first: pyarrow parses small blocks faster (measured on a 477 MB file of numbers: about
a quarter less CPU time than 16 MB blocks, 7.5 s against 9.8 s); only a file with a record
longer than that is read again with blocks of ``block_size``.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any

from sigmanet.data.errors import DataFileError
from sigmanet.data.header import MAX_LINE_BYTES, FileHeader, import_pyarrow
from sigmanet.data.lines import scan_records
from sigmanet.data.progress import MIN_PROGRESS_BYTES, ReadProgress

__all__ = ["MISSING_TOKENS", "ReadCancelled", "null_values", "read_csv"]

MISSING_TOKENS = ("", "na", "n/a", "nan", "null", "none", "?")
_COMPRESSION = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".lz4": "lz4"}
_PROBE_BYTES = 1 << 20
#: the block size of the first attempt at reading a file (pyarrow's own default)
FIRST_BLOCK_BYTES = 1 << 20
_FIELD_COUNT = re.compile(r"Expected (\d+) columns, got (\d+)")


class ReadCancelled(Exception):
    """The read was cancelled (``read_csv(..., cancelled=...)``), not a problem of the file."""


class _Cancellable:
    """The file as pyarrow reads it, failing its next read once ``cancelled()`` is true: a
    read running in a background thread can be stopped (pyarrow's own cancellation follows
    Ctrl-C in the main thread only). pyarrow reads a block at a time, so it stops within a
    block."""

    def __init__(self, stream: Any, cancelled: Callable[[], bool]) -> None:
        self._stream = stream
        self._cancelled = cancelled
        self.closed = False

    def read(self, nbytes: int = -1) -> bytes:
        if self._cancelled():
            raise ReadCancelled("the read was cancelled")
        data: bytes = self._stream.read(nbytes)
        return data

    def tell(self) -> int:
        position: int = self._stream.tell()
        return position

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True  # the stream itself is closed by its opener


def null_values() -> list[str]:
    """Every spelling of :data:`MISSING_TOKENS` in upper and lower case (pyarrow matches
    exactly)."""
    spellings: set[str] = set()
    for token in MISSING_TOKENS:
        choices = [(c.lower(), c.upper()) if c.isalpha() else (c,) for c in token]
        spellings.update("".join(chosen) for chosen in itertools.product(*choices))
    return sorted(spellings)


def _is_temporal(kind: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_temporal(kind) or pa.types.is_date(kind) or pa.types.is_time(kind))


def read_csv(
    header: FileHeader,
    columns: Sequence[str] | None = None,
    *,
    progress: Any = None,
    block_size: int = MAX_LINE_BYTES,
    decimal_comma: bool = False,
    as_text: Sequence[str] = (),
    cancelled: Callable[[], bool] | None = None,
) -> Any:
    """Read the columns ``columns`` (all by default) of the CSV file ``header`` describes.

    Parameters
    ----------
    header : FileHeader
        From :func:`~sigmanet.data.header.read_header`.
    columns : sequence of str, optional
        Column names (as in ``header.names``) to read, in the order wanted.
    progress : text file, optional
        Where to report progress (e.g. ``sys.stderr``) for files of 32 MB or more.
    block_size : int
        Bytes per block of the reader; also the longest record allowed.
    decimal_comma : bool
        Numbers are written with a decimal comma (``1,5``); the delimiter must then not be
        ``,``.
    as_text : sequence of str
        Columns read as the text they are, whatever they hold (identifiers: ``007``).
    cancelled : callable, optional
        Called before each block is read; once it returns true, the read stops with
        :class:`ReadCancelled` (for a read running in a background thread).

    Returns
    -------
    pyarrow.Table
        One column per name, named as in ``header.names``; integers, floats or text (strings).
    """
    pa = import_pyarrow(header.source)
    csv = import_pyarrow(header.source, "pyarrow.csv")
    names = list(header.names if columns is None else columns)
    invalid: list[Any] = []

    def on_invalid_row(row: Any) -> str:
        invalid.append(row)
        return "error"

    def options(use_threads: bool, column_types: dict[str, Any], include: list[str]) -> dict:
        return {
            "read_options": csv.ReadOptions(use_threads=use_threads, block_size=block_size),
            "parse_options": csv.ParseOptions(
                delimiter=header.delimiter,
                newlines_in_values=True,
                invalid_row_handler=on_invalid_row,
            ),
            "convert_options": csv.ConvertOptions(
                include_columns=include,
                column_types=column_types,
                null_values=null_values(),
                strings_can_be_null=True,
                true_values=[],
                false_values=[],
                decimal_point="," if decimal_comma else ".",
            ),
        }

    include = [header.raw_name(name) for name in names]
    text = [*_temporal_columns(header, options(True, {}, include))]
    text += [header.raw_name(name) for name in as_text if name in names]
    text_types = {name: pa.string() for name in text}

    def read(block: int) -> tuple[Any, Any]:
        """The table and the progress reporter (None if none), or pyarrow's error."""
        reading = None
        source: Any = str(header.path)
        opened = None
        show = progress is not None and header.size >= MIN_PROGRESS_BYTES
        if show or cancelled is not None:
            raw = pa.OSFile(str(header.path))
            codec = _COMPRESSION.get(header.path.suffix.lower())
            source = opened = raw if codec is None else pa.CompressedInputStream(raw, codec)
            if cancelled is not None:
                source = pa.PythonFile(_Cancellable(opened, cancelled), mode="r")
            if show:
                reading = ReadProgress(header.path.name, header.size, progress)
                reading.follow(raw.tell)  # the bytes of the file consumed, compressed or not
        invalid.clear()
        read_options = options(True, text_types, include)
        read_options["read_options"].block_size = block
        try:
            return csv.read_csv(source, **read_options), reading
        finally:
            if reading is not None:
                reading.stop()
            if opened is not None:
                opened.close()

    first = min(FIRST_BLOCK_BYTES, block_size)
    try:
        try:
            table, reading = read(first)
        except (pa.ArrowInvalid, OSError) as error:
            if first == block_size or not _record_too_long(error):
                raise
            # a record longer than the first blocks: read again with blocks as long as a
            # record may be (its errors are then the ones reported)
            table, reading = read(block_size)
    except (pa.ArrowInvalid, OSError) as error:
        raise _translate(header, error, invalid, block_size) from error
    table = table.rename_columns(names)
    for index, field in enumerate(table.schema):
        if _is_temporal(field.type):
            table = table.set_column(index, field.name, table.column(index).cast(pa.string()))
        elif pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            raise DataFileError(
                f"{header.source}: column {field.name!r} holds text that is not UTF-8; save "
                "the file as UTF-8 (e.g. `iconv -f WINDOWS-1252 -t UTF-8 FILE > NEW.csv`)"
            )
    _check_quotes(header, table)
    if reading is not None:
        reading.finish(table.num_rows, table.num_columns)
    if table.num_rows == 0:
        raise DataFileError(f"{header.source}: has a header but no data rows")
    return table


def _check_quotes(header: FileHeader, table: Any) -> None:
    """Refuse a quote that is never closed: pyarrow reads the rest of the file into one value.

    Only a text value holding a line break can be such a value, so the file is scanned for
    quotes only when one does (rare).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    spans_lines = any(
        pa.types.is_string(column.type) and pc.any(pc.match_substring(column, "\n")).as_py()
        for column in table.columns
    )
    if not spans_lines:
        return
    line = scan_records(header.path).open_quote_line
    if line is not None:
        raise DataFileError(
            f"{header.source}: line {line} opens a quoted field ('\"') that is never closed, "
            "so the rest of the file was read as one value; close the quote or remove it"
        )


def _temporal_columns(header: FileHeader, options: dict) -> list[str]:
    """The columns whose first rows pyarrow would read as dates or times.

    Found from the file's first megabyte, parsed in memory (a reader opened on the file would
    read ahead into it in the background, and hold an over-long line while doing so).
    """
    import pyarrow as pa
    import pyarrow.csv as csv

    with pa.input_stream(str(header.path), compression="detect") as stream:
        head = stream.read(_PROBE_BYTES)
    end = head.rfind(b"\n")
    if end < 0:
        return []
    try:
        sample = csv.read_csv(pa.BufferReader(head[: end + 1]), **options)
    except (pa.ArrowInvalid, OSError):  # the whole read reports the problem with its line
        return []
    return [field.name for field in sample.schema if _is_temporal(field.type)]


def _record_too_long(error: BaseException) -> bool:
    """pyarrow's error for a record longer than a block."""
    message = str(error)
    return "straddl" in message or "block size" in message


def _record_number(header: FileHeader, block_size: int) -> int | None:
    """The record (0 = header) of the first row with the wrong number of fields.

    The multithreaded reader does not know it; one single-threaded pass over the first
    column does (only after an error).
    """
    csv = import_pyarrow(header.source, "pyarrow.csv")
    found: list[Any] = []

    def on_invalid_row(row: Any) -> str:
        found.append(row.number)
        return "error"

    with contextlib.suppress(Exception):  # the caller reports the error; this finds its line
        csv.read_csv(
            str(header.path),
            read_options=csv.ReadOptions(use_threads=False, block_size=block_size),
            parse_options=csv.ParseOptions(
                delimiter=header.delimiter,
                newlines_in_values=True,
                invalid_row_handler=on_invalid_row,
            ),
            convert_options=csv.ConvertOptions(
                include_columns=[header.raw_names[0]], column_types={header.raw_names[0]: "str"}
            ),
        )
    return found[0] - 1 if found and found[0] is not None else None


def _translate(
    header: FileHeader, error: BaseException, invalid: list[Any], block_size: int
) -> DataFileError:
    """pyarrow's parse error as a message naming the line and what to do."""
    source = header.source
    message = str(error)
    if _record_too_long(error):
        scan = scan_records(
            header.path, max_record_bytes=block_size - 1, block_bytes=min(block_size, 16 << 20)
        )
        if scan.open_quote_line is not None:
            return DataFileError(
                f"{source}: line {scan.open_quote_line} opens a quoted field ('\"') that is "
                "never closed, so the rest of the file would be one value; close the quote or "
                "remove it"
            )
        if scan.long_record is not None:
            line, length = scan.long_record
            return DataFileError(
                f"{source}: line {line} is {length / 1e6:,.0f} MB long, beyond the "
                f"{block_size >> 20} MB a record may have: not a CSV file of one record per line"
            )
        return DataFileError(f"{source}: not a readable CSV file: {message}")
    counts = _FIELD_COUNT.search(message)
    if counts:
        expected, got = int(counts.group(1)), int(counts.group(2))
        text = invalid[0].text if invalid else ""
        record = _record_number(header, block_size)
        scan = scan_records(header.path, [] if record is None else [record, record + 1])
        if scan.open_quote_line is not None:
            return DataFileError(
                f"{source}: line {scan.open_quote_line} opens a quoted field ('\"') that is "
                "never closed; close the quote or remove it"
            )
        start = scan.lines.get(record) if record is not None else None
        where = "a line" if start is None else f"line {start}"
        hint = ""
        after = scan.lines.get(record + 1) if record is not None else None
        span = after - start if start is not None and after is not None else 1
        others = [d for d in (",", ";", "\t", "|") if d != header.delimiter and d in text]
        if span > 1:
            assert start is not None  # a span is only known from a start
            hint = (
                f" (a quoted field in it runs over {span} lines, to line {start + span - 1}: "
                "is a closing quote missing?)"
            )
        elif got > expected and header.delimiter == "," and re.search(r"\d,\d", text):
            hint = (
                " (numbers with a decimal comma, like '1,5', need a delimiter other than ','; "
                "quote them or write them with a decimal point)"
            )
        elif others:
            shown = "tab" if others[0] == "\t" else repr(others[0])
            used = "tab" if header.delimiter == "\t" else repr(header.delimiter)
            hint = (
                f" (the line holds {shown} but the header is split on {used}: do the header "
                "and the data use different delimiters?)"
            )
        return DataFileError(
            f"{source}: {where} has {got} field(s), but the header has {expected}{hint}"
        )
    return DataFileError(f"{source}: not a readable CSV file: {message}")
