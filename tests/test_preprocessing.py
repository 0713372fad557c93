"""StableStandardScaler: scikit-learn's standardisation, right at every finite magnitude."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sigmanet.preprocessing import InputColumns, StableStandardScaler

LARGEST = np.finfo(np.float64).max


def _base(seed=0, n=40):
    rng = np.random.default_rng(seed)
    # columns of different spreads and centres, all inside [-1, 1]
    return rng.uniform(-1, 1, size=(n, 3)) * [1.0, 0.5, 0.25] + [0.0, 0.1, -0.2]


@parametrize_with_checks([StableStandardScaler()])
def test_sklearn_compatible_transformer(estimator, check, monkeypatch):
    # check_array_api_input skips itself unless this variable is set
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


def test_equals_sklearn_on_ordinary_data():
    X = _base() * [1.0, 1e5, 1e-5] + [3.0, -2e5, 0.0]
    ours, theirs = StableStandardScaler().fit(X), StandardScaler().fit(X)
    np.testing.assert_allclose(ours.mean_, theirs.mean_, rtol=1e-15)
    np.testing.assert_allclose(ours.scale_, theirs.scale_, rtol=1e-15)
    np.testing.assert_allclose(ours.var_, theirs.var_, rtol=1e-15)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("factor", [5e-324, 1e-310, 1e-300, 1e-170, 1e160, 1e200, 1e300, 1e308])
def test_standardises_at_every_magnitude_without_a_warning(factor):
    Z = _base() * factor
    # the reference: scikit-learn on the same numbers times an exact power of two that brings
    # them near 1 (subnormal inputs such as 5e-324 * x are whole multiples of 2^-1074)
    exponent = int(np.frexp(np.max(np.abs(Z)))[1])
    expected = StandardScaler().fit_transform(np.ldexp(Z, -exponent))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        scaler = StableStandardScaler().fit(Z)
        z = scaler.transform(Z)
        back = scaler.inverse_transform(z)
    np.testing.assert_allclose(z, expected, atol=1e-13)
    if factor >= 1e-300:  # normal numbers: the round trip is exact to rounding
        np.testing.assert_allclose(back, Z, rtol=1e-14)
    assert np.all(np.isfinite(scaler.scale_))


def test_sklearn_standard_scaler_fails_where_this_one_does_not():
    # the reason this class exists: (x - mean)^2 overflows, and a tiny variance underflows
    with pytest.raises(RuntimeWarning, match="overflow"):
        StandardScaler().fit(_base() * 1e200)
    tiny = _base() * 1e-300
    assert np.all(StandardScaler().fit(tiny).scale_ == 1.0)  # left unscaled
    np.testing.assert_allclose(StableStandardScaler().fit(tiny).transform(tiny).std(axis=0), 1.0)


def test_the_largest_floats():
    X = np.array([[LARGEST, 1.0], [-LARGEST, 3.0]])
    scaler = StableStandardScaler().fit(X)
    assert scaler.mean_.tolist() == [0.0, 2.0]
    assert scaler.scale_.tolist() == [LARGEST, 1.0]
    assert scaler.transform(X).tolist() == [[1.0, -1.0], [-1.0, 1.0]]
    assert scaler.var_[0] == np.inf  # LARGEST² is beyond the float range; the scale is not


def test_a_constant_column_becomes_x_minus_its_mean():
    X = np.array([[1e300, 1.0], [1e300, 2.0], [1e300, 3.0]])
    scaler = StableStandardScaler().fit(X)
    assert scaler.scale_[0] == 1.0 and scaler.var_[0] == 0.0
    assert scaler.transform(X)[:, 0].tolist() == [0.0, 0.0, 0.0]
    above = np.nextafter(1e300, np.inf)
    assert scaler.transform([[above, 2.0]])[0, 0] == above - 1e300


def test_a_value_beyond_the_float_range_after_standardising_is_an_error():
    scaler = StableStandardScaler().fit(np.array([[1e-300], [2e-300], [3e-300]]))
    with np.errstate(over="raise"), pytest.raises(ValueError, match="feature 0 is beyond"):
        scaler.transform([[1e300]])


def test_float32_stays_float32():
    X = _base().astype(np.float32) * np.float32(1e30)
    scaler = StableStandardScaler().fit(X)
    z = scaler.transform(X)
    assert z.dtype == np.float32
    assert scaler.inverse_transform(z).dtype == np.float32
    np.testing.assert_allclose(z, StandardScaler().fit_transform(_base()), atol=1e-5)


@settings(max_examples=300, deadline=None)
@given(
    exponent=st.integers(-300, 300),
    seed=st.integers(0, 2**32 - 1),
    shift=st.floats(-10, 10),
)
def test_scaling_the_data_does_not_change_the_standardised_values(exponent, seed, shift):
    X = _base(seed, n=7) + shift
    expected = StandardScaler().fit_transform(X)
    factor = 10.0**exponent
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        z = StableStandardScaler().fit_transform(X * factor)
    # the only error is the rounding of X * factor, relative 1e-16 of |x| / std
    np.testing.assert_allclose(z, expected, atol=1e-11)


# -- InputColumns -----------------------------------------------------------------------------


def test_input_columns_pass_an_array_through_and_name_its_columns():
    from sklearn.pipeline import make_pipeline

    X = np.arange(6.0).reshape(3, 2)
    step = InputColumns(["height", "weight"]).fit(X)
    np.testing.assert_array_equal(step.transform(X), X)
    assert list(step.get_feature_names_out()) == ["height", "weight"]
    pipeline = make_pipeline(InputColumns(["height", "weight"]), StableStandardScaler()).fit(X)
    assert list(pipeline.feature_names_in_) == ["height", "weight"]
    assert pipeline.n_features_in_ == 2
    with pytest.raises(ValueError, match=r"2 columns \(height, weight\); got shape \(3, 3\)"):
        step.transform(np.zeros((3, 3)))


def test_input_columns_select_a_data_frame_by_name():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"id": [1, 2], "weight": [70.0, 80.0], "height": [1.7, 1.8]})
    step = InputColumns(["height", "weight"]).fit(frame)
    np.testing.assert_array_equal(step.transform(frame), [[1.7, 70.0], [1.8, 80.0]])
    with pytest.raises(ValueError, match=r"no column\(s\) \['weight'\]"):
        step.transform(frame.drop(columns="weight"))


@pytest.mark.parametrize("columns", [(), ["a", 1], ["a", "a"], "ab"])
def test_input_columns_must_be_distinct_names(columns):
    with pytest.raises(ValueError, match="columns must be"):
        InputColumns(columns).fit(np.zeros((2, 2)))


def test_pipelines_of_these_steps_are_saved_and_loaded_bit_identically(tmp_path):
    import sigmanet
    from sigmanet.estimators import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)) * [1e300, 1.0, 1e-300]
    y = (X[:, 0] > 0).astype(int)
    from sklearn.pipeline import make_pipeline

    pipeline = make_pipeline(
        InputColumns(["a", "b", "c"]),
        StableStandardScaler(),
        MLPClassifier((4,), max_iter=200, learning_rate_init=0.05, random_state=0),
    ).fit(X, y)
    path = sigmanet.save(pipeline, tmp_path / "pipeline.safetensors")
    loaded = sigmanet.load(path)
    assert [type(step).__name__ for step in loaded] == [
        "InputColumns",
        "StableStandardScaler",
        "MLPClassifier",
    ]
    assert list(loaded.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_array_equal(loaded.predict_proba(X), pipeline.predict_proba(X))
    for name in ("unit_", "mean_in_units_", "scale_in_units_", "mean_", "scale_", "var_"):
        np.testing.assert_array_equal(getattr(loaded[1], name), getattr(pipeline[1], name))
