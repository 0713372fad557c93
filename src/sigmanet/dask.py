r"""Exact full-batch training on a Dask cluster, and prediction on Dask arrays block by block.

The full-batch objective of logistic and softmax regression, and of an MLP trained by
L-BFGS, is a sum over rows,

.. math:: J(θ) = \frac{1}{S}\sum_i w_i\,\ell_i(θ) + \frac{\mathrm{l2}}{2S}\lVert W\rVert^2,
          \qquad S = \sum_i w_i,

so its value and gradient at θ are three sums (``Σ w ℓ``, ``Σ w ∇ℓ``, ``Σ w``:
:class:`sigmanet.training.BlockSums`) that can be formed on each chunk where it lives and added
up. :func:`fit` does exactly that, in the pattern of Spark MLlib's ``treeAggregate``
(Meng et al., "MLlib: Machine Learning in Apache Spark", JMLR 17, 2016):

1. the chunks of ``X``, ``y`` and ``sample_weight`` are validated, encoded and cast to the
   model's dtype once, on the workers, and kept there (persisted);
2. at every evaluation the client sends the parameter vector θ to the workers; each chunk's
   sums are computed where the chunk is, in row blocks of ``block_rows`` (so a chunk is never
   copied or upcast whole), by :func:`sigmanet.training.block_sums`, the code the in-memory
   fit runs;
3. the chunks' sums are added pairwise in a tree on the workers, and one
   :class:`~sigmanet.training.BlockSums` comes back to the client;
4. scipy's L-BFGS-B runs on the client (:func:`sigmanet.training.minimize_lbfgs`), as in
   the in-memory fit.

The result is an ordinary fitted estimator (``predict``, ``save``, ``load`` unchanged) with the
coefficients the in-memory fit finds on the same rows: the two differ only in the order the
floating-point sums are added (about 1e-12 relative in float64 in the tests). For an MLP the
objective is not convex and L-BFGS amplifies that rounding from one iteration to the next:
the two fits agree to about 1e-12 after 25 iterations, but after hundreds they can end at
different nearby weights (1e-2 relative was seen after 300), as two in-memory fits on
differently ordered rows can.

Threads: a worker process started by ``distributed``'s nanny has ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` set to 1 (its
``distributed.nanny.pre-spawn-environ`` setting), so its parallelism is its task threads, one
BLAS thread each, and nothing oversubscribes the cores; sigmanet leaves those settings as they
are. Run one worker thread per core. Threads of an in-process cluster share the client's BLAS
pool.

Requires the optional extra: ``pip install 'sigmanet[dask]'`` (``dask[distributed]``).
"""

from __future__ import annotations

import copy
import functools
import operator
import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sigmanet.estimators._base import _MLP_LBFGS_FTOL
from sigmanet.estimators.linear import LogisticRegression, SoftmaxRegression
from sigmanet.estimators.mlp import MLPClassifier, MLPRegressor
from sigmanet.exceptions import DivergenceError
from sigmanet.training import BlockSums, block_sums, minimize_lbfgs, objective_from_sums

__all__ = ["decision_function", "fit", "predict", "predict_proba"]

#: Rows per forward/backward pass on a worker: 8192 rows of 50 float64 features are 3 MB.
BLOCK_ROWS = 8192

_SUPPORTED = (LogisticRegression, SoftmaxRegression, MLPClassifier, MLPRegressor)


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


def _client(client: Any) -> Any:
    if client is not None:
        return client
    from distributed import get_client

    try:
        return get_client()
    except ValueError:
        raise ValueError(
            "sigmanet.dask.fit needs a running distributed Client: pass client=, or create "
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One chunk as the in-memory fit prepares all rows: X and weights in the model's dtype,
    labels encoded as the model's targets, weights times the class weights."""
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
    if targets.dtype.kind == "f":
        targets = targets.astype(dtype, copy=False)
    weight = None
    if w is not None or table is not None:
        weight = np.ones(x.shape[0], dtype=dtype) if w is None else np.asarray(w, dtype=dtype)
        if not np.isfinite(weight).all() or (weight < 0).any():
            raise ValueError(f"sample_weight must be finite and non-negative; see {where}.")
        if table is not None and index is not None:
            weight = weight * table[index].astype(dtype)
    return x, targets, weight


def _encode_linear(y: np.ndarray, classes: np.ndarray, softmax: bool) -> np.ndarray:
    """Labels as the linear models' targets: class indices (softmax), 0/1 or one-hot."""
    index = np.searchsorted(classes, y)
    if softmax:
        return index.astype(np.intp)
    if len(classes) == 2:
        return (index == 1).astype(np.float64)[:, None]
    one_hot = np.zeros((len(index), len(classes)))
    one_hot[np.arange(len(index)), index] = 1
    return one_hot


def _encode_with(estimator: Any, y: np.ndarray) -> np.ndarray:
    """The estimator's own encoding of a chunk's targets, as for a later ``partial_fit``."""
    return estimator._encode_targets(y, False)


def _chunk_sums(
    network: Any,
    loss: Any,
    theta: np.ndarray,
    part: tuple[np.ndarray, np.ndarray, np.ndarray | None],
    block_rows: int,
) -> BlockSums:
    # each task gets its own network: tasks on one worker run at once, and a network keeps the
    # arrays of its last forward pass
    network = copy.deepcopy(network)
    network.flat_parameters()[...] = theta
    X, targets, weight = part
    # a trial point of the line search may overflow: L-BFGS sees inf and backtracks
    with np.errstate(over="ignore", invalid="ignore"):
        return block_sums(network, loss, X, targets, weight, block_rows=block_rows)


def _same(value: Any) -> Any:
    return value


def _send(client: Any, value: Any) -> Any:
    """A future holding ``value`` on the cluster, as the result of a task that returns it.

    Not ``client.scatter``: a scattered value lost with a worker cannot be recomputed, and
    broadcasting one to a worker that has died blocks; the scheduler keeps a task, so a copy
    lost with a killed worker is computed again where the work goes on.
    """
    return client.submit(_same, value, pure=False)


def _tree_sum(client: Any, futures: list[Any]) -> Any:
    """Add the futures pairwise on the workers, log2(n) levels deep; one future remains."""
    while len(futures) > 1:
        paired = [
            client.submit(operator.add, futures[i], futures[i + 1], pure=False)
            for i in range(0, len(futures) - 1, 2)
        ]
        if len(futures) % 2:
            paired.append(futures[-1])
        futures = paired
    return futures[0]


def fit(
    estimator: Any,
    X: Any,
    y: Any,
    sample_weight: Any = None,
    *,
    client: Any = None,
    block_rows: int = BLOCK_ROWS,
) -> Any:
    """Fit ``estimator`` by full-batch L-BFGS on Dask data; the chunks stay on the workers.

    The same objective, start and L-BFGS as the estimator's in-memory ``fit`` on the same rows
    (an MLP starts from the weights its ``random_state`` draws in memory).

    Parameters
    ----------
    estimator : LogisticRegression, SoftmaxRegression, MLPClassifier or MLPRegressor
        With ``solver="lbfgs"`` (and, for an MLP, no dropout). Its parameters mean what they
        mean in memory (``C``, ``alpha``, ``class_weight``, ``max_iter``, ``tol``, ...); it is
        fitted afresh (``warm_start`` is not supported here). An MLP classifier takes labels
        (not a multilabel indicator matrix); an MLP regressor takes y of shape (n_samples,) or
        (n_samples, n_outputs).
    X : dask array of shape (n_samples, n_features), or a Dask DataFrame
        Rechunked to whole rows if its columns are split. float32 trains in float32, anything
        else in float64.
    y : dask array of shape (n_samples,)
        Class labels, chunked like ``X``'s rows (rechunked otherwise).
    sample_weight : dask array of shape (n_samples,), optional
    client : distributed.Client, optional
        The client to use; the current one by default.
    block_rows : int
        Rows per forward/backward pass on a worker.

    Returns
    -------
    estimator
        Fitted, an ordinary sigmanet estimator.

    Raises
    ------
    TypeError, ValueError
        For an unsupported estimator or solver, data that is not a Dask collection, chunks of
        unknown length, NaN/inf in X, or fewer than two classes. Errors in the data are found
        (on the workers, naming the rows) before the estimator is touched; any error on a
        worker is re-raised here.
    """
    da = _dask_array_module()
    if not isinstance(estimator, _SUPPORTED):
        raise TypeError(
            "sigmanet.dask.fit trains LogisticRegression, SoftmaxRegression, MLPClassifier and "
            f"MLPRegressor; got {type(estimator).__name__}."
        )
    estimator._validate_params()
    if estimator.solver != "lbfgs":
        raise ValueError(
            f"sigmanet.dask.fit needs solver='lbfgs' (full batch); got solver={estimator.solver!r}."
        )
    if estimator.warm_start:
        raise ValueError("sigmanet.dask.fit fits from scratch; set warm_start=False.")
    mlp = isinstance(estimator, MLPClassifier | MLPRegressor)
    if mlp and any(rate > 0 for rate in estimator._hidden_spec()[2]):
        raise ValueError(
            "sigmanet.dask.fit needs dropout=0: dropout makes every evaluation of the "
            "full-batch objective random, and each chunk would draw its own masks."
        )
    if not isinstance(block_rows, int | np.integer) or block_rows < 1:
        raise ValueError(f"block_rows must be a positive int; got {block_rows!r}.")
    client = _client(client)

    X = _as_dask_array(X, "X", da)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features); got shape {X.shape}.")
    _rows_known(X, "X")
    y = _as_dask_array(y, "y", da)
    regressor = isinstance(estimator, MLPRegressor)
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

    from sklearn.utils.multiclass import check_classification_targets

    classes: np.ndarray | None = None
    table = None
    encoder = copy.deepcopy(estimator)
    if regressor:
        n_outputs = 1 if y.ndim == 1 else int(y.shape[1])
        encoder.n_outputs_ = n_outputs
        encode: Any = functools.partial(_encode_with, encoder)
    else:
        classes = np.asarray(da.unique(y).compute())
        check_classification_targets(classes)
        if len(classes) < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but the data "
                f"contains only one class: {classes[0]!r}."
            )
        table = _class_weight_table(estimator.class_weight, classes, y, weight, da)
        if mlp:
            encoder.classes_ = classes
            encoder._multilabel = False
            encode = functools.partial(_encode_with, encoder)
            n_outputs = 1 if len(classes) <= 2 else len(classes)
        else:
            softmax = isinstance(estimator, SoftmaxRegression)
            encode = functools.partial(_encode_linear, classes=classes, softmax=softmax)
            n_outputs = estimator._n_outputs_for(len(classes))

    starts = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).astype(int).tolist()
    x_parts = X.to_delayed().ravel().tolist()
    y_parts = y.to_delayed().ravel().tolist()
    w_parts = [None] * len(x_parts) if weight is None else weight.to_delayed().ravel().tolist()
    from dask import delayed

    prepare = delayed(_prepare_chunk, pure=True)
    parts = client.compute(
        [
            prepare(xp, yp, wp, start, classes, table, dtype, encode)
            for xp, yp, wp, start in zip(x_parts, y_parts, w_parts, starts, strict=True)
        ]
    )
    sent: list[Any] = []
    try:
        for part in parts:
            part.result()  # a chunk's error (NaN, a negative weight) is raised here, by name
        return _fit_on_parts(
            estimator, X.shape[1], classes, n_outputs, dtype, client, parts, block_rows, sent
        )
    finally:
        client.cancel([*parts, *sent])


def _fit_on_parts(
    estimator: Any,
    n_features: int,
    classes: np.ndarray | None,
    n_outputs: int,
    dtype: np.dtype[Any],
    client: Any,
    parts: list[Any],
    block_rows: int,
    sent: list[Any],
) -> Any:
    # the estimator's own set-up for a fresh fit; it is modified only once the data checked out
    if classes is not None:
        estimator.classes_ = classes
    if isinstance(estimator, MLPClassifier):
        estimator._multilabel = False
    estimator._rng = np.random.default_rng(estimator.random_state)
    estimator.n_features_in_ = int(n_features)
    if hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    estimator._initialise(n_features, n_outputs, dtype)
    network = estimator.network_
    loss = estimator._output_loss()
    l2 = estimator._l2()
    template = _send(client, network)
    sent.append(template)
    flat_params = network.flat_parameters()

    def evaluate() -> float:
        theta = _send(client, flat_params.copy())
        sums = [
            client.submit(_chunk_sums, template, loss, theta, part, block_rows, pure=False)
            for part in parts
        ]
        total = _tree_sum(client, sums).result()
        return objective_from_sums(network, total, l2)

    mlp = isinstance(estimator, MLPClassifier | MLPRegressor)
    try:
        # the limits of the estimator's in-memory L-BFGS fit
        result = minimize_lbfgs(
            network,
            evaluate,
            max_iter=estimator.max_iter,
            max_fun=estimator.max_fun if mlp else 15000,
            tol=0.0 if estimator.tol is None else float(estimator.tol),
            ftol=_MLP_LBFGS_FTOL if mlp else None,
        )
        if mlp:
            estimator.loss_curve_ = list(result.loss)
            estimator.n_iter_ = result.n_iter
            estimator.loss_ = result.loss[-1] if result.loss else float("nan")
            estimator.best_loss_ = None
            if not result.converged:
                warnings.warn(
                    f"L-BFGS did not converge ({result.message}); increase max_iter or scale "
                    "the data.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
        else:
            curve = result.loss or [evaluate()]
            # scipy takes one step even when asked for none; counted as the in-memory fit does
            n_iter = min(result.n_iter, int(estimator.max_iter))
            converged = result.converged and n_iter == result.n_iter
            estimator._finish(curve, n_iter, converged, result.message)
    except DivergenceError:
        estimator._publish_attributes()
        estimator._record_fitted_params()
        raise
    estimator._publish_attributes()
    estimator._record_fitted_params()
    if not mlp:
        estimator._centre()
    return estimator


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
    return counts.sum() / (len(classes) * np.where(counts > 0, counts, 1))


def _index_of(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    return np.searchsorted(classes, y).astype(np.intp)


def _check_fitted_input(estimator: Any, X: Any) -> Any:
    from sklearn.utils.validation import check_is_fitted

    da = _dask_array_module()
    check_is_fitted(estimator, "network_")
    X = _as_dask_array(X, "X", da)
    if X.ndim != 2 or X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X must have shape (n_samples, {estimator.n_features_in_}); got {X.shape}."
        )
    return X.rechunk({1: -1})


def predict(estimator: Any, X: Any) -> Any:
    """``estimator.predict`` on each block of the Dask array ``X``: a lazy Dask array.

    Works for any fitted sigmanet estimator; nothing is computed until the result is.
    """
    return _blockwise(estimator, X, "predict")


def predict_proba(estimator: Any, X: Any) -> Any:
    """``estimator.predict_proba`` block by block: a lazy Dask array (n_samples, n_classes)."""
    return _blockwise(estimator, X, "predict_proba")


def decision_function(estimator: Any, X: Any) -> Any:
    """``estimator.decision_function`` block by block: a lazy Dask array."""
    return _blockwise(estimator, X, "decision_function")


def _blockwise(estimator: Any, X: Any, method: str) -> Any:
    X = _check_fitted_input(estimator, X)
    # one row through the method gives the result's dtype and columns without computing X
    sample = getattr(estimator, method)(np.zeros((1, X.shape[1]), dtype=X.dtype))
    if sample.ndim == 1:
        return X.map_blocks(
            _call, estimator, method, drop_axis=1, meta=np.empty((0,), dtype=sample.dtype)
        )
    return _columns(estimator, X, method)


def _columns(estimator: Any, X: Any, method: str) -> Any:
    X = _check_fitted_input(estimator, X)
    sample = getattr(estimator, method)(np.zeros((1, X.shape[1]), dtype=X.dtype))
    return X.map_blocks(
        _call,
        estimator,
        method,
        chunks=(X.chunks[0], (sample.shape[1],)),
        meta=np.empty((0, 0), dtype=sample.dtype),
    )


def _call(block: np.ndarray, estimator: Any, method: str) -> np.ndarray:
    return getattr(estimator, method)(block)
