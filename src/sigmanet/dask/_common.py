"""What the Dask entry points share: the optional import, the checks of Dask collections, the
client, each chunk's validation and encoding on its worker, and sending a value to the cluster."""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet.estimators._base import balanced_class_weights

#: Rows per forward/backward pass on a worker: 8192 rows of 50 float64 features are 3 MB.
BLOCK_ROWS = 8192


def _dask_array_module() -> Any:
    try:
        import dask.array as da
        import distributed  # noqa: F401  (the futures API fit needs)
    except ImportError as error:  # pragma: no cover - the extra is installed in the tests
        raise ImportError(
            "sigmanet.dask needs Dask and distributed: pip install 'sigmanet[dask]'."
        ) from error
    return da


def _as_dask_array(value: Any, name: str, da: Any) -> Any:
    if isinstance(value, da.Array):
        return value
    if type(value).__module__.startswith("dask"):
        to_array = getattr(value, "to_dask_array", None)
        if to_array is None:
            raise TypeError(f"{name} must be a Dask array or DataFrame; got {type(value)!r}.")
        return to_array(lengths=True)
    raise TypeError(
        f"{name} must be a Dask array (or Dask DataFrame); got {type(value).__name__}. For "
        "data in memory use the estimator's own fit/predict."
    )


def _rows_known(array: Any, name: str) -> None:
    if any(np.isnan(size) for size in array.chunks[0]):
        raise ValueError(
            f"{name} has chunks of unknown length; call {name}.compute_chunk_sizes() (or "
            "to_dask_array(lengths=True) on a DataFrame) first."
        )


def _client(client: Any, caller: str = "fit") -> Any:
    if client is not None:
        return client
    from distributed import get_client

    try:
        return get_client()
    except ValueError:
        raise ValueError(
            f"sigmanet.dask.{caller} needs a running distributed Client: pass client=, or create "
            "one first, e.g. distributed.Client(distributed.LocalCluster())."
        ) from None


def _prepare_chunk(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None,
    start: int,
    classes: np.ndarray | None,
    table: np.ndarray | None,
    dtype: np.dtype[Any],
    encode: Any,
    cast_targets: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One chunk as the in-memory fit prepares all rows: X and weights in the model's dtype,
    labels encoded as the model's targets (cast to the model's dtype if ``cast_targets`` and
    they are floats), weights times the class weights."""
    where = f"rows {start}..{start + x.shape[0] - 1}"
    if x.dtype.kind not in "fiub":
        raise TypeError(f"X must hold real numbers; got dtype {x.dtype} in {where}.")
    with np.errstate(over="ignore"):
        x = x.astype(dtype, copy=False)
    if not np.isfinite(x).all():
        raise ValueError(
            f"X contains NaN or infinity (or values beyond {np.dtype(dtype).name}) in {where}."
        )
    y = np.asarray(y)
    index = None
    if classes is not None:
        y = y.ravel()
        index = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
        if not np.array_equal(classes[index], y):
            raise ValueError(f"y holds labels that are not among the classes found in {where}.")
    elif y.dtype.kind not in "fiub" or not np.isfinite(y).all():
        raise ValueError(f"y must be finite numbers; see {where}.")
    targets = encode(y)
    if cast_targets and targets.dtype.kind == "f":
        targets = targets.astype(dtype, copy=False)
    weight = None
    if w is not None or table is not None:
        weight = np.ones(x.shape[0], dtype=dtype) if w is None else np.asarray(w, dtype=dtype)
        if not np.isfinite(weight).all() or (weight < 0).any():
            raise ValueError(f"sample_weight must be finite and non-negative; see {where}.")
        if table is not None and index is not None:
            weight = weight * table[index].astype(dtype)
    return x, targets, weight


def _same(value: Any) -> Any:
    return value


def _send(client: Any, value: Any) -> Any:
    """A future holding ``value`` on the cluster, as the result of a task that returns it.

    Not ``client.scatter``: a scattered value lost with a worker cannot be recomputed, and
    broadcasting one to a worker that has died blocks; the scheduler keeps a task, so a copy
    lost with a killed worker is computed again where the work goes on.
    """
    return client.submit(_same, value, pure=False)


def _class_weight_table(
    class_weight: Any, classes: np.ndarray, y: Any, weight: Any, da: Any
) -> np.ndarray | None:
    """The weight of each class, as the in-memory fit gives it (None without class_weight)."""
    if class_weight is None:
        return None
    if isinstance(class_weight, dict):
        unknown = [label for label in class_weight if label not in set(classes.tolist())]
        if unknown:
            raise ValueError(
                f"class_weight has labels {sorted(map(str, unknown))} that are not classes of y "
                f"({classes.tolist()!r})."
            )
        return np.array([float(class_weight.get(label, 1.0)) for label in classes.tolist()])
    index = y.map_blocks(_index_of, classes, dtype=np.intp)
    counts = np.asarray(
        da.bincount(index, weights=weight, minlength=len(classes)).compute(), dtype=np.float64
    )
    return balanced_class_weights(counts)


def _index_of(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    return np.searchsorted(classes, y).astype(np.intp)


def _checked_collections(
    X: Any, y: Any, sample_weight: Any, regressor: bool, da: Any
) -> tuple[Any, Any, Any, np.dtype[Any]]:
    """``X``, ``y`` and ``sample_weight`` as Dask arrays chunked alike by whole rows, and the
    dtype training runs in (float32 for float32 X, float64 otherwise)."""
    X = _as_dask_array(X, "X", da)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features); got shape {X.shape}.")
    _rows_known(X, "X")
    y = _as_dask_array(y, "y", da)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if (y.ndim != 1 and not (regressor and y.ndim == 2)) or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must have shape ({X.shape[0]},), one label per row of X; got {y.shape}."
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X is empty: shape {X.shape}.")
    dtype = np.dtype(np.float32 if X.dtype == np.float32 else np.float64)
    X = X.rechunk({1: -1})
    y = y.rechunk((X.chunks[0],) if y.ndim == 1 else (X.chunks[0], -1))
    weight = None
    if sample_weight is not None:
        weight = _as_dask_array(sample_weight, "sample_weight", da)
        if weight.shape != (X.shape[0],):
            raise ValueError(f"sample_weight must have shape ({X.shape[0]},); got {weight.shape}.")
        weight = weight.rechunk((X.chunks[0],))
    return X, y, weight, dtype


def _prepared_chunks(
    client: Any,
    X: Any,
    y: Any,
    weight: Any,
    classes: np.ndarray | None,
    table: np.ndarray | None,
    dtype: np.dtype[Any],
    encode: Any,
    cast_targets: bool = True,
) -> list[Any]:
    """One future per row chunk: the chunk validated and prepared on a worker
    (:func:`_prepare_chunk`), kept there."""
    from dask import delayed

    starts = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).astype(int).tolist()
    x_parts = X.to_delayed().ravel().tolist()
    y_parts = y.to_delayed().ravel().tolist()
    w_parts = [None] * len(x_parts) if weight is None else weight.to_delayed().ravel().tolist()
    # keys of their own: a later call on the same data must not meet these being cancelled
    prepare = delayed(_prepare_chunk, pure=False)
    return list(
        client.compute(
            [
                prepare(xp, yp, wp, start, classes, table, dtype, encode, cast_targets)
                for xp, yp, wp, start in zip(x_parts, y_parts, w_parts, starts, strict=True)
            ]
        )
    )


def _raise_chunk_errors(parts: list[Any]) -> None:
    """Wait for the prepared chunks; raise the first chunk's error (NaN, a negative weight, an
    unknown label: each names its rows). The chunks themselves stay on the workers."""
    from distributed import wait

    wait(parts)
    for part in parts:
        if part.status == "error":
            part.result()  # re-raises the worker's exception here
