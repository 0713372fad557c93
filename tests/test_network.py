"""Sequential: backpropagation through whole networks, and worked examples by hand."""

import math

import numpy as np
import pytest

from sigmanet import activations, losses
from sigmanet.gradcheck import check_network, numerical_gradient
from sigmanet.layers import Activation, Dense, Dropout, Layer, Maxout, PReLU, Softmax
from sigmanet.network import Sequential
from sigmanet.optimizers import GradientDescent
from sigmanet.recurrent import LSTM
from sigmanet.training import train


def _problem(dtype, n=6, d=3, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.5, 1.5, size=(n, d)).astype(dtype)
    y = rng.integers(0, k, size=n)
    return X, y


@pytest.mark.parametrize("name", activations.names())
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_whole_network_gradient_with_each_activation(name, dtype):
    X, y = _problem(dtype)
    net = Sequential([Dense(4), Activation(name), Dense(4), Activation(name), Dense(3)])
    net.build(3, random_state=1, dtype=dtype)
    loss = losses.get("softmax_cross_entropy_with_logits")
    results = check_network(net, loss, X, y)
    assert len(results) == 6 and all(r.passed for r in results)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "softplus", "mish", "selu"])
def test_whole_network_gradient_to_seven_decimals(name):
    # The numerics page: whole networks also agree at eps=1e-5 to 7 decimals (smooth activations).
    X, y = _problem(np.float64, seed=3)
    net = Sequential([Dense(5), Activation(name), Dense(3)]).build(3, random_state=2)
    loss = losses.get("softmax_cross_entropy_with_logits")
    output = net.forward(X)
    net.backward(loss.gradient(y, output))
    for (_, value), analytic in zip(net.named_parameters(), net.gradients(), strict=True):
        numerical = numerical_gradient(lambda _: loss.value(y, net.forward(X)), value, 1e-5)
        np.testing.assert_almost_equal(analytic, numerical, decimal=7)


def test_network_with_maxout_prelu_and_softmax_output():
    X, _ = _problem(np.float64)
    y = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    net = Sequential([Maxout(4, pieces=3), PReLU(), Dense(3), Softmax()]).build(3, random_state=0)
    check_network(net, losses.get("squared_error"), X, y)


def test_hand_computed_backpropagation_step_of_a_tiny_sigmoid_network():
    """One step of backpropagation, written out with scalars (Rumelhart et al. 1986).

    Network 2-2-1, sigmoid everywhere, squared error ½(ŷ - y)², one sample, learning rate η.
    Output delta: δ_out = (ŷ - y) σ'(z_out) (the delta rule writes δ = (y - ŷ)σ'(z) for
    the ascent direction); hidden delta: δ_h = W_out,h δ_out σ'(z_h);
    weight gradients ∂L/∂w_ij = δ_j x_i; update w ← w - η ∂L/∂w.
    """
    sig = lambda t: 1.0 / (1.0 + math.exp(-t))  # noqa: E731 (the textbook formula, moderate inputs)
    x = [0.5, -1.0]
    target = 1.0
    eta = 0.5
    W1 = [[0.1, -0.2], [0.3, 0.4]]  # W1[i][j]: input i -> hidden j
    b1 = [0.01, -0.02]
    W2 = [0.5, -0.6]  # hidden j -> output
    b2 = 0.05

    z_h = [x[0] * W1[0][j] + x[1] * W1[1][j] + b1[j] for j in range(2)]
    a_h = [sig(z) for z in z_h]
    z_o = a_h[0] * W2[0] + a_h[1] * W2[1] + b2
    y_hat = sig(z_o)
    delta_o = (y_hat - target) * y_hat * (1 - y_hat)
    delta_h = [W2[j] * delta_o * a_h[j] * (1 - a_h[j]) for j in range(2)]
    new_W2 = [W2[j] - eta * delta_o * a_h[j] for j in range(2)]
    new_b2 = b2 - eta * delta_o
    new_W1 = [[W1[i][j] - eta * delta_h[j] * x[i] for j in range(2)] for i in range(2)]
    new_b1 = [b1[j] - eta * delta_h[j] for j in range(2)]

    net = Sequential([Dense(2), Activation("sigmoid"), Dense(1), Activation("sigmoid")])
    net.build(2, random_state=0)
    net.layers[0].params["W"][...] = W1
    net.layers[0].params["b"][...] = b1
    net.layers[2].params["W"][...] = np.array(W2)[:, None]
    net.layers[2].params["b"][...] = b2
    train(
        net,
        losses.get("squared_error"),
        GradientDescent(learning_rate=eta),
        np.array([x]),
        np.array([[target]]),
        epochs=1,
        batch_size=1,
        shuffle=False,
    )

    np.testing.assert_allclose(net.layers[0].params["W"], new_W1, rtol=1e-12)
    np.testing.assert_allclose(net.layers[0].params["b"], new_b1, rtol=1e-12)
    np.testing.assert_allclose(net.layers[2].params["W"][:, 0], new_W2, rtol=1e-12)
    np.testing.assert_allclose(net.layers[2].params["b"], [new_b2], rtol=1e-12)


def test_logistic_regression_gradient_equals_backpropagation():
    """Logistic regression: ∇w L = -(1/m) Xᵀ(y - σ(Xw + b)), ∇b L = -(1/m) 1ᵀ(y - σ(Xw + b))."""
    rng = np.random.default_rng(0)
    m, n = 40, 5
    X = rng.normal(size=(m, n))
    y = (rng.random(m) < 0.5).astype(float)
    net = Sequential([Dense(1)]).build(n, random_state=0)
    w = net.layers[0].params["W"][:, 0]
    b = net.layers[0].params["b"][0]
    loss = losses.get("binary_cross_entropy_with_logits")
    net.backward(loss.gradient(y[:, None], net.forward(X)))
    h = 1 / (1 + np.exp(-(X @ w + b)))
    np.testing.assert_allclose(net.layers[0].grads["W"][:, 0], -(X.T @ (y - h)) / m, rtol=1e-12)
    np.testing.assert_allclose(net.layers[0].grads["b"][0], -np.sum(y - h) / m, rtol=1e-12)


def test_backward_skips_the_first_input_gradient_unless_asked():
    net = Sequential([Dense(3), Activation("relu"), Dense(1)]).build(2, random_state=0)
    X = np.ones((4, 2))
    net.forward(X)
    assert net.backward(np.ones((4, 1))) is None
    net.forward(X)
    assert net.backward(np.ones((4, 1)), need_input_grad=True).shape == (4, 2)


def test_parameters_and_gradients_line_up():
    net = Sequential([Dense(3), Activation("tanh"), Dense(2)]).build(4, random_state=0)
    names = [name for name, _ in net.named_parameters()]
    assert names == ["0.W", "0.b", "2.W", "2.b"]
    assert [p.shape for p in net.parameters()] == [g.shape for g in net.gradients()]
    assert net.n_parameters == 4 * 3 + 3 + 3 * 2 + 2
    assert len(net.weight_matrices()) == 2


def test_same_seed_same_weights_and_errors():
    a = Sequential([Dense(3)]).build(2, random_state=5)
    b = Sequential([Dense(3)]).build(2, random_state=5)
    np.testing.assert_array_equal(a.parameters()[0], b.parameters()[0])
    with pytest.raises(TypeError, match=r"layers\[1\] is a str"):
        Sequential([Dense(2), "relu"])
    with pytest.raises(RuntimeError, match="not built"):
        Sequential([Dense(2)]).forward(np.ones((1, 2)))
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        Sequential([Dense(2)]).build(2, dtype=np.int64)


def test_parameters_live_in_one_flat_vector_that_survives_copies():
    import copy
    import pickle

    net = Sequential([Dense(3), Activation("tanh"), Dense(2)]).build(4, random_state=0)
    flat = net.flat_parameters()
    assert flat.shape == (net.n_parameters,)
    assert all(p.base is flat for p in net.parameters())
    flat[0] = 42.0
    assert net.layers[0].params["W"][0, 0] == 42.0
    for twin in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        # copies sever numpy views; the flat vector is rebuilt from the copied values
        twin_flat = twin.flat_parameters()
        np.testing.assert_array_equal(twin_flat, flat)
        twin_flat[1] = -7.0
        assert twin.layers[0].params["W"].reshape(-1)[1] == -7.0
        assert net.layers[0].params["W"].reshape(-1)[1] != -7.0
    X = np.ones((2, 4))
    net.forward(X)
    net.backward(np.ones((2, 2)))
    grads = net.flat_gradients()
    np.testing.assert_array_equal(grads, np.concatenate([g.reshape(-1) for g in net.gradients()]))


def test_predict_equals_forward_and_leaves_the_input_alone():
    from sigmanet.layers import Dropout

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 4))
    before = X.copy()
    for layers in (
        [Dense(8), Activation("relu"), Dense(8), Activation("sigmoid"), Dense(3)],
        [Dropout(0.5), Activation("tanh"), Dense(2)],  # Dropout hands X on unchanged
    ):
        net = Sequential(layers).build(4, random_state=0)
        net.predict_block_rows = 1000  # several blocks and a remainder
        np.testing.assert_allclose(net.predict(X), net.forward(X), rtol=1e-15)
        np.testing.assert_array_equal(X, before)


# -- the architecture as a description: get_config and from_config --------------------------


def test_a_network_rebuilt_from_its_config_computes_the_same_function():
    net = Sequential(
        [
            Dense(5, initializer="he_uniform"),
            Activation("leaky_relu", alpha=0.1),
            Maxout(4, pieces=3),
            PReLU(0.2),
            Dropout(0.3),
            Dense(3, use_bias=False),
            Softmax(),
        ]
    ).build(3, random_state=7)
    config = net.get_config()
    assert [entry["class"] for entry in config["layers"]] == [
        "Dense",
        "Activation",
        "Maxout",
        "PReLU",
        "Dropout",
        "Dense",
        "Softmax",
    ]
    again = Sequential.from_config(config).build(3, random_state=7)
    assert again.get_config() == config
    X = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(again.predict(X), net.predict(X))


def test_recurrent_layers_are_found_by_name_too():
    net = Sequential([LSTM(3, bidirectional=True), Dense(2)])
    again = Sequential.from_config(net.get_config())
    assert isinstance(again.layers[0], LSTM)
    assert again.get_config() == net.get_config()


def test_an_unregistered_layer_cannot_be_described():
    class Doubler(Layer):
        def _forward(self, x, training):
            self._cache = (x, 2 * x)
            return 2 * x

    with pytest.raises(ValueError, match=r"layers\[1\] is a Doubler.*REGISTRY.register\('Doubler'"):
        Sequential([Dense(2), Doubler()]).get_config()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ([], "config must be a mapping"),
        ({"layers": "Dense"}, "config must be a mapping"),
        ({"layers": [{"config": {}}]}, r'config\["layers"\]\[0\] must be a mapping'),
        ({"layers": [{"class": "Dense", "config": [3]}]}, r'config\["layers"\]\[0\]'),
        ({"layers": [{"class": "Dence", "config": {"units": 3}}]}, "Did you mean 'dense'"),
    ],
)
def test_a_malformed_config_is_a_clear_error(config, message):
    with pytest.raises(ValueError, match=message):
        Sequential.from_config(config)
