"""The two kinds of failure a command reports, and the program's name in its messages."""

from __future__ import annotations

PROG = "sigmanet"


class CommandError(Exception):
    """A data or model problem: reported as one line, exit status 1."""


class UsageError(Exception):
    """Bad command-line arguments: reported as one line, exit status 2."""
