"""How many BLAS threads a training loop uses.

A mini-batch step multiplies small matrices (32 × 256 by 256 × 128, say) between a dozen
elementwise calls. OpenBLAS splits even such small products over its threads; on a 2-core
machine the whole step then slows down, and on a busy one (other processes wanting the cores)
the threads wait for each other at every product. ``benchmarks/run.py --only 6`` fits MLPs
(8,192 samples, 2 epochs) on one BLAS thread and on two, compiled engine and NumPy path, the
four interleaved in one process, medians of 3 rounds. Two runs on the shared 2-core machine,
load average 3.3–6.7 (other processes running)::

    largest product     network, batch      two threads' speed, engine / NumPy path
    4.2M                256-128, 128        0.16x / 0.09x,  0.06x / 0.31x
    8.4M                256-128, 256        0.33x / 0.19x,  0.68x / 0.82x
    33.6M               256-128, 1024       0.37x / 0.32x,  1.09x / 1.20x  (a quiet spell)
    134M                256-128, 4096       0.82x / 0.41x,  1.55x / 1.39x  (a quiet spell)
    67M                 512-512, 256        0.20x / 0.16x,  0.32x / 0.34x
    268M                512-512, 1024       0.39x / 0.45x,  0.43x / 0.29x
    268M                1024-1024, 256      0.22x / 0.33x,  0.27x / 0.30x
    1.07G               1024-1024, 1024     0.54x / 0.56x,  0.43x / 0.54x
    4.3G                1024-1024, 4096                     0.64x / 0.75x
    8.6G                2048-2048, 2048     0.77x (engine; a one-off run, 4,096 samples)

(speed: time on one thread / time on two; above 1, two threads were faster). Under load a
second thread lost at every size measured, by up to 16× on small products; only in a spell
with less load did it gain (1.1–1.55× from 34 million multiply-adds). Its loss shrinks as the
products grow. What decides is the size of a step's largest product, rows × (fan-in ×
fan-out of the largest weight matrix), and the engine and the NumPy path behave alike. So the
default, ``"auto"``, uses one BLAS thread below :data:`SMALL_PRODUCT`, ten billion
multiply-adds, above every product measured: it is never the catastrophic choice on a busy
machine, and costs at most the second core's gain on a quiet one. Only larger products keep
the library's threads; ``blas_threads=2`` asks for two on a machine known to be quiet.

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
#: below which ``blas_threads="auto"`` trains on one BLAS thread (see the module docstring).
SMALL_PRODUCT = 10_000_000_000

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
