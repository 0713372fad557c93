"""How many BLAS threads a training loop uses.

A mini-batch step multiplies small matrices (32 × 256 by 256 × 128, say) between a dozen
elementwise NumPy calls. OpenBLAS splits even such small products over its threads, and on the
2-core machine the benchmarks run on the whole step then slowed down, the elementwise calls
included (likely the worker threads spinning between products while the main thread works).
Fitting the 100-256-128-10 benchmark network took (three runs each, one thread against two)::

    batch  32: 2.1-2.2 s against 2.8 s
    batch  64: 1.25-1.32 s against 1.44-1.77 s
    batch 128: 0.90-0.97 s against 1.04-1.16 s
    batch 256: 0.80-0.84 s against 0.63-0.80 s

What decides is the size of the largest product, rows × (fan-in × fan-out of the largest
weight matrix): 4.2 million multiply-adds (batch 128) ran faster on one thread, 8.4 million
(batch 256) on two. So the default, ``"auto"``, uses one BLAS thread below
:data:`SMALL_PRODUCT` and leaves larger products alone.

Every BLAS pool in the process is limited: NumPy's OpenBLAS, whose products the compiled
engine calls too, and scipy's, which numba's ``np.dot`` uses (:mod:`sigmanet.engine`). The
limit holds only while the loop runs (through threadpoolctl, which scikit-learn also uses to
the same end in ``KMeans``); ``"auto"`` only ever lowers the thread count.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["SMALL_PRODUCT", "blas_threads_for", "limit_blas_threads"]

#: Multiply-adds of a step's largest product (batch rows × the largest weight matrix's size)
#: below which ``blas_threads="auto"`` trains on one BLAS thread.
SMALL_PRODUCT = 6_000_000

_controller: Any = None


def blas_threads_for(
    blas_threads: int | str | None, batch_size: int, largest_weight: int
) -> int | None:
    """The thread limit for batches of ``batch_size`` rows (None: leave the threads alone).

    ``largest_weight`` is the size of the network's largest weight matrix.

    Raises
    ------
    ValueError
        If ``blas_threads`` is not ``"auto"``, ``None`` or a positive integer.
    """
    if blas_threads is None:
        return None
    if isinstance(blas_threads, str):
        if blas_threads != "auto":
            raise ValueError(
                f"blas_threads must be 'auto', None or a positive integer; got {blas_threads!r}."
            )
        return 1 if batch_size * largest_weight < SMALL_PRODUCT else None
    if isinstance(blas_threads, bool) or int(blas_threads) != blas_threads or blas_threads < 1:
        raise ValueError(
            f"blas_threads must be 'auto', None or a positive integer; got {blas_threads!r}."
        )
    return int(blas_threads)


@contextlib.contextmanager
def limit_blas_threads(limit: int | None) -> Iterator[None]:
    """Run the block with at most ``limit`` BLAS threads (``None``: leave them as they are)."""
    global _controller
    if limit is None:
        yield
        return
    if _controller is None:  # scanning the loaded libraries takes ~20 ms: do it once
        # numba's np.dot runs on scipy's BLAS, a second pool beside NumPy's; it must be
        # loaded before the scan, or the limit would not reach it.
        import scipy.linalg.cython_blas  # noqa: F401
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    with _controller.limit(limits=limit, user_api="blas"):
        yield
