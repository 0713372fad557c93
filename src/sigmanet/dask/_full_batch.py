r"""Exact full-batch training on a Dask cluster: :func:`sigmanet.dask.fit`.

The full-batch objective of logistic and softmax regression, and of an MLP trained by
L-BFGS, is a sum over rows,

.. math:: J(θ) = \frac{1}{S}\sum_i w_i\,\ell_i(θ) + \frac{\mathrm{l2}}{2S}\lVert W\rVert^2,
          \qquad S = \sum_i w_i,

so its value and gradient at θ are three sums (``Σ w ℓ``, ``Σ w ∇ℓ``, ``Σ w``:
:class:`sigmanet.training.BlockSums`) that can be formed on each chunk where it lives and added
up. :func:`~sigmanet.dask.fit` does exactly that, in the pattern of Spark MLlib's ``treeAggregate``
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

from sigmanet.dask._common import (
    BLOCK_ROWS,
    _checked_collections,
    _class_weight_table,
    _client,
    _dask_array_module,
    _prepared_chunks,
    _raise_chunk_errors,
    _send,
)
from sigmanet.estimators._base import _MLP_LBFGS_FTOL
from sigmanet.estimators.linear import LogisticRegression, SoftmaxRegression
from sigmanet.estimators.mlp import MLPClassifier, MLPRegressor
from sigmanet.exceptions import DivergenceError
from sigmanet.training import BlockSums, block_sums, minimize_lbfgs, objective_from_sums

_SUPPORTED = (LogisticRegression, SoftmaxRegression, MLPClassifier, MLPRegressor)


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
            f"sigmanet.dask.fit needs solver='lbfgs' (full batch); got solver={estimator.solver!r}"
            " (a stochastic solver, an MLP's or the linear models' 'sgd', 'minibatch' or 'adam', "
            "trains with sigmanet.dask.fit_stochastic)."
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

    regressor = isinstance(estimator, MLPRegressor)
    X, y, weight, dtype = _checked_collections(X, y, sample_weight, regressor, da)

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

    parts = _prepared_chunks(client, X, y, weight, classes, table, dtype, encode)
    sent: list[Any] = []
    try:
        _raise_chunk_errors(parts)
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
