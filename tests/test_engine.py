"""The compiled engine against the NumPy path: same results, same NaN/inf behaviour, same API.

A training epoch is compiled per configuration (each layer's activation, the loss, the
optimizer, the dtype), several seconds each on an empty cache, so the tests below are laid out to
need few configurations: each network mixes two activations, every optimizer meets a loss and
every loss several optimizers, and the other tests reuse those configurations.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sigmanet import MLPClassifier, losses, optimizers, schedules
from sigmanet.engine import (
    ACTIVATIONS,
    AUTO_ACTIVATIONS,
    PATHS,
    EpochKernel,
    coverage,
    forward,
    network_coverage,
)
from sigmanet.engine._full_batch import PREDICTED_ACTIVATIONS
from sigmanet.exceptions import DivergenceError
from sigmanet.layers import Activation, Dense, Dropout, Maxout, PReLU
from sigmanet.network import Sequential
from sigmanet.training import Callback, FullBatchObjective, LambdaCallback, train

SOFTMAX = "softmax_cross_entropy_with_logits"
BINARY = "binary_cross_entropy_with_logits"
SQUARED = "squared_error"


def _problem(loss_name, dtype, n=200, n_features=7, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features)).astype(dtype)
    if loss_name == SOFTMAX:
        return X, rng.integers(0, 4, size=n), 4
    if loss_name == BINARY:
        return X, (rng.random((n, 2)) > 0.5).astype(dtype), 2
    return X, rng.normal(size=(n, 3)).astype(dtype), 3


def _fit(
    engine,
    *,
    activation="relu",
    loss=SOFTMAX,
    optimizer=None,
    dtype=np.float64,
    epochs=3,
    weighted=False,
    l2=0.0,
    schedule=None,
    X=None,
    y=None,
    batch_size=32,
    hidden=(16, 8),
    callbacks=(),
    shuffle=True,
):
    X0, y0, k = _problem(loss, dtype)
    X = X0 if X is None else X
    y = y0 if y is None else y
    per_layer = (activation,) * len(hidden) if isinstance(activation, str) else activation
    layers = []
    for width, name in zip(hidden, per_layer, strict=True):
        layers += [Dense(width), Activation(name)]
    net = Sequential([*layers, Dense(k)]).build(X.shape[1], random_state=1, dtype=dtype)
    weight = None
    if weighted:
        weight = np.random.default_rng(5).random(X.shape[0]).astype(dtype)
    history = train(
        net,
        losses.get(loss),
        optimizer() if optimizer else optimizers.Adam(1e-2),
        X,
        y,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=shuffle,
        random_state=3,
        sample_weight=weight,
        l2=l2,
        schedule=schedule() if schedule else None,
        engine=engine,
        callbacks=callbacks,
    )
    return history, net.flat_parameters().copy()


def _assert_same(reference, compiled, rtol):
    (h_ref, p_ref), (h_com, p_com) = reference, compiled
    assert h_ref.engine == "numpy" and h_com.engine == "compiled"
    assert len(h_ref.loss) == len(h_com.loss)
    np.testing.assert_allclose(h_com.loss, h_ref.loss, rtol=rtol, atol=0)
    assert np.max(np.abs(p_com - p_ref)) <= rtol * np.max(np.abs(p_ref))
    assert h_ref.steps == h_com.steps and h_ref.samples_seen == h_com.samples_seen
    np.testing.assert_array_equal(h_com.learning_rate, h_ref.learning_rate)


# Two activations a network, one per hidden layer: every activation of the kernel in five
# compilations instead of eleven.
ACTIVATION_PAIRS = [
    ("identity", "relu"),
    ("leaky_relu", "relu6"),
    ("elu", "selu"),
    ("sigmoid", "tanh"),
    ("gelu", "silu"),
]


def test_the_pairs_cover_every_activation_of_the_kernel():
    assert sorted(name for pair in ACTIVATION_PAIRS for name in pair) == sorted(ACTIVATIONS)


@pytest.mark.parametrize("activation", ACTIVATION_PAIRS, ids="-".join)
def test_every_activation_agrees_with_numpy_in_float64(activation):
    kwargs = {"activation": activation}
    _assert_same(_fit("numpy", **kwargs), _fit("compiled", **kwargs), 1e-12)


OPTIMIZERS = {
    "sgd": lambda: optimizers.GradientDescent(0.05),
    "momentum": lambda: optimizers.GradientDescent(0.05, momentum=0.9),
    "nesterov": lambda: optimizers.GradientDescent(0.05, momentum=0.9, nesterov=True),
    "adam": lambda: optimizers.Adam(1e-2),
    "adamw": lambda: optimizers.AdamW(1e-2, weight_decay=0.1),
    "rmsprop": lambda: optimizers.RMSProp(1e-3),
    "rmsprop_momentum": lambda: optimizers.RMSProp(1e-3, momentum=0.5),
    "adagrad": lambda: optimizers.Adagrad(5e-2, initial_accumulator_value=0.1),
}


# Every optimizer with a loss, every loss with at least two kinds of optimizer; the loss and
# the optimizer step are separate functions in the generated epoch, so pairs cover the product.
LOSS_OPTIMIZER = [
    (SOFTMAX, "sgd"),
    (BINARY, "momentum"),
    (SQUARED, "nesterov"),
    (BINARY, "adam"),
    (SQUARED, "adamw"),
    (SOFTMAX, "rmsprop"),
    (BINARY, "rmsprop_momentum"),
    (SQUARED, "adagrad"),
]


def test_the_pairs_cover_every_loss_and_optimizer():
    assert {optimizer for _, optimizer in LOSS_OPTIMIZER} == set(OPTIMIZERS)
    for loss in (SOFTMAX, BINARY, SQUARED):
        kinds = {type(OPTIMIZERS[o]()) for name, o in LOSS_OPTIMIZER if name == loss}
        assert len(kinds) >= 2, loss


@pytest.mark.parametrize(("loss", "optimizer"), LOSS_OPTIMIZER)
def test_every_loss_and_optimizer_agree_with_numpy_in_float64(loss, optimizer):
    kwargs = {"loss": loss, "optimizer": OPTIMIZERS[optimizer], "activation": "tanh"}
    _assert_same(_fit("numpy", **kwargs), _fit("compiled", **kwargs), 1e-12)


@pytest.mark.parametrize(("loss", "optimizer"), [(SOFTMAX, "rmsprop"), (BINARY, "adam")])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_sample_weights_and_l2_agree_with_numpy_in_float64(loss, optimizer, l2):
    kwargs = {"loss": loss, "optimizer": OPTIMIZERS[optimizer], "activation": "tanh"}
    kwargs |= {"weighted": True, "l2": l2}
    _assert_same(_fit("numpy", **kwargs), _fit("compiled", **kwargs), 1e-12)


@pytest.mark.parametrize(
    "schedule",
    [
        lambda: schedules.InverseScaling(learning_rate=0.05, power_t=0.5),
        lambda: schedules.Annealed(),
        lambda: schedules.CosineAnnealing(learning_rate=0.05, t_max=3),
        lambda: schedules.StepDecay(learning_rate=0.05, step_size=1, gamma=0.5),
    ],
    ids=["invscaling", "annealed", "cosine", "step"],
)
def test_schedules_agree_with_numpy(schedule):
    kwargs = {"schedule": schedule, "optimizer": OPTIMIZERS["momentum"], "loss": SQUARED}
    _assert_same(_fit("numpy", **kwargs), _fit("compiled", **kwargs), 1e-12)


@pytest.mark.parametrize(
    ("loss", "optimizer", "activation"),
    [
        (SOFTMAX, "adam", ("identity", "relu")),
        (SOFTMAX, "nesterov", ("sigmoid", "tanh")),
        (BINARY, "adamw", ("gelu", "silu")),
        (SQUARED, "rmsprop", ("leaky_relu", "relu6")),
        (SQUARED, "adagrad", ("elu", "selu")),
    ],
)
def test_float32_parameters_agree_over_100_steps(loss, optimizer, activation):
    kwargs = {
        "loss": loss,
        "optimizer": OPTIMIZERS[optimizer],
        "activation": activation,
        "dtype": np.float32,
        "epochs": 15,  # 7 batches an epoch: 105 steps
    }
    reference, compiled = _fit("numpy", **kwargs), _fit("compiled", **kwargs)
    assert compiled[0].steps >= 100
    assert compiled[1].dtype == np.float32
    _assert_same(reference, compiled, 1e-5)


def test_the_compiled_engine_trains_without_the_numpy_steps(monkeypatch):
    # Equal results alone would not show that the kernel trained: a kernel that handed every
    # step back would pass them too. Count the NumPy path's forward passes instead.
    calls = []
    forward = Sequential.forward

    def counted(self, x, training=False):
        calls.append(training)
        return forward(self, x, training)

    monkeypatch.setattr(Sequential, "forward", counted)
    history, _ = _fit("compiled")
    assert history.steps == 21 and calls == []
    X, _, _ = _problem(SOFTMAX, np.float64)
    X[123, 2] = np.nan  # batch 4 of the first epoch: the NumPy path takes that step only
    _divergence("compiled", X=X)
    assert calls == [True]


def test_a_batch_that_does_not_divide_the_data_and_one_batch_epochs_agree():
    for batch_size in (48, 200, 1):
        kwargs = {"batch_size": batch_size, "epochs": 2}
        _assert_same(_fit("numpy", **kwargs), _fit("compiled", **kwargs), 1e-12)


@pytest.mark.parametrize(("loss", "weighted"), [(SOFTMAX, False), (BINARY, True)])
def test_rows_in_order_and_in_fortran_order_agree(loss, weighted):
    # The kernel gathers a shuffled epoch's batches itself, and reads the rows as they are
    # without shuffling; a Fortran-ordered X is read through one C-ordered copy.
    X, y, _ = _problem(loss, np.float64)
    for kwargs in ({"shuffle": False}, {"X": np.asfortranarray(X)}):
        kwargs.update(loss=loss, weighted=weighted, y=y)
        _assert_same(_fit("numpy", **kwargs), _fit("compiled", **kwargs), 1e-12)


def test_an_epoch_in_the_rows_own_order_makes_no_batch_buffers(monkeypatch):
    # Without shuffling the kernel multiplies the rows where they are: the buffers a shuffled
    # batch is gathered into (a batch of every row is as large as X) are never made.
    given = []
    gather_buffers = EpochKernel._gather_buffers

    def recorded(self, y):
        buffers = gather_buffers(self, y)
        given.append((buffers[0].shape, id(buffers)))
        return buffers

    monkeypatch.setattr(EpochKernel, "_gather_buffers", recorded)
    history, _ = _fit("compiled", batch_size=None, shuffle=False)
    assert history.engine == "compiled" and given == []
    history, _ = _fit("compiled", batch_size=64)
    # asked for once an epoch, made once a fit: a batch's rows of the 7 features
    assert history.engine == "compiled" and len(given) == 3 and len(set(given)) == 1
    assert given[0][0] == (64, 7)


def test_a_compiled_epoch_makes_no_shuffled_copy_of_the_rows():
    # The NumPy steps read each epoch's rows from a shuffled copy; the kernel gathers each
    # batch into a buffer of its own instead, so a fit it runs to the end never copies X.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8192, 64))
    y = rng.integers(0, 4, size=8192)
    peaks = {}
    for engine in ("compiled", "numpy"):
        _fit(engine, X=X[:64], y=y[:64], epochs=1)  # compiles and loads outside the measure
        tracemalloc.start()
        try:
            history, _ = _fit(engine, X=X, y=y, epochs=2, batch_size=256)
            _, peaks[engine] = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert history.engine == engine
    assert peaks["numpy"] > X.nbytes > 4 * peaks["compiled"], (peaks, X.nbytes)


def _divergence(engine, **kwargs):
    with pytest.raises(DivergenceError) as caught:
        _fit(engine, **kwargs)
    return caught.value


@pytest.mark.parametrize(
    "activation", [("identity", "relu"), ("leaky_relu", "relu6"), ("gelu", "silu")], ids="-".join
)
def test_nan_in_the_data_stops_both_engines_at_the_same_batch(activation):
    X, _, _ = _problem(SOFTMAX, np.float64)
    X[123, 2] = np.nan  # a ReLU that turned NaN into 0 would hide it
    errors = [_divergence(engine, X=X, activation=activation) for engine in ("numpy", "compiled")]
    assert str(errors[0]) == str(errors[1])
    assert (errors[0].epoch, errors[0].batch) == (errors[1].epoch, errors[1].batch)


def test_a_diverging_fit_stops_both_engines_at_the_same_batch_with_the_same_parameters():
    results = []
    for engine in ("numpy", "compiled"):
        X, y, k = _problem(SQUARED, np.float64)
        net = Sequential([Dense(16), Activation("relu"), Dense(k)]).build(7, random_state=1)
        with pytest.raises(DivergenceError) as caught:
            train(
                net,
                losses.get(SQUARED),
                optimizers.GradientDescent(5.0, momentum=0.9),
                X,
                y * 1e3,
                epochs=50,
                batch_size=32,
                random_state=3,
                engine=engine,
            )
        results.append((str(caught.value), net.flat_parameters().copy()))
    assert results[0][0] == results[1][0]
    assert "the loss became" in results[0][0]
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-10)
    assert np.isfinite(results[1][1]).all()


def test_an_overflowing_gradient_stops_both_engines_with_the_same_error():
    # float32 logits around 1e19 keep the loss finite, but the squared gradient overflows
    X, _, _ = _problem(BINARY, np.float32)
    X[17] *= np.float32(1e22)
    errors = [
        _divergence(engine, X=X, loss=BINARY, dtype=np.float32, optimizer=OPTIMIZERS["adam"])
        for engine in ("numpy", "compiled")
    ]
    assert "overflowed" in str(errors[0])
    assert str(errors[0]) == str(errors[1])


class _BatchProbe(Callback):
    def on_batch_end(self, network, logs):
        pass


@pytest.mark.parametrize(
    ("layers", "loss", "reason"),
    [
        ([Maxout(4), Dense(4)], losses.get(SOFTMAX), "layer 0 (Maxout)"),
        ([Dense(4), PReLU(), Dense(4)], losses.get(SOFTMAX), "layer 1 (PReLU)"),
        ([Dense(4), Activation("relu"), Dropout(0.5), Dense(4)], losses.get(SOFTMAX), "Dropout"),
        ([Dense(4), Activation("mish"), Dense(4)], losses.get(SOFTMAX), "'mish'"),
        ([Dense(4)], losses.get(SOFTMAX, label_smoothing=0.1), "label smoothing"),
        ([Dense(4)], losses.get("huber"), "Huber"),
    ],
)
def test_what_the_kernel_does_not_cover_runs_on_numpy_or_is_refused(layers, loss, reason):
    X, y, _ = _problem(SOFTMAX, np.float64, n=40)
    if isinstance(loss, losses.Huber):
        y = np.eye(4)[y]
    net = Sequential(layers).build(7, random_state=0)
    history = train(net, loss, optimizers.Adam(), X, y, epochs=1, engine="auto")
    assert history.engine == "numpy"
    with pytest.raises(ValueError, match="engine='compiled' cannot train") as caught:
        train(net, loss, optimizers.Adam(), X, y, epochs=1, engine="compiled")
    assert reason in str(caught.value)


def test_callbacks_that_need_every_batch_keep_the_numpy_path():
    epochs_seen = []
    at_epoch_end = LambdaCallback(on_epoch_end=lambda network, logs: epochs_seen.append(logs))
    history, _ = _fit("auto", callbacks=[at_epoch_end])
    assert history.engine == "compiled" and len(epochs_seen) == 3
    for probe in (_BatchProbe(), LambdaCallback(on_batch_end=lambda network, logs: None)):
        assert _fit("auto", callbacks=[probe])[0].engine == "numpy"
    net = Sequential([Dense(4)]).build(7)
    reason, _ = coverage(
        net, losses.get(SOFTMAX), optimizers.Adam(), np.zeros(3, dtype=int), batch_callbacks=True
    )
    assert "on_batch_end" in reason


def test_a_bad_engine_name_is_a_clear_error():
    with pytest.raises(ValueError, match="engine must be one of 'auto', 'compiled', 'numpy'"):
        _fit("fast")


def test_partial_epochs_resume_the_optimizer_state_either_way():
    # Two calls of one epoch each, the optimizer carried over, equal the NumPy path's.
    results = []
    for engine in ("numpy", "compiled"):
        X, y, k = _problem(SOFTMAX, np.float64)
        net = Sequential([Dense(8), Activation("relu"), Dense(k)]).build(7, random_state=1)
        optimizer = optimizers.Adam(1e-2)
        for epoch in range(2):
            train(
                net,
                losses.get(SOFTMAX),
                optimizer,
                X,
                y,
                epochs=1,
                random_state=epoch,
                initial_epoch=epoch,
                engine=engine,
            )
        results.append((net.flat_parameters().copy(), optimizer.iterations))
    assert results[0][1] == results[1][1]
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-12)


def test_every_blas_pool_runs_one_thread_during_the_epoch_and_is_restored(blas_thread_counts):
    before = blas_thread_counts()
    seen = []
    probe = LambdaCallback(on_epoch_end=lambda network, logs: seen.append(blas_thread_counts()))
    history, _ = _fit("compiled", callbacks=[probe])
    assert history.engine == "compiled"
    assert seen and all(counts and set(counts) == {1} for counts in seen)
    assert blas_thread_counts() == before


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=600,
    )


def test_importing_sigmanet_does_not_import_numba():
    result = _python(
        """
        import sys
        import sigmanet
        assert "numba" not in sys.modules, "numba imported"
        """
    )
    assert result.returncode == 0, result.stderr


def test_without_numba_auto_trains_on_numpy_and_says_so_once():
    result = _python(
        """
        import sys
        sys.modules["numba"] = None  # as if it were not installed
        import numpy as np
        import pytest
        from sigmanet import MLPClassifier
        X = np.random.default_rng(0).normal(size=(60, 3))
        y = (X[:, 0] > 0).astype(int)
        for _ in range(2):
            clf = MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
            assert clf.engine_ == "numpy"
        with pytest.raises(ValueError, match="numba is not installed"):
            MLPClassifier((4,), max_iter=2, engine="compiled").fit(X, y)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("numba is not installed: sigmanet trains on its NumPy path") == 1


def test_the_kernel_allocates_per_call_never_per_step():
    # numba's own allocator (not seen by tracemalloc) counts the arrays it makes; an epoch of
    # 64 steps and one of 8 steps must make the same number (the call's argument views).
    result = _python(
        """
        import numpy as np
        from numba.core.runtime import rtsys
        from sigmanet import losses, optimizers
        from sigmanet.layers import Activation, Dense
        from sigmanet.network import Sequential
        from sigmanet.training import train

        rng = np.random.default_rng(0)
        X = rng.normal(size=(2048, 32)).astype(np.float32)
        y = rng.integers(0, 4, size=2048)
        counts = []
        for batch in (32, 256):
            net = Sequential([Dense(64), Activation("gelu"), Dense(4)]).build(
                32, random_state=0, dtype=np.float32)
            loss, optimizer = losses.get("softmax_cross_entropy_with_logits"), optimizers.Adam()
            train(net, loss, optimizer, X, y, epochs=1, batch_size=batch, engine="compiled")
            before = rtsys.get_allocation_stats().alloc
            history = train(net, loss, optimizer, X, y, epochs=3, batch_size=batch,
                            engine="compiled")
            assert history.steps == 3 * 2048 // batch
            counts.append(rtsys.get_allocation_stats().alloc - before)
        print(counts)
        assert counts[0] == counts[1], counts
        """,
        NUMBA_NRT_STATS="1",
    )
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("loss", "hidden", "weighted"),
    [
        (BINARY, (), False),
        (BINARY, (), True),
        (SOFTMAX, (), False),
        (SOFTMAX, (8,), True),
        (SQUARED, (8,), False),
    ],
)
def test_the_full_batch_objective_agrees_with_numpy(dtype, loss, hidden, weighted):
    X, y, k = _problem(loss, dtype, n=500)
    weight = np.random.default_rng(2).random(500).astype(dtype) if weighted else None
    results = []
    for engine in ("numpy", "compiled"):
        layers = [layer for width in hidden for layer in (Dense(width), Activation("relu"))]
        net = Sequential([*layers, Dense(k)]).build(7, random_state=4, dtype=dtype)
        objective = FullBatchObjective(net, losses.get(loss), X, y, weight, l2=0.2, engine=engine)
        assert objective.engine == engine
        results.append((objective(), net.flat_gradients().copy()))
    (value, grad), (compiled_value, compiled_grad) = results
    rtol = 1e-13 if dtype == np.float64 else 1e-5
    assert compiled_value == pytest.approx(value, rel=rtol)
    assert np.max(np.abs(compiled_grad - grad)) <= rtol * np.max(np.abs(grad))
    assert compiled_grad.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_losses_log1p_is_within_a_few_ulps_of_log1p(dtype):
    from numba import njit

    from sigmanet.engine._kernels import _log1p

    @njit
    def log1p(x, one):
        out = np.empty_like(x)
        for i in range(x.shape[0]):
            out[i] = _log1p(x[i], one)
        return out

    info = np.finfo(dtype)
    special = [0.0, info.smallest_subnormal, info.tiny, info.eps / 4, info.eps, 0.5, 1.0]
    x = np.concatenate([special, np.logspace(-40, 38, 4001), [info.max]]).astype(dtype)
    got = log1p(x, dtype(1))
    assert got.dtype == dtype
    expected = np.log1p(x.astype(np.longdouble))  # a reference more precise than either dtype
    ulps = np.abs(got - expected) / np.spacing(expected.astype(dtype))
    assert np.max(ulps) <= 4, x[np.argmax(ulps)]
    assert got[0] == 0 and got[1] == x[1]  # exact near 0
    inf_nan = log1p(np.array([np.inf, np.nan], dtype), dtype(1))
    assert inf_nan[0] == np.inf and np.isnan(inf_nan[1])


def _listed(path):
    """(activation, dtype) for every activation ``engine="auto"`` compiles on ``path``."""
    return [
        (name, np.dtype(dtype).type)
        for dtype, names in AUTO_ACTIVATIONS[path].items()
        for name in names
    ]


@pytest.mark.parametrize(("activation", "dtype"), _listed("predict"))
def test_predictions_through_the_kernel_equal_numpy(activation, dtype):
    net = Sequential([Dense(9), Activation(activation), Dense(3)]).build(
        7, random_state=0, dtype=dtype
    )
    X = np.random.default_rng(1).normal(size=(2500, 7)).astype(dtype)  # three blocks
    X[5, 0] = np.nan
    X[6, :] = [1e4, -1e4, np.inf, -np.inf, 3e38, -3e38, 0]
    out = forward(net, X)  # engine="auto"
    assert out is not None and out.dtype == dtype
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf in the NumPy reference
        expected = net.predict(X)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    rtol = 1e-13 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol)
    assert forward(net, X, engine="numpy") is None


def test_the_auto_lists_hold_only_activations_the_kernels_compute():
    assert set(AUTO_ACTIVATIONS) == set(PATHS)
    for path, per_dtype in AUTO_ACTIVATIONS.items():
        assert set(per_dtype) == {"float32", "float64"}, path
        computed = PREDICTED_ACTIVATIONS if path == "predict" else ACTIVATIONS
        for names in per_dtype.values():
            assert set(names) <= set(computed), path


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("path", PATHS)
def test_auto_compiles_exactly_the_listed_activations(path, dtype):
    listed = AUTO_ACTIVATIONS[path][np.dtype(dtype).name]
    for activation in ACTIVATIONS:
        net = Sequential([Dense(4), Activation(activation), Dense(2)]).build(3, dtype=dtype)
        reason, _ = network_coverage(net, "auto", path)
        if activation in listed:
            assert reason is None, (activation, reason)
        else:
            assert reason == (
                f"activation {activation!r} is faster on NumPy in {np.dtype(dtype).name} (layer 1)"
            )
        assert network_coverage(net, "compiled", path)[0] is None


def test_an_unknown_path_is_a_clear_error():
    net = Sequential([Dense(2)]).build(3)
    with pytest.raises(ValueError, match="path must be one of 'epoch', 'full_batch', 'predict'"):
        network_coverage(net, "auto", "training")


# The configurations the agreement tests above compile, by dtype: fits with engine="auto"
# reuse them, so checking the engine recorded costs no compilation.
_AUTO_FITS = [
    *({"activation": pair, "dtype": np.float64} for pair in ACTIVATION_PAIRS),
    {"activation": ("sigmoid", "tanh"), "loss": SOFTMAX, "optimizer": OPTIMIZERS["nesterov"]},
    {"activation": ("gelu", "silu"), "loss": BINARY, "optimizer": OPTIMIZERS["adamw"]},
    {"activation": ("elu", "selu"), "loss": SQUARED, "optimizer": OPTIMIZERS["adagrad"]},
    {"activation": ("identity", "relu"), "loss": SOFTMAX, "optimizer": OPTIMIZERS["adam"]},
]


def _fit_id(kwargs):
    return "-".join([*kwargs["activation"], np.dtype(kwargs.get("dtype", np.float32)).name])


@pytest.mark.parametrize("kwargs", _AUTO_FITS, ids=_fit_id)
def test_auto_trains_the_listed_activations_compiled_and_the_rest_on_numpy(kwargs):
    kwargs = {"dtype": np.float32, **kwargs, "epochs": 1}
    listed = AUTO_ACTIVATIONS["epoch"][np.dtype(kwargs["dtype"]).name]
    history, _ = _fit("auto", **kwargs)
    expected = "compiled" if set(kwargs["activation"]) <= set(listed) else "numpy"
    assert history.engine == expected


def test_a_fit_compiles_only_its_configuration_and_a_later_process_compiles_nothing(tmp_path):
    # numba names each cached function's files after it: after a ReLU/Adam fit in an empty
    # cache, nothing of the other activations, losses or optimizers may have been compiled,
    # and a second process must find everything it needs there (no new file).
    code = """
        import warnings
        import numpy as np
        from sigmanet import MLPClassifier
        X = np.random.default_rng(0).standard_normal((64, 5)).astype(np.float32)
        warnings.simplefilter("ignore")
        MLPClassifier((8,), max_iter=1, batch_size=16, engine="compiled").fit(X, np.arange(64) % 3)
        """
    cache = tmp_path / "cache"

    def files() -> set[str]:
        return {path.name for path in cache.rglob("*") if path.is_file()}

    first = _python(code, NUMBA_CACHE_DIR=str(cache))
    assert first.returncode == 0, first.stderr
    compiled = files()
    assert any(name.endswith(".nbc") for name in compiled)
    for other in ("gelu", "silu", "sigmoid", "elu", "squared_error", "binary_cross", "rmsprop"):
        assert not any(other in name for name in compiled), (other, sorted(compiled))
    # nor the full-batch and prediction kernels (the fit never predicts), nor the weighted
    # mean (no sample weights); the matrix product compiles once (one dtype, its operands'
    # transpositions as run-time flags): numba writes a file per specialisation
    for other in ("_kernels.kernel", "_predict.", "_weighted_mean_rows"):
        assert not any(other in name for name in compiled), (other, sorted(compiled))
    products = [name for name in compiled if "matmul" in name and name.endswith(".nbc")]
    assert len(products) == 1, sorted(compiled)
    second = _python(code, NUMBA_CACHE_DIR=str(cache))
    assert second.returncode == 0, second.stderr
    assert files() == compiled


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_full_batch_objective_of_every_activation_agrees_with_numpy(dtype):
    # the full-batch kernel takes the activations as run-time codes: one compilation a dtype,
    # which the test above has made already
    X, y, k = _problem(SOFTMAX, dtype, n=300)
    X[:3] *= 1e4  # saturated units
    listed = AUTO_ACTIVATIONS["full_batch"][np.dtype(dtype).name]
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for activation in ACTIVATIONS:
        results = {}
        for engine in ("numpy", "auto", "compiled"):
            net = Sequential([Dense(8), Activation(activation), Dense(k)]).build(
                7, random_state=4, dtype=dtype
            )
            objective = FullBatchObjective(net, losses.get(SOFTMAX), X, y, l2=0.2, engine=engine)
            results[engine] = (objective.engine, objective(), net.flat_gradients().copy())
        assert results["auto"][0] == ("compiled" if activation in listed else "numpy")
        (_, value, grad), (_, compiled_value, compiled_grad) = results["numpy"], results["compiled"]
        assert compiled_value == pytest.approx(value, rel=rtol), activation
        assert np.max(np.abs(compiled_grad - grad)) <= rtol * np.max(np.abs(grad)), activation
        assert compiled_grad.dtype == dtype


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_an_lbfgs_fit_records_the_engine_auto_chose(activation):
    X, y, _ = _problem(SOFTMAX, np.float32)
    model = MLPClassifier((8,), activation=activation, solver="lbfgs", max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    listed = AUTO_ACTIVATIONS["full_batch"]["float32"]
    assert model.engine_ == ("compiled" if activation in listed else "numpy")
