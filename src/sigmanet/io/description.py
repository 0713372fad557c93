"""The description of a model file (format 2): the JSON document of its steps.

The document a model file holds beside its tensors::

    {
      "format_version": 2,
      "sigmanet_version": "0.1.0",
      "sklearn_version": "1.9.1",
      "class": "Pipeline",                 # the saved object, a "step"
      "params": {...},                      # its get_params(deep=False)
      "state": {...},                       # its fitted state
      "tensors": {"steps.1.1.param.0.W": {"dtype": "float32", "shape": [4, 8], "sha256": "..."}}
    }

A step is ``{"class", "params", "state"}``; a step that holds another (a pipeline's steps, a
column transformer's transformers) has it as ``{"$estimator": step}`` in its params or state,
and each array of numbers as ``{"$tensor": name}``, a name that says where it sits
(``"steps.0.1.mean_"``). How a class's fitted state is stored is its codec's business
(:mod:`sigmanet.io.steps`); a sigmanet estimator's arrays are listed in its step's
``"arrays"`` map.

Values are encoded as :mod:`sigmanet.io.values` says, and format 2 adds, for the fitted
state of scikit-learn objects:

* ``{"$tensor": name}``: an array of numbers, stored as the tensor ``name``;
* ``{"$objects": {"shape": [...], "data": [...]}}``: an object array of strings, numbers and
  None (a one-hot encoder's categories with a missing value);
* ``{"$scalar": [dtype, value]}``: a NumPy number, which keeps its type;
* ``{"$dtype": "<f8"}`` and ``{"$numpy_type": "float64"}``: a NumPy dtype and a NumPy scalar
  type (``OneHotEncoder(dtype=np.float32)``), from a fixed list of simple ones;
* ``{"$slice": [start, stop, step]}``: a slice (a column transformer's output columns);
* ``{"$estimator": step}``: a nested step, as above.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import Any

import numpy as np

from sigmanet.exceptions import ModelFileError
from sigmanet.io import steps
from sigmanet.io.container import CODE_OF_DTYPE_NAME, TensorTable
from sigmanet.io.values import JSON_ARRAY_DTYPES, check_shape, child, decode, encode

__all__ = ["NODE_KEYS", "Reader", "Writer", "build_model", "describe"]

_TAG_ESTIMATOR = "$estimator"
_TAG_TENSOR = "$tensor"
_TAG_OBJECTS = "$objects"
_TAG_SCALAR = "$scalar"
_TAG_DTYPE = "$dtype"
_TAG_NUMPY_TYPE = "$numpy_type"
_TAG_SLICE = "$slice"
#: The keys of a step.
NODE_KEYS = ("class", "params", "state")
_SIMPLE_DTYPE = re.compile(r"[<>|=]?(b1|[iu][1248]|f[248]|U[0-9]{1,6}|O)")
_NUMPY_SCALAR_TYPES: dict[str, type] = {
    np.dtype(name).type.__name__: np.dtype(name).type
    for name in JSON_ARRAY_DTYPES
    if name != "object"
}


class Writer:
    """Encodes a fitted object as format 2's JSON nodes, collecting its arrays as tensors."""

    def __init__(self) -> None:
        self.codecs = steps.codecs()
        self.tensors: dict[str, np.ndarray] = {}

    def node(self, obj: Any, where: str, name: str) -> dict[str, Any]:
        found = steps.codec_for(obj, self.codecs)
        if found is None:
            raise ValueError(
                f"{where} is a {type(obj).__module__}.{type(obj).__qualname__}, which a model "
                f"file cannot hold. Supported: {', '.join(steps.supported_steps())}; "
                "sigmanet.io.register_step adds a class."
            )
        class_name, codec = found
        params = codec.params(obj)
        codec.check_params(class_name, params)
        arrays, state = codec.state(obj)
        node: dict[str, Any] = {
            "class": class_name,
            "params": {
                key: encode(value, f"{where} parameter {key!r}", self.hook, child(name, key))
                for key, value in params.items()
            },
            "state": encode(state, f"{where} state", self.hook, name),
        }
        if arrays:
            node["arrays"] = {
                local: self.tensor(array, f"{where} state array {local!r}", child(name, local))
                for local, array in arrays.items()
            }
        return node

    def tensor(self, array: Any, where: str, name: str) -> str:
        if not isinstance(array, np.ndarray) or array.dtype.name not in CODE_OF_DTYPE_NAME:
            raise ValueError(
                f"{where} must be an ndarray of booleans, integers or floats; got "
                f"{getattr(array, 'dtype', type(array).__name__)}."
            )
        if not name or name == "__metadata__" or name in self.tensors:
            raise ValueError(f"{where}: tensor name {name!r} is not usable in a model file.")
        # Little-endian and C-ordered: the bytes the file holds, so the checksum matches.
        self.tensors[name] = np.require(
            array.astype(array.dtype.newbyteorder("<"), copy=False), requirements="C"
        )
        return name

    def hook(self, value: Any, where: str, name: str) -> Any:
        from sklearn.base import BaseEstimator

        if isinstance(value, BaseEstimator):
            return {_TAG_ESTIMATOR: self.node(value, where, name)}
        if isinstance(value, np.ndarray):
            if value.dtype.kind == "O":
                items = value.ravel(order="C").tolist()
                return {
                    _TAG_OBJECTS: {
                        "shape": list(value.shape),
                        "data": [encode(item, f"{where}[{i}]") for i, item in enumerate(items)],
                    }
                }
            if value.dtype.kind in "biuf":
                return {_TAG_TENSOR: self.tensor(value, where, name)}
            return NotImplemented
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            return {_TAG_SCALAR: [value.dtype.name, encode(value.item(), where)]}
        if isinstance(value, np.dtype):
            if not _SIMPLE_DTYPE.fullmatch(value.str):
                raise ValueError(f"{where} is the NumPy dtype {value}, which a file cannot hold.")
            return {_TAG_DTYPE: value.str}
        if isinstance(value, type) and _NUMPY_SCALAR_TYPES.get(value.__name__) is value:
            return {_TAG_NUMPY_TYPE: value.__name__}
        if isinstance(value, slice):
            return {
                _TAG_SLICE: [encode(part, where) for part in (value.start, value.stop, value.step)]
            }
        return NotImplemented


class Reader:
    """Decodes format 2's steps: with ``arrays`` it builds them, without it describes them."""

    def __init__(self, source: str, arrays: dict[str, np.ndarray] | None) -> None:
        self.source = source
        self.arrays = arrays
        self.codecs = steps.codecs()
        self.used: set[str] = set()
        self.classes: list[str] = []
        self.extra = {
            _TAG_ESTIMATOR: self._estimator,
            _TAG_TENSOR: self._tensor,
            _TAG_OBJECTS: self._objects,
            _TAG_SCALAR: self._scalar,
            _TAG_DTYPE: self._dtype,
            _TAG_NUMPY_TYPE: self._numpy_type,
            _TAG_SLICE: self._slice,
        }

    def error(self, where: str, message: str) -> ModelFileError:
        return ModelFileError(f"{self.source}: {where}: {message}")

    def decode(self, value: Any, where: str) -> Any:
        return decode(value, where, self.extra)

    def node(self, node: Any, where: str) -> Any:
        if not isinstance(node, dict) or not (
            set(node) == set(NODE_KEYS) or set(node) == {*NODE_KEYS, "arrays"}
        ):
            raise self.error(where, f"a step must have exactly {list(NODE_KEYS)} (and 'arrays').")
        class_name = node["class"]
        if not isinstance(class_name, str) or class_name not in self.codecs:
            raise self.error(
                where,
                f"class {class_name!r} is not one sigmanet can build. {steps.unknown(class_name)}",
            )
        self.classes.append(class_name)
        cls, codec = self.codecs[class_name]
        params = node["params"]
        if not isinstance(params, dict) or any(key.startswith("$") for key in params):
            raise self.error(where, "params must be a JSON object of parameter names.")
        arrays = node.get("arrays", {})
        if not isinstance(arrays, dict) or not all(
            isinstance(name, str) for name in arrays.values()
        ):
            raise self.error(where, "arrays must map names to tensor names.")
        decoded_params = {
            key: self.decode(value, f"{where} parameter {key!r}") for key, value in params.items()
        }
        state = self.decode(node["state"], f"{where} state")
        resolved = {
            local: self._tensor(name, f"{where} array {local!r}") for local, name in arrays.items()
        }
        if self.arrays is None:
            described = {"class": class_name, "params": decoded_params, "state": state}
            if arrays:
                described["arrays"] = dict(arrays)
            return described
        try:
            codec.check_params(class_name, decoded_params)
        except ValueError as exc:
            raise self.error(where, str(exc)) from exc
        return steps.build(
            cls, class_name, decoded_params, resolved, state, f"{self.source}: {where}", codec
        )

    def _estimator(self, payload: Any, where: str) -> Any:
        return self.node(payload, where)

    def _tensor(self, payload: Any, where: str) -> Any:
        if not isinstance(payload, str):
            raise self.error(where, "a tensor reference must be a tensor name.")
        if payload in self.used:
            raise self.error(where, f"tensor {payload!r} is referenced twice.")
        self.used.add(payload)
        if self.arrays is None:
            return {"tensor": payload}
        if payload not in self.arrays:
            raise self.error(where, f"tensor {payload!r} is not in the file.")
        return self.arrays[payload]

    def _objects(self, payload: Any, where: str) -> np.ndarray:
        if not isinstance(payload, dict) or set(payload) != {"shape", "data"}:
            raise self.error(where, "$objects must have exactly 'shape' and 'data'.")
        shape = check_shape(payload["shape"], where)
        data = payload["data"]
        if not isinstance(data, list) or len(data) != math.prod(shape):
            raise self.error(where, f"$objects data must be a list of {math.prod(shape)} values.")
        items = [decode(item, f"{where}[{i}]") for i, item in enumerate(data)]
        if not all(item is None or isinstance(item, (bool, int, float, str)) for item in items):
            raise self.error(where, "$objects may hold only None, numbers and strings.")
        array = np.empty(len(items), dtype=object)
        array[:] = items
        return array.reshape(shape)

    def _scalar(self, payload: Any, where: str) -> Any:
        if (
            not isinstance(payload, list)
            or len(payload) != 2
            or payload[0] not in _NUMPY_SCALAR_TYPES
        ):
            raise self.error(where, "$scalar must be [dtype name, value].")
        value = decode(payload[1], where)
        if not isinstance(value, (bool, int, float)):
            raise self.error(where, "$scalar value must be a number.")
        with np.errstate(over="raise", invalid="raise"):
            try:
                return np.array(value, dtype=_NUMPY_SCALAR_TYPES[payload[0]])[()]
            except (FloatingPointError, OverflowError, ValueError) as exc:
                raise self.error(where, f"{value!r} does not fit {payload[0]}.") from exc

    def _dtype(self, payload: Any, where: str) -> np.dtype[Any]:
        if not isinstance(payload, str) or not _SIMPLE_DTYPE.fullmatch(payload):
            raise self.error(where, f"unsupported dtype {payload!r}.")
        return np.dtype(payload)

    def _numpy_type(self, payload: Any, where: str) -> type:
        if not isinstance(payload, str) or payload not in _NUMPY_SCALAR_TYPES:
            raise self.error(where, f"unsupported NumPy type {payload!r}.")
        return _NUMPY_SCALAR_TYPES[payload]

    def _slice(self, payload: Any, where: str) -> slice:
        if (
            not isinstance(payload, list)
            or len(payload) != 3
            or not all(part is None or type(part) is int for part in payload)
        ):
            raise self.error(where, "$slice must be [start, stop, step] of integers or null.")
        return slice(*payload)


def _root(document: dict[str, Any]) -> dict[str, Any]:
    return {key: document[key] for key in (*NODE_KEYS, "arrays") if key in document}


def describe(document: dict[str, Any], tensors: TensorTable, source: str) -> dict[str, Any]:
    """The model's step of a format-2 ``document``, validated and decoded; nothing is built.

    Nested steps come back as ``{"class", "params", "state"}`` dicts and tensor references as
    ``{"tensor": name}``. A tensor of the file that no step uses is refused.
    """
    reader = Reader(source, None)
    decoded = reader.node(_root(document), "the model")
    unused = sorted(set(tensors) - reader.used)
    if unused:
        raise ModelFileError(f"{source}: tensors {unused} are not used by any step.")
    return decoded


def build_model(
    document: dict[str, Any], sklearn_version: str, arrays: dict[str, np.ndarray], source: str
) -> Any:
    """Build the model of a validated format-2 ``document`` from its ``arrays``.

    Warns when the file holds scikit-learn objects saved under another scikit-learn version.
    """
    reader = Reader(source, arrays)
    try:
        model = reader.node(_root(document), "the model")
    except RecursionError as exc:
        raise ModelFileError(f"{source}: the sigmanet description is nested too deeply.") from exc
    _warn_on_other_sklearn(sklearn_version, reader, source)
    return model


def _warn_on_other_sklearn(saved_version: str, reader: Reader, source: str) -> None:
    import sklearn

    if saved_version == sklearn.__version__:
        return
    foreign = sorted({name for name in reader.classes if reader.codecs[name][1].sklearn_state})
    if foreign:
        warnings.warn(
            f"{source} holds scikit-learn objects ({', '.join(foreign)}) saved under "
            f"scikit-learn {saved_version}; this is scikit-learn {sklearn.__version__}, whose "
            "fitted objects may need other attributes. Check the loaded model's predictions.",
            UserWarning,
            stacklevel=4,
        )
