"""The public gradient checker: it passes correct derivatives and catches wrong ones."""

import numpy as np
import pytest

from sigmanet import activations, losses
from sigmanet.exceptions import GradientCheckError
from sigmanet.gradcheck import (
    check_activation,
    check_derivative,
    check_layer,
    check_loss,
    check_network,
    default_tolerances,
    numerical_gradient,
)
from sigmanet.layers import Activation, Dense
from sigmanet.network import Sequential


@pytest.mark.parametrize("name", activations.names())
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_registered_activation_passes_its_own_check(name, dtype):
    results = check_activation(name, dtype=dtype)
    assert results and all(r.passed for r in results)


def test_a_wrong_derivative_is_caught_with_the_worst_point_named():
    x = np.linspace(-2, 2, 9)
    result = check_derivative(np.sin, lambda t: np.cos(t) + 1e-3 * (t > 1), x)
    assert not result.passed
    with pytest.raises(GradientCheckError, match=r"at index \(7,\) the analytic value is 0.0717"):
        result.raise_if_failed()


def test_a_user_activation_can_be_checked_before_registering():
    wrong = activations.register(
        "test_gradcheck_cube", lambda x: x**3, lambda x: 3 * x, overwrite=True
    )
    try:
        with pytest.raises(GradientCheckError, match="test_gradcheck_cube'"):
            check_activation(wrong)
    finally:
        activations.unregister("test_gradcheck_cube")


def test_numerical_gradient_of_a_quadratic_is_exact_and_restores_x():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = numerical_gradient(lambda v: float(np.sum(v**2)), x, 1e-6)
    np.testing.assert_allclose(grad, 2 * before, rtol=1e-8)
    np.testing.assert_array_equal(x, before)


def test_a_broken_layer_backward_is_caught():
    class BrokenDense(Dense):
        def _backward(self, grad_output, need_input_grad):
            result = super()._backward(grad_output, need_input_grad)
            self.grads["W"] *= 1.01  # a 1% error in ∂L/∂W
            return result

    layer = BrokenDense(3)
    layer.build(4, np.random.default_rng(0))
    results = check_layer(
        layer, np.random.default_rng(1).normal(size=(5, 4)), raise_on_failure=False
    )
    by_name = {r.name: r.passed for r in results}
    assert by_name == {
        "BrokenDense grad_input": True,
        "BrokenDense W": False,
        "BrokenDense b": True,
    }


def test_network_and_loss_checks_pass_and_defaults_follow_the_dtype():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=(6, 1)).astype(float)
    net = Sequential([Dense(4), Activation("softplus"), Dense(1)]).build(3, random_state=0)
    loss = losses.get("binary_cross_entropy_with_logits")
    assert all(r.passed for r in check_network(net, loss, X, y))
    assert check_loss(loss, y, rng.normal(size=(6, 1))).passed
    assert default_tolerances(np.float32) == (1e-3, 1e-2, 1e-2)
    assert default_tolerances(np.float64) == (1e-6, 1e-5, 1e-3)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"eps": 0.0}, r"eps must be a number > 0 or None; got 0\.0"),
        ({"eps": "small"}, "eps must be a number > 0 or None"),
        ({"atol": -1e-6}, "atol must be a number >= 0 or None"),
        ({"rtol": float("nan")}, "rtol must be a number >= 0 or None"),
    ],
)
def test_a_bad_step_or_tolerance_is_a_clear_error(arguments, message):
    f = activations.get("tanh")
    with pytest.raises(ValueError, match=message):
        check_derivative(f, f.derivative, np.linspace(-1, 1, 5), **arguments)
