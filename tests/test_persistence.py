"""Tests of sigmanet.persistence: safetensors model files, their validation and atomic saving."""

from __future__ import annotations

import hashlib
import json
import math
import os
import pathlib
import struct
from typing import Any

import numpy as np
import pytest
import sklearn
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError

import sigmanet
from sigmanet import persistence
from sigmanet.estimators import ESTIMATORS
from sigmanet.exceptions import ModelFileError
from sigmanet.persistence import FORMAT_VERSION, load, read_metadata, save

# --------------------------------------------------------------------------------------------
# A small estimator following the _get_state/_set_state protocol, independent of the real ones
# --------------------------------------------------------------------------------------------


class FakeClassifier(ClassifierMixin, BaseEstimator):
    """A linear classifier with random weights: enough state to exercise every code path."""

    def __init__(
        self,
        hidden_layer_sizes: Any = (3,),
        alpha: float = 1e-4,
        activation: str = "logistic",
        class_weight: Any = None,
        tol: float = 1e-4,
        random_state: Any = 0,
        dtype: str = "float64",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.alpha = alpha
        self.activation = activation
        self.class_weight = class_weight
        self.tol = tol
        self.random_state = random_state
        self.dtype = dtype

    def fit(self, X: Any, y: Any) -> FakeClassifier:
        X = np.asarray(X, dtype=self.dtype)
        self.classes_ = np.unique(y)
        rng = np.random.default_rng(self.random_state)
        self.coef_ = rng.normal(size=(X.shape[1], len(self.classes_))).astype(self.dtype)
        self.intercept_ = rng.normal(size=len(self.classes_)).astype(self.dtype)
        self.n_features_in_ = X.shape[1]
        self.loss_curve_ = [float(v) for v in rng.random(5)] + [math.inf, math.nan]
        self.n_iter_ = np.int64(7)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        return np.asarray(X, dtype=self.dtype) @ self.coef_ + self.intercept_

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        meta = {
            "classes_": self.classes_,
            "n_features_in_": self.n_features_in_,
            "loss_curve_": self.loss_curve_,
            "n_iter_": self.n_iter_,
        }
        return {"coef_": self.coef_, "intercept_": self.intercept_}, meta

    def _set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        if set(arrays) != {"coef_", "intercept_"}:
            raise ValueError(f"expected arrays coef_ and intercept_, got {sorted(arrays)}")
        coef, intercept = arrays["coef_"], arrays["intercept_"]
        if coef.ndim != 2 or intercept.shape != (coef.shape[1],):
            raise ValueError("coef_ and intercept_ shapes are inconsistent")
        classes = np.asarray(meta["classes_"])
        if classes.shape != (coef.shape[1],):
            raise ValueError("classes_ does not match coef_")
        self.coef_, self.intercept_, self.classes_ = coef, intercept, classes
        self.n_features_in_ = int(meta["n_features_in_"])
        self.loss_curve_ = list(meta["loss_curve_"])
        self.n_iter_ = meta["n_iter_"]


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, type]:
    registry: dict[str, type] = {"FakeClassifier": FakeClassifier}
    monkeypatch.setattr(persistence, "_estimator_classes", lambda: dict(registry))
    return registry


X_SMALL = np.random.default_rng(1).normal(size=(20, 4))
Y_SMALL = np.array(["cat", "dog", "emu", "cat"] * 5)


def fitted_fake(**params: Any) -> FakeClassifier:
    return FakeClassifier(**params).fit(X_SMALL, Y_SMALL)


def same_value(a: Any, b: Any) -> bool:
    """Equality that also compares types, NaN == NaN and float bits (-0.0 != 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, np.ndarray):
        return (
            a.dtype == b.dtype
            and a.shape == b.shape
            and all(
                same_value(x, y)
                for x, y in zip(a.ravel().tolist(), b.ravel().tolist(), strict=True)
            )
        )
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(
            type(k) is type(j) and same_value(a[k], b[j]) for k, j in zip(a, b, strict=True)
        )
    return bool(a == b)


def json_round_trip(value: Any) -> Any:
    text = json.dumps(persistence._encode(value, "value"), allow_nan=False)
    return persistence._decode(persistence._parse_json(text, "value"), "value")


# --------------------------------------------------------------------------------------------
# The value encoding
# --------------------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
    | st.sampled_from(["$float", "$tuple", "$dict", "$array", "$", "nan", "inf"])
)
hashables = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=4), st.tuples, max_leaves=4
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=5), children, max_size=4)
        | st.dictionaries(hashables, children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(values)
def test_encoding_round_trips_every_json_like_value(value: Any) -> None:
    assert same_value(json_round_trip(value), value)


@settings(max_examples=1000, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_floats_round_trip_bit_for_bit(value: float) -> None:
    back = json_round_trip(value)
    assert type(back) is float
    if math.isnan(value):
        assert math.isnan(back)
    else:
        assert struct.pack("<d", back) == struct.pack("<d", value)


@settings(max_examples=300, deadline=None)
@given(st.floats(width=32, allow_nan=False))
def test_float32_scalars_round_trip_exactly(value: float) -> None:
    back = json_round_trip(np.float32(value))
    assert np.float32(back) == np.float32(value)


def test_encoded_document_is_strict_json() -> None:
    encoded = persistence._encode({"a": math.inf, "b": (1, 2), 3: [math.nan]}, "value")
    text = json.dumps(encoded, allow_nan=False)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {
        "$dict": [["a", {"$float": "inf"}], ["b", {"$tuple": [1, 2]}], [3, [{"$float": "nan"}]]]
    }


def test_tuple_and_int_keyed_dict_keep_their_types() -> None:
    assert json_round_trip((10, 5)) == (10, 5)
    assert type(json_round_trip((10, 5))) is tuple
    weights = {0: 1.0, 1: 3.5, "b": 2.0}
    back = json_round_trip(weights)
    assert back == weights
    assert [type(k) for k in back] == [int, int, str]


def test_numpy_scalars_become_python_values() -> None:
    back = json_round_trip([np.int64(3), np.float64(0.1), np.bool_(True), np.str_("x")])
    assert same_value(back, [3, 0.1, True, "x"])


@pytest.mark.parametrize(
    "array",
    [
        np.array(["cat", "dog", "emu"]),
        np.array(["a", "bb"], dtype="<U10"),
        np.array(["x", "yz"], dtype=object),
        np.array([0, 3, 7], dtype=np.int64),
        np.array([0, 255], dtype=np.uint8),
        np.array([2**64 - 1], dtype=np.uint64),
        np.array([-1.5, 2.25], dtype=np.float32),
        np.array([[np.nan, np.inf], [-np.inf, -0.0]]),
        np.array([True, False]),
        np.zeros((0, 3)),
        np.array(4.5),
        np.arange(24, dtype=np.int16).reshape(2, 3, 4),
    ],
    ids=lambda a: f"{a.dtype}-{a.shape}",
)
def test_arrays_in_state_keep_dtype_shape_and_values(array: np.ndarray) -> None:
    back = json_round_trip(array)
    assert isinstance(back, np.ndarray)
    assert back.dtype == array.dtype
    assert back.shape == array.shape
    assert same_value(back, array)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (lambda x: x, "function"),
        (object(), "object"),
        ({1, 2}, "set"),
        (np.array([1 + 2j]), "complex"),
        (np.array([None, 1], dtype=object), "object array"),
        (np.datetime64("2020-01-01"), "datetime64"),
        (b"bytes", "bytes"),
    ],
)
def test_values_json_cannot_hold_are_refused(value: Any, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as info:
        persistence._encode({"inner": [value]}, "parameter 'p'")
    assert "parameter 'p'['inner'][0]" in str(info.value)


@pytest.mark.parametrize(
    "document",
    [
        {"$float": "NaN"},
        {"$float": 1.0},
        {"$float": "nan", "x": 1},
        {"$unknown": 1},
        {"$tuple": {"a": 1}},
        {"$dict": [[1]]},
        {"$dict": [[[1, 2], 3]]},
        {"$dict": [[1, 2], [1, 3]]},
        {"$array": {"dtype": "float64", "shape": [2], "data": [1.0]}},
        {"$array": {"dtype": "complex128", "shape": [1], "data": [1.0]}},
        {"$array": {"dtype": "int8", "shape": [1], "data": [300]}},
        {"$array": {"dtype": "int8", "shape": [1], "data": [1.5]}},
        {"$array": {"dtype": "bool", "shape": [1], "data": [1]}},
        {"$array": {"dtype": "<U2", "shape": [1], "data": ["abc"]}},
        {"$array": {"dtype": "object", "shape": [1], "data": [1]}},
        {"$array": {"dtype": "float16", "shape": [1], "data": [1e300]}},
        {"$array": {"dtype": "float64", "shape": [-1], "data": []}},
        {"$array": {"dtype": "float64", "shape": [1], "data": ["x"]}},
        {"$array": {"dtype": "O", "shape": [1], "data": ["x"]}},
        {"$array": {"dtype": "float64", "shape": [1]}},
    ],
)
def test_malformed_tagged_values_raise_model_file_error(document: Any) -> None:
    with pytest.raises(ModelFileError):
        persistence._decode(document, "state")


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
# Overwriting and atomic writes
# --------------------------------------------------------------------------------------------


def test_save_refuses_to_overwrite(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError) as info:
        save(fitted_fake(), path)
    assert str(path) in str(info.value)
    assert "overwrite=True" in str(info.value)
    assert path.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


def test_save_overwrites_when_asked(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    path = tmp_path / "m.safetensors"
    save(fitted_fake(random_state=1), path)
    second = fitted_fake(random_state=2)
    save(second, path, overwrite=True)
    assert np.array_equal(load(path).coef_, second.coef_)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


def test_new_file_permissions_follow_the_umask(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    old = os.umask(0o022)
    try:
        path = save(fitted_fake(), tmp_path / "m")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt])
@pytest.mark.parametrize("overwrite", [False, True])
def test_failed_write_leaves_no_temp_file_and_old_file_intact(
    tmp_path: pathlib.Path,
    fake_registry: Any,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
    overwrite: bool,
) -> None:
    path = tmp_path / "m.safetensors"
    old = fitted_fake(random_state=1)
    save(old, path)
    old_bytes = path.read_bytes()
    written: list[int] = []

    def half_then_fail(fd: int, data: bytes) -> None:
        written.append(os.write(fd, data[: len(data) // 2]))
        raise error

    monkeypatch.setattr(persistence, "_write_fully", half_then_fail)
    target = path if overwrite else tmp_path / "new.safetensors"
    with pytest.raises(type(error) if isinstance(error, BaseException) else error):
        save(fitted_fake(random_state=2), target, overwrite=overwrite)
    assert written and written[0] > 0  # the failure really happened mid-way
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]
    assert path.read_bytes() == old_bytes


def test_failed_fsync_leaves_no_temp_file(
    tmp_path: pathlib.Path, fake_registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(persistence.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output"):
        save(fitted_fake(), tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def test_file_created_concurrently_is_not_clobbered(
    tmp_path: pathlib.Path, fake_registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.safetensors"
    real_serialize = persistence._serialize

    def serialize_while_another_process_writes(estimator: Any) -> bytes:
        data = real_serialize(estimator)
        path.write_bytes(b"theirs")
        return data

    monkeypatch.setattr(persistence, "_serialize", serialize_while_another_process_writes)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save(fitted_fake(), path)
    assert path.read_bytes() == b"theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


@pytest.mark.parametrize("other_exists", [False, True])
def test_no_clobber_without_hard_links(
    tmp_path: pathlib.Path,
    fake_registry: Any,
    monkeypatch: pytest.MonkeyPatch,
    other_exists: bool,
) -> None:
    def no_links(src: Any, dst: Any) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(persistence.os, "link", no_links)
    path = tmp_path / "m.safetensors"
    est = fitted_fake()
    if other_exists:
        real_serialize = persistence._serialize

        def serialize_then_race(estimator: Any) -> bytes:
            data = real_serialize(estimator)
            path.write_bytes(b"theirs")
            return data

        monkeypatch.setattr(persistence, "_serialize", serialize_then_race)
        with pytest.raises(FileExistsError):
            save(est, path)
        assert path.read_bytes() == b"theirs"
    else:
        save(est, path)
        assert np.array_equal(load(path).coef_, est.coef_)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


# --------------------------------------------------------------------------------------------
# Bad files: every one raises ModelFileError saying what is wrong
# --------------------------------------------------------------------------------------------


def split_file(data: bytes) -> tuple[dict[str, Any], bytes]:
    length = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def join_file(header: dict[str, Any] | bytes, body: bytes) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + body


def signed_file(header: dict[str, Any], body: bytes) -> bytes:
    """The file the writer would make of ``header``: the description's SHA-256 recomputed,
    the header in the documented canonical layout (metadata first, tensors by name, compact
    ASCII JSON padded with spaces to a multiple of 8 bytes)."""
    metadata = dict(header["__metadata__"])
    text = metadata["sigmanet"]
    metadata["sigmanet_sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    canonical: dict[str, Any] = {"__metadata__": {key: metadata[key] for key in sorted(metadata)}}
    for name in sorted(key for key in header if key != "__metadata__"):
        entry = header[name]
        canonical[name] = {key: entry[key] for key in ("dtype", "shape", "data_offsets")}
    raw = json.dumps(canonical, separators=(",", ":")).encode("ascii")
    return join_file(raw + b" " * (-len(raw) % 8), body)


def edit_document(data: bytes, edit: Any) -> bytes:
    """``data`` with its description edited and signed again, as a writer would have made it."""
    header, body = split_file(data)
    document = json.loads(header["__metadata__"]["sigmanet"])
    edit(document)
    header["__metadata__"]["sigmanet"] = json.dumps(document)
    return signed_file(header, body)


@pytest.fixture
def valid_bytes(tmp_path: pathlib.Path, fake_registry: Any) -> bytes:
    return save(fitted_fake(), tmp_path / "valid.safetensors").read_bytes()


def expect_error(tmp_path: pathlib.Path, data: bytes, pattern: str) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(ModelFileError, match=pattern):
        load(path)


def set_key(key: str, value: Any) -> Any:
    return lambda document: document.__setitem__(key, value)


def test_valid_bytes_helpers_round_trip(tmp_path: pathlib.Path, valid_bytes: bytes) -> None:
    path = tmp_path / "again"
    path.write_bytes(edit_document(valid_bytes, lambda d: None))
    assert isinstance(load(path), FakeClassifier)


def test_missing_file(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    with pytest.raises(ModelFileError, match="does not exist") as info:
        load(tmp_path / "nope.safetensors")
    assert isinstance(info.value.__cause__, FileNotFoundError)
    with pytest.raises(ModelFileError, match="does not exist"):
        read_metadata(tmp_path / "nope.safetensors")


def test_directory_instead_of_file(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    with pytest.raises(ModelFileError, match="directory"):
        load(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="not a regular file"):
        load(fifo)
    with pytest.raises(ModelFileError, match="not a regular file"):
        read_metadata(fifo)


def test_unreadable_file(
    tmp_path: pathlib.Path, valid_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m"
    path.write_bytes(valid_bytes)

    def denied(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("builtins.open", denied)
    with pytest.raises(ModelFileError, match="Permission denied"):
        load(path)


def test_load_path_type_error(fake_registry: Any) -> None:
    with pytest.raises(TypeError, match="path"):
        load(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        pytest.param(lambda data: b"", "is empty", id="empty"),
        pytest.param(lambda data: data[:5], "too short", id="short"),
        pytest.param(lambda data: data[:8], "truncated", id="length-only"),
        pytest.param(lambda data: data[:100], "truncated", id="truncated-header"),
        pytest.param(lambda data: data[:-1], "outside|gap", id="truncated-data"),
        pytest.param(lambda data: data + b"\0", "trailing bytes", id="trailing-byte"),
        pytest.param(lambda data: data + data, "trailing bytes", id="concatenated"),
        pytest.param(
            lambda data: (10**9).to_bytes(8, "little") + data[8:],
            "more than",
            id="oversized-header",
        ),
        pytest.param(
            lambda data: (2**64 - 1).to_bytes(8, "little") + data[8:], "more than", id="huge-length"
        ),
        pytest.param(
            lambda data: (0).to_bytes(8, "little") + data[8:], "header length", id="zero-length"
        ),
        pytest.param(lambda data: join_file(b"not json at all", b""), "start with", id="not-json"),
        pytest.param(lambda data: join_file(b"{not json}", b""), "not valid JSON", id="bad-json"),
        pytest.param(
            lambda data: join_file(b'{"a": "\xff"}', b""), "not valid JSON", id="not-utf8"
        ),
        pytest.param(
            lambda data: join_file(b"{" * 10 + b"}" * 10, b""),
            "not valid JSON",
            id="deep-not-object",
        ),
        pytest.param(
            lambda data: join_file(b'{"x": NaN}', b""), "not valid JSON", id="nan-constant"
        ),
        pytest.param(
            lambda data: join_file(b"[" + b"[" * 100_000, b""), "start with", id="deep-nesting"
        ),
        pytest.param(lambda data: join_file(b"{}", b""), "not a sigmanet model", id="no-metadata"),
        pytest.param(
            lambda data: join_file({"__metadata__": {"format": "pt"}}, b""),
            "not a sigmanet",
            id="foreign-metadata",
        ),
        pytest.param(
            lambda data: join_file({"__metadata__": "x"}, b""),
            "not a sigmanet",
            id="metadata-not-object",
        ),
        pytest.param(
            lambda data: join_file({"__metadata__": {"sigmanet": 1}}, b""),
            "must be strings",
            id="metadata-not-string",
        ),
        pytest.param(
            lambda data: join_file({"__metadata__": {"sigmanet": "{" * 100_000}}, b""),
            "not valid JSON",
            id="document-deep",
        ),
        pytest.param(
            lambda data: join_file({"__metadata__": {"sigmanet": "[1, 2]"}}, b""),
            "not a JSON object",
            id="document-not-object",
        ),
    ],
)
def test_broken_framing(
    tmp_path: pathlib.Path, valid_bytes: bytes, make: Any, pattern: str
) -> None:
    expect_error(tmp_path, make(valid_bytes), pattern)


def edit_header(edit: Any) -> Any:
    def make(data: bytes) -> bytes:
        header, body = split_file(data)
        edit(header)
        return join_file(header, body)

    return make


def set_field(field: str, value: Any) -> Any:
    """A file whose tensor table gives coef_ this ``field`` value."""
    return edit_header(lambda header: header["coef_"].__setitem__(field, value))


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        pytest.param(
            set_field("data_offsets", [0, 10**6]),
            "outside",
            id="offset-past-end",
        ),
        pytest.param(
            set_field("data_offsets", [-8, 88]),
            "outside",
            id="negative-offset",
        ),
        pytest.param(
            set_field("data_offsets", [8, 0]),
            "outside",
            id="reversed-offsets",
        ),
        pytest.param(
            set_field("data_offsets", "0-96"),
            "outside",
            id="offsets-not-list",
        ),
        pytest.param(
            set_field("shape", [4, 2]),
            "needs",
            id="shape-mismatch",
        ),
        pytest.param(
            set_field("shape", [4, -3]),
            "shape",
            id="negative-dim",
        ),
        pytest.param(
            set_field("shape", [1] * 40),
            "shape",
            id="too-many-dims",
        ),
        pytest.param(
            set_field("shape", [4, 3.0]),
            "shape",
            id="float-dim",
        ),
        pytest.param(
            set_field("dtype", "F16"),
            "needs",
            id="dtype-size-mismatch",
        ),
        pytest.param(
            set_field("dtype", "BF16"),
            "unsupported dtype",
            id="bf16",
        ),
        pytest.param(
            set_field("dtype", "C64"),
            "unsupported dtype",
            id="complex",
        ),
        pytest.param(set_field("extra", 1), "exactly", id="extra-field"),
        pytest.param(
            edit_header(lambda h: h.__setitem__("extra", [1, 2])), "exactly", id="entry-not-object"
        ),
        pytest.param(
            edit_header(lambda h: h.__setitem__("dup", dict(h["coef_"]))), "overlaps", id="overlap"
        ),
        pytest.param(
            edit_header(
                lambda h: (
                    h.__setitem__("gap", {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]})
                    or h["coef_"].__setitem__(
                        "data_offsets",
                        [h["coef_"]["data_offsets"][0] + 1, h["coef_"]["data_offsets"][1] + 1],
                    )
                )
            ),
            "outside|gap|overlaps",
            id="shifted",
        ),
    ],
)
def test_inconsistent_tensor_table(
    tmp_path: pathlib.Path, valid_bytes: bytes, make: Any, pattern: str
) -> None:
    expect_error(tmp_path, make(valid_bytes), pattern)


def test_duplicate_keys_in_header_are_refused(tmp_path: pathlib.Path, valid_bytes: bytes) -> None:
    header, body = split_file(valid_bytes)
    raw = json.dumps(header)
    entry = json.dumps({"coef_": header["coef_"]})[1:-1]
    expect_error(tmp_path, join_file(("{" + entry + ", " + raw[1:]).encode(), body), "duplicate")


def test_tensor_checksum_detects_flipped_bits(tmp_path: pathlib.Path, valid_bytes: bytes) -> None:
    for position in (len(valid_bytes) - 1, len(valid_bytes) - 40):
        data = bytearray(valid_bytes)
        data[position] ^= 0x01
        expect_error(tmp_path, bytes(data), "SHA-256")


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        pytest.param(set_key("class", "os.system"), "not one sigmanet can build", id="os.system"),
        pytest.param(
            set_key("class", "MLPClassifier"), "not one sigmanet can build", id="not-in-allow-list"
        ),
        pytest.param(
            set_key("class", "builtins.eval"), "not one sigmanet can build", id="builtins.eval"
        ),
        pytest.param(
            set_key("class", ["FakeClassifier"]), "not one sigmanet can build", id="class-not-str"
        ),
        pytest.param(set_key("format_version", 3), "newer|format 3.*Upgrade", id="newer-format"),
        pytest.param(set_key("format_version", 0), "positive integer", id="format-zero"),
        pytest.param(set_key("format_version", True), "positive integer", id="format-bool"),
        pytest.param(set_key("format_version", "1"), "positive integer", id="format-str"),
        pytest.param(set_key("sigmanet_version", 1), "sigmanet_version", id="version-not-str"),
        pytest.param(lambda d: d.pop("params"), "lacks", id="no-params"),
        pytest.param(lambda d: d.pop("tensors"), "lacks", id="no-tensors"),
        pytest.param(set_key("params", [1]), "params", id="params-list"),
        pytest.param(set_key("params", {"$tuple": [1]}), "params", id="params-tagged"),
        pytest.param(set_key("tensors", []), "tensors", id="tensors-list"),
        pytest.param(lambda d: d["tensors"].pop("coef_"), "lists tensors", id="tensor-undescribed"),
        pytest.param(
            lambda d: d["tensors"]["coef_"].__setitem__("shape", [3, 4]),
            "described",
            id="described-shape",
        ),
        pytest.param(
            lambda d: d["tensors"]["coef_"].__setitem__("dtype", "float32"),
            "described",
            id="described-dtype",
        ),
        pytest.param(lambda d: d["tensors"]["coef_"].pop("sha256"), "described", id="no-checksum"),
        pytest.param(
            lambda d: d["tensors"]["coef_"].__setitem__("sha256", "0" * 64),
            "SHA-256",
            id="wrong-checksum",
        ),
        pytest.param(
            lambda d: d["params"].__setitem__("no_such_param", 1),
            "no hyper-parameter",
            id="unknown-param",
        ),
        pytest.param(
            lambda d: d["params"].__setitem__("alpha", {"$bogus": 1}),
            "unknown tagged",
            id="bad-tag",
        ),
        pytest.param(
            lambda d: d["state"].__setitem__("classes_", ["a"]),
            "rejected the stored fitted",
            id="state-rejected",
        ),
        pytest.param(
            lambda d: d["state"].pop("n_features_in_"),
            "rejected the stored fitted",
            id="state-missing-key",
        ),
        pytest.param(set_key("state", None), "rejected the stored fitted", id="state-none"),
    ],
)
def test_bad_description(
    tmp_path: pathlib.Path, valid_bytes: bytes, edit: Any, pattern: str
) -> None:
    expect_error(tmp_path, edit_document(valid_bytes, edit), pattern)


def test_class_rejecting_parameters(
    tmp_path: pathlib.Path, valid_bytes: bytes, fake_registry: dict[str, type]
) -> None:
    class Strict(FakeClassifier):
        def __init__(self, **kwargs: Any) -> None:
            if kwargs.get("alpha", 0) < 0:
                raise ValueError("alpha must be >= 0")
            super().__init__(**kwargs)

        @classmethod
        def _get_param_names(cls) -> list[str]:
            return FakeClassifier._get_param_names()

    fake_registry["FakeClassifier"] = Strict
    edited = edit_document(valid_bytes, lambda d: d["params"].__setitem__("alpha", -1.0))
    expect_error(tmp_path, edited, "rejected the stored hyper-parameters: alpha")


def test_newer_format_message_names_both_versions(
    tmp_path: pathlib.Path, valid_bytes: bytes
) -> None:
    path = tmp_path / "future"
    path.write_bytes(edit_document(valid_bytes, set_key("format_version", 7)))
    with pytest.raises(ModelFileError) as info:
        read_metadata(path)
    message = str(info.value)
    assert "format 7" in message and f"format {FORMAT_VERSION} and older" in message


def test_read_metadata_validates_framing_too(tmp_path: pathlib.Path, valid_bytes: bytes) -> None:
    path = tmp_path / "m"
    for data in (valid_bytes[:-1], valid_bytes + b"x", b"", b"1234567"):
        path.write_bytes(data)
        with pytest.raises(ModelFileError):
            read_metadata(path)


def test_model_file_error_is_a_value_error(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    with pytest.raises(ValueError):
        load(tmp_path / "missing")


# --------------------------------------------------------------------------------------------
# Fuzzing: whatever the bytes, load raises ModelFileError or returns an estimator
# --------------------------------------------------------------------------------------------

_FUZZ_DIR: dict[str, pathlib.Path] = {}


def load_or_model_file_error(path: pathlib.Path, data: bytes) -> Any:
    path.write_bytes(data)
    try:
        return load(path)
    except ModelFileError:
        return None


def mutations(valid: bytes) -> st.SearchStrategy[bytes]:
    n = len(valid)
    flip = st.tuples(st.integers(0, n - 1), st.integers(1, 255)).map(
        lambda t: valid[: t[0]] + bytes([valid[t[0]] ^ t[1]]) + valid[t[0] + 1 :]
    )
    header_flip = st.tuples(st.integers(0, min(n, 400) - 1), st.integers(1, 255)).map(
        lambda t: valid[: t[0]] + bytes([valid[t[0]] ^ t[1]]) + valid[t[0] + 1 :]
    )
    truncate = st.integers(0, n - 1).map(lambda k: valid[:k])
    extend = st.binary(min_size=1, max_size=64).map(lambda extra: valid + extra)
    splice = st.tuples(st.integers(0, n), st.integers(0, n), st.binary(max_size=32)).map(
        lambda t: valid[: min(t[:2])] + t[2] + valid[max(t[:2]) :]
    )
    length = st.integers(0, 2**64 - 1).map(lambda k: k.to_bytes(8, "little") + valid[8:])
    return st.one_of(flip, header_flip, truncate, extend, splice, length)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=600))
def test_fuzz_random_bytes(tmp_path: pathlib.Path, fake_registry: Any, data: bytes) -> None:
    assert load_or_model_file_error(tmp_path / "fuzz", data) is None


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_fuzz_mutated_valid_file(
    tmp_path: pathlib.Path, valid_bytes: bytes, data: st.DataObject
) -> None:
    mutated = data.draw(mutations(valid_bytes))
    assume(mutated != valid_bytes)
    result = load_or_model_file_error(tmp_path / "fuzz", mutated)
    assert result is None or isinstance(result, FakeClassifier)


# --------------------------------------------------------------------------------------------
# The real estimators: predictions bit-identical after a round trip
# --------------------------------------------------------------------------------------------

_RNG = np.random.default_rng(7)
X_REAL = _RNG.normal(size=(80, 5))
_SCORE = X_REAL @ _RNG.normal(size=(5, 3))
Y_CASES: dict[str, np.ndarray] = {
    "binary-strings": np.where(_SCORE[:, 0] > 0, "yes", "no"),
    "multiclass-ints": np.argmax(_SCORE, axis=1) * 10 - 5,
    "multiclass-strings": np.array(["cat", "dog", "emu"])[np.argmax(_SCORE, axis=1)],
    "bools": _SCORE[:, 1] > 0,
    "floats": np.where(_SCORE[:, 2] > 0, 1.0, -2.0),
    "multilabel": (_SCORE > 0).astype(np.int64),
    "regression": _SCORE[:, 0],
    "regression-2-outputs": _SCORE[:, :2],
}

# (class name, hyper-parameters, targets, input dtype)
REAL_CASES = [
    pytest.param(
        "MLPClassifier",
        {"hidden_layer_sizes": (6,)},
        "binary-strings",
        np.float64,
        id="mlp-binary-strings-f64",
    ),
    pytest.param(
        "MLPClassifier",
        {"hidden_layer_sizes": (6, 4), "activation": "tanh"},
        "multiclass-ints",
        np.float32,
        id="mlp-multiclass-f32",
    ),
    pytest.param(
        "MLPClassifier",
        {
            "hidden_layer_sizes": [5, 3],
            "activation": ["logistic", "maxout"],
            "dropout": [0.1, 0.0],
            "class_weight": {"cat": 2.0, "dog": 1.0},
        },
        "multiclass-strings",
        np.float64,
        id="mlp-per-layer-dropout-class-weight",
    ),
    pytest.param(
        "MLPClassifier",
        {
            "hidden_layer_sizes": (4,),
            "activation": "prelu",
            "early_stopping": True,
            "validation_fraction": 0.25,
        },
        "bools",
        np.float32,
        id="mlp-bools-prelu-early-stopping",
    ),
    pytest.param(
        "MLPClassifier",
        {"hidden_layer_sizes": (4,), "solver": "lbfgs"},
        "floats",
        np.float64,
        id="mlp-float-labels-lbfgs",
    ),
    pytest.param(
        "MLPClassifier", {"hidden_layer_sizes": (5,)}, "multilabel", np.float64, id="mlp-multilabel"
    ),
    pytest.param(
        "MLPClassifier",
        {"hidden_layer_sizes": (5,), "class_weight": {-5: 3.0}},
        "multiclass-ints",
        np.float64,
        id="mlp-int-keyed-class-weight",
    ),
    pytest.param(
        "MLPRegressor",
        {"hidden_layer_sizes": (6,)},
        "regression",
        np.float64,
        id="mlp-regressor-f64",
    ),
    pytest.param(
        "MLPRegressor",
        {"hidden_layer_sizes": (6, 3), "solver": "sgd"},
        "regression-2-outputs",
        np.float32,
        id="mlp-regressor-2-outputs-f32",
    ),
    pytest.param("LogisticRegression", {}, "binary-strings", np.float64, id="logistic-binary"),
    pytest.param("LogisticRegression", {}, "multiclass-strings", np.float32, id="logistic-ovr-f32"),
    pytest.param(
        "LogisticRegression",
        {"class_weight": "balanced"},
        "multiclass-ints",
        np.float64,
        id="logistic-ovr-balanced",
    ),
    pytest.param("SoftmaxRegression", {}, "multiclass-strings", np.float64, id="softmax-f64"),
    pytest.param("SoftmaxRegression", {}, "multiclass-ints", np.float32, id="softmax-f32"),
]


def real_class(name: str) -> type:
    """The sigmanet estimator ``name``; a registry without it fails the test, never skips it."""
    assert name in ESTIMATORS, f"sigmanet.estimators.ESTIMATORS has no {name}"
    return ESTIMATORS[name]


def fit_quietly(estimator: Any, X: np.ndarray, y: np.ndarray) -> Any:
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        # Few iterations keep the test fast; convergence is not what is under test.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def fitted_real(name: str, params: dict[str, Any], targets: str, dtype: Any) -> Any:
    cls = real_class(name)
    params = dict(params)
    allowed = cls._get_param_names()
    for key, value in {"max_iter": 15, "random_state": 0}.items():
        if key in allowed:
            params.setdefault(key, value)
    return fit_quietly(cls(**params), X_REAL.astype(dtype), Y_CASES[targets])


def assert_same_fitted_attributes(loaded: Any, original: Any) -> None:
    public = sorted(
        name for name in vars(original) if name.endswith("_") and not name.startswith("_")
    )
    assert public, "the estimator has no fitted attributes to compare"
    for name in public:
        expected, actual = getattr(original, name), getattr(loaded, name, "<missing>")
        if isinstance(expected, list) and expected and isinstance(expected[0], np.ndarray):
            assert len(actual) == len(expected), name
            for a, e in zip(actual, expected, strict=True):
                assert a.dtype == e.dtype and np.array_equal(a, e), name
        elif isinstance(expected, (np.ndarray, list, tuple, int, float, str, np.dtype)) or (
            expected is None
        ):
            if isinstance(expected, np.ndarray):
                assert isinstance(actual, np.ndarray) and actual.dtype == expected.dtype, name
                assert np.array_equal(actual, expected, equal_nan=expected.dtype.kind == "f"), name
            elif isinstance(expected, float) and math.isnan(expected):
                assert isinstance(actual, float) and math.isnan(actual), name
            else:
                assert np.all(actual == expected), name  # lists of floats, scalars, dtypes
        else:  # an internal object such as the network: same type is all we can ask here
            assert type(actual) is type(expected), name


def prediction_methods(estimator: Any) -> list[str]:
    names = ["predict", "predict_proba", "predict_log_proba", "decision_function", "transform"]
    return [name for name in names if hasattr(estimator, name)]


_SAVED: dict[str, tuple[Any, bytes]] = {}


def saved_real(case_id: str, tmp_path: pathlib.Path) -> tuple[Any, pathlib.Path]:
    """The fitted estimator of a REAL_CASES entry and a fresh copy of its model file."""
    if case_id not in _SAVED:
        name, params, targets, dtype = next(c.values for c in REAL_CASES if c.id == case_id)
        original = fitted_real(name, params, targets, dtype)
        _SAVED[case_id] = (original, save(original, tmp_path / "first.safetensors").read_bytes())
    original, data = _SAVED[case_id]
    path = tmp_path / "model.safetensors"
    path.write_bytes(data)
    return original, path


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


_REAL_FUZZ_FILE: dict[str, bytes] = {}


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


# --------------------------------------------------------------------------------------------
# Files written by an earlier release keep loading and computing the same outputs
# --------------------------------------------------------------------------------------------

FORMAT_V1 = pathlib.Path(__file__).parent / "data" / "format_v1"
_V1_EXPECTED = json.loads((FORMAT_V1 / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(_V1_EXPECTED["models"]))
def test_format_1_files_load_and_predict_as_when_saved(name: str) -> None:
    path = FORMAT_V1 / f"{name}.safetensors"
    assert read_metadata(path)["format_version"] == 1
    model = load(path)
    X = np.asarray(_V1_EXPECTED["X"], dtype=model.dtype_)
    outputs = _V1_EXPECTED["models"][name]
    assert "predict" in outputs
    for method, spec in outputs.items():
        actual = getattr(model, method)(X)
        expected = np.asarray(spec["values"], dtype=np.dtype(spec["dtype"]))
        assert actual.dtype == expected.dtype, method
        assert np.array_equal(actual, expected), method


FORMAT_V2 = pathlib.Path(__file__).parent / "data" / "format_v2"
_V2_EXPECTED = json.loads((FORMAT_V2 / "expected.json").read_text())


def _fixture_input(spec: dict[str, Any]) -> np.ndarray:
    if spec["dtype"] != "object":
        return np.asarray(spec["values"], dtype=np.dtype(spec["dtype"]))
    rows = [[math.nan if cell is None else cell for cell in row] for row in spec["values"]]
    table = np.empty((len(rows), len(rows[0])), dtype=object)
    table[:] = rows
    return table


@pytest.mark.parametrize("name", sorted(_V2_EXPECTED))
def test_format_2_files_load_and_predict_bit_identically(name: str) -> None:
    path = FORMAT_V2 / f"{name}.safetensors"
    assert read_metadata(path)["format_version"] == 2
    model = load(path)
    X = _fixture_input(_V2_EXPECTED[name]["input"])
    outputs = _V2_EXPECTED[name]["outputs"]
    assert "predict" in outputs
    for method, spec in outputs.items():
        actual = getattr(model, method)(X)
        expected = np.asarray(spec["values"], dtype=np.dtype(spec["dtype"]))
        assert actual.dtype == expected.dtype, method
        assert actual.shape == expected.shape, method
        assert actual.tobytes() == expected.tobytes(), method


# --------------------------------------------------------------------------------------------
# Whole pipelines in one file
# --------------------------------------------------------------------------------------------

PIPELINE_ESTIMATORS = [
    ("LogisticRegression", {}, "multiclass-strings"),
    ("SoftmaxRegression", {}, "multiclass-ints"),
    ("MLPClassifier", {"hidden_layer_sizes": (4, 3), "activation": "tanh"}, "binary-strings"),
    ("MLPRegressor", {"hidden_layer_sizes": (4,)}, "regression-2-outputs"),
]


def mixed_frame(dtype: Any) -> Any:
    """A frame with a numeric column with gaps, a categorical one and two plain numeric ones."""
    pandas = pytest.importorskip("pandas")
    rng = np.random.default_rng(3)
    frame = pandas.DataFrame(
        {
            "a": X_REAL[:, 0].astype(dtype),
            "colour": rng.choice(["red", "green", "blue"], size=len(X_REAL)),
            "b": X_REAL[:, 1].astype(dtype),
            "c": (X_REAL[:, 2] * 1000).astype(dtype),
        }
    )
    frame.loc[[3, 17], "a"] = np.nan
    return frame


def preprocessing(remainder: str = "passthrough", dtype: Any = np.float64) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

    return ColumnTransformer(
        [
            (
                "gaps",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                ),
                ["a"],
            ),
            (
                "colour",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=dtype),
                ["colour"],
            ),
            ("scaled", MinMaxScaler(), ["b"]),
        ],
        remainder=remainder,
    )


def assert_same_outputs(loaded: Any, original: Any, X: Any) -> None:
    methods = [
        name
        for name in ("predict", "predict_proba", "decision_function", "transform")
        if hasattr(original, name)
    ]
    assert methods
    for method in methods:
        expected, actual = getattr(original, method)(X), getattr(loaded, method)(X)
        assert actual.dtype == expected.dtype, method
        assert actual.shape == expected.shape, method
        assert np.array_equal(actual, expected), method


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
    from sklearn.base import BaseEstimator, TransformerMixin
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
    monkeypatch.setattr(persistence, "_REGISTERED", {})
    persistence.register_step(Shift)
    assert "Shift" in persistence.supported_steps()
    loaded = load(save(model, tmp_path / "after"))
    assert type(loaded[0]) is Shift and loaded[0].by == 2.0
    assert_same_outputs(loaded, model, X_REAL)

    class Other(Shift):
        pass

    Other.__name__ = "Shift"
    with pytest.raises(ValueError, match="already registered"):
        persistence.register_step(Other)


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


# --------------------------------------------------------------------------------------------
# Every byte verified
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_model_file(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = fit_quietly(
        make_pipeline(StandardScaler(), real_class("LogisticRegression")(max_iter=5)),
        X_REAL[:, :2],
        Y_CASES["bools"],
    )
    return save(model, tmp_path_factory.mktemp("small") / "m").read_bytes()


class EditedFile:
    """One file on disk, edited in place (rewriting a whole file per edit is slow on a busy
    disk): ``outcome`` loads it with one edit applied, then restores it."""

    def __init__(self, path: pathlib.Path, data: bytes) -> None:
        self.path, self.data = path, data
        path.write_bytes(data)
        self.fd = os.open(path, os.O_RDWR)

    def close(self) -> None:
        os.close(self.fd)

    def load_result(self) -> str:
        try:
            load(self.path)
        except ModelFileError:
            return "ModelFileError"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return "loaded"

    def outcome(self, position: int, replacement: bytes, length: int | None = None) -> str:
        """Load with ``data[position:]`` replaced by ``replacement`` (of the same length, unless
        ``length`` gives the whole new file length), then restore ``data``."""
        os.pwrite(self.fd, replacement, position)
        if length is not None:
            os.ftruncate(self.fd, length)
        try:
            return self.load_result()
        finally:
            os.pwrite(self.fd, self.data, 0)
            os.ftruncate(self.fd, len(self.data))


@pytest.mark.parametrize("mask", [0x01, 0x20, 0xFF])
def test_changing_any_byte_is_a_model_file_error(
    tmp_path: pathlib.Path, small_model_file: bytes, mask: int
) -> None:
    data = small_model_file
    edited = EditedFile(tmp_path / "m", data)
    try:
        assert edited.load_result() == "loaded"
        others: dict[int, str] = {}
        for position in range(len(data)):
            result = edited.outcome(position, bytes([data[position] ^ mask]))
            if result != "ModelFileError":
                others[position] = result
        assert edited.load_result() == "loaded"
    finally:
        edited.close()
    assert others == {}, f"{len(others)} of {len(data)} changed bytes: {others}"


def test_truncating_extending_or_inserting_is_a_model_file_error(
    tmp_path: pathlib.Path, small_model_file: bytes
) -> None:
    data = small_model_file
    header_end = 8 + int.from_bytes(data[:8], "little")
    edited = EditedFile(tmp_path / "m", data)
    others = {}
    try:
        for length in range(len(data)):
            result = edited.outcome(0, b"", length)
            if result != "ModelFileError":
                others[f"truncated to {length}"] = result
        for extra in (b"\0", b" ", b"\n", data):
            result = edited.outcome(len(data), extra)
            if result != "ModelFileError":
                others[f"appended {extra[:8]!r}"] = result
        for position in (9, header_end // 2, header_end - 1, header_end, len(data) - 1):
            inserted = data[:position] + b" " + data[position:]
            removed = data[:position] + data[position + 1 :]
            for name, new in (("inserted", inserted), ("removed", removed)):
                result = edited.outcome(0, new, len(new))
                if result != "ModelFileError":
                    others[f"{name} at {position}"] = result
        # Same length, same JSON meaning, other bytes: key order and whitespace.
        header = json.loads(data[8:header_end])
        reordered = dict(reversed(list(header.items())))
        text = json.dumps(reordered, separators=(",", ":")).encode()
        text += b" " * (header_end - 8 - len(text))
        padding = len(text) - len(text.rstrip(b" "))
        assert len(text) == header_end - 8 and text != data[8:header_end]
        same_meaning = {"reordered": text}
        for blank in (b"\t", b"\n", b"\r"):
            same_meaning[f"{blank!r} before the first key"] = (
                b"{" + blank + data[9 : header_end - 1] if padding else None
            )
        for name, new_header in same_meaning.items():
            if new_header is not None:
                result = edited.outcome(8, new_header)
                if result != "ModelFileError":
                    others[name] = result
    finally:
        edited.close()
    assert others == {}


# --------------------------------------------------------------------------------------------
# Killed saves: the old file intact, their temporary files cleaned up by the next save
# --------------------------------------------------------------------------------------------

_KILLED_SAVER = """
import sys, time
import numpy as np
import sigmanet
from sigmanet import persistence

X = np.random.default_rng(0).normal(size=(20, 30))
model = sigmanet.MLPRegressor(hidden_layer_sizes=(900, 900), max_iter=1, random_state=0)
model.fit(X, X[:, 0])
write = persistence._write_fully

def write_then_stall(fd, data):
    write(fd, data[: len(data) // 3])
    print("writing", len(data), flush=True)
    time.sleep(120)

persistence._write_fully = write_then_stall
sigmanet.save(model, sys.argv[1], overwrite=True)
"""


def dead_pid() -> int:
    import subprocess
    import sys

    process = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(process.stdout)


def temporaries(directory: pathlib.Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".sigmanet-tmp"))


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGKILL"), reason="needs SIGKILL")
def test_save_killed_mid_write_leaves_old_file_and_next_save_cleans_up(
    tmp_path: pathlib.Path,
) -> None:
    import signal
    import subprocess
    import sys

    path = tmp_path / "model.safetensors"
    old = fitted_real("LogisticRegression", {}, "binary-strings", np.float64)
    save(old, path)
    old_bytes = path.read_bytes()

    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_SAVER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line.startswith("writing"), line
        total = int(line.split()[1])
        assert total > 5_000_000  # a large-ish model: several MB
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        if child.stdout:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    # The old file is untouched and loads; the killed save's partial temporary is left.
    assert path.read_bytes() == old_bytes
    assert np.array_equal(load(path).predict_proba(X_REAL), old.predict_proba(X_REAL))
    left = temporaries(tmp_path)
    assert len(left) == 1 and f".{child.pid}." in left[0]
    assert 0 < (tmp_path / left[0]).stat().st_size < total

    # A save to another name leaves it; the next save to the same name removes it.
    save(old, tmp_path / "other.safetensors")
    assert temporaries(tmp_path) == left
    new = fitted_real("SoftmaxRegression", {}, "multiclass-strings", np.float32)
    save(new, path, overwrite=True)
    assert temporaries(tmp_path) == []
    assert np.array_equal(load(path).predict_proba(X_REAL), new.predict_proba(X_REAL))


def test_next_save_removes_only_temporaries_of_dead_processes(
    tmp_path: pathlib.Path, fake_registry: Any
) -> None:
    target = "m.safetensors"
    stale = f".{target}.{dead_pid()}.0123abcd.sigmanet-tmp"
    running = f".{target}.{os.getppid()}.0123abcd.sigmanet-tmp"  # a save in progress
    own = f".{target}.{os.getpid()}.0123abcd.sigmanet-tmp"
    other_target = f".other.{dead_pid()}.0123abcd.sigmanet-tmp"
    not_ours = f".{target}.{dead_pid()}.tmp"
    for name in (stale, running, own, other_target, not_ours):
        (tmp_path / name).write_bytes(b"partial")
    save(fitted_fake(), tmp_path / target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target, running, own, other_target, not_ours]
    )


def test_failed_save_leaves_its_temporary_named_for_cleanup(
    tmp_path: pathlib.Path, fake_registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def fail(fd: int, data: bytes) -> None:
        seen.extend(temporaries(tmp_path))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persistence, "_write_fully", fail)
    with pytest.raises(OSError, match="No space"):
        save(fitted_fake(), tmp_path / "m.safetensors")
    assert len(seen) == 1 and seen[0].startswith(f".m.safetensors.{os.getpid()}.")
    assert list(tmp_path.iterdir()) == []


def test_loading_a_function_name_is_refused(tmp_path: pathlib.Path) -> None:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    model = TransformedTargetRegressor(
        regressor=real_class("MLPRegressor")(hidden_layer_sizes=(2,), max_iter=3),
        transformer=StandardScaler(),
    )
    valid = save(fit_quietly(model, X_REAL, Y_CASES["regression"]), tmp_path / "m").read_bytes()
    edited = edit_document(valid, lambda d: d["params"].__setitem__("inverse_func", "exec"))
    expect_error(tmp_path, edited, "only with inverse_func=None")


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_fuzz_mutated_pipeline_file(
    tmp_path: pathlib.Path, small_model_file: bytes, data: st.DataObject
) -> None:
    mutated = data.draw(mutations(small_model_file))
    assume(mutated != small_model_file)
    assert load_or_model_file_error(tmp_path / "fuzz", mutated) is None
