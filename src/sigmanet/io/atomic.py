"""Writing a file whole or not at all: how model files, predictions and reports are written.

:func:`write_atomically` writes to ``.NAME.PID.RANDOM.sigmanet-tmp`` beside ``NAME``, flushes
it to disk and renames it into place in one step, so ``NAME`` never holds a half-written file.
A write that fails removes its temporary file; a process killed while writing cannot, so the
next write to the same ``NAME`` removes the temporary files of processes that no longer run.
Without ``overwrite=True`` an existing file is never touched, even one another process creates
while this one writes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import re
import secrets
from typing import Any

__all__ = ["as_path", "check_destination", "write_atomically"]

_WRITE_CHUNK = 1 << 20


def as_path(path: Any) -> pathlib.Path:
    """``path`` as a ``pathlib.Path``; a TypeError naming its type if it is not a path."""
    try:
        return pathlib.Path(os.fspath(path))
    except TypeError:
        raise TypeError(f"path must be a str or os.PathLike; got {type(path).__name__}.") from None


def _write_fully(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view[:_WRITE_CHUNK])
        view = view[written:]


def _fsync_directory(directory: pathlib.Path) -> None:
    # Makes the rename itself durable; not every platform or filesystem allows it.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _publish_no_clobber(temporary: pathlib.Path, path: pathlib.Path) -> None:
    """Give ``temporary`` the name ``path`` atomically, failing if ``path`` exists."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:
        # The filesystem has no hard links: reserve the name with O_EXCL, then atomically
        # replace the (empty) reservation. A reader in between sees an empty file, which load
        # refuses, never a half-written model.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        os.close(fd)
        try:
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
    else:
        # The model is already in place; a leftover second name for it is not worth failing.
        with contextlib.suppress(OSError):
            os.unlink(temporary)


_TEMPORARY_SUFFIX = ".sigmanet-tmp"
_TEMPORARY_NAME = re.compile(r"\.(?P<target>.+)\.(?P<pid>[0-9]{1,10})\.[0-9a-f]{8}\.sigmanet-tmp")


def _process_is_running(pid: int) -> bool:
    """Whether process ``pid`` may still be running (True when it cannot be told)."""
    if os.name != "posix":
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists but belongs to someone else, or we may not ask
    return True


def _remove_stale_temporaries(directory: pathlib.Path, target: str) -> None:
    """Remove the temporary files that saves to ``target`` left when their process died.

    Only files named as :func:`write_atomically` names its temporaries for this ``target``,
    by a process that no longer runs, are removed; those of running processes (a write in
    progress) stay.
    """
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        match = _TEMPORARY_NAME.fullmatch(entry.name)
        if match is None or match["target"] != target:
            continue
        pid = int(match["pid"])
        if pid == os.getpid() or _process_is_running(pid):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)


def check_destination(path: pathlib.Path, overwrite: Any) -> None:
    """Refuse to write to ``path``: a directory, a missing directory, or a file not to replace."""
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be a bool; got {type(overwrite).__name__}.")
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory; give a file name to save to.")
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(f"{str(path)!r} already exists; pass overwrite=True to replace it.")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"cannot save to {str(path)!r}: directory {str(path.parent)!r} does not exist."
        )


def write_atomically(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False
) -> pathlib.Path:
    """Write ``data`` to ``path`` whole or not at all, as :func:`~sigmanet.io.save` does.

    ``data`` goes to ``.NAME.PID.RANDOM.sigmanet-tmp`` beside ``path``, is flushed to disk,
    then renamed into place in one step, so ``path`` holds its old content or all of
    ``data``, even if the process is killed. A failed write removes its temporary file; a
    write also removes the temporary files that killed writes to the same ``path`` left
    behind (those whose process no longer runs). The command line writes its predictions and
    pictures through it too.

    Parameters
    ----------
    path : str or os.PathLike
    data : bytes
    overwrite : bool, default=False
        Replace an existing file. Without it an existing file is never touched, even one
        created by another process while this one was writing.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    IsADirectoryError, FileNotFoundError
        If ``path`` is a directory, or its directory does not exist.
    """
    path = as_path(path)
    check_destination(path, overwrite)
    directory = path.parent
    _remove_stale_temporaries(directory, path.name)
    temporary = directory / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{_TEMPORARY_SUFFIX}"
    fd = os.open(
        temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
    )
    try:
        try:
            _write_fully(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(temporary, path)
        else:
            try:
                _publish_no_clobber(temporary, path)
            except FileExistsError:
                raise FileExistsError(
                    errno.EEXIST,
                    f"{str(path)!r} was created while saving; pass overwrite=True to replace it",
                    str(path),
                ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)
    return path
