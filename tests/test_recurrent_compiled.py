"""The compiled loops of LSTM, GRU and tanh SimpleRNN against their NumPy loops, the
reference: the same outputs and gradients (float64 to 1e-12, float32 to 1e-5 relative over 100
steps), NaN and inf alike, and the NumPy loop where numba is missing, a step is masked or the
activations are others."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from sigmanet.layers.recurrent.base import FLOAT64_COMPILED_ELEMENTS, _load_compiled
from sigmanet.recurrent import GRU, LSTM, SimpleRNN

CELLS = [LSTM, GRU, SimpleRNN]
#: Each cell's compiled kernels, by the module that holds them.
KERNELS = {
    LSTM: ("_compiled", "lstm_forward", "lstm_backward"),
    GRU: ("_compiled_gru", "gru_forward", "gru_backward"),
    SimpleRNN: ("_compiled_simple", "simple_forward", "simple_backward"),
}

OPTIONS = [
    {},
    {"return_sequences": True},
    {"return_sequences": True, "bidirectional": True},
    {"truncate": 7, "return_sequences": True},
    {"use_bias": False},
]


def _pass(engine, options, x, dtype, seed=0, cell=LSTM, **forward_options):
    """Output, input gradient and parameter gradients of one training pass."""
    layer = cell(6, **options)
    layer.build(x.shape[2], np.random.default_rng(seed), dtype)
    layer.engine = engine
    # A pass on other inputs first: the layer's reused arrays then hold other values, which
    # the pass under test must not read (fresh arrays can hold a previous layer's values).
    other = layer.forward(np.flip(x, axis=1) + 1, training=True, **forward_options)
    layer.backward(np.ones_like(other))
    output = layer.forward(x, training=True, **forward_options).copy()
    probe = np.random.default_rng(seed + 1).standard_normal(output.shape).astype(dtype)
    grad_input = layer.backward(probe).copy()
    grads = {name: value.copy() for name, value in layer.grads.items()}
    return output, grad_input, grads, layer.grad_initial_state


def _assert_close(reference, compiled, rtol):
    """Each array within ``rtol`` of its largest entry."""
    out_ref, gx_ref, grads_ref, _ = reference
    out, gx, grads, _ = compiled
    pairs = [(out_ref, out), (gx_ref, gx)] + [(grads_ref[k], grads[k]) for k in grads_ref]
    assert set(grads) == set(grads_ref)
    for expected, actual in pairs:
        assert actual.dtype == expected.dtype
        scale = np.max(np.abs(expected))
        assert np.max(np.abs(actual - expected)) <= rtol * scale


@pytest.mark.parametrize("cell", CELLS, ids=lambda cell: cell.__name__)
@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_compiled_loops_agree_with_the_numpy_loop(options, dtype, rtol, cell):
    # 100 steps, inputs large enough to drive gates and cells into saturation
    x = (3 * np.random.default_rng(2).standard_normal((5, 100, 4))).astype(dtype)
    reference = _pass("numpy", options, x, dtype, cell=cell)
    compiled = _pass("auto", options, x, dtype, cell=cell)
    _assert_close(reference, compiled, rtol)


@pytest.mark.parametrize("cell", CELLS, ids=lambda cell: cell.__name__)
@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_compiled_loops_agree_with_an_initial_state(dtype, rtol, cell):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 30, 3)).astype(dtype)
    state = tuple(rng.standard_normal((4, 6)).astype(dtype) for _ in range(1 + cell.has_cell))
    given = state if cell.has_cell else state[0]
    options = {"return_sequences": True}
    reference = _pass("numpy", options, x, dtype, cell=cell, initial_state=given)
    compiled = _pass("auto", options, x, dtype, cell=cell, initial_state=given)
    _assert_close(reference, compiled, rtol)
    expected_grads, actual_grads = reference[3], compiled[3]
    if not cell.has_cell:
        expected_grads, actual_grads = (expected_grads,), (actual_grads,)
    for expected, actual in zip(expected_grads, actual_grads, strict=True):
        assert actual.shape == (1, 4, 6)
        assert np.max(np.abs(actual - expected)) <= rtol * np.max(np.abs(expected))


def _spy(monkeypatch, cell):
    """Count the calls of ``cell``'s compiled kernels: {"forward": n, "backward": n}."""
    module_name, forward, backward = KERNELS[cell]
    module = _load_compiled(module_name)
    calls = {"forward": 0, "backward": 0}
    for role, name in (("forward", forward), ("backward", backward)):
        kernel = getattr(module, name)

        def counted(*args, _kernel=kernel, _role=role):
            calls[_role] += 1
            return _kernel(*args)

        monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.parametrize("cell", CELLS, ids=lambda cell: cell.__name__)
def test_the_compiled_loops_run_once_per_direction_and_pass(monkeypatch, cell):
    calls = _spy(monkeypatch, cell)
    x = np.random.default_rng(6).standard_normal((3, 5, 2))
    _pass("auto", {"bidirectional": True}, x, np.float64, cell=cell)  # two training passes
    assert calls == {"forward": 4, "backward": 4}


@pytest.mark.parametrize(
    ("cell", "options", "forward_options"),
    [
        (GRU, {}, {"lengths": [5, 3, 1]}),  # a masked step
        (SimpleRNN, {}, {"mask": np.array([[True] * 5, [True] * 4 + [False], [True] * 5])}),
        (SimpleRNN, {"activation": "relu"}, {}),
        (SimpleRNN, {"activation": "sigmoid"}, {}),
        (GRU, {"gate_activation": "hard_sigmoid"}, {}),
        (GRU, {"activation": "softsign"}, {}),
        (LSTM, {"gate_activation": "hard_sigmoid"}, {}),  # its NumPy loop's unfused branch
    ],
    ids=[
        "GRU-lengths",
        "SimpleRNN-mask",
        "SimpleRNN-relu",
        "SimpleRNN-sigmoid",
        "GRU-hard_sigmoid-gates",
        "GRU-softsign",
        "LSTM-hard_sigmoid-gates",
    ],
)
def test_the_numpy_loop_runs_for_masks_and_other_activations(
    monkeypatch, cell, options, forward_options
):
    calls = _spy(monkeypatch, cell)
    x = np.random.default_rng(7).standard_normal((3, 5, 2))
    _pass("auto", options, x, np.float64, cell=cell, **forward_options)
    assert calls == {"forward": 0, "backward": 0}


@pytest.mark.parametrize("cell", CELLS, ids=lambda cell: cell.__name__)
def test_large_float64_steps_run_the_numpy_loop(monkeypatch, cell):
    # a step of sequences × units above the limit: NumPy's vectorised float64 tanh wins there
    calls = _spy(monkeypatch, cell)
    units = 6
    rows = FLOAT64_COMPILED_ELEMENTS // units
    for n, dtype, compiled in (
        (rows, np.float64, 1),
        (rows + 1, np.float64, 0),
        (rows + 1, np.float32, 1),  # float32's rational tanh vectorises at every size
    ):
        calls.update(forward=0, backward=0)
        x = np.random.default_rng(9).standard_normal((n, 3, 2)).astype(dtype)
        _pass("auto", {}, x, dtype, cell=cell)  # two training passes
        assert calls == {"forward": 2 * compiled, "backward": 2 * compiled}


@pytest.mark.parametrize("cell", CELLS, ids=lambda cell: cell.__name__)
def test_kept_state_gradients_run_the_numpy_backward_loop(monkeypatch, cell):
    calls = _spy(monkeypatch, cell)
    layer = cell(3, return_sequences=True)
    layer.build(2, np.random.default_rng(0), np.float64)
    layer.keep_state_gradients = True
    output = layer.forward(np.random.default_rng(8).standard_normal((2, 4, 2)), training=True)
    layer.backward(np.ones_like(output))
    assert calls == {"forward": 1, "backward": 0}
    assert layer.state_gradients.shape == (1, 4, 2, 3)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_saturated_tanh_reaches_plus_and_minus_one(dtype):
    """Pre-activations far beyond the range where tanh rounds to ±1, and ±inf inputs."""
    x = np.zeros((2, 3, 1), dtype=dtype)
    x[0, :, 0] = [1e4, np.inf, 1e30]
    x[1, :, 0] = [-1e4, -np.inf, -1e30]
    for engine in ("numpy", "auto"):
        layer = LSTM(2, return_sequences=True)
        layer.build(1, np.random.default_rng(0), dtype)
        layer.engine = engine
        for name in ("W_ih", "W_hh", "b_ih", "b_hh"):
            layer.params[name][...] = 0
        layer.params["W_ih"][...] = 1  # every gate sees x itself
        output = layer.forward(x)
        assert np.all(np.isfinite(output))
        # x → +inf: every gate and the candidate at 1, c grows by 1 a step, h = tanh(c)
        expected = np.tanh(np.array([1.0, 2.0, 3.0], dtype=dtype))
        np.testing.assert_allclose(output[0, :, 0], expected, rtol=1e-6)
        # x → -inf: every gate closed, c and h stay 0
        assert np.all(output[1] == 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cell", [GRU, SimpleRNN], ids=lambda cell: cell.__name__)
def test_saturated_gates_and_states_reach_their_limits(cell, dtype):
    """Pre-activations far beyond the range where tanh rounds to ±1, and ±inf inputs: with
    every weight 1 on the input, a GRU's gates shut or open completely (x → +∞: z = 1, the
    state stays 0; x → -∞: r = z = 0, the state is n = -1) and a SimpleRNN's state is ±1."""
    x = np.zeros((2, 3, 1), dtype=dtype)
    x[0, :, 0] = [1e4, np.inf, 1e30]
    x[1, :, 0] = [-1e4, -np.inf, -1e30]
    expected = np.zeros((2, 3, 2), dtype=dtype)
    expected[1] = -1
    if cell is SimpleRNN:
        expected[0] = 1
    for engine in ("numpy", "auto"):
        layer = cell(2, return_sequences=True)
        layer.build(1, np.random.default_rng(0), dtype)
        layer.engine = engine
        for name in ("W_ih", "W_hh", "b_ih", "b_hh"):
            layer.params[name][...] = 0
        layer.params["W_ih"][...] = 1
        np.testing.assert_array_equal(layer.forward(x), expected)


@pytest.mark.parametrize("cell", CELLS, ids=lambda cell: cell.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nan_propagates_as_in_the_numpy_loop(dtype, cell):
    x = np.random.default_rng(4).standard_normal((3, 10, 2)).astype(dtype)
    x[1, 4, 0] = np.nan
    results = {}
    for engine in ("numpy", "auto"):
        output, grad_input, grads, _ = _pass(
            engine, {"return_sequences": True}, x, dtype, cell=cell
        )
        results[engine] = (output, grad_input, grads)
    output, grad_input, grads = results["auto"]
    ref_output, ref_grad_input, ref_grads = results["numpy"]
    np.testing.assert_array_equal(np.isnan(output), np.isnan(ref_output))
    assert np.isnan(output[1, 4:]).all() and not np.isnan(output[[0, 2]]).any()
    assert not np.isnan(output[1, :4]).any()
    np.testing.assert_array_equal(np.isnan(grad_input), np.isnan(ref_grad_input))
    assert np.isnan(grad_input[1, :5]).any()
    for name, value in grads.items():
        np.testing.assert_array_equal(np.isnan(value), np.isnan(ref_grads[name]))
        assert np.isnan(value).any()


@pytest.mark.parametrize("cell", CELLS, ids=lambda cell: cell.__name__)
def test_masked_steps_run_the_numpy_loop(cell):
    x = np.random.default_rng(5).standard_normal((3, 8, 2))
    lengths = [8, 5, 2]
    options = {"return_sequences": True}
    reference = _pass("numpy", options, x, np.float64, cell=cell, lengths=lengths)
    compiled = _pass("auto", options, x, np.float64, cell=cell, lengths=lengths)
    _assert_close(reference, compiled, 0.0)


@pytest.mark.parametrize("cell", CELLS, ids=lambda cell: cell.__name__)
def test_an_unknown_engine_is_refused(cell):
    layer = cell(3)
    layer.build(2, np.random.default_rng(0), np.float64)
    layer.engine = "fast"
    with pytest.raises(ValueError, match=r"engine must be 'auto'.*or 'numpy'.*got 'fast'"):
        layer.forward(np.zeros((1, 2, 2)))


def test_without_numba_the_numpy_loop_runs():
    """In a process where numba cannot be imported, each layer trains as with engine="numpy"."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["numba"] = None  # import numba now raises ImportError
        import numpy as np
        from sigmanet.recurrent import GRU, LSTM, SimpleRNN

        x = np.random.default_rng(0).standard_normal((2, 6, 3))
        for cell in (LSTM, GRU, SimpleRNN):
            results = []
            for engine in ("numpy", "auto"):
                layer = cell(4, return_sequences=True)
                layer.build(3, np.random.default_rng(1), np.float64)
                layer.engine = engine
                output = layer.forward(x, training=True).copy()
                grad_input = layer.backward(np.ones_like(output)).copy()
                results.append((output, grad_input))
            for a, b in zip(*results):
                assert np.array_equal(a, b)
        assert not [name for name in sys.modules if "recurrent._compiled" in name]
        print("numpy loop")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "numpy loop"
