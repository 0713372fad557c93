"""Output files: never written over one of the command's own inputs."""

from __future__ import annotations

import os
from pathlib import Path

from sigmanet.cli._errors import CommandError


def _same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file: the same resolved path, or the same inode (a hard link)."""
    if Path(a).resolve() == Path(b).resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): it cannot be the other
        return False


def _refuse_overwriting_inputs(option: str, output: str, inputs: dict[str, str]) -> None:
    """Refuse an output that is one of the inputs (it would destroy it), even with --force."""
    for role, path in inputs.items():
        if _same_file(output, path):
            raise CommandError(
                f"{option} {output} is the {role} {path}; writing there would destroy it "
                "(refused even with --force): choose another file name"
            )
