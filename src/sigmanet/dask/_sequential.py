r"""Mini-batch training on a Dask cluster, block after block: :func:`sigmanet.dask.fit_stochastic`.

A stochastic solver (``sgd``, ``adam``, ...) takes thousands of small steps, each depending on
the last, so they cannot be spread over workers the way a full-batch gradient is. What can be
avoided is moving the data: the model goes to the data instead.

**Sequential (the default).** The rows are the Dask array's row chunks ("blocks"), validated
and kept on the workers. Every epoch the client draws an order of the blocks and submits one
task per block; each task takes the model the previous task returned (its weights, the
optimizer's state, the generator that shuffles rows within a block, the step and sample
counters) and a block, runs the estimator's own ``partial_fit`` on that block (one pass over its
rows in mini-batches of ``batch_size``, shuffled if ``shuffle``) where the block lives, and
returns the model. The tasks of every epoch are submitted at once, each depending on the one
before, so the scheduler runs them back to back: nothing goes back to the client between steps,
blocks or epochs. A task holds one block (and, on the NumPy path, the shuffled copy the training
loop makes of it), never more; the blocks themselves are kept in the workers' memory for the
whole fit, spread over the workers as the chunks are (as :func:`~sigmanet.dask.fit` keeps
them), and Dask spills them to disk when a worker's memory runs short.

What it reproduces, to rounding (1e-12 in float64 in the tests): in memory, a fresh estimator
and ``estimator.partial_fit(X_b, y_b, classes=classes, sample_weight=w_b)`` on each block ``b``
in the order :func:`~sigmanet.dask.block_order` gives, with ``class_weight="balanced"``
replaced by the weights of the whole ``y``, and for :class:`~sigmanet.LogisticRegression` and
:class:`~sigmanet.SoftmaxRegression` each call told the total weight ``S`` of all the rows, so
that every step's penalty gradient is the whole data's ``W / (C S)`` (a block's own ``J`` would
penalise about as many times more strongly as there are blocks); their stochastic solvers
then approach the L-BFGS minimiser of the whole data's ``J`` (a test checks it). It is *not*
the estimator's in-memory ``fit`` on all the rows: that shuffles all rows together every
epoch, whereas here a mini-batch never mixes rows of two blocks, and a block's last batch is
short. The loss curve has one entry per
block visited (each ``partial_fit`` call appends one), and a learning-rate schedule counts
those calls as its epochs, as it does for ``partial_fit`` in memory.

**Local SGD** (``sync_every=k``). Each worker trains its own copy of the model on the blocks it
holds, ``k`` blocks at a time, from the same start; the copies' parameters and optimizer
states are then averaged, weighted by the rows each copy trained on in the round (model
averaging in the manner of federated averaging: McMahan et al., "Communication-Efficient
Learning of Deep Networks from Decentralized Data", AISTATS 2017; Stich, "Local SGD Converges
Fast and Communicates Little", ICLR 2019), and the next round starts from the average. The
workers train at the same time, but the result does **not** reproduce the serial fit, nor any
order of ``partial_fit`` calls: an average of models is not a model trained on the union of
their data. Its accuracy is usually close to the sequential fit's on problems where mini-batch
SGD is robust (a test checks that on a simple problem); it needs a learning rate the sequential
fit tolerates, and more epochs as ``k`` grows.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from sigmanet.dask._common import (
    _checked_collections,
    _class_weight_table,
    _client,
    _dask_array_module,
    _index_of,
    _prepared_chunks,
    _raise_chunk_errors,
)
from sigmanet.estimators.linear import LogisticRegression, SoftmaxRegression
from sigmanet.estimators.mlp import MLPClassifier, MLPRegressor

_LINEAR = (LogisticRegression, SoftmaxRegression)
_SUPPORTED = (MLPClassifier, MLPRegressor, *_LINEAR)


def block_order(n_blocks: int, epochs: int, random_state: Any = None) -> list[list[int]]:
    """The order :func:`fit_stochastic` visits ``n_blocks`` blocks in each of ``epochs`` epochs.

    Epoch ``e`` visits them in the ``e``-th ``permutation(n_blocks)`` of a generator spawned
    from ``numpy.random.default_rng(random_state)`` (a child stream, so that the order is
    independent of the draws the estimator makes from the same ``random_state``). Each block
    is visited once per epoch.
    """
    parent = np.random.default_rng(copy.deepcopy(random_state))
    rng = parent.spawn(1)[0]
    return [rng.permutation(n_blocks).tolist() for _ in range(int(epochs))]


def fit_stochastic(
    estimator: Any,
    X: Any,
    y: Any,
    sample_weight: Any = None,
    *,
    epochs: int | None = None,
    sync_every: int | None = None,
    client: Any = None,
) -> Any:
    """Fit ``estimator`` with its stochastic solver on Dask data, one block at a time.

    See the module's description: with ``sync_every=None`` this reproduces ``partial_fit`` on
    each block in the order of :func:`block_order` (not ``fit`` on all rows); with
    ``sync_every=k`` it is local SGD, which reproduces neither.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor, LogisticRegression or SoftmaxRegression
        With a stochastic solver (``solver="sgd"``, ``"adam"``, ...; the linear models'
        ``"sgd"``, ``"minibatch"``, ``"adam"``), ``early_stopping=False`` and
        ``warm_start=False``; fitted afresh. ``batch_size``, ``shuffle``,
        ``learning_rate_init``, ``alpha`` or ``C``, ``class_weight`` and the optimizer's
        settings mean what they mean for ``partial_fit`` (``C`` with the whole data's ``S``);
        ``random_state`` seeds the initial weights, the shuffling within blocks and the order
        of the blocks. ``tol`` and ``n_iter_no_change`` are not used: every epoch runs. For
        L-BFGS (and the linear models' ``"gd"``) use :func:`sigmanet.dask.fit`.
    X : dask array of shape (n_samples, n_features), or a Dask DataFrame
        Its row chunks are the blocks (columns are joined into whole rows first). float32
        trains in float32, anything else in float64.
    y : dask array of shape (n_samples,), or (n_samples, n_outputs) for a regressor
        Class labels (not a multilabel indicator matrix) or targets.
    sample_weight : dask array of shape (n_samples,), optional
    epochs : int, optional
        Passes over the blocks; the estimator's ``max_iter`` by default.
    sync_every : int, optional
        None trains sequentially. A positive k runs local SGD: each worker trains a copy on
        k of its blocks, then the copies are averaged.
    client : distributed.Client, optional
        The current one by default.

    Returns
    -------
    estimator
        Fitted in place, an ordinary sigmanet estimator. ``n_iter_`` is ``epochs`` (``[epochs]``
        for a linear model, its layout), ``t_``
        the rows trained on, ``loss_curve_`` one entry per block visited.

    Raises
    ------
    TypeError, ValueError
        For an unsupported estimator or option, data that is not a Dask collection, chunks of
        unknown length, NaN/inf in X or labels outside the classes (named by rows, found on the
        workers before training starts). A :class:`~sigmanet.exceptions.DivergenceError` on a
        worker is re-raised here; the estimator is then left as it was.
    """
    da = _dask_array_module()
    _check_estimator(estimator)
    epochs = _positive_int(estimator.max_iter if epochs is None else epochs, "epochs")
    if sync_every is not None:
        sync_every = _positive_int(sync_every, "sync_every")
    client = _client(client, "fit_stochastic")

    regressor = isinstance(estimator, MLPRegressor)
    X, y, weight, dtype = _checked_collections(X, y, sample_weight, regressor, da)
    start = _fresh_copy(estimator)
    classes: np.ndarray | None = None
    if not regressor:
        from sklearn.utils.multiclass import check_classification_targets

        classes = np.asarray(da.unique(y).compute())
        check_classification_targets(classes)
        table = _class_weight_table(estimator.class_weight, classes, y, weight, da)
        if table is not None:
            # the whole y's class weights, which a block alone would get wrong ("balanced")
            start.set_params(class_weight=dict(zip(classes.tolist(), table.tolist(), strict=True)))
        if isinstance(estimator, _LINEAR):
            # the penalty of the whole data's J at every step, not of each block's own
            start._penalty_total_weight = _total_weight(y, weight, classes, table, da)

    # the blocks, validated and cast on the workers; their labels stay labels (partial_fit
    # encodes them) and their sample weights stay as given (class_weight applies them)
    nonempty = [i for i, size in enumerate(X.chunks[0]) if size > 0]
    parts = _prepared_chunks(
        client, X, y, weight, classes, None, dtype, _labels_as_they_are, cast_targets=False
    )
    parts = [parts[i] for i in nonempty]
    try:
        _raise_chunk_errors(parts)
        homes = _homes(client, parts)
        if sync_every is None:
            final = _chain(client, start, parts, homes, classes, epochs)
        else:
            final = _local_sgd(client, start, parts, homes, classes, epochs, sync_every)
        trained = final.result()
    finally:
        # released, not cancelled: cancelling would also cancel the training tasks that used
        # them, which no client holds any more (distributed asserts that someone does)
        for part in parts:
            part.release()
    _adopt(estimator, trained, epochs)
    return estimator


def _check_estimator(estimator: Any) -> None:
    if not isinstance(estimator, _SUPPORTED):
        raise TypeError(
            "sigmanet.dask.fit_stochastic trains MLPClassifier, MLPRegressor, LogisticRegression "
            f"and SoftmaxRegression; got {type(estimator).__name__}."
        )
    estimator._validate_params()
    full_batch = ("lbfgs", "gd") if isinstance(estimator, _LINEAR) else ("lbfgs",)
    if estimator.solver in full_batch:
        raise ValueError(
            "sigmanet.dask.fit_stochastic needs a stochastic solver (sgd, adam, ...); got "
            f"solver={estimator.solver!r}: for full-batch training use sigmanet.dask.fit with "
            "solver='lbfgs'."
        )
    if getattr(estimator, "early_stopping", False):
        raise ValueError(
            "sigmanet.dask.fit_stochastic does not support early_stopping=True (it would need a "
            "validation set outside the blocks); set early_stopping=False and score a held-out "
            "Dask array with sigmanet.dask.predict after fitting."
        )
    if estimator.warm_start:
        raise ValueError("sigmanet.dask.fit_stochastic fits from scratch; set warm_start=False.")


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}.")
    return int(value)


def _fresh_copy(estimator: Any) -> Any:
    """An unfitted estimator with ``estimator``'s parameters, ``random_state`` fixed to an int
    when it was None (so that every copy in local SGD starts from the same weights)."""
    from sklearn.base import clone

    start = clone(estimator)
    if start.random_state is None:
        start.set_params(random_state=int(np.random.default_rng().integers(2**31)))
    return start


def _total_weight(y: Any, weight: Any, classes: Any, table: Any, da: Any) -> float:
    """``S``: the total weight of the rows, sample weights times class weights."""
    if table is None:
        return float(y.shape[0] if weight is None else weight.sum(dtype=np.float64).compute())
    index = y.map_blocks(_index_of, classes, dtype=np.intp)
    per_class = da.bincount(index, weights=weight, minlength=len(classes)).compute()
    return float(np.dot(np.asarray(per_class, dtype=np.float64), table))


def _labels_as_they_are(y: np.ndarray) -> np.ndarray:
    return y


def _homes(client: Any, parts: list[Any]) -> list[str | None]:
    """The address of a worker holding each prepared block."""
    holders = client.who_has(parts)
    return [min(holders.get(part.key, ()), default=None) for part in parts]


def _where(home: str | None) -> dict[str, Any]:
    # run where the block is; anywhere else if that worker is gone (a killed worker)
    return {} if home is None else {"workers": [home], "allow_other_workers": True}


def _chain(
    client: Any,
    start: Any,
    parts: list[Any],
    homes: list[str | None],
    classes: np.ndarray | None,
    epochs: int,
) -> Any:
    """Every epoch's tasks submitted at once, each taking the model the one before returns.

    Only the last future is kept: the scheduler frees each model once the next task has it,
    and can recompute any from the tasks before it should a worker die (nothing is scattered).
    """
    model: Any = start
    for order in block_order(len(parts), epochs, start.random_state):
        for b in order:
            model = client.submit(
                _train_on_blocks, model, classes, parts[b], pure=False, **_where(homes[b])
            )
    return model


def _local_sgd(
    client: Any,
    start: Any,
    parts: list[Any],
    homes: list[str | None],
    classes: np.ndarray | None,
    epochs: int,
    sync_every: int,
) -> Any:
    """Rounds of: each worker trains a copy on ``sync_every`` of its blocks, then the copies
    are averaged; every epoch visits each worker's blocks once, in an order of their own."""
    owners = sorted({home for home in homes if home is not None})
    mine: dict[str | None, list[int]] = {home: [] for home in owners}
    for b, home in enumerate(homes):
        mine[home if home is not None else owners[b % len(owners)]].append(b)
    rng = np.random.default_rng(start.random_state).spawn(2)[1]
    model: Any = start
    for _ in range(epochs):
        orders = {
            home: [blocks[i] for i in rng.permutation(len(blocks))] for home, blocks in mine.items()
        }
        rounds = max(math.ceil(len(order) / sync_every) for order in orders.values())
        for r in range(rounds):
            copies = []
            for home, order in orders.items():
                chosen = order[r * sync_every : (r + 1) * sync_every]
                if chosen:
                    seed = int(rng.integers(2**63))
                    copies.append(
                        client.submit(
                            _train_on_blocks,
                            model,
                            classes,
                            *[parts[b] for b in chosen],
                            seed=seed,
                            pure=False,
                            **_where(home),
                        )
                    )
            model = client.submit(_average, model, *copies, pure=False)
    return model


def _train_on_blocks(model: Any, classes: Any, *blocks: Any, seed: int | None = None) -> Any:
    """``partial_fit`` on each block in turn, on a copy of ``model`` (tasks on one worker share
    objects, and the input may be needed again); the copy, without its training buffers."""
    model = copy.deepcopy(model)
    if seed is not None and hasattr(model, "_rng"):
        model._rng = np.random.default_rng(seed)
    for X, y, weight in blocks:
        if classes is None:
            model.partial_fit(X, y, sample_weight=weight)
        else:
            model.partial_fit(X, y, classes=classes, sample_weight=weight)
    _drop_buffers(model)
    return model


def _drop_buffers(model: Any) -> None:
    """Forget the arrays the last forward/backward pass kept (a block's worth of activations),
    so that only parameters and optimizer state travel to the next task."""
    for layer in model.network_.layers:
        layer._buffers.clear()
        layer._cache = None


def _average(start: Any, *copies: Any) -> Any:
    """The copies' parameters and optimizer states averaged, each weighted by the rows it
    trained on since ``start``; counters and loss curves joined."""
    t0 = getattr(start, "t_", 0)
    curve0 = len(getattr(start, "loss_curve_", []))
    rows = np.array([c.t_ - t0 for c in copies], dtype=np.float64)
    share = rows / rows.sum()
    model = copy.deepcopy(copies[0])
    flat = model.network_.flat_parameters()
    flat[...] = sum(s * c.network_.flat_parameters() for s, c in zip(share, copies, strict=True))
    optimizer = model._optimizer
    for name in optimizer.state_names:
        for i, buffer in enumerate(optimizer.state[name]):
            buffer[...] = sum(
                s * c._optimizer.state[name][i] for s, c in zip(share, copies, strict=True)
            )
    optimizer.iterations = max(c._optimizer.iterations for c in copies)
    model.t_ = t0 + int(rows.sum())
    model.loss_curve_ = copies[0].loss_curve_[:curve0] + [
        loss for c in copies for loss in c.loss_curve_[curve0:]
    ]
    model._publish_attributes()
    return model


def _adopt(estimator: Any, trained: Any, epochs: int) -> None:
    """Make ``estimator`` the trained model, with its own parameters (``class_weight``,
    ``random_state``) as the user set them."""
    params = estimator.get_params(deep=False)
    estimator.__dict__.update(trained.__dict__)
    estimator.set_params(**params)
    # the blocks' total weight is this fit's; later partial_fit calls see their own rows
    estimator.__dict__.pop("_penalty_total_weight", None)
    if isinstance(estimator, _LINEAR):
        estimator.n_iter_ = np.array([epochs], dtype=np.int32)  # the linear models' layout
    else:
        estimator.n_iter_ = epochs
    estimator.loss_ = estimator.loss_curve_[-1] if estimator.loss_curve_ else math.nan
    estimator._record_fitted_params()
