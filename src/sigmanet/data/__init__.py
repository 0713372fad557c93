"""Reading CSV and Parquet files with pyarrow: the header first, then the columns asked for.

:func:`read_header` reads a file's column names (a CSV file's first line, a Parquet file's
schema) without its data, so that a misspelt column is reported at once, with the closest
names, whatever the file's size. :func:`read_data` reads the columns into a ``pyarrow.Table``
with pyarrow's multithreaded CSV reader or its Parquet reader, memory bounded for files
without line breaks, with clear messages for other encodings, delimiters, decimal commas and
unclosed quotes, and progress for large files. :func:`column_values` turns a column into
float64 numbers or text, vectorised, naming the odd cells (``4250g`` among numbers);
:func:`row_locations` says on which line of the file a row is.

>>> import pathlib, tempfile
>>> from sigmanet.data import read_header, read_data, column_values
>>> path = pathlib.Path(tempfile.mkdtemp()) / "penguins.csv"
>>> _ = path.write_text("species,mass\\nAdelie,3750\\nGentoo,NA\\n")
>>> header = read_header(path)
>>> header.names
['species', 'mass']
>>> table = read_data(header)
>>> column_values(table.column("mass"), "mass").values
array([3750.,   nan])
"""

from sigmanet.data.columns import ColumnValues, column_values
from sigmanet.data.csvfile import MISSING_TOKENS
from sigmanet.data.errors import DataFileError
from sigmanet.data.header import FileHeader, check_columns, close_matches, read_header
from sigmanet.data.read import read_data, row_locations

__all__ = [
    "MISSING_TOKENS",
    "ColumnValues",
    "DataFileError",
    "FileHeader",
    "check_columns",
    "close_matches",
    "column_values",
    "read_data",
    "read_header",
    "row_locations",
]
