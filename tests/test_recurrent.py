"""Recurrent layers: agreement with PyTorch, gradient checks, masks, truncation, clipping,
the gate argument, the explosion and gradients-through-time demonstrations, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sigmanet.gradcheck import check_layer, numerical_gradient
from sigmanet.recurrent import GRU, LSTM, SimpleRNN, check_gate_activation

REFERENCE = Path(__file__).parent / "data" / "rnn_reference.npz"


def _reference_cases() -> dict[str, dict[str, np.ndarray]]:
    cases: dict[str, dict[str, np.ndarray]] = {}
    with np.load(REFERENCE, allow_pickle=False) as store:
        for key in store.files:
            if "/" in key:
                case, name = key.split("/", 1)
                cases.setdefault(case, {})[name] = store[key]
    return cases


CASES = _reference_cases()


def _layer_for(case: str, units: int):
    cell, direction, _, output = case.split("-")
    options = {"bidirectional": direction == "bi", "return_sequences": output == "sequences"}
    if cell.startswith("rnn_"):
        return SimpleRNN(units, activation=cell[4:], **options)
    return {"lstm": LSTM, "gru": GRU}[cell](units, **options)


def _built(layer, n_features, dtype=np.float64, seed=0):
    layer.build(n_features, np.random.default_rng(seed), dtype)
    return layer


def test_the_fixture_covers_every_cell_and_option():
    assert len(CASES) == 32
    assert {case.split("-")[0] for case in CASES} == {"rnn_tanh", "rnn_relu", "lstm", "gru"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_weights_same_outputs_and_gradients_as_pytorch(case):
    ref = CASES[case]
    units = ref["h0"].shape[2]
    layer = _built(_layer_for(case, units), ref["x"].shape[2])
    assert set(layer.params) == {k[len("param.") :] for k in ref if k.startswith("param.")}
    for name in layer.params:
        assert layer.params[name].shape == ref["param." + name].shape
        layer.params[name][...] = ref["param." + name]
    state = (ref["h0"], ref["c0"]) if "c0" in ref else ref["h0"]
    output = layer.forward(ref["x"], lengths=ref.get("lengths"), initial_state=state)
    np.testing.assert_allclose(output, ref["output"], rtol=1e-10, atol=1e-10)
    grad_x = layer.backward(ref["probe"])
    np.testing.assert_allclose(grad_x, ref["grad_x"], rtol=1e-10, atol=1e-10)
    for name in layer.params:
        np.testing.assert_allclose(
            layer.grads[name], ref["grad." + name], rtol=1e-10, atol=1e-10, err_msg=name
        )
    grad_state = layer.grad_initial_state
    if "c0" in ref:
        np.testing.assert_allclose(grad_state[0], ref["grad_h0"], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(grad_state[1], ref["grad_c0"], rtol=1e-10, atol=1e-10)
    else:
        np.testing.assert_allclose(grad_state, ref["grad_h0"], rtol=1e-10, atol=1e-10)


CELLS = {
    "rnn_tanh": lambda units, **kw: SimpleRNN(units, **kw),
    "rnn_sigmoid": lambda units, **kw: SimpleRNN(units, activation="sigmoid", **kw),
    "lstm": lambda units, **kw: LSTM(units, **kw),
    "lstm_hard_sigmoid": lambda units, **kw: LSTM(units, gate_activation="hard_sigmoid", **kw),
    "gru": lambda units, **kw: GRU(units, **kw),
}
OPTIONS = [
    {},
    {"return_sequences": True},
    {"bidirectional": True},
    {"bidirectional": True, "return_sequences": True},
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(o) or "last")
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_gradient_check_every_cell(cell, options, dtype):
    layer = _built(CELLS[cell](3, **options), 2, dtype)
    # hard_sigmoid has kinks at ±3: small inputs keep every pre-activation away from them
    x = 0.5 * np.random.default_rng(1).standard_normal((2, 4, 2))
    results = check_layer(layer, x)
    assert all(result.passed for result in results)
    assert len(results) == 1 + len(layer.params)


def _masked_scalar(layer, x, probe, **options):
    return float(np.sum(layer.forward(x, **options) * probe))


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(o) or "last")
@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm", "gru"])
def test_gradient_check_with_lengths(cell, options):
    layer = _built(CELLS[cell](3, **options), 2)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 5, 2))
    lengths = np.array([5, 1, 3])
    h0 = 0.3 * rng.standard_normal((layer.directions, 3, 3))
    state = (h0, -h0) if cell == "lstm" else h0
    probe = rng.standard_normal(layer.forward(x, lengths=lengths).shape)
    layer.forward(x, lengths=lengths, initial_state=state)
    grad_x = layer.backward(probe)
    analytic = {name: g.copy() for name, g in layer.grads.items()}
    f = lambda _: _masked_scalar(layer, x, probe, lengths=lengths, initial_state=state)  # noqa: E731
    np.testing.assert_allclose(grad_x, numerical_gradient(f, x, 1e-6), atol=1e-8, rtol=1e-6)
    for name, value in layer.params.items():
        np.testing.assert_allclose(
            analytic[name], numerical_gradient(f, value, 1e-6), atol=1e-8, rtol=1e-6
        )
    # padded steps receive no gradient
    assert np.all(grad_x[1, 1:] == 0) and np.all(grad_x[2, 3:] == 0)


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm", "gru"])
def test_padding_changes_nothing(cell):
    """A padded sequence gives what the unpadded one gives alone, padding values aside."""
    layer = _built(CELLS[cell](4, bidirectional=True), 3)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 3))
    padded = x.copy()
    padded[1, 2:] = rng.standard_normal((4, 3)) * 1e3  # garbage in the padding
    together = layer.forward(padded, lengths=[6, 2])
    alone = layer.forward(x[1:, :2])
    np.testing.assert_allclose(together[1], alone[0], rtol=1e-12)
    np.testing.assert_allclose(together[0], layer.forward(x[:1])[0], rtol=1e-12)


def test_mask_value_nan_is_the_same_as_lengths():
    layer = _built(LSTM(3, return_sequences=True, mask_value=np.nan), 2)
    x = np.random.default_rng(4).standard_normal((2, 5, 2))
    padded = x.copy()
    padded[0, 3:] = np.nan
    by_value = layer.forward(padded)
    assert np.all(np.isnan(by_value[0, 3:]))  # padding in, padding out
    by_lengths = layer.forward(x, lengths=[3, 5])
    np.testing.assert_array_equal(by_value[0, :3], by_lengths[0, :3])
    np.testing.assert_array_equal(by_value[1], by_lengths[1])
    grad = layer.backward(np.ones_like(by_value))
    assert np.all(grad[0, 3:] == 0) and np.isfinite(grad).all()


def test_truncation_cuts_the_gradient_after_k_steps():
    full = _built(LSTM(3), 2)
    cut = _built(LSTM(3, truncate=2), 2)
    x = np.random.default_rng(5).standard_normal((2, 6, 2))
    full.forward(x)
    cut.forward(x)
    g_full = full.backward(np.ones((2, 3)))
    g_cut = cut.backward(np.ones((2, 3)))
    # the last output depends on the last 2 steps through paths inside the last window
    np.testing.assert_array_equal(g_cut[:, -2:], g_full[:, -2:])
    assert np.all(g_cut[:, :-2] == 0) and np.all(np.abs(g_full[:, :-2]) > 0)
    assert not np.allclose(cut.grads["W_hh"], full.grads["W_hh"])
    np.testing.assert_array_equal(cut.forward(x), full.forward(x))


def test_clip_norm_rescales_the_parameter_gradients():
    plain = _built(GRU(3), 2)
    clipped = _built(GRU(3, clip_norm=0.01), 2)
    x = np.random.default_rng(6).standard_normal((4, 5, 2))
    for layer in (plain, clipped):
        layer.backward(np.ones_like(layer.forward(x)))
    norm = np.sqrt(sum(np.vdot(g, g) for g in plain.grads.values()))
    assert norm > 0.01
    clipped_norm = np.sqrt(sum(np.vdot(g, g) for g in clipped.grads.values()))
    np.testing.assert_allclose(clipped_norm, 0.01)
    for name in plain.grads:
        np.testing.assert_allclose(clipped.grads[name], plain.grads[name] * 0.01 / norm)


def test_initialisation_glorot_orthogonal_forget_bias_seeded():
    layer = _built(LSTM(5, bidirectional=True), 3, seed=7)
    again = _built(LSTM(5, bidirectional=True), 3, seed=7)
    for name in layer.params:
        np.testing.assert_array_equal(layer.params[name], again.params[name])
    W_hh = layer.params["W_hh"]
    for gate in range(4):
        block = W_hh[gate * 5 : (gate + 1) * 5]
        np.testing.assert_allclose(block @ block.T, np.eye(5), atol=1e-12)
    assert np.max(np.abs(layer.params["W_ih"])) <= np.sqrt(6 / (3 + 5))
    expected_bias = np.zeros(20)
    expected_bias[5:10] = 1.0
    np.testing.assert_array_equal(layer.params["b_ih"], expected_bias)
    np.testing.assert_array_equal(layer.params["b_ih_reverse"], expected_bias)
    assert not np.any(layer.params["b_hh"])
    assert not np.array_equal(layer.params["W_ih"], layer.params["W_ih_reverse"])


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_float32_stays_float32(cell):
    layer = _built(CELLS[cell](3, bidirectional=True, return_sequences=True), 2, np.float32)
    x = np.random.default_rng(0).standard_normal((2, 4, 2)).astype(np.float32)
    output = layer.forward(x, lengths=[4, 2])
    assert output.dtype == np.float32
    assert layer.backward(np.ones_like(output)).dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())


# -- the gate argument -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["relu", "tanh", "identity", "softplus", "elu"])
def test_a_gate_activation_must_map_into_zero_one(name):
    with pytest.raises(ValueError, match=r"gate is a valve whose value must lie in \[0, 1\]"):
        LSTM(3, gate_activation=name)
    with pytest.raises(ValueError, match="cannot be a gate activation"):
        GRU(3, gate_activation=name)


def test_bounded_gate_activations_are_accepted():
    for name in ("sigmoid", "logistic", "hard_sigmoid"):
        assert check_gate_activation(name).name in ("sigmoid", "hard_sigmoid")


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float64, (2, 6, 3), elements=st.floats(-1e6, 1e6)),
    st.integers(0, 2**16),
)
def test_lstm_gates_stay_in_zero_one_on_any_input(x, seed):
    layer = _built(LSTM(4, bidirectional=True), 3, seed=seed)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        gates = layer.gate_values(x)
    for name in ("input", "forget", "output"):
        assert np.all((gates[name] >= 0) & (gates[name] <= 1)), name
    assert np.all(np.abs(gates["cell"]) <= 1)
    # away from saturation the valves are strictly between closed and open
    moderate = layer.gate_values(np.clip(x, -1, 1))
    for name in ("input", "forget", "output"):
        assert np.all((moderate[name] > 0) & (moderate[name] < 1)), name


# -- the demonstrations ----------------------------------------------------------------------


def test_relu_state_explodes_and_tanh_stays_bounded():
    from sigmanet.diagnostics import recurrent_state_growth

    relu = recurrent_state_growth("relu", spectral_radius=1.5, steps=100)
    tanh = recurrent_state_growth("tanh", spectral_radius=1.5, steps=100)
    assert np.all(np.diff(relu) > 0)  # grows at every step ...
    assert relu[-1] / relu[0] > 1.5**90  # ... like ρ^t
    assert np.all(tanh < 1)
    # the same matrix scaled below 1 keeps even ReLU bounded
    assert recurrent_state_growth("relu", spectral_radius=0.9, steps=100)[-1] < 100


def test_gradient_through_time_vanishes_sooner_in_a_tanh_rnn_than_in_an_lstm():
    from sigmanet.diagnostics import gradients_through_time

    norms = gradients_through_time(("rnn", "lstm"), steps=100, random_state=0)
    rnn, lstm = norms["rnn"], norms["lstm"]
    assert rnn.shape == lstm.shape == (100,)
    np.testing.assert_allclose(rnn[-1], lstm[-1], rtol=1e-12)  # the same loss gradient at T
    # 50 steps back the LSTM keeps more than a thousand times the RNN's gradient
    assert lstm[49] / rnn[49] > 1e3
    assert rnn[49] / rnn[-1] < 1e-5


# -- bad input -------------------------------------------------------------------------------


def test_bad_input_is_a_clear_error():
    layer = _built(LSTM(3), 2)
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward"):
        layer.backward(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"expects x of shape \(n_samples, n_timesteps, 2\)"):
        layer.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match="built for 2 features per step; x has 5"):
        layer.forward(np.ones((4, 3, 5)))
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 3\]"):
        layer.forward(np.ones((2, 3, 2)), lengths=[4, 1])
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 3\]"):
        layer.forward(np.ones((2, 3, 2)), lengths=[0, 1])
    with pytest.raises(ValueError, match=r"lengths must have shape \(2,\)"):
        layer.forward(np.ones((2, 3, 2)), lengths=[1, 2, 3])
    with pytest.raises(ValueError, match="lengths must be integers"):
        layer.forward(np.ones((2, 3, 2)), lengths=[1.5, 2])
    with pytest.raises(ValueError, match="mask must be a boolean array of shape"):
        layer.forward(np.ones((2, 3, 2)), mask=np.ones((2, 2), bool))
    with pytest.raises(ValueError, match=r"initial_state is a pair \(h0, c0\)"):
        layer.forward(np.ones((2, 3, 2)), initial_state=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="no time steps"):
        layer.forward(np.ones((2, 0, 2)))
    with pytest.raises(RuntimeError, match="not built"):
        GRU(2).forward(np.ones((1, 2, 2)))
    with pytest.raises(ValueError, match="units must be a positive integer"):
        SimpleRNN(0)
    with pytest.raises(ValueError, match="truncate must be a positive integer"):
        GRU(2, truncate=0)
    with pytest.raises(ValueError, match="clip_norm must be a finite number"):
        GRU(2, clip_norm=-1.0)
    with pytest.raises(ValueError, match="Unknown activation"):
        SimpleRNN(2, activation="tanhh")


# -- whole networks --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_check_of_a_stacked_bidirectional_masked_network(dtype):
    from sigmanet import losses
    from sigmanet.gradcheck import check_network
    from sigmanet.layers import Dense
    from sigmanet.network import Sequential

    network = Sequential(
        [
            LSTM(3, return_sequences=True, bidirectional=True, mask_value=np.nan),
            GRU(2, return_sequences=True, mask_value=np.nan),
            SimpleRNN(2, bidirectional=True, mask_value=np.nan),
            Dense(3),
        ]
    ).build(2, random_state=0, dtype=dtype)
    rng = np.random.default_rng(8)
    X = rng.standard_normal((4, 5, 2)).astype(dtype)
    X[1, 3:] = np.nan  # padding: two sequences are shorter
    X[3, 1:] = np.nan
    y = np.array([0, 2, 1, 2])
    results = check_network(network, losses.get("softmax_cross_entropy_with_logits"), X, y)
    assert len(results) == len(list(network.named_parameters())) == 8 + 4 + 8 + 2
    assert all(result.passed for result in results)
    assert {id(w) for w in network.weight_matrices()} >= {
        id(network.layers[0].params["W_hh_reverse"])
    }


@pytest.mark.parametrize(("dtype", "atol"), [(np.float64, 4e-16), (np.float32, 2e-7)])
def test_the_gates_sigmoid_agrees_with_the_registered_one(dtype, atol):
    """The gates compute σ as ½ + ½ tanh(x/2): within an ulp or two of ½ of sigmoid()."""
    from sigmanet import activations

    layer = _built(LSTM(8), 5, dtype)
    x = (np.random.default_rng(9).standard_normal((50, 1, 5)) * 20).astype(dtype)
    gates = layer.gate_values(x)
    W, b = layer.params["W_ih"], layer.params["b_ih"] + layer.params["b_hh"]
    pre = x[:, 0] @ W.T + b  # the first step: h_0 = 0
    for index, name in [(0, "input"), (1, "forget"), (3, "output")]:
        expected = activations.sigmoid(pre[:, index * 8 : (index + 1) * 8])
        assert gates[name].dtype == dtype
        np.testing.assert_allclose(gates[name][0, :, 0], expected, rtol=0, atol=atol)
    assert np.ptp(pre) > 40  # the test reaches both saturated tails


STEADY_STATE_OPTIONS = [
    {},
    {"return_sequences": True, "bidirectional": True, "clip_norm": 1.0},
    {"truncate": 5},
    {"mask_value": np.nan},  # series without padding, as the estimators pass them
]


@pytest.mark.parametrize("options", STEADY_STATE_OPTIONS, ids=str)
# the layers' own work; an activation's kernel may allocate temporaries of its own
# (hard_sigmoid's does), which is the activation's business
@pytest.mark.parametrize("cell", ["rnn_tanh", "rnn_sigmoid", "lstm", "gru"])
def test_a_training_pass_allocates_nothing_in_steady_state(cell, options):
    import tracemalloc

    x = np.random.default_rng(1).standard_normal((8, 20, 3))

    width = 32 if options.get("bidirectional") else 16
    probe = np.ones((8, 20, width) if options.get("return_sequences") else (8, width))

    def traced_pass(layer):
        """The largest memory a forward + backward pass allocates, beyond what it started with."""
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            layer.forward(x, training=True)
            layer.backward(probe)
            return tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()

    first = traced_pass(_built(CELLS[cell](16, **options), 3))
    layer = _built(CELLS[cell](16, **options), 3)
    for _ in range(2):
        layer.forward(x, training=True)
        layer.backward(probe)
    steady = traced_pass(layer)
    # the first pass allocates every buffer (well over 100 KiB here); a pass with the same
    # shapes reuses them and allocates only Python's small objects
    assert first > 100 * 1024
    assert steady < 8 * 1024, f"a steady-state pass allocated {steady} bytes"


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_training_passes_reuse_their_buffers_and_agree_with_inference(cell):
    options = {"return_sequences": True, "bidirectional": True}
    rng = np.random.default_rng(2)
    x, other = rng.standard_normal((2, 5, 7, 3))
    probe = rng.standard_normal((5, 7, 8))
    fresh = _built(CELLS[cell](4, **options), 3)
    expected = fresh.forward(x)
    expected_grad = fresh.backward(probe).copy()
    expected_grads = {k: g.copy() for k, g in fresh.grads.items()}
    assert fresh.forward(x) is not expected  # inference allocates its output
    layer = _built(CELLS[cell](4, **options), 3)
    output = layer.forward(x, training=True)
    layer.backward(probe)
    layer.forward(other, training=True)  # overwrites every buffer with another batch
    layer.backward(probe)
    again = layer.forward(x, training=True)
    assert again is output
    np.testing.assert_array_equal(again, expected)
    np.testing.assert_array_equal(layer.backward(probe), expected_grad)
    for name, grad in expected_grads.items():
        np.testing.assert_array_equal(layer.grads[name], grad)
