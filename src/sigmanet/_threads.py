"""How many BLAS threads a training loop uses.

A mini-batch step multiplies small matrices (32 × 256 by 256 × 128, say) between a dozen
elementwise NumPy calls. OpenBLAS splits even such small products over its threads, and its
worker threads spin between calls while the main thread runs the elementwise work. Measured on
the 2-core machine the benchmarks run on, a whole step (products *and* elementwise calls) was
then 15–25% slower than with one thread at batch size 32, and about even at 128 and 256; large
full-batch products do gain from the threads. So the default, ``"auto"``, runs batches of fewer
than :data:`SMALL_BATCH` rows on one BLAS thread and leaves larger ones alone.

The limit holds only while the loop runs (through threadpoolctl, which scikit-learn also uses to
the same end in ``KMeans``); ``"auto"`` only ever lowers the thread count.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["SMALL_BATCH", "blas_threads_for", "limit_blas_threads"]

#: Batches with fewer rows than this train on one BLAS thread under ``blas_threads="auto"``.
SMALL_BATCH = 128

_controller: Any = None


def blas_threads_for(blas_threads: int | str | None, batch_size: int) -> int | None:
    """The thread limit a loop over ``batch_size``-row batches should set (None: no limit).

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
        return 1 if batch_size < SMALL_BATCH else None
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
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    with _controller.limit(limits=limit, user_api="blas"):
        yield
