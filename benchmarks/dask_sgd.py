"""Mini-batch training on Dask (sigmanet.dask.fit_stochastic) against the in-memory fit: time
per epoch.

An ``MLPClassifier`` (``--hidden`` units, Adam, batches of 200, float64) on ``--rows`` ×
``--features`` seeded synthetic rows in blocks of ``--chunk-rows`` held by ``--workers`` worker
processes of one thread. Four candidates, timed interleaved, ``--repeats`` times each:

* ``dask sequential``: ``fit_stochastic`` (one task per block, chained);
* ``dask local SGD``: ``fit_stochastic(sync_every=--sync-every)``;
* ``memory blocks``: in one process, ``partial_fit`` on each block in the same order (what the
  sequential fit reproduces);
* ``memory fit``: the estimator's own ``fit`` (all rows shuffled together every epoch).

The time per epoch of a candidate is ``(t(1 + E) - t(1)) / E`` with ``E = --epochs``: the
difference leaves out what a call pays once (validating the blocks on the workers, finding
the classes, the first compilation). Medians over the repeats are printed, with the ratio to
``memory blocks``. The client and every worker use one BLAS thread. Nothing is asserted. Run::

    python benchmarks/dask_sgd.py
    python benchmarks/dask_sgd.py --rows 1000000 --chunk-rows 50000
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--chunk-rows", type=int, default=25_000)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--sync-every", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import dask.array as da
    import distributed
    from threadpoolctl import threadpool_limits

    import sigmanet.dask as sdask
    from sigmanet import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.rows, args.features))
    y = (X @ rng.normal(size=args.features) + rng.normal(size=args.rows) > 0).astype(np.int64)
    params = {
        "hidden_layer_sizes": (args.hidden,),
        "solver": "adam",
        "batch_size": 200,
        "random_state": 0,
    }
    sizes = [args.chunk_rows] * (args.rows // args.chunk_rows)
    if args.rows % args.chunk_rows:
        sizes.append(args.rows % args.chunk_rows)
    blocks = [slice(end - size, end) for size, end in zip(sizes, np.cumsum(sizes), strict=True)]
    classes = np.unique(y)

    cluster = distributed.LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
    )
    client = distributed.Client(cluster)
    try:
        X_d = client.persist(da.from_array(X, chunks=(args.chunk_rows, args.features)))
        y_d = client.persist(da.from_array(y, chunks=args.chunk_rows))
        distributed.wait([X_d, y_d])

        def dask_fit(epochs: int, sync_every: int | None = None) -> None:
            sdask.fit_stochastic(
                MLPClassifier(**params), X_d, y_d, epochs=epochs, sync_every=sync_every
            )

        def memory_blocks(epochs: int) -> None:
            model = MLPClassifier(**params)
            for order in sdask.block_order(len(blocks), epochs, model.random_state):
                for b in order:
                    model.partial_fit(X[blocks[b]], y[blocks[b]], classes=classes)

        def memory_fit(epochs: int) -> None:
            # every epoch runs (no stop on a plateau); the ConvergenceWarning says just that
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                MLPClassifier(**params, max_iter=epochs, n_iter_no_change=epochs + 1).fit(X, y)

        candidates: dict[str, Callable[[int], None]] = {
            "dask sequential": dask_fit,
            "dask local SGD": lambda e: dask_fit(e, args.sync_every),
            "memory blocks": memory_blocks,
            "memory fit": memory_fit,
        }
        per_epoch: dict[str, list[float]] = {name: [] for name in candidates}
        with threadpool_limits(limits=1):
            for run in candidates.values():  # warm-up: compilation, imports
                run(1)
            for _ in range(args.repeats):
                for name, run in candidates.items():
                    per_epoch[name].append(_per_epoch(run, args.epochs))
    finally:
        client.close()
        cluster.close()

    import os

    print(
        f"{args.rows:,} x {args.features} float64, {len(sizes)} blocks of <= {args.chunk_rows:,} "
        f"rows; MLP ({args.hidden},) adam, batches of 200; {args.workers} worker processes x 1 "
        f"thread; load average {os.getloadavg()[0]:.2f}"
    )
    reference = statistics.median(per_epoch["memory blocks"])
    print(f"{'candidate':<16} {'s / epoch (median)':>19} {'ratio':>7}")
    for name, times in per_epoch.items():
        median = statistics.median(times)
        print(f"{name:<16} {median:>19.3f} {median / reference:>7.2f}")


def _per_epoch(run: Callable[[int], Any], epochs: int) -> float:
    start = time.perf_counter()
    run(1)
    one = time.perf_counter() - start
    start = time.perf_counter()
    run(1 + epochs)
    more = time.perf_counter() - start
    return (more - one) / epochs


if __name__ == "__main__":
    main()
