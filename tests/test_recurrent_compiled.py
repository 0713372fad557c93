"""The LSTM's compiled loops against its NumPy loop, the reference: the same outputs and
gradients (float64 to 1e-12, float32 to 1e-5 relative over 100 steps), NaN and inf alike, and
the NumPy loop where numba is missing or a step is masked."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from sigmanet.recurrent import LSTM

OPTIONS = [
    {},
    {"return_sequences": True},
    {"return_sequences": True, "bidirectional": True},
    {"truncate": 7, "return_sequences": True},
    {"use_bias": False},
]


def _pass(engine, options, x, dtype, seed=0, **forward_options):
    """Output, input gradient and parameter gradients of one training pass."""
    layer = LSTM(6, **options)
    layer.build(x.shape[2], np.random.default_rng(seed), dtype)
    layer.engine = engine
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


@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_compiled_loops_agree_with_the_numpy_loop(options, dtype, rtol):
    # 100 steps, inputs large enough to drive gates and cells into saturation
    x = (3 * np.random.default_rng(2).standard_normal((5, 100, 4))).astype(dtype)
    reference = _pass("numpy", options, x, dtype)
    compiled = _pass("auto", options, x, dtype)
    _assert_close(reference, compiled, rtol)


@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_compiled_loops_agree_with_an_initial_state(dtype, rtol):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 30, 3)).astype(dtype)
    state = (rng.standard_normal((4, 6)).astype(dtype), rng.standard_normal((4, 6)).astype(dtype))
    reference = _pass("numpy", {"return_sequences": True}, x, dtype, initial_state=state)
    compiled = _pass("auto", {"return_sequences": True}, x, dtype, initial_state=state)
    _assert_close(reference, compiled, rtol)
    for expected, actual in zip(reference[3], compiled[3], strict=True):
        assert np.max(np.abs(actual - expected)) <= rtol * np.max(np.abs(expected))


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
def test_nan_propagates_as_in_the_numpy_loop(dtype):
    x = np.random.default_rng(4).standard_normal((3, 10, 2)).astype(dtype)
    x[1, 4, 0] = np.nan
    results = {}
    for engine in ("numpy", "auto"):
        output, grad_input, grads, _ = _pass(engine, {"return_sequences": True}, x, dtype)
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


def test_masked_steps_run_the_numpy_loop():
    x = np.random.default_rng(5).standard_normal((3, 8, 2))
    lengths = [8, 5, 2]
    reference = _pass("numpy", {"return_sequences": True}, x, np.float64, lengths=lengths)
    compiled = _pass("auto", {"return_sequences": True}, x, np.float64, lengths=lengths)
    _assert_close(reference, compiled, 0.0)


def test_an_unknown_engine_is_refused():
    layer = LSTM(3)
    layer.build(2, np.random.default_rng(0), np.float64)
    layer.engine = "fast"
    with pytest.raises(ValueError, match=r"engine must be 'auto'.*or 'numpy'.*got 'fast'"):
        layer.forward(np.zeros((1, 2, 2)))


def test_without_numba_the_numpy_loop_runs():
    """In a process where numba cannot be imported, the layer trains as with engine="numpy"."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["numba"] = None  # import numba now raises ImportError
        import numpy as np
        from sigmanet.recurrent import LSTM

        x = np.random.default_rng(0).standard_normal((2, 6, 3))
        results = []
        for engine in ("numpy", "auto"):
            layer = LSTM(4, return_sequences=True)
            layer.build(3, np.random.default_rng(1), np.float64)
            layer.engine = engine
            output = layer.forward(x, training=True).copy()
            grad_input = layer.backward(np.ones_like(output)).copy()
            results.append((output, grad_input))
        assert "sigmanet.layers.recurrent._compiled" not in sys.modules
        for a, b in zip(*results):
            assert np.array_equal(a, b)
        print("numpy loop")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "numpy loop"
