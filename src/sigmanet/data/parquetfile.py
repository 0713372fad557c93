"""Reading a Parquet file with pyarrow, a few row groups at a time when progress is shown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sigmanet.data.errors import DataFileError
from sigmanet.data.header import FileHeader, import_pyarrow
from sigmanet.data.progress import MIN_PROGRESS_BYTES, ReadProgress

__all__ = ["read_parquet"]


def read_parquet(
    header: FileHeader,
    columns: Sequence[str] | None = None,
    *,
    progress: Any = None,
    as_text: Sequence[str] = (),
) -> Any:
    """Read the columns ``columns`` (all by default) of the Parquet file ``header`` describes.

    pyarrow reads the column chunks in parallel. With ``progress`` (a text file such as
    ``sys.stderr``) and a file of 32 MB or more, the row groups are read in runs of about
    1/20 of the file, with a progress line after each.

    Returns
    -------
    pyarrow.Table
    """
    pa = import_pyarrow(header.source)
    parquet = import_pyarrow(header.source, "pyarrow.parquet")
    names = list(header.names if columns is None else columns)
    raw = [header.raw_name(name) for name in names]
    try:
        source = parquet.ParquetFile(header.path)
        if progress is None or header.size < MIN_PROGRESS_BYTES or source.num_row_groups < 2:
            table = source.read(columns=raw, use_threads=True)
        else:
            reading = ReadProgress(header.path.name, header.size, progress)
            n_groups = source.num_row_groups
            step = max(1, n_groups // 20)
            parts, done = [], 0
            for first in range(0, n_groups, step):
                groups = list(range(first, min(first + step, n_groups)))
                parts.append(source.read_row_groups(groups, columns=raw, use_threads=True))
                done += sum(source.metadata.row_group(g).total_byte_size for g in groups)
                total = source.metadata.serialized_size + sum(
                    source.metadata.row_group(g).total_byte_size for g in range(n_groups)
                )
                reading.update(int(done / max(total, 1) * header.size))
            table = pa.concat_tables(parts)
            reading.finish(table.num_rows, table.num_columns)
    except (pa.ArrowException, OSError) as error:
        raise DataFileError(f"{header.source}: not a readable Parquet file: {error}") from error
    table = table.rename_columns(names)
    for name in as_text:
        if name in names and not pa.types.is_string(table.schema.field(name).type):
            index = names.index(name)
            table = table.set_column(index, name, table.column(index).cast(pa.string()))
    if table.num_rows == 0:
        raise DataFileError(f"{header.source}: has columns but no data rows")
    return table
