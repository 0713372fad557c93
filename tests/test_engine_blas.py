"""The compiled kernels' matrix product: NumPy's BLAS called with the operands' layouts.

Every product the kernels form (C-contiguous operands, used as they are or transposed, as
``X[a:b].T`` and ``W.T``) must give NumPy's product, through the BLAS call and through its
``np.dot`` fallback (address 0).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from sigmanet.engine._blas import gemm_address, matmul


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transposed", ["neither", "a", "b"])
@pytest.mark.parametrize("columns", [3, 1], ids=["gemm", "one column"])
@pytest.mark.parametrize("through_blas", [True, False], ids=["blas", "np.dot"])
def test_the_product_equals_numpy_for_every_transposition(dtype, transposed, columns, through_blas):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 7) if transposed == "a" else (7, 5)).astype(dtype)
    b = rng.standard_normal((columns, 5) if transposed == "b" else (5, columns)).astype(dtype)
    out = np.full((7, columns), np.nan, dtype=dtype)
    address = gemm_address(dtype) if through_blas else 0
    matmul(a, transposed == "a", b, transposed == "b", out, address)
    expected = (a.T if transposed == "a" else a) @ (b.T if transposed == "b" else b)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=1e-6 if dtype == np.float32 else 1e-14)


# numba notes that np.dot is slower on strided arrays: this path is for correctness only
@pytest.mark.filterwarnings("ignore::numba.core.errors.NumbaPerformanceWarning")
@pytest.mark.parametrize("strided", ["a", "b"])
@pytest.mark.parametrize("columns", [3, 1])
def test_a_product_of_strided_operands_equals_numpy(strided, columns):
    # several columns: gemm would read a strided view's elements as if they were contiguous,
    # so the product goes through np.dot; one column: the per-row dot products index a in any
    # layout and take b's values as one row. (A strided ``out`` does not compile: numba's
    # np.dot, in the same function, needs it contiguous.)
    rng = np.random.default_rng(1)
    a = rng.standard_normal((7, 10 if strided == "a" else 5))
    b = rng.standard_normal((10 if strided == "b" else 5, columns))
    a = a[:, ::2] if strided == "a" else a
    b = b[::2] if strided == "b" else b
    out = np.full((7, columns), np.nan)
    matmul(a, False, b, False, out, gemm_address(np.float64))
    np.testing.assert_allclose(out, a @ b, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transposed", ["neither", "b"])
def test_one_column_is_a_dot_product_per_row_over_rows_of_any_width(dtype, transposed):
    # 37 and 64 + 3 values a row: whole vector lanes and a remainder; NaN and inf propagate
    rng = np.random.default_rng(2)
    for width in (1, 37, 67):
        a = rng.standard_normal((9, width)).astype(dtype)
        a[3, width // 2] = np.nan
        a[5, 0] = np.inf
        v = rng.standard_normal(width).astype(dtype)
        b = v[None, :] if transposed == "b" else v[:, None]
        out = np.full((9, 1), -1.0, dtype=dtype)
        matmul(a, False, b, transposed == "b", out, gemm_address(dtype))
        expected = (a.astype(np.float64) @ v.astype(np.float64))[:, None]
        assert out.dtype == dtype
        np.testing.assert_allclose(out, expected, rtol=1e-5 if dtype == np.float32 else 1e-13)


def test_numpys_blas_is_found_where_numpy_bundles_openblas_with_64_bit_integers():
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    bundled = blas.get("name") == "scipy-openblas" and "USE64BITINT" in str(
        blas.get("openblas configuration", "")
    )
    assert (gemm_address(np.float32) != 0) == bundled
    assert (gemm_address(np.float64) != 0) == bundled
    assert gemm_address(np.int64) == 0
