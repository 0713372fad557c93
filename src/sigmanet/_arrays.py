"""Array conversion shared by every numerical module.

The rules are the project's dtype rules: float32 and float64 pass through untouched (so float32
stays float32), integers and booleans become float64, and anything that is not real numbers
(complex, object, strings) is refused with an error naming the argument.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.floating[Any]]


def as_float_array(value: Any, name: str = "x") -> FloatArray:
    """Return ``value`` as a floating-point ndarray without changing a float dtype.

    Parameters
    ----------
    value : array_like
        Real numbers of any shape.
    name : str
        The argument's name, used in error messages.

    Returns
    -------
    ndarray
        float32 and float64 input (and float16, which is promoted to float32) keep a float
        dtype; integer and boolean input becomes float64.

    Raises
    ------
    TypeError
        If ``value`` holds complex numbers, strings or other objects.
    """
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind == "f":
        if array.dtype.itemsize < 4:
            return array.astype(np.float32)
        return array
    if kind in "iub":
        return array.astype(np.float64)
    if kind == "c":
        raise TypeError(f"{name} must be real numbers; got complex values (dtype {array.dtype}).")
    raise TypeError(f"{name} must be an array of real numbers; got dtype {array.dtype}.")


def as_float_input(value: Any, name: str = "X") -> Any:
    """:func:`as_float_array`, except that a scipy sparse matrix or array stays sparse.

    Sparse input (any scipy format, ``*_matrix`` or ``*_array``) comes back in CSR form, whose
    row slices the training loop takes, with the same float rules: float32 and float64 kept,
    integers and booleans as float64. Only the non-zero values are converted or copied.
    """
    from scipy import sparse

    if not sparse.issparse(value):
        return as_float_array(value, name)
    kind = value.dtype.kind
    if kind == "c" or kind not in "fiub":
        raise TypeError(f"{name} must be real numbers; got a sparse matrix of dtype {value.dtype}.")
    if kind != "f":
        value = value.astype(np.float64)
    elif value.dtype.itemsize < 4:
        value = value.astype(np.float32)
    return value if value.format == "csr" else value.tocsr()


def is_sparse(value: Any) -> bool:
    """Whether ``value`` is a scipy sparse matrix or array."""
    from scipy import sparse

    return bool(sparse.issparse(value))


def result_dtype(*arrays: np.ndarray) -> np.dtype[Any]:
    """The floating dtype of a computation over ``arrays``: float32 only if all are float32."""
    if all(a.dtype == np.float32 for a in arrays):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def refuse_dask(value: Any, name: str, instead: str) -> None:
    """Raise a TypeError if ``value`` is a Dask collection (array, DataFrame, Series).

    NumPy would turn one into an ndarray by computing every chunk into this process, silently
    doubling its memory; the check looks at the type's module, so it costs nothing and works
    whether or not Dask is installed.

    Parameters
    ----------
    value : object
        What the caller was given.
    name : str
        The argument's name, for the message.
    instead : str
        The :mod:`sigmanet.dask` call to use instead, e.g. ``"sigmanet.dask.fit(model, X, y)"``.
    """
    module = type(value).__module__ or ""
    if module == "dask" or module.startswith(("dask.", "dask_expr")):
        raise TypeError(
            f"{name} is a Dask {type(value).__name__}; computing it here would pull every "
            f"chunk into this process. Use {instead} to work on the cluster (install the "
            "extra: pip install 'sigmanet[dask]'), or call .compute() first if it fits in "
            "memory."
        )
