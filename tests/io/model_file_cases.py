"""What the model-file tests share: a small estimator, real fitted models, file surgery."""

from __future__ import annotations

import hashlib
import json
import math
import pathlib
import struct
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin

from sigmanet.estimators import ESTIMATORS
from sigmanet.exceptions import ModelFileError
from sigmanet.io import (
    load,
    save,
)


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


def expect_error(tmp_path: pathlib.Path, data: bytes, pattern: str) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(ModelFileError, match=pattern):
        load(path)


def set_key(key: str, value: Any) -> Any:
    return lambda document: document.__setitem__(key, value)


def edit_header(edit: Any) -> Any:
    def make(data: bytes) -> bytes:
        header, body = split_file(data)
        edit(header)
        return join_file(header, body)

    return make


def set_field(field: str, value: Any) -> Any:
    """A file whose tensor table gives coef_ this ``field`` value."""
    return edit_header(lambda header: header["coef_"].__setitem__(field, value))


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


_REAL_FUZZ_FILE: dict[str, bytes] = {}


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
