"""Arrays of other libraries (PyTorch, CuPy, array_api_strict, ...) through the array API standard.

The `Python array API standard <https://data-apis.org/array-api/latest/>`_ names the functions
every conforming library provides (``xp.matmul``, ``xp.exp``, ``xp.logaddexp``, ...); the
``array-api-compat`` package supplies the namespace ``xp`` of an array, wrapping PyTorch and CuPy
where they differ from the standard. Code written against ``xp`` runs in the array's library and
on its device.

Dispatch is opt-in, as in scikit-learn: an array that is not a NumPy array is computed on in its
own namespace only inside ``sigmanet.config_context(array_api_dispatch=True)`` or scikit-learn's
``sklearn.config_context(array_api_dispatch=True)`` (which scikit-learn lets you turn on only
with ``SCIPY_ARRAY_API=1`` set). Otherwise such an array is converted to NumPy as before.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["config_context", "get_config"]

_DISPATCH: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "sigmanet_array_api_dispatch", default=False
)


def get_config() -> dict[str, Any]:
    """sigmanet's settings: ``{"array_api_dispatch": bool}``."""
    return {"array_api_dispatch": _DISPATCH.get()}


@contextlib.contextmanager
def config_context(*, array_api_dispatch: bool | None = None) -> Iterator[None]:
    """Change sigmanet's settings inside a ``with`` block.

    Parameters
    ----------
    array_api_dispatch : bool, optional
        Compute on arrays of other libraries (PyTorch, CuPy, array_api_strict) in their own
        namespace and on their own device, instead of converting them to NumPy. Needs the
        ``array-api-compat`` package. The models that support it are listed in the
        documentation's page on array inputs.

    Examples
    --------
    >>> import sigmanet
    >>> with sigmanet.config_context(array_api_dispatch=True):
    ...     sigmanet.get_config()["array_api_dispatch"]
    True
    """
    if array_api_dispatch is None:
        yield
        return
    if not isinstance(array_api_dispatch, bool):
        raise TypeError(f"array_api_dispatch must be True or False; got {array_api_dispatch!r}.")
    if array_api_dispatch:
        _compat()  # fail on entry, not at the first fit
    token = _DISPATCH.set(array_api_dispatch)
    try:
        yield
    finally:
        _DISPATCH.reset(token)


def dispatch_enabled() -> bool:
    """Whether sigmanet's or scikit-learn's ``array_api_dispatch`` is on."""
    if _DISPATCH.get():
        return True
    from sklearn import get_config as sklearn_config

    return bool(sklearn_config().get("array_api_dispatch", False))


def _compat() -> Any:
    try:
        import array_api_compat
    except ImportError:
        raise ImportError(
            "array_api_dispatch needs the array-api-compat package: pip install array-api-compat"
        ) from None
    return array_api_compat


def namespace(X: Any) -> tuple[Any, Any] | None:
    """``(xp, device)`` of ``X`` when it is to be computed on in its own namespace, else None.

    None for NumPy arrays, lists, DataFrames, sparse matrices and whenever dispatch is off:
    those take the NumPy path. A NumPy array stays on the NumPy path even with dispatch on
    (the compiled engine serves it), and so does a Dask array, which the estimators refuse
    with a pointer to :mod:`sigmanet.dask` rather than compute on it lazily.
    """
    if isinstance(X, np.ndarray) or not dispatch_enabled():
        return None
    compat = _compat()
    if not compat.is_array_api_obj(X) or compat.is_numpy_array(X) or compat.is_dask_array(X):
        return None
    return compat.array_namespace(X), compat.device(X)


def array_namespace(array: Any) -> Any:
    """The array-API namespace ``xp`` of ``array`` (array-api-compat's wrapper where needed)."""
    return _compat().array_namespace(array)


def to_numpy(array: Any) -> np.ndarray:
    """A host NumPy copy (or view) of an array of any array-API library, on any device."""
    compat = _compat()
    if compat.is_torch_array(array):
        return np.asarray(array.detach().cpu().numpy())
    if compat.is_cupy_array(array):
        return np.asarray(array.get())
    if compat.is_numpy_array(array):
        return np.asarray(array)
    xp = compat.array_namespace(array)
    # array_api_strict keeps non-default devices apart: bring the array to the CPU first
    host = getattr(xp, "Device", None)
    if host is not None and compat.device(array) != host():
        array = compat.to_device(array, host())
    return np.from_dlpack(array)


def from_numpy(array: np.ndarray, xp: Any, device: Any) -> Any:
    """``array`` as an array of namespace ``xp`` on ``device`` (a copy)."""
    return xp.asarray(np.ascontiguousarray(array), device=device, copy=True)


def is_array_api_array(value: Any) -> bool:
    """Whether ``value`` is an array of an array-API library other than NumPy."""
    if isinstance(value, np.ndarray):
        return False
    try:
        import array_api_compat
    except ImportError:
        return False
    return bool(array_api_compat.is_array_api_obj(value)) and not array_api_compat.is_numpy_array(
        value
    )
