"""Tests of sigmanet.io.model_file: save, load and read_metadata, bit-identical round trips."""

from __future__ import annotations

import hashlib
import json
import math
import pathlib
from typing import Any

import numpy as np
import pytest
import sklearn
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from model_file_cases import (
    _REAL_FUZZ_FILE,
    REAL_CASES,
    X_REAL,
    X_SMALL,
    Y_CASES,
    Y_SMALL,
    FakeClassifier,
    assert_same_fitted_attributes,
    edit_document,
    expect_error,
    fit_quietly,
    fitted_fake,
    fitted_real,
    load_or_model_file_error,
    mutations,
    prediction_methods,
    real_class,
    same_value,
    saved_real,
)
from sklearn.exceptions import NotFittedError

import sigmanet
from sigmanet.io import (
    FORMAT_VERSION,
    load,
    read_metadata,
    save,
)

# --------------------------------------------------------------------------------------------
# Saving and loading the fake estimator
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fake_round_trip(tmp_path: pathlib.Path, fake_registry: Any, dtype: str) -> None:
    est = fitted_fake(dtype=dtype, class_weight={"cat": 2.0, "dog": 0.5}, tol=math.inf)
    path = save(est, tmp_path / "model.safetensors")
    assert path == tmp_path / "model.safetensors"
    loaded = load(path)
    assert type(loaded) is FakeClassifier
    assert same_value(loaded.get_params(), est.get_params())
    assert np.array_equal(loaded.predict(X_SMALL), est.predict(X_SMALL))
    assert loaded.predict(X_SMALL).dtype == est.predict(X_SMALL).dtype
    assert loaded.coef_.dtype == np.dtype(dtype)
    assert np.array_equal(loaded.decision_function(X_SMALL), est.decision_function(X_SMALL))
    assert same_value(loaded.loss_curve_, est.loss_curve_)
    assert loaded.n_iter_ == 7
    # Loaded arrays are the estimator's own: writable (warm starts modify them in place).
    assert loaded.coef_.flags.writeable and loaded.coef_.flags.owndata


def test_fake_round_trip_with_integer_classes_and_int_keyed_weights(
    tmp_path: pathlib.Path, fake_registry: Any
) -> None:
    est = FakeClassifier(class_weight={0: 1.0, 2: 4.0}, hidden_layer_sizes=(8, 4)).fit(
        X_SMALL, np.arange(20) % 3
    )
    loaded = load(save(est, tmp_path / "m"))
    assert loaded.class_weight == {0: 1.0, 2: 4.0}
    assert loaded.hidden_layer_sizes == (8, 4)
    assert loaded.classes_.dtype == est.classes_.dtype
    assert np.array_equal(loaded.predict(X_SMALL), est.predict(X_SMALL))


def test_non_ascii_labels_and_parameters(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    labels = np.array(["猫", "狗", "\udcff", "e\u0301"] * 5)
    est = FakeClassifier(activation="σ(x) = 1/(1+e^-x)").fit(X_SMALL, labels)
    loaded = load(save(est, tmp_path / "模型.safetensors"))
    assert loaded.activation == est.activation
    assert loaded.classes_.dtype == est.classes_.dtype
    assert np.array_equal(loaded.predict(X_SMALL), est.predict(X_SMALL))


def test_state_arrays_that_are_big_endian_or_not_contiguous_are_stored_correctly(
    tmp_path: pathlib.Path, fake_registry: Any
) -> None:
    est = fitted_fake()
    est.coef_ = np.asfortranarray(est.coef_).astype(">f8")
    expected = est.decision_function(X_SMALL)
    loaded = load(save(est, tmp_path / "m"))
    assert loaded.coef_.dtype == np.float64
    assert np.array_equal(loaded.decision_function(X_SMALL), expected)


def test_metadata_contents(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    est = fitted_fake(dtype="float32", hidden_layer_sizes=(5, 2))
    path = save(est, tmp_path / "m.safetensors")
    meta = read_metadata(path)
    assert set(meta) == {
        "format_version",
        "sigmanet_version",
        "sklearn_version",
        "class",
        "params",
        "state",
        "arrays",
        "tensors",
    }
    assert meta["format_version"] == FORMAT_VERSION == 2
    assert meta["sigmanet_version"] == sigmanet.__version__
    assert meta["sklearn_version"] == sklearn.__version__
    assert meta["arrays"] == {"coef_": "coef_", "intercept_": "intercept_"}
    assert meta["class"] == "FakeClassifier"
    assert same_value(meta["params"], est.get_params(deep=False))
    assert meta["params"]["hidden_layer_sizes"] == (5, 2)
    assert same_value(meta["state"]["classes_"], est.classes_)
    assert meta["tensors"]["coef_"]["dtype"] == "float32"
    assert meta["tensors"]["coef_"]["shape"] == [4, 3]
    assert meta["tensors"]["intercept_"]["shape"] == [3]
    digest = hashlib.sha256(est.coef_.astype("<f4").tobytes()).hexdigest()
    assert meta["tensors"]["coef_"]["sha256"] == digest

    raw = read_metadata(path, raw=True)
    assert raw["params"]["hidden_layer_sizes"] == {"$tuple": [5, 2]}
    assert raw["state"]["loss_curve_"][-2:] == [{"$float": "inf"}, {"$float": "nan"}]
    json.dumps(raw, allow_nan=False)  # plain JSON, printable by `sigmanet info`


def test_file_is_an_ordinary_safetensors_file(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    from safetensors import safe_open

    est = fitted_fake()
    path = save(est, tmp_path / "m.safetensors")
    with safe_open(str(path), framework="np") as handle:
        assert sorted(handle.keys()) == ["coef_", "intercept_"]
        assert np.array_equal(handle.get_tensor("coef_"), est.coef_)
        metadata = handle.metadata()
    document = json.loads(metadata["sigmanet"])
    assert document["class"] == "FakeClassifier"
    assert document["format_version"] == 2
    digest = hashlib.sha256(metadata["sigmanet"].encode("utf-8")).hexdigest()
    assert metadata["sigmanet_sha256"] == digest


def test_save_refuses_unfitted_estimator(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    with pytest.raises(NotFittedError):
        save(FakeClassifier(), tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_foreign_estimators(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    sk = SkLogisticRegression().fit(X_SMALL, Y_SMALL)
    with pytest.raises(TypeError, match="sigmanet estimator"):
        save(sk, tmp_path / "m")

    class FakeClassifierSubclass(FakeClassifier):
        pass

    with pytest.raises(TypeError, match="FakeClassifierSubclass"):
        save(FakeClassifierSubclass().fit(X_SMALL, Y_SMALL), tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("param", "value"), [("activation", lambda x: x), ("class_weight", object())]
)
def test_save_refuses_parameters_json_cannot_hold(
    tmp_path: pathlib.Path, fake_registry: Any, param: str, value: Any
) -> None:
    est = fitted_fake()
    est.set_params(**{param: value})
    with pytest.raises(ValueError, match=f"parameter '{param}'"):
        save(est, tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_state_arrays_safetensors_cannot_hold(
    tmp_path: pathlib.Path, fake_registry: Any
) -> None:
    est = fitted_fake()
    est.coef_ = est.coef_.astype(np.complex128)
    with pytest.raises(ValueError, match="state array 'coef_'"):
        save(est, tmp_path / "m")


def test_save_argument_errors(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    est = fitted_fake()
    with pytest.raises(TypeError, match="path"):
        save(est, 42)  # type: ignore[arg-type]
    with pytest.raises(IsADirectoryError, match="directory"):
        save(est, tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(est, tmp_path / "no" / "such" / "m")
    with pytest.raises(TypeError, match="overwrite"):
        save(est, tmp_path / "m", overwrite="yes")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# The real estimators: predictions bit-identical after a round trip
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "params", "targets", "dtype"), REAL_CASES)
def test_real_estimator_round_trip_is_bit_identical(
    tmp_path: pathlib.Path,
    request: pytest.FixtureRequest,
    name: str,
    params: dict[str, Any],
    targets: str,
    dtype: Any,
) -> None:
    original, path = saved_real(request.node.callspec.id, tmp_path)
    loaded = load(path)
    assert type(loaded) is type(original)
    assert same_value(loaded.get_params(deep=False), original.get_params(deep=False))
    methods = prediction_methods(original)
    assert "predict" in methods
    X = X_REAL.astype(dtype)
    for method in methods:
        expected = getattr(original, method)(X)
        actual = getattr(loaded, method)(X)
        assert actual.dtype == expected.dtype, method
        assert actual.shape == expected.shape, method
        assert np.array_equal(actual, expected), method
    if hasattr(original, "transform") and len(original.hidden_layer_sizes) > 1:
        assert np.array_equal(loaded.transform(X, layer=0), original.transform(X, layer=0))
    assert loaded.score(X, Y_CASES[targets]) == original.score(X, Y_CASES[targets])

    meta = read_metadata(path)
    assert meta["class"] == name
    assert meta["sigmanet_version"] == sigmanet.__version__
    assert set(meta["tensors"]) == set(original._get_state()[0])
    assert all(spec["dtype"] == np.dtype(dtype).name for spec in meta["tensors"].values())


@pytest.mark.parametrize(("name", "params", "targets", "dtype"), REAL_CASES)
def test_real_estimator_round_trip_keeps_fitted_attributes(
    tmp_path: pathlib.Path,
    request: pytest.FixtureRequest,
    name: str,
    params: dict[str, Any],
    targets: str,
    dtype: Any,
) -> None:
    original, path = saved_real(request.node.callspec.id, tmp_path)
    assert_same_fitted_attributes(load(path), original)


@pytest.mark.parametrize("name", ["MLPClassifier", "LogisticRegression", "SoftmaxRegression"])
def test_real_classifier_keeps_feature_names(tmp_path: pathlib.Path, name: str) -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(X_REAL, columns=[f"f{i}" for i in range(5)])
    params = {"hidden_layer_sizes": (3,)} if name == "MLPClassifier" else {}
    cls = real_class(name)
    original = fit_quietly(
        cls(**params, max_iter=10, random_state=0), frame, Y_CASES["multiclass-strings"]
    )
    loaded = load(save(original, tmp_path / "m"))
    assert list(loaded.feature_names_in_) == list(original.feature_names_in_)
    assert np.array_equal(loaded.predict_proba(frame), original.predict_proba(frame))


def test_loaded_mlp_can_keep_training(tmp_path: pathlib.Path) -> None:
    original = fitted_real("MLPClassifier", {"hidden_layer_sizes": (4,)}, "binary-strings", float)
    loaded = load(save(original, tmp_path / "m"))
    before = [coef.copy() for coef in loaded.coefs_]
    loaded.partial_fit(X_REAL, Y_CASES["binary-strings"])
    assert any(not np.array_equal(a, b) for a, b in zip(loaded.coefs_, before, strict=True))
    # The saved estimator was not touched through shared buffers.
    assert np.array_equal(
        original.predict_proba(X_REAL), load(tmp_path / "m").predict_proba(X_REAL)
    )


def test_real_model_file_rejects_inconsistent_state(tmp_path: pathlib.Path) -> None:
    original = fitted_real("MLPClassifier", {"hidden_layer_sizes": (4,)}, "binary-strings", float)
    valid = save(original, tmp_path / "m").read_bytes()

    def wrong_width(document: dict[str, Any]) -> None:
        document["params"]["hidden_layer_sizes"] = {"$tuple": [7]}

    expect_error(tmp_path, edit_document(valid, wrong_width), "rejected the stored fitted state")
    expect_error(
        tmp_path,
        edit_document(valid, lambda d: d["params"].__setitem__("activation", "no-such")),
        "rejected the stored",
    )
    expect_error(
        tmp_path,
        edit_document(valid, lambda d: d["state"].__setitem__("dtype", "int8")),
        "rejected the stored fitted state",
    )


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_fuzz_mutated_real_model_file(tmp_path: pathlib.Path, data: st.DataObject) -> None:
    valid = _REAL_FUZZ_FILE.get("bytes")
    if valid is None:
        original = fitted_real(
            "MLPClassifier", {"hidden_layer_sizes": (3,)}, "multiclass-strings", np.float32
        )
        path = tmp_path / "valid"
        valid = _REAL_FUZZ_FILE["bytes"] = save(original, path).read_bytes()
    mutated = data.draw(mutations(valid))
    assume(mutated != valid)
    result = load_or_model_file_error(tmp_path / "fuzz", mutated)
    assert result is None or type(result).__name__ == "MLPClassifier"
