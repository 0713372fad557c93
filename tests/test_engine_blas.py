"""The compiled kernels' matrix product: NumPy's BLAS called with the operands' layouts.

Every layout the kernels pass (C-contiguous, and the transposed views ``X[a:b].T`` and
``W.T``, which are F-contiguous) must give NumPy's product, through the BLAS call and through
its ``np.dot`` fallback (address 0, or an operand with gaps between its elements).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from sigmanet.engine._blas import gemm_address, matmul


def _operands(layout: str, rows: int, cols: int, dtype, rng) -> np.ndarray:
    if layout == "C":
        return rng.standard_normal((rows, cols)).astype(dtype)
    if layout == "F":  # the transpose of a C-contiguous array, as X[a:b].T or W.T
        return rng.standard_normal((cols, rows)).astype(dtype).T
    return rng.standard_normal((rows, 2 * cols)).astype(dtype)[:, ::2]  # neither


# numba warns, when it compiles the product of an operand with gaps, that np.dot is slower
# there: the kernels never pass one, the fallback has to be right all the same
@pytest.mark.filterwarnings("ignore:np.vdot\\(\\) is faster on contiguous arrays")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layouts", ["CC", "FC", "CF", "AC"])
@pytest.mark.parametrize("through_blas", [True, False], ids=["blas", "np.dot"])
def test_the_product_equals_numpy_for_every_layout(dtype, layouts, through_blas):
    rng = np.random.default_rng(0)
    a = _operands(layouts[0], 7, 5, dtype, rng)
    b = _operands(layouts[1], 5, 3, dtype, rng)
    out = np.full((7, 3), np.nan, dtype=dtype)
    address = gemm_address(dtype) if through_blas else 0
    matmul(a, b, out, address)
    expected = a @ b
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_numpys_blas_is_found_where_numpy_bundles_openblas_with_64_bit_integers():
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    bundled = blas.get("name") == "scipy-openblas" and "USE64BITINT" in str(
        blas.get("openblas configuration", "")
    )
    assert (gemm_address(np.float32) != 0) == bundled
    assert (gemm_address(np.float64) != 0) == bundled
    assert gemm_address(np.int64) == 0
