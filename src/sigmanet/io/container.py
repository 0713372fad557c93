"""The container of a model file: a safetensors file whose every byte is verified.

A sigmanet model file is a plain `safetensors <https://github.com/huggingface/safetensors>`_
file: an 8-byte little-endian length, a JSON header of that length, then the tensors' bytes.
Its tensors are the fitted arrays of numbers; the header's ``__metadata__`` map holds two
keys: ``"sigmanet"``, the JSON description of everything else
(:mod:`sigmanet.io.description`), and ``"sigmanet_sha256"``, the SHA-256 of that
description's bytes.

Every byte verified
-------------------
Any change to any byte of a format-2 file is an error, by three rules: every tensor's bytes
match the SHA-256 in the description; the description matches the SHA-256 beside it; and the
safetensors header (its 8-byte length prefix included) is byte for byte the one the writer
makes for its content: the metadata first with sorted keys, then the tensors sorted by name,
each ``{"dtype", "shape", "data_offsets"}`` with the data laid out in that order, compact
ASCII JSON padded with spaces to a multiple of 8 bytes. So a changed digit in a hyper-parameter,
a reordered key, a changed space of padding or a changed weight is refused alike. Checksums
detect corruption; they do not authenticate who wrote the file. The safetensors framing (header
length at most 100 MB, every tensor's ``data_offsets`` inside the data section, no overlaps or
gaps, the data section ending exactly at the end of the file) is validated here before any
byte reaches the safetensors library.

Every failure is a :class:`~sigmanet.exceptions.ModelFileError` (a ``ValueError``) whose
message says what is wrong; the underlying exception, if any, is its ``__cause__``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import pathlib
import stat
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

import numpy as np

from sigmanet.exceptions import ModelFileError
from sigmanet.io.values import check_shape

__all__ = [
    "CODE_OF_DTYPE_NAME",
    "DIGEST_KEY",
    "MAX_HEADER_BYTES",
    "METADATA_KEY",
    "frame",
    "open_model_file",
    "parse_header",
    "parse_json",
    "read_exactly",
    "read_header_length",
    "verify_checksums",
]

#: Largest safetensors JSON header accepted (the limit the safetensors library itself uses).
MAX_HEADER_BYTES = 100_000_000

METADATA_KEY = "sigmanet"
DIGEST_KEY = "sigmanet_sha256"

# safetensors dtype codes <-> the NumPy dtypes sigmanet stores. Others (BF16, F8, complex)
# cannot come from a sigmanet estimator, so a file holding them is refused.
_SAFETENSORS_DTYPES: dict[str, np.dtype[Any]] = {
    "F64": np.dtype(np.float64),
    "F32": np.dtype(np.float32),
    "F16": np.dtype(np.float16),
    "I64": np.dtype(np.int64),
    "I32": np.dtype(np.int32),
    "I16": np.dtype(np.int16),
    "I8": np.dtype(np.int8),
    "U64": np.dtype(np.uint64),
    "U32": np.dtype(np.uint32),
    "U16": np.dtype(np.uint16),
    "U8": np.dtype(np.uint8),
    "BOOL": np.dtype(np.bool_),
}
CODE_OF_DTYPE_NAME = {dtype.name: code for code, dtype in _SAFETENSORS_DTYPES.items()}

# A file's tensors as its header places them: name -> (dtype, shape, begin, end) in the data
# section.
TensorTable = dict[str, tuple[np.dtype[Any], tuple[int, ...], int, int]]


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def parse_json(text: bytes | str, what: str) -> Any:
    try:
        # Decoded here because json.loads would guess UTF-16/32 from the bytes; the format
        # (and the safetensors library) says UTF-8.
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text, object_pairs_hook=_strict_object, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise ModelFileError(f"{what} is not valid JSON: {exc}") from exc


def read_header_length(prefix: bytes, file_size: int, source: str) -> int:
    if file_size == 0:
        raise ModelFileError(f"{source} is empty, not a sigmanet model file.")
    if file_size < 8:
        raise ModelFileError(
            f"{source} is {file_size} bytes long, too short for a safetensors file (truncated?)."
        )
    header_length = int.from_bytes(prefix[:8], "little")
    if header_length < 2:
        raise ModelFileError(f"{source}: the safetensors header length {header_length} is invalid.")
    if header_length > MAX_HEADER_BYTES:
        raise ModelFileError(
            f"{source}: the safetensors header claims {header_length} bytes, more than the "
            f"{MAX_HEADER_BYTES} allowed; this is not a sigmanet model file."
        )
    if 8 + header_length > file_size:
        raise ModelFileError(
            f"{source} is truncated: its header claims {header_length} bytes but only "
            f"{file_size - 8} follow the length prefix."
        )
    return header_length


def parse_header(
    header_bytes: bytes, data_length: int, source: str
) -> tuple[TensorTable, Any, bool]:
    """Validate a safetensors header against a data section of ``data_length`` bytes.

    Returns the tensors (name -> dtype, shape, begin, end), the raw sigmanet document and
    whether the description carries its checksum (format 2 and later).
    """
    # safetensors itself insists on '{' first; checking here keeps the two readers in step.
    if not header_bytes.startswith(b"{"):
        raise ModelFileError(f"{source}: the safetensors header does not start with '{{'.")
    header = parse_json(header_bytes, f"{source}: the safetensors header")
    if not isinstance(header, dict):
        raise ModelFileError(f"{source}: the safetensors header is not a JSON object.")

    metadata = header.pop("__metadata__", None)
    if metadata is None or not isinstance(metadata, dict) or METADATA_KEY not in metadata:
        raise ModelFileError(
            f"{source} is not a sigmanet model file: its safetensors metadata has no "
            f"{METADATA_KEY!r} entry."
        )
    if not all(isinstance(value, str) for value in metadata.values()):
        raise ModelFileError(f"{source}: safetensors metadata values must be strings.")
    if set(metadata) not in ({METADATA_KEY}, {METADATA_KEY, DIGEST_KEY}):
        raise ModelFileError(
            f"{source}: unexpected safetensors metadata keys {sorted(metadata)}; a sigmanet "
            f"model file has {METADATA_KEY!r} and {DIGEST_KEY!r}."
        )

    tensors: TensorTable = {}
    for name, entry in header.items():
        where = f"{source}: tensor {name!r}"
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise ModelFileError(f"{where} must have exactly 'dtype', 'shape', 'data_offsets'.")
        code = entry["dtype"]
        if not isinstance(code, str) or code not in _SAFETENSORS_DTYPES:
            raise ModelFileError(f"{where} has unsupported dtype {code!r}.")
        dtype = _SAFETENSORS_DTYPES[code]
        shape = check_shape(entry["shape"], where)
        offsets = entry["data_offsets"]
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(type(o) is int for o in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= data_length
        ):
            raise ModelFileError(
                f"{where} has data_offsets {offsets!r} outside the {data_length}-byte data "
                "section (truncated or corrupt file)."
            )
        begin, end = offsets
        if end - begin != math.prod(shape) * dtype.itemsize:
            raise ModelFileError(
                f"{where}: data_offsets span {end - begin} bytes but shape {list(shape)} of "
                f"{dtype} needs {math.prod(shape) * dtype.itemsize}."
            )
        tensors[name] = (dtype, shape, begin, end)

    position = 0
    for name, (_, _, begin, end) in sorted(tensors.items(), key=lambda item: item[1][2:]):
        if begin != position:
            kind = "overlaps another tensor" if begin < position else "leaves a gap before it"
            raise ModelFileError(f"{source}: tensor {name!r} {kind} in the data section.")
        position = end
    if position != data_length:
        raise ModelFileError(
            f"{source} has {data_length - position} trailing bytes after the last tensor "
            "(corrupt or concatenated file)."
        )

    if DIGEST_KEY in metadata:
        _check_canonical(header_bytes, metadata, tensors, source)
    document = parse_json(metadata[METADATA_KEY], f"{source}: the sigmanet description")
    return tensors, document, DIGEST_KEY in metadata


def _canonical_header(
    metadata: Mapping[str, str], entries: list[tuple[str, str, list[int], int, int]]
) -> bytes:
    """The safetensors header sigmanet writes: one byte string per content.

    The metadata first (keys sorted), then the tensors sorted by name, each as
    ``{"dtype", "shape", "data_offsets"}``, in compact ASCII JSON, padded with spaces to a
    multiple of 8 bytes.
    """
    header: dict[str, Any] = {"__metadata__": {key: metadata[key] for key in sorted(metadata)}}
    for name, code, shape, begin, end in sorted(entries):
        header[name] = {"dtype": code, "shape": list(shape), "data_offsets": [begin, end]}
    text = json.dumps(header, separators=(",", ":")).encode("ascii")
    return text + b" " * (-len(text) % 8)


def _check_canonical(
    header_bytes: bytes,
    metadata: Mapping[str, str],
    tensors: TensorTable,
    source: str,
) -> None:
    """Refuse a header that is not byte for byte the one ``_canonical_header`` writes for
    its content, and a description that does not match its SHA-256."""
    position = 0
    for name in sorted(tensors):
        _, _, begin, end = tensors[name]
        if begin != position:
            raise ModelFileError(f"{source}: tensor {name!r} is not where the writer puts it.")
        position = end
    entries = [
        (name, CODE_OF_DTYPE_NAME[dtype.name], list(shape), begin, end)
        for name, (dtype, shape, begin, end) in tensors.items()
    ]
    if _canonical_header(metadata, entries) != header_bytes:
        raise ModelFileError(
            f"{source}: the safetensors header is not the one sigmanet writes for its content "
            "(edited or corrupt file)."
        )
    digest = hashlib.sha256(metadata[METADATA_KEY].encode("utf-8", "surrogatepass")).hexdigest()
    if digest != metadata[DIGEST_KEY]:
        raise ModelFileError(
            f"{source}: the sigmanet description does not match its SHA-256 checksum; the file "
            "is corrupt."
        )


@contextlib.contextmanager
def open_model_file(path: pathlib.Path) -> Iterator[BinaryIO]:
    """Open a regular file for reading; every failure, then or while reading, a ModelFileError."""
    shown = repr(str(path))
    try:
        # Checked before opening too: opening a FIFO would block until someone writes to it.
        if not stat.S_ISREG(os.stat(path).st_mode):
            kind = "a directory" if path.is_dir() else "not a regular file"
            raise ModelFileError(f"{shown} is {kind}, not a model file.")
        handle = open(path, "rb")  # noqa: SIM115 - closed by the with-block below
    except FileNotFoundError as exc:
        raise ModelFileError(f"model file {shown} does not exist.") from exc
    except OSError as exc:
        raise ModelFileError(f"cannot open model file {shown}: {exc}") from exc
    with handle:
        try:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ModelFileError(f"{shown} is not a regular file, not a model file.")
            yield handle
        except OSError as exc:
            raise ModelFileError(f"cannot read model file {shown}: {exc}") from exc


def read_exactly(handle: BinaryIO, count: int, source: str) -> bytes:
    """``count`` bytes from ``handle``; fewer is a file that changed size while being read."""
    data = handle.read(count)
    if len(data) != count:
        raise ModelFileError(f"{source} changed size while being read (truncated?).")
    return bytes(data)


def verify_checksums(
    body: bytes, tensors: TensorTable, digests: Mapping[str, str], source: str
) -> None:
    """Refuse a data section where a tensor's bytes do not match its SHA-256 in ``digests``."""
    for name, (_, _, begin, end) in tensors.items():
        if hashlib.sha256(body[begin:end]).hexdigest() != digests[name]:
            raise ModelFileError(
                f"{source}: the bytes of tensor {name!r} do not match their SHA-256 checksum; "
                "the file is corrupt."
            )


def frame(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """A safetensors file: the header of ``_canonical_header``, the tensors in name order."""
    entries = []
    position = 0
    for name in sorted(tensors):
        array = tensors[name]
        code = CODE_OF_DTYPE_NAME[array.dtype.name]
        entries.append((name, code, list(array.shape), position, position + array.nbytes))
        position += array.nbytes
    header = _canonical_header(metadata, entries)
    return b"".join(
        [len(header).to_bytes(8, "little"), header]
        + [tensors[name].tobytes() for name in sorted(tensors)]
    )
