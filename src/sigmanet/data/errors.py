"""The error a data file that cannot be read raises."""

from __future__ import annotations

from sigmanet.exceptions import SigmanetError

__all__ = ["DataFileError"]


class DataFileError(SigmanetError, ValueError):
    """A data file that cannot be read as asked: the message names the file, where in it the
    problem is (a line, a row or a column) and how to fix it."""
