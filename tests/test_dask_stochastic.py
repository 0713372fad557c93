"""sigmanet.dask.fit_stochastic: block after block, as partial_fit on the blocks in order; local
SGD; what it refuses."""

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

import sigmanet
from sigmanet import MLPClassifier, MLPRegressor, SoftmaxRegression

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
sdask = pytest.importorskip("sigmanet.dask")
sequential = pytest.importorskip("sigmanet.dask._sequential")


def _data(n=1200, d=5, classes=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    score = X @ rng.normal(size=d) + 0.3 * rng.normal(size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    return X.astype(dtype), np.array(["a", "b", "c", "d"])[y]


def _relative(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def _blocks(sizes):
    ends = np.cumsum(sizes)
    return [slice(int(end - size), int(end)) for size, end in zip(sizes, ends, strict=True)]


def _in_memory(model, X, y, weight, sizes, epochs, classes=None, total_weight=None):
    """partial_fit on each block in the documented order: what fit_stochastic reproduces
    (a linear model told the total weight of all the blocks, as fit_stochastic tells it)."""
    blocks = _blocks(sizes)
    if total_weight is not None:
        model._penalty_total_weight = total_weight
    for order in sdask.block_order(len(sizes), epochs, model.random_state):
        for b in order:
            w = None if weight is None else weight[blocks[b]]
            if classes is None:
                model.partial_fit(X[blocks[b]], y[blocks[b]], sample_weight=w)
            else:
                model.partial_fit(X[blocks[b]], y[blocks[b]], classes=classes, sample_weight=w)
    return model


def test_block_order_visits_each_block_once_per_epoch_in_a_fresh_order():
    orders = sdask.block_order(12, 3, random_state=4)
    assert [sorted(order) for order in orders] == [list(range(12))] * 3
    assert orders[0] != orders[1] != orders[2]
    assert orders == sdask.block_order(12, 3, random_state=4)
    assert orders != sdask.block_order(12, 3, random_state=5)


@pytest.mark.parametrize(
    ("model", "weighted", "dtype"),
    [
        (MLPClassifier(hidden_layer_sizes=(7,), solver="adam", batch_size=64), False, np.float64),
        (
            MLPClassifier(
                hidden_layer_sizes=(6, 4),
                solver="sgd",
                momentum=0.9,
                learning_rate="invscaling",
                class_weight="balanced",
                batch_size=50,
                alpha=1e-3,
            ),
            True,
            np.float64,
        ),
        (
            MLPClassifier(hidden_layer_sizes=(5,), solver="rmsprop", batch_size=32),
            False,
            np.float32,
        ),
    ],
)
def test_the_sequential_fit_equals_partial_fit_on_the_blocks_in_order(
    client, model, weighted, dtype
):
    X, y = _data(dtype=dtype)
    weight = np.random.default_rng(1).uniform(0, 2, size=len(y)) if weighted else None
    sizes = (300, 250, 1, 349, 300)  # uneven blocks, one of a single row
    params = {**model.get_params(), "random_state": 3}
    X_d = da.from_array(X, chunks=(sizes, (3, 2)))  # columns split: joined into whole rows
    y_d = da.from_array(y, chunks=200)  # rechunked to X's rows
    w_d = None if weight is None else da.from_array(weight, chunks=(sizes,))
    fitted = sdask.fit_stochastic(type(model)(**params), X_d, y_d, w_d, epochs=3, client=client)

    classes = np.unique(y)
    if params["class_weight"] == "balanced":
        # the weights of the whole y (a block alone would weigh its own counts)
        table = compute_class_weight("balanced", classes=classes, y=y, sample_weight=weight)
        params["class_weight"] = dict(zip(classes.tolist(), table.tolist(), strict=True))
    expected = _in_memory(type(model)(**params), X, y, weight, sizes, 3, classes)

    assert fitted.class_weight == model.class_weight  # the user's setting, as given
    assert fitted.n_iter_ == 3 and fitted.t_ == expected.t_ == 3 * len(y)
    assert fitted.coefs_[0].dtype == dtype
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    for got, want in zip(
        fitted.coefs_ + fitted.intercepts_, expected.coefs_ + expected.intercepts_, strict=True
    ):
        assert _relative(got, want) < tolerance
    np.testing.assert_allclose(fitted.loss_curve_, expected.loss_curve_, rtol=tolerance)
    assert len(fitted.loss_curve_) == 3 * len(sizes)  # one entry per block visited
    np.testing.assert_array_equal(fitted.predict(X), expected.predict(X))
    np.testing.assert_array_equal(sdask.predict(fitted, X_d).compute(), expected.predict(X))


@pytest.mark.parametrize(
    ("model", "weighted", "dtype"),
    [
        (sigmanet.LogisticRegression(solver="sgd", C=0.5), False, np.float64),
        (
            sigmanet.SoftmaxRegression(
                solver="adam", batch_size=40, class_weight="balanced", C=0.1
            ),
            True,
            np.float64,
        ),
        (
            sigmanet.LogisticRegression(
                solver="minibatch", batch_size=25, learning_rate="invscaling"
            ),
            True,
            np.float32,
        ),
    ],
)
def test_a_linear_model_equals_its_partial_fit_on_the_blocks_in_order(
    client, model, weighted, dtype
):
    X, y = _data(n=600, dtype=dtype)
    weight = np.random.default_rng(1).uniform(0, 2, size=len(y)) if weighted else None
    sizes = (150, 100, 1, 199, 150)
    params = {**model.get_params(), "random_state": 3}
    X_d = da.from_array(X, chunks=(sizes, 5))
    y_d = da.from_array(y, chunks=200)
    w_d = None if weight is None else da.from_array(weight, chunks=(sizes,))
    fitted = sdask.fit_stochastic(type(model)(**params), X_d, y_d, w_d, epochs=2, client=client)

    classes = np.unique(y)
    per_sample = np.ones(len(y)) if weight is None else weight
    if params["class_weight"] == "balanced":
        table = compute_class_weight("balanced", classes=classes, y=y, sample_weight=weight)
        params["class_weight"] = dict(zip(classes.tolist(), table.tolist(), strict=True))
        per_sample = per_sample * table[np.searchsorted(classes, y)]
    expected = _in_memory(
        type(model)(**params), X, y, weight, sizes, 2, classes, total_weight=per_sample.sum()
    )

    assert fitted.class_weight == model.class_weight
    assert fitted.n_iter_.tolist() == [2] and fitted.t_ == expected.t_ == 2 * len(y)
    assert fitted.coef_.dtype == dtype
    assert not hasattr(fitted, "_penalty_total_weight") or fitted._penalty_total_weight is None
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    assert _relative(fitted.coef_, expected.coef_) < tolerance
    assert _relative(fitted.intercept_, expected.intercept_) < tolerance
    np.testing.assert_allclose(fitted.loss_curve_, expected.loss_curve_, rtol=tolerance)
    assert len(fitted.loss_curve_) == 2 * len(sizes)
    np.testing.assert_array_equal(sdask.predict(fitted, X_d).compute(), expected.predict(X))


def test_a_linear_model_on_blocks_minimises_the_whole_data_objective(client):
    """Each block's steps carry the penalty of the whole data's J (W / (C S), S all the rows'
    weight), so the blocks' SGD approaches the L-BFGS minimiser of J; a block's own J would
    penalise about n_blocks times as strongly."""
    X, y = _data(n=800, classes=2)
    chunks = (200,) * 4
    params = {"C": 0.02, "solver": "minibatch", "batch_size": 50, "random_state": 0}
    params.update(learning_rate_init=0.2)
    fitted = sdask.fit_stochastic(
        sigmanet.LogisticRegression(**params),
        da.from_array(X, chunks=(chunks, 5)),
        da.from_array(y, chunks=(chunks,)),
        epochs=10,
        client=client,
    )
    exact = sigmanet.LogisticRegression(C=0.02, tol=1e-10, max_iter=1000).fit(X, y)
    per_block = sigmanet.LogisticRegression(C=0.02 / len(chunks), tol=1e-10).fit(X, y)
    assert _relative(fitted.coef_, exact.coef_) < 0.05  # 0.016 when written
    assert _relative(per_block.coef_, exact.coef_) > 0.3  # what the other penalty would give


def test_a_regressor_with_two_outputs_equals_partial_fit_on_the_blocks(client):
    X, _ = _data(n=900)
    y = np.column_stack([np.sin(X[:, 0]), X[:, 1] * X[:, 2]])
    params = {"hidden_layer_sizes": (8,), "solver": "adam", "batch_size": 40, "random_state": 0}
    fitted = sdask.fit_stochastic(
        MLPRegressor(**params),
        da.from_array(X, chunks=(200, 5)),
        da.from_array(y, chunks=(200, 2)),
        epochs=2,
        client=client,
    )
    expected = _in_memory(MLPRegressor(**params), X, y, None, (200, 200, 200, 200, 100), 2)
    for got, want in zip(
        fitted.coefs_ + fitted.intercepts_, expected.coefs_ + expected.intercepts_, strict=True
    ):
        assert _relative(got, want) < 1e-12
    assert fitted.n_outputs_ == 2


def test_the_model_travels_to_the_blocks_not_the_blocks_to_the_model(client):
    """Every training task runs where its block is: no prepared block is ever sent from one
    worker to another, only the model (a few kilobytes) is."""
    X, y = _data(n=4000, d=20)
    workers = client.cluster.workers.values()
    before = {w.address: len(w.transfer_incoming_log) for w in workers}
    sdask.fit_stochastic(
        MLPClassifier(hidden_layer_sizes=(4,), batch_size=100, random_state=0),
        da.from_array(X, chunks=(500, 20)),
        da.from_array(y, chunks=500),
        epochs=2,
        client=client,
    )
    moved = [
        key
        for w in workers
        for entry in list(w.transfer_incoming_log)[before[w.address] :]
        for key in entry["keys"]
    ]
    assert any("_train_on_blocks" in str(key) for key in moved)  # the model did move
    assert not [key for key in moved if "_prepare_chunk" in str(key)]


_original_average = sequential._average


def _counting_average(start, *copies):
    sequential.copies_averaged.append(len(copies))
    return _original_average(start, *copies)


def test_local_sgd_reaches_the_accuracy_of_the_sequential_fit(client, monkeypatch):
    X, y = _data(n=3000, d=6, classes=3, seed=2)
    X, y, X_test, y_test = X[:2000], y[:2000], X[2000:], y[2000:]
    X_d = da.from_array(X, chunks=(250, 6))
    y_d = da.from_array(y, chunks=250)
    # the workers run this module's function (in process): it counts the copies averaged
    monkeypatch.setattr(sequential, "copies_averaged", [], raising=False)
    monkeypatch.setattr(sequential, "_average", _counting_average)
    params = {"hidden_layer_sizes": (8,), "batch_size": 50, "learning_rate_init": 0.01}
    params["random_state"] = 0
    serial = sdask.fit_stochastic(MLPClassifier(**params), X_d, y_d, epochs=5, client=client)
    local = sdask.fit_stochastic(
        MLPClassifier(**params), X_d, y_d, epochs=5, sync_every=2, client=client
    )
    assert (
        max(sequential.copies_averaged) == 2
    )  # both workers trained a copy in the rounds that were averaged
    assert local.t_ == serial.t_ == 5 * len(y)
    assert len(local.loss_curve_) == len(serial.loss_curve_) == 5 * 8
    serial_accuracy = serial.score(X_test, y_test)
    local_accuracy = local.score(X_test, y_test)
    assert serial_accuracy > 0.9
    assert local_accuracy > serial_accuracy - 0.03
    # not the serial fit (documented): different weights
    assert _relative(local.coefs_[0], serial.coefs_[0]) > 1e-3


def test_what_fit_stochastic_refuses(client):
    X, y = _data(n=100)
    X_d, y_d = da.from_array(X, chunks=50), da.from_array(y, chunks=50)
    with pytest.raises(TypeError, match=r"trains MLPClassifier.*got MLPClassifierish"):
        sdask.fit_stochastic(type("MLPClassifierish", (), {})(), X_d, y_d)
    for model in (
        MLPClassifier(solver="lbfgs"),
        sigmanet.LogisticRegression(),
        sigmanet.SoftmaxRegression(solver="gd"),
    ):
        with pytest.raises(ValueError, match=r"solver='(lbfgs|gd)': .* sigmanet\.dask\.fit with"):
            sdask.fit_stochastic(model, X_d, y_d)
    with pytest.raises(ValueError, match="warm_start=False"):
        sdask.fit_stochastic(sigmanet.LogisticRegression(solver="sgd", warm_start=True), X_d, y_d)
    with pytest.raises(ValueError, match="early_stopping=True"):
        sdask.fit_stochastic(MLPClassifier(early_stopping=True), X_d, y_d)
    with pytest.raises(ValueError, match="warm_start=False"):
        sdask.fit_stochastic(MLPClassifier(warm_start=True), X_d, y_d)
    with pytest.raises(ValueError, match="epochs must be a positive int; got 0"):
        sdask.fit_stochastic(MLPClassifier(), X_d, y_d, epochs=0)
    with pytest.raises(ValueError, match=r"sync_every must be a positive int; got 1\.5"):
        sdask.fit_stochastic(MLPClassifier(), X_d, y_d, sync_every=1.5)
    with pytest.raises(TypeError, match="must be a Dask array"):
        sdask.fit_stochastic(MLPClassifier(), X, y_d)
    with pytest.raises(ValueError, match="fit_stochastic"):
        sdask.fit(MLPClassifier(solver="adam"), X_d, y_d)
    with pytest.raises(ValueError, match=r"'minibatch' or 'adam', trains with .*fit_stochastic"):
        sdask.fit(sigmanet.SoftmaxRegression(solver="minibatch"), X_d, y_d)


def test_bad_rows_are_named_and_the_estimator_is_left_alone(client):
    X, y = _data(n=300)
    X[170, 2] = np.nan
    model = MLPClassifier(random_state=0)
    with pytest.raises(ValueError, match=r"NaN or infinity.*rows 150\.\.299"):
        sdask.fit_stochastic(
            model, da.from_array(X, chunks=(150, 5)), da.from_array(y, chunks=150), epochs=1
        )
    assert not hasattr(model, "network_")


def test_local_sgd_trains_a_linear_model(client):
    """Averaging works on the linear models' parameters and optimizer state too (the whole
    data's penalty in every copy); the result is close to, not equal to, the sequential fit."""
    X, y = _data(n=1000, d=5, classes=3, seed=2)
    X_d = da.from_array(X, chunks=(250, 5))
    y_d = da.from_array(y, chunks=250)
    params = {"solver": "adam", "batch_size": 25, "learning_rate_init": 0.05, "random_state": 0}
    serial = sdask.fit_stochastic(SoftmaxRegression(**params), X_d, y_d, epochs=4, client=client)
    local = sdask.fit_stochastic(
        SoftmaxRegression(**params), X_d, y_d, epochs=4, sync_every=1, client=client
    )
    assert local.n_iter_.tolist() == [4] and local.t_ == 4 * len(y)
    np.testing.assert_allclose(local.coef_.sum(axis=0), 0, atol=1e-12)  # centred copies
    best = SoftmaxRegression().fit(X, y).score(X, y)  # L-BFGS: 0.781; serial 0.772, local 0.773
    assert serial.score(X, y) > best - 0.02
    assert local.score(X, y) > best - 0.03
    assert _relative(local.coef_, serial.coef_) > 1e-3
