"""The two ways sigmanet's kernels are compiled (numba): the engine's, the recurrent layers'
and the rational tanh.

Both use ``error_model="numpy"`` (division without exception checks, which is what lets the
loops vectorise), ``nogil`` and numba's on-disk cache:

* :data:`helper` for functions called from compiled code only: ``no_cpython_wrapper`` spares
  each the Python entry point numba otherwise generates and compiles with it;
* :data:`entry` for the kernels Python calls, which keep theirs.

Importing this module imports numba; only the kernel modules import it, so ``import
sigmanet`` does not.
"""

from __future__ import annotations

from numba import njit

__all__ = ["entry", "helper"]

# (numba's type stubs do not list no_cpython_wrapper, one of its target options)
helper = njit(cache=True, error_model="numpy", nogil=True, no_cpython_wrapper=True)  # type: ignore[call-overload]
entry = njit(cache=True, error_model="numpy", nogil=True)
