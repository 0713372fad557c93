"""The vectorised e^x of the compiled kernels (``sigmanet._numerics.vector_exp``).

Its promise: within about an ulp of e^x in float32 and float64 over the whole range, subnormal
results included; ``inf`` beyond the overflow threshold and ``0`` below the underflow one,
with no warning; NaN through; the dtype kept. The reference is e^x in NumPy's extended
precision (``np.longdouble``), rounded where the result is compared.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from sigmanet._numerics.vector_exp import exp  # noqa: E402

pytestmark = pytest.mark.skipif(
    np.finfo(np.longdouble).nmant < 63, reason="needs an extended-precision reference"
)


@numba.njit(error_model="numpy")
def _apply(x, out):
    for i in range(x.shape[0]):
        out[i] = exp(x[i])


def _exp(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _apply(x, out)
    return out


# just beyond the thresholds: e^x overflows above, rounds to 0 below
_RANGE = {np.float32: (-110.0, 95.0), np.float64: (-760.0, 720.0)}


def _grid(dtype) -> np.ndarray:
    low, high = _RANGE[dtype]
    tiny = np.geomspace(1e-30, 1e-2, 20_001)
    return np.concatenate(
        [np.linspace(low, high, 2_000_001), np.linspace(-1, 1, 400_001), tiny, -tiny]
    ).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_within_about_an_ulp_of_exp_over_the_whole_range(dtype):
    x = _grid(dtype)
    got = _exp(x)
    assert got.dtype == dtype
    with np.errstate(over="ignore"):
        exact = np.exp(x.astype(np.longdouble))
        rounded = exact.astype(dtype)
    finite = np.isfinite(rounded) & (rounded != 0)
    spacing = np.spacing(rounded[finite]).astype(np.longdouble)
    ulps = np.abs(got[finite].astype(np.longdouble) - exact[finite]) / spacing
    assert ulps.max() <= 1.05, (float(ulps.max()), x[finite][np.argmax(ulps)])
    assert np.median(ulps) < 0.3  # not a loose bound by accident
    # subnormal results are among them, within the same bound
    assert np.sum(rounded[finite] < np.finfo(dtype).tiny) > 1000
    # where e^x rounds to inf or to 0, the same
    np.testing.assert_array_equal(got[~finite], rounded[~finite])
    assert np.isinf(got).any() and (got == 0).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values(dtype):
    info = np.finfo(dtype)
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, info.max, -info.max, info.tiny], dtype)
    got = _exp(x)
    assert np.isnan(got[0])
    np.testing.assert_array_equal(got[1:], np.array([np.inf, 0, 1, 1, np.inf, 0, 1], dtype))


def test_python_cannot_call_it():
    with pytest.raises(TypeError, match="compiled"):
        exp(1.0)
