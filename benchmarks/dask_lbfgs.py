"""Exact L-BFGS on Dask against the in-memory fit: time per evaluation and to convergence.

Logistic regression (``C=1``, float64) on ``--rows`` × ``--features`` seeded synthetic rows
(2,000,000 × 50 by default: 800 MB). The rows are drawn on the workers in chunks of
``--chunk-rows``; the in-memory fit gets the same rows gathered into one NumPy array. Both fits
run L-BFGS from zero to scikit-learn's default tolerance, and each evaluation of the objective
(the loss and gradient summed over all rows) is timed as L-BFGS asks for it.

Printed: the cluster's start-up time (separately: it is paid once per session, not per fit),
then for each fit the number of evaluations, the median time of one, and the time to
convergence, with the coefficients' largest relative difference between the two fits.

Every candidate runs with one BLAS thread per worker thread (the workers' nannies set the
thread variables to 1; the client is limited with threadpoolctl), so the comparison is one
core against ``--workers`` cores. Nothing is asserted. Run::

    python benchmarks/dask_lbfgs.py                      # 2,000,000 x 50, two worker processes
    python benchmarks/dask_lbfgs.py --rows 200000        # a quick run
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np


@contextlib.contextmanager
def timed_evaluations(module: Any, times: list[float]) -> Iterator[None]:
    """Record the wall time of every objective evaluation L-BFGS makes through ``module``."""
    minimize = module.minimize_lbfgs

    def timing(network: Any, evaluate: Callable[[], float], **options: Any) -> Any:
        def evaluate_timed() -> float:
            start = time.perf_counter()
            value = evaluate()
            times.append(time.perf_counter() - start)
            return value

        return minimize(network, evaluate_timed, **options)

    module.minimize_lbfgs = timing
    try:
        yield
    finally:
        module.minimize_lbfgs = minimize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads-per-worker", type=int, default=1)
    args = parser.parse_args()

    import dask.array as da
    import distributed
    from threadpoolctl import threadpool_limits

    import sigmanet.dask as sdask
    import sigmanet.dask._full_batch as dask_full_batch
    import sigmanet.training.full_batch as full_batch
    from sigmanet import LogisticRegression

    start = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=args.workers,
        threads_per_worker=args.threads_per_worker,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
    )
    client = distributed.Client(cluster)
    startup = time.perf_counter() - start
    try:
        rng = da.random.default_rng(0)
        shape = (args.rows, args.features)
        chunks = (args.chunk_rows, args.features)
        X = rng.normal(size=shape, chunks=chunks) * rng.uniform(0.5, 2.0, size=(args.features,))
        coef = np.random.default_rng(1).normal(size=args.features)
        score = X @ coef + rng.normal(size=args.rows, chunks=args.chunk_rows)
        y = (score > 0).astype(np.int64)
        X, y = client.persist([X, y])
        distributed.wait([X, y])

        dask_times: list[float] = []
        start = time.perf_counter()
        with timed_evaluations(dask_full_batch, dask_times):
            on_dask = sdask.fit(LogisticRegression(C=1.0), X, y, client=client)
        dask_total = time.perf_counter() - start

        X_local, y_local = X.compute(), y.compute()
        memory_times: list[float] = []
        with threadpool_limits(limits=1), timed_evaluations(full_batch, memory_times):
            start = time.perf_counter()
            in_memory = LogisticRegression(C=1.0).fit(X_local, y_local)
            memory_total = time.perf_counter() - start
    finally:
        client.close()
        cluster.close()

    difference = float(
        np.max(np.abs(on_dask.coef_ - in_memory.coef_)) / np.max(np.abs(in_memory.coef_))
    )
    print(
        f"{args.rows:,} x {args.features} float64, chunks of {args.chunk_rows:,} rows; "
        f"{args.workers} worker processes x {args.threads_per_worker} thread(s)"
    )
    print(f"cluster start-up: {startup:.2f} s (once per session)")
    print(f"{'fit':<10} {'evaluations':>11} {'median / eval':>14} {'to convergence':>15}")
    for name, times, total in (
        ("Dask", dask_times, dask_total),
        ("in memory", memory_times, memory_total),
    ):
        median = statistics.median(times) if times else float("nan")
        print(f"{name:<10} {len(times):>11} {median:>12.3f} s {total:>13.2f} s")
    print(f"coefficients, largest relative difference: {difference:.1e}")
    if not memory_times:
        print("(the in-memory fit's evaluations were not seen: it no longer calls ")
        print(" sigmanet.training.full_batch.minimize_lbfgs; its total time is still right)")


if __name__ == "__main__":
    main()
