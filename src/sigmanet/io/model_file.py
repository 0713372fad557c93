"""Saving and loading model files: fitted estimators and whole pipelines, never a pickle.

:func:`save` writes one fitted object (a sigmanet estimator, or a scikit-learn ``Pipeline``
of the steps of :func:`~sigmanet.io.supported_steps`) to one safetensors file
(:mod:`sigmanet.io.container`) holding its tensors and its JSON description
(:mod:`sigmanet.io.description`), through :func:`~sigmanet.io.write_atomically`;
:func:`load` verifies every byte and builds it again; :func:`read_metadata` reads the
description alone.

What a format version means
---------------------------
``format_version`` changes when the layout changes so that an older sigmanet could not read a
file correctly. A sigmanet reads its own format and every older one (files of format 1, which
held one sigmanet estimator and checksummed only its tensors, still load:
:mod:`sigmanet.io.format_v1`) and refuses a newer one with a
:class:`~sigmanet.exceptions.ModelFileError` that says to upgrade.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
from typing import Any

import numpy as np

from sigmanet import _version
from sigmanet.exceptions import ModelFileError
from sigmanet.io import description, format_v1, steps
from sigmanet.io.atomic import as_path, check_destination, write_atomically
from sigmanet.io.container import (
    DIGEST_KEY,
    METADATA_KEY,
    TensorTable,
    frame,
    open_model_file,
    parse_header,
    read_exactly,
    read_header_length,
    verify_checksums,
)

__all__ = ["FORMAT_VERSION", "load", "read_metadata", "save"]

#: The version of the file layout this sigmanet writes; it reads this version and older ones.
FORMAT_VERSION = 2


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
    document, decoded, _ = _read_model_file(as_path(path), with_data=False)
    return document if raw else decoded


def load(path: str | os.PathLike[str]) -> Any:
    """Load an estimator or pipeline saved by :func:`save`.

    Nothing in the file can run code: no pickle is involved, only the classes of the
    allow-list (:func:`~sigmanet.io.steps.supported_steps`) are built, their hyper-parameters
    go through the class's constructor (and scikit-learn's parameter validation where the
    class has it) and the fitted state through the class's codec, which validates it.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save` (any format up to :data:`FORMAT_VERSION`).

    Returns
    -------
    estimator or Pipeline
        An object of the class saved, whose predictions and transforms are bit-identical to
        the saved one's on the same machine (on another CPU the BLAS may round a product's
        last bit differently). A file holding scikit-learn objects saved under another
        scikit-learn version loads with a ``UserWarning`` naming both versions.

    Raises
    ------
    ModelFileError
        For every way the file can fail to be a loadable sigmanet model: missing or unreadable,
        empty, truncated, trailing bytes, a header that is not JSON or is over
        :data:`~sigmanet.io.container.MAX_HEADER_BYTES`, a header other than the one sigmanet
        writes, a description or tensor that does not match its checksum, no sigmanet
        description, an unknown class, a newer ``format_version``, hyper-parameters or state
        the class rejects.
    """
    path = as_path(path)
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
        return format_v1.build_model(decoded, arrays, source)
    return description.build_model(document, decoded["sklearn_version"], arrays, source)


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
        :func:`~sigmanet.io.steps.supported_steps`. For a sigmanet estimator, the
        hyper-parameters of its last fit are stored, whatever ``set_params`` changed since.
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
        :func:`~sigmanet.io.steps.supported_steps`.
    ValueError
        If a step is of a class that is not supported, or a hyper-parameter or state entry
        cannot be stored (a callable, an arbitrary object); the message names it and, for a
        step, lists the supported classes.
    """
    path = as_path(path)
    check_destination(path, overwrite)
    data = _serialize(estimator)
    return write_atomically(path, data, overwrite=overwrite)


def _serialize(model: Any) -> bytes:
    """The bytes of the model file for a fitted sigmanet estimator or pipeline."""
    import sklearn
    from sklearn.utils.validation import check_is_fitted

    writer = description.Writer()
    if steps.codec_for(model, writer.codecs) is None:
        raise TypeError(
            "the model must be a fitted sigmanet estimator or a scikit-learn Pipeline of "
            f"supported steps ({', '.join(steps.supported_steps())}); got "
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
        "sigmanet_version": _version.__version__,
        "sklearn_version": sklearn.__version__,
        **node,
        "tensors": described,
    }
    # ASCII escapes keep any Python str (even a lone surrogate) representable in the header.
    text = json.dumps(document, allow_nan=False, separators=(",", ":"))
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    data = frame(writer.tensors, {METADATA_KEY: text, DIGEST_KEY: digest})
    # Never write a file this reader would refuse.
    _parse_file_bytes(data, f"the serialized {type(model).__name__}")
    return data


def _check_document(
    document: Any,
    tensors: TensorTable,
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
            f"{document['sigmanet_version']!r}); this sigmanet {_version.__version__} reads "
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
        return format_v1.describe(document, described, source)
    return {
        "format_version": version,
        "sigmanet_version": document["sigmanet_version"],
        "sklearn_version": document["sklearn_version"],
        **description.describe(document, tensors, source),
        "tensors": described,
    }


def _check_described(
    described: Any,
    tensors: TensorTable,
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


def _decoded_document(
    document: Any,
    tensors: TensorTable,
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
    with open_model_file(path) as handle:
        file_size = os.fstat(handle.fileno()).st_size
        prefix = handle.read(8)
        header_length = read_header_length(prefix, file_size, source)
        header_bytes = read_exactly(handle, header_length, source)
        data_length = file_size - 8 - header_length
        tensors, document, has_digest = parse_header(header_bytes, data_length, source)
        decoded = _decoded_document(document, tensors, source, has_digest)
        if not with_data:
            return document, decoded, b""
        body = read_exactly(handle, data_length, source)
        if handle.read(1):
            raise ModelFileError(f"{source} grew while being read.")
    verify_checksums(body, tensors, _digests(decoded), source)
    return document, decoded, prefix + header_bytes + body


def _parse_file_bytes(data: bytes, source: str) -> dict[str, Any]:
    """Validate a whole model file held in memory; return its decoded description."""
    header_length = read_header_length(data[:8], len(data), source)
    data_start = 8 + header_length
    tensors, document, has_digest = parse_header(data[8:data_start], len(data) - data_start, source)
    decoded = _decoded_document(document, tensors, source, has_digest)
    verify_checksums(data[data_start:], tensors, _digests(decoded), source)
    return decoded


def _digests(decoded: dict[str, Any]) -> dict[str, str]:
    return {name: spec["sha256"] for name, spec in decoded["tensors"].items()}
