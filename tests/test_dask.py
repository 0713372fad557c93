"""sigmanet.dask: the distributed full-batch fit equals the in-memory one; lazy prediction."""

import contextlib
import os
import signal
import sys
import time

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline

import sigmanet
from sigmanet import LogisticRegression, SoftmaxRegression

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
sdask = pytest.importorskip("sigmanet.dask")


def _data(n=2000, d=6, classes=2, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d)
    score = X @ rng.normal(size=d) + rng.normal(size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    return X.astype(dtype), np.array(["a", "b", "c", "d"])[y]


def _relative(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize(
    ("model", "classes", "weighted"),
    [
        (LogisticRegression(C=0.5), 2, False),
        (LogisticRegression(C=2.0, class_weight="balanced"), 3, True),  # one-vs-rest
        (SoftmaxRegression(C=1.0), 3, False),
        (SoftmaxRegression(C=0.3, class_weight={"a": 2.0}, fit_intercept=False), 4, True),
    ],
)
def test_the_distributed_fit_equals_the_in_memory_fit(client, model, classes, weighted):
    X, y = _data(classes=classes)
    weight = np.random.default_rng(1).uniform(0, 2, size=len(y)) if weighted else None
    in_memory = type(model)(**model.get_params()).fit(X, y, sample_weight=weight)
    # uneven row chunks, and columns split in two (rechunked to whole rows)
    X_d = da.from_array(X, chunks=((300, 700, 1, 999), (4, 2)))
    y_d = da.from_array(y, chunks=500)
    w_d = None if weight is None else da.from_array(weight, chunks=400)
    fitted = sdask.fit(type(model)(**model.get_params()), X_d, y_d, w_d, client=client)
    assert isinstance(fitted, type(model))
    np.testing.assert_array_equal(fitted.classes_, in_memory.classes_)
    assert fitted.n_iter_ == in_memory.n_iter_
    assert _relative(fitted.coef_, in_memory.coef_) < 1e-10
    np.testing.assert_allclose(fitted.intercept_, in_memory.intercept_, rtol=1e-10, atol=1e-12)
    assert fitted.loss_ == pytest.approx(in_memory.loss_, rel=1e-12)
    assert fitted.coef_.dtype == np.float64


def test_float32_stays_float32(client):
    X, y = _data(dtype=np.float32)
    fitted = sdask.fit(LogisticRegression(), da.from_array(X, chunks=600), da.from_array(y))
    in_memory = LogisticRegression().fit(X, y)
    assert fitted.coef_.dtype == np.float32
    np.testing.assert_allclose(fitted.coef_, in_memory.coef_, rtol=1e-4, atol=1e-5)


def test_the_fitted_model_is_an_ordinary_estimator(client, tmp_path):
    X, y = _data(classes=3)
    X_d = da.from_array(X, chunks=(512, 6))
    model = sdask.fit(SoftmaxRegression(), X_d, da.from_array(y, chunks=512))
    path = sigmanet.save(model, tmp_path / "model.sigmanet")
    loaded = sigmanet.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))

    # lazy, block by block, equal to the in-memory prediction
    proba = sdask.predict_proba(model, X_d)
    labels = sdask.predict(model, X_d)
    scores = sdask.decision_function(model, X_d)
    assert all(isinstance(v, da.Array) for v in (proba, labels, scores))
    assert proba.chunks == (X_d.chunks[0], (3,))
    np.testing.assert_array_equal(proba.compute(), model.predict_proba(X))
    np.testing.assert_array_equal(labels.compute(), model.predict(X))
    np.testing.assert_array_equal(scores.compute(), model.decision_function(X))
    binary = LogisticRegression().fit(X, y == "a")
    np.testing.assert_array_equal(
        sdask.decision_function(binary, X_d).compute(), binary.decision_function(X)
    )


def test_bad_data_is_reported_by_rows_and_leaves_the_estimator_alone(client):
    X, y = _data()
    X[1234, 2] = np.nan
    model = LogisticRegression()
    with pytest.raises(ValueError, match=r"NaN or infinity .* rows 1000\.\.1499"):
        sdask.fit(model, da.from_array(X, chunks=500), da.from_array(y, chunks=500))
    assert not hasattr(model, "network_")
    X[1234, 2] = 0.0
    with pytest.raises(ValueError, match="at least 2 classes"):
        sdask.fit(model, da.from_array(X), da.from_array(np.zeros(len(y))))
    weight = np.ones(len(y))
    weight[5] = -1
    with pytest.raises(ValueError, match=r"non-negative; see rows 0\.\.499"):
        sdask.fit(model, da.from_array(X, chunks=500), da.from_array(y), da.from_array(weight))
    with pytest.raises(ValueError, match="classes of y"):
        sdask.fit(LogisticRegression(class_weight={"z": 1}), da.from_array(X), da.from_array(y))


def test_what_fit_refuses(client):
    X, y = _data(n=100)
    X_d, y_d = da.from_array(X), da.from_array(y)
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        sdask.fit(LogisticRegression(solver="sgd"), X_d, y_d)
    with pytest.raises(TypeError, match="got Pipeline"):
        sdask.fit(make_pipeline(LogisticRegression()), X_d, y_d)
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        sdask.fit(sigmanet.MLPClassifier(), X_d, y_d)
    with pytest.raises(TypeError, match="must be a Dask array"):
        sdask.fit(LogisticRegression(), X, y_d)
    with pytest.raises(ValueError, match=r"one label per row"):
        sdask.fit(LogisticRegression(), X_d, y_d[:50])
    with pytest.raises(ValueError, match="unknown length"):
        sdask.fit(LogisticRegression(), X_d[X_d[:, 0] > 0], y_d)
    with pytest.raises(ValueError, match="warm_start=False"):
        sdask.fit(LogisticRegression(warm_start=True), X_d, y_d)


def test_an_in_memory_fit_refuses_a_dask_array_and_names_sigmanet_dask():
    X, y = _data(n=50)
    X_d = da.from_array(X)
    with pytest.raises(TypeError, match=r"X is a Dask Array.*sigmanet\.dask\.fit"):
        LogisticRegression().fit(X_d, y)
    with pytest.raises(TypeError, match=r"y is a Dask Array.*sigmanet\.dask\.fit"):
        sigmanet.MLPClassifier().fit(X, da.from_array(y))
    model = LogisticRegression().fit(X, y)
    with pytest.raises(TypeError, match=r"sigmanet\.dask\.predict"):
        model.predict(X_d)


def test_the_refusal_needs_no_dask(monkeypatch):
    # without Dask installed the check still works: it looks only at the type's module
    monkeypatch.setitem(sys.modules, "dask", None)  # any `import dask` would now fail

    class Array:
        shape = (3, 2)

    Array.__module__ = "dask.array.core"
    with pytest.raises(TypeError, match=r"sigmanet\.dask\.fit"):
        LogisticRegression().fit(Array(), [0, 1, 0])


def test_worker_processes_on_the_loopback_give_the_same_fit_even_when_one_is_killed(
    monkeypatch,
):
    """Two worker processes on 127.0.0.1: the fit equals the in-memory fit; then the same fit
    again with one worker SIGKILLed at the third evaluation of the objective.

    The chunks the killed worker held are computed again from the graph on the worker that is
    left (or on the one its nanny restarts), the parameters are sent again at every
    evaluation, and the fit ends where the in-memory fit ends.
    """
    X, y = _data(n=1500, classes=3)
    in_memory = SoftmaxRegression(C=0.7).fit(X, y)
    killed: list[int] = []
    calls = 0
    with (
        _workers_forked_with_sigmanet_imported(),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        fitted = sdask.fit(
            SoftmaxRegression(C=0.7),
            da.from_array(X, chunks=300),
            da.from_array(y, chunks=300),
            client=c,
        )
        assert _relative(fitted.coef_, in_memory.coef_) < 1e-10

        full_batch = sys.modules["sigmanet.dask._full_batch"]
        minimize = full_batch.minimize_lbfgs

        def minimize_killing_a_worker(network, evaluate, **options):
            def evaluate_and_kill():
                nonlocal calls
                calls += 1
                if calls == 3:
                    pid = sorted(c.run(os.getpid).items())[0][1]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                return evaluate()

            return minimize(network, evaluate_and_kill, **options)

        monkeypatch.setattr(full_batch, "minimize_lbfgs", minimize_killing_a_worker)
        survivor = sdask.fit(
            SoftmaxRegression(C=0.7),
            da.from_array(X, chunks=300),
            da.from_array(y, chunks=300),
            client=c,
        )
        sgd_survivor, sgd_expected, left_when_killed = _a_chain_survives_a_killed_worker(
            c, X, y, killed, monkeypatch
        )
    assert cluster.status.name == "closed"
    assert len(killed) == 2 and calls > 3
    assert _relative(survivor.coef_, in_memory.coef_) < 1e-10
    np.testing.assert_array_equal(survivor.predict(X), in_memory.predict(X))
    assert 0 < left_when_killed < 30  # the worker died mid-chain
    for got, want in zip(sgd_survivor.coefs_, sgd_expected.coefs_, strict=True):
        assert _relative(got, want) < 1e-12


@contextlib.contextmanager
def _workers_forked_with_sigmanet_imported():
    """Worker processes (and the one the nanny restarts after a kill) forked from a server
    that has imported sigmanet, scikit-learn and distributed once, instead of spawned
    interpreters that each import them (most of this test's time on a loaded machine)."""
    import dask
    from distributed.utils import get_mp_context

    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        get_mp_context().set_forkserver_preload(
            ["distributed", "sigmanet.dask", "sigmanet.estimators", "sklearn.linear_model"]
        )
        yield


def _a_chain_survives_a_killed_worker(c, X, y, killed, monkeypatch):
    """fit_stochastic on the same cluster, one worker SIGKILLed once a third of the chain of
    block tasks has run: the scheduler recomputes what the dead worker held (the blocks, and
    the models of the chain back to one it still has) and the fit ends as partial_fit on the
    blocks in order does in memory."""
    sequential = sys.modules["sigmanet.dask._sequential"]
    chain = sequential._chain
    left: list[int] = []

    def chain_killing_a_worker(client, start, parts, homes, classes, epochs):
        final = chain(client, start, parts, homes, classes, epochs)
        total = epochs * len(parts)
        seen = False  # the scheduler may not have all the tasks yet
        while True:
            remaining = c.run_on_scheduler(_chain_tasks_to_run)
            seen = seen or remaining > 0
            if (seen and remaining <= 2 * total // 3) or final.done():
                break
            time.sleep(0.005)
        pid = sorted(c.run(os.getpid).items())[0][1]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
        left.append(remaining)
        return final

    monkeypatch.setattr(sequential, "_chain", chain_killing_a_worker)
    params = {"hidden_layer_sizes": (6,), "batch_size": 100, "random_state": 0}
    params["engine"] = "numpy"  # no compilation in the fresh worker processes
    fitted = sdask.fit_stochastic(
        sigmanet.MLPClassifier(**params),
        da.from_array(X, chunks=300),
        da.from_array(y, chunks=300),
        epochs=6,
        client=c,
    )
    expected = sigmanet.MLPClassifier(**params)
    classes = np.unique(y)
    for order in sdask.block_order(5, 6, 0):
        for b in order:
            expected.partial_fit(X[300 * b : 300 * (b + 1)], y[300 * b : 300 * (b + 1)], classes)
    return fitted, expected, left[0]


def _chain_tasks_to_run(dask_scheduler):
    # the chain's tasks not yet run (the prefix is the key's name, leading "_" dropped)
    states = ("waiting", "queued", "processing", "no-worker")
    return sum(
        prefix.state_counts[state]
        for name, prefix in dask_scheduler.task_prefixes.items()
        if "train_on_blocks" in name
        for state in states
    )


@pytest.mark.parametrize(
    ("model", "target"),
    [
        (sigmanet.MLPClassifier(hidden_layer_sizes=(8,), alpha=1e-3), "classes"),
        (sigmanet.MLPClassifier(hidden_layer_sizes=(6, 4), class_weight="balanced"), "binary"),
        (sigmanet.MLPRegressor(hidden_layer_sizes=(8,), activation="tanh"), "two outputs"),
    ],
)
def test_an_lbfgs_mlp_fits_as_in_memory(client, model, target):
    # The same start (random_state) and the same objective. A non-convex fit amplifies the
    # rounding of a different summation order from one iteration to the next, so the check
    # runs 25 iterations (over hundreds the two runs can drift to different nearby weights).
    X, labels = _data(n=1500, d=5, classes=3)
    y = {
        "classes": labels,
        "binary": labels == "a",
        "two outputs": np.column_stack([np.sin(X[:, 0]), X[:, 1] * X[:, 2]]),
    }[target]
    params = {**model.get_params(), "solver": "lbfgs", "max_iter": 25, "random_state": 0}
    with pytest.warns(ConvergenceWarning, match="L-BFGS did not converge"):
        in_memory = type(model)(**params).fit(X, y)
    X_d = da.from_array(X, chunks=(400, 5))
    y_d = da.from_array(y, chunks=300)
    with pytest.warns(ConvergenceWarning, match="L-BFGS did not converge"):
        fitted = sdask.fit(type(model)(**params), X_d, y_d, client=client)
    assert fitted.n_iter_ == in_memory.n_iter_ == 25
    got_all = fitted.coefs_ + fitted.intercepts_
    for got, expected in zip(got_all, in_memory.coefs_ + in_memory.intercepts_, strict=True):
        assert _relative(got, expected) < 1e-7
    assert fitted.loss_ == pytest.approx(in_memory.loss_, rel=1e-9)
    np.testing.assert_array_equal(sdask.predict(fitted, X_d).compute(), fitted.predict(X))


def test_an_mlp_with_dropout_is_refused(client):
    X, y = _data(n=100)
    with pytest.raises(ValueError, match="dropout=0"):
        sdask.fit(
            sigmanet.MLPClassifier(solver="lbfgs", dropout=0.2), da.from_array(X), da.from_array(y)
        )
