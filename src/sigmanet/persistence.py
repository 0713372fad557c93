"""Model files: fitted estimators and whole pipelines in one safetensors file, never a pickle.

A sigmanet model file is a plain `safetensors <https://github.com/huggingface/safetensors>`_
file. It holds one fitted object: a sigmanet estimator, or a scikit-learn ``Pipeline`` (also
nested) whose steps are sigmanet estimators and the transformers of :func:`supported_steps`
(``StandardScaler``, ``MinMaxScaler``, ``SimpleImputer`` (with its ``MissingIndicator``),
``OneHotEncoder``, ``ColumnTransformer`` with ``remainder="drop"`` or ``"passthrough"``,
``TransformedTargetRegressor``, the identity ``FunctionTransformer``).
:func:`register_step` adds a class. Its tensors are the fitted arrays of numbers; its
``__metadata__`` map holds two keys: ``"sigmanet"``, a JSON document describing everything
else, and ``"sigmanet_sha256"``, the SHA-256 of that document's bytes. The document (format 2)::

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
(:class:`StepCodec`): scikit-learn transformers store every fitted attribute of the installed
scikit-learn (:class:`AttributeCodec`), so a file names the scikit-learn version it was
saved with and loading it under another version warns; sigmanet estimators store their
``_get_state()`` (:class:`EstimatorStateCodec`), their arrays listed in the step's
``"arrays"`` map, and the hyper-parameters of their last fit, so ``set_params`` after ``fit``
cannot make a file describe a model other than the fitted one.

Loading cannot run code. The loader builds only classes of the allow-list, passes the stored
hyper-parameters to the class's constructor (and scikit-learn's parameter validation, where the
class has it) and hands the fitted state to the class's codec, which validates it.

What a format version means
---------------------------
``format_version`` changes when the layout changes so that an older sigmanet could not read a
file correctly. A sigmanet reads its own format and every older one (files of format 1, which
held one sigmanet estimator and checksummed only its tensors, still load) and refuses a newer
one with a :class:`~sigmanet.exceptions.ModelFileError` that says to upgrade.

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

Format 2 adds, for the fitted state of scikit-learn objects:

* ``{"$tensor": name}``: an array of numbers, stored as the tensor ``name``;
* ``{"$objects": {"shape": [...], "data": [...]}}``: an object array of strings, numbers and
  None (a one-hot encoder's categories with a missing value);
* ``{"$scalar": [dtype, value]}``: a NumPy number, which keeps its type;
* ``{"$dtype": "<f8"}`` and ``{"$numpy_type": "float64"}``: a NumPy dtype and a NumPy scalar
  type (``OneHotEncoder(dtype=np.float32)``), from a fixed list of simple ones;
* ``{"$slice": [start, stop, step]}``: a slice (a column transformer's output columns);
* ``{"$estimator": step}``: a nested step, as above.

NumPy scalars are stored as the equivalent Python value. Finite floats are written with
``repr``, which round-trips every float64 exactly; float32 values are exact float64 values, so
they round-trip too. Anything else (a callable, an arbitrary object, a set) is refused at save
time with a :class:`ValueError` naming the parameter or state entry.

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

Temporary files
---------------
:func:`save` writes to ``.NAME.PID.RANDOM.sigmanet-tmp`` beside ``NAME``, flushes it to disk and
renames it into place in one step, so ``NAME`` never holds a half-written file. A save that
fails removes its temporary file; a process killed while saving cannot, so the next save to
the same ``NAME`` removes the temporary files of processes that no longer run.

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
import warnings
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

import numpy as np

import sigmanet
from sigmanet.exceptions import ModelFileError

__all__ = [
    "FORMAT_VERSION",
    "MAX_HEADER_BYTES",
    "AttributeCodec",
    "EstimatorStateCodec",
    "StepCodec",
    "load",
    "read_metadata",
    "register_step",
    "save",
    "supported_steps",
    "write_atomically",
]

#: The version of the file layout this sigmanet writes; it reads this version and older ones.
FORMAT_VERSION = 2

#: Largest safetensors JSON header accepted (the limit the safetensors library itself uses).
MAX_HEADER_BYTES = 100_000_000

_METADATA_KEY = "sigmanet"
_DIGEST_KEY = "sigmanet_sha256"

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


def _child(name: str, key: Any) -> str:
    return f"{name}.{key}" if name else str(key)


def _encode(value: Any, where: str, hook: Any = None, name: str = "") -> Any:
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
                _encode(item, f"{where}[{i}]", hook, _child(name, i))
                for i, item in enumerate(value)
            ]
        }
    if isinstance(value, list):
        return [
            _encode(item, f"{where}[{i}]", hook, _child(name, i)) for i, item in enumerate(value)
        ]
    if isinstance(value, Mapping):
        plain = all(type(key) is str and not key.startswith("$") for key in value)
        if plain:
            return {
                key: _encode(item, f"{where}[{key!r}]", hook, _child(name, key))
                for key, item in value.items()
            }
        return {
            _TAG_DICT: [
                [
                    _encode(key, f"{where} key {key!r}"),
                    _encode(item, f"{where}[{key!r}]", hook, _child(name, index)),
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


def _decode(value: Any, where: str, extra: Mapping[str, Any] | None = None) -> Any:
    """Invert :func:`_encode` on a parsed JSON value, refusing anything it cannot produce.

    ``extra`` maps further tags (format 2's ``$estimator``, ``$tensor``, ...) to functions
    ``handler(payload, where)``; format 1 has none.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode(item, f"{where}[{i}]", extra) for i, item in enumerate(value)]
    if not isinstance(value, dict):  # pragma: no cover - json.loads yields nothing else
        raise ModelFileError(f"{where}: unexpected JSON value {type(value).__name__}.")
    tagged = [key for key in value if key.startswith("$")]
    if not tagged:
        return {key: _decode(item, f"{where}[{key!r}]", extra) for key, item in value.items()}
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
        return tuple(_decode(item, f"{where}[{i}]", extra) for i, item in enumerate(payload))
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
        result[key] = _decode(pair[1], f"{where}[{key!r}]", extra)
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
# Format 2: the classes a file may hold, and how each is stored
# --------------------------------------------------------------------------------------------

_TAG_ESTIMATOR = "$estimator"
_TAG_TENSOR = "$tensor"
_TAG_OBJECTS = "$objects"
_TAG_SCALAR = "$scalar"
_TAG_DTYPE = "$dtype"
_TAG_NUMPY_TYPE = "$numpy_type"
_TAG_SLICE = "$slice"
_NODE_KEYS = ("class", "params", "state")
_SIMPLE_DTYPE = re.compile(r"[<>|=]?(b1|[iu][1248]|f[248]|U[0-9]{1,6}|O)")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMPY_SCALAR_TYPES: dict[str, type] = {
    np.dtype(name).type.__name__: np.dtype(name).type
    for name in _JSON_ARRAY_DTYPES
    if name != "object"
}


class StepCodec:
    """How one class is stored in a model file and rebuilt from it.

    A step is stored as its class name, its hyper-parameters (``get_params(deep=False)``,
    values encoded as the module documentation says, estimators among them stored as steps in
    turn) and its fitted state. Rebuilding calls the class with the stored hyper-parameters,
    checks them with scikit-learn's parameter validation where the class has it, then restores
    the fitted state. Subclasses decide what the fitted state is.
    """

    #: Whether the fitted state is scikit-learn's own (private attributes that can change
    #: between scikit-learn versions); loading such a file under another version warns.
    sklearn_state = True

    def params(self, obj: Any) -> dict[str, Any]:
        """The hyper-parameters to store (by default ``get_params(deep=False)``)."""
        return dict(obj.get_params(deep=False))

    def check_params(self, class_name: str, params: dict[str, Any]) -> None:
        """Raise ValueError if ``params`` may not be stored or rebuilt (at save and at load)."""

    def state(self, obj: Any) -> tuple[dict[str, np.ndarray], Any]:
        """``(arrays, state)``: named arrays stored as tensors and a JSON-encodable state."""
        raise NotImplementedError

    def restore(self, obj: Any, arrays: dict[str, np.ndarray], state: Any) -> None:
        """Put the fitted state back on ``obj``, freshly built from its hyper-parameters."""
        raise NotImplementedError


class AttributeCodec(StepCodec):
    """Stores every instance attribute that is not a hyper-parameter (the fitted attributes).

    Arrays of numbers among them become tensors, everything else goes into the JSON
    description; a value that is neither (a function, an arbitrary object) is refused at save
    time with its name. Rebuilding sets the same attributes on the new object. This suits
    scikit-learn transformers, whose fitted state is plain attributes; it stores what the
    installed scikit-learn's fitted object holds, private attributes included.
    """

    def state(self, obj: Any) -> tuple[dict[str, np.ndarray], Any]:
        params = obj.get_params(deep=False)
        fitted = {name: value for name, value in vars(obj).items() if name not in params}
        for name in fitted:
            self._check_attribute(type(obj), name)
        return {}, fitted

    def restore(self, obj: Any, arrays: dict[str, np.ndarray], state: Any) -> None:
        if not isinstance(state, dict):
            raise ValueError("the fitted state must be a mapping of attribute names.")
        params = obj.get_params(deep=False)
        for name, value in state.items():
            self._check_attribute(type(obj), name)
            if name in params:
                raise ValueError(f"fitted attribute {name!r} is a hyper-parameter.")
            setattr(obj, name, value)

    @staticmethod
    def _check_attribute(cls: type, name: Any) -> None:
        # Only data attributes of the instance: never a method, property or dunder of the class.
        if (
            not isinstance(name, str)
            or not _ATTRIBUTE_NAME.fullmatch(name)
            or name.startswith("__")
            or hasattr(cls, name)
        ):
            raise ValueError(f"{name!r} cannot be stored or restored as a fitted attribute.")


class NoFunctionCodec(AttributeCodec):
    """A class that can hold functions (``func``, ``inverse_func``), stored only without them:
    the identity ``FunctionTransformer`` that ``ColumnTransformer`` fits for
    ``remainder="passthrough"``, a ``TransformedTargetRegressor`` with a ``transformer``."""

    def check_params(self, class_name: str, params: dict[str, Any]) -> None:
        for name in ("func", "inverse_func"):
            if params.get(name) is not None:
                raise ValueError(
                    f"{class_name} can be saved only with {name}=None: a model file never "
                    "stores code."
                )


class _OwnStepCodec(AttributeCodec):
    """sigmanet's own preprocessing steps: every fitted attribute, none of them scikit-learn's."""

    sklearn_state = False


class EstimatorStateCodec(StepCodec):
    """sigmanet estimators: their own ``_get_state``/``_set_state`` protocol.

    The hyper-parameters stored are those of the last fit (``_fitted_params``), so changing
    them with ``set_params`` after ``fit`` cannot make the file describe another model.
    """

    sklearn_state = False

    def params(self, obj: Any) -> dict[str, Any]:
        fitted = getattr(obj, "_fitted_params", None)
        return dict(obj.get_params(deep=False) if fitted is None else fitted)

    def state(self, obj: Any) -> tuple[dict[str, np.ndarray], Any]:
        if not _is_fitted(obj):
            return {}, None
        arrays, meta = obj._get_state()
        return dict(arrays), meta

    def restore(self, obj: Any, arrays: dict[str, np.ndarray], state: Any) -> None:
        if state is None:
            if arrays:
                raise ValueError("an unfitted estimator cannot have arrays.")
            return
        obj._set_state(arrays, state)


def _is_fitted(obj: Any) -> bool:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(obj)
    except NotFittedError:
        return False
    return True


_REGISTERED: dict[str, tuple[type, StepCodec]] = {}


def register_step(cls: type, codec: StepCodec | None = None) -> None:
    """Allow :func:`save` and :func:`load` to store objects of class ``cls``.

    Parameters
    ----------
    cls : type
        A scikit-learn compatible class (``get_params``, a constructor taking its
        hyper-parameters). Files name it by ``cls.__name__``, which must not already name
        another class.
    codec : StepCodec, optional
        How its fitted state is stored; by default :class:`AttributeCodec` (every fitted
        attribute). A class following sigmanet's ``_get_state``/``_set_state`` protocol takes
        :class:`EstimatorStateCodec`.

    Examples
    --------
    A transformer whose fitted state is plain attributes (arrays, numbers, strings)::

        from sigmanet.persistence import register_step
        register_step(MyScaler)
    """
    if not isinstance(cls, type):
        raise TypeError(f"cls must be a class; got {cls!r}.")
    if codec is None:
        codec = AttributeCodec()
    if not isinstance(codec, StepCodec):
        raise TypeError(f"codec must be a StepCodec; got {type(codec).__name__}.")
    existing = _codecs().get(cls.__name__)
    if existing is not None and existing[0] is not cls:
        raise ValueError(
            f"a different class named {cls.__name__!r} is already registered "
            f"({existing[0].__module__}.{existing[0].__qualname__})."
        )
    _REGISTERED[cls.__name__] = (cls, codec)


def supported_steps() -> list[str]:
    """The names of the classes a model file can hold, sorted."""
    return sorted(_codecs())


def _builtin_steps() -> dict[str, tuple[type, StepCodec]]:
    # Imported here: scikit-learn's modules are needed only to save or load, and persistence
    # sits at the edge of the flow of imports.
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.impute import MissingIndicator, SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import (
        FunctionTransformer,
        MinMaxScaler,
        OneHotEncoder,
        StandardScaler,
    )

    attributes, no_function = AttributeCodec(), NoFunctionCodec()
    table: dict[str, tuple[type, StepCodec]] = {
        cls.__name__: (cls, attributes)
        for cls in (
            Pipeline,
            ColumnTransformer,
            SimpleImputer,
            MissingIndicator,  # SimpleImputer(add_indicator=True) holds one
            OneHotEncoder,
            StandardScaler,
            MinMaxScaler,
        )
    }
    for cls in (FunctionTransformer, TransformedTargetRegressor):
        table[cls.__name__] = (cls, no_function)
    state_protocol = EstimatorStateCodec()
    for name, cls in _estimator_classes().items():
        table[name] = (cls, state_protocol)
    from sigmanet.preprocessing import InputColumns, StableStandardScaler

    # sigmanet's own steps (the command line's pipelines hold them): their fitted attributes
    # are sigmanet's, so they do not change with the installed scikit-learn
    own = _OwnStepCodec()
    for cls in (InputColumns, StableStandardScaler):
        table[cls.__name__] = (cls, own)
    return table


def _codecs() -> dict[str, tuple[type, StepCodec]]:
    return {**_builtin_steps(), **_REGISTERED}


def _codec_for(obj: Any, codecs: dict[str, tuple[type, StepCodec]]) -> tuple[str, StepCodec] | None:
    entry = codecs.get(type(obj).__name__)
    if entry is None or entry[0] is not type(obj):
        return None
    return type(obj).__name__, entry[1]


class _Writer:
    """Encodes a fitted object as format 2's JSON nodes, collecting its arrays as tensors."""

    def __init__(self) -> None:
        self.codecs = _codecs()
        self.tensors: dict[str, np.ndarray] = {}

    def node(self, obj: Any, where: str, name: str) -> dict[str, Any]:
        found = _codec_for(obj, self.codecs)
        if found is None:
            raise ValueError(
                f"{where} is a {type(obj).__module__}.{type(obj).__qualname__}, which a model "
                f"file cannot hold. Supported: {', '.join(supported_steps())}; "
                "sigmanet.persistence.register_step adds a class."
            )
        class_name, codec = found
        params = codec.params(obj)
        codec.check_params(class_name, params)
        arrays, state = codec.state(obj)
        node: dict[str, Any] = {
            "class": class_name,
            "params": {
                key: _encode(value, f"{where} parameter {key!r}", self.hook, _child(name, key))
                for key, value in params.items()
            },
            "state": _encode(state, f"{where} state", self.hook, name),
        }
        if arrays:
            node["arrays"] = {
                local: self.tensor(array, f"{where} state array {local!r}", _child(name, local))
                for local, array in arrays.items()
            }
        return node

    def tensor(self, array: Any, where: str, name: str) -> str:
        if not isinstance(array, np.ndarray) or array.dtype.name not in _CODE_OF_DTYPE_NAME:
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
                        "data": [_encode(item, f"{where}[{i}]") for i, item in enumerate(items)],
                    }
                }
            if value.dtype.kind in "biuf":
                return {_TAG_TENSOR: self.tensor(value, where, name)}
            return NotImplemented
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            return {_TAG_SCALAR: [value.dtype.name, _encode(value.item(), where)]}
        if isinstance(value, np.dtype):
            if not _SIMPLE_DTYPE.fullmatch(value.str):
                raise ValueError(f"{where} is the NumPy dtype {value}, which a file cannot hold.")
            return {_TAG_DTYPE: value.str}
        if isinstance(value, type) and _NUMPY_SCALAR_TYPES.get(value.__name__) is value:
            return {_TAG_NUMPY_TYPE: value.__name__}
        if isinstance(value, slice):
            return {
                _TAG_SLICE: [_encode(part, where) for part in (value.start, value.stop, value.step)]
            }
        return NotImplemented


class _Reader:
    """Decodes format 2's steps: with ``arrays`` it builds them, without it describes them."""

    def __init__(self, source: str, arrays: dict[str, np.ndarray] | None) -> None:
        self.source = source
        self.arrays = arrays
        self.codecs = _codecs()
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
        return _decode(value, where, self.extra)

    def node(self, node: Any, where: str) -> Any:
        if not isinstance(node, dict) or not (
            set(node) == set(_NODE_KEYS) or set(node) == {*_NODE_KEYS, "arrays"}
        ):
            raise self.error(where, f"a step must have exactly {list(_NODE_KEYS)} (and 'arrays').")
        class_name = node["class"]
        if not isinstance(class_name, str) or class_name not in self.codecs:
            raise self.error(
                where,
                f"class {class_name!r} is not one sigmanet can build; expected one of "
                f"{sorted(self.codecs)}.",
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
        return _build(
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
        shape = _check_shape(payload["shape"], where)
        data = payload["data"]
        if not isinstance(data, list) or len(data) != math.prod(shape):
            raise self.error(where, f"$objects data must be a list of {math.prod(shape)} values.")
        items = [_decode(item, f"{where}[{i}]") for i, item in enumerate(data)]
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
        value = _decode(payload[1], where)
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
) -> tuple[dict[str, tuple[np.dtype[Any], tuple[int, ...], int, int]], Any, bool]:
    """Validate a safetensors header against a data section of ``data_length`` bytes.

    Returns the tensors (name -> dtype, shape, begin, end), the raw sigmanet document and
    whether the description carries its checksum (format 2 and later).
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
    if set(metadata) not in ({_METADATA_KEY}, {_METADATA_KEY, _DIGEST_KEY}):
        raise ModelFileError(
            f"{source}: unexpected safetensors metadata keys {sorted(metadata)}; a sigmanet "
            f"model file has {_METADATA_KEY!r} and {_DIGEST_KEY!r}."
        )

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

    if _DIGEST_KEY in metadata:
        _check_canonical(header_bytes, metadata, tensors, source)
    document = _parse_json(metadata[_METADATA_KEY], f"{source}: the sigmanet description")
    return tensors, document, _DIGEST_KEY in metadata


def _header_bytes(
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
    tensors: dict[str, tuple[np.dtype[Any], tuple[int, ...], int, int]],
    source: str,
) -> None:
    """Refuse a header that is not byte for byte the one :func:`_header_bytes` writes for
    its content, and a description that does not match its SHA-256."""
    position = 0
    for name in sorted(tensors):
        _, _, begin, end = tensors[name]
        if begin != position:
            raise ModelFileError(f"{source}: tensor {name!r} is not where the writer puts it.")
        position = end
    entries = [
        (name, _CODE_OF_DTYPE_NAME[dtype.name], list(shape), begin, end)
        for name, (dtype, shape, begin, end) in tensors.items()
    ]
    if _header_bytes(metadata, entries) != header_bytes:
        raise ModelFileError(
            f"{source}: the safetensors header is not the one sigmanet writes for its content "
            "(edited or corrupt file)."
        )
    digest = hashlib.sha256(metadata[_METADATA_KEY].encode("utf-8", "surrogatepass")).hexdigest()
    if digest != metadata[_DIGEST_KEY]:
        raise ModelFileError(
            f"{source}: the sigmanet description does not match its SHA-256 checksum; the file "
            "is corrupt."
        )


def _estimator_classes() -> dict[str, type]:
    # Imported here, not at module level: estimators sit before persistence in the flow of
    # imports, and a late import keeps `import sigmanet.persistence` free of cycles.
    from sigmanet.estimators import ESTIMATORS

    return dict(ESTIMATORS)


def _check_document(
    document: Any,
    tensors: dict[str, tuple[np.dtype[Any], tuple[int, ...], int, int]],
    source: str,
    has_digest: bool,
) -> dict[str, Any]:
    """Validate the sigmanet JSON document and return it decoded into Python values.

    Nested steps of format 2 come back as ``{"class", "params", "state"}`` dicts and tensor
    references as ``{"tensor": name}``; nothing is built.
    """
    if not isinstance(document, dict):
        raise ModelFileError(f"{source}: the sigmanet description is not a JSON object.")
    common = ("format_version", "sigmanet_version", "class", "params", "state", "tensors")
    missing = [key for key in common if key not in document]
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
    if has_digest != (version >= 2):
        raise ModelFileError(
            f"{source}: format_version {version} does not match the file's checksums (format 1 "
            "has no checksum of its description, later formats must have one)."
        )
    if not isinstance(document["sigmanet_version"], str):
        raise ModelFileError(f"{source}: sigmanet_version must be a string.")
    allowed_keys = set(common) if version == 1 else {*common, "sklearn_version", "arrays"}
    unexpected = sorted(set(document) - allowed_keys)
    if unexpected:
        raise ModelFileError(
            f"{source}: the sigmanet description has unexpected keys {unexpected}."
        )
    if version >= 2 and not isinstance(document.get("sklearn_version"), str):
        raise ModelFileError(f"{source}: sklearn_version must be a string.")

    described = _check_described(document["tensors"], tensors, source)
    if version == 1:
        return _check_document_v1(document, described, source)

    reader = _Reader(source, None)
    root = {key: document[key] for key in (*_NODE_KEYS, "arrays") if key in document}
    decoded = reader.node(root, "the model")
    unused = sorted(set(tensors) - reader.used)
    if unused:
        raise ModelFileError(f"{source}: tensors {unused} are not used by any step.")
    return {
        "format_version": version,
        "sigmanet_version": document["sigmanet_version"],
        "sklearn_version": document["sklearn_version"],
        **decoded,
        "tensors": described,
    }


def _check_described(
    described: Any,
    tensors: dict[str, tuple[np.dtype[Any], tuple[int, ...], int, int]],
    source: str,
) -> dict[str, dict[str, Any]]:
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
        name: {"dtype": spec["dtype"], "shape": list(spec["shape"]), "sha256": spec["sha256"]}
        for name, spec in described.items()
    }


def _check_document_v1(
    document: dict[str, Any], described: dict[str, dict[str, Any]], source: str
) -> dict[str, Any]:
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
    return {
        "format_version": 1,
        "sigmanet_version": document["sigmanet_version"],
        "class": class_name,
        "params": _decode(params, f"{source}: params"),
        "state": _decode(document["state"], f"{source}: state"),
        "tensors": described,
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
    has_digest: bool,
) -> dict[str, Any]:
    try:
        return _check_document(document, tensors, source, has_digest)
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
        tensors, document, has_digest = _parse_header(header_bytes, data_length, source)
        decoded = _decoded_document(document, tensors, source, has_digest)
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
    tensors, document, has_digest = _parse_header(
        data[8:data_start], len(data) - data_start, source
    )
    decoded = _decoded_document(document, tensors, source, has_digest)
    _verify_checksums(data[data_start:], tensors, decoded, source)
    return decoded


def read_metadata(path: str | os.PathLike[str], *, raw: bool = False) -> dict[str, Any]:
    """Read a model file's description without building the model or reading its weights.

    The safetensors framing and the description (and, from format 2 on, its checksum) are
    fully validated; the tensor checksums are only checked by :func:`load`, which reads the
    data.

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
        ``{"format_version", "sigmanet_version", "class", "params", "state", "tensors"}``,
        from format 2 on also ``"sklearn_version"`` (and ``"arrays"`` for a sigmanet
        estimator); ``params`` and ``state`` hold Python values (tuples, non-finite floats,
        NumPy arrays) unless ``raw``, with the steps of a pipeline as ``{"class", "params",
        "state"}`` dicts and each tensor as ``{"tensor": name}``; ``tensors`` maps each
        tensor's name to its dtype, shape and SHA-256.

    Raises
    ------
    ModelFileError
        If the file does not exist, cannot be read, or is not a valid sigmanet model file.
    """
    document, decoded, _ = _read_model_file(_as_path(path), with_data=False)
    return document if raw else decoded


def load(path: str | os.PathLike[str]) -> Any:
    """Load an estimator or pipeline saved by :func:`save`.

    Nothing in the file can run code: no pickle is involved, only the classes of the
    allow-list (:func:`supported_steps`) are built, their hyper-parameters go through the
    class's constructor (and scikit-learn's parameter validation where the class has it) and
    the fitted state through the class's codec, which validates it.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save` (any format up to :data:`FORMAT_VERSION`).

    Returns
    -------
    estimator or Pipeline
        An object of the class saved, whose predictions and transforms are bit-identical to
        the saved one's. A file holding scikit-learn objects saved under another
        scikit-learn version loads with a ``UserWarning`` naming both versions.

    Raises
    ------
    ModelFileError
        For every way the file can fail to be a loadable sigmanet model: missing or unreadable,
        empty, truncated, trailing bytes, a header that is not JSON or is over
        :data:`MAX_HEADER_BYTES`, a header other than the one sigmanet writes, a description
        or tensor that does not match its checksum, no sigmanet description, an unknown
        class, a newer ``format_version``, hyper-parameters or state the class rejects.
    """
    path = _as_path(path)
    source = repr(str(path))
    document, decoded, data = _read_model_file(path, with_data=True)

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

    if decoded["format_version"] == 1:
        class_name = decoded["class"]
        cls = _estimator_classes()[class_name]
        return _build(cls, class_name, decoded["params"], arrays, decoded["state"], source)

    reader = _Reader(source, arrays)
    root = {key: document[key] for key in (*_NODE_KEYS, "arrays") if key in document}
    try:
        model = reader.node(root, "the model")
    except RecursionError as exc:
        raise ModelFileError(f"{source}: the sigmanet description is nested too deeply.") from exc
    _warn_on_other_sklearn(decoded["sklearn_version"], reader, source)
    return model


def _warn_on_other_sklearn(saved_version: str, reader: _Reader, source: str) -> None:
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
            stacklevel=3,
        )


def _build(
    cls: type,
    class_name: str,
    params: dict[str, Any],
    arrays: dict[str, np.ndarray],
    state: Any,
    source: str,
    codec: StepCodec | None = None,
) -> Any:
    # a class that renamed or re-expressed hyper-parameters translates an older file's
    upgrade = getattr(cls, "_upgrade_params", None)
    if callable(upgrade):
        params = upgrade(dict(params))
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
        if codec is None:
            estimator._set_state(arrays, state)
        else:
            codec.restore(estimator, arrays, state)
    except Exception as exc:
        raise ModelFileError(
            f"{source}: {class_name} rejected the stored fitted state: {exc}"
        ) from exc
    return estimator


def _frame(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """A safetensors file: the header of :func:`_header_bytes`, the tensors in name order."""
    entries = []
    position = 0
    for name in sorted(tensors):
        array = tensors[name]
        code = _CODE_OF_DTYPE_NAME[array.dtype.name]
        entries.append((name, code, list(array.shape), position, position + array.nbytes))
        position += array.nbytes
    header = _header_bytes(metadata, entries)
    return b"".join(
        [len(header).to_bytes(8, "little"), header]
        + [tensors[name].tobytes() for name in sorted(tensors)]
    )


def _serialize(model: Any) -> bytes:
    """The bytes of the model file for a fitted sigmanet estimator or pipeline."""
    import sklearn
    from sklearn.utils.validation import check_is_fitted

    writer = _Writer()
    if _codec_for(model, writer.codecs) is None:
        raise TypeError(
            "the model must be a fitted sigmanet estimator or a scikit-learn Pipeline of "
            f"supported steps ({', '.join(supported_steps())}); got "
            f"{type(model).__module__}.{type(model).__qualname__}."
        )
    check_is_fitted(model)
    node = writer.node(model, type(model).__name__, "")
    described = {
        name: {
            "dtype": array.dtype.name,
            "shape": list(array.shape),
            "sha256": hashlib.sha256(array.tobytes()).hexdigest(),
        }
        for name, array in sorted(writer.tensors.items())
    }
    document = {
        "format_version": FORMAT_VERSION,
        "sigmanet_version": sigmanet.__version__,
        "sklearn_version": sklearn.__version__,
        **node,
        "tensors": described,
    }
    # ASCII escapes keep any Python str (even a lone surrogate) representable in the header.
    text = json.dumps(document, allow_nan=False, separators=(",", ":"))
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    data = _frame(writer.tensors, {_METADATA_KEY: text, _DIGEST_KEY: digest})
    # Never write a file this reader would refuse.
    _parse_file_bytes(data, f"the serialized {type(model).__name__}")
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

    Only files named as :func:`save` names its temporaries for this ``target``, by a process
    that no longer runs, are removed; those of running processes (a save in progress) stay.
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


def save(estimator: Any, path: str | os.PathLike[str], *, overwrite: bool = False) -> pathlib.Path:
    """Save a fitted sigmanet estimator, or a whole fitted pipeline, to one model file.

    The file is written to a temporary file in the same directory
    (``.NAME.PID.RANDOM.sigmanet-tmp``), flushed to disk, then moved into place in one step,
    so ``path`` never holds a half-written model and an existing file stays intact, even if
    the process is killed. A failed save removes its temporary file; a save also removes the
    temporary files that killed saves to the same ``path`` left behind (those whose process no
    longer runs).

    Parameters
    ----------
    estimator : sigmanet estimator or sklearn.pipeline.Pipeline
        A fitted sigmanet estimator, or a fitted ``Pipeline`` (``ColumnTransformer``,
        ``TransformedTargetRegressor``, ...) whose every step is of a class of
        :func:`supported_steps`. For a sigmanet estimator, the hyper-parameters of its last
        fit are stored, whatever ``set_params`` changed since.
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
        If ``estimator`` is neither a sigmanet estimator nor a class of
        :func:`supported_steps`.
    ValueError
        If a step is of a class that is not supported, or a hyper-parameter or state entry
        cannot be stored (a callable, an arbitrary object); the message names it and, for a
        step, lists the supported classes.
    """
    path = _as_path(path)
    _check_destination(path, overwrite)
    data = _serialize(estimator)
    return write_atomically(path, data, overwrite=overwrite)


def _check_destination(path: pathlib.Path, overwrite: Any) -> None:
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
    """Write ``data`` to ``path`` whole or not at all: how :func:`save` writes a model file.

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
    path = _as_path(path)
    _check_destination(path, overwrite)
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
