"""RNNClassifier and RNNRegressor: input layouts, scikit-learn's rules and checks, persistence."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import sigmanet
from sigmanet import RNNClassifier, RNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _series(n=40, channels=2, length=12, seed=0):
    """Two classes: the first channel drifts up or down; the others are noise."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    slope = np.where(y == 1, 1.0, -1.0)[:, None]
    X = rng.normal(scale=0.3, size=(n, channels, length))
    X[:, 0] += slope * np.linspace(0, 1, length)
    return X, y


# scikit-learn's checks pass 2-D tables, read as univariate series of n_features time points.
# They cannot exercise the 3-D layout or lists of unequal-length series; the tests below do.
@parametrize_with_checks(
    [
        RNNClassifier(hidden_size=8, max_iter=100, random_state=0),
        RNNRegressor(hidden_size=8, max_iter=100, random_state=0),
    ]
)
def test_sklearn_compatible_estimator(estimator, check, monkeypatch):
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")  # check_array_api_input skips itself without it
    check(estimator)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_learns_a_sequence_task_in_every_layout(cell):
    X, y = _series()
    clf = RNNClassifier(cell, hidden_size=8, max_iter=60, random_state=0)
    assert clf.fit(X, y) is clf
    assert clf.score(X, y) == 1.0
    assert clf.n_channels_ == 2 and not hasattr(clf, "n_features_in_")
    # a list of (n_channels, n_timepoints) arrays of equal length is the same input
    np.testing.assert_array_equal(clf.predict_proba(list(X)), clf.predict_proba(X))
    univariate = RNNClassifier(cell, hidden_size=8, max_iter=60, random_state=0).fit(X[:, 0], y)
    assert univariate.n_channels_ == 1 and univariate.n_features_in_ == 12
    assert univariate.score(X[:, 0], y) == 1.0


def test_unequal_lengths_read_each_series_to_its_own_end():
    X, y = _series(n=30)
    ragged = [x[:, : 6 + i % 7] for i, x in enumerate(X)]
    clf = RNNClassifier("gru", hidden_size=6, max_iter=30, random_state=0).fit(ragged, y)
    together = clf.predict_proba(ragged)
    one_by_one = np.vstack([clf.predict_proba(series[None]) for series in ragged])
    np.testing.assert_allclose(together, one_by_one, rtol=1e-12)
    # 1-D arrays are univariate series
    uni = RNNRegressor(hidden_size=4, max_iter=5, random_state=0)
    uni.fit([s[0] for s in ragged], y.astype(float))
    assert uni.n_channels_ == 1


def test_seeded_fits_are_identical_and_float32_stays_float32():
    X, y = _series()
    a = RNNClassifier(hidden_size=5, max_iter=5, random_state=3).fit(X, y)
    b = RNNClassifier(hidden_size=5, max_iter=5, random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = RNNClassifier(hidden_size=5, max_iter=5, random_state=3).fit(X.astype(np.float32), y)
    assert c.dtype_ == np.float32
    assert c.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert all(p.dtype == np.float32 for p in c.network_.parameters())


def test_stacked_bidirectional_regressor_with_the_training_options():
    X, _ = _series(n=60, length=10)
    target = X[:, 0, -3:].mean(axis=1)
    reg = RNNRegressor(
        "lstm",
        hidden_size=8,
        num_layers=2,
        bidirectional=True,
        truncate=5,
        clip_norm=5.0,
        early_stopping=True,
        max_iter=80,
        random_state=0,
    ).fit(X, target)
    assert reg.score(X, target) > 0.8
    assert len(reg.validation_scores_) == reg.n_iter_
    assert [type(layer).__name__ for layer in reg.network_.layers] == ["LSTM", "LSTM", "Dense"]


def test_partial_fit_class_weight_and_validation_data():
    X, y = _series()
    clf = RNNClassifier(hidden_size=4, random_state=0, class_weight="balanced")
    clf.partial_fit(X, y, classes=[0, 1])
    clf.partial_fit(X, y)
    # the MLPs' (and scikit-learn's) counts: n_iter_ the epochs of the last call
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 2
    with pytest.raises(ValueError, match="classes must be passed"):
        RNNClassifier().partial_fit(X, y)
    fitted = RNNClassifier(hidden_size=4, max_iter=3, random_state=0).fit(
        X[:30], y[:30], validation_data=(X[30:], y[30:])
    )
    assert len(fitted.validation_scores_) == 3 and len(fitted.validation_loss_curve_) == 3


@pytest.mark.parametrize("estimator", [RNNClassifier, RNNRegressor])
def test_save_and_load_give_the_same_predictions(estimator, tmp_path):
    X, y = _series(n=20)
    for data in (X, X[:, 1], [x[:, : 5 + i % 4] for i, x in enumerate(X)]):
        model = estimator("gru", hidden_size=3, bidirectional=True, max_iter=3, random_state=0)
        model.fit(data, y)
        path = sigmanet.save(model, tmp_path / "model.safetensors", overwrite=True)
        loaded = sigmanet.load(path)
        assert type(loaded) is estimator
        np.testing.assert_array_equal(loaded.predict(data), model.predict(data))
        assert loaded.n_channels_ == model.n_channels_
        assert hasattr(loaded, "n_features_in_") == hasattr(model, "n_features_in_")


def test_bad_input_is_a_clear_error():
    X, y = _series(n=10)
    clf = RNNClassifier(hidden_size=3, max_iter=2, random_state=0)
    with pytest.raises(ValueError, match="Found array with dim 4"):
        clf.fit(X[..., None], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.fit(X, y[:-1])
    nan = X.copy()
    nan[0, 0, 3] = np.nan
    with pytest.raises(ValueError, match="contains NaN"):
        clf.fit(nan, y)
    with pytest.raises(ValueError, match="different numbers of channels"):
        clf.fit([X[0], X[1][:1]], y[:2])
    with pytest.raises(ValueError, match=r"X\[1\] has shape"):
        clf.fit([X[0], X[1][None]], y[:2])
    with pytest.raises(ValueError, match="no time points"):
        clf.fit(X[:, :, :0], y)
    with pytest.raises(ValueError, match="0 sample"):
        clf.fit(X[:0], y[:0])
    clf.fit(X, y)
    with pytest.raises(ValueError, match=r"X has 1 channel.*fitted with 2"):
        clf.predict(X[:, :1])
    with pytest.raises(ValueError, match="cell must be one of 'gru', 'lstm', 'rnn'; got 'transf"):
        RNNClassifier("transformer").fit(X, y)
    with pytest.raises(ValueError, match="hidden_size must be an integer >= 1"):
        RNNClassifier(hidden_size=0).fit(X, y)


@pytest.mark.parametrize(
    ("solver", "cell", "expected"), [("lbfgs", "gru", 0.99), ("sgd", "rnn", 0.8)]
)
def test_full_batch_and_plain_gradient_descent_solvers(solver, cell, expected):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2, 8))
    y = X[:, 0, -2:].sum(axis=1)  # the sum of the last two points of the first channel
    reg = RNNRegressor(cell, hidden_size=6, solver=solver, max_iter=60, alpha=1e-3, random_state=0)
    assert reg.fit(X, y).score(X, y) > expected


def test_a_warm_start_after_a_change_of_the_layers_is_refused():
    X, y = _series(n=20)
    clf = RNNClassifier(hidden_size=3, max_iter=2, warm_start=True, random_state=0).fit(X, y)
    clf.set_params(max_iter=3).fit(X, y)  # the same layers: continues
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 5
    for change in ({"cell": "gru"}, {"hidden_size": 4}, {"bidirectional": True}, {"truncate": 2}):
        refused = RNNClassifier(hidden_size=3, max_iter=2, warm_start=True, random_state=0)
        refused.fit(X, y).set_params(**change)
        with pytest.raises(ValueError, match="the layers changed since the last fit"):
            refused.fit(X, y)


def test_the_mlps_rules_of_warm_starts_partial_fit_verbose_and_sparse_input(capsys):
    from scipy import sparse

    X, y = _series(n=20)
    clf = RNNClassifier(hidden_size=3, max_iter=2, warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same"):
        clf.fit(X, np.where(y == 1, 2, y))
    # as the MLPs and scikit-learn: no partial_fit with the full-batch solver
    for estimator in (RNNClassifier(solver="lbfgs"), RNNRegressor(solver="lbfgs")):
        assert not hasattr(estimator, "partial_fit")
    assert hasattr(RNNRegressor(), "partial_fit")
    # verbose=True prints scikit-learn's line per epoch
    RNNRegressor(hidden_size=3, max_iter=2, verbose=True, random_state=0).fit(X, y.astype(float))
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["Iteration 1", "Iteration 2"]
    # the tag says what fit does: a sparse table is refused with scikit-learn's message
    assert not RNNClassifier().__sklearn_tags__().input_tags.sparse
    with pytest.raises(TypeError, match="Sparse data was passed"):
        RNNClassifier(hidden_size=3, max_iter=1).fit(sparse.csr_matrix(X[:, 0]), y)


def _z(X):
    """Each channel of each series standardised over its time points, in float64."""
    X = np.asarray(X, dtype=np.float64)
    std = X.std(axis=-1, keepdims=True)
    return (X - X.mean(axis=-1, keepdims=True)) / np.where(std > 0, std, 1.0)


def test_normalize_series_is_the_z_normalisation_of_each_series_in_fit_and_predict():
    X, y = _series(n=30, length=10)
    rng = np.random.default_rng(1)
    # a positive scale and a shift per series and channel: z-normalisation removes both
    moved = X * rng.uniform(0.5, 50.0, size=(30, 2, 1)) + rng.normal(scale=100.0, size=(30, 2, 1))
    options = {"hidden_size": 4, "max_iter": 5, "random_state": 0}
    reference = RNNClassifier("gru", **options).fit(_z(X), y)
    model = RNNClassifier("gru", normalize="series", **options).fit(moved, y)
    np.testing.assert_allclose(
        model.predict_proba(moved), reference.predict_proba(_z(X)), atol=1e-9
    )
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(_z(X)), atol=1e-9)
    # without the option the moved series are another input
    plain = RNNClassifier("gru", **options).fit(moved, y)
    assert not np.allclose(plain.predict_proba(moved), reference.predict_proba(_z(X)))
    # validation_data is read like the training data
    checked = RNNClassifier("gru", normalize="series", **options).fit(
        moved, y, validation_data=(moved, y)
    )
    np.testing.assert_allclose(checked.validation_scores_[-1], checked.score(moved, y))


def test_normalize_series_excludes_the_padding_of_unequal_lengths():
    X, y = _series(n=20, length=12)
    ragged = [x[:, : 6 + i % 7] for i, x in enumerate(X)]
    options = {"hidden_size": 3, "max_iter": 3, "random_state": 0}
    model = RNNRegressor("lstm", normalize="series", **options).fit(ragged, y.astype(float))
    reference = RNNRegressor("lstm", **options).fit([_z(s) for s in ragged], y.astype(float))
    np.testing.assert_allclose(
        model.predict(ragged), reference.predict([_z(s) for s in ragged]), atol=1e-9
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_normalize_series_with_constant_channels_and_extreme_values(dtype):
    X, y = _series(n=12, length=8)
    X = X.astype(dtype)
    X[:, 1] = 7.0  # a constant channel: all zeros after the normalisation
    X[0, 0] *= np.finfo(dtype).max / 4  # near the largest value: the squares would overflow
    X[1, 0] *= np.finfo(dtype).tiny  # tiny values: z is unchanged by the scale
    model = RNNClassifier(hidden_size=3, max_iter=2, normalize="series", random_state=0)
    proba = model.fit(X, y).predict_proba(X)
    assert proba.dtype == dtype and np.isfinite(proba).all()
    flat = X.copy()
    flat[:, 1] = -3.0
    np.testing.assert_array_equal(model.predict_proba(flat), proba)


def test_normalize_is_saved_with_the_model_and_checked(tmp_path):
    X, y = _series(n=20)
    shifted = X + 10.0
    model = RNNClassifier("gru", hidden_size=3, max_iter=3, normalize="series", random_state=0)
    model.fit(X, y)
    loaded = sigmanet.load(sigmanet.save(model, tmp_path / "model.safetensors"))
    assert loaded.normalize == "series"
    np.testing.assert_array_equal(loaded.predict_proba(shifted), model.predict_proba(shifted))
    with pytest.raises(ValueError, match="normalize"):
        RNNClassifier(normalize="zscore").fit(X, y)
