"""Layers: gradient checks of every layer, buffers, what each layer declares (its weight
matrices, its name, its configuration), and the errors users meet."""

import subprocess
import sys

import numpy as np
import pytest

from sigmanet import activations
from sigmanet import layers as layers_module
from sigmanet.gradcheck import check_layer
from sigmanet.layers import Activation, Dense, Dropout, Maxout, PReLU, Softmax
from sigmanet.network import Sequential
from sigmanet.recurrent import GRU, LSTM, SimpleRNN

# Points kept away from the kinks of the piecewise-linear activations, so that a central
# difference with eps=1e-3 (float32) never straddles one.
KINKS = {e.name: e.metadata["kinks"] for e in activations.REGISTRY.entries()}


def _inputs(name, shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-4, 4, size=shape)
    for kink in KINKS.get(name, []):
        near = np.abs(x - kink) < 0.05
        x[near] += 0.1
    return x.astype(dtype)


def _built(layer, input_dim, dtype=np.float64, seed=0):
    layer.build(input_dim, np.random.default_rng(seed), dtype)
    return layer


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_gradients(dtype):
    layer = _built(Dense(3), 4, dtype)
    results = check_layer(layer, _inputs("identity", (5, 4), dtype))
    assert {r.name for r in results} == {"Dense grad_input", "Dense W", "Dense b"}
    assert all(r.passed for r in results)


@pytest.mark.parametrize("name", activations.names())
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activation_layer_gradients_for_every_registered_activation(name, dtype):
    layer = _built(Activation(name), 3, dtype)
    check_layer(layer, _inputs(activations.get(name).name, (6, 3), dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_prelu_gradients_include_the_learned_slope(dtype):
    layer = _built(PReLU(alpha_init=0.2), 4, dtype)
    x = _inputs("relu", (7, 4), dtype)
    results = check_layer(layer, x)
    slope = next(r for r in results if r.name == "PReLU alpha")
    # ∂L/∂α_j = Σ_{x_ij ≤ 0} x_ij g_ij: nonzero because x has negative entries
    assert np.all(np.abs(slope.analytic) > 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_maxout_gradients_and_routing_to_the_winning_piece(dtype):
    layer = _built(Maxout(3, pieces=4), 5, dtype, seed=1)
    x = _inputs("identity", (6, 5), dtype)
    check_layer(layer, x)
    layer.forward(x)
    grad_output = np.ones((6, 3), dtype=dtype)
    layer.backward(grad_output)
    z = x @ layer.params["W"] + layer.params["b"]
    winners = z.reshape(6, 3, 4).argmax(axis=2)
    expected_db = np.zeros((3, 4))
    for row in range(6):
        for unit in range(3):
            expected_db[unit, winners[row, unit]] += 1
    np.testing.assert_allclose(layer.grads["b"].reshape(3, 4), expected_db)


def test_maxout_with_pieces_w_and_zero_is_relu():
    # Goodfellow et al. (2013): ReLU is the special case of maxout with one piece fixed at zero.
    layer = _built(Maxout(2, pieces=2), 2)
    layer.params["W"][...] = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    x = np.array([[-1.5, 2.0], [3.0, -0.5]])
    np.testing.assert_array_equal(layer.forward(x), np.maximum(x, 0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_layer_gradients(dtype):
    layer = _built(Softmax(), 4, dtype)
    check_layer(layer, _inputs("identity", (3, 4), dtype))


def test_dropout_is_identity_at_inference_and_unbiased_in_training():
    layer = _built(Dropout(0.3, random_state=0), 200)
    x = np.ones((500, 200))
    np.testing.assert_array_equal(layer.forward(x), x)
    y = layer.forward(x, training=True)
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.01
    assert abs(y.mean() - 1.0) < 0.02
    grad = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(grad, y)  # the same mask scales the gradient


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_stays_float32_through_forward_and_backward(dtype):
    layers = [
        _built(Dense(3), 4, dtype),
        _built(Activation("sigmoid"), 3, dtype),
        _built(Maxout(2), 3, dtype),
        _built(PReLU(), 2, dtype),
    ]
    x = np.ones((2, 4), dtype=dtype)
    for layer in layers:
        out = layer.forward(x, training=True)
        assert out.dtype == dtype
        grad = layer.backward(np.ones_like(out))
        assert grad.dtype == dtype
        assert all(g.dtype == dtype for g in layer.grads.values())
        x = out


def test_training_mode_reuses_buffers_and_inference_returns_fresh_arrays():
    layer = _built(Dense(3), 4)
    x = np.ones((5, 4))
    first = layer.forward(x, training=True)
    second = layer.forward(x, training=True)
    assert first is second
    assert layer.forward(x) is not layer.forward(x)


def test_backward_before_forward_is_a_clear_error():
    layer = _built(Dense(3), 4)
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        layer.backward(np.ones((2, 3)))


def test_wrong_shapes_are_clear_errors():
    layer = _built(Dense(3), 4)
    with pytest.raises(ValueError, match=r"expects x of shape \(n_samples, 4\); got shape"):
        layer.forward(np.ones((2, 5)))
    with pytest.raises(ValueError, match="expects x of shape"):
        layer.forward(np.ones(4))
    layer.forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"grad_output has shape \(2, 4\)"):
        layer.backward(np.ones((2, 4)))


def test_unbuilt_layer_and_bad_arguments():
    with pytest.raises(RuntimeError, match="not built"):
        Dense(3).forward(np.ones((1, 2)))
    with pytest.raises(ValueError, match="units must be a positive integer"):
        Dense(0)
    with pytest.raises(ValueError, match="Unknown initializer 'nope'"):
        Dense(2, initializer="nope")
    with pytest.raises(ValueError, match=r"Dropout rate must be in \[0, 1\)"):
        Dropout(1.0)
    with pytest.raises(ValueError, match="Unknown activation 'nope'"):
        Activation("nope")
    with pytest.raises(TypeError, match="complex"):
        _built(Dense(1), 1).forward(np.ones((1, 1), dtype=complex))


def test_empty_batch_flows_through():
    layer = _built(Dense(3), 4)
    out = layer.forward(np.ones((0, 4)), training=True)
    assert out.shape == (0, 3)
    assert layer.backward(np.ones((0, 3))).shape == (0, 4)
    np.testing.assert_array_equal(layer.grads["W"], 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("limit", [2**21, 0])  # the zeros-array path, and the scalar kernel
def test_relu_layer_equals_the_relu_function_on_every_path(dtype, limit, monkeypatch):
    monkeypatch.setattr(Activation, "relu_zeros_limit", limit)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(33, 7)).astype(dtype)
    x[0, :6] = [np.nan, -np.inf, np.inf, -0.0, 0.0, -np.finfo(dtype).max]
    expected = activations.relu(x)
    layer = Activation("relu")
    layer.build(7, dtype=dtype)
    for training in (True, False):
        np.testing.assert_array_equal(layer.forward(x, training=training), expected)
    mine = x.copy()
    np.testing.assert_array_equal(layer.forward(mine, overwrite_input=True), expected)
    assert layer.forward(x, training=True) is layer.forward(x, training=True)  # a buffer
    np.testing.assert_array_equal(x[0, 1:6], [-np.inf, np.inf, -0.0, 0.0, -np.finfo(dtype).max])


def test_constant_buffers_are_read_only():
    layer = Activation("relu")
    layer.build(4)
    layer.forward(np.ones((3, 4)), training=True)
    dense = Dense(2)
    dense.build(4)
    dense.forward(np.ones((3, 4)), training=True)
    dense.backward(np.ones((3, 2)))
    constants = [a for k, a in layer._buffers._arrays.items() if k[0] == "zeros"]
    constants += [a for k, a in dense._buffers._arrays.items() if k[0] == "ones"]
    assert len(constants) == 2
    assert not any(a.flags.writeable for a in constants)


# -- what a layer declares: its weight matrices, its name, its configuration -------------------

# (layer, the weight matrices it declares, its other parameters)
DECLARED = [
    (Dense(3), ["W"], ["b"]),
    (Dense(3, use_bias=False), ["W"], []),
    (Maxout(3, pieces=2), ["W"], ["b"]),
    (PReLU(), [], ["alpha"]),
    (Activation("tanh"), [], []),
    (Dropout(0.5), [], []),
    (Softmax(), [], []),
    (SimpleRNN(3), ["W_ih", "W_hh"], ["b_ih", "b_hh"]),
    (LSTM(3, bidirectional=True), ["W_ih", "W_hh", "W_ih_reverse", "W_hh_reverse"], None),
    (GRU(3), ["W_ih", "W_hh"], ["b_ih", "b_hh"]),
]


@pytest.mark.parametrize(("layer", "weights", "others"), DECLARED, ids=lambda v: repr(v)[:30])
def test_each_layer_declares_its_weight_matrices_and_nothing_else(layer, weights, others):
    layer.build(4, np.random.default_rng(0))
    declared = layer.weight_names()
    assert sorted(declared) == sorted(weights)
    assert all(layer.params[name].ndim == 2 for name in declared)
    rest = sorted(set(layer.params) - set(declared))
    if others is not None:
        assert rest == sorted(others)
    assert all(layer.params[name].ndim == 1 for name in rest)


def test_the_network_penalises_exactly_the_declared_weights():
    net = Sequential([Maxout(4, pieces=2), PReLU(), Dense(2)]).build(3, random_state=0)
    assert [id(w) for w in net.weight_matrices()] == [
        id(net.layers[0].params["W"]),
        id(net.layers[2].params["W"]),
    ]
    assert [id(g) for g in net.weight_gradients()] == [
        id(net.layers[0].grads["W"]),
        id(net.layers[2].grads["W"]),
    ]


def _public_subclasses(cls):
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("sigmanet.") and not sub.__name__.startswith("_"):
            yield sub
        yield from _public_subclasses(sub)


def test_every_built_in_layer_is_registered_under_its_class_name():
    built_in = set(_public_subclasses(layers_module.Layer))
    assert {Dense, Maxout, LSTM} <= built_in  # the walk finds them
    registered = {entry.item for entry in layers_module.REGISTRY.entries()}
    assert registered == built_in
    for cls in built_in:
        assert layers_module.REGISTRY.get(cls.__name__) is cls
        assert layers_module.REGISTRY.is_builtin(cls.__name__)


@pytest.mark.parametrize(
    "first_import", ["sigmanet.recurrent", "sigmanet.layers.recurrent.gru", "sigmanet.layers"]
)
def test_the_recurrent_layers_are_built_ins_whichever_module_is_imported_first(first_import):
    # The registry is sealed once, by sigmanet.layers; a recurrent layer registered after the
    # seal would count as a user's layer. Only a fresh interpreter shows the import order.
    code = (
        f"import {first_import}\n"
        "from sigmanet.layers import REGISTRY\n"
        "print(sorted(n for n in ('SimpleRNN', 'LSTM', 'GRU') if REGISTRY.is_builtin(n)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "['GRU', 'LSTM', 'SimpleRNN']"


@pytest.mark.parametrize(
    "layer",
    [
        Dense(3, use_bias=False, initializer="he_normal", bias_initializer="zeros"),
        Maxout(2, pieces=3),
        PReLU(alpha_init=0.1),
        Activation("leaky_relu", alpha=0.2),
        Dropout(0.25),
        Softmax(),
        SimpleRNN(3, activation="relu", return_sequences=True),
        LSTM(2, bidirectional=True, truncate=4),
        GRU(2, gate_activation="hard_sigmoid"),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_a_layer_rebuilt_from_its_config_has_the_same_config(layer):
    again = layers_module.get(type(layer).__name__, **layer.get_config())
    assert type(again) is type(layer)
    assert again.get_config() == layer.get_config()


def test_an_unknown_layer_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown layer 'Dence'.*Did you mean 'dense'"):
        layers_module.get("Dence", units=3)
    with pytest.raises(TypeError, match="layer must be a name or a Layer"):
        layers_module.get(3)
    with pytest.raises(
        ValueError, match=r"tanh is an activation: the layer is Activation\('tanh'\)"
    ):
        layers_module.get("Tanh")
    with pytest.raises(ValueError, match="A fully connected layer is Dense"):
        layers_module.get("Linear", units=3)
