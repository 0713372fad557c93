"""Tests of sigmanet.losses: gradients, reference values, stability, reductions, validation."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit
from scipy.special import softmax as scipy_softmax
from sklearn.metrics import hinge_loss, log_loss, mean_squared_error

from sigmanet import losses
from sigmanet.losses import (
    BinaryCrossEntropyWithLogits,
    Huber,
    Loss,
    SoftmaxCrossEntropyWithLogits,
    SquaredError,
)

N_SAMPLES, N_OUTPUTS = 5, 3
TOLERANCES = {
    np.float64: {"eps": 1e-6, "atol": 1e-5, "rtol": 1e-3},
    np.float32: {"eps": 1e-3, "atol": 1e-2, "rtol": 1e-2},
}
FLOAT64_NORMAL = np.finfo(np.float64).tiny
FLOAT32_NORMAL = float(np.finfo(np.float32).tiny)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float) -> np.ndarray:
    """Central differences of the scalar ``f`` at ``x``, dividing by the step actually taken."""
    x = np.array(x, copy=True)
    flat = x.reshape(-1)
    grad = np.empty(x.size)
    for i in range(x.size):
        original = flat[i]
        flat[i] = original + eps
        upper, up = f(x), float(flat[i])
        flat[i] = original - eps
        lower, down = f(x), float(flat[i])
        flat[i] = original
        grad[i] = (upper - lower) / (up - down)
    return grad.reshape(x.shape)


def away_from(values: np.ndarray, kinks: tuple[float, ...], margin: float = 0.1) -> np.ndarray:
    """Move values off the kinks of a piecewise loss so central differences are meaningful."""
    values = values.copy()
    for kink in kinks:
        values[np.abs(values - kink) < margin] += 2.5 * margin
    return values


def make_case(name: str, rng: np.random.Generator, dtype: Any, ndim: int) -> tuple[Any, np.ndarray]:
    """(y_true, output) of the kind ``name`` expects, with output of ``ndim`` dimensions."""
    shape = (N_SAMPLES,) if ndim == 1 else (N_SAMPLES, N_OUTPUTS)
    if name == "squared_error":
        y = rng.normal(size=shape)
        out = rng.normal(size=shape)
    elif name == "huber":
        y = rng.normal(size=shape)
        out = y + away_from(rng.uniform(-3, 3, size=shape), (-1.0, 1.0))
    elif name == "poisson":
        y = rng.poisson(2.0, size=shape).astype(float)
        y.reshape(-1)[0] = 0.0
        out = rng.normal(scale=1.0, size=shape)
    elif name == "binary_cross_entropy":
        y = rng.uniform(size=shape)
        y[0] = 1.0
        y.reshape(-1)[1] = 0.0
        out = rng.uniform(0.05, 0.95, size=shape)
    elif name == "binary_cross_entropy_with_logits":
        y = rng.uniform(size=shape)
        y.reshape(-1)[:2] = [0.0, 1.0]
        out = rng.normal(scale=3.0, size=shape)
    elif name == "softmax_cross_entropy_with_logits":
        y = rng.integers(0, N_OUTPUTS, size=N_SAMPLES)
        out = rng.normal(scale=2.0, size=(N_SAMPLES, N_OUTPUTS))
    elif name in ("hinge", "squared_hinge"):
        y = rng.choice([-1, 1], size=shape)
        out = away_from(rng.uniform(-3, 3, size=shape), (-1.0, 1.0))
    else:  # pragma: no cover - a new registry entry must get a case here
        raise AssertionError(f"no test case for loss {name!r}")
    out = np.asarray(out, dtype=dtype)
    if name != "softmax_cross_entropy_with_logits":
        y = np.asarray(y, dtype=dtype)
    return y, out


def assert_gradient_matches(loss: Loss, y: Any, out: np.ndarray, sample_weight: Any = None) -> None:
    tol = TOLERANCES[out.dtype.type]
    analytic = loss.gradient(y, out, sample_weight)
    assert analytic.dtype == out.dtype
    assert analytic.shape == out.shape
    numerical = numerical_gradient(lambda o: loss.value(y, o, sample_weight), out, tol["eps"])
    np.testing.assert_allclose(analytic, numerical, atol=tol["atol"], rtol=tol["rtol"])


def mp_softplus(x: mpmath.mpf) -> mpmath.mpf:
    return mpmath.log1p(mpmath.exp(x))


def assert_close_to_reference(
    computed: float,
    reference: mpmath.mpf,
    rtol: float,
    normal: float,
    what: str,
    scale: mpmath.mpf | None = None,
) -> None:
    """Relative error ≤ rtol where the reference is a normal number; tiny stays tiny.

    ``scale`` (default ``abs(reference)``) is what the error is relative to: for a difference
    such as σ(x) - z with a soft z, the size of its terms, since rounding σ(x) alone costs that.
    """
    ref = float(reference)
    if abs(reference) >= normal:
        size = abs(ref) if scale is None else max(abs(ref), float(scale))
        assert abs(computed - ref) <= rtol * size, (what, computed, ref)
    else:
        assert abs(computed) < normal, (what, computed, ref)


# --------------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------------


def test_names_are_the_registered_losses() -> None:
    assert losses.names() == [
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "hinge",
        "huber",
        "poisson",
        "softmax_cross_entropy_with_logits",
        "squared_error",
        "squared_hinge",
    ]
    for name in losses.names():
        assert losses.get(name).name == name


def test_aliases_and_spelling() -> None:
    assert isinstance(losses.get("mse"), SquaredError)
    assert isinstance(losses.get("bce_with_logits"), BinaryCrossEntropyWithLogits)
    assert isinstance(losses.get(" Huber "), Huber)


def test_get_passes_instances_through_and_builds_classes() -> None:
    loss = Huber(delta=3.0)
    assert losses.get(loss) is loss
    assert losses.get(Huber, delta=2.0) == Huber(delta=2.0)
    with pytest.raises(TypeError, match="only be given with a loss name"):
        losses.get(loss, delta=2.0)
    with pytest.raises(TypeError, match="name"):
        losses.get(3)  # type: ignore[arg-type]


def test_unknown_name_lists_the_valid_names() -> None:
    with pytest.raises(ValueError, match="Unknown loss 'cross_entropy'") as info:
        losses.get("cross_entropy")
    for name in losses.names():
        assert name in str(info.value)
    assert "mse" in str(info.value)


def test_unexpected_parameters_are_named() -> None:
    with pytest.raises(TypeError, match=r"unexpected parameter\(s\) \['alpha'\].*delta"):
        losses.get("huber", alpha=2.0)
    with pytest.raises(TypeError, match="no parameters"):
        losses.get("hinge", delta=1.0)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("squared_error", {}),
        ("huber", {"delta": 2.5}),
        ("binary_cross_entropy", {}),
        ("binary_cross_entropy_with_logits", {"pos_weight": 3.0}),
        ("binary_cross_entropy_with_logits", {"pos_weight": [1.0, 2.0]}),
        ("softmax_cross_entropy_with_logits", {"class_weight": [1, 2, 3], "label_smoothing": 0.1}),
        ("hinge", {}),
        ("squared_hinge", {}),
    ],
)
def test_config_round_trips_through_json(name: str, params: dict[str, Any]) -> None:
    loss = losses.get(name, **params)
    config = json.loads(json.dumps(loss.get_config()))
    assert config["name"] == name
    rebuilt = losses.get(**config)
    assert rebuilt == loss
    assert hash(rebuilt) == hash(loss)
    assert repr(rebuilt) == repr(loss)
    assert repr(loss).startswith(type(loss).__name__ + "(")


def test_repr_and_equality() -> None:
    assert repr(Huber(delta=2.0)) == "Huber(delta=2.0)"
    assert repr(SquaredError()) == "SquaredError()"
    assert Huber(delta=2.0) != Huber(delta=1.0)
    assert SquaredError() != Huber()
    assert SoftmaxCrossEntropyWithLogits(label_smoothing=0.1).get_config() == {
        "name": "softmax_cross_entropy_with_logits",
        "class_weight": None,
        "label_smoothing": 0.1,
    }


# --------------------------------------------------------------------------------------------
# gradients: central differences for every registered loss
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(
    ("name", "ndim"),
    [
        (name, ndim)
        for name in losses.names()
        for ndim in (1, 2)
        # softmax needs (n_samples, n_classes) logits
        if not (name == "softmax_cross_entropy_with_logits" and ndim == 1)
    ],
)
def test_gradient_matches_central_differences(
    name: str, ndim: int, weighted: bool, dtype: Any
) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{name}-{ndim}-{weighted}".encode()))
    y, out = make_case(name, rng, dtype, ndim)
    weights = rng.uniform(0.2, 3.0, size=N_SAMPLES) if weighted else None
    assert_gradient_matches(losses.get(name), y, out, weights)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(
    "loss",
    [
        Huber(delta=0.5),
        BinaryCrossEntropyWithLogits(pos_weight=2.5),
        BinaryCrossEntropyWithLogits(pos_weight=[0.5, 1.0, 4.0]),
        SoftmaxCrossEntropyWithLogits(class_weight=[0.5, 2.0, 1.0]),
        SoftmaxCrossEntropyWithLogits(label_smoothing=0.2),
        SoftmaxCrossEntropyWithLogits(class_weight=[0.5, 2.0, 1.0], label_smoothing=0.1),
    ],
    ids=repr,
)
def test_gradient_with_parameters(loss: Loss, dtype: Any) -> None:
    rng = np.random.default_rng(7)
    name = loss.name
    y, out = make_case(name, rng, dtype, 2)
    if isinstance(loss, Huber):
        out = np.asarray(y + away_from(rng.uniform(-2, 2, size=y.shape), (-0.5, 0.5)), dtype)
    for weights in (None, rng.uniform(0.2, 3.0, size=N_SAMPLES)):
        assert_gradient_matches(loss, y, out, weights)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("smoothing", [0.0, 0.15])
def test_gradient_with_soft_targets(dtype: Any, smoothing: float) -> None:
    rng = np.random.default_rng(8)
    logits = rng.normal(scale=2.0, size=(N_SAMPLES, N_OUTPUTS)).astype(dtype)
    targets = scipy_softmax(rng.normal(size=(N_SAMPLES, N_OUTPUTS)), axis=1).astype(dtype)
    loss = SoftmaxCrossEntropyWithLogits(class_weight=[1.0, 3.0, 0.5], label_smoothing=smoothing)
    assert_gradient_matches(loss, targets, logits)
    assert_gradient_matches(loss, targets, logits, rng.uniform(0.5, 2, size=N_SAMPLES))


def test_gradient_of_single_output_column_with_1d_targets() -> None:
    """A one-unit network's (n, 1) output meets scikit-learn's 1-D y."""
    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, size=N_SAMPLES)
    logits = rng.normal(size=(N_SAMPLES, 1))
    loss = losses.get("binary_cross_entropy_with_logits")
    assert_gradient_matches(loss, y, logits)
    assert loss.value(y, logits) == loss.value(y, logits[:, 0])
    np.testing.assert_array_equal(loss.gradient(y, logits)[:, 0], loss.gradient(y, logits[:, 0]))


@pytest.mark.parametrize("name", losses.names())
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_value_and_gradient_agree_and_use_out(name: str, dtype: Any) -> None:
    rng = np.random.default_rng(10)
    y, out = make_case(name, rng, dtype, 2)
    loss = losses.get(name)
    weights = rng.uniform(0.2, 3.0, size=N_SAMPLES)
    for w in (None, weights):
        value, grad = loss.value_and_gradient(y, out, w)
        assert value == loss.value(y, out, w)
        np.testing.assert_array_equal(grad, loss.gradient(y, out, w))
        assert grad.dtype == out.dtype

        buffer = np.full_like(out, np.nan)
        value_out, grad_out = loss.value_and_gradient(y, out, w, out=buffer)
        assert grad_out is buffer
        assert value_out == value
        np.testing.assert_array_equal(buffer, grad)


@pytest.mark.parametrize("name", losses.names())
def test_plain_functions_match_the_loss_objects(name: str) -> None:
    rng = np.random.default_rng(11)
    y, out = make_case(name, rng, np.float64, 2)
    weights = rng.uniform(0.2, 3.0, size=N_SAMPLES)
    value_function = getattr(losses, name)
    gradient_function = getattr(losses, name + "_gradient")
    loss = losses.get(name)
    assert value_function(y, out, sample_weight=weights) == loss.value(y, out, weights)
    np.testing.assert_array_equal(
        gradient_function(y, out, sample_weight=weights), loss.gradient(y, out, weights)
    )
    assert loss(y, out) == loss.value(y, out)


def test_plain_function_parameters() -> None:
    rng = np.random.default_rng(12)
    y = rng.normal(size=8)
    pred = y + rng.normal(scale=2, size=8)
    assert losses.huber(y, pred, 0.7) == Huber(delta=0.7).value(y, pred)
    np.testing.assert_array_equal(
        losses.huber_gradient(y, pred, delta=0.7), Huber(delta=0.7).gradient(y, pred)
    )
    labels = rng.integers(0, 2, size=(8, 2))
    logits = rng.normal(size=(8, 2))
    assert losses.binary_cross_entropy_with_logits(
        labels, logits, pos_weight=[2.0, 3.0]
    ) == BinaryCrossEntropyWithLogits(pos_weight=[2.0, 3.0]).value(labels, logits)
    classes = rng.integers(0, 2, size=8)
    smoothed = SoftmaxCrossEntropyWithLogits(class_weight=[1.0, 2.0], label_smoothing=0.1)
    assert losses.softmax_cross_entropy_with_logits(
        classes, logits, class_weight=[1.0, 2.0], label_smoothing=0.1
    ) == smoothed.value(classes, logits)
    np.testing.assert_array_equal(
        losses.softmax_cross_entropy_with_logits_gradient(
            classes, logits, class_weight=[1.0, 2.0], label_smoothing=0.1
        ),
        smoothed.gradient(classes, logits),
    )


# --------------------------------------------------------------------------------------------
# exact expectations and reference values
# --------------------------------------------------------------------------------------------


def test_exact_expectations() -> None:
    assert losses.binary_cross_entropy_with_logits([1.0], [-1000.0]) == 1000.0
    np.testing.assert_array_equal(
        losses.binary_cross_entropy_with_logits_gradient([1.0], [-1000.0]), [-1.0]
    )
    assert losses.softmax_cross_entropy_with_logits([2], [[1000.0, 0.0, -1000.0]]) == 2000.0
    # logsumexp([1000, 1000]) = 1000 + ln 2, so either class costs ln 2.
    assert losses.softmax_cross_entropy_with_logits([0], [[1000.0, 1000.0]]) == np.log(2)
    assert losses.softmax_cross_entropy_with_logits([1], [[-1000.0, -1000.0]]) == np.log(2)
    np.testing.assert_array_equal(
        losses.softmax_cross_entropy_with_logits_gradient([0], [[1000.0, 1000.0]]), [[-0.5, 0.5]]
    )
    # Tiny losses keep full relative precision (naive forms give exactly 0).
    tiny = np.log1p(np.exp(-36.8))
    assert losses.binary_cross_entropy_with_logits([1.0], [36.8]) == tiny
    assert losses.softmax_cross_entropy_with_logits([0], [[36.8, 0.0]]) == tiny
    assert losses.binary_cross_entropy_with_logits([0.0], [0.0]) == np.log(2)


def test_float32_exact_expectations() -> None:
    value, grad = BinaryCrossEntropyWithLogits().value_and_gradient(
        np.array([1], dtype=np.int64), np.array([-1000.0], dtype=np.float32)
    )
    assert value == 1000.0
    assert grad.dtype == np.float32
    np.testing.assert_array_equal(grad, [-1.0])
    assert losses.softmax_cross_entropy_with_logits(
        [2], np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32)
    ) == np.float32(2000.0)


EXTREME_LOGITS = [0.0, 1e-8, 1.0, 20.0, 36.8, 89.0, 709.0, 710.0, 1e3, 1e4]
EXTREME_GRID = sorted({sign * v for v in EXTREME_LOGITS for sign in (1.0, -1.0)})


@pytest.mark.parametrize(
    ("dtype", "rtol", "normal"),
    [(np.float64, 1e-13, FLOAT64_NORMAL), (np.float32, 5e-7, FLOAT32_NORMAL)],
    ids=["float64", "float32"],
)
def test_bce_with_logits_against_mpmath(dtype: Any, rtol: float, normal: float) -> None:
    loss = BinaryCrossEntropyWithLogits()
    with mpmath.workdps(50):
        for x in EXTREME_GRID:
            x_in = dtype(x)
            xm = mpmath.mpf(float(x_in))
            for z in (0.0, 1.0, 0.25, 0.3):
                z_in = dtype(z)
                zm = mpmath.mpf(float(z_in))
                # -(z log σ(x) + (1-z) log σ(-x)) = z softplus(-x) + (1-z) softplus(x)
                reference = zm * mp_softplus(-xm) + (1 - zm) * mp_softplus(xm)
                # σ(x) - z = (1 - z) σ(x) - z σ(-x): no cancellation even at 50 digits
                positive_part = (1 - zm) / (1 + mpmath.exp(-xm))
                negative_part = zm / (1 + mpmath.exp(xm))
                gradient_reference = positive_part - negative_part
                value, grad = loss.value_and_gradient(
                    np.array([z_in], dtype=dtype), np.array([x_in], dtype=dtype)
                )
                assert_close_to_reference(value, reference, rtol, normal, f"value x={x} z={z}")
                assert_close_to_reference(
                    float(grad[0]),
                    gradient_reference,
                    rtol,
                    normal,
                    f"grad x={x} z={z}",
                    scale=max(positive_part, negative_part),
                )


def softmax_references(row: list[float], target: int) -> tuple[mpmath.mpf, list[mpmath.mpf]]:
    """ℓ = log Σ_c exp(x_c - x_y) and softmax(x) - onehot(y), at the working precision."""
    xs = [mpmath.mpf(v) for v in row]
    terms = [mpmath.exp(v - xs[target]) for v in xs]
    others = mpmath.fsum(t for c, t in enumerate(terms) if c != target)
    value = mpmath.log1p(others)
    total = 1 + others
    grad = [t / total for t in terms]
    grad[target] = -others / total
    return value, grad


@pytest.mark.parametrize(
    ("dtype", "rtol", "normal"),
    [(np.float64, 1e-13, FLOAT64_NORMAL), (np.float32, 5e-7, FLOAT32_NORMAL)],
    ids=["float64", "float32"],
)
def test_softmax_cross_entropy_against_mpmath(dtype: Any, rtol: float, normal: float) -> None:
    loss = SoftmaxCrossEntropyWithLogits()
    rows = [[a, b] for a in EXTREME_GRID for b in EXTREME_GRID]
    small_grid = [0.0, 1.0, -20.0, 36.8, -89.0, 710.0, -1e3, 1e4]
    rows += [[a, b, c] for a in small_grid for b in small_grid for c in small_grid]
    with mpmath.workdps(50):
        for row in rows:
            logits = np.array([row], dtype=dtype)
            exact_row = [float(v) for v in logits[0]]
            for target in (0, len(row) - 1):
                value, grad = loss.value_and_gradient([target], logits)
                value_ref, grad_ref = softmax_references(exact_row, target)
                assert_close_to_reference(value, value_ref, rtol, normal, f"{row} class {target}")
                for c in range(len(row)):
                    assert_close_to_reference(
                        float(grad[0, c]), grad_ref[c], rtol, normal, f"grad {row} {target} {c}"
                    )


def test_huber_against_its_definition() -> None:
    rng = np.random.default_rng(13)
    y = rng.normal(size=200)
    pred = y + rng.normal(scale=3.0, size=200)
    for delta in (0.3, 1.0, 2.0):
        r = pred - y
        expected = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))
        np.testing.assert_allclose(losses.huber(y, pred, delta), expected.mean(), rtol=1e-14)
        np.testing.assert_allclose(
            losses.huber_gradient(y, pred, delta), np.clip(r, -delta, delta) / 200, rtol=1e-14
        )
    # A δ beyond every residual makes it the squared error.
    assert losses.huber(y, pred, 1e6) == pytest.approx(losses.squared_error(y, pred), rel=1e-14)


def test_pos_weight_against_its_definition() -> None:
    rng = np.random.default_rng(14)
    z = rng.uniform(size=(30, 2))
    x = rng.normal(scale=4.0, size=(30, 2))
    pos_weight = np.array([3.0, 0.5])
    p = expit(x)
    expected = -(pos_weight * z * np.log(p) + (1 - z) * np.log1p(-p)).sum(axis=1).mean()
    loss = BinaryCrossEntropyWithLogits(pos_weight=pos_weight)
    value, grad = loss.value_and_gradient(z, x)
    assert value == pytest.approx(expected, rel=1e-13)
    l_weight = 1 + (pos_weight - 1) * z
    np.testing.assert_allclose(grad, (l_weight * p - pos_weight * z) / 30, rtol=1e-12)
    # pos_weight = 1 is the plain loss.
    plain = BinaryCrossEntropyWithLogits()
    one = BinaryCrossEntropyWithLogits(pos_weight=1.0)
    assert one.value(z, x) == pytest.approx(plain.value(z, x), rel=1e-15)
    np.testing.assert_allclose(one.gradient(z, x), plain.gradient(z, x), rtol=1e-15)


def test_binary_cross_entropy_from_probabilities() -> None:
    rng = np.random.default_rng(15)
    z = rng.integers(0, 2, size=50)
    p = rng.uniform(0.01, 0.99, size=50)
    expected = -(z * np.log(p) + (1 - z) * np.log(1 - p)).mean()
    assert losses.binary_cross_entropy(z, p) == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(
        losses.binary_cross_entropy_gradient(z, p), (p - z) / (p * (1 - p)) / 50, rtol=1e-13
    )
    # From logits and from probabilities agree where the probability is not clipped.
    x = rng.normal(size=50)
    assert losses.binary_cross_entropy(z, expit(x)) == pytest.approx(
        losses.binary_cross_entropy_with_logits(z, x), rel=1e-13
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_binary_cross_entropy_clips_to_machine_epsilon(dtype: Any) -> None:
    eps = float(np.finfo(dtype).eps)
    value, grad = losses.get("binary_cross_entropy").value_and_gradient(
        [1.0, 0.0], np.array([0.0, 1.0], dtype=dtype)
    )
    assert np.isfinite(value)
    assert value == pytest.approx(-np.log(eps), rel=1e-6)
    assert grad.dtype == dtype
    assert np.all(np.isfinite(grad))
    assert grad[0] < 0 < grad[1]  # still pushes toward the target
    assert losses.binary_cross_entropy([1.0, 0.0], np.array([1.0, 0.0], dtype=dtype)) == (
        pytest.approx(-np.log1p(-eps), rel=1e-3)
    )


# --------------------------------------------------------------------------------------------
# scikit-learn as an oracle
# --------------------------------------------------------------------------------------------


def test_agrees_with_scikit_learn_metrics() -> None:
    rng = np.random.default_rng(16)
    n = 40
    weights = rng.uniform(0.1, 2, size=n)
    labels = rng.integers(0, 2, size=n)
    logits = rng.normal(scale=3, size=n)
    assert losses.binary_cross_entropy_with_logits(labels, logits, weights) == pytest.approx(
        log_loss(labels, expit(logits), sample_weight=weights), rel=1e-12
    )
    proba = rng.uniform(0.01, 0.99, size=n)
    assert losses.binary_cross_entropy(labels, proba) == pytest.approx(
        log_loss(labels, proba), rel=1e-12
    )
    classes = rng.integers(0, 4, size=n)
    logits4 = rng.normal(scale=2, size=(n, 4))
    assert losses.softmax_cross_entropy_with_logits(classes, logits4, weights) == pytest.approx(
        log_loss(classes, scipy_softmax(logits4, axis=1), sample_weight=weights, labels=range(4)),
        rel=1e-12,
    )
    decision = rng.normal(scale=2, size=n)
    for encoded in (labels, 2 * labels - 1):
        assert losses.hinge(encoded, decision) == pytest.approx(
            hinge_loss(encoded, decision), rel=1e-12
        )
    targets = rng.normal(size=n)
    predictions = rng.normal(size=n)
    assert losses.squared_error(targets, predictions, weights) == pytest.approx(
        0.5 * mean_squared_error(targets, predictions, sample_weight=weights), rel=1e-12
    )


# --------------------------------------------------------------------------------------------
# textbook formulas
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("column", [False, True], ids=["output-1d", "output-column"])
def test_logistic_regression_gradient(column: bool) -> None:
    """∇w L = -(1/m) Xᵀ(y - σ(Xw+b)), ∇b L = -(1/m) 1ᵀ(y - σ(z)), L = -(1/m)(yᵀ log σ(z) + ...)."""
    rng = np.random.default_rng(17)
    m, n = 50, 4
    X = rng.normal(size=(m, n))
    w = rng.normal(size=n)
    b = 0.3
    y = rng.integers(0, 2, size=m)
    z = X @ w + b
    h = expit(z)
    output = z[:, None] if column else z
    loss = losses.get("binary_cross_entropy_with_logits")
    value, grad = loss.value_and_gradient(y, output)
    grad = grad.reshape(m)

    np.testing.assert_allclose(X.T @ grad, -(1 / m) * X.T @ (y - h), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        np.ones(m) @ grad, -(1 / m) * np.ones(m) @ (y - h), rtol=1e-12, atol=1e-15
    )
    expected = -(1 / m) * (y @ np.log(h) + (1 - y) @ np.log(1 - h))
    assert value == pytest.approx(expected, rel=1e-12)

    # and the parameters' gradient by central differences, through the loss value
    def value_at(theta: np.ndarray) -> float:
        logits = X @ theta[:n] + theta[n]
        return loss.value(y, logits[:, None] if column else logits)

    theta = np.append(w, b)
    numeric = numerical_gradient(value_at, theta, 1e-6)
    np.testing.assert_allclose(np.append(X.T @ grad, grad.sum()), numeric, atol=1e-8, rtol=1e-6)


def test_delta_rule_through_a_sigmoid() -> None:
    """∂L/∂z of the squared error behind a sigmoid is -(y - ŷ) σ'(z) / m (δ = (y - ŷ) σ'(z))."""
    rng = np.random.default_rng(18)
    m, k = 6, 2
    z = rng.normal(size=(m, k))
    y = rng.uniform(size=(m, k))
    y_hat = expit(z)
    sigmoid_derivative = y_hat * (1 - y_hat)
    grad_z = losses.squared_error_gradient(y, y_hat) * sigmoid_derivative
    np.testing.assert_allclose(grad_z, -(y - y_hat) * sigmoid_derivative / m, rtol=1e-14)
    numeric = numerical_gradient(lambda zz: losses.squared_error(y, expit(zz)), z, 1e-6)
    np.testing.assert_allclose(grad_z, numeric, atol=1e-9, rtol=1e-6)


# --------------------------------------------------------------------------------------------
# reductions and weights
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", losses.names())
def test_integer_weights_equal_repeated_rows(name: str) -> None:
    rng = np.random.default_rng(19)
    y, out = make_case(name, rng, np.float64, 2)
    counts = np.array([1, 3, 0, 2, 1])
    loss = losses.get(name)
    repeated_y = np.repeat(y, counts, axis=0)
    repeated_out = np.repeat(out, counts, axis=0)
    value, grad = loss.value_and_gradient(y, out, counts)
    assert value == pytest.approx(loss.value(repeated_y, repeated_out), rel=1e-13)
    # The weighted gradient of a row is the sum of the gradients of its copies.
    copies = loss.gradient(repeated_y, repeated_out)
    summed = np.zeros_like(out)
    np.add.at(summed, np.repeat(np.arange(N_SAMPLES), counts), copies)
    np.testing.assert_allclose(grad, summed, rtol=1e-13, atol=1e-17)
    assert np.all(grad[2] == 0)  # weight 0 takes no part


@pytest.mark.parametrize("name", losses.names())
def test_unit_and_scaled_weights_equal_no_weights(name: str) -> None:
    rng = np.random.default_rng(20)
    y, out = make_case(name, rng, np.float64, 2)
    loss = losses.get(name)
    value, grad = loss.value_and_gradient(y, out)
    for weights in (np.ones(N_SAMPLES), np.full(N_SAMPLES, 7.5), [2] * N_SAMPLES):
        weighted_value, weighted_grad = loss.value_and_gradient(y, out, weights)
        assert weighted_value == pytest.approx(value, rel=1e-14)
        np.testing.assert_allclose(weighted_grad, grad, rtol=1e-14)


def test_reduction_is_sum_over_outputs_and_mean_over_samples() -> None:
    y = np.array([[0.0, 1.0], [2.0, 3.0]])
    pred = np.array([[1.0, 1.0], [2.0, 5.0]])
    # per sample: ½(1 + 0) = 0.5 and ½(0 + 4) = 2; mean 1.25; weighted (1, 3): (0.5 + 6)/4
    assert losses.squared_error(y, pred) == 1.25
    assert losses.squared_error(y, pred, [1, 3]) == 6.5 / 4
    np.testing.assert_array_equal(
        losses.squared_error_gradient(y, pred, [1, 3]), [[0.25, 0.0], [0.0, 1.5]]
    )


def test_huge_weights_do_not_overflow() -> None:
    y, pred = np.array([0.0, 1.0]), np.array([1.0, 1.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert losses.squared_error(y, pred, [1e308, 1e308]) == 0.25


# --------------------------------------------------------------------------------------------
# softmax targets: indices, one-hot, soft, smoothing, class weights
# --------------------------------------------------------------------------------------------


def softmax_case(seed: int = 21, n: int = 7, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, k, size=n), rng.normal(scale=2.0, size=(n, k))


def test_indices_equal_one_hot_rows() -> None:
    classes, logits = softmax_case()
    one_hot = np.eye(4)[classes]
    for loss in (
        SoftmaxCrossEntropyWithLogits(),
        SoftmaxCrossEntropyWithLogits(label_smoothing=0.2),
        SoftmaxCrossEntropyWithLogits(class_weight=[1.0, 2.0, 0.5, 3.0]),
    ):
        value, grad = loss.value_and_gradient(classes, logits)
        value_rows, grad_rows = loss.value_and_gradient(one_hot, logits)
        assert value_rows == pytest.approx(value, rel=1e-14)
        np.testing.assert_allclose(grad_rows, grad, rtol=1e-13, atol=1e-16)
    # float class indices holding whole numbers are accepted
    assert losses.softmax_cross_entropy_with_logits(
        classes.astype(float), logits
    ) == losses.softmax_cross_entropy_with_logits(classes, logits)


def test_label_smoothing_zero_is_no_smoothing_and_matches_smoothed_targets() -> None:
    classes, logits = softmax_case()
    plain = SoftmaxCrossEntropyWithLogits()
    zero = SoftmaxCrossEntropyWithLogits(label_smoothing=0.0)
    assert zero.value(classes, logits) == plain.value(classes, logits)
    np.testing.assert_array_equal(zero.gradient(classes, logits), plain.gradient(classes, logits))

    epsilon, k = 0.2, 4
    smoothed_rows = (1 - epsilon) * np.eye(k)[classes] + epsilon / k
    smoothed = SoftmaxCrossEntropyWithLogits(label_smoothing=epsilon)
    assert smoothed.value(classes, logits) == pytest.approx(
        plain.value(smoothed_rows, logits), rel=1e-13
    )
    np.testing.assert_allclose(
        smoothed.gradient(classes, logits), plain.gradient(smoothed_rows, logits), atol=1e-15
    )
    # smoothing soft targets smooths them the same way
    soft = scipy_softmax(np.random.default_rng(0).normal(size=(7, k)), axis=1)
    assert smoothed.value(soft, logits) == pytest.approx(
        plain.value((1 - epsilon) * soft + epsilon / k, logits), rel=1e-13
    )


def test_soft_targets_against_the_definition() -> None:
    rng = np.random.default_rng(22)
    logits = rng.normal(scale=2, size=(6, 3))
    targets = scipy_softmax(rng.normal(size=(6, 3)), axis=1)
    log_proba = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -(targets * log_proba).sum(axis=1).mean()
    value, grad = SoftmaxCrossEntropyWithLogits().value_and_gradient(targets, logits)
    assert value == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(grad, (scipy_softmax(logits, axis=1) - targets) / 6, atol=1e-16)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-16)


def test_class_weight_multiplies_sample_weight() -> None:
    classes, logits = softmax_case()
    class_weight = np.array([1.0, 2.0, 0.5, 3.0])
    sample_weight = np.random.default_rng(1).uniform(0.5, 2, size=7)
    weighted = SoftmaxCrossEntropyWithLogits(class_weight=class_weight)
    plain = SoftmaxCrossEntropyWithLogits()
    for sw in (None, sample_weight):
        combined = class_weight[classes] * (1 if sw is None else sw)
        assert weighted.value(classes, logits, sw) == pytest.approx(
            plain.value(classes, logits, combined), rel=1e-14
        )
        np.testing.assert_allclose(
            weighted.gradient(classes, logits, sw),
            plain.gradient(classes, logits, combined),
            rtol=1e-14,
        )
    # Soft targets weigh each sample by Σ_c t_c cw_c.
    soft = scipy_softmax(np.random.default_rng(2).normal(size=(7, 4)), axis=1)
    assert weighted.value(soft, logits) == pytest.approx(
        plain.value(soft, logits, soft @ class_weight), rel=1e-14
    )


def test_softmax_gradient_rows_sum_to_zero() -> None:
    classes, logits = softmax_case(n=20)
    for loss in (
        SoftmaxCrossEntropyWithLogits(),
        SoftmaxCrossEntropyWithLogits(label_smoothing=0.3, class_weight=[1, 2, 3, 4]),
    ):
        np.testing.assert_allclose(loss.gradient(classes, logits).sum(axis=1), 0, atol=1e-16)


def test_hinge_labels_zero_one_equal_minus_one_one() -> None:
    rng = np.random.default_rng(23)
    labels = rng.integers(0, 2, size=(6, 2))
    decision = rng.normal(scale=2, size=(6, 2))
    for name in ("hinge", "squared_hinge"):
        loss = losses.get(name)
        assert loss.value(labels, decision) == loss.value(2 * labels - 1, decision)
        np.testing.assert_array_equal(
            loss.gradient(labels, decision), loss.gradient(2 * labels - 1, decision)
        )


def test_hinge_values_and_subgradient() -> None:
    # t x = 2 (outside), 1 (on the margin: subgradient 0), 0.5 and -1 (inside)
    t = np.array([1.0, -1.0, 1.0, 1.0])
    x = np.array([2.0, -1.0, 0.5, -1.0])
    assert losses.hinge(t, x) == (0 + 0 + 0.5 + 2) / 4
    np.testing.assert_array_equal(losses.hinge_gradient(t, x), [0.0, 0.0, -0.25, -0.25])
    assert not np.signbit(losses.hinge_gradient(t, x)[:2]).any()
    assert losses.squared_hinge(t, x) == (0.25 + 4) / 4
    np.testing.assert_array_equal(losses.squared_hinge_gradient(t, x), [0.0, 0.0, -0.25, -1.0])


# --------------------------------------------------------------------------------------------
# numerical robustness: no warnings, limits, NaN
# --------------------------------------------------------------------------------------------

FINITE_GRID = np.array(
    [0.0, 5e-324, 1e-8, 0.25, 1.0, np.pi, 20.0, 35.0, 36.8, 88.0, 89.0, 709.0, 710.0, 1e3, 1e4]
)
FINITE_GRID = np.concatenate([FINITE_GRID, -FINITE_GRID])
FAR_GRID = np.array([1e20, 1e38, 3.4e38, 1e154, 1e200, 1.7e308])
FAR_GRID = np.concatenate([FAR_GRID, -FAR_GRID])


def grid_case(name: str, values: np.ndarray, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """Every value of ``values`` as output, paired with every kind of target."""
    with np.errstate(over="ignore"):  # the float32 cast of 1e200 is inf; dropped next
        out = values.astype(dtype)
    out = out[np.isfinite(out)]
    n = out.size
    rng = np.random.default_rng(24)
    if name == "binary_cross_entropy":
        out = np.concatenate([out, [0.0, 1.0]])
        out = np.clip(np.abs(out), 0, 1).astype(dtype)
        n = out.size
    if name == "softmax_cross_entropy_with_logits":
        logits = np.stack([out, np.roll(out, 1), np.zeros(n, dtype)], axis=1).astype(dtype)
        return rng.integers(0, 3, size=n), logits
    if name in ("hinge", "squared_hinge"):
        targets = rng.choice([-1.0, 1.0], size=(n, 2))
    elif name == "poisson":
        targets = rng.choice([0.0, 1.0, 3.0, 0.5], size=(n, 2))
    elif name in ("squared_error", "huber"):
        targets = rng.normal(size=(n, 2))
    else:
        targets = rng.choice([0.0, 1.0, 0.3], size=(n, 2))
    return targets, np.stack([out, out[::-1]], axis=1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", losses.names())
def test_no_warnings_for_logits_up_to_1e4(name: str, dtype: Any) -> None:
    rng = np.random.default_rng(25)
    values = np.concatenate([FINITE_GRID, rng.uniform(-1e4, 1e4, size=40)])
    y, out = grid_case(name, values, dtype)
    loss = losses.get(name)
    weights = rng.uniform(0, 2, size=out.shape[0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for w in (None, weights):
            value, grad = loss.value_and_gradient(y, out, w)
            assert loss.value(y, out, w) == value
            np.testing.assert_array_equal(loss.gradient(y, out, w), grad)
    assert grad.dtype == dtype
    if name == "poisson":
        # the mean exp(z) of a log-mean beyond log(float max) is inf: so are value and gradient
        overflows = out > np.log(np.finfo(dtype).max)
        assert value == np.inf and np.all(np.isposinf(grad[overflows]))
        assert np.all(np.isfinite(grad[~overflows]))
        return
    assert np.isfinite(value)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", losses.names())
def test_no_warnings_for_any_finite_input(name: str, dtype: Any) -> None:
    """Up to the float maximum: a value beyond the float range is inf, without a warning."""
    y, out = grid_case(name, np.concatenate([FINITE_GRID, FAR_GRID]), dtype)
    loss = losses.get(name)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grad = loss.value_and_gradient(y, out)
    assert not np.isnan(value)
    assert not np.isnan(grad).any()
    if name in ("binary_cross_entropy", "hinge"):
        assert np.all(np.isfinite(grad))


def test_bce_with_logits_limits_at_infinity() -> None:
    loss = BinaryCrossEntropyWithLogits()
    inf = np.inf
    assert loss.value([1.0, 0.0], [inf, -inf]) == 0.0
    np.testing.assert_array_equal(loss.gradient([1.0, 0.0], [inf, -inf]), [0.0, 0.0])
    assert loss.value([1.0], [-inf]) == inf
    np.testing.assert_array_equal(loss.gradient([1.0, 0.3], [-inf, inf]), [-0.5, 0.35])
    assert loss.value([0.3], [inf]) == inf
    weighted = BinaryCrossEntropyWithLogits(pos_weight=2.0)
    assert weighted.value([1.0, 0.0], [inf, -inf]) == 0.0
    np.testing.assert_array_equal(weighted.gradient([1.0], [-inf]), [-2.0])


def test_softmax_limits_at_infinity() -> None:
    loss = SoftmaxCrossEntropyWithLogits()
    logits = [[np.inf, 0.0, -np.inf]]
    value, grad = loss.value_and_gradient([0], logits)
    assert value == 0.0
    np.testing.assert_array_equal(grad, [[0.0, 0.0, 0.0]])
    value, grad = loss.value_and_gradient([2], logits)
    assert value == np.inf
    np.testing.assert_array_equal(grad, [[1.0, 0.0, -1.0]])
    assert loss.value([1], [[0.0, 0.0, -np.inf]]) == np.log(2)
    # a soft target with no mass on a class with logit -inf does not pay for it
    assert loss.value([[0.5, 0.5, 0.0]], [[0.0, 0.0, -np.inf]]) == np.log(2)
    assert loss.value([[0.5, 0.0, 0.5]], [[0.0, 0.0, -np.inf]]) == np.inf
    # the difference of two finite logits beyond the float range costs inf
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert loss.value([1], [[1.7e308, -1.7e308]]) == np.inf
    # a zero-weight sample does not take part even when its loss is infinite
    assert loss.value([2, 0], [[np.inf, 0.0, -np.inf]] * 2, [0.0, 1.0]) == 0.0


def test_poisson_values_and_limits() -> None:
    y = np.array([0.0, 2.0, 3.0])
    z = np.log([0.5, 2.0, 1.0])
    # y log(y/μ) - y + μ per element
    expected = np.mean([0.5, 0.0, 3 * np.log(3.0) - 3 + 1])
    assert losses.poisson(y[:, None], z[:, None]) == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(losses.poisson_gradient(y, z), (np.exp(z) - y) / 3, rtol=1e-15)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert losses.poisson([0.0, 0.0], [-np.inf, -np.inf]) == 0.0
        assert losses.poisson([1.0], [-np.inf]) == np.inf
        assert losses.poisson([1.0], [np.inf]) == np.inf
        assert losses.poisson([1.0], [800.0]) == np.inf
        np.testing.assert_array_equal(losses.poisson_gradient([2.0], [-np.inf]), [-2.0])
    with pytest.raises(ValueError, match=r"counts >= 0; got a minimum of -1\.0"):
        losses.poisson([-1.0, 2.0], [0.0, 0.0])


def test_margin_and_regression_limits_at_infinity() -> None:
    assert losses.hinge([1.0, -1.0], [np.inf, -np.inf]) == 0.0
    assert losses.hinge([1.0], [-np.inf]) == np.inf
    np.testing.assert_array_equal(losses.hinge_gradient([1.0], [-np.inf]), [-1.0])
    assert losses.squared_hinge([1.0], [np.inf]) == 0.0
    assert losses.squared_error([0.0], [np.inf]) == np.inf
    assert losses.huber([0.0], [-np.inf]) == np.inf
    np.testing.assert_array_equal(losses.huber_gradient([0.0], [-np.inf]), [-1.0])


@pytest.mark.parametrize("name", losses.names())
def test_nan_output_propagates(name: str) -> None:
    rng = np.random.default_rng(26)
    y, out = make_case(name, rng, np.float64, 2)
    out[1, 1] = np.nan
    loss = losses.get(name)
    value, grad = loss.value_and_gradient(y, out)
    assert np.isnan(value)
    assert np.isnan(grad[1, 1])
    assert np.all(np.isfinite(np.delete(grad, 1, axis=0)))
    assert np.isnan(loss.value(y, out, np.ones(N_SAMPLES)))


# --------------------------------------------------------------------------------------------
# dtypes and shapes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", losses.names())
def test_float32_stays_float32_with_integer_targets_and_float64_weights(name: str) -> None:
    rng = np.random.default_rng(27)
    y, out = make_case(name, rng, np.float32, 2)
    if name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        y = rng.integers(0, 2, size=y.shape)
    elif name in ("hinge", "squared_hinge", "squared_error", "huber"):
        y = rng.choice([-1, 1], size=y.shape).astype(np.int64)
    loss = losses.get(name)
    weights = rng.uniform(0.5, 2, size=N_SAMPLES)
    value, grad = loss.value_and_gradient(y, out, weights)
    assert isinstance(value, float)
    assert grad.dtype == np.float32
    assert loss.gradient(y, out).dtype == np.float32
    buffer = np.empty_like(out)
    assert loss.value_and_gradient(y, out, out=buffer)[1].dtype == np.float32
    # float32 agrees with float64 to float32 precision
    value64, grad64 = loss.value_and_gradient(y, out.astype(np.float64), weights)
    assert value == pytest.approx(value64, rel=1e-5)
    np.testing.assert_allclose(grad, grad64, rtol=1e-4, atol=1e-6)


def test_integer_and_half_outputs() -> None:
    grad = losses.squared_error_gradient([1, 2], [3, 4])
    assert grad.dtype == np.float64
    np.testing.assert_array_equal(grad, [1.0, 1.0])
    assert losses.hinge_gradient([1, -1], np.array([0.5, 0.5], np.float16)).dtype == np.float32


@pytest.mark.parametrize("name", losses.names())
@pytest.mark.parametrize("shape", [(0,), (0, 3)])
def test_empty_batch_raises(name: str, shape: tuple[int, ...]) -> None:
    loss = losses.get(name)
    output = np.zeros(shape)
    y = np.zeros(0, dtype=int) if name == "softmax_cross_entropy_with_logits" else output
    expected = "no samples" if len(shape) == 2 or not name.startswith("softmax") else "shape"
    for method in (loss.value, loss.gradient, loss.value_and_gradient):
        with pytest.raises(ValueError, match=expected):
            method(y, output)


def test_zero_outputs_per_sample() -> None:
    value, grad = SquaredError().value_and_gradient(np.zeros((3, 0)), np.zeros((3, 0)))
    assert value == 0.0
    assert grad.shape == (3, 0)
    with pytest.raises(ValueError, match="at least one class"):
        losses.softmax_cross_entropy_with_logits([0, 0, 0], np.zeros((3, 0)))


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", losses.names())
def test_mismatched_lengths_name_both(name: str) -> None:
    rng = np.random.default_rng(28)
    y, out = make_case(name, rng, np.float64, 2)
    loss = losses.get(name)
    with pytest.raises(
        ValueError, match=rf"y_true .*{N_SAMPLES - 1}.*{loss.output_name}.*{N_SAMPLES}"
    ):
        loss.value(y[:-1], out)
    with pytest.raises(ValueError, match="y_true"):
        loss.gradient(y, out[:-1])


def test_shape_errors() -> None:
    with pytest.raises(ValueError, match=r"y_true must have the shape of y_pred, \(4, 2\)"):
        losses.squared_error(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"y_pred must have shape .* got .*\(2, 2, 2\)"):
        losses.squared_error(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="scalar"):
        losses.squared_error(1.0, [1.0])
    with pytest.raises(ValueError, match=r"logits must have shape \(n_samples, n_classes\)"):
        losses.softmax_cross_entropy_with_logits([0, 1], [0.5, 0.2])
    with pytest.raises(ValueError, match=r"class indices of shape \(2,\) or target rows"):
        losses.softmax_cross_entropy_with_logits(np.zeros((2, 2)), np.zeros((2, 3)))


def test_non_numeric_input_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="y_pred"):
        losses.squared_error([1.0], [1 + 2j])
    with pytest.raises(TypeError, match="y_true"):
        losses.squared_error(["a"], [1.0])
    with pytest.raises(TypeError, match="class indices"):
        losses.softmax_cross_entropy_with_logits(["a"], [[1.0, 2.0]])


def test_bad_class_indices() -> None:
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"class index 4, outside \[0, 4\)"):
        losses.softmax_cross_entropy_with_logits([0, 4, 1], logits)
    with pytest.raises(ValueError, match=r"class index -1"):
        losses.softmax_cross_entropy_with_logits([0, -1, 1], logits)
    with pytest.raises(ValueError, match="integer class indices"):
        losses.softmax_cross_entropy_with_logits([0.0, 1.5, 1.0], logits)
    with pytest.raises(ValueError, match="integer class indices"):
        losses.softmax_cross_entropy_with_logits([0.0, np.nan, 1.0], logits)


def test_bad_target_rows() -> None:
    logits = np.zeros((2, 3))
    with pytest.raises(ValueError, match="sum to 1"):
        losses.softmax_cross_entropy_with_logits([[0.5, 0.4, 0.0], [1, 0, 0]], logits)
    with pytest.raises(ValueError, match="non-negative"):
        losses.softmax_cross_entropy_with_logits([[1.5, -0.5, 0.0], [1, 0, 0]], logits)
    with pytest.raises(ValueError, match="sum to 1"):
        losses.softmax_cross_entropy_with_logits([[1e308, 1e308, 0], [1, 0, 0]], logits)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, 2.0], r"sample_weight must have shape \(3,\)"),
        ([[1.0, 2.0, 3.0]], r"sample_weight must have shape \(3,\)"),
        ([1.0, -1.0, 2.0], "non-negative"),
        ([0.0, 0.0, 0.0], "all zero"),
        ([1.0, np.nan, 1.0], "finite"),
        ([1.0, np.inf, 1.0], "finite"),
    ],
)
def test_bad_sample_weight(weights: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        losses.squared_error([1.0, 2.0, 3.0], [1.0, 2.0, 2.0], weights)
    with pytest.raises(ValueError, match=message):
        losses.softmax_cross_entropy_with_logits([0, 1, 1], np.zeros((3, 2)), weights)


def test_class_weight_validation() -> None:
    with pytest.raises(ValueError, match="class_weight has 2 entries but logits have 3"):
        losses.softmax_cross_entropy_with_logits([0, 1], np.zeros((2, 3)), class_weight=[1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        SoftmaxCrossEntropyWithLogits(class_weight=[1.0, -2.0])
    with pytest.raises(ValueError, match=r"shape \(n_classes,\)"):
        SoftmaxCrossEntropyWithLogits(class_weight=[[1.0, 2.0]])
    with pytest.raises(TypeError, match="class_weight must be an array"):
        SoftmaxCrossEntropyWithLogits(class_weight={0: 1.0})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sample_weight times class_weight"):
        losses.softmax_cross_entropy_with_logits([0, 0], np.zeros((2, 2)), class_weight=[0, 1])


@pytest.mark.parametrize("smoothing", [-0.1, 1.0, 1.5, np.nan, np.inf])
def test_label_smoothing_outside_zero_one(smoothing: float) -> None:
    with pytest.raises(ValueError, match=r"label_smoothing must be a number in \[0, 1\)"):
        SoftmaxCrossEntropyWithLogits(label_smoothing=smoothing)
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.get("softmax_cross_entropy_with_logits", label_smoothing=smoothing)


def test_parameter_type_errors() -> None:
    with pytest.raises(TypeError, match="label_smoothing must be a number"):
        SoftmaxCrossEntropyWithLogits(label_smoothing="a lot")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="delta must be a number"):
        Huber(delta=None)  # type: ignore[arg-type]
    for delta in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueError, match="delta must be a number > 0"):
            Huber(delta=delta)


def test_pos_weight_validation() -> None:
    with pytest.raises(ValueError, match="non-negative and finite"):
        BinaryCrossEntropyWithLogits(pos_weight=-1.0)
    with pytest.raises(ValueError, match="1-D"):
        BinaryCrossEntropyWithLogits(pos_weight=[[1.0]])
    loss = BinaryCrossEntropyWithLogits(pos_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"pos_weight has 2 entries but logits have 3 output"):
        loss.value(np.zeros((4, 3)), np.zeros((4, 3)))


@pytest.mark.parametrize("labels", [[1, 2, 1], [-1, 0, 1], [0.5, 1, 0], [np.nan, 1, 1]])
def test_hinge_labels_must_be_signed_or_binary(labels: list[float]) -> None:
    for function in (losses.hinge, losses.hinge_gradient, losses.squared_hinge):
        with pytest.raises(ValueError, match=r"\{-1, 1\}"):
            function(labels, [0.5, 0.5, 0.5])


def test_hinge_labels_mixing_encodings_are_named() -> None:
    with pytest.raises(ValueError, match="mixes -1 and 0"):
        losses.hinge([-1, 0, 1], [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"got \[2\.0\]"):
        losses.hinge([1, 2, 1], [0.5, 0.5, 0.5])


def test_probabilities_and_targets_outside_zero_one() -> None:
    with pytest.raises(ValueError, match=r"proba must lie in \[0, 1\]"):
        losses.binary_cross_entropy([1, 0], [1.2, 0.5])
    with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\]"):
        losses.binary_cross_entropy([2, 0], [0.2, 0.5])
    with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\]"):
        losses.binary_cross_entropy_with_logits([-1, 1], [0.2, 0.5])


def test_out_validation() -> None:
    loss = SquaredError()
    y, pred = np.zeros((3, 2)), np.ones((3, 2))
    with pytest.raises(ValueError, match=r"out must have the shape and dtype of y_pred"):
        loss.value_and_gradient(y, pred, out=np.empty((3, 3)))
    with pytest.raises(ValueError, match=r"out must have the shape and dtype"):
        loss.value_and_gradient(y, pred, out=np.empty((3, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="must not share memory"):
        loss.value_and_gradient(y, pred, out=pred)
    with pytest.raises(TypeError, match="out must be a NumPy array"):
        loss.value_and_gradient(y, pred, out=[[0.0] * 2] * 3)  # type: ignore[arg-type]
    read_only = np.empty((3, 2))
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        loss.value_and_gradient(y, pred, out=read_only)


# --------------------------------------------------------------------------------------------
# properties (hypothesis)
# --------------------------------------------------------------------------------------------

logit = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)
# Multiples of 2⁻¹⁰ up to 1e3: their sums and differences are exact, so a shifted row holds
# exactly the shifted numbers and both sides of an identity see the same input.
dyadic = st.integers(min_value=-(2**20), max_value=2**20).map(lambda i: i / 1024)


@settings(max_examples=1000, deadline=None)
@given(x=logit, z=st.sampled_from([0.0, 1.0, 0.25, 0.5, 0.75]))
def test_bce_with_logits_is_symmetric(x: float, z: float) -> None:
    """ℓ(z, x) = ℓ(1 - z, -x) and the gradient flips sign."""
    loss = BinaryCrossEntropyWithLogits()
    value, grad = loss.value_and_gradient([z], [x])
    flipped_value, flipped_grad = loss.value_and_gradient([1 - z], [-x])
    assert flipped_value == pytest.approx(value, rel=1e-15, abs=1e-300)
    assert flipped_grad[0] == pytest.approx(-grad[0], rel=1e-15, abs=1e-300)
    assert value >= 0


@settings(max_examples=1000, deadline=None)
@given(row=st.lists(dyadic, min_size=2, max_size=5), shift=dyadic, target=st.integers(0, 4))
def test_softmax_cross_entropy_is_shift_invariant(
    row: list[float], shift: float, target: int
) -> None:
    target %= len(row)
    logits = np.array([row])
    shifted = logits + shift
    loss = SoftmaxCrossEntropyWithLogits()
    value, grad = loss.value_and_gradient([target], logits)
    shifted_value, shifted_grad = loss.value_and_gradient([target], shifted)
    assert shifted_value == pytest.approx(value, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(shifted_grad, grad, rtol=1e-12, atol=1e-12)
    assert value >= 0
    assert abs(grad.sum()) <= 1e-15


@settings(max_examples=500, deadline=None)
@given(a=dyadic, b=dyadic, target=st.integers(0, 1))
def test_two_class_softmax_is_binary_cross_entropy_of_the_difference(
    a: float, b: float, target: int
) -> None:
    difference = b - a
    softmax_value, softmax_grad = SoftmaxCrossEntropyWithLogits().value_and_gradient(
        [target], [[a, b]]
    )
    binary_value, binary_grad = BinaryCrossEntropyWithLogits().value_and_gradient(
        [float(target)], [difference]
    )
    assert softmax_value == pytest.approx(binary_value, rel=1e-14, abs=1e-300)
    assert softmax_grad[0, 1] == pytest.approx(binary_grad[0], rel=1e-14, abs=1e-300)
    assert softmax_grad[0, 0] == pytest.approx(-binary_grad[0], rel=1e-14, abs=1e-300)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.tuples(
            st.floats(min_value=-1e3, max_value=1e3), st.floats(min_value=-1e3, max_value=1e3)
        ),
        min_size=1,
        max_size=6,
    ),
    name=st.sampled_from(["squared_error", "huber", "hinge", "squared_hinge"]),
)
def test_elementwise_losses_are_non_negative_and_zero_at_the_target(
    values: list[tuple[float, float]], name: str
) -> None:
    loss = losses.get(name)
    targets = np.array([v[0] for v in values])
    outputs = np.array([v[1] for v in values])
    if name in ("hinge", "squared_hinge"):
        targets = np.where(targets >= 0, 1.0, -1.0)
        perfect = 2 * targets  # beyond the margin
    else:
        perfect = targets
    assert loss.value(targets, outputs) >= 0
    assert loss.value(targets, perfect) == 0
    assert np.all(loss.gradient(targets, perfect) == 0)


# --------------------------------------------------------------------------------------------
# Loss.bind: the training loop's per-batch evaluator
# --------------------------------------------------------------------------------------------


def _wide_logits(rng: np.random.Generator, n: int, k: int, dtype: Any, top: int) -> np.ndarray:
    """Rows of logits scaled from 1e-3 up to 10**top, the first row all ties."""
    x = rng.standard_normal((n, k)) * 10.0 ** rng.uniform(-3, top, size=(n, 1))
    x = x.astype(dtype)
    x[0, :] = x[0, 0]
    return x


def _evaluator_inputs(
    rng: np.random.Generator, n: int, k: int, dtype: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standard-normal outputs; outputs up to 1e30; and the whole range with ±inf and NaN."""
    plain = rng.standard_normal((n, k)).astype(dtype)
    finite = _wide_logits(rng, n, k, dtype, top=30)
    extreme = _wide_logits(rng, n, k, dtype, top=38 if dtype == np.float32 else 307)
    if n > 3:
        extreme[1, 0], extreme[2, -1], extreme[3, k // 2] = np.inf, -np.inf, np.nan
    return plain, finite, extreme


def _assert_evaluates_as_value_and_gradient(
    loss: Loss, y: Any, bound: Any, rows: Any, x: np.ndarray, weight: Any = None
) -> float:
    """The bound evaluator's value and gradient equal ``value_and_gradient``'s, bit for bit."""
    expected_grad = np.empty_like(x)
    expected = loss.value_and_gradient(y, x, weight, out=expected_grad)[0]
    grad = np.full_like(x, 123.0)
    value = bound(bound.targets[rows], x, None if weight is None else weight, grad)
    assert value == expected or (np.isnan(value) and np.isnan(expected))
    np.testing.assert_array_equal(grad, expected_grad)
    return value


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n", "k"), [(1, 1), (1, 4), (32, 10), (7, 2), (256, 3)])
def test_bound_softmax_equals_value_and_gradient(dtype: Any, n: int, k: int) -> None:
    loss = SoftmaxCrossEntropyWithLogits()
    rng = np.random.default_rng(n * k)
    y = rng.integers(0, k, size=n)
    bound = loss.bind(y, n_outputs=k)
    assert bound.targets.dtype == np.intp
    plain, finite, extreme = _evaluator_inputs(rng, n, k, dtype)
    for x in (plain, finite, extreme):
        value = _assert_evaluates_as_value_and_gradient(loss, y, bound, slice(None), x)
        if x is finite:
            assert np.isfinite(value)
        else:
            assert value == loss.value(y, x) or np.isnan(value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n", "k"), [(1, 1), (32, 1), (7, 3), (256, 2)])
@pytest.mark.parametrize("name", ["binary_cross_entropy_with_logits", "squared_error"])
def test_bound_elementwise_losses_equal_value_and_gradient(
    name: str, dtype: Any, n: int, k: int
) -> None:
    loss = losses.get(name)
    rng = np.random.default_rng(n + k)
    z = rng.choice([0.0, 1.0, 0.3], size=(n, k)).astype(dtype)
    bound = loss.bind(z, n_outputs=k)
    for x in _evaluator_inputs(rng, n, k, dtype):
        _assert_evaluates_as_value_and_gradient(loss, z, bound, slice(None), x)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", losses.names())
def test_every_bound_loss_equals_value_gradient_and_value_and_gradient(
    name: str, dtype: Any, weighted: bool
) -> None:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    loss = losses.get(name)
    y, out = make_case(name, rng, dtype, ndim=2)
    weight = rng.uniform(0.5, 2.0, size=N_SAMPLES) if weighted else None
    bound = loss.bind(y, n_outputs=out.shape[1], sample_weight=weight)
    grad = np.empty_like(out)
    value = bound(bound.targets, out, weight, grad)
    assert grad.dtype == out.dtype
    assert value == loss.value(y, out, weight)
    np.testing.assert_array_equal(grad, loss.gradient(y, out, weight))
    rows = np.array([3, 0, 4])  # a batch of shuffled rows
    weight_rows = None if weight is None else weight[rows]
    value = bound(bound.targets[rows], out[rows], weight_rows, grad[: len(rows)])
    expected, expected_grad = loss.value_and_gradient(y[rows], out[rows], weight_rows)
    assert value == expected
    np.testing.assert_array_equal(grad[: len(rows)], expected_grad)


def test_bound_loss_reuses_its_buffers_and_handles_a_short_last_batch() -> None:
    loss = SoftmaxCrossEntropyWithLogits()
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, size=70)
    bound = loss.bind(y, n_outputs=5)
    x = rng.standard_normal((70, 5))
    for start in (0, 32, 64, 0, 32, 64):  # batches of 32, 32 and 6 rows, twice
        part = np.ascontiguousarray(x[start : start + 32])
        grad = np.empty_like(part)
        value = bound(bound.targets[start : start + 32], part, None, grad)
        expected_value, expected_grad = loss.value_and_gradient(y[start : start + 32], part)
        assert value == expected_value
        np.testing.assert_array_equal(grad, expected_grad)
    # strided logits and a strided (non-contiguous) gradient buffer give the same answer
    strided = x[::2][:10]
    grad = np.empty((10, 10))[:, ::2]
    assert bound(bound.targets[::2][:10], strided, None, grad) == loss.value(y[::2][:10], strided)
    np.testing.assert_array_equal(grad, loss.gradient(y[::2][:10], strided))


def test_bind_checks_the_targets_once_with_the_usual_message() -> None:
    with pytest.raises(ValueError, match="class index 3, outside"):
        SoftmaxCrossEntropyWithLogits().bind(np.array([0, 3]), n_outputs=3)
    with pytest.raises(ValueError, match="pass n_outputs"):
        SoftmaxCrossEntropyWithLogits().bind(np.array([0, 2]))
    with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\]"):
        BinaryCrossEntropyWithLogits().bind(np.array([[0.0], [2.0]]), n_outputs=1)
    with pytest.raises(ValueError, match=r"\{-1, 1\}"):
        losses.get("hinge").bind(np.array([1, 2, 1]))
    with pytest.raises(ValueError, match="finite counts"):
        losses.get("poisson").bind(np.array([1.0, -2.0]))
    with pytest.raises(ValueError, match="must be non-negative"):
        SquaredError().bind(np.zeros(3), sample_weight=np.array([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="n_outputs must be a positive integer"):
        SquaredError().bind(np.zeros(3), n_outputs=0)
    with pytest.raises(ValueError, match="got a scalar"):
        SquaredError().bind(1.0)


def test_bound_targets_are_in_the_form_the_arithmetic_takes() -> None:
    indices = SoftmaxCrossEntropyWithLogits().bind(np.array([0.0, 2.0, 1.0]), n_outputs=3)
    np.testing.assert_array_equal(indices.targets, [0, 2, 1])
    assert indices.targets.dtype == np.intp
    labels = losses.get("hinge").bind(np.array([[0], [1]]), n_outputs=1)
    np.testing.assert_array_equal(labels.targets, [[-1], [1]])
    column = SquaredError().bind(np.array([1.0, 2.0]), n_outputs=1)
    assert column.targets.shape == (2,)  # the shape given; batches are aligned when evaluated
    grad = np.empty((2, 1))
    assert column(column.targets, np.array([[1.0], [4.0]]), None, grad) == 1.0
    np.testing.assert_array_equal(grad, [[0.0], [1.0]])
    assert "2 samples" in repr(column)


@pytest.mark.parametrize(
    ("loss", "y", "weighted"),
    [
        (SoftmaxCrossEntropyWithLogits(label_smoothing=0.1), np.array([0, 2, 1]), False),
        (SoftmaxCrossEntropyWithLogits(class_weight=[1.0, 2.0, 3.0]), np.array([0, 2, 1]), False),
        (SoftmaxCrossEntropyWithLogits(class_weight=[1.0, 2.0, 3.0]), np.eye(3)[[0, 2, 1]], True),
        (SoftmaxCrossEntropyWithLogits(), np.array([0, 2, 1]), True),
        (SoftmaxCrossEntropyWithLogits(label_smoothing=0.2), np.eye(3)[[0, 2, 1]], False),
        (SquaredError(), np.ones((3, 3)), False),
        (BinaryCrossEntropyWithLogits(pos_weight=2.0), np.array([[0.0], [1.0], [1.0]]), False),
        (BinaryCrossEntropyWithLogits(), np.array([[0.0], [1.0], [0.5]]), True),
        (BinaryCrossEntropyWithLogits(), np.array([0.0, 1.0, 1.0]), False),  # 1-D targets
        (BinaryCrossEntropyWithLogits(), np.array([[0], [1], [1]]), False),  # integer targets
    ],
)
def test_bound_losses_with_options_equal_value_and_gradient(
    loss: Loss, y: np.ndarray, weighted: bool
) -> None:
    n_outputs = 3 if isinstance(loss, SoftmaxCrossEntropyWithLogits | SquaredError) else 1
    weight = np.array([1.0, 2.0, 0.5]) if weighted else None
    bound = loss.bind(y, n_outputs=n_outputs, sample_weight=weight)
    x = np.random.default_rng(0).standard_normal((3, n_outputs))
    grad = np.empty_like(x)
    value = bound(bound.targets, x, weight, grad)
    expected_value, expected_grad = loss.value_and_gradient(y, x, weight)
    assert value == expected_value
    np.testing.assert_array_equal(grad, expected_grad)


def test_bound_loss_checks_the_output_and_the_buffer() -> None:
    bound = SquaredError().bind(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="no samples"):
        bound(bound.targets[:0], np.zeros((0, 2)), None, np.empty((0, 2)))
    with pytest.raises(ValueError, match="out must have the shape and dtype of y_pred"):
        bound(bound.targets, np.zeros((4, 2)), None, np.empty((4, 3)))
    with pytest.raises(ValueError, match="same number of samples"):
        bound(bound.targets[:3], np.zeros((4, 2)), None, np.empty((4, 2)))
    assert bound(bound.targets, np.ones((4, 2))) == 1.0  # without out, a new gradient array


def test_a_subclass_overriding_value_and_gradient_keeps_its_arithmetic_when_bound() -> None:
    class Doubled(SoftmaxCrossEntropyWithLogits):
        def value_and_gradient(self, y_true, output, sample_weight=None, out=None):
            value, grad = super().value_and_gradient(y_true, output, sample_weight, out=out)
            grad *= 2
            return 2 * value, grad

    y = np.array([0, 2, 1])
    x = np.random.default_rng(0).standard_normal((3, 3))
    bound = Doubled().bind(y, n_outputs=3)
    grad = np.empty_like(x)
    value = bound(bound.targets, x, None, grad)
    expected_value, expected_grad = SoftmaxCrossEntropyWithLogits().value_and_gradient(y, x)
    assert value == 2 * expected_value
    np.testing.assert_array_equal(grad, 2 * expected_grad)


def test_a_new_loss_needs_only_its_kernel() -> None:
    """A subclass that defines kernel() gets value, gradient and bind, all consistent."""

    class AbsoluteError(Loss):
        name = "absolute_error"
        output_name = "y_pred"

        def kernel(self, y, x, grad, workspace, *, want_value=True):
            np.sign(x - y, out=grad)
            return np.abs(x - y).sum(axis=1) if want_value else None

    loss = AbsoluteError()
    y, x = np.zeros((3, 2)), np.array([[1.0, -2.0], [0.5, 0.5], [-3.0, 0.0]])
    assert loss.value(y, x) == pytest.approx(7.0 / 3)
    np.testing.assert_array_equal(loss.gradient(y, x), np.sign(x) / 3)
    bound = loss.bind(y)
    grad = np.empty_like(x)
    assert bound(bound.targets, x, None, grad) == loss.value(y, x)
    np.testing.assert_array_equal(grad, loss.gradient(y, x))
    with pytest.raises(NotImplementedError, match="kernel"):
        Loss().value(y, x)
