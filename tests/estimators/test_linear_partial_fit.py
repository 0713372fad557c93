"""partial_fit of the linear models' stochastic solvers: one epoch of fit per call, continuing."""

import numpy as np
import pytest

from sigmanet import LogisticRegression, SoftmaxRegression


def _data(n=240, d=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    score = X @ rng.normal(size=d) + 0.5 * rng.normal(size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    return X, np.array(["ant", "bee", "cat", "dog"])[y]


def _same(a, b, tolerance=1e-12):
    scale = max(float(np.max(np.abs(b))), 1e-300)
    assert float(np.max(np.abs(a - b))) / scale <= tolerance


SETTINGS = [
    (LogisticRegression, {"solver": "sgd"}, 2),  # the annealed step
    (LogisticRegression, {"solver": "adam", "batch_size": 20, "class_weight": "balanced"}, 3),
    (SoftmaxRegression, {"solver": "minibatch", "batch_size": 16, "C": 0.3}, 3),
    (SoftmaxRegression, {"solver": "minibatch", "learning_rate": "invscaling"}, 2),
]


@pytest.mark.parametrize(("cls", "params", "n_classes"), SETTINGS)
@pytest.mark.parametrize("weighted", [False, True])
def test_one_call_is_one_epoch_of_fit_and_calls_continue_it(cls, params, n_classes, weighted):
    X, y = _data(classes=n_classes)
    weight = np.random.default_rng(1).uniform(0.2, 2, size=len(y)) if weighted else None
    params = {**params, "random_state": 5, "tol": None, "shuffle": False}

    def fitted(epochs):
        return cls(**params, max_iter=epochs).fit(X, y, sample_weight=weight)

    model = cls(**params).partial_fit(X, y, classes=np.unique(y), sample_weight=weight)
    once = fitted(1)
    _same(model.coef_, once.coef_)
    _same(model.intercept_, once.intercept_)
    assert model.loss_curve_ == pytest.approx(once.loss_curve_, rel=1e-12)
    assert model.t_ == once.t_ == len(y) and model.n_iter_.tolist() == [1]

    # the second call continues the weights, the optimizer's state, the schedule (which counts
    # the first call as epoch 0), the shuffling and the counters: as a fit of two epochs
    model.partial_fit(X, y, sample_weight=weight)
    twice = fitted(2)
    _same(model.coef_, twice.coef_)
    _same(model.intercept_, twice.intercept_)
    assert model.loss_curve_ == pytest.approx(twice.loss_curve_, rel=1e-12)
    assert model.t_ == 2 * len(y) and model.n_iter_.tolist() == [1]

    # and a call after a stochastic fit continues that fit: fit(2 epochs) + 1 call = fit(3)
    after_fit = fitted(2).partial_fit(X, y, sample_weight=weight)
    _same(after_fit.coef_, fitted(3).coef_)
    if cls is SoftmaxRegression:  # centred after every call, as after fit
        np.testing.assert_allclose(model.coef_.sum(axis=0), 0, atol=1e-12)


def test_calls_on_parts_see_only_labels_of_the_classes_and_keep_their_order():
    X, y = _data()
    classes = np.array(["dog", "cat", "bee", "ant"])  # one never seen, given in any order
    model = SoftmaxRegression(solver="sgd", random_state=0)
    model.partial_fit(X[:50][y[:50] != "bee"], y[:50][y[:50] != "bee"], classes=classes)
    model.partial_fit(X[50:], y[50:])
    assert model.classes_.tolist() == ["ant", "bee", "cat", "dog"]
    assert model.coef_.shape == (4, 4)
    assert model.predict_proba(X).shape == (len(y), 4)
    assert model.score(X, y) > 0.6


def test_a_call_after_an_lbfgs_fit_starts_from_its_weights():
    X, y = _data(classes=2)
    model = LogisticRegression(C=0.5).fit(X, y)
    start = model.coef_.copy()
    model.set_params(solver="sgd", learning_rate_init=1e-6)
    model.partial_fit(X, y)
    assert 0 < np.max(np.abs(model.coef_ - start)) < 1e-3 * np.max(np.abs(start))
    assert model.n_iter_.tolist() == [1]


def test_softmax_is_centred_after_every_call():
    """Centring changes the penalty's gradient, so with Adam (whose steps do not keep the rows
    summing to zero) calls differ from fit over as many epochs, which centres once at the
    end; the first call is still one epoch of fit."""
    X, y = _data()
    params = {"solver": "adam", "random_state": 0, "tol": None, "shuffle": False}
    model = SoftmaxRegression(**params).partial_fit(X, y, classes=np.unique(y))
    _same(model.coef_, SoftmaxRegression(**params, max_iter=1).fit(X, y).coef_)
    model.partial_fit(X, y)
    np.testing.assert_allclose(model.coef_.sum(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(model.intercept_.sum(), 0, atol=1e-12)


def test_the_penalty_is_that_of_the_rows_of_the_call_unless_told_the_total():
    X, y = _data(classes=2)
    X = 3 * X  # larger weights after one epoch, so that the penalty shows
    params = {"solver": "minibatch", "random_state": 0, "learning_rate_init": 0.05}
    # a call on a part of data of total weight S (sigmanet.dask.fit_stochastic's blocks)
    # penalises with W / (C S): here S = 4 × the call's weight, as C four times larger
    weight = np.linspace(0.5, 1.5, len(y))
    told = LogisticRegression(C=0.1, **params)
    told._penalty_total_weight = 4 * weight.sum()
    told.partial_fit(X, y, classes=np.unique(y), sample_weight=weight)
    larger_C = LogisticRegression(C=0.4, **params)
    larger_C.partial_fit(X, y, classes=np.unique(y), sample_weight=weight)
    _same(told.coef_, larger_C.coef_)
    plain = LogisticRegression(C=0.1, **params)
    plain.partial_fit(X, y, classes=np.unique(y), sample_weight=weight)
    assert np.max(np.abs(plain.coef_ - larger_C.coef_)) > 1e-3 * np.max(np.abs(plain.coef_))


@pytest.mark.parametrize("cls", [LogisticRegression, SoftmaxRegression])
def test_what_partial_fit_refuses(cls):
    X, y = _data()
    for solver in ("lbfgs", "gd"):
        model = cls(solver=solver)
        assert not hasattr(model, "partial_fit")
        with pytest.raises(AttributeError, match=r"has no attribute .partial_fit."):
            model.partial_fit(X, y, classes=np.unique(y))
    model = cls(solver="adam", random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)
    assert not hasattr(model, "network_")
    with pytest.raises(ValueError, match="at least 2 classes"):
        model.partial_fit(X, y, classes=["ant"])
    with pytest.raises(ValueError, match=r"labels \['cat'\] that are not in classes"):
        model.partial_fit(X, y, classes=["ant", "bee", "dog"])
    model = cls(solver="adam", random_state=0).partial_fit(X, y, classes=np.unique(y))
    with pytest.raises(ValueError, match=r"differs from the classes of the fitted model"):
        model.partial_fit(X, y, classes=["ant", "bee"])
    with pytest.raises(ValueError, match=r"labels \['emu'\] that are not in classes"):
        model.partial_fit(X[:2], np.array(["emu", "ant"]))
    with pytest.raises(ValueError, match=r"X has 3 features, but .* is expecting 4 features"):
        model.partial_fit(X[:, :3], y)
    with pytest.raises(ValueError, match="partial_fit cannot continue"):
        model.set_params(fit_intercept=False).partial_fit(X, y)
