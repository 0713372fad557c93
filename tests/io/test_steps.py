"""Tests of sigmanet.io.steps and its codecs: which classes a file may hold."""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest
from model_file_cases import (
    X_REAL,
    Y_CASES,
    assert_same_outputs,
    edit_document,
    expect_error,
    fit_quietly,
    real_class,
)
from sklearn.base import BaseEstimator

from sigmanet.io import (
    load,
    save,
    steps,
)

# --------------------------------------------------------------------------------------------
# Whole pipelines in one file
# --------------------------------------------------------------------------------------------


def test_unknown_step_is_a_clear_error(tmp_path: pathlib.Path) -> None:
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline

    model = fit_quietly(
        make_pipeline(PCA(2), real_class("LogisticRegression")()), X_REAL, Y_CASES["bools"]
    )
    with pytest.raises(ValueError, match=r"'steps'\[0\]\[1\] is a sklearn.*PCA") as info:
        save(model, tmp_path / "m")
    assert "StandardScaler" in str(info.value) and "register_step" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_file_naming_an_unknown_step_lists_the_supported_ones_and_the_closest(
    tmp_path: pathlib.Path,
) -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = fit_quietly(
        make_pipeline(StandardScaler(), real_class("LogisticRegression")()),
        X_REAL,
        Y_CASES["bools"],
    )
    valid = save(model, tmp_path / "m").read_bytes()

    def misspell(document: dict[str, Any]) -> None:
        document["params"]["steps"][0]["$tuple"][1]["$estimator"]["class"] = "StandardScalar"

    expect_error(
        tmp_path,
        edit_document(valid, misspell),
        r"class 'StandardScalar' is not one sigmanet can build\. Unknown model-file step "
        r"'StandardScalar'\. Valid names: .*'Pipeline'.*Did you mean 'StandardScaler'\?",
    )


def test_function_transformer_is_saved_only_as_the_identity(tmp_path: pathlib.Path) -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    identity = make_pipeline(FunctionTransformer(), real_class("LogisticRegression")())
    fit_quietly(identity, X_REAL, Y_CASES["bools"])
    assert_same_outputs(load(save(identity, tmp_path / "identity")), identity, X_REAL)
    logged = make_pipeline(FunctionTransformer(np.abs), real_class("LogisticRegression")())
    fit_quietly(logged, X_REAL, Y_CASES["bools"])
    with pytest.raises(ValueError, match="func=None"):
        save(logged, tmp_path / "logged")


def test_transformed_target_regressor_with_functions_is_refused(tmp_path: pathlib.Path) -> None:
    from sklearn.compose import TransformedTargetRegressor

    model = TransformedTargetRegressor(
        regressor=real_class("MLPRegressor")(hidden_layer_sizes=(2,), max_iter=3),
        func=np.log1p,
        inverse_func=np.expm1,
    )
    fit_quietly(model, X_REAL, np.abs(Y_CASES["regression"]))
    with pytest.raises(ValueError, match="TransformedTargetRegressor can be saved only with func"):
        save(model, tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def test_nested_class_outside_the_allow_list_is_refused(tmp_path: pathlib.Path) -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = fit_quietly(
        make_pipeline(StandardScaler(), real_class("LogisticRegression")()),
        X_REAL,
        Y_CASES["bools"],
    )
    valid = save(model, tmp_path / "m").read_bytes()

    def rename(document: dict[str, Any]) -> None:
        document["params"]["steps"][0]["$tuple"][1]["$estimator"]["class"] = "os.system"

    expect_error(tmp_path, edit_document(valid, rename), "'os.system' is not one sigmanet")


def test_registered_step_round_trips(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sklearn.base import TransformerMixin
    from sklearn.pipeline import make_pipeline

    class Shift(TransformerMixin, BaseEstimator):
        def __init__(self, by: float = 1.0) -> None:
            self.by = by

        def fit(self, X: Any, y: Any = None) -> Any:
            self.offset_ = np.mean(X, axis=0) + self.by
            self.n_features_in_ = np.shape(X)[1]
            return self

        def transform(self, X: Any) -> np.ndarray:
            return np.asarray(X) - self.offset_

    model = fit_quietly(
        make_pipeline(Shift(by=2.0), real_class("LogisticRegression")()),
        X_REAL,
        Y_CASES["bools"],
    )
    with pytest.raises(ValueError, match="Shift"):
        save(model, tmp_path / "before")
    steps.register_step(Shift)
    try:
        assert "Shift" in steps.supported_steps()
        loaded = load(save(model, tmp_path / "after"))
        assert type(loaded[0]) is Shift and loaded[0].by == 2.0
        assert_same_outputs(loaded, model, X_REAL)

        class Other(Shift):
            pass

        Other.__name__ = "Shift"
        with pytest.raises(ValueError, match="already registered"):
            steps.register_step(Other)
    finally:
        steps.REGISTRY.unregister("Shift")
    assert "Shift" not in steps.supported_steps()
    with pytest.raises(ValueError, match="Shift"):
        save(model, tmp_path / "again")
