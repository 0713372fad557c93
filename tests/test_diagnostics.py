"""Tests of sigmanet.diagnostics: the gradient-flow recorder and the backprop trace."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from sigmanet import activations, losses, optimizers
from sigmanet.diagnostics import BackpropTrace, GradientFlowRecorder, trace_backprop
from sigmanet.gradcheck import numerical_gradient
from sigmanet.layers import Activation, Dense, Maxout, PReLU
from sigmanet.network import Sequential
from sigmanet.recurrent import SimpleRNN
from sigmanet.training import LambdaCallback, train

# -- trace_backprop ---------------------------------------------------------------------------


def _numpy_oracle(trace: BackpropTrace) -> dict[str, list[np.ndarray]]:
    """Backpropagation written out in plain NumPy, independent of the library's layers.

    Forward ``z[l] = a[l-1] W[l] + b[l]``, ``a[l] = g(z[l])``; backward from the output error
    (``(ŷ - y) ⊙ g'(z[L])`` for squared error, ``ŷ - y`` for a sigmoid with the log loss),
    ``dz[l] = (dz[l+1] W[l+1]ᵀ) ⊙ g'(z[l])``, ``dW[l] = a[l-1]ᵀ dz[l] / m``.
    """
    Ws = [step.W for step in trace.layers]
    bs = [step.b for step in trace.layers]
    gs = [activations.get(step.activation) for step in trace.layers]
    X, Y, m = trace.x, trace.y, trace.x.shape[0]
    a_prevs, zs, primes = [], [], []
    a = X
    for W, b, g in zip(Ws, bs, gs, strict=True):
        z = a @ W + b
        a_prevs.append(a)
        zs.append(z)
        primes.append(np.asarray(g.derivative(z)))
        a = np.asarray(g(z))
    dz = (a - Y) * primes[-1] if trace.loss_name == "squared_error" else a - Y
    dzs = [dz]
    for layer in range(len(Ws) - 2, -1, -1):
        dzs.insert(0, (dzs[0] @ Ws[layer + 1].T) * primes[layer])
    dWs = [a_prev.T @ d / m for a_prev, d in zip(a_prevs, dzs, strict=True)]
    dbs = [d.sum(axis=0) / m for d in dzs]
    return {"z": zs, "output": [a], "dz": dzs, "dW": dWs, "db": dbs}


def test_default_trace_is_a_2_3_1_sigmoid_network_with_the_delta_rule():
    trace = trace_backprop()
    assert trace.layer_sizes == (2, 3, 1)
    assert [step.activation for step in trace.layers] == ["sigmoid", "sigmoid"]
    np.testing.assert_array_equal(trace.x, [[1.0, 0.5]])
    np.testing.assert_array_equal(trace.y, [[1.0]])
    # weights are printed with 2 decimals, so they must be exactly 2-decimal numbers
    for step in trace.layers:
        np.testing.assert_array_equal(step.W, np.round(step.W, 2))
        assert np.all(np.abs(step.W) <= 1.0)
    out = trace.layers[-1]
    y_hat = trace.output
    # δ = (y - ŷ) σ'(z) with σ'(z) = ŷ(1 - ŷ), the delta rule
    np.testing.assert_allclose(trace.delta, (trace.y - y_hat) * y_hat * (1 - y_hat), rtol=1e-14)
    np.testing.assert_allclose(out.dz, -trace.delta, rtol=0, atol=0)
    assert trace.loss == pytest.approx(0.5 * float(np.sum((y_hat - trace.y) ** 2)), rel=1e-15)
    # Δw_ij = η δ_j x_i (x: the output layer's input) is the same step as -η dW
    np.testing.assert_allclose(
        trace.learning_rate * np.outer(out.a_prev[0], trace.delta[0]),
        -trace.learning_rate * out.dW,
        rtol=1e-14,
    )


def test_trace_reproduces_the_published_worked_example():
    # Matt Mazur, "A Step by Step Backpropagation Example" (2015): a 2-2-2 sigmoid network,
    # squared error, η = 0.5. The expected numbers are the ones printed in that post.
    trace = trace_backprop(
        [0.05, 0.10],
        [0.01, 0.99],
        weights=[[[0.15, 0.25], [0.20, 0.30]], [[0.40, 0.50], [0.45, 0.55]]],
        biases=[[0.35, 0.35], [0.60, 0.60]],
        learning_rate=0.5,
    )
    assert trace.loss == pytest.approx(0.298371109, abs=1e-9)
    np.testing.assert_allclose(trace.layers[0].a, [[0.593269992, 0.596884378]], atol=1e-9)
    np.testing.assert_allclose(trace.output, [[0.75136507, 0.772928465]], atol=1e-8)
    np.testing.assert_allclose(
        trace.layers[1].W_new, [[0.35891648, 0.511301270], [0.408666186, 0.561370121]], atol=1e-8
    )
    np.testing.assert_allclose(
        trace.layers[0].W_new, [[0.149780716, 0.24975114], [0.19956143, 0.29950229]], atol=1e-8
    )


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "gelu", "softplus"])
@pytest.mark.parametrize("m", [1, 4])
def test_trace_gradients_match_the_library_network(activation, m):
    rng = np.random.default_rng(3)
    trace = trace_backprop(
        rng.normal(size=(m, 3)),
        rng.uniform(size=(m, 2)),
        layer_sizes=(3, 4, 5, 2),
        activation=activation,
        output_activation="sigmoid",
        random_state=5,
    )
    oracle = _numpy_oracle(trace)
    np.testing.assert_allclose(trace.output, oracle["output"][0], rtol=1e-13)
    for index, step in enumerate(trace.layers):
        np.testing.assert_allclose(step.z, oracle["z"][index], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(step.dz, oracle["dz"][index], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(step.dW, oracle["dW"][index], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(step.db, oracle["db"][index], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(step.W_new, step.W - trace.learning_rate * step.dW, rtol=1e-15)


def test_trace_is_recorded_from_the_library_network(monkeypatch):
    # Break the library's Dense backward: the trace must follow it (it has no copy of its own).
    original = Dense._backward

    def doubled(self, grad_output, need_input_grad):
        result = original(self, grad_output, need_input_grad)
        self.grads["W"] *= 2.0
        return result

    monkeypatch.setattr(Dense, "_backward", doubled)
    trace = trace_backprop(random_state=2)
    oracle = _numpy_oracle(trace)
    for index, step in enumerate(trace.layers):
        np.testing.assert_allclose(step.dW, 2.0 * oracle["dW"][index], rtol=1e-12)


@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
def test_trace_gradients_match_central_differences(loss):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 2)), rng.integers(0, 2, size=(3, 1)).astype(float)
    weights = [rng.normal(size=(2, 3)), rng.normal(size=(3, 1))]
    biases = [rng.normal(size=3), rng.normal(size=1)]
    trace = trace_backprop(x, y, weights=weights, biases=biases, loss=loss)

    def loss_value(_: np.ndarray) -> float:
        return trace_backprop(x, y, weights=weights, biases=biases, loss=loss).loss

    for index, step in enumerate(trace.layers):
        numeric_w = numerical_gradient(loss_value, weights[index], eps=1e-6)
        numeric_b = numerical_gradient(loss_value, biases[index], eps=1e-6)
        np.testing.assert_allclose(step.dW, numeric_w, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(step.db, numeric_b, rtol=1e-6, atol=1e-9)


def test_log_loss_output_error_is_the_fused_p_minus_y():
    trace = trace_backprop([0.3, -0.2], [1.0], loss="log_loss", random_state=1)
    np.testing.assert_allclose(trace.layers[-1].dz, trace.output - trace.y, rtol=1e-15)
    p = trace.output[0, 0]
    assert trace.loss == pytest.approx(-np.log(p), rel=1e-12)


def test_one_gradient_step_lowers_the_loss():
    trace = trace_backprop(learning_rate=0.1)
    after = trace_backprop(
        trace.x,
        trace.y,
        weights=[s.W_new for s in trace.layers],
        biases=[s.b_new for s in trace.layers],
    )
    assert after.loss < trace.loss


def test_trace_is_reproducible_from_the_seed():
    a, b = trace_backprop(random_state=7), trace_backprop(random_state=7)
    c = trace_backprop(random_state=8)
    np.testing.assert_array_equal(a.layers[0].W, b.layers[0].W)
    assert not np.array_equal(a.layers[0].W, c.layers[0].W)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loss": "hinge"}, "loss must be one of"),
        ({"loss": "log_loss", "output_activation": "tanh"}, "sigmoid output"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"layer_sizes": (2,)}, "layer_sizes"),
        ({"layer_sizes": (2, 0, 1)}, "layer_sizes"),
        ({"x": [1.0, 2.0, 3.0]}, "x must have 2 columns"),
        ({"x": [1.0, np.nan]}, "finite"),
        ({"y": [[1.0], [0.0]]}, "same number of rows"),
        ({"weights": [np.ones((2, 3)), np.ones((2, 1))]}, "must match"),
        ({"weights": [np.ones(3)]}, "matrix"),
        ({"weights": [np.ones((2, 1))], "biases": [np.ones(2)]}, "biases[0]"),
        ({"activation": "softmax"}, "softmax"),
    ],
)
def test_trace_rejects_bad_input_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        trace_backprop(**kwargs)


# -- GradientFlowRecorder -------------------------------------------------------------------


def _small_problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(50, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(np.intp)
    return X, y


def test_recorder_history_is_the_epoch_mean_of_batch_mean_abs_gradients():
    X, y = _small_problem()
    net = Sequential([Dense(5), Activation("tanh"), Dense(3), Activation("sigmoid"), Dense(2)])
    net.build(4, random_state=0)
    per_batch: list[list[float]] = []

    def remember(network, logs):
        per_batch.append([float(np.mean(np.abs(g))) for g in network.weight_gradients()])

    recorder = GradientFlowRecorder()
    history = train(
        net,
        losses.get("softmax_cross_entropy_with_logits"),
        optimizers.GradientDescent(learning_rate=0.1),
        X,
        y,
        epochs=3,
        batch_size=16,  # 4 batches per epoch: 16, 16, 16, 2
        random_state=0,
        callbacks=[recorder, LambdaCallback(on_batch_end=remember)],
    )
    assert history.epochs == 3
    assert recorder.layer_names == ["W1 (4→5)", "W2 (5→3)", "W3 (3→2)"]
    assert recorder.history.shape == (3, 3)
    expected = np.asarray(per_batch).reshape(3, 4, 3).mean(axis=1)
    np.testing.assert_allclose(recorder.history, expected, rtol=1e-12)
    assert np.all(recorder.history > 0)
    np.testing.assert_allclose(recorder.ratio(), expected[:, 0] / expected[:, -1], rtol=1e-12)


def test_recorder_restarts_each_run_unless_accumulating():
    X, y = _small_problem(1)
    loss = losses.get("softmax_cross_entropy_with_logits")

    def run(recorder, epochs):
        net = Sequential([Dense(3), Activation("relu"), Dense(2)]).build(4, random_state=0)
        train(
            net,
            loss,
            optimizers.Adam(learning_rate=0.01),
            X,
            y,
            epochs=epochs,
            batch_size=25,
            random_state=0,
            callbacks=[recorder],
        )

    fresh = GradientFlowRecorder()
    run(fresh, 2)
    run(fresh, 3)
    assert fresh.n_epochs == 3

    growing = GradientFlowRecorder(accumulate=True)
    run(growing, 2)
    run(growing, 3)
    assert growing.n_epochs == 5
    growing.reset()
    assert growing.history.shape == (0, 0)
    with pytest.raises(ValueError, match="Nothing recorded"):
        growing.ratio()


def test_recorder_needs_a_weight_layer():
    net = Sequential([PReLU(), Activation("tanh")]).build(3)  # PReLU's slopes are no weights
    with pytest.raises(ValueError, match="at least one layer that has weight matrices"):
        GradientFlowRecorder().on_train_begin(net)


def _digits_flow(activation: str) -> GradientFlowRecorder:
    from sigmanet.estimators import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    recorder = GradientFlowRecorder()
    model = MLPClassifier(
        hidden_layer_sizes=(32,) * 6,
        activation=activation,
        alpha=0.0,
        max_iter=3,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 3 epochs do not converge; that is not under test
        model.fit(X, y, callbacks=[recorder])
    return recorder


def test_deep_sigmoid_network_gradients_vanish_towards_the_input():
    sigmoid = _digits_flow("sigmoid")
    relu = _digits_flow("relu")
    assert sigmoid.history.shape == relu.history.shape == (3, 7)
    sigmoid_ratio = sigmoid.ratio()
    relu_ratio = relu.ratio()
    # Measured on standardised digits (6×32, adam, seed 0): sigmoid first/last ≈ 2-3e-4,
    # relu ≈ 0.5-0.75, i.e. the sigmoid stack's ratio is ~2000× smaller.
    assert np.all(sigmoid_ratio < 1e-2)
    assert np.all(relu_ratio > 0.1)
    assert np.all(relu_ratio / sigmoid_ratio >= 100)
    # and the decay is layer by layer: each sigmoid layer shrinks the mean gradient
    mean = sigmoid.history.mean(axis=0)
    assert np.all(np.diff(mean) > 0)


def test_gradient_flow_shows_every_weight_matrix_the_layers_declare():
    recorder = GradientFlowRecorder()
    maxout = Sequential([Maxout(3, pieces=2), PReLU(), Dense(2)]).build(4, random_state=0)
    recorder.on_train_begin(maxout)
    assert recorder.layer_names == ["W1 (4→3)", "W2 (3→2)"]  # not PReLU's slopes, nor biases
    recurrent = Sequential([SimpleRNN(3), Dense(1)]).build(2, random_state=0)
    recorder.on_train_begin(recurrent)
    assert recorder.layer_names == ["W1:W_ih (2→3)", "W1:W_hh (2→3)", "W2 (3→1)"]
    assert len(recorder.layer_names) == len(recurrent.weight_gradients())
