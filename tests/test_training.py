"""The fit loop: the three forms of gradient descent, stopping, callbacks, divergence, memory."""

import tracemalloc

import numpy as np
import pytest

from sigmanet import losses
from sigmanet.exceptions import DivergenceError
from sigmanet.layers import Activation, Dense
from sigmanet.network import Sequential
from sigmanet.optimizers import Adam, GradientDescent
from sigmanet.schedules import Annealed, InverseScaling
from sigmanet.training import (
    REFERENCE_BLOCK_VALUES,
    REFERENCE_ROWS,
    Callback,
    DivergenceRule,
    EarlyStopping,
    FullBatchObjective,
    LambdaCallback,
    block_sums,
    train,
    train_lbfgs,
    validation_split,
)


def _separable(n=200, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(float)
    X += np.where(y[:, None] > 0, 0.5, -0.5)  # a margin around the boundary
    return X.astype(dtype), y[:, None].astype(dtype)


def _logistic(dtype=np.float64, seed=0):
    return Sequential([Dense(1)]).build(2, random_state=seed, dtype=dtype)


BCE = losses.get("binary_cross_entropy_with_logits")


@pytest.mark.parametrize(
    ("form", "batch_size", "schedule", "learning_rate"),
    [
        ("batch", "full", None, 1.0),
        ("stochastic", 1, Annealed(), 0.0),  # the annealed step 4/(1+epoch+i)+0.01 of MLiA
        ("mini-batch", 16, None, 0.5),
    ],
)
def test_three_forms_of_gradient_descent_reach_a_low_loss(
    form, batch_size, schedule, learning_rate
):
    X, y = _separable()
    net = _logistic()
    history = train(
        net,
        BCE,
        GradientDescent(learning_rate=learning_rate or 0.01),
        X,
        y,
        epochs=60,
        batch_size=batch_size,
        schedule=schedule,
        random_state=0,
    )
    assert history.loss[-1] < 0.1, f"{form} descent stalled at {history.loss[-1]}"
    assert history.loss[-1] < history.loss[0]
    steps_per_epoch = {"batch": 1, "stochastic": 200, "mini-batch": 13}[form]
    assert history.steps == 60 * steps_per_epoch
    assert history.samples_seen == 60 * 200


def test_annealed_schedule_drives_the_learning_rate_of_each_step():
    X, y = _separable(n=5)
    seen = []
    net = _logistic()
    optimizer = GradientDescent(learning_rate=0.01)
    train(
        net,
        BCE,
        optimizer,
        X,
        y,
        epochs=2,
        batch_size=1,
        schedule=Annealed(),
        callbacks=[
            LambdaCallback(on_batch_end=lambda n, logs: seen.append(optimizer.learning_rate))
        ],
    )
    expected = [4 / (1 + epoch + i) + 0.01 for epoch in range(2) for i in range(5)]
    np.testing.assert_allclose(seen, expected)


def test_same_seed_gives_the_same_loss_curve_and_shuffling_changes_it():
    X, y = _separable()
    curves = []
    for seed in (3, 3, 4):
        net = _logistic()
        curves.append(
            train(
                net, BCE, Adam(learning_rate=0.05), X, y, epochs=5, batch_size=8, random_state=seed
            ).loss
        )
    assert curves[0] == curves[1]
    assert curves[0] != curves[2]


class _OrderRecorder:
    """The squared error, recording the targets of every batch it is asked about."""

    def __init__(self):
        self.targets = []
        self._loss = losses.get("squared_error")

    def value_and_gradient(self, y, output, sample_weight=None, out=None):
        self.targets.append(y[:, 0].copy())
        return self._loss.value_and_gradient(y, output, sample_weight, out=out)


class _ClearAtStart(Callback):
    def __init__(self, recorded):
        self.recorded = recorded

    def on_train_begin(self, network):
        self.recorded.clear()


def _epoch_orders(seed, shuffle=True, epochs=4, n=12):
    # the target of sample i is i, so the targets a batch sees name its samples
    X = np.random.default_rng(0).normal(size=(n, 2))
    y = np.arange(n, dtype=float)[:, None]
    loss = _OrderRecorder()
    net = _logistic()
    train(
        net,
        loss,
        GradientDescent(learning_rate=1e-9),
        X,
        y,
        epochs=epochs,
        batch_size=5,
        shuffle=shuffle,
        random_state=seed,
        # what the loop asked before training (the loss at the start) is not a batch
        callbacks=[_ClearAtStart(loss.targets)],
    )
    seen = np.concatenate(loss.targets).astype(int)
    return seen.reshape(epochs, n)


def test_samples_are_reshuffled_every_epoch_reproducibly_for_a_seed():
    orders = _epoch_orders(seed=7)
    for order in orders:
        np.testing.assert_array_equal(np.sort(order), np.arange(12))  # each sample once
    assert len({tuple(order) for order in orders}) == len(orders)  # a new order every epoch
    np.testing.assert_array_equal(_epoch_orders(seed=7), orders)  # the same for the same seed
    assert not np.array_equal(_epoch_orders(seed=8), orders)
    unshuffled = _epoch_orders(seed=7, shuffle=False)
    np.testing.assert_array_equal(unshuffled, np.tile(np.arange(12), (4, 1)))


def test_history_records_validation_loss_and_learning_rate():
    X, y = _separable()
    net = _logistic()
    history = train(
        net,
        BCE,
        GradientDescent(learning_rate=0.3),
        X[:150],
        y[:150],
        epochs=4,
        batch_size=32,
        validation_data=(X[150:], y[150:]),
        random_state=0,
    )
    assert len(history.loss) == len(history.validation_loss) == 4
    assert history.learning_rate == [0.3] * 4
    np.testing.assert_allclose(
        history.validation_loss[-1], BCE.value(y[150:], net.forward(X[150:]))
    )


def test_epoch_loss_is_the_weighted_mean_of_batch_losses_from_values_at_hand():
    X, y = _separable(n=10)
    net = _logistic()
    batch_losses = []
    history = train(
        net,
        BCE,
        GradientDescent(learning_rate=1e-12),
        X,
        y,
        epochs=1,
        batch_size=4,
        shuffle=False,
        callbacks=[
            LambdaCallback(
                on_batch_end=lambda n, logs: batch_losses.append((logs["loss"], logs["batch_size"]))
            )
        ],
    )
    assert [size for _, size in batch_losses] == [4, 4, 2]
    expected = sum(loss * size for loss, size in batch_losses) / 10
    np.testing.assert_allclose(history.loss[0], expected)
    # with a negligible step the epoch loss is the loss of the initial weights
    np.testing.assert_allclose(history.loss[0], BCE.value(y, net.forward(X)), rtol=1e-9)


@pytest.mark.parametrize("shuffle", [False, True])
def test_weighted_mini_batch_epoch_loss_is_the_weighted_mean_over_all_samples(shuffle):
    # Batches of 4, 4 and 2 rows whose weights sum to 4.5, 25 and 0.2: the epoch loss is
    # Σ w_i ℓ_i / Σ w_i over the whole data, not the batch means weighted by their row counts.
    # With a negligible step it is the weighted loss of the initial weights, computed here
    # without the loop.
    X, y = _separable(n=10)
    weight = np.array([0.5, 1.0, 2.0, 1.0, 10.0, 5.0, 6.0, 4.0, 0.1, 0.1])
    net = _logistic()
    z = net.forward(X)
    per_sample = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    expected = float(np.sum(weight * per_sample[:, 0]) / np.sum(weight))
    history = train(
        net,
        BCE,
        GradientDescent(learning_rate=1e-12),
        X,
        y,
        epochs=2,
        batch_size=4,
        shuffle=shuffle,
        random_state=0,
        sample_weight=weight,
    )
    np.testing.assert_allclose(history.loss, [expected, expected], rtol=1e-9)


def test_sample_weight_integer_weights_equal_repeated_rows_in_full_batch_descent():
    X, y = _separable(n=30)
    weight = np.arange(30) % 3 + 0.0
    a, b = _logistic(), _logistic()
    train(
        a,
        BCE,
        GradientDescent(learning_rate=0.5),
        X,
        y,
        epochs=20,
        batch_size="full",
        sample_weight=weight,
        shuffle=False,
    )
    repeat = np.repeat(np.arange(30), weight.astype(int))
    train(
        b,
        BCE,
        GradientDescent(learning_rate=0.5),
        X[repeat],
        y[repeat],
        epochs=20,
        batch_size="full",
        shuffle=False,
    )
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-10)


def test_l2_penalty_matches_scikit_learn_scaling():
    X, y = _separable(n=8)
    net = _logistic()
    W = net.layers[0].params["W"].copy()
    history = train(
        net,
        BCE,
        GradientDescent(learning_rate=1e-12),
        X,
        y,
        epochs=1,
        batch_size="full",
        l2=0.7,
        shuffle=False,
    )
    data_loss = BCE.value(y, X @ W + net.layers[0].params["b"])
    np.testing.assert_allclose(history.loss[0], data_loss + 0.5 * 0.7 / 8 * np.sum(W * W))


def test_early_stopping_restores_the_best_weights():
    X, y = _separable(n=120, seed=1)
    flip = np.random.default_rng(1).random(120) < 0.3  # label noise: the network will overfit
    y[flip] = 1 - y[flip]
    net = Sequential([Dense(64), Activation("relu"), Dense(1)]).build(2, random_state=0)
    snapshots = {}

    class Snapshot(Callback):
        def on_epoch_end(self, network, logs):
            snapshots[logs["epoch"]] = [p.copy() for p in network.parameters()]

    stopper = EarlyStopping(patience=3, restore_best_weights=True)
    history = train(
        net,
        BCE,
        GradientDescent(learning_rate=2.0),
        X[:60],
        y[:60],
        epochs=200,
        batch_size=4,
        validation_data=(X[60:], y[60:]),
        random_state=0,
        callbacks=[Snapshot(), stopper],
    )
    best = int(np.argmin(history.validation_loss))
    assert history.stopped_early
    assert history.best_epoch == best
    assert len(history.validation_loss) == best + 1 + 4  # patience 3: stops on the 4th miss
    for p, q in zip(net.parameters(), snapshots[best], strict=True):
        np.testing.assert_array_equal(p, q)


def test_early_stopping_without_validation_data_names_the_problem():
    X, y = _separable(n=20)
    with pytest.raises(ValueError, match=r"validation_loss.*needs\s+validation data"):
        train(_logistic(), BCE, GradientDescent(), X, y, epochs=2, callbacks=[EarlyStopping()])


def test_callbacks_are_called_at_every_batch_and_epoch_and_can_stop():
    X, y = _separable(n=20)
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, network):
            calls.append("begin")

        def on_batch_end(self, network, logs):
            calls.append(("batch", logs["epoch"], logs["batch"]))

        def on_epoch_end(self, network, logs):
            calls.append(("epoch", logs["epoch"]))
            return logs["epoch"] == 1

        def on_train_end(self, network, history):
            calls.append("end")

    history = train(
        _logistic(), BCE, GradientDescent(), X, y, epochs=10, batch_size=10, callbacks=[Recorder()]
    )
    assert calls == [
        "begin",
        ("batch", 0, 0),
        ("batch", 0, 1),
        ("epoch", 0),
        ("batch", 1, 0),
        ("batch", 1, 1),
        ("epoch", 1),
        "end",
    ]
    assert history.epochs == 2 and history.stopped_early


def test_divergence_stops_at_once_naming_epoch_and_batch_and_keeps_finite_parameters():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)) * 100
    y = rng.normal(size=(64, 1)) * 100
    net = Sequential([Dense(8), Activation("relu"), Dense(1)]).build(3, random_state=0)
    start = [p.copy() for p in net.parameters()]
    seen = []
    with pytest.raises(DivergenceError, match=r"at epoch 1, batch 5: the loss became inf") as info:
        train(
            net,
            losses.get("squared_error"),
            GradientDescent(learning_rate=10.0),
            X,
            y,
            epochs=50,
            batch_size=8,
            random_state=0,
            callbacks=[
                LambdaCallback(
                    on_batch_end=lambda n, logs: seen.append(
                        (logs["epoch"], logs["batch"], logs["loss"])
                    )
                )
            ],
        )
    # the batch after the last one that finished, which had a finite (if huge) loss
    assert (info.value.epoch, info.value.batch) == (0, 4)
    assert [(epoch, batch) for epoch, batch, _ in seen] == [(0, 0), (0, 1), (0, 2), (0, 3)]
    assert all(np.isfinite(loss) for _, _, loss in seen) and seen[-1][2] > 1e200
    # no epoch passed the divergence rule: the parameters are those at the start
    for p, expected in zip(net.parameters(), start, strict=True):
        np.testing.assert_array_equal(p, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_in_parameters_gradients_and_optimizer_state(dtype):
    X, y = _separable(dtype=dtype)
    net = Sequential([Dense(4), Activation("tanh"), Dense(1)]).build(2, random_state=0, dtype=dtype)
    optimizer = Adam(learning_rate=0.01)
    train(net, BCE, optimizer, X.astype(np.float64), y, epochs=2, batch_size=16)
    assert all(p.dtype == dtype for p in net.parameters())
    assert all(g.dtype == dtype for g in net.gradients())
    state = optimizer.state_dict()
    arrays = [a for value in state.values() if isinstance(value, list) for a in value]
    assert arrays and all(a.dtype == dtype for a in arrays)


def test_a_steady_state_epoch_allocates_no_arrays_per_batch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2048, 32)).astype(np.float32)
    y = rng.integers(0, 4, size=2048)
    net = Sequential([Dense(64), Activation("relu"), Dense(64), Activation("relu"), Dense(4)])
    net.build(32, random_state=0, dtype=np.float32)
    loss = losses.get("softmax_cross_entropy_with_logits")
    optimizer = Adam(learning_rate=1e-3)
    state = {"epoch": 0}

    def measure(epochs):
        tracemalloc.start()
        try:
            train(
                net,
                loss,
                optimizer,
                X,
                y,
                epochs=epochs,
                batch_size=32,
                random_state=0,
                initial_epoch=state["epoch"],
                engine="numpy",  # the compiled engine is measured in tests/test_engine.py
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        state["epoch"] += epochs
        return peak

    measure(1)  # warm-up: buffers, optimizer state
    one = measure(1)
    five = measure(5)
    # Per-call set-up (the shuffled copy of X: 256 KiB; measuring the loss at the start for
    # the divergence rule, here every other row, 1,024 (REFERENCE_ROWS), in one block
    # (REFERENCE_BLOCK_VALUES): at most three (1024, 64) float32 arrays alive at once; a copy
    # of the parameters) is the same for both; 64 batches per epoch each allocating even one
    # (32, 64) float32 array would add 8 KiB apiece to a peak that grows with the number of
    # live temporaries, and a leak would grow with epochs.
    assert five - one < 4096, (one, five)
    parameters = net.flat_parameters().nbytes  # the last sane epoch's, for divergence
    assert one < X.nbytes + y.nbytes + 64 * 1024 + 3 * 1024 * 64 * 4 + parameters


def test_bad_arguments_are_clear_errors():
    X, y = _separable(n=10)
    net = _logistic()
    with pytest.raises(ValueError, match="different numbers of samples: 10 and 9"):
        train(net, BCE, GradientDescent(), X, y[:9])
    with pytest.raises(ValueError, match="X has 3 features, but the network expects 2"):
        train(net, BCE, GradientDescent(), np.ones((10, 3)), y)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        train(net, BCE, GradientDescent(), X, y, batch_size=0)
    with pytest.raises(ValueError, match="batch_size must be a positive int, None or 'full'"):
        train(net, BCE, GradientDescent(), X, y, batch_size="half")
    with pytest.raises(ValueError, match="empty"):
        train(net, BCE, GradientDescent(), np.ones((0, 2)), np.ones((0, 1)))
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(10,\)"):
        train(net, BCE, GradientDescent(), X, y, sample_weight=np.ones(3))


def test_lbfgs_reaches_the_stationary_point_of_the_regularised_objective():
    X, y = _separable(n=100)
    net = _logistic()
    result = train_lbfgs(net, BCE, X, y, l2=1.0, tol=1e-10, max_iter=500)
    assert result.converged and result.loss[-1] < result.loss[0]
    W, b = net.layers[0].params["W"], net.layers[0].params["b"]
    p = 1 / (1 + np.exp(-(X @ W + b)))
    grad_W = X.T @ (p - y) / 100 + W / 100
    np.testing.assert_allclose(grad_W, 0, atol=1e-8)
    np.testing.assert_allclose(np.sum(p - y) / 100, 0, atol=1e-8)


def test_a_one_sample_batch_keeps_its_weight():
    # The batch gradient is Σ_B w ∇ℓ / (|B| mean w): with batch size 1 the first sample's step
    # is scaled by w_0 / mean(w) — 3 / 1.5 = 2 — not normalised away.
    X, y = _separable(n=4)
    first_steps = []
    for weight in ([3.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]):
        net = _logistic()
        start = net.layers[0].params["W"].copy()
        after_first = []
        train(
            net,
            BCE,
            GradientDescent(learning_rate=0.1),
            X,
            y,
            epochs=1,
            batch_size=1,
            shuffle=False,
            sample_weight=np.array(weight),
            callbacks=[
                LambdaCallback(
                    on_batch_end=lambda n, logs, seen=after_first: seen.append(
                        n.layers[0].params["W"].copy()
                    )
                )
            ],
        )
        first_steps.append(after_first[0] - start)
    np.testing.assert_allclose(first_steps[0], 2 * first_steps[1], rtol=1e-12)


def test_zero_weight_samples_are_left_out():
    X, y = _separable(n=20)
    weight = np.ones(20)
    weight[::2] = 0.0
    a, b = _logistic(), _logistic()
    train(
        a,
        BCE,
        GradientDescent(learning_rate=0.3),
        X,
        y,
        epochs=3,
        batch_size=1,
        shuffle=False,
        sample_weight=weight,
    )
    train(
        b,
        BCE,
        GradientDescent(learning_rate=0.3),
        X[1::2],
        y[1::2],
        epochs=3,
        batch_size=1,
        shuffle=False,
    )
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12)
    with pytest.raises(ValueError, match="non-negative and not all zero"):
        train(a, BCE, GradientDescent(), X, y, sample_weight=np.zeros(20))


def test_an_overflowing_gradient_is_reported_as_divergence():
    # float32: the loss (~1e30) is finite, but the gradient's square (~1e60) is not
    X = np.full((4, 2), 1e15, dtype=np.float32)
    y = np.full((4, 1), -1e15, dtype=np.float32)
    net = Sequential([Dense(1)]).build(2, random_state=0, dtype=np.float32)
    with pytest.raises(DivergenceError, match=r"epoch 1, batch 1: a gradient overflowed"):
        train(net, losses.get("squared_error"), Adam(), X, y, epochs=1, batch_size=4)
    assert all(np.isfinite(p).all() for p in net.parameters())


def test_the_optimised_loop_matches_a_plain_numpy_reference():
    """The fast path (buffers, one flat parameter vector, unchecked kernels, GEMM bias trick)
    gives the loss curve and weights of a straightforward NumPy loop written out here."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 5))
    y = rng.integers(0, 3, size=96)
    net = Sequential([Dense(8), Activation("relu"), Dense(8), Activation("tanh"), Dense(3)])
    net.build(5, random_state=0)
    W1, b1, W2, b2, W3, b3 = (p.copy() for p in net.parameters())
    eta, alpha, batch = 0.1, 0.01, 16

    reference_curve = []
    for _ in range(3):
        total = 0.0
        for start in range(0, 96, batch):
            xb, yb = X[start : start + batch], y[start : start + batch]
            m = len(yb)
            z1 = xb @ W1 + b1
            a1 = np.maximum(z1, 0)
            z2 = a1 @ W2 + b2
            a2 = np.tanh(z2)
            z3 = a2 @ W3 + b3
            shifted = z3 - z3.max(axis=1, keepdims=True)
            p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
            loss = -np.mean(np.log(p[np.arange(m), yb]))
            loss += 0.5 * alpha / m * sum(np.sum(W * W) for W in (W1, W2, W3))
            total += loss * m
            d3 = p.copy()
            d3[np.arange(m), yb] -= 1
            d3 /= m
            d2 = (d3 @ W3.T) * (1 - a2**2)
            d1 = (d2 @ W2.T) * (z1 > 0)
            grads = [
                xb.T @ d1 + alpha / m * W1,
                d1.sum(0),
                a1.T @ d2 + alpha / m * W2,
                d2.sum(0),
                a2.T @ d3 + alpha / m * W3,
                d3.sum(0),
            ]
            W1, b1, W2, b2, W3, b3 = (
                q - eta * g for q, g in zip((W1, b1, W2, b2, W3, b3), grads, strict=True)
            )
        reference_curve.append(total / 96)

    history = train(
        net,
        losses.get("softmax_cross_entropy_with_logits"),
        GradientDescent(learning_rate=eta),
        X,
        y,
        epochs=3,
        batch_size=batch,
        shuffle=False,
        l2=alpha,
    )
    np.testing.assert_allclose(history.loss, reference_curve, rtol=1e-12)
    for mine, theirs in zip(net.parameters(), (W1, b1, W2, b2, W3, b3), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(("blas_threads", "expect_one"), [("auto", True), (None, False), (1, True)])
def test_blas_threads_are_limited_while_training_and_restored(
    blas_threads, expect_one, blas_thread_counts
):
    before = blas_thread_counts()
    seen: list[list[int]] = []
    probe = LambdaCallback(on_batch_end=lambda network, logs: seen.append(blas_thread_counts()))
    X, y = _separable(64)
    train(
        _logistic(),
        BCE,
        GradientDescent(learning_rate=0.1),
        X,
        y,
        epochs=1,
        batch_size=32,
        callbacks=[probe],
        blas_threads=blas_threads,
    )
    assert len(seen) == 2
    expected = [1] * len(before) if expect_one else before
    assert all(threads == expected for threads in seen), (seen[0], expected)
    assert blas_thread_counts() == before


def test_auto_blas_threads_use_one_thread_only_for_small_products():
    from sigmanet._threads import SMALL_PRODUCT, blas_threads_for

    largest = 256 * 128  # the benchmark network's largest weight matrix
    assert SMALL_PRODUCT == 10_000_000_000
    assert blas_threads_for("auto", 32, largest) == 1
    assert blas_threads_for("auto", 256, largest) == 1  # 8.4 million multiply-adds
    # 4.3 billion: two threads still lost under load (0.64-0.75x), so one thread
    assert blas_threads_for("auto", 4096, 1024 * 1024) == 1
    # beyond every product measured the library keeps its threads
    assert blas_threads_for("auto", 10_000, 1024 * 1024) is None
    assert blas_threads_for("auto", 1, 4096 * 4096) == 1  # one row: a small product
    assert blas_threads_for(None, 32, largest) is None
    assert blas_threads_for(3, 32, largest) == 3


@pytest.mark.parametrize("bad", ["many", 0, -1, 1.5, True])
def test_blas_threads_must_be_auto_none_or_a_positive_integer(bad):
    X, y = _separable(20)
    with pytest.raises(ValueError, match="blas_threads must be 'auto', None or a positive"):
        train(_logistic(), BCE, GradientDescent(), X, y, epochs=1, blas_threads=bad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "name",
    ["softmax_cross_entropy_with_logits", "binary_cross_entropy_with_logits", "squared_error"],
)
def test_training_through_the_bound_loss_equals_value_and_gradient(dtype, name):
    """Training through Loss.bind's evaluator equals training through value_and_gradient."""
    loss = losses.get(name)

    class CheckedEveryBatch(type(loss)):  # the bound evaluator then calls value_and_gradient
        def value_and_gradient(self, y_true, output, sample_weight=None, out=None):
            return super().value_and_gradient(y_true, output, sample_weight, out)

    rng = np.random.default_rng(7)
    X = rng.normal(size=(200, 6)).astype(dtype)
    classes = rng.integers(0, 4, size=200)
    # class indices for the softmax; an indicator matrix for the sigmoids and the regression
    y = classes if name.startswith("softmax") else np.eye(4, dtype=dtype)[classes]
    results = []
    for each in (loss, CheckedEveryBatch()):
        net = Sequential([Dense(16), Activation("relu"), Dense(4)])
        net.build(6, random_state=0, dtype=dtype)
        history = train(
            net,
            each,
            Adam(learning_rate=0.01),
            X,
            y,
            epochs=3,
            batch_size=32,
            random_state=0,
            engine="numpy",  # the NumPy path's evaluator; the compiled engine has its own tests
        )
        results.append((history.loss, net.flat_parameters().copy()))
    (fast_curve, fast_params), (checked_curve, checked_params) = results
    assert fast_curve == checked_curve
    np.testing.assert_array_equal(fast_params, checked_params)


def test_an_optimizer_that_overrides_step_is_called_at_every_step():
    """The loop skips Optimizer.step's checks after the first step, but never a custom step."""

    class Counting(GradientDescent):
        calls = 0

        def step(self, params, grads):
            Counting.calls += 1
            super().step(params, grads)

    X, y = _separable(64)
    train(_logistic(), BCE, Counting(learning_rate=0.1), X, y, epochs=2, batch_size=16)
    assert Counting.calls == 8


# -- divergence: a loss that explodes but stays finite ------------------------------------------


class _EpochParameters(Callback):
    """The parameters at the start and at the end of every epoch that completed."""

    def __init__(self):
        self.params = []
        self.losses = []

    def on_train_begin(self, network):
        self.params.append([p.copy() for p in network.parameters()])

    def on_epoch_end(self, network, logs):
        self.params.append([p.copy() for p in network.parameters()])
        self.losses.append(logs["loss"])


def _squared_error(net, X, y):
    W, b = net.layers[0].params["W"], net.layers[0].params["b"]
    return 0.5 * float(np.mean(np.sum((X @ W + b - y) ** 2, axis=1)))


def test_a_finite_but_exploding_loss_is_divergence_and_the_last_sane_parameters_are_kept():
    # Batch gradient descent on least squares with a step above 2 / λ_max: the error is
    # multiplied by about -2.5 each step, so the loss grows ~6x per epoch and stays finite for
    # hundreds of epochs. The rule stops it at the first epoch beyond 1e4 times the reference.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    y = (X @ np.array([1.0, -2.0]) + 0.1 * rng.normal(size=50))[:, None]
    net = _logistic()
    reference = max(_squared_error(net, X, y), 0.5 * float(np.mean(y**2)))
    recorder = _EpochParameters()
    with pytest.raises(DivergenceError, match=r"exceeds 10000 times") as info:
        train(
            net,
            losses.get("squared_error"),
            GradientDescent(learning_rate=3.5),
            X,
            y,
            epochs=200,
            batch_size="full",
            callbacks=[recorder],
        )
    error = info.value
    assert error.epoch == len(recorder.losses) >= 3 and error.batch == 0
    # each full-batch epoch's loss is that of the parameters it starts from, checked here
    # without the loop: every passed epoch was within the bound, the failing one beyond it
    starts = recorder.params  # start of epoch 0, 1, ..., error.epoch
    start_losses = []
    for params in starts:
        probe = _logistic()
        for p, value in zip(probe.parameters(), params, strict=True):
            p[...] = value
        start_losses.append(_squared_error(probe, X, y))
    np.testing.assert_allclose(recorder.losses, start_losses[:-1], rtol=1e-12)
    assert max(start_losses[:-1]) <= 1e4 * reference < start_losses[-1] < 1e8 * reference
    # kept: the start of the last epoch that passed, finite
    for kept, expected in zip(net.parameters(), starts[error.epoch - 1], strict=True):
        assert np.isfinite(kept).all()
        np.testing.assert_array_equal(kept, expected)
    assert error.history.loss == recorder.losses
    assert f"at the start of epoch {error.epoch}, the last epoch whose loss passed" in str(error)
    assert "Lower the learning rate, or standardise the inputs" in str(error)


def test_a_first_epoch_already_ruined_is_divergence_with_the_start_kept():
    # Adam's steps are bounded by η, so at η = 1e6 its loss jumps at once and then grows by
    # ~η per step, never geometrically: measured against its first epoch it would never look
    # like divergence. Random labels: no weights fit them, so the loss cannot fall to zero.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = rng.integers(0, 2, size=(200, 1)).astype(float)
    net = _logistic()
    start = [p.copy() for p in net.parameters()]
    with pytest.raises(
        DivergenceError, match=r"at epoch 1, batch 7: the epoch's mean loss"
    ) as info:
        train(net, BCE, Adam(learning_rate=1e6), X, y, epochs=50, batch_size=32, random_state=0)
    assert "at the start of this run" in str(info.value)
    for kept, expected in zip(net.parameters(), start, strict=True):
        np.testing.assert_array_equal(kept, expected)


@pytest.mark.parametrize(("scale", "learning_rate"), [(10.0, 1.0), (10.0, 10.0), (100.0, 1.0)])
def test_a_noisy_first_epoch_of_healthy_training_is_not_divergence(scale, learning_rate):
    # Stochastic descent on unscaled, noisy data with a large decaying step: the first epoch is
    # 5 to 500 times worse than the start, and training still ends far below it.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] + X[:, 1] + rng.normal(size=300) > 0).astype(float)[:, None]
    X *= scale
    net = _logistic()
    start = float(BCE.value(y, net.forward(X)))
    history = train(
        net,
        BCE,
        GradientDescent(learning_rate=learning_rate),
        X,
        y,
        epochs=40,
        batch_size=1,
        random_state=0,
        schedule=InverseScaling(learning_rate=learning_rate, power_t=0.5),
    )
    assert history.epochs == 40
    assert max(history.loss) > 4 * start  # noisy indeed
    assert history.loss[-1] < history.loss[0] / 10


def test_the_reference_is_the_larger_of_the_loss_at_the_start_and_of_the_zero_output():
    X, y = _separable()
    net = _logistic()
    train(net, BCE, GradientDescent(learning_rate=1.0), X, y, epochs=200, batch_size="full")
    start = float(BCE.value(y, net.forward(X)))
    assert start < 0.01  # a near-perfect (warm) start
    rule = DivergenceRule.at_start(net, BCE, X, y, None)
    assert rule.reference == pytest.approx(np.log(2), rel=1e-12)  # the zero output's loss
    assert not rule.diverged(1e4 * start)  # far worse than the start is not yet divergence
    assert rule.limit == 1e4 * rule.reference
    assert not rule.diverged(rule.limit)
    assert rule.diverged(1.0001 * rule.limit)
    assert rule.diverged(np.inf) and rule.diverged(np.nan)
    history = train(net, BCE, GradientDescent(learning_rate=0.1), X, y, epochs=1)
    assert history.divergence_reference == rule.reference
    # squared error: ½ mean ‖y‖², or the start when that is larger (weighted means both)
    Y = np.c_[np.linspace(-3, 3, 200), np.ones(200)]
    W = np.random.default_rng(1).uniform(1.0, 2.0, size=200)
    wide = Sequential([Dense(2)]).build(2, random_state=0)
    wide.layers[0].params["b"][...] = 100.0
    rule = DivergenceRule.at_start(wide, losses.get("squared_error"), X, Y, W)
    start = 0.5 * np.average(np.sum((wide.forward(X) - Y) ** 2, axis=1), weights=W)
    assert start > 0.5 * np.average(np.sum(Y**2, axis=1), weights=W)
    assert rule.reference == pytest.approx(start, rel=1e-12)
    wide.layers[0].params["b"][...] = 0.0
    wide.layers[0].params["W"][...] = 0.0
    rule = DivergenceRule.at_start(wide, losses.get("squared_error"), X, Y, W)
    expected = 0.5 * np.average(np.sum(Y**2, axis=1), weights=W)
    assert rule.reference == pytest.approx(expected, rel=1e-12)


def test_the_reference_does_not_depend_on_the_blocks_it_is_measured_in():
    X, y = _separable(n=300)
    net = _logistic()
    W = np.random.default_rng(2).uniform(0.5, 2.0, size=300)
    references = {
        rows: DivergenceRule.at_start(net, BCE, X, y, W, 0.25, block_rows=rows).reference
        for rows in (1, 7, 32, 300, 5000)
    }
    # max(weighted mean loss at the start + the penalty, that of the zero output, log 2)
    z = net.forward(X)
    per_row = (np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))[:, 0]
    expected = max(np.average(per_row, weights=W) + 0.25, np.log(2))
    assert expected > np.log(2)  # the start decides it
    for value in references.values():
        assert value == pytest.approx(expected, rel=1e-13)


def _record_predictions(monkeypatch, net):
    """The row counts of every ``net.predict`` call from now on."""
    rows_asked = []
    predict = net.predict

    def recording(X_block):
        rows_asked.append(X_block.shape[0])
        return predict(X_block)

    monkeypatch.setattr(net, "predict", recording)
    return rows_asked


def test_train_measures_the_reference_in_blocks_of_bounded_size(monkeypatch):
    # a small batch does not make the measurement a hundred small NumPy passes, nor a wide
    # layer one huge block
    X, y = _separable(n=5000)
    net = _logistic()
    rows_asked = _record_predictions(monkeypatch, net)
    history = train(net, BCE, Adam(), X, y, epochs=0, batch_size=32, engine="numpy")
    # every fifth row (5,000 > REFERENCE_ROWS = 1,024: 1,000 rows) in one block: the widest
    # of the input (2 columns) and the layer's 2 x 1 matrix holds 2 values a row
    assert REFERENCE_ROWS == 1024
    assert REFERENCE_BLOCK_VALUES == 2**18
    assert rows_asked == [1000]
    sample = slice(None, None, 5)
    expected = DivergenceRule.at_start(net, BCE, X[sample], y[sample], None, block_rows=1)
    assert history.divergence_reference == pytest.approx(expected.reference, rel=1e-13)

    wide = Sequential([Dense(2**10), Dense(1)]).build(2, random_state=0)
    rows_asked = _record_predictions(monkeypatch, wide)
    train(wide, BCE, Adam(), X, y, epochs=0, batch_size=32, engine="numpy")
    assert rows_asked == [256] * 3 + [232]  # 2**18 values of the 1024-unit layer a block
    rows_asked.clear()
    train(wide, BCE, Adam(), X, y, epochs=0, batch_size=400, engine="numpy")
    assert rows_asked == [400, 400, 200]  # a batch's rows when a batch holds more


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_block_sums_of_any_split_give_the_full_batch_objective(dtype, weighted):
    # The in-memory objective is assembled from sums over rows; sums of disjoint blocks, in
    # row blocks or in separate calls (as the chunks of a cluster), add up to the same J and ∇J.
    rng = np.random.default_rng(3)
    X, y = _separable(n=101, dtype=dtype)
    weight = rng.uniform(0.0, 2.0, size=101).astype(dtype) if weighted else None
    if weighted:
        weight[:7] = 0.0  # a block of zero weight adds nothing
    net = Sequential([Dense(3), Activation("tanh"), Dense(1)]).build(2, random_state=0, dtype=dtype)
    objective = FullBatchObjective(net, BCE, X, y, weight, l2=0.5)
    whole = objective()
    whole_grad = net.flat_gradients().copy()

    in_blocks = block_sums(net, BCE, X, y, weight, block_rows=7)
    parts = [
        block_sums(net, BCE, X[a:b], y[a:b], None if weight is None else weight[a:b])
        for a, b in [(0, 7), (7, 40), (40, 41), (41, 101)]
    ]
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for sums in (in_blocks, parts[0] + parts[1] + (parts[2] + parts[3])):
        assert sums.gradient.dtype == np.float64
        np.testing.assert_allclose(sums.weight, 101 if weight is None else weight.sum(), rtol)
        assert objective.from_sums(sums) == pytest.approx(whole, rel=rtol)
        np.testing.assert_allclose(net.flat_gradients(), whole_grad, rtol=rtol, atol=rtol * 1e-3)
        assert net.flat_gradients().dtype == dtype


def test_from_sums_refuses_rows_without_weight():
    X, y = _separable(n=10)
    objective = FullBatchObjective(_logistic(), BCE, X, y)
    empty = block_sums(objective.network, BCE, X[:0], y[:0])
    assert empty.weight == 0 and empty.loss == 0 and not empty.gradient.any()
    with pytest.raises(ValueError, match="total sample weight must be positive"):
        objective.from_sums(empty)


# -- the one "no improvement for n epochs" rule ------------------------------------------------


def _replay(rule, values, monitor="loss"):
    """The epoch (1-based) at which ``rule`` stops on ``values``, or None."""
    net = _logistic()
    rule.on_train_begin(net)
    for epoch, value in enumerate(values):
        if rule.on_epoch_end(net, {"epoch": epoch, monitor: value}):
            return epoch + 1
    return None


def test_the_stopping_rule_counts_misses_as_scikit_learn_does():
    # an epoch equal to the best is not a miss with tol=0 (scikit-learn: loss > best - tol)
    assert _replay(EarlyStopping("loss", patience=1), [1.0, 1.0, 1.0, 1.0]) is None
    assert _replay(EarlyStopping("loss", patience=1), [1.0, 1.0, 1.1, 1.2]) == 4
    # an improvement smaller than tol is a miss, but best still follows it
    rule = EarlyStopping("loss", patience=1, min_delta=0.05)
    assert _replay(rule, [1.0, 0.97, 0.93]) == 3
    assert rule.best == 0.93 and rule.best_epoch == 2
    # scores: larger is better
    rule = EarlyStopping("validation_score", mode="max", patience=0, restore_best_weights=False)
    assert _replay(rule, [0.5, 0.6, 0.55], "validation_score") == 3
    # numpy.inf never stops
    assert _replay(EarlyStopping("loss", patience=np.inf), [1.0] + [2.0] * 50) is None


def test_the_stopping_rule_lets_on_plateau_act_instead_of_stopping():
    actions = []

    def slow_down():
        actions.append(len(actions))
        return len(actions) <= 2  # acts twice, then gives up

    rule = EarlyStopping("loss", patience=1, on_plateau=slow_down, restore_best_weights=False)
    assert _replay(rule, [1.0] + [2.0] * 20) == 7  # 2 misses, act; 2 misses, act; 2, stop
    assert actions == [0, 1, 2] and rule.stopped


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mode": "up"}, "mode must be"),
        ({"patience": -1}, "patience must be"),
        ({"patience": 1.5}, "patience must be"),
        ({"min_delta": -0.1}, "min_delta must be"),
    ],
)
def test_the_stopping_rule_refuses_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EarlyStopping(**kwargs)


# -- the one validation split ------------------------------------------------------------------


def test_validation_split_keeps_rows_together_and_classes_in_proportion():
    X = np.arange(40.0).reshape(20, 2)
    y = np.array([0] * 10 + [1] * 6 + [2] * 4)
    (X_tr, _), (X_val, y_val) = validation_split(X, y, fraction=0.5, random_state=0, stratify=y)
    assert len(X_val) == 10 and len(X_tr) == 10
    assert sorted(np.bincount(y_val).tolist()) == [2, 3, 5]  # half of each class
    # each validation row keeps its own label
    for row, label in zip(X_val, y_val, strict=True):
        assert y[int(row[0]) // 2] == label
    # the same seed gives the same rows
    again = validation_split(X, y, fraction=0.5, random_state=0, stratify=y)[1][0]
    np.testing.assert_array_equal(again, X_val)


def test_validation_split_says_what_it_cannot_do():
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match="fraction must be in"):
        validation_split(X, fraction=1.0)
    with pytest.raises(ValueError, match=r"too small: 1 row\(s\) of 4, at least 2 needed"):
        validation_split(X, fraction=0.25, min_validation=2)
    with pytest.raises(ValueError, match="only 1 member"):
        validation_split(X, fraction=0.5, stratify=[0, 0, 0, 1])
