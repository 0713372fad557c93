"""Python values as strict JSON, and back: the hyper-parameters and state of a model file.

The description a model file holds is strict JSON (no ``NaN`` or ``Infinity`` literals), so
any JSON reader can open it. Python values JSON cannot hold are stored as one-key objects
whose key starts with ``$``, so they come back as the same type and value:

* ``{"$float": "nan" | "inf" | "-inf"}``: a non-finite float;
* ``{"$tuple": [...]}``: a tuple (``hidden_layer_sizes=(10, 5)`` stays a tuple);
* ``{"$dict": [[key, value], ...]}``: a dict whose keys are not all strings (such as
  ``class_weight={0: 1.0, 1: 3.0}``) or that has a key starting with ``$``;
* ``{"$array": {"dtype": ..., "shape": [...], "data": [...]}}``: a NumPy array of booleans,
  integers, floats, fixed-width strings (``"<U5"``) or Python strings (``"object"``), such as
  ``classes_``; the dtype comes back unchanged, so predicted labels keep theirs.

NumPy scalars are stored as the equivalent Python value. Finite floats are written with
``repr``, which round-trips every float64 exactly; float32 values are exact float64 values, so
they round-trip too. Anything else (a callable, an arbitrary object, a set) is refused with a
:class:`ValueError` naming the parameter or state entry. Format 2 adds further tags for the
fitted state of scikit-learn objects (:mod:`sigmanet.io.description`), through the ``hook`` of
:func:`encode` and the ``extra`` of :func:`decode`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from sigmanet.exceptions import ModelFileError

__all__ = ["JSON_ARRAY_DTYPES", "check_shape", "child", "decode", "encode"]

#: The dtypes an ``"$array"`` value may have, by name.
JSON_ARRAY_DTYPES = {
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
    elif dtype.name in JSON_ARRAY_DTYPES and dtype.kind in "biufO":
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


def child(name: str, key: Any) -> str:
    """The dotted position of ``key`` inside the value at ``name`` (which names tensors)."""
    return f"{name}.{key}" if name else str(key)


def encode(value: Any, where: str, hook: Any = None, name: str = "") -> Any:
    """Return ``value`` as a JSON value, tagging what JSON cannot represent (see module doc).

    ``hook(value, where, name)``, if given, is asked first at every level and may return the
    encoding of a value the plain encoding does not know (estimators, tensors); ``name`` is the
    value's dotted position, which names its tensors.
    """
    if hook is not None:
        encoded = hook(value, where, name)
        if encoded is not NotImplemented:
            return encoded
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
        return {
            _TAG_TUPLE: [
                encode(item, f"{where}[{i}]", hook, child(name, i)) for i, item in enumerate(value)
            ]
        }
    if isinstance(value, list):
        return [encode(item, f"{where}[{i}]", hook, child(name, i)) for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        plain = all(type(key) is str and not key.startswith("$") for key in value)
        if plain:
            return {
                key: encode(item, f"{where}[{key!r}]", hook, child(name, key))
                for key, item in value.items()
            }
        return {
            _TAG_DICT: [
                [
                    encode(key, f"{where} key {key!r}"),
                    encode(item, f"{where}[{key!r}]", hook, child(name, index)),
                ]
                for index, (key, item) in enumerate(value.items())
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
    elif dtype_name in JSON_ARRAY_DTYPES:
        dtype = JSON_ARRAY_DTYPES[dtype_name]
    else:
        raise ModelFileError(f"{where}: unsupported array dtype {dtype_name!r}.")
    shape = check_shape(shape, where)
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


def decode(value: Any, where: str, extra: Mapping[str, Any] | None = None) -> Any:
    """Invert :func:`encode` on a parsed JSON value, refusing anything it cannot produce.

    ``extra`` maps further tags (format 2's ``$estimator``, ``$tensor``, ...) to functions
    ``handler(payload, where)``; format 1 has none.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [decode(item, f"{where}[{i}]", extra) for i, item in enumerate(value)]
    if not isinstance(value, dict):  # pragma: no cover - json.loads yields nothing else
        raise ModelFileError(f"{where}: unexpected JSON value {type(value).__name__}.")
    tagged = [key for key in value if key.startswith("$")]
    if not tagged:
        return {key: decode(item, f"{where}[{key!r}]", extra) for key, item in value.items()}
    known = _TAGS if extra is None else (*_TAGS, *extra)
    if len(value) != 1 or tagged[0] not in known:
        raise ModelFileError(f"{where}: unknown tagged value with keys {sorted(value)!r}.")
    tag, payload = tagged[0], value[tagged[0]]
    if extra is not None and tag in extra:
        return extra[tag](payload, where)
    if tag == _TAG_FLOAT:
        return _decode_float(value, where)
    if tag == _TAG_ARRAY:
        return _decode_array(payload, where)
    if not isinstance(payload, list):
        raise ModelFileError(f"{where}: {tag} must hold a list.")
    if tag == _TAG_TUPLE:
        return tuple(decode(item, f"{where}[{i}]", extra) for i, item in enumerate(payload))
    result: dict[Any, Any] = {}
    for i, pair in enumerate(payload):
        if not isinstance(pair, list) or len(pair) != 2:
            raise ModelFileError(f"{where}: entry {i} of {tag} must be a [key, value] pair.")
        key = decode(pair[0], f"{where} key {i}")
        try:
            hash(key)
        except TypeError:
            raise ModelFileError(f"{where}: key {i} is not hashable.") from None
        if key in result:
            raise ModelFileError(f"{where}: duplicate key {key!r}.")
        result[key] = decode(pair[1], f"{where}[{key!r}]", extra)
    return result


def check_shape(shape: Any, where: str) -> tuple[int, ...]:
    if (
        not isinstance(shape, list)
        or len(shape) > _MAX_NDIM
        or not all(type(dim) is int and 0 <= dim < _MAX_DIM for dim in shape)
    ):
        raise ModelFileError(
            f"{where}: shape must be a list of at most {_MAX_NDIM} non-negative integers."
        )
    return tuple(shape)
