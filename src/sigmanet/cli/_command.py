"""What every command module shares: click's settings, the examples after the help, the call."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

__all__ = ["CONTEXT_SETTINGS", "EXIT_BROKEN_PIPE", "EXIT_INTERRUPTED", "examples", "run"]

#: Exit statuses of a process ended by SIGINT (Ctrl-C) and SIGPIPE, as shells report them.
EXIT_INTERRUPTED = 128 + 2
EXIT_BROKEN_PIPE = 128 + 13

#: ``-h`` as well as ``--help``, and help text up to 100 columns wide
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def examples(text: str) -> str:
    """An epilog whose indented paragraphs (command lines) click prints as they are written."""
    paragraphs = text.strip("\n").split("\n\n")
    # click rewraps a paragraph unless its first line is "\b"
    return "\n\n".join(
        f"\b\n{paragraph}"
        if any(line.startswith("  ") for line in paragraph.splitlines())
        else paragraph
        for paragraph in paragraphs
    )


def run(function: Callable[[Any, Any, Any], int], options: dict[str, Any]) -> int:
    """Call a command's body with its options as attributes, and the current stdout and stderr."""
    return function(SimpleNamespace(**options), sys.stdout, sys.stderr)
