"""The float32 tanh of the compiled kernels, and the sigmoid the engine forms from it.

:func:`sigmanet._numerics.rational_tanh.tanh_rational` replaces the C library's ``tanhf``
(which numba calls one element at a time) in float32 loops of the recurrent kernels and of
the training engine; float64 keeps the exact tanh. Its promise: within 7 float32 ulps of tanh
everywhere, exactly ±1 where float32 tanh rounds to ±1, NaN through, no overflow.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from sigmanet._numerics.rational_tanh import SATURATED, tanh_rational  # noqa: E402
from sigmanet.engine import _codes  # noqa: E402
from sigmanet.engine._activations import _sigmoid, _tanh  # noqa: E402


@numba.njit(error_model="numpy")
def _rational(x, out):
    for i in range(x.shape[0]):
        out[i] = tanh_rational(x[i])


@numba.njit(error_model="numpy")
def _engine(x, c, tanh_out, sigmoid_out):
    # the engine's element formulas, as its compiled loops call them
    for i in range(x.shape[0]):
        tanh_out[i] = _tanh(x[i])
        sigmoid_out[i] = _sigmoid(x[i], c)


def _apply(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    _rational(x, out)
    return out


def _grid() -> np.ndarray:
    """A dense sweep to the saturation and beyond, [-1/8, 1/8] in steps of 2⁻²³, and tiny
    magnitudes down to the subnormals."""
    sweep = np.linspace(-12, 12, 2_000_001, dtype=np.float64)
    tiny = np.geomspace(1e-44, 1e-1, 200_001)
    near_zero = np.arange(-(2**20), 2**20 + 1) / np.float64(2**23)
    grid = np.concatenate([sweep, tiny, -tiny, near_zero, [0.0, -0.0]])
    return grid.astype(np.float32)


def _ulps(value: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """The distance of float32 ``value`` from the float64 ``exact``, in float32 ulps of the
    exact value rounded to float32 (its spacing; the smallest subnormal's near zero)."""
    spacing = np.spacing(np.abs(exact.astype(np.float32))).astype(np.float64)
    return np.abs(value.astype(np.float64) - exact) / spacing


def test_within_seven_ulps_of_tanh_on_a_dense_grid():
    x = _grid()
    got = _apply(x)
    assert got.dtype == np.float32
    exact = np.tanh(x.astype(np.float64))
    ulps = _ulps(got, exact)
    assert ulps.max() <= 7, (ulps.max(), x[np.argmax(ulps)])
    # most of the grid is far better than the bound: the bound is not loose by accident
    assert np.median(ulps) <= 1
    # odd, as tanh is
    np.testing.assert_array_equal(_apply(-x), -got)


def test_the_coefficients_are_positive_and_within_their_bound_as_a_function():
    # in float64 the quotient is the fitted function itself: its relative error against tanh
    # is what tests/data/make_tanh_rational.py minimised, below half a float32 ulp
    from sigmanet._numerics import rational_tanh

    P, Q = np.array(rational_tanh._P), np.array(rational_tanh._Q)
    assert (P > 0).all() and (Q > 0).all() and Q[0] == 1  # no cancellation in Horner's rule
    x = np.concatenate([np.linspace(0, 9.1, 400_001)[1:], np.geomspace(1e-8, 1, 10_001)])
    s = x * x
    quotient = x * np.polynomial.polynomial.polyval(s, P) / np.polynomial.polynomial.polyval(s, Q)
    error = np.abs(quotient / np.tanh(x) - 1)
    assert error.max() < 2.5e-8, error.max()
    # a fit, not a loose bound: the error is near its limit in several places (equioscillation)
    assert np.sum(error > 2e-8) > 10


def test_tiny_arguments_are_their_own_tanh():
    tiny = np.array([1e-45, -1e-45, 1e-38, 3e-20, -2e-10, 1e-5], dtype=np.float32)
    np.testing.assert_array_equal(_apply(tiny), tiny)
    zeros = _apply(np.array([0.0, -0.0], dtype=np.float32))
    assert zeros[0] == 0 and not np.signbit(zeros[0]) and np.signbit(zeros[1])


def test_saturation_is_exactly_one_where_float32_tanh_is():
    beyond = np.nextafter(SATURATED, np.float32(np.inf))
    x = np.array([beyond, 9.5, 20, 1e4, 3e38, np.inf], dtype=np.float32)
    np.testing.assert_array_equal(_apply(x), np.ones(6, np.float32))
    np.testing.assert_array_equal(_apply(-x), -np.ones(6, np.float32))
    # and float32 tanh itself rounds to 1 there already
    assert np.tanh(np.float64(SATURATED)).astype(np.float32) == 1


def test_nan_propagates_and_nothing_overflows():
    x = np.array([np.nan, 1e4, -1e4, np.inf, -np.inf, 3.4e38, -3.4e38], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _apply(x)
    assert np.isnan(got[0])
    np.testing.assert_array_equal(got[1:], np.array([1, -1, 1, -1, 1, -1], np.float32))


def test_the_engine_uses_it_for_float32_and_the_exact_formulas_for_float64():
    x64 = np.concatenate([np.linspace(-30, 30, 20_001), [np.nan, np.inf, -np.inf, 1e4, -1e4]])
    for dtype in (np.float32, np.float64):
        x = x64.astype(dtype)
        c = np.array(_codes.CONSTANTS, dtype=dtype)
        tanh, sigmoid = np.empty_like(x), np.empty_like(x)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _engine(x, c, tanh, sigmoid)
        assert tanh.dtype == sigmoid.dtype == dtype
        assert np.isnan(tanh[-5]) and np.isnan(sigmoid[-5])
        np.testing.assert_array_equal(tanh[-4:], [1, -1, 1, -1])
        np.testing.assert_array_equal(sigmoid[-4:], [1, 0, 1, 0])
        finite = x[:-5]
        expected_sigmoid = 1 / (1 + np.exp(-finite.astype(np.float64)))
        if dtype == np.float64:
            # the C library's tanh; NumPy's vectorised one may differ in the last bit
            np.testing.assert_allclose(tanh[:-5], np.tanh(finite), rtol=1e-15, atol=1e-300)
            np.testing.assert_allclose(sigmoid[:-5], expected_sigmoid, rtol=1e-15, atol=0)
        else:
            np.testing.assert_array_equal(tanh[:-5], _apply(finite))
            # σ = ½ + ½ tanh(x/2): an absolute error of at most half tanh's near 1
            error = np.abs(sigmoid[:-5].astype(np.float64) - expected_sigmoid)
            assert error.max() <= 4e-7, error.max()


def test_the_recurrent_kernels_share_the_one_definition():
    from sigmanet.layers.recurrent import _compiled, _compiled_gru, _compiled_simple

    for module in (_compiled, _compiled_gru, _compiled_simple):
        assert module._tanh_rational is tanh_rational, module.__name__
