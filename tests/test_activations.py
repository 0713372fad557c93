"""Tests for sigmanet.activations: the numerics page's figures, the registry, input checks."""

from __future__ import annotations

import math
import pickle
import tracemalloc
from collections.abc import Callable
from typing import Any

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigmanet import activations as A

# ---------------------------------------------------------------------------------------------
# Shared data
# ---------------------------------------------------------------------------------------------

CANONICAL = sorted({A.get(name).name for name in A.names()})
ALIASES = {"logistic": "sigmoid", "swish": "silu"}
EXPECTED_NAMES = {
    "sigmoid",
    "log_sigmoid",
    "tanh",
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "gelu_tanh",
    "silu",
    "mish",
    "softplus",
    "hard_sigmoid",
    "hardswish",
    "softsign",
    "identity",
    "generalized_logistic",
}
# Every registry entry, plus the parametrised ones at non-default parameters.
VARIANTS: list[tuple[str, dict[str, float]]] = [(name, {}) for name in CANONICAL] + [
    ("leaky_relu", {"alpha": 0.2}),
    ("elu", {"alpha": 0.5}),
    ("softplus", {"beta": 2.5}),
    ("softplus", {"beta": 0.3}),
    ("generalized_logistic", {"L": 2.0, "k": -1.5, "x0": 0.7}),
]
VARIANT_IDS = [name + "".join(f"-{k}={v}" for k, v in p.items()) for name, p in VARIANTS]
# Where some activation's f, f' or f'' jumps, as registered with it.
KINKS = np.array(sorted({k for e in A.REGISTRY.entries() for k in e.metadata["kinks"]}))

EXTREME = [0.0, 5e-324, 1e-8, 0.25, 1.0, math.pi, 20.0, 35.0, 36.8, 88.0, 89.0, 709.0, 710.0]
EXTREME += [1e3, 1e4, 1e20]
EXTREME_GRID = np.array(sorted({*EXTREME, *(-v for v in EXTREME)}))
DTYPES = [np.float32, np.float64]


def smooth_points(margin: float) -> np.ndarray:
    """Points spanning [-8, 8] (and a few far ones), at least ``margin`` from every kink."""
    x = np.concatenate([np.linspace(-8.0, 8.0, 161) + 0.0123, [-30.0, -15.5, 15.5, 30.0]])
    return x[np.min(np.abs(x[:, None] - KINKS[None, :]), axis=1) >= margin]


def central_difference(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, eps: float):
    return (f(x + x.dtype.type(eps)).astype(np.float64) - f(x - x.dtype.type(eps))) / (2 * eps)


# ---------------------------------------------------------------------------------------------
# mpmath references (50 digits), each written in a form that does not cancel at 50 digits
# ---------------------------------------------------------------------------------------------

mp.mp.dps = 50
_LAMBDA = mp.mpf("1.0507009873554805")
_ALPHA = mp.mpf("1.6732632423543772")
_C = mp.sqrt(2 / mp.pi)
_K = mp.mpf("0.044715")


def _sig(x: Any) -> Any:
    return 1 / (1 + mp.exp(-x))


def _sig_prime(x: Any) -> Any:
    e = mp.exp(-abs(x))
    return e / (1 + e) ** 2


def _softplus(x: Any) -> Any:
    return mp.log1p(mp.exp(x)) if x < 0 else x + mp.log1p(mp.exp(-x))


REFERENCE: dict[str, Callable[[Any], Any]] = {
    "sigmoid": _sig,
    "generalized_logistic": _sig,
    "log_sigmoid": lambda x: -_softplus(-x),
    "tanh": mp.tanh,
    "relu": lambda x: max(x, 0),
    "relu6": lambda x: min(max(x, 0), 6),
    "leaky_relu": lambda x: x if x > 0 else mp.mpf("0.01") * x,
    "elu": lambda x: x if x > 0 else mp.expm1(x),
    "selu": lambda x: _LAMBDA * x if x > 0 else _LAMBDA * _ALPHA * mp.expm1(x),
    "gelu": lambda x: x * mp.ncdf(x),
    # ½x(1 + tanh(u)) = x·σ(2u): the left form cancels even at 50 digits for u ≪ 0.
    "gelu_tanh": lambda x: x * _sig(2 * _C * (x + _K * x**3)),
    "silu": lambda x: x * _sig(x),
    "mish": lambda x: x * mp.tanh(_softplus(x)),
    "softplus": _softplus,
    "hard_sigmoid": lambda x: min(max(x + 3, 0), 6) / 6,
    "hardswish": lambda x: x * min(max(x + 3, 0), 6) / 6,
    "softsign": lambda x: x / (1 + abs(x)),
    "identity": lambda x: x,
}
DERIVATIVE_REFERENCE: dict[str, Callable[[Any], Any]] = {
    "sigmoid": _sig_prime,
    "log_sigmoid": lambda x: _sig(-x),
    "tanh": lambda x: 1 / mp.cosh(x) ** 2,
    "softplus": _sig,
    "silu": lambda x: _sig(x) * (1 + x * _sig(-x)),
    "gelu": lambda x: mp.ncdf(x) + x * mp.npdf(x),
    "gelu_tanh": lambda x: (
        _sig(2 * _C * (x + _K * x**3))
        + x * _sig_prime(2 * _C * (x + _K * x**3)) * 2 * _C * (1 + 3 * _K * x**2)
    ),
    "mish": lambda x: mp.tanh(_softplus(x)) + x * _sig(x) / mp.cosh(_softplus(x)) ** 2,
    "elu": lambda x: 1 if x > 0 else mp.exp(x),
    "selu": lambda x: _LAMBDA if x > 0 else _LAMBDA * _ALPHA * mp.exp(x),
    "softsign": lambda x: 1 / (1 + abs(x)) ** 2,
    "generalized_logistic": _sig_prime,
}


def assert_matches_reference(
    got: np.ndarray, x: np.ndarray, reference: Callable[[Any], Any], dtype: Any, rtol: float
) -> int:
    """Relative error ≤ rtol wherever the true value is a normal number of ``dtype``."""
    info = np.finfo(dtype)
    compared = 0
    for xi, value in zip(x.tolist(), got.astype(np.float64).tolist(), strict=True):
        true = reference(mp.mpf(xi))
        if not info.tiny <= abs(true) <= info.max:
            continue
        error = abs((mp.mpf(value) - true) / true)
        assert error <= rtol, f"x={xi!r}: got {value!r}, true {mp.nstr(true, 20)}, rel {error}"
        compared += 1
    return compared


# ---------------------------------------------------------------------------------------------
# Catalogue and plain-function API
# ---------------------------------------------------------------------------------------------


def test_every_activation_of_the_brief_is_registered() -> None:
    assert set(CANONICAL) == EXPECTED_NAMES
    assert set(A.names()) == EXPECTED_NAMES | set(ALIASES)
    assert A.names() == sorted(A.names())


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES | set(ALIASES)))
def test_plain_functions_exist_and_agree_with_registry(name: str) -> None:
    act = A.get(name)
    x = np.linspace(-5, 5, 23) + 0.01
    for suffix, method in (
        ("", act),
        ("_derivative", act.derivative),
        ("_second_derivative", act.second_derivative),
    ):
        function = getattr(A, name + suffix)
        np.testing.assert_array_equal(function(x), method(x))


def test_parameters_are_keyword_arguments_of_plain_functions() -> None:
    x = np.array([-2.0, 3.0])
    np.testing.assert_array_equal(A.leaky_relu(x, alpha=0.2), [-0.4, 3.0])
    np.testing.assert_array_equal(A.leaky_relu_derivative(x, alpha=0.2), [0.2, 1.0])
    np.testing.assert_allclose(A.elu(x, alpha=2.0), [2 * math.expm1(-2.0), 3.0])
    np.testing.assert_allclose(A.softplus(x, beta=2.0), np.log1p(np.exp(2 * x)) / 2)
    np.testing.assert_allclose(
        A.generalized_logistic(x, L=3.0, k=2.0, x0=1.0), 3 / (1 + np.exp(-2 * (x - 1)))
    )


# ---------------------------------------------------------------------------------------------
# Gradient checks (central differences)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "params"), VARIANTS, ids=VARIANT_IDS)
def test_derivatives_match_central_differences_float64(name: str, params: dict) -> None:
    act = A.get(name, **params)
    x = smooth_points(1e-3)
    np.testing.assert_allclose(
        act.derivative(x), central_difference(act, x, 1e-6), atol=1e-5, rtol=1e-3
    )
    np.testing.assert_allclose(
        act.second_derivative(x),
        central_difference(act.derivative, x, 1e-6),
        atol=1e-5,
        rtol=1e-3,
    )


@pytest.mark.parametrize(("name", "params"), VARIANTS, ids=VARIANT_IDS)
def test_derivatives_match_central_differences_float32(name: str, params: dict) -> None:
    act = A.get(name, **params)
    x = smooth_points(0.05).astype(np.float32)
    np.testing.assert_allclose(
        act.derivative(x), central_difference(act, x, 1e-3), atol=1e-2, rtol=1e-2
    )
    np.testing.assert_allclose(
        act.second_derivative(x),
        central_difference(act.derivative, x, 1e-3),
        atol=1e-2,
        rtol=1e-2,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "params"), VARIANTS, ids=VARIANT_IDS)
def test_backward_is_grad_output_times_derivative(name: str, params: dict, dtype: Any) -> None:
    act = A.get(name, **params)
    rng = np.random.default_rng(0)
    x = np.concatenate([smooth_points(1e-3), [-800.0, 800.0, 0.0, 6.0]]).astype(dtype)
    x = x.reshape(-1, 1) * np.ones((1, 3), dtype=dtype)
    grad_output = rng.normal(size=x.shape).astype(dtype)
    expected = grad_output.astype(np.float64) * act.derivative(x)
    y = act(x)
    eps = np.finfo(dtype).eps
    # Specialised forms such as y(1 - y) are accurate to a few eps absolutely (times |g|),
    # not relatively, where f' is tiny.
    tolerance = 4 * eps * (np.abs(expected) + np.abs(grad_output))

    def check(got: np.ndarray) -> None:
        assert got.dtype == dtype and got.shape == x.shape
        assert (np.abs(got - expected) <= tolerance).all()

    for y_given in (y, None):
        check(act.backward(x, y_given, grad_output))
        out = np.full_like(x, np.nan)
        assert act.backward(x, y_given, grad_output, out=out) is out
        check(out)
    # Writing over grad_output (the in-place update a training loop may do) is safe too.
    overwritten = grad_output.copy()
    act.backward(x, y, overwritten, out=overwritten)
    check(overwritten)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "identity"])
def test_specialised_backward_does_not_allocate(name: str) -> None:
    act = A.get(name)
    x = np.random.default_rng(1).normal(size=(200, 250))
    y, grad_output, out = act(x), np.ones_like(x), np.empty_like(x)
    act.backward(x, y, grad_output, out=out)  # warm up any lazy state
    tracemalloc.start()
    try:
        act.backward(x, y, grad_output, out=out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < x.nbytes // 16, f"backward allocated {peak} bytes for a {x.nbytes}-byte input"


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "relu6", "identity"])
def test_forward_into_out_does_not_allocate(name: str) -> None:
    act = A.get(name)
    x = np.random.default_rng(2).normal(size=(200, 250))
    out = np.empty_like(x)
    act(x, out=out)
    tracemalloc.start()
    try:
        act(x, out=out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < x.nbytes // 16


def test_backward_of_identity_passes_grad_output_through() -> None:
    grad_output = np.array([1.0, -2.0])
    np.testing.assert_array_equal(
        A.get("identity").backward([3.0, 4.0], None, grad_output), [1, -2]
    )


# ---------------------------------------------------------------------------------------------
# Reference values (mpmath, 50 digits) on the extreme grid
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_values_match_mpmath_on_extreme_grid(name: str, dtype: Any) -> None:
    x = EXTREME_GRID.astype(dtype)
    x = np.unique(x[np.isfinite(x)])
    rtol = 1e-13 if dtype == np.float64 else 5e-7
    compared = assert_matches_reference(A.get(name)(x), x, REFERENCE[name], dtype, rtol)
    assert compared >= 10


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(DERIVATIVE_REFERENCE))
def test_derivatives_match_mpmath_on_extreme_grid(name: str, dtype: Any) -> None:
    x = EXTREME_GRID.astype(dtype)
    x = np.unique(x[np.isfinite(x)])
    rtol = 1e-13 if dtype == np.float64 else 5e-7
    got = A.get(name).derivative(x)
    compared = assert_matches_reference(got, x, DERIVATIVE_REFERENCE[name], dtype, rtol)
    assert compared >= 10


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_values_match_mpmath_at_random_points(name: str, dtype: Any) -> None:
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    x = np.concatenate(
        [rng.uniform(-40, 40, 40), rng.uniform(-4, 4, 20), -np.exp(rng.uniform(0, 6.6, 20))]
    ).astype(dtype)
    rtol = 1e-13 if dtype == np.float64 else 5e-7
    assert_matches_reference(A.get(name)(x), x, REFERENCE[name], dtype, rtol)


@pytest.mark.parametrize(
    ("name", "params", "reference"),
    [
        ("leaky_relu", {"alpha": 0.2}, lambda x: x if x > 0 else mp.mpf(0.2) * x),
        ("elu", {"alpha": 0.5}, lambda x: x if x > 0 else mp.mpf(0.5) * mp.expm1(x)),
        ("softplus", {"beta": 2.0}, lambda x: _softplus(2 * x) / 2),
        (
            "generalized_logistic",
            {"L": 2.0, "k": 1.5, "x0": 0.5},
            lambda x: 2 / (1 + mp.exp(-mp.mpf(1.5) * (x - mp.mpf(0.5)))),
        ),
    ],
)
def test_parametrised_values_match_mpmath(name: str, params: dict, reference: Callable) -> None:
    x = np.concatenate([np.linspace(-20, 20, 81), EXTREME_GRID[np.abs(EXTREME_GRID) <= 20]])
    assert_matches_reference(A.get(name, **params)(x), x, reference, np.float64, 1e-13)


# ---------------------------------------------------------------------------------------------
# Limits, NaN, empty arrays, exact expectations
# ---------------------------------------------------------------------------------------------

# name: ((f(-inf), f(+inf)), (f'(-inf), f'(+inf)), (f''(-inf), f''(+inf))), as registered
LIMITS = {entry.name: entry.metadata["limits"] for entry in A.REGISTRY.entries()}


def test_limits_cover_every_activation() -> None:
    assert set(LIMITS) == set(CANONICAL) == EXPECTED_NAMES
    for limits in LIMITS.values():
        assert np.shape(limits) == (3, 2)
    # Spot checks independent of the registrations.
    assert LIMITS["sigmoid"] == ((0, 1), (0, 0), (0, 0))
    assert LIMITS["selu"][0][0] == -A.SELU_LAMBDA * A.SELU_ALPHA
    assert LIMITS["selu"][1][1] == A.SELU_LAMBDA


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(LIMITS))
def test_infinities_give_the_mathematical_limit(name: str, dtype: Any) -> None:
    act = A.get(name)
    x = np.array([-np.inf, np.inf], dtype=dtype)
    for got, expected in zip(
        (act(x), act.derivative(x), act.second_derivative(x)), LIMITS[name], strict=True
    ):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, np.array(expected, dtype=dtype), rtol=1e-6, atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "params"), VARIANTS, ids=VARIANT_IDS)
def test_nan_gives_nan(name: str, params: dict, dtype: Any) -> None:
    act = A.get(name, **params)
    x = np.array([np.nan, 1.5, np.nan], dtype=dtype)
    for method in (act, act.derivative, act.second_derivative):
        got = method(x)
        assert np.isnan(got[[0, 2]]).all() and not np.isnan(got[1])


@pytest.mark.parametrize("shape", [(0,), (0, 3)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CANONICAL)
def test_empty_arrays_give_same_shape_empties(name: str, dtype: Any, shape: tuple) -> None:
    act = A.get(name)
    x = np.empty(shape, dtype=dtype)
    for got in (
        act(x),
        act.derivative(x),
        act.second_derivative(x),
        act.backward(x, act(x), x),
        act(x, out=np.empty(shape, dtype=dtype)),
    ):
        assert got.shape == shape and got.dtype == dtype


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0)])
def test_softmax_family_on_empty_arrays(shape: tuple) -> None:
    x = np.empty(shape)
    for function in (A.softmax, A.log_softmax):
        assert function(x).shape == shape
    assert A.softmax_vjp(x, x).shape == shape
    assert A.log_softmax_vjp(x, x).shape == shape


def test_exact_expectations() -> None:
    assert A.sigmoid(1000.0) == 1.0
    assert A.sigmoid(-1000.0) == 0.0
    assert A.sigmoid(5e-324) == 0.5
    below = np.array([-40.0, -40.5, -41.0, -100.0, -745.0, -1e5, -1e20, -1e300])
    np.testing.assert_array_equal(A.log_sigmoid(below), below)
    above = np.array([40.0, 40.5, 41.0, 100.0, 710.0, 1e5, 1e20, 1e300])
    np.testing.assert_array_equal(A.softplus(above), above)


def test_kinks_follow_the_documented_conventions() -> None:
    assert A.relu_derivative(0.0) == 0.0  # PyTorch's subgradient
    np.testing.assert_array_equal(
        A.relu6_derivative([0.0, 1e-9, 3.0, 6.0 - 1e-9, 6.0]), [0, 1, 1, 1, 0]
    )
    np.testing.assert_allclose(
        A.hard_sigmoid_derivative([-3.0, -2.999, 0.0, 2.999, 3.0]), [0, 1 / 6, 1 / 6, 1 / 6, 0]
    )
    np.testing.assert_allclose(
        A.hardswish_derivative([-4.0, -3.0, -1.5, 1.0, 2.999, 3.0, 4.0]),
        [0, 0, 0, 5 / 6, (2 * 2.999 + 3) / 6, 1, 1],
    )
    np.testing.assert_array_equal(A.leaky_relu_derivative([-1.0, 0.0, 1.0]), [0.01, 0.01, 1])


def test_saturated_derivatives_are_zero_not_nan() -> None:
    for function in (A.silu_derivative, A.silu_second_derivative, A.mish_derivative):
        np.testing.assert_array_equal(function([-1000.0, -1e20, -np.inf]), [0, 0, 0])
    assert A.gelu(-np.inf) == 0 and np.signbit(A.gelu(-np.inf))
    assert A.silu(-np.inf) == 0 and A.mish(-np.inf) == 0 and A.gelu_tanh(-np.inf) == 0


# ---------------------------------------------------------------------------------------------
# Identities (hypothesis)
# ---------------------------------------------------------------------------------------------

finite_floats = st.floats(allow_nan=False, allow_infinity=False)
EPS = np.finfo(np.float64).eps


@settings(max_examples=1000, deadline=None)
@given(finite_floats)
def test_sigmoid_is_symmetric(x: float) -> None:
    assert abs(A.sigmoid(-x) - (1 - A.sigmoid(x))) <= 2 * EPS


@settings(max_examples=1000, deadline=None)
@given(finite_floats)
def test_softplus_difference_is_identity(x: float) -> None:
    difference = A.softplus(x) - A.softplus(-x)
    assert abs(difference - x) <= 4 * EPS * (abs(x) + 1)


@settings(max_examples=1000, deadline=None)
@given(st.floats(-30, 30))
def test_softplus_derivative_is_the_sigmoid(x: float) -> None:
    # The derivative of softplus is exactly the sigmoid (Dugas et al. 2001).
    assert A.softplus_derivative(x) == A.sigmoid(x)
    numerical = central_difference(A.softplus, np.array([x]), 1e-6)[0]
    assert abs(numerical - A.sigmoid(x)) <= 1e-8


@settings(max_examples=1000, deadline=None)
@given(finite_floats)
def test_tanh_is_a_rescaled_sigmoid(x: float) -> None:
    # tanh(x) = 2σ(2x) - 1; 2x overflowing to ±inf still gives the right ±1.
    with np.errstate(over="ignore"):
        twice = np.float64(x) * 2
    assert abs(A.tanh(x) - (2 * A.sigmoid(twice) - 1)) <= 4 * EPS


logit_rows = st.tuples(st.integers(1, 5), st.integers(1, 6)).flatmap(
    lambda shape: st.lists(
        st.floats(-1e3, 1e3), min_size=shape[0] * shape[1], max_size=shape[0] * shape[1]
    ).map(lambda values: np.array(values).reshape(shape))
)


@settings(max_examples=1000, deadline=None)
@given(logit_rows, st.floats(-1e3, 1e3))
def test_softmax_rows_sum_to_one_and_ignore_constant_shifts(x: np.ndarray, c: float) -> None:
    s = A.softmax(x)
    assert (s >= 0).all() and (s <= 1).all()
    assert (np.abs(s.sum(axis=-1) - 1) <= 1e-14).all()
    # x + c rounds each entry by up to ulp(2000)/2 ≈ 2e-13, which moves e^(x - max) by as much.
    assert (np.abs(A.softmax(x + c) - s) <= 2e-12 * s + 1e-15).all()
    assert (A.softmax(x.T, axis=0) == s.T).all()


@settings(max_examples=1000, deadline=None)
@given(logit_rows)
def test_log_softmax_is_log_of_softmax(x: np.ndarray) -> None:
    s = A.softmax(x)
    log_s = A.log_softmax(x)
    positive = s > np.finfo(np.float64).tiny
    expected = np.log(s[positive])
    assert (np.abs(log_s[positive] - expected) <= 1e-13 * (1 + np.abs(expected))).all()
    assert (log_s <= 0).all()


# ---------------------------------------------------------------------------------------------
# No floating-point warnings, dtypes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "params"), VARIANTS, ids=VARIANT_IDS)
def test_no_floating_point_warnings_on_finite_inputs(name: str, params: dict, dtype: Any) -> None:
    info = np.finfo(dtype)
    grid = EXTREME_GRID.astype(dtype)
    special_points = [info.max, -info.max, info.tiny, -info.tiny, info.smallest_subnormal]
    x = np.concatenate(
        [np.linspace(-1e4, 1e4, 20001, dtype=dtype), grid[np.isfinite(grid)], special_points]
    ).astype(dtype)
    act = A.get(name, **params)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        y = act(x)
        results = [y, act.derivative(x), act.second_derivative(x)]
        results.append(act.backward(x, y, np.ones_like(x)))
    for result in results:
        assert result.dtype == dtype
        assert not np.isnan(result).any()


def test_no_floating_point_warnings_in_softmax_family() -> None:
    rng = np.random.default_rng(3)
    for dtype in DTYPES:
        info = np.finfo(dtype)
        x = np.concatenate(
            [
                rng.uniform(-1e4, 1e4, (50, 7)),
                np.full((1, 7), info.max),
                [[-info.max, info.max] + [0.0] * 5],
            ]
        ).astype(dtype)
        g = rng.normal(size=x.shape).astype(dtype)
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            s = A.softmax(x)
            log_s = A.log_softmax(x)
            results = [s, log_s, A.softmax_vjp(s, g), A.log_softmax_vjp(log_s, g)]
            results.append(A.softmax_jacobian(x))
        for result in results:
            assert result.dtype == dtype and not np.isnan(result).any()
        # Only log_softmax of -max next to +max is beyond the float range (-inf).
        assert all(np.isfinite(result).all() for result in (s, *results[2:]))
        assert np.isfinite(log_s[:-1]).all() and np.isneginf(log_s[-1, 0])


@pytest.mark.parametrize(("name", "params"), VARIANTS, ids=VARIANT_IDS)
def test_dtypes(name: str, params: dict) -> None:
    act = A.get(name, **params)
    x32 = np.array([[-2.5, 0.5], [1.5, 4.5]], dtype=np.float32)
    for result in (act(x32), act.derivative(x32), act.second_derivative(x32)):
        assert result.dtype == np.float32
    assert act.backward(x32, act(x32), np.ones_like(x32)).dtype == np.float32
    for integers in ([[-2, 1], [0, 5]], np.array([-2, 1, 0, 5], dtype=np.int32), [True]):
        for result in (act(integers), act.derivative(integers), act.second_derivative(integers)):
            assert result.dtype == np.float64
    scalar = act(1.5)
    assert isinstance(scalar, np.ndarray) and scalar.shape == ()
    np.testing.assert_array_equal(act(np.float16(1.5)), act(np.float32(1.5)))


def test_softmax_family_keeps_float32() -> None:
    x = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    g = np.ones_like(x)
    assert A.softmax(x).dtype == np.float32
    assert A.log_softmax(x).dtype == np.float32
    assert A.softmax_jacobian(x).dtype == np.float32
    assert A.softmax_vjp(A.softmax(x), g).dtype == np.float32
    assert A.log_softmax_vjp(A.log_softmax(x), g).dtype == np.float32
    assert A.softmax([[1, 2]]).dtype == np.float64


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "params"), VARIANTS, ids=VARIANT_IDS)
def test_forward_into_out(name: str, params: dict, dtype: Any) -> None:
    act = A.get(name, **params)
    x = (np.linspace(-7, 7, 12).reshape(3, 4) + 0.01).astype(dtype)
    expected = act(x)
    out = np.full_like(x, np.nan)
    assert act(x, out=out) is out
    np.testing.assert_array_equal(out, expected)
    in_place = x.copy()
    act(in_place, out=in_place)
    np.testing.assert_array_equal(in_place, expected)
    wider = np.empty(x.shape, dtype=np.float64)
    act(x, out=wider)
    np.testing.assert_allclose(wider, expected, rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Softmax: Jacobian and vector-Jacobian products
# ---------------------------------------------------------------------------------------------


def numerical_jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, eps: float = 1e-6):
    """(n, k, k) with J[n, i, j] = ∂f(x)[n, i] / ∂x[n, j]."""
    n, k = x.shape
    jacobian = np.empty((n, k, k))
    for j in range(k):
        step = np.zeros_like(x)
        step[:, j] = eps
        jacobian[:, :, j] = (f(x + step) - f(x - step)) / (2 * eps)
    return jacobian


def test_softmax_jacobian_matches_finite_differences() -> None:
    x = np.random.default_rng(4).normal(size=(4, 5)) * 2
    jacobian = A.softmax_jacobian(x)
    assert jacobian.shape == (4, 5, 5)
    np.testing.assert_allclose(jacobian, numerical_jacobian(A.softmax, x), atol=1e-9, rtol=1e-6)
    np.testing.assert_allclose(jacobian, np.swapaxes(jacobian, 1, 2))  # symmetric
    np.testing.assert_allclose(jacobian.sum(axis=2), 0, atol=1e-15)
    assert A.softmax_jacobian(x[0]).shape == (5, 5)
    np.testing.assert_allclose(A.softmax_jacobian(x[0]), jacobian[0])


def test_softmax_vjp_is_grad_times_jacobian() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 4)) * 3
    grad_output = rng.normal(size=x.shape)
    s = A.softmax(x)
    expected = np.einsum("ni,nij->nj", grad_output, A.softmax_jacobian(x))
    np.testing.assert_allclose(A.softmax_vjp(s, grad_output), expected, atol=1e-15, rtol=1e-12)
    np.testing.assert_allclose(
        A.softmax_vjp(s.T, grad_output.T, axis=0), expected.T, atol=1e-15, rtol=1e-12
    )
    out = np.empty_like(x)
    assert A.softmax_vjp(s, grad_output, out=out) is out


def test_log_softmax_vjp_is_grad_times_jacobian() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(6, 4)) * 3
    grad_output = rng.normal(size=x.shape)
    jacobian = numerical_jacobian(A.log_softmax, x)
    expected = np.einsum("ni,nij->nj", grad_output, jacobian)
    got = A.log_softmax_vjp(A.log_softmax(x), grad_output)
    np.testing.assert_allclose(got, expected, atol=1e-8, rtol=1e-6)
    # Exact Jacobian: δ_ij - s_j.
    exact = np.eye(4)[None] - A.softmax(x)[:, None, :]
    np.testing.assert_allclose(got, np.einsum("ni,nij->nj", grad_output, exact), rtol=1e-12)


def test_softmax_of_extreme_and_non_finite_rows() -> None:
    x = np.array(
        [
            [1000.0, 0.0, -1000.0],
            [-np.inf, 0.0, 0.0],
            [-np.inf, -np.inf, -np.inf],
            [np.inf, 0.0, 1.0],
            [np.nan, 0.0, 1.0],
        ]
    )
    s = A.softmax(x)
    log_s = A.log_softmax(x)
    np.testing.assert_array_equal(s[0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(log_s[0], [0.0, -1000.0, -2000.0])
    np.testing.assert_array_equal(s[1], [0.0, 0.5, 0.5])
    np.testing.assert_array_equal(log_s[1], [-np.inf, -math.log(2), -math.log(2)])
    assert np.isnan(s[2:]).all() and np.isnan(log_s[2:]).all()


# ---------------------------------------------------------------------------------------------
# Textbook identities
# ---------------------------------------------------------------------------------------------


def test_sigmoid_derivative_is_s_times_one_minus_s_with_max_quarter() -> None:
    # dσ/dx = σ(1 - σ), at most 0.25 (at 0), so gradients shrink (Hochreiter 1991).
    x = np.linspace(-12, 12, 2401)
    s = A.sigmoid(x)
    # s(1 - s) cancels for s near 1; sigmanet's form does not, hence the absolute tolerance.
    np.testing.assert_allclose(A.sigmoid_derivative(x), s * (1 - s), rtol=1e-13, atol=4 * EPS)
    assert A.sigmoid_derivative(0.0) == 0.25
    assert A.sigmoid_derivative(x).max() == 0.25
    assert x[np.argmax(A.sigmoid_derivative(x))] == 0.0
    # Through 5 sigmoid layers the chain-rule factor is at most 0.25**5 ≈ 1e-3.
    chain = np.prod([A.sigmoid_derivative(np.linspace(-3, 3, 7)) for _ in range(5)], axis=0)
    assert chain.max() <= 0.25**5


def test_sigmoid_is_the_textbook_formula() -> None:
    # The naive 1.0/(1+np.exp(-x)), where it does not overflow.
    x = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(A.sigmoid(x), 1.0 / (1 + np.exp(-x)), rtol=1e-15)
    np.testing.assert_allclose(A.tanh(x), 2 * A.sigmoid(2 * x) - 1, atol=4 * EPS)


def test_generalized_logistic() -> None:
    # The logistic family L/(1+e^(-k(x-x0))): x0 the midpoint, L the maximum, k the steepness.
    x = np.linspace(-10, 10, 201)
    np.testing.assert_array_equal(A.generalized_logistic(x), A.sigmoid(x))
    L, k, x0 = 3.0, 2.5, -1.0
    assert A.generalized_logistic(x0, L=L, k=k, x0=x0) == L / 2
    assert A.generalized_logistic(np.inf, L=L, k=k, x0=x0) == L
    assert A.generalized_logistic_derivative(x0, L=L, k=k, x0=x0) == L * k / 4
    np.testing.assert_allclose(
        A.generalized_logistic(x, L=L, k=k, x0=x0), L / (1 + np.exp(-k * (x - x0))), rtol=1e-14
    )
    decreasing = A.generalized_logistic(x, k=-1.0)
    assert (np.diff(decreasing) < 0).all()


# ---------------------------------------------------------------------------------------------
# Registry: get / names / register
# ---------------------------------------------------------------------------------------------


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="Unknown activation 'foo'") as info:
        A.get("foo")
    for name in A.names():
        assert name in str(info.value)
    with pytest.raises(ValueError, match="Did you mean 'leaky_relu'"):
        A.get("leaky_rel")
    with pytest.raises(ValueError, match="not elementwise"):
        A.get("softmax")


def test_bad_parameters_are_named() -> None:
    with pytest.raises(TypeError, match=r"'alpha'.*'relu'.*no parameters"):
        A.get("relu", alpha=0.1)
    with pytest.raises(TypeError, match=r"'beta'.*'leaky_relu'.*valid parameters: alpha"):
        A.get("leaky_relu", beta=0.1)
    with pytest.raises(ValueError, match=r"'softplus': beta must be a number > 0; got 0.0"):
        A.get("softplus", beta=0.0)
    with pytest.raises(ValueError, match=r"'elu': alpha must be a finite number; got nan"):
        A.get("elu", alpha=float("nan"))
    with pytest.raises(TypeError, match=r"alpha must be a finite number; got '0.1'"):
        A.get("leaky_relu", alpha="0.1")
    with pytest.raises(ValueError, match=r"'generalized_logistic': k must be .*other than 0"):
        A.generalized_logistic([1.0], k=0.0)
    with pytest.raises(ValueError, match="beta must be a number > 0"):
        A.softplus_derivative([1.0], beta=-1.0)


def test_aliases_resolve_to_canonical_names() -> None:
    for alias, canonical in ALIASES.items():
        act = A.get(alias)
        assert act.name == canonical
        assert act == A.get(canonical)
    assert A.logistic is A.sigmoid and A.swish is A.silu


def test_get_passes_an_activation_through() -> None:
    act = A.get("leaky_relu", alpha=0.3)
    assert A.get(act) is act
    with pytest.raises(TypeError, match="existing Activation"):
        A.get(act, alpha=0.1)
    with pytest.raises(TypeError, match=r"name .str. or an Activation"):
        A.get(3)  # type: ignore[arg-type]


def test_activation_repr_equality_config_and_pickle() -> None:
    act = A.get("leaky_relu", alpha=0.01)
    assert repr(act) == "Activation('leaky_relu', alpha=0.01)"
    assert repr(A.get("relu")) == "Activation('relu')"
    assert act == A.get("leaky_relu") and act != A.get("leaky_relu", alpha=0.2)
    assert act != A.get("relu") and act != "leaky_relu"
    assert len({act, A.get("leaky_relu"), A.get("leaky_relu", alpha=0.2)}) == 2
    assert act.params == {"alpha": 0.01}
    act.params["alpha"] = 5.0  # a copy: the activation is unchanged
    assert act.params == {"alpha": 0.01}
    config = A.get("softplus", beta=2).get_config()
    assert config == {"name": "softplus", "beta": 2.0}
    assert A.get(**config) == A.get("softplus", beta=2.0)
    restored = pickle.loads(pickle.dumps(A.get("generalized_logistic", L=2, k=3)))
    assert restored == A.get("generalized_logistic", L=2.0, k=3.0, x0=0.0)


@pytest.fixture
def scaled_tanh():
    """LeCun's scaled tanh, f(x) = a·tanh(b·x), registered for one test and removed after."""

    def f(x, a, b):
        return a * np.tanh(b * x)

    def df(x, a, b):
        return a * b / np.cosh(b * x) ** 2

    act = A.register("scaled_tanh", f, df, params={"a": 1.7159, "b": 2 / 3})
    yield act
    A.unregister("scaled_tanh")


def test_register_a_custom_activation(scaled_tanh: A.Activation) -> None:
    assert "scaled_tanh" in A.names()
    act = A.get("scaled_tanh")
    assert act == scaled_tanh and act.params == {"a": 1.7159, "b": 2 / 3}
    x = np.linspace(-3, 3, 31)
    np.testing.assert_allclose(act(x), 1.7159 * np.tanh(2 / 3 * x))
    np.testing.assert_allclose(act.derivative(x), central_difference(act, x, 1e-6), rtol=1e-6)
    other = A.get("scaled_tanh", a=1.0, b=1.0)
    np.testing.assert_allclose(other(x), np.tanh(x))
    g = np.full_like(x, 2.0)
    np.testing.assert_allclose(other.backward(x, other(x), g), 2 / np.cosh(x) ** 2)
    out = np.empty_like(x)
    assert other(x, out=out) is out
    assert act(np.float32([1.0])).dtype == np.float32
    with pytest.raises(NotImplementedError, match=r"'scaled_tanh'.*second derivative"):
        act.second_derivative(x)
    with pytest.raises(TypeError, match=r"'c'.*valid parameters: a, b"):
        A.get("scaled_tanh", c=1.0)


def test_duplicate_registration_is_refused(scaled_tanh: A.Activation) -> None:
    for taken in ("scaled_tanh", "relu", "swish"):
        with pytest.raises(ValueError, match="already registered"):
            A.register(taken, np.sin, np.cos)
    A.register("scaled_tanh", np.sin, np.cos, lambda x: -np.sin(x), overwrite=True)
    np.testing.assert_allclose(A.get("scaled_tanh").second_derivative([0.5]), [-math.sin(0.5)])


def test_overwriting_a_builtin_and_restoring_it() -> None:
    A.register("softsign", np.sin, np.cos, overwrite=True)
    try:
        assert A.get("softsign")(0.5) == math.sin(0.5)
    finally:
        A.unregister("softsign")
    assert A.get("softsign")(1.0) == 0.5
    A.register("swish", np.sin, np.cos, overwrite=True)
    assert A.get("swish").name == "swish"
    A.unregister("swish")
    assert A.get("swish") == A.get("silu")
    with pytest.raises(ValueError, match="built in"):
        A.unregister("relu")
    with pytest.raises(ValueError, match="not registered"):
        A.unregister("no_such_activation")


def test_register_validates_its_arguments() -> None:
    with pytest.raises(TypeError, match="derivative must be callable"):
        A.register("broken", np.sin, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="second_derivative must be callable"):
        A.register("broken", np.sin, np.cos, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty"):
        A.register("  ", np.sin, np.cos)
    with pytest.raises(ValueError, match="finite"):
        A.register("broken", np.sin, np.cos, params={"a": float("inf")})
    assert "broken" not in A.names()


def test_user_function_that_is_not_elementwise_is_reported() -> None:
    A.register("summing", lambda x: np.sum(x, keepdims=True), np.ones_like)
    try:
        with pytest.raises(ValueError, match="'summing' returned shape"):
            A.get("summing")(np.ones(3))
    finally:
        A.unregister("summing")


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------

ALL_ELEMENTWISE = [
    getattr(A, name + suffix)
    for name in sorted(EXPECTED_NAMES)
    for suffix in ("", "_derivative", "_second_derivative")
]


@pytest.mark.parametrize("function", ALL_ELEMENTWISE, ids=lambda f: f.__name__)
def test_complex_and_string_input_is_refused(function: Callable) -> None:
    with pytest.raises(TypeError, match=r"x must be real numbers.*complex"):
        function(np.array([1 + 2j]))
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        function(["a", "b"])
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        function("1.0")


def test_bad_out_arrays_are_refused() -> None:
    act = A.get("sigmoid")
    x = np.zeros(3)
    with pytest.raises(ValueError, match=r"out must have the input's shape \(3,\)"):
        act(x, out=np.empty(4))
    with pytest.raises(TypeError, match="out must have a floating dtype"):
        act(x, out=np.empty(3, dtype=np.int64))
    with pytest.raises(TypeError, match=r"out must be a numpy.ndarray"):
        act(x, out=[0.0, 0.0, 0.0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="grad_output"):
        act.backward(x, None, np.ones(4))
    with pytest.raises(ValueError, match="x and y"):
        act.backward(x, np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="grad_output must be real numbers"):
        act.backward(x, None, np.ones(3) * 1j)


def test_softmax_input_checks() -> None:
    with pytest.raises(ValueError, match="at least one dimension"):
        A.softmax(1.0)
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        A.softmax(np.ones((2, 2)), axis=2)
    with pytest.raises(TypeError, match="axis must be an integer"):
        A.log_softmax(np.ones((2, 2)), axis=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same shape"):
        A.softmax_vjp(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="same shape"):
        A.log_softmax_vjp(np.ones(3), np.ones(2))
    with pytest.raises(TypeError, match="s must be real numbers"):
        A.softmax_vjp(np.ones(2) * 1j, np.ones(2))
    with pytest.raises(TypeError, match="x must be"):
        A.softmax_jacobian(["a"])


# ---------------------------------------------------------------------------------------------
# Registered facts: ranges, initializers, kinks, and adding an activation
# ---------------------------------------------------------------------------------------------

WIDE = np.concatenate(
    [np.linspace(-12.0, 12.0, 24001), [-1e300, -1e30, -1e4, 1e4, 1e30, 1e300, -np.inf, np.inf]]
)


@pytest.mark.parametrize(("name", "params"), VARIANTS, ids=VARIANT_IDS)
def test_the_registered_range_is_the_range_of_the_values(name: str, params: dict) -> None:
    act = A.get(name, **params)
    assert act.range is not None
    low, high = act.range
    with np.errstate(over="ignore", under="ignore"):
        values = act(WIDE)
    assert not np.isnan(values).any()
    # Every value lies in the range, and the range is tight: its ends are (nearly) reached.
    assert low <= values.min() and values.max() <= high
    for bound, reached in ((low, values.min()), (high, values.max())):
        assert reached == bound or abs(reached - bound) <= 1e-6 * max(1.0, abs(bound))


def test_ranges_that_depend_on_the_parameters() -> None:
    assert A.get("generalized_logistic", L=-2.0).range == (-2.0, 0.0)
    assert A.get("leaky_relu", alpha=0.0).range == (0.0, np.inf)
    assert A.get("leaky_relu", alpha=-0.5).range == (0.0, np.inf)
    assert A.get("elu", alpha=-0.5).range == (0.0, np.inf)
    assert A.get("elu", alpha=2.0).range == (-2.0, np.inf)
    assert A.bounded_by(0, 1) == ["generalized_logistic", "hard_sigmoid", "sigmoid"]
    assert A.bounded_by(-1, 1) == [
        "generalized_logistic",
        "hard_sigmoid",
        "sigmoid",
        "softsign",
        "tanh",
    ]


@pytest.mark.parametrize("name", CANONICAL)
def test_the_gate_check_agrees_with_the_registered_range(name: str) -> None:
    from sigmanet.recurrent import check_gate_activation

    low, high = A.get(name).range  # type: ignore[misc]
    if low >= 0 and high <= 1:
        assert check_gate_activation(name).name == name
    else:
        with pytest.raises(ValueError, match=r"must lie in \[0, 1\].*Use one of"):
            check_gate_activation(name)


@pytest.mark.parametrize("name", CANONICAL)
def test_the_registered_initializer_exists_and_is_the_default(name: str) -> None:
    from sigmanet import initializers

    initializer = A.REGISTRY.entry(name).metadata["initializer"]
    assert initializer in initializers.names()
    assert initializers.default_for(name) == initializer
    for alias in A.REGISTRY.entry(name).aliases:
        assert initializers.default_for(alias) == initializer


@pytest.mark.parametrize("name", CANONICAL)
def test_registered_kinks_are_where_a_derivative_jumps(name: str) -> None:
    act = A.get(name)
    for kink in A.REGISTRY.entry(name).metadata["kinks"]:
        left, right = np.array([kink - 1e-7]), np.array([kink + 1e-7])
        jumps = [
            abs(float(g(left)[0] - g(right)[0])) > 1e-3
            for g in (act.derivative, act.second_derivative)
        ]
        assert any(jumps), f"{name} is smooth at its registered kink {kink}"


def test_aliases_are_registered_with_their_activation() -> None:
    registered = {alias: e.name for e in A.REGISTRY.entries() for alias in e.aliases}
    assert registered == ALIASES


def test_a_new_family_member_is_added_in_one_place() -> None:
    """LeCun's scaled tanh, f(x) = 1.7159·tanh(2x/3): a new member of the logistic family,
    registered with its facts through the public API and used everywhere at once."""
    from sigmanet import initializers
    from sigmanet.layers import Activation as ActivationLayer
    from sigmanet.recurrent import check_gate_activation

    def f(x, a, b):
        return a * np.tanh(b * x)

    def df(x, a, b):
        return a * b / np.cosh(b * x) ** 2

    def d2f(x, a, b):
        return -2 * a * b * b * np.tanh(b * x) / np.cosh(b * x) ** 2

    A.register(
        "lecun_tanh",
        f,
        df,
        d2f,
        params={"a": 1.7159, "b": 2 / 3},
        initializer="lecun_uniform",
        range=lambda a, b: (-abs(a), abs(a)),
    )
    try:
        act = A.get("lecun_tanh")
        assert "lecun_tanh" in A.names() and act.range == (-1.7159, 1.7159)
        assert A.get("lecun_tanh", a=0.5).range == (-0.5, 0.5)
        assert initializers.default_for("lecun_tanh") == "lecun_uniform"
        assert "lecun_tanh" in A.bounded_by(-2, 2) and "lecun_tanh" not in A.bounded_by(-1, 1)
        with pytest.raises(ValueError, match="cannot be a gate activation"):
            check_gate_activation("lecun_tanh")
        x = np.linspace(-3, 3, 31) + 0.01
        np.testing.assert_allclose(
            act.second_derivative(x), central_difference(act.derivative, x, 1e-6), rtol=1e-6
        )
        layer = ActivationLayer("lecun_tanh")
        layer.build(1, np.random.default_rng(0), np.float64)
        np.testing.assert_allclose(layer.forward(x.reshape(-1, 1)).ravel(), act(x))
    finally:
        A.unregister("lecun_tanh")
    assert "lecun_tanh" not in A.names()
    assert initializers.default_for("lecun_tanh") == "glorot_uniform"
