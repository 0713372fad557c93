"""Model files: fitted estimators saved through safetensors, never through pickle.

A sigmanet model file is a plain `safetensors <https://github.com/huggingface/safetensors>`_
file. Its tensors are the estimator's arrays (``"coefs_.0"``, ``"intercepts_.0"``, ...); its
``__metadata__`` map holds one key, ``"sigmanet"``, whose value is a JSON document::

    {
      "format_version": 1,
      "sigmanet_version": "0.1.0",
      "class": "MLPClassifier",
      "params": {...},          # est.get_params(deep=False)
      "state": {...},           # the metadata half of est._get_state(): classes_, loss_curve_ ...
      "tensors": {"coefs_.0": {"dtype": "float32", "shape": [4, 8], "sha256": "..."}, ...}
    }

Loading cannot run code. The loader only builds classes from the allow-list
:data:`sigmanet.estimators.ESTIMATORS`, passes the stored hyper-parameters to the class's
constructor, and hands the arrays and state to ``_set_state``, which validates them.

Values JSON has no type for
---------------------------
The document is strict JSON (no ``NaN`` or ``Infinity`` literals), so any JSON reader can open
it. Python values JSON cannot hold are stored as one-key objects whose key starts with ``$``,
so they come back as the same type and value:

* ``{"$float": "nan" | "inf" | "-inf"}``: a non-finite float;
* ``{"$tuple": [...]}``: a tuple (``hidden_layer_sizes=(10, 5)`` stays a tuple);
* ``{"$dict": [[key, value], ...]}``: a dict whose keys are not all strings (such as
  ``class_weight={0: 1.0, 1: 3.0}``) or that has a key starting with ``$``;
* ``{"$array": {"dtype": ..., "shape": [...], "data": [...]}}``: a NumPy array of booleans,
  integers, floats, fixed-width strings (``"<U5"``) or Python strings (``"object"``), such as
  ``classes_``; the dtype comes back unchanged, so predicted labels keep theirs.

NumPy scalars are stored as the equivalent Python value. Finite floats are written with
``repr``, which round-trips every float64 exactly; float32 values are exact float64 values, so
they round-trip too. Anything else (a callable, an arbitrary object, a set) is refused at save
time with a :class:`ValueError` naming the parameter or state entry.

Integrity
---------
Every tensor's little-endian bytes carry a SHA-256 digest in ``"tensors"``; :func:`load` checks
them, so a bit flipped in the weights is reported instead of silently changing predictions.
The safetensors framing (8-byte little-endian header length, JSON header, data section) is
validated here before any byte reaches the safetensors library: header length at most
100 MB, every tensor's ``data_offsets`` inside the data section, tensors neither overlapping
nor leaving gaps, the data section ending exactly at the end of the file.

Errors
------
Every way a file can fail to be a loadable sigmanet model, including a path that does not exist
or cannot be read, raises :class:`sigmanet.exceptions.ModelFileError` (a ``ValueError``) with
a message that says what is wrong; the underlying exception, if any, is its ``__cause__``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import pathlib
import re
import secrets
import stat
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

import numpy as np

import sigmanet
from sigmanet.exceptions import ModelFileError

__all__ = ["FORMAT_VERSION", "MAX_HEADER_BYTES", "load", "read_metadata", "save"]

#: The version of the file layout this sigmanet writes; it reads this version and older ones.
FORMAT_VERSION = 1

#: Largest safetensors JSON header accepted (the limit the safetensors library itself uses).
MAX_HEADER_BYTES = 100_000_000

_METADATA_KEY = "sigmanet"

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
_CODE_OF_DTYPE_NAME = {dtype.name: code for code, dtype in _SAFETENSORS_DTYPES.items()}

# dtypes an "$array" value in the JSON document may have.
_JSON_ARRAY_DTYPES = {
    name: np.dtype(name)
    for name in (
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
        "object",
    )
}
_UNICODE_DTYPE = re.compile(r"<U([0-9]{1,6})")

_TAG_FLOAT = "$float"
_TAG_TUPLE = "$tuple"
_TAG_DICT = "$dict"
_TAG_ARRAY = "$array"
_TAGS = (_TAG_FLOAT, _TAG_TUPLE, _TAG_DICT, _TAG_ARRAY)
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}

_MAX_NDIM = 32
_MAX_DIM = 2**53
_WRITE_CHUNK = 1 << 20


# --------------------------------------------------------------------------------------------
# JSON encoding of parameters and state
# --------------------------------------------------------------------------------------------


def _encode_float(value: float) -> Any:
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return {_TAG_FLOAT: "nan"}
    return {_TAG_FLOAT: "inf" if value > 0 else "-inf"}


def _encode_array(array: np.ndarray, where: str) -> dict[str, Any]:
    dtype = array.dtype
    if dtype.kind == "U":
        dtype_name = f"<U{dtype.itemsize // 4}"
    elif dtype.name in _JSON_ARRAY_DTYPES and dtype.kind in "biufO":
        dtype_name = dtype.name
    else:
        raise ValueError(
            f"{where} is an array of dtype {dtype}, which a model file cannot hold; expected "
            "booleans, integers, floats or strings."
        )
    flat = array.ravel(order="C").tolist()
    if dtype.kind == "O":
        if not all(type(item) is str for item in flat):
            raise ValueError(
                f"{where} is an object array; a model file can hold object arrays of strings only."
            )
    elif dtype.kind == "f":
        flat = [_encode_float(item) for item in flat]
    return {_TAG_ARRAY: {"dtype": dtype_name, "shape": list(array.shape), "data": flat}}


def _encode(value: Any, where: str) -> Any:
    """Return ``value`` as a JSON value, tagging what JSON cannot represent (see module doc)."""
    if isinstance(value, np.ndarray):
        return _encode_array(value, where)
    if isinstance(value, np.generic):
        if value.dtype.kind not in "biufU":
            raise ValueError(
                f"{where} is a NumPy {value.dtype} scalar, which a model file cannot hold."
            )
        value = value.item()
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _encode_float(float(value))
    if isinstance(value, tuple):
        return {_TAG_TUPLE: [_encode(item, f"{where}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        plain = all(type(key) is str and not key.startswith("$") for key in value)
        if plain:
            return {key: _encode(item, f"{where}[{key!r}]") for key, item in value.items()}
        return {
            _TAG_DICT: [
                [_encode(key, f"{where} key {key!r}"), _encode(item, f"{where}[{key!r}]")]
                for key, item in value.items()
            ]
        }
    raise ValueError(
        f"{where} is a {type(value).__module__}.{type(value).__qualname__}, which a model file "
        "cannot hold; only None, bool, int, float, str, tuples, lists, dicts and NumPy arrays "
        "of numbers or strings can be saved."
    )


def _decode_array(spec: Any, where: str) -> np.ndarray:
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data"}:
        raise ModelFileError(f"{where}: an array must have exactly 'dtype', 'shape' and 'data'.")
    dtype_name, shape, data = spec["dtype"], spec["shape"], spec["data"]
    if not isinstance(dtype_name, str):
        raise ModelFileError(f"{where}: array dtype must be a string.")
    match = _UNICODE_DTYPE.fullmatch(dtype_name)
    if match is not None:
        dtype = np.dtype(f"<U{int(match.group(1))}")
    elif dtype_name in _JSON_ARRAY_DTYPES:
        dtype = _JSON_ARRAY_DTYPES[dtype_name]
    else:
        raise ModelFileError(f"{where}: unsupported array dtype {dtype_name!r}.")
    shape = _check_shape(shape, where)
    if not isinstance(data, list) or len(data) != math.prod(shape):
        raise ModelFileError(f"{where}: array data must be a list of {math.prod(shape)} values.")
    if dtype.kind == "b":
        ok = all(type(item) is bool for item in data)
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        ok = all(type(item) is int and info.min <= item <= info.max for item in data)
    elif dtype.kind == "f":
        data = [_decode_float(item, where) for item in data]
        ok = True
    else:  # "U" and "O": strings
        ok = all(type(item) is str for item in data)
        if ok and dtype.kind == "U":
            ok = all(len(item) <= dtype.itemsize // 4 for item in data)
    if not ok:
        raise ModelFileError(f"{where}: array data do not fit dtype {dtype_name!r}.")
    if dtype.kind == "O":
        array = np.empty(len(data), dtype=object)
        array[:] = data
    else:
        # Narrow float dtypes would raise "overflow" on a too-large finite value; that is a
        # corrupt file, reported as such rather than silently turned into inf.
        with np.errstate(over="raise"):
            try:
                array = np.array(data, dtype=dtype)
            except FloatingPointError as exc:
                raise ModelFileError(f"{where}: a value is out of range for {dtype}.") from exc
    return array.reshape(shape)


def _decode_float(item: Any, where: str) -> float:
    if isinstance(item, float) or (isinstance(item, int) and not isinstance(item, bool)):
        return float(item)
    if isinstance(item, dict) and set(item) == {_TAG_FLOAT} and item[_TAG_FLOAT] in _NONFINITE:
        return _NONFINITE[item[_TAG_FLOAT]]
    raise ModelFileError(f"{where}: expected a number, got {type(item).__name__}.")


def _decode(value: Any, where: str) -> Any:
    """Invert :func:`_encode` on a parsed JSON value, refusing anything it cannot produce."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if not isinstance(value, dict):  # pragma: no cover - json.loads yields nothing else
        raise ModelFileError(f"{where}: unexpected JSON value {type(value).__name__}.")
    tagged = [key for key in value if key.startswith("$")]
    if not tagged:
        return {key: _decode(item, f"{where}[{key!r}]") for key, item in value.items()}
    if len(value) != 1 or tagged[0] not in _TAGS:
        raise ModelFileError(f"{where}: unknown tagged value with keys {sorted(value)!r}.")
    tag, payload = tagged[0], value[tagged[0]]
    if tag == _TAG_FLOAT:
        return _decode_float(value, where)
    if tag == _TAG_ARRAY:
        return _decode_array(payload, where)
    if not isinstance(payload, list):
        raise ModelFileError(f"{where}: {tag} must hold a list.")
    if tag == _TAG_TUPLE:
        return tuple(_decode(item, f"{where}[{i}]") for i, item in enumerate(payload))
    result: dict[Any, Any] = {}
    for i, pair in enumerate(payload):
        if not isinstance(pair, list) or len(pair) != 2:
            raise ModelFileError(f"{where}: entry {i} of {tag} must be a [key, value] pair.")
        key = _decode(pair[0], f"{where} key {i}")
        try:
            hash(key)
        except TypeError:
            raise ModelFileError(f"{where}: key {i} is not hashable.") from None
        if key in result:
            raise ModelFileError(f"{where}: duplicate key {key!r}.")
        result[key] = _decode(pair[1], f"{where}[{key!r}]")
    return result


def _check_shape(shape: Any, where: str) -> tuple[int, ...]:
    if (
        not isinstance(shape, list)
        or len(shape) > _MAX_NDIM
        or not all(type(dim) is int and 0 <= dim < _MAX_DIM for dim in shape)
    ):
        raise ModelFileError(
            f"{where}: shape must be a list of at most {_MAX_NDIM} non-negative integers."
        )
    return tuple(shape)


# --------------------------------------------------------------------------------------------
# safetensors framing
# --------------------------------------------------------------------------------------------


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _parse_json(text: bytes | str, what: str) -> Any:
    try:
        # Decoded here because json.loads would guess UTF-16/32 from the bytes; the format
        # (and the safetensors library) says UTF-8.
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text, object_pairs_hook=_strict_object, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise ModelFileError(f"{what} is not valid JSON: {exc}") from exc


def _read_header_length(prefix: bytes, file_size: int, source: str) -> int:
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


def _parse_header(
    header_bytes: bytes, data_length: int, source: str
) -> tuple[dict[str, tuple[np.dtype[Any], tuple[int, ...], int, int]], dict[str, Any]]:
    """Validate a safetensors header against a data section of ``data_length`` bytes.

    Returns the tensors (name -> dtype, shape, begin, end) and the raw sigmanet document.
    """
    # safetensors itself insists on '{' first; checking here keeps the two readers in step.
    if not header_bytes.startswith(b"{"):
        raise ModelFileError(f"{source}: the safetensors header does not start with '{{'.")
    header = _parse_json(header_bytes, f"{source}: the safetensors header")
    if not isinstance(header, dict):
        raise ModelFileError(f"{source}: the safetensors header is not a JSON object.")

    metadata = header.pop("__metadata__", None)
    if metadata is None or not isinstance(metadata, dict) or _METADATA_KEY not in metadata:
        raise ModelFileError(
            f"{source} is not a sigmanet model file: its safetensors metadata has no "
            f"{_METADATA_KEY!r} entry."
        )
    if not all(isinstance(value, str) for value in metadata.values()):
        raise ModelFileError(f"{source}: safetensors metadata values must be strings.")

    tensors: dict[str, tuple[np.dtype[Any], tuple[int, ...], int, int]] = {}
    for name, entry in header.items():
        where = f"{source}: tensor {name!r}"
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise ModelFileError(f"{where} must have exactly 'dtype', 'shape', 'data_offsets'.")
        code = entry["dtype"]
        if not isinstance(code, str) or code not in _SAFETENSORS_DTYPES:
            raise ModelFileError(f"{where} has unsupported dtype {code!r}.")
        dtype = _SAFETENSORS_DTYPES[code]
        shape = _check_shape(entry["shape"], where)
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

    document = _parse_json(metadata[_METADATA_KEY], f"{source}: the sigmanet description")
    return tensors, document


def _estimator_classes() -> dict[str, type]:
    # Imported here, not at module level: estimators sit before persistence in the flow of
    # imports, and a late import keeps `import sigmanet.persistence` free of cycles.
    from sigmanet.estimators import ESTIMATORS

    return dict(ESTIMATORS)


def _check_document(
    document: Any,
    tensors: dict[str, tuple[np.dtype[Any], tuple[int, ...], int, int]],
    source: str,
) -> dict[str, Any]:
    """Validate the sigmanet JSON document and return it decoded into Python values."""
    if not isinstance(document, dict):
        raise ModelFileError(f"{source}: the sigmanet description is not a JSON object.")
    missing = [
        key
        for key in ("format_version", "sigmanet_version", "class", "params", "state", "tensors")
        if key not in document
    ]
    if missing:
        raise ModelFileError(f"{source}: the sigmanet description lacks {missing}.")

    version = document["format_version"]
    if type(version) is not int or version < 1:
        raise ModelFileError(f"{source}: format_version {version!r} is not a positive integer.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{source} was written in model-file format {version} (by sigmanet "
            f"{document['sigmanet_version']!r}); this sigmanet {sigmanet.__version__} reads "
            f"format {FORMAT_VERSION} and older. Upgrade sigmanet to load it."
        )
    if not isinstance(document["sigmanet_version"], str):
        raise ModelFileError(f"{source}: sigmanet_version must be a string.")

    class_name = document["class"]
    allowed = _estimator_classes()
    if not isinstance(class_name, str) or class_name not in allowed:
        raise ModelFileError(
            f"{source} names estimator class {class_name!r}, which is not one sigmanet can "
            f"build; expected one of {sorted(allowed)}."
        )

    params = document["params"]
    if not isinstance(params, dict) or any(key.startswith("$") for key in params):
        raise ModelFileError(f"{source}: params must be a JSON object of parameter names.")

    described = document["tensors"]
    if not isinstance(described, dict):
        raise ModelFileError(f"{source}: 'tensors' must be a JSON object.")
    if set(described) != set(tensors):
        raise ModelFileError(
            f"{source}: the description lists tensors {sorted(described)} but the file holds "
            f"{sorted(tensors)}."
        )
    for name, spec in described.items():
        dtype, shape, _, _ = tensors[name]
        if (
            not isinstance(spec, dict)
            or set(spec) != {"dtype", "shape", "sha256"}
            or spec["dtype"] != dtype.name
            or spec["shape"] != list(shape)
            or not isinstance(spec["sha256"], str)
        ):
            raise ModelFileError(
                f"{source}: tensor {name!r} is described as {spec!r} but stored as {dtype.name} "
                f"with shape {list(shape)}."
            )

    return {
        "format_version": version,
        "sigmanet_version": document["sigmanet_version"],
        "class": class_name,
        "params": _decode(params, f"{source}: params"),
        "state": _decode(document["state"], f"{source}: state"),
        "tensors": {
            name: {"dtype": spec["dtype"], "shape": list(spec["shape"]), "sha256": spec["sha256"]}
            for name, spec in described.items()
        },
    }


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _as_path(path: Any) -> pathlib.Path:
    try:
        return pathlib.Path(os.fspath(path))
    except TypeError:
        raise TypeError(f"path must be a str or os.PathLike; got {type(path).__name__}.") from None


@contextlib.contextmanager
def _open_model_file(path: pathlib.Path) -> Iterator[BinaryIO]:
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


def _read_exactly(handle: BinaryIO, count: int, source: str) -> bytes:
    data = handle.read(count)
    if len(data) != count:
        raise ModelFileError(f"{source} changed size while being read (truncated?).")
    return bytes(data)


def _decoded_document(
    document: Any,
    tensors: dict[str, tuple[np.dtype[Any], tuple[int, ...], int, int]],
    source: str,
) -> dict[str, Any]:
    try:
        return _check_document(document, tensors, source)
    except RecursionError as exc:
        raise ModelFileError(f"{source}: the sigmanet description is nested too deeply.") from exc


def _read_model_file(path: pathlib.Path, *, with_data: bool) -> tuple[Any, dict[str, Any], bytes]:
    """Read and validate a model file; return (raw document, decoded document, file bytes).

    The framing and the description are validated before the data section is read, so a large
    file that is not a model is refused without reading it. The bytes are empty unless
    ``with_data``, in which case the tensor checksums are verified too.
    """
    source = repr(str(path))
    with _open_model_file(path) as handle:
        file_size = os.fstat(handle.fileno()).st_size
        prefix = handle.read(8)
        header_length = _read_header_length(prefix, file_size, source)
        header_bytes = _read_exactly(handle, header_length, source)
        data_length = file_size - 8 - header_length
        tensors, document = _parse_header(header_bytes, data_length, source)
        decoded = _decoded_document(document, tensors, source)
        if not with_data:
            return document, decoded, b""
        body = _read_exactly(handle, data_length, source)
        if handle.read(1):
            raise ModelFileError(f"{source} grew while being read.")
    _verify_checksums(body, tensors, decoded, source)
    return document, decoded, prefix + header_bytes + body


def _verify_checksums(
    body: bytes,
    tensors: dict[str, tuple[np.dtype[Any], tuple[int, ...], int, int]],
    decoded: dict[str, Any],
    source: str,
) -> None:
    for name, (_, _, begin, end) in tensors.items():
        if hashlib.sha256(body[begin:end]).hexdigest() != decoded["tensors"][name]["sha256"]:
            raise ModelFileError(
                f"{source}: the bytes of tensor {name!r} do not match their SHA-256 checksum; "
                "the file is corrupt."
            )


def _parse_file_bytes(data: bytes, source: str) -> dict[str, Any]:
    """Validate a whole model file held in memory; return its decoded description."""
    header_length = _read_header_length(data[:8], len(data), source)
    data_start = 8 + header_length
    tensors, document = _parse_header(data[8:data_start], len(data) - data_start, source)
    decoded = _decoded_document(document, tensors, source)
    _verify_checksums(data[data_start:], tensors, decoded, source)
    return decoded


def read_metadata(path: str | os.PathLike[str], *, raw: bool = False) -> dict[str, Any]:
    """Read a model file's description without building the estimator or reading its weights.

    The safetensors framing and the description are fully validated; the tensor checksums are
    only checked by :func:`load`, which reads the data.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.
    raw : bool, default=False
        If True, return the JSON document exactly as stored (only JSON types; the ``$``-tagged
        values of the module documentation are left as they are), for example to print it.

    Returns
    -------
    dict
        ``{"format_version", "sigmanet_version", "class", "params", "state", "tensors"}``;
        ``params`` and ``state`` hold Python values (tuples, non-finite floats, NumPy arrays)
        unless ``raw``; ``tensors`` maps each array's name to its dtype, shape and SHA-256.

    Raises
    ------
    ModelFileError
        If the file does not exist, cannot be read, or is not a valid sigmanet model file.
    """
    document, decoded, _ = _read_model_file(_as_path(path), with_data=False)
    return document if raw else decoded


def load(path: str | os.PathLike[str]) -> Any:
    """Load an estimator saved by :func:`save`.

    Nothing in the file can run code: no pickle is involved, only the classes of
    :data:`sigmanet.estimators.ESTIMATORS` are built, the hyper-parameters go through the
    class's constructor and the fitted state through its ``_set_state``, which validates it.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.

    Returns
    -------
    estimator
        A fitted estimator whose predictions are bit-identical to the saved one's.

    Raises
    ------
    ModelFileError
        For every way the file can fail to be a loadable sigmanet model: missing or unreadable,
        empty, truncated, trailing bytes, a header that is not JSON or is over
        :data:`MAX_HEADER_BYTES`, inconsistent tensor offsets, tensors that differ from their
        description or checksum, no sigmanet description, an unknown class, a newer
        ``format_version``, hyper-parameters or state the class rejects.
    """
    path = _as_path(path)
    source = repr(str(path))
    _, decoded, data = _read_model_file(path, with_data=True)

    try:
        from safetensors.numpy import load as safetensors_load

        loaded = safetensors_load(data)
    except Exception as exc:
        raise ModelFileError(f"{source}: safetensors could not read the tensors: {exc}") from exc
    arrays: dict[str, np.ndarray] = {}
    for name, spec in decoded["tensors"].items():
        array = loaded.get(name)
        if array is None or array.dtype.name != spec["dtype"] or list(array.shape) != spec["shape"]:
            raise ModelFileError(f"{source}: safetensors returned tensor {name!r} altered.")
        # safetensors hands back read-only views of one buffer; estimators need to own and,
        # with warm_start, modify their arrays.
        arrays[name] = np.array(array, copy=True)

    class_name = decoded["class"]
    cls = _estimator_classes()[class_name]
    return _build(cls, class_name, decoded["params"], arrays, decoded["state"], source)


def _build(
    cls: type,
    class_name: str,
    params: dict[str, Any],
    arrays: dict[str, np.ndarray],
    state: Any,
    source: str,
) -> Any:
    get_names = getattr(cls, "_get_param_names", None)
    if callable(get_names):
        try:
            known = set(get_names())
        except Exception as exc:  # pragma: no cover - a broken estimator class
            raise ModelFileError(f"{source}: cannot list {class_name}'s parameters.") from exc
        unknown = sorted(set(params) - known)
        if unknown:
            raise ModelFileError(
                f"{source}: {class_name} has no hyper-parameter(s) {unknown}; the file was "
                "written by an incompatible sigmanet."
            )
    try:
        estimator = cls(**params)
        if getattr(cls, "_parameter_constraints", None) is not None:
            estimator._validate_params()
    except Exception as exc:
        raise ModelFileError(
            f"{source}: {class_name} rejected the stored hyper-parameters: {exc}"
        ) from exc
    try:
        estimator._set_state(arrays, state)
    except Exception as exc:
        raise ModelFileError(
            f"{source}: {class_name} rejected the stored fitted state: {exc}"
        ) from exc
    return estimator


def _serialize(estimator: Any) -> bytes:
    """The bytes of the model file for a fitted sigmanet estimator."""
    from safetensors.numpy import save as safetensors_save
    from sklearn.utils.validation import check_is_fitted

    estimator_class: type = type(estimator)
    class_name = estimator_class.__name__
    allowed = _estimator_classes()
    if allowed.get(class_name) is not estimator_class:
        raise TypeError(
            f"estimator must be a sigmanet estimator ({', '.join(sorted(allowed))}); got "
            f"{type(estimator).__module__}.{type(estimator).__qualname__}."
        )
    check_is_fitted(estimator)

    params = {
        name: _encode(value, f"parameter {name!r}")
        for name, value in estimator.get_params(deep=False).items()
    }
    arrays, meta = estimator._get_state()
    state = _encode(meta, "state")

    tensors: dict[str, np.ndarray] = {}
    described: dict[str, dict[str, Any]] = {}
    for name, array in arrays.items():
        if not isinstance(name, str) or name == "__metadata__" or not name:
            raise ValueError(f"state array name {name!r} is not usable in a model file.")
        if not isinstance(array, np.ndarray) or array.dtype.name not in _CODE_OF_DTYPE_NAME:
            raise ValueError(
                f"state array {name!r} must be an ndarray of booleans, integers or floats; got "
                f"{getattr(array, 'dtype', type(array).__name__)}."
            )
        # Little-endian and C-ordered: the bytes safetensors writes, so the checksum matches.
        array = np.require(
            array.astype(array.dtype.newbyteorder("<"), copy=False), requirements="C"
        )
        tensors[name] = array
        described[name] = {
            "dtype": array.dtype.name,
            "shape": list(array.shape),
            "sha256": hashlib.sha256(array.tobytes()).hexdigest(),
        }

    document = {
        "format_version": FORMAT_VERSION,
        "sigmanet_version": sigmanet.__version__,
        "class": class_name,
        "params": params,
        "state": state,
        "tensors": described,
    }
    # ASCII escapes keep any Python str (even a lone surrogate) representable in the header.
    text = json.dumps(document, allow_nan=False, separators=(",", ":"))
    data = safetensors_save(tensors, metadata={_METADATA_KEY: text})
    # Never write a file this reader would refuse.
    _parse_file_bytes(data, f"the serialized {class_name}")
    return data


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


def save(estimator: Any, path: str | os.PathLike[str], *, overwrite: bool = False) -> pathlib.Path:
    """Save a fitted sigmanet estimator to a safetensors model file.

    The file is written to a temporary file in the same directory, flushed to disk, then moved
    into place in one step, so ``path`` never holds a half-written model, even if the process
    is killed; on failure the temporary file is removed.

    Parameters
    ----------
    estimator : LogisticRegression, SoftmaxRegression, MLPClassifier or MLPRegressor
        A fitted sigmanet estimator (a class of :data:`sigmanet.estimators.ESTIMATORS`).
    path : str or os.PathLike
        Where to write; ``.safetensors`` is the conventional suffix.
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
    sklearn.exceptions.NotFittedError
        If the estimator has not been fitted.
    TypeError
        If ``estimator`` is not a sigmanet estimator.
    ValueError
        If a hyper-parameter or state entry cannot be stored (a callable, an arbitrary object);
        the message names it.
    """
    path = _as_path(path)
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be a bool; got {type(overwrite).__name__}.")
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory; give a file name to save to.")
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(f"{str(path)!r} already exists; pass overwrite=True to replace it.")
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(
            f"cannot save to {str(path)!r}: directory {str(directory)!r} does not exist."
        )

    data = _serialize(estimator)

    temporary = directory / f".{path.name}.{secrets.token_hex(8)}.tmp"
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
