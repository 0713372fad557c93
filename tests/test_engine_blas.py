"""The compiled kernels' matrix product: NumPy's BLAS called with the operands' layouts.

Every product the kernels form (C-contiguous operands, used as they are or transposed, as
``X[a:b].T`` and ``W.T``) must give NumPy's product, through the BLAS call and through its
``np.dot`` fallback (address 0).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from sigmanet.engine._blas import gemm_address, matmul, matmul_rows


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transposed", ["neither", "a", "b"])
@pytest.mark.parametrize("accumulate", [False, True], ids=["assign", "accumulate"])
@pytest.mark.parametrize("through_blas", [True, False], ids=["blas", "loops"])
def test_a_product_of_row_strided_views_equals_numpy(dtype, transposed, accumulate, through_blas):
    # every operand a view with contiguous rows at a longer row stride (a step's block of an
    # array stored gate row first: by_gate[:, t]), the product into such a view, added to it
    # with accumulate; the elements between the rows stay untouched
    rng = np.random.default_rng(3)
    whole_a = rng.standard_normal((5, 4, 7) if transposed == "a" else (7, 4, 5)).astype(dtype)
    whole_b = rng.standard_normal((6, 3, 5) if transposed == "b" else (5, 3, 6)).astype(dtype)
    whole_out = rng.standard_normal((7, 2, 6)).astype(dtype)
    a, b, out = whole_a[:, 1], whole_b[:, 2], whole_out[:, 1]
    before = whole_out.copy()
    address = gemm_address(dtype) if through_blas else 0
    matmul_rows(a, transposed == "a", b, transposed == "b", out, accumulate, address)
    product = (a.T if transposed == "a" else a) @ (b.T if transposed == "b" else b)
    expected = before[:, 1] + product if accumulate else product
    np.testing.assert_allclose(out, expected, rtol=1e-5 if dtype == np.float32 else 1e-13)
    assert whole_out.dtype == dtype
    np.testing.assert_array_equal(whole_out[:, [0]], before[:, [0]])


@pytest.mark.parametrize("through_blas", [True, False], ids=["blas", "loops"])
def test_a_row_strided_product_propagates_nan_and_handles_one_row(through_blas):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((1, 9, 4))[:, 2]  # one row: its stride does not matter
    b = rng.standard_normal((4, 2, 3))[:, 0]
    b[1, 2] = np.nan
    out = np.zeros((1, 3))
    matmul_rows(a, False, b, False, out, False, gemm_address(np.float64) if through_blas else 0)
    np.testing.assert_allclose(out, a @ b, rtol=1e-14)
    assert np.isnan(out[0, 2]) and np.isfinite(out[0, :2]).all()


def test_a_product_of_rows_not_contiguous_runs_the_loops():
    # every other column: gemm cannot read it, the loops do
    rng = np.random.default_rng(5)
    a = rng.standard_normal((6, 8))[:, ::2]
    b = rng.standard_normal((4, 5))
    out = np.full((6, 5), 1.0)
    matmul_rows(a, False, b, False, out, True, gemm_address(np.float64))
    np.testing.assert_allclose(out, 1.0 + a @ b, rtol=1e-14)
