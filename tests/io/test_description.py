"""Tests of sigmanet.io.description: whole pipelines in one file."""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest
import sklearn
from model_file_cases import (
    PIPELINE_ESTIMATORS,
    X_REAL,
    Y_CASES,
    assert_same_outputs,
    fit_quietly,
    mixed_frame,
    preprocessing,
    real_class,
    same_value,
)

from sigmanet.io import (
    load,
    read_metadata,
    save,
)

# --------------------------------------------------------------------------------------------
# Whole pipelines in one file
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(("name", "params", "targets"), PIPELINE_ESTIMATORS)
def test_pipeline_round_trip_is_bit_identical(
    tmp_path: pathlib.Path, name: str, params: dict[str, Any], targets: str, dtype: Any
) -> None:
    from sklearn.pipeline import Pipeline, make_pipeline

    estimator = real_class(name)(**params, max_iter=15, random_state=0)
    frame = mixed_frame(dtype)
    original = fit_quietly(
        make_pipeline(preprocessing(dtype=dtype), estimator), frame, Y_CASES[targets]
    )
    loaded = load(save(original, tmp_path / "pipeline.safetensors"))
    assert type(loaded) is Pipeline
    assert [step for step, _ in loaded.steps] == [step for step, _ in original.steps]
    assert type(loaded[-1]) is type(original[-1])
    assert same_value(loaded[-1].get_params(), original[-1].get_params())
    assert_same_outputs(loaded, original, frame)
    assert_same_outputs(loaded[:-1], original[:-1], frame)
    if hasattr(original[-1], "transform"):
        assert loaded[-1].transform(original[:-1].transform(frame)).dtype == np.dtype(dtype)
    meta = read_metadata(tmp_path / "pipeline.safetensors")
    assert meta["class"] == "Pipeline"
    assert meta["sklearn_version"] == sklearn.__version__
    assert all(spec["sha256"] for spec in meta["tensors"].values())


@pytest.mark.parametrize("remainder", ["drop", "passthrough"])
def test_column_transformer_alone_round_trips(tmp_path: pathlib.Path, remainder: str) -> None:
    frame = mixed_frame(np.float64)
    original = preprocessing(remainder).fit(frame)
    loaded = load(save(original, tmp_path / "columns"))
    assert type(loaded) is type(original)
    assert_same_outputs(loaded, original, frame)
    assert list(loaded.get_feature_names_out()) == list(original.get_feature_names_out())
    unseen = frame.assign(colour="purple")
    assert np.array_equal(loaded.transform(unseen), original.transform(unseen))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_transformed_target_regressor_round_trips(tmp_path: pathlib.Path, dtype: Any) -> None:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    regressor = make_pipeline(
        StandardScaler(), real_class("MLPRegressor")(hidden_layer_sizes=(3,), max_iter=10)
    )
    original = TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())
    X = X_REAL.astype(dtype)
    fit_quietly(original, X, (Y_CASES["regression"] * 1e4 + 3e5).astype(dtype))
    loaded = load(save(original, tmp_path / "ttr"))
    assert type(loaded) is TransformedTargetRegressor
    assert_same_outputs(loaded, original, X)


def test_nested_pipelines_round_trip(tmp_path: pathlib.Path) -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    inner = make_pipeline(StandardScaler(), MinMaxScaler())
    original = make_pipeline(
        make_pipeline(inner, "passthrough"),
        real_class("SoftmaxRegression")(max_iter=20),
    )
    fit_quietly(original, X_REAL, Y_CASES["multiclass-strings"])
    loaded = load(save(original, tmp_path / "nested"))
    assert_same_outputs(loaded, original, X_REAL)
    assert loaded[0][1] == "passthrough"


def test_other_scikit_learn_version_warns(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipeline = fit_quietly(
        make_pipeline(StandardScaler(), real_class("LogisticRegression")()),
        X_REAL,
        Y_CASES["bools"],
    )
    pipeline_file = save(pipeline, tmp_path / "pipeline")
    alone_file = save(pipeline[-1], tmp_path / "alone")
    monkeypatch.setattr(sklearn, "__version__", "0.0.1")
    with pytest.warns(UserWarning, match=r"StandardScaler.*scikit-learn 1.*0\.0\.1"):
        assert_same_outputs(load(pipeline_file), pipeline, X_REAL)
    load(alone_file)  # a sigmanet estimator's state does not depend on scikit-learn: no warning
