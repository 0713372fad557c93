"""Tests of sigmanet.optimizers: formulas, convergence, scikit-learn parity, memory, state."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from sigmanet import optimizers
from sigmanet.exceptions import SigmanetError
from sigmanet.optimizers import (
    Adagrad,
    Adam,
    AdamW,
    GradientDescent,
    GradientOverflowError,
    Optimizer,
    RMSProp,
)

# One configuration per code path: (registry name, constructor parameters).
CONFIGS = [
    ("sgd", {"learning_rate": 0.1}),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.9}),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adam", {"learning_rate": 0.05}),
    ("adamw", {"learning_rate": 0.05, "weight_decay": 0.1}),
    ("rmsprop", {"learning_rate": 0.01}),
    ("rmsprop", {"learning_rate": 0.01, "momentum": 0.5}),
    ("adagrad", {"learning_rate": 0.5, "initial_accumulator_value": 0.1}),
]
CONFIG_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw in CONFIGS]


def make(name: str, params: dict) -> Optimizer:
    return optimizers.get(name, **params)


def random_problem(seed: int = 0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    params = [
        rng.standard_normal((4, 3)).astype(dtype),
        rng.standard_normal(3).astype(dtype),
    ]
    grads = [[rng.standard_normal(p.shape).astype(dtype) for p in params] for _ in range(5)]
    return params, grads


@pytest.fixture(scope="module")
def quadratic():
    """f(w) = ½ wᵀAw - bᵀw with A symmetric positive definite: minimum at A⁻¹b."""
    rng = np.random.default_rng(42)
    M = rng.standard_normal((5, 5))
    A = M @ M.T + np.eye(5)
    b = rng.standard_normal(5)
    return A, b, np.linalg.solve(A, b)


# -- convergence ---------------------------------------------------------------------------


# Constant-step RMSProp (and Adam) hovers at a distance of order η from the minimum, so the
# loop anneals η for them, as a schedule would; the tolerance reflects the final η.
QUADRATIC_RUNS = [
    ("sgd", {"learning_rate": 0.05}, False, 1e-10),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.9}, False, 1e-10),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}, False, 1e-10),
    ("adam", {"learning_rate": 0.05}, True, 1e-8),
    ("adamw", {"learning_rate": 0.05, "weight_decay": 0.0}, True, 1e-8),
    ("rmsprop", {"learning_rate": 0.01}, True, 1e-4),
    ("rmsprop", {"learning_rate": 0.01, "momentum": 0.9}, True, 1e-4),
    ("adagrad", {"learning_rate": 1.0}, False, 1e-10),
]


@pytest.mark.parametrize(("name", "params", "anneal", "tol"), QUADRATIC_RUNS)
def test_converges_on_convex_quadratic(quadratic, name, params, anneal, tol):
    A, b, w_star = quadratic
    optimizer = make(name, params)
    w = np.zeros(5)
    lr0 = optimizer.learning_rate
    for i in range(3000):
        if anneal:
            optimizer.learning_rate = lr0 * 0.998**i
        optimizer.step([w], [A @ w - b])
    assert np.abs(w - w_star).max() < tol


def test_adamw_without_decay_is_adam_and_decay_is_decoupled():
    params, grads = random_problem(11)
    adam_params = [p.copy() for p in params]
    adamw_params = [p.copy() for p in params]
    adam, adamw = Adam(0.01), AdamW(0.01, weight_decay=0.0)
    for g in grads:
        adam.step(adam_params, g)
        adamw.step(adamw_params, g)
    for a, b in zip(adam_params, adamw_params, strict=True):
        assert_array_equal(a, b)

    # With zero gradient the moments stay 0, so only the decay acts: w ← (1 - ηλ) w exactly,
    # proportional to w. An L2 penalty routed through Adam would instead move every
    # coordinate by about η whatever its size.
    w = np.array([1.0, -3.0, 100.0])
    decayed = AdamW(learning_rate=0.1, weight_decay=0.5)
    for _ in range(4):
        decayed.step([w], [np.zeros(3)])
    assert_allclose(w, np.array([1.0, -3.0, 100.0]) * 0.95**4, rtol=1e-14)


def rosenbrock_gradient(x: np.ndarray) -> np.ndarray:
    """∇ of (1 - x₀)² + 100 (x₁ - x₀²)²."""
    return np.array(
        [-2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] ** 2), 200.0 * (x[1] - x[0] ** 2)]
    )


def test_adam_gets_close_on_rosenbrock():
    x = np.array([-1.2, 1.0])
    optimizer = Adam(learning_rate=0.02)
    for _ in range(5000):
        optimizer.step([x], [rosenbrock_gradient(x)])
    assert_allclose(x, [1.0, 1.0], atol=1e-3)


# -- first three steps against the formulas written out ------------------------------------


def reference_steps(name: str, params: dict, w0: np.ndarray, grads: list[np.ndarray]):
    """Each optimizer's update written out directly from its formula, in float64."""
    w = w0.copy()
    lr = params["learning_rate"]
    out = []
    if name == "sgd":
        mu = params.get("momentum", 0.0)
        v = np.zeros_like(w)
        for g in grads:
            if mu == 0.0:
                w = w - lr * g
            else:
                v = mu * v - lr * g
                w = w + (mu * v - lr * g if params.get("nesterov") else v)
            out.append(w.copy())
    elif name in ("adam", "adamw"):
        b1, b2, eps = 0.9, 0.999, 1e-8
        wd = params.get("weight_decay", 0.0)
        m = np.zeros_like(w)
        v = np.zeros_like(w)
        for t, g in enumerate(grads, start=1):
            w = w - lr * wd * w
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            w = w - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
            out.append(w.copy())
    elif name == "rmsprop":
        rho, eps, mu = 0.9, 1e-8, params.get("momentum", 0.0)
        v = np.zeros_like(w)
        buf = np.zeros_like(w)
        for g in grads:
            v = rho * v + (1 - rho) * g**2
            if mu > 0:
                buf = mu * buf + g / (np.sqrt(v) + eps)
                w = w - lr * buf
            else:
                w = w - lr * g / (np.sqrt(v) + eps)
            out.append(w.copy())
    elif name == "adagrad":
        G = np.full_like(w, params.get("initial_accumulator_value", 0.0))
        for g in grads:
            G = G + g**2
            w = w - lr * g / (np.sqrt(G) + 1e-8)
            out.append(w.copy())
    return out


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_first_three_steps_match_the_formula(name, params):
    rng = np.random.default_rng(7)
    w0 = rng.standard_normal(6)
    grads = [rng.standard_normal(6) for _ in range(3)]
    expected = reference_steps(name, params, w0, grads)
    optimizer = make(name, params)
    w = w0.copy()
    for g, want in zip(grads, expected, strict=True):
        optimizer.step([w], [g])
        assert_allclose(w, want, rtol=1e-13, atol=1e-15)
    assert optimizer.iterations == 3
    assert not np.allclose(w, w0)


def test_adam_first_step_moves_each_coordinate_by_learning_rate_and_places_epsilon():
    # At t = 1, m = (1-β₁)g and √v = √(1-β₂)|g|, so the step is η·sign(g)·s/(s + ε) with
    # s = √(1-β₂)|g|: ε sits beside the uncorrected √v (scikit-learn's placement). PyTorch's
    # placement would give s/(s + ε√(1-β₂)) instead, visibly different at g = 1e-3.
    optimizer = Adam(learning_rate=0.1)
    w = np.zeros(4)
    g = np.array([3.0, -0.5, 1e-3, -200.0])
    optimizer.step([w], [g])
    s = math.sqrt(0.001) * np.abs(g)
    assert_allclose(w, -0.1 * np.sign(g) * s / (s + 1e-8), rtol=1e-12)
    assert_allclose(w[[0, 1, 3]], -0.1 * np.sign(g[[0, 1, 3]]), rtol=1e-6)
    torch_placement = -0.1 * s[2] / (s[2] + 1e-8 * math.sqrt(0.001))
    assert abs(w[2] - torch_placement) > 1e-5


# -- scikit-learn parity --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("momentum", "nesterov"), [(0.0, False), (0.9, False), (0.9, True), (0.5, True)]
)
def test_gradient_descent_matches_sklearn_sgd_bit_for_bit(momentum, nesterov):
    params, grads = random_problem(1)
    ours = [p.copy() for p in params]
    theirs = [p.copy() for p in params]
    sk = SGDOptimizer(theirs, learning_rate_init=0.1, momentum=momentum, nesterov=nesterov)
    optimizer = GradientDescent(learning_rate=0.1, momentum=momentum, nesterov=nesterov)
    for g in grads:
        optimizer.step(ours, g)
        sk.update_params(theirs, g)
        for a, b in zip(ours, theirs, strict=True):
            assert_array_equal(a, b)
    assert not np.array_equal(ours[0], params[0])


@pytest.mark.parametrize(
    ("learning_rate", "beta_1", "beta_2", "epsilon"),
    [(1e-3, 0.9, 0.999, 1e-8), (0.05, 0.5, 0.9, 1e-4), (0.1, 0.0, 0.0, 1e-8)],
)
def test_adam_matches_sklearn_bit_for_bit(learning_rate, beta_1, beta_2, epsilon):
    params, grads = random_problem(2)
    ours = [p.copy() for p in params]
    theirs = [p.copy() for p in params]
    sk = AdamOptimizer(theirs, learning_rate, beta_1, beta_2, epsilon)
    optimizer = Adam(learning_rate, beta_1, beta_2, epsilon)
    for g in grads:
        optimizer.step(ours, g)
        sk.update_params(theirs, g)
        for a, b in zip(ours, theirs, strict=True):
            assert_array_equal(a, b)
    # scikit-learn overwrites its learning_rate with the bias-corrected one; sigmanet keeps
    # the base rate so that schedules can set it (with β₁ = β₂ = 0 there is no correction).
    assert optimizer.learning_rate == learning_rate
    assert (sk.learning_rate != learning_rate) == (beta_1 > 0)


def test_adam_uses_the_learning_rate_set_between_steps():
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(3)]
    rates = [0.1, 0.01, 0.3]
    optimizer = Adam()
    w = w0.copy()
    m = np.zeros(5)
    v = np.zeros(5)
    expected = w0.copy()
    for t, (g, lr) in enumerate(zip(grads, rates, strict=True), start=1):
        optimizer.learning_rate = lr
        optimizer.step([w], [g])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected = expected - lr * math.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-8)
        assert_allclose(w, expected, rtol=1e-13)


# -- dtypes, allocation, gradients untouched -----------------------------------------------


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_float32_stays_float32_and_agrees_with_float64(name, params):
    p64, grads64 = random_problem(4)
    p32 = [p.astype(np.float32) for p in p64]
    grads32 = [[g.astype(np.float32) for g in gs] for gs in grads64]
    opt32, opt64 = make(name, params), make(name, params)
    for g32, g64 in zip(grads32, grads64, strict=True):
        opt32.step(p32, g32)
        opt64.step(p64, g64)
    for a, b in zip(p32, p64, strict=True):
        assert a.dtype == np.float32
        assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    state = opt32.state_dict()
    buffers = [a for key, value in state.items() if isinstance(value, list) for a in value]
    assert all(a.dtype == np.float32 for a in buffers)
    if name != "sgd" or params.get("momentum"):
        assert buffers


def test_float32_params_with_numpy_float64_learning_rate_stay_float32():
    optimizer = GradientDescent(learning_rate=0.1, momentum=0.9)
    optimizer.learning_rate = np.float64(0.25)
    assert type(optimizer.learning_rate) is float
    w = np.ones(3, dtype=np.float32)
    optimizer.step([w], [np.ones(3, dtype=np.float32)])
    assert w.dtype == np.float32
    assert_allclose(w, 0.75)


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_steady_state_step_allocates_nothing(name, params):
    rng = np.random.default_rng(5)
    # Both parameters are large: any array allocated per step would be >= 80 kB, far above
    # the limit, while the limit leaves room for the few small Python objects a call creates.
    weights = [
        rng.standard_normal(100_000).astype(np.float32),
        rng.standard_normal((200, 100)).astype(np.float32),
    ]
    grads = [np.full_like(w, 1e-3) for w in weights]
    optimizer = make(name, params)
    tracemalloc.start()
    try:
        optimizer.step(weights, grads)
        optimizer.step(weights, grads)
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        for _ in range(50):
            optimizer.step(weights, grads)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - baseline < 8 * 1024
    assert current - baseline < 1024
    assert optimizer.iterations == 52


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_gradients_are_not_modified(name, params):
    p, grads = random_problem(6)
    before = [[g.copy() for g in gs] for gs in grads]
    optimizer = make(name, params)
    for gs in grads:
        optimizer.step(p, gs)
    for gs, saved in zip(grads, before, strict=True):
        for g, s in zip(gs, saved, strict=True):
            assert_array_equal(g, s)


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_empty_and_zero_size_parameters(name, params):
    optimizer = make(name, params)
    optimizer.step([], [])
    w = np.empty((0, 3))
    optimizer = make(name, params)
    optimizer.step([w], [np.empty((0, 3))])
    optimizer.step([w], [np.empty((0, 3))])
    assert w.shape == (0, 3)


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_nan_gradient_gives_nan_parameter_without_warnings(name, params):
    optimizer = make(name, params)
    w = np.ones(3)
    optimizer.step([w], [np.array([np.nan, 1.0, -1.0])])
    assert np.isnan(w[0])
    assert np.all(np.isfinite(w[1:]))


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_finite_gradients_never_warn(name, params, dtype):
    big = float(np.finfo(dtype).max) / 4
    w = np.ones(3, dtype=dtype)
    optimizer = make(name, params)
    grad = np.array([big, -big, 1.0], dtype=dtype)
    if name == "sgd":
        # A diverging step: the parameters overflow to ±inf (the training loop's loss check
        # reports it), silently as far as NumPy is concerned.
        optimizer.learning_rate = 100.0
        optimizer.step([w], [grad])
        assert np.isinf(w[0]) or np.isinf(w[1])
    else:
        before = w.copy()
        with pytest.raises(GradientOverflowError, match=r"grads\[0\].*overflows") as info:
            optimizer.step([w], [grad])
        assert isinstance(info.value, SigmanetError)
        assert isinstance(info.value, FloatingPointError)
        assert_array_equal(w, before)
        assert optimizer.iterations == 0


def test_adam_large_but_squarable_gradient_steps_by_learning_rate():
    # |g| = 1e18 squares to 1e36 < float32 max: Adam's step is still ~η per coordinate.
    w = np.zeros(2, dtype=np.float32)
    optimizer = Adam(learning_rate=0.1)
    optimizer.step([w], [np.array([1e18, -1e18], dtype=np.float32)])
    assert_allclose(w, [-0.1, 0.1], rtol=1e-4)


def test_overflow_error_leaves_earlier_parameters_and_state_untouched():
    optimizer = Adam(learning_rate=0.1)
    a = np.ones(3)
    b = np.ones(2)
    optimizer.step([a, b], [np.ones(3), np.ones(2)])
    saved = optimizer.state_dict()
    a_before, b_before = a.copy(), b.copy()
    with pytest.raises(GradientOverflowError, match=r"grads\[1\]"):
        optimizer.step([a, b], [np.ones(3), np.array([1e300, 0.0])])
    assert_array_equal(a, a_before)
    assert_array_equal(b, b_before)
    after = optimizer.state_dict()
    assert after["iterations"] == saved["iterations"] == 1
    for key in ("m", "v"):
        for x, y in zip(after[key], saved[key], strict=True):
            assert_array_equal(x, y)


def test_zero_learning_rate_from_a_schedule_leaves_parameters_unchanged():
    optimizer = GradientDescent(learning_rate=0.1)
    optimizer.learning_rate = 0.0
    w = np.arange(3.0)
    optimizer.step([w], [np.ones(3)])
    assert_array_equal(w, [0.0, 1.0, 2.0])


# -- state -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_state_dict_round_trip_continues_identically(name, params):
    p, grads = random_problem(8)
    first = make(name, params)
    for gs in grads[:3]:
        first.step(p, gs)
    state = first.state_dict()
    resumed_params = [x.copy() for x in p]
    for gs in grads[3:]:
        first.step(p, gs)

    second = make(name, params)
    second.load_state_dict(state)
    assert second.iterations == 3
    for gs in grads[3:]:
        second.step(resumed_params, gs)
    for a, b in zip(p, resumed_params, strict=True):
        assert_array_equal(a, b)
    assert second.state_dict().keys() == first.state_dict().keys()


def test_state_dict_holds_copies_and_restores_learning_rate():
    optimizer = Adam(learning_rate=0.01)
    w = np.ones(3)
    optimizer.step([w], [np.ones(3)])
    state = optimizer.state_dict()
    m_saved = state["m"][0].copy()
    optimizer.step([w], [np.ones(3)])
    assert_array_equal(state["m"][0], m_saved)

    state["learning_rate"] = 0.5
    fresh = Adam(learning_rate=0.01)
    fresh.load_state_dict(state)
    assert fresh.learning_rate == 0.5
    state["m"][0][:] = 123.0
    assert not np.any(fresh.state_dict()["m"][0] == 123.0)


def test_state_dict_before_first_step_is_empty_and_loadable():
    optimizer = Adam()
    state = optimizer.state_dict()
    assert state == {"iterations": 0, "learning_rate": 1e-3, "m": [], "v": []}
    other = Adam()
    other.load_state_dict(state)
    w = np.ones(2)
    other.step([w], [np.ones(2)])
    assert other.iterations == 1


def test_load_state_dict_rejects_wrong_keys_shapes_and_params():
    adam = Adam()
    w = np.ones(3)
    adam.step([w], [np.ones(3)])
    state = adam.state_dict()
    with pytest.raises(ValueError, match="keys"):
        RMSProp().load_state_dict(state)
    bad = dict(state)
    bad["v"] = [np.ones(4)]
    with pytest.raises(ValueError, match=r"state\['v'\]\[0\] has shape \(4,\)"):
        Adam().load_state_dict(bad)
    bad = dict(state)
    bad["v"] = []
    with pytest.raises(ValueError, match="different lengths"):
        Adam().load_state_dict(bad)
    bad = dict(state)
    bad["iterations"] = -1
    with pytest.raises(ValueError, match="iterations"):
        Adam().load_state_dict(bad)
    with pytest.raises(TypeError, match="mapping"):
        Adam().load_state_dict([1, 2])

    loaded = Adam()
    loaded.load_state_dict(state)
    with pytest.raises(ValueError, match=r"params\[0\] has shape \(5,\).*shape \(3,\)"):
        loaded.step([np.ones(5)], [np.ones(5)])


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_reset_forgets_state(name, params):
    rng = np.random.default_rng(9)
    w0 = rng.standard_normal(4)
    g = rng.standard_normal(4)
    used = make(name, params)
    w = w0.copy()
    for _ in range(3):
        used.step([w], [g])
    used.reset()
    assert used.iterations == 0
    w_used = w0.copy()
    used.step([w_used], [g])
    w_fresh = w0.copy()
    make(name, params).step([w_fresh], [g])
    assert_array_equal(w_used, w_fresh)
    # After reset the optimizer accepts parameters of another shape.
    used.reset()
    used.step([np.ones((2, 2))], [np.ones((2, 2))])


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "kwargs", "name"),
    [
        (GradientDescent, {"learning_rate": 0.0}, "learning_rate"),
        (GradientDescent, {"learning_rate": -0.1}, "learning_rate"),
        (GradientDescent, {"learning_rate": float("nan")}, "learning_rate"),
        (GradientDescent, {"learning_rate": float("inf")}, "learning_rate"),
        (GradientDescent, {"momentum": 1.0}, "momentum"),
        (GradientDescent, {"momentum": -0.1}, "momentum"),
        (GradientDescent, {"momentum": 0.0, "nesterov": True}, "nesterov"),
        (Adam, {"beta_1": 1.0}, "beta_1"),
        (Adam, {"beta_2": -0.01}, "beta_2"),
        (Adam, {"epsilon": 0.0}, "epsilon"),
        (Adam, {"learning_rate": -1e-3}, "learning_rate"),
        (AdamW, {"weight_decay": -0.1}, "weight_decay"),
        (AdamW, {"beta_1": 1.5}, "beta_1"),
        (RMSProp, {"rho": 1.0}, "rho"),
        (RMSProp, {"epsilon": -1e-8}, "epsilon"),
        (RMSProp, {"momentum": 1.0}, "momentum"),
        (Adagrad, {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
        (Adagrad, {"epsilon": float("nan")}, "epsilon"),
    ],
)
def test_bad_hyper_parameters_raise_value_error_naming_them(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls(**kwargs)


@pytest.mark.parametrize(
    ("cls", "kwargs", "name"),
    [
        (GradientDescent, {"learning_rate": "0.1"}, "learning_rate"),
        (GradientDescent, {"nesterov": "yes", "momentum": 0.9}, "nesterov"),
        (Adam, {"beta_1": None}, "beta_1"),
        (RMSProp, {"rho": True}, "rho"),
    ],
)
def test_hyper_parameters_of_the_wrong_type_raise_type_error(cls, kwargs, name):
    with pytest.raises(TypeError, match=name):
        cls(**kwargs)


def test_learning_rate_setter_validates():
    optimizer = Adam()
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="learning_rate"):
            optimizer.learning_rate = bad
    with pytest.raises(TypeError, match="learning_rate"):
        optimizer.learning_rate = "fast"
    assert optimizer.learning_rate == 1e-3


def test_mismatched_shapes_raise_naming_the_index_and_shapes():
    optimizer = Adam()
    with pytest.raises(ValueError, match=r"grads\[1\] has shape \(3,\), but params\[1\].*\(2,\)"):
        optimizer.step([np.ones(4), np.ones(2)], [np.ones(4), np.ones(3)])
    with pytest.raises(ValueError, match="same length"):
        optimizer.step([np.ones(4), np.ones(2)], [np.ones(4)])
    assert optimizer.iterations == 0


def test_parameters_changing_between_steps_raise():
    optimizer = GradientDescent(learning_rate=0.1, momentum=0.9)
    optimizer.step([np.ones(3), np.ones((2, 2))], [np.ones(3), np.ones((2, 2))])
    with pytest.raises(ValueError, match=r"got 1 parameters.*built for 2"):
        optimizer.step([np.ones(3)], [np.ones(3)])
    with pytest.raises(ValueError, match=r"params\[1\] has shape \(4,\).*shape \(2, 2\)"):
        optimizer.step([np.ones(3), np.ones(4)], [np.ones(3), np.ones(4)])
    with pytest.raises(ValueError, match=r"params\[0\].*float32.*float64"):
        optimizer.step(
            [np.ones(3, np.float32), np.ones((2, 2))], [np.ones(3, np.float32), np.ones((2, 2))]
        )
    # Plain gradient descent has no buffers but still checks its parameters.
    plain = GradientDescent()
    plain.step([np.ones(3)], [np.ones(3)])
    with pytest.raises(ValueError, match=r"params\[0\]"):
        plain.step([np.ones(2)], [np.ones(2)])


def test_bad_argument_types_for_step():
    optimizer = Adam()
    with pytest.raises(TypeError, match="params must be a sequence"):
        optimizer.step(np.ones(3), [np.ones(3)])
    with pytest.raises(TypeError, match="grads must be a sequence"):
        optimizer.step([np.ones(3)], np.ones(3))
    with pytest.raises(TypeError, match=r"params\[0\] must be a float32 or float64"):
        optimizer.step([np.ones(3, dtype=np.int64)], [np.ones(3)])
    with pytest.raises(TypeError, match=r"params\[0\] must be a float32 or float64"):
        optimizer.step([[1.0, 2.0]], [np.ones(2)])
    with pytest.raises(TypeError, match=r"grads\[0\] must be real"):
        optimizer.step([np.ones(2)], [np.ones(2, dtype=complex)])
    frozen = np.ones(2)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match=r"params\[0\] is read-only"):
        optimizer.step([frozen], [np.ones(2)])


def test_list_gradients_are_accepted():
    optimizer = GradientDescent(learning_rate=0.5)
    w = np.ones(2)
    optimizer.step([w], [[1.0, 2.0]])
    assert_allclose(w, [0.5, 0.0])


# -- registry and config ---------------------------------------------------------------------


def test_names():
    assert optimizers.names() == ["adagrad", "adam", "adamw", "gd", "rmsprop", "sgd"]


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("sgd", GradientDescent),
        ("gd", GradientDescent),
        ("Adam", Adam),
        ("adamw", AdamW),
        (" RMSProp ", RMSProp),
        ("adagrad", Adagrad),
    ],
)
def test_get_by_name(name, cls):
    optimizer = optimizers.get(name)
    assert type(optimizer) is cls
    assert optimizers.get(name, learning_rate=0.5).learning_rate == 0.5


def test_get_errors():
    with pytest.raises(ValueError, match="Unknown optimizer 'lbfgs'") as info:
        optimizers.get("lbfgs")
    for valid in optimizers.names():
        assert repr(valid) in str(info.value)
    with pytest.raises(TypeError, match=r"unexpected parameter\(s\) \['rho'\].*beta_1"):
        optimizers.get("adam", rho=0.9)
    adam = Adam()
    assert optimizers.get(adam) is adam
    with pytest.raises(ValueError, match="instance"):
        optimizers.get(adam, learning_rate=0.1)
    with pytest.raises(TypeError, match="name or an Optimizer"):
        optimizers.get(3)


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_get_config_round_trip(name, params):
    optimizer = make(name, params)
    config = optimizer.get_config()
    for key, value in params.items():
        assert config[key] == value
    rebuilt = optimizers.get(optimizer.name, **config)
    assert type(rebuilt) is type(optimizer)
    assert rebuilt.get_config() == config
    assert type(optimizer).__name__ in repr(optimizer)


def test_base_class_has_no_update():
    with pytest.raises(NotImplementedError):
        Optimizer(0.1).step([np.ones(1)], [np.ones(1)])


# -- properties ------------------------------------------------------------------------------

finite_floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(finite_floats, min_size=1, max_size=8),
    st.floats(1e-4, 1.0),
    st.floats(0.0, 0.99),
)
def test_first_momentum_step_equals_plain_descent(values, lr, momentum):
    # From zero velocity v = -ηg, so the first classical momentum step is plain descent.
    g = np.array(values)
    w_plain = np.zeros_like(g)
    w_momentum = np.zeros_like(g)
    GradientDescent(lr).step([w_plain], [g])
    GradientDescent(lr, momentum=momentum).step([w_momentum], [g])
    assert_array_equal(w_plain, w_momentum)


@settings(max_examples=200, deadline=None)
@given(st.lists(finite_floats, min_size=1, max_size=8), st.floats(1e-4, 1.0))
def test_adaptive_methods_never_step_further_than_their_bound(values, lr):
    # From zero state the first step per coordinate is η·s/(s + ε) for Adam (s = √(1-β₂)|g|)
    # and η|g|/(|g| + ε) for Adagrad, so at most η; RMSProp's is η|g|/(√(1-ρ)|g| + ε), at most
    # η/√(1-ρ). Each moves against the gradient's sign (or not at all where g = 0).
    g = np.array(values)
    for optimizer, bound in (
        (Adam(lr), lr * (1 + 1e-12)),
        (Adagrad(lr), lr * (1 + 1e-12)),
        (RMSProp(lr, rho=0.9), lr / math.sqrt(0.1) * (1 + 1e-12)),
    ):
        w = np.zeros_like(g)
        optimizer.step([w], [g])
        assert np.all(np.abs(w) <= bound)
        assert np.all(w * g <= 0)


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_unchecked_update_after_a_first_step_equals_step(name, params):
    """The training loop checks its arrays in the first step, then calls ``step_unchecked``."""
    start, grads = random_problem(5)
    checked, unchecked = [p.copy() for p in start], [p.copy() for p in start]
    a, b = make(name, params), make(name, params)
    a.step(checked, grads[0])
    b.step(unchecked, grads[0])
    for g in grads[1:]:
        a.step(checked, g)
        b.step_unchecked(unchecked, g)
    for x, y in zip(checked, unchecked, strict=True):
        assert_array_equal(x, y)
    assert a.iterations == b.iterations == len(grads)


def test_unchecked_update_still_reports_an_overflowing_gradient():
    optimizer = Adam(learning_rate=0.1)
    a = np.ones(3)
    optimizer.step([a], [np.ones(3)])
    after_first = a.copy()
    with pytest.raises(GradientOverflowError):
        optimizer.step_unchecked([a], [np.array([1e300, 0.0, 0.0])])
    assert_array_equal(a, after_first)
    assert optimizer.iterations == 1


def test_the_state_protocol_other_implementations_share():
    optimizer = Adam(learning_rate=0.1)
    assert optimizer.shapes is None and optimizer.dtypes == [] and dict(optimizer.state) == {}
    params = [np.ones((2, 3), dtype=np.float32), np.zeros(4, dtype=np.float32)]
    optimizer.build(params)
    assert optimizer.shapes == [(2, 3), (4,)]
    assert optimizer.dtypes == [np.dtype(np.float32)] * 2
    assert list(optimizer.state) == list(optimizer.state_names) == ["m", "v"]
    m = optimizer.state["m"][0]
    assert m.dtype == np.float32 and not m.any()
    optimizer.step(params, [np.ones((2, 3), dtype=np.float32), np.ones(4, dtype=np.float32)])
    assert optimizer.state["m"][0] is m  # the same array, updated in place
    np.testing.assert_allclose(m, 0.1)  # (1 - β₁) g
    m[...] = 0.5  # what another implementation of the step would write is what the next reads
    assert_array_equal(optimizer.state_dict()["m"][0], m)
    assert optimizer.state_dict()["m"][0] is not m
    assert list(GradientDescent(momentum=0.9).state_names) == ["velocity"]
    assert list(GradientDescent().state_names) == []
