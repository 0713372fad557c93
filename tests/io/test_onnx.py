"""Tests of sigmanet.io.onnx: onnxruntime computes what sigmanet computes, for whole pipelines."""

from __future__ import annotations

import json
import math
import pathlib
import sys
import warnings
from typing import Any

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx.reference import ReferenceEvaluator
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, OneHotEncoder, StandardScaler

import sigmanet
from sigmanet import activations
from sigmanet.io import atomic, onnx_graph, to_onnx
from sigmanet.preprocessing import InputColumns, StableStandardScaler

RNG = np.random.default_rng(11)
X_TRAIN = RNG.normal(size=(80, 4))
SCORES = X_TRAIN @ RNG.normal(size=(4, 3))
Y = {
    "binary-strings": np.where(SCORES[:, 0] > 0, "yes", "no"),
    "multiclass-ints": np.argmax(SCORES, axis=1) + 3,
    "multiclass-strings": np.array(["cat", "dog", "emu"])[np.argmax(SCORES, axis=1)],
    "bools": SCORES[:, 1] > 0,
    "multilabel": (SCORES > 0).astype(int),
    "regression": SCORES[:, 0] * 5.0 + 2.0,
    "two-targets": SCORES[:, :2] * 3.0,
    "counts": np.round(np.exp(SCORES[:, 0] / 2)),
}
X_TEST = RNG.normal(size=(25, 4)) * 1.5
DATA = pathlib.Path(__file__).parent.parent / "data" / "format_v2"

#: onnxruntime against sigmanet: the float32 tolerance of the requirement, and float64's.
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}


def fit(model: Any, X: np.ndarray, y: np.ndarray) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def session(proto: Any) -> Any:
    return onnxruntime.InferenceSession(
        proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def run(proto: Any, feeds: dict[str, np.ndarray], *, reference: bool = False) -> dict[str, Any]:
    names = [output.name for output in proto.graph.output]
    if reference:  # the ONNX specification's own evaluator
        return dict(zip(names, ReferenceEvaluator(proto).run(None, feeds), strict=True))
    return dict(zip(names, session(proto).run(None, feeds), strict=True))


def assert_matches(model: Any, X: Any, outputs: dict[str, Any], dtype: Any) -> None:
    """onnxruntime's outputs are sigmanet's: labels equal, numbers within TOLERANCE."""
    tolerance = TOLERANCE[dtype]
    if "variable" in outputs:
        expected = model.predict(X)
        assert outputs["variable"].dtype == expected.dtype
        np.testing.assert_allclose(
            outputs["variable"], expected.reshape(len(X), -1), rtol=tolerance, atol=tolerance
        )
        return
    if "probabilities" in outputs:
        assert outputs["probabilities"].dtype == model.predict_proba(X).dtype
        np.testing.assert_allclose(
            outputs["probabilities"], model.predict_proba(X), rtol=tolerance, atol=tolerance
        )
    else:
        np.testing.assert_allclose(
            outputs["scores"], model.decision_function(X), rtol=tolerance, atol=tolerance
        )
    expected_labels = model.predict(X)
    if expected_labels.dtype.kind == "U":
        expected_labels = expected_labels.astype(object)
    assert outputs["label"].shape == expected_labels.shape
    assert (outputs["label"] == expected_labels).all()


# --------------------------------------------------------------------------------------------
# Every estimator, every activation
# --------------------------------------------------------------------------------------------

ESTIMATOR_CASES = [
    ("LogisticRegression", {}, "binary-strings"),
    ("LogisticRegression", {}, "multiclass-strings"),
    ("LogisticRegression", {"fit_intercept": False}, "bools"),
    ("SoftmaxRegression", {}, "binary-strings"),
    ("SoftmaxRegression", {}, "multiclass-ints"),
    ("MLPClassifier", {"hidden_layer_sizes": (5, 4)}, "multiclass-strings"),
    ("MLPClassifier", {"hidden_layer_sizes": (5,)}, "binary-strings"),
    ("MLPClassifier", {"hidden_layer_sizes": (5,)}, "multilabel"),
    ("MLPClassifier", {"hidden_layer_sizes": (5,), "loss": "hinge"}, "bools"),
    (
        "MLPClassifier",
        {"hidden_layer_sizes": (6, 4, 3), "activation": ["maxout", "prelu", "tanh"]},
        "multiclass-ints",
    ),
    ("MLPClassifier", {"hidden_layer_sizes": (8, 6), "dropout": 0.3}, "multiclass-ints"),
    ("MLPRegressor", {"hidden_layer_sizes": (5,)}, "regression"),
    ("MLPRegressor", {"hidden_layer_sizes": (5,), "activation": "maxout"}, "two-targets"),
    ("MLPRegressor", {"hidden_layer_sizes": (5,), "loss": "poisson"}, "counts"),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(("name", "params", "targets"), ESTIMATOR_CASES)
def test_every_estimator_gives_sigmanets_outputs(
    name: str, params: dict[str, Any], targets: str, dtype: Any
) -> None:
    model = fit(
        sigmanet.estimators.ESTIMATORS[name](random_state=0, max_iter=40, **params),
        X_TRAIN.astype(dtype),
        Y[targets],
    )
    proto = to_onnx(model)
    X = X_TEST.astype(dtype)
    outputs = run(proto, {"X": X})
    assert_matches(model, X, outputs, dtype)
    # the labels' type is that of classes_: strings, ints, bools
    if "label" in outputs and targets != "multilabel":
        kind = model.classes_.dtype.kind
        assert outputs["label"].dtype == (object if kind == "U" else model.classes_.dtype)


HIDDEN_ACTIVATIONS = sorted(set(activations.names()) | {"swish"})


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_activation(activation: str, dtype: Any) -> None:
    X_wide = (X_TRAIN * 3.0).astype(dtype)  # reaching the saturated and linear pieces
    model = fit(
        sigmanet.MLPRegressor(
            hidden_layer_sizes=(7,), activation=activation, max_iter=20, random_state=0
        ),
        X_wide,
        Y["two-targets"],
    )
    proto = to_onnx(model)
    X = np.vstack([X_TEST * 4.0, [[-60.0, 60.0, -3.0, 3.0], [0.0, -0.0, 1e-3, -1e-3]]])
    X = X.astype(dtype)
    # onnxruntime has no float64 kernel for Erf: the reference evaluator checks that graph,
    # whose erf is an approximation good to about 1e-7, hence float32's tolerance there
    reference = dtype == np.float64 and activation == "gelu"
    outputs = run(proto, {"X": X}, reference=reference)
    assert_matches(model, X, outputs, np.float32 if reference else dtype)


def test_float64_gelu_is_the_one_graph_onnxruntime_cannot_run() -> None:
    model = fit(
        sigmanet.MLPRegressor(hidden_layer_sizes=(3,), activation="gelu", max_iter=5),
        X_TRAIN,
        Y["regression"],
    )
    with pytest.raises(Exception, match="Erf"):
        session(to_onnx(model))


def test_every_activation_the_mlps_take_has_an_onnx_form() -> None:
    from sigmanet.estimators._parameters import activation_names_for_hidden

    layers_of_their_own = {"maxout", "prelu"}
    for name in set(activation_names_for_hidden()) - layers_of_their_own:
        assert activations.get(name).get_config()["name"] in onnx_graph.ACTIVATIONS
    assert onnx_graph.REFUSED_ACTIVATIONS == {}


# --------------------------------------------------------------------------------------------
# Pipelines
# --------------------------------------------------------------------------------------------


def numeric_pipelines() -> list[Any]:
    def mlp() -> Any:
        return sigmanet.MLPClassifier(hidden_layer_sizes=(5,), max_iter=30, random_state=0)

    return [
        make_pipeline(StandardScaler(), mlp()),
        make_pipeline(StableStandardScaler(), MinMaxScaler(clip=True), mlp()),
        make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True),
            FunctionTransformer(),
            make_pipeline(StandardScaler(with_mean=False), sigmanet.SoftmaxRegression()),
        ),
        make_pipeline(
            ColumnTransformer(
                [
                    ("scaled", StandardScaler(), [0, 1]),
                    ("kept", "passthrough", [3]),
                    ("dropped", "drop", [2]),
                ],
            ),
            mlp(),
        ),
        make_pipeline(
            ColumnTransformer([("ranged", MinMaxScaler(), [1, 2])], remainder="passthrough"),
            mlp(),
        ),
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("index", range(len(numeric_pipelines())))
def test_numeric_pipelines(index: int, dtype: Any) -> None:
    X_train = X_TRAIN.copy()
    X_train[::7, 0] = np.nan
    model = numeric_pipelines()[index]
    if not isinstance(model.steps[0][1], SimpleImputer):
        X_train = X_TRAIN
    fit(model, X_train.astype(dtype), Y["multiclass-strings"])
    X = X_TEST.astype(dtype)
    if isinstance(model.steps[0][1], SimpleImputer):
        X[::3, 0] = np.nan
    assert_matches(model, X, run(to_onnx(model), {"X": X}), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    "transformer",
    [None, StandardScaler(), StableStandardScaler(), MinMaxScaler()],
    ids=["none", "standard", "stable", "min-max"],
)
def test_transformed_target_regressor(transformer: Any, dtype: Any) -> None:
    model = make_pipeline(
        StandardScaler(),
        TransformedTargetRegressor(
            regressor=sigmanet.MLPRegressor(hidden_layer_sizes=(4,), max_iter=30, random_state=0),
            transformer=transformer,
        ),
    )
    fit(model, X_TRAIN.astype(dtype), Y["regression"])
    X = X_TEST.astype(dtype)
    assert_matches(model, X, run(to_onnx(model), {"X": X}), dtype)


def table(n_rows: int, seed: int) -> np.ndarray:
    """Numbers and categories with gaps, as the command line reads a CSV file."""
    rng = np.random.default_rng(seed)
    cells = np.empty((n_rows, 4), dtype=object)
    cells[:, 0] = rng.normal(size=n_rows).tolist()
    cells[:, 1] = rng.choice(["red", "green", "blue"], size=n_rows).tolist()
    cells[:, 2] = (rng.normal(size=n_rows) * 50).tolist()
    cells[:, 3] = rng.choice(["s", "m", "l"], size=n_rows).tolist()
    cells[rng.random(n_rows) < 0.15, 0] = math.nan
    cells[rng.random(n_rows) < 0.15, 1] = math.nan
    return cells


def table_feeds(proto: Any, cells: np.ndarray) -> dict[str, np.ndarray]:
    """One input per column: strings ("" where missing) or numbers (NaN where missing)."""
    feeds = {}
    for index, graph_input in enumerate(proto.graph.input):
        column = cells[:, index : index + 1]
        if graph_input.type.tensor_type.elem_type == onnx.TensorProto.STRING:
            feeds[graph_input.name] = np.where(
                [[isinstance(c, float) for c in row] for row in column], "", column
            ).astype(object)
        else:
            dtype = onnx.helper.tensor_dtype_to_np_dtype(graph_input.type.tensor_type.elem_type)
            feeds[graph_input.name] = column.astype(dtype)
    return feeds


def test_column_transformer_with_numeric_and_categorical_columns() -> None:
    """The pipeline ``sigmanet train --impute mean --standardize`` builds for a table."""
    cells = table(120, 1)
    y = np.where(cells[:, 2].astype(float) + 40 * (cells[:, 3] == "l") > 0, "high", "low")
    numeric = make_pipeline(SimpleImputer(strategy="mean"), StableStandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(
            categories=[["blue", "green", "red"], ["l", "m", "s"]],
            handle_unknown="error",
            sparse_output=False,
        ),
    )
    encode = ColumnTransformer(
        [("numeric", numeric, [0, 2]), ("categorical", categorical, [1, 3])],
        sparse_threshold=0.0,
        verbose_feature_names_out=False,
    )
    preprocessing = Pipeline(
        [("columns", InputColumns(["width", "colour", "height", "size"])), ("encode", encode)]
    )
    estimator = sigmanet.MLPClassifier(hidden_layer_sizes=(6,), max_iter=40, random_state=0)
    model = fit(Pipeline([("preprocessing", preprocessing), ("model", estimator)]), cells, y)
    proto = to_onnx(model)
    names = [(i.name, i.type.tensor_type.elem_type) for i in proto.graph.input]
    assert [name for name, _ in names] == ["width", "colour", "height", "size"]
    assert [kind for _, kind in names] == [onnx.TensorProto.DOUBLE, onnx.TensorProto.STRING] * 2
    test_cells = table(40, 2)
    assert any(isinstance(c, float) and math.isnan(c) for c in test_cells[:, 1])
    assert_matches(model, test_cells, run(proto, table_feeds(proto, test_cells)), np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_data_frame_columns_by_name_and_one_hot_of_numbers(dtype: Any) -> None:
    pandas = pytest.importorskip("pandas")
    cells = table(80, 3)
    frame = pandas.DataFrame(
        {
            "width": cells[:, 0].astype(dtype),
            "colour": ["missing" if isinstance(c, float) else c for c in cells[:, 1]],
            "height": cells[:, 2].astype(dtype),
            "rooms": np.random.default_rng(4).integers(1, 4, size=80).astype(dtype),
        }
    )
    encode = ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(), StandardScaler()), ["width", "height"]),
            ("colours", OneHotEncoder(handle_unknown="ignore", dtype=dtype), ["colour"]),
            ("rooms", OneHotEncoder(drop="first", sparse_output=False, dtype=dtype), ["rooms"]),
        ]
    )
    estimator = sigmanet.LogisticRegression()
    model = fit(make_pipeline(encode, estimator), frame, Y["binary-strings"])
    assert estimator.network_.dtype == dtype
    proto = to_onnx(model)
    test = frame.iloc[:30].copy()
    test.loc[test.index[0], "colour"] = "purple"  # unknown: ignored, a row of zeros
    feeds = {name: test[[name]].to_numpy(object if name == "colour" else dtype) for name in frame}
    assert_matches(model, test, run(proto, feeds), dtype)


@pytest.mark.parametrize("name", ["pipeline_table_f64", "pipeline_scaled_f32", "softmax_f32"])
def test_saved_models_export(name: str) -> None:
    model = sigmanet.load(DATA / f"{name}.safetensors")
    spec = json.loads((DATA / "expected.json").read_text())[name]["input"]
    proto = to_onnx(model)
    if spec["dtype"] == "object":
        cells = np.empty((len(spec["values"]), 4), dtype=object)
        cells[:] = [[math.nan if c is None else c for c in row] for row in spec["values"]]
        assert_matches(model, cells, run(proto, table_feeds(proto, cells)), np.float64)
    else:
        X = np.asarray(spec["values"], dtype=spec["dtype"])
        assert_matches(model, X, run(proto, {"X": X}), X.dtype.type)


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------


def test_recurrent_networks_are_refused() -> None:
    sequences = RNG.normal(size=(12, 4, 2))
    model = fit(sigmanet.RNNClassifier(hidden_size=2, max_iter=2), sequences, np.arange(12) % 2)
    with pytest.raises(ValueError, match=r"RNNClassifier to ONNX: recurrent networks"):
        to_onnx(model)


@pytest.mark.parametrize(
    ("model", "pattern", "targets"),
    [
        (
            lambda: make_pipeline(
                __import__("sklearn.decomposition").decomposition.PCA(2),
                sigmanet.LogisticRegression(),
            ),
            r"PCA to ONNX: not a step the export knows; supported: ColumnTransformer, ",
            "binary-strings",
        ),
        (
            lambda: make_pipeline(FunctionTransformer(np.tanh), sigmanet.LogisticRegression()),
            r"FunctionTransformer to ONNX: only the identity",
            "binary-strings",
        ),
        (
            lambda: make_pipeline(
                StandardScaler(), __import__("sklearn.linear_model").linear_model.Ridge()
            ),
            r"Ridge to ONNX: a model to export must end in a sigmanet",
            "regression",
        ),
        (
            lambda: make_pipeline(
                OneHotEncoder(min_frequency=10, handle_unknown="infrequent_if_exist"),
                sigmanet.LogisticRegression(),
            ),
            r"OneHotEncoder to ONNX: infrequent categories",
            "binary-strings",
        ),
    ],
    ids=["unknown-step", "function", "foreign-estimator", "infrequent"],
)
def test_what_cannot_be_exported_is_refused_by_name(model: Any, pattern: str, targets: str) -> None:
    X = np.round(X_TRAIN * 2)
    fitted = fit(model(), X, Y[targets])
    with pytest.raises(ValueError, match=pattern):
        to_onnx(fitted)


def test_an_activation_without_an_onnx_form_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = fit(
        sigmanet.MLPClassifier(hidden_layer_sizes=(3,), activation="softsign", max_iter=5),
        X_TRAIN,
        Y["bools"],
    )
    monkeypatch.delitem(onnx_graph.ACTIVATIONS, "softsign")
    with pytest.raises(ValueError, match="MLPClassifier to ONNX: activation 'softsign'"):
        to_onnx(model)


def test_unfitted_model_is_refused() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        to_onnx(sigmanet.MLPClassifier())


def test_without_the_onnx_package_the_error_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = fit(sigmanet.LogisticRegression(), X_TRAIN, Y["bools"])
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'sigmanet\[onnx\]'"):
        to_onnx(model)


# --------------------------------------------------------------------------------------------
# Files: written whole, never over an existing file unless asked
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_model() -> Any:
    return fit(sigmanet.SoftmaxRegression(), X_TRAIN, Y["multiclass-strings"])


def test_file_is_the_model_and_runs(tmp_path: pathlib.Path, small_model: Any) -> None:
    path = tmp_path / "model.onnx"
    proto = to_onnx(small_model, path)
    assert path.read_bytes() == proto.SerializeToString()
    loaded = onnx.load(path)
    assert loaded.producer_name == "sigmanet"
    assert loaded.producer_version == sigmanet.__version__
    assert_matches(small_model, X_TEST, run(loaded, {"X": X_TEST}), np.float64)
    assert list(tmp_path.iterdir()) == [path]


def test_existing_file_is_kept_unless_overwrite(tmp_path: pathlib.Path, small_model: Any) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        to_onnx(small_model, path)
    assert path.read_bytes() == b"mine"
    to_onnx(small_model, path, overwrite=True)
    assert onnx.load(path).producer_name == "sigmanet"


def test_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: pathlib.Path, small_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"mine")

    def half_then_fail(fd: int, data: bytes) -> None:
        import os

        os.write(fd, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "_write_fully", half_then_fail)
    with pytest.raises(OSError, match="No space"):
        to_onnx(small_model, path, overwrite=True)
    assert path.read_bytes() == b"mine"
    assert list(tmp_path.iterdir()) == [path]


def test_nothing_is_built_when_the_destination_is_refused(
    tmp_path: pathlib.Path, small_model: Any
) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        to_onnx(small_model, tmp_path / "missing" / "model.onnx")
    with pytest.raises(IsADirectoryError):
        to_onnx(small_model, tmp_path)


def test_a_column_named_as_an_output_is_refused() -> None:
    cells = table(60, 5)
    model = Pipeline(
        [
            ("columns", InputColumns(["label", "colour", "height", "size"])),
            (
                "encode",
                ColumnTransformer(
                    [("one_hot", OneHotEncoder(handle_unknown="ignore"), [1, 3])],
                    remainder="drop",
                ),
            ),
            ("model", sigmanet.LogisticRegression()),
        ]
    )
    fit(model, np.where(cells == cells, cells, "gap"), np.resize(Y["bools"], 60))
    with pytest.raises(ValueError, match=r"input column\(s\) \['label'\] have the names"):
        to_onnx(model)


@pytest.mark.parametrize("target", ["binary-strings", "multiclass-ints"])
@pytest.mark.parametrize("model", [sigmanet.LogisticRegression, sigmanet.SoftmaxRegression])
def test_a_model_fit_under_array_api_dispatch_on_another_device_exports(model, target) -> None:
    # its coef_ and classes_ live in the input's namespace and device, not NumPy's
    xps = pytest.importorskip("array_api_strict")
    device = xps.Device("device1")
    y = Y[target]
    with sigmanet.config_context(array_api_dispatch=True):
        labels = xps.asarray(y, device=device) if y.dtype.kind != "U" else y
        fitted = fit(model(), xps.asarray(X_TRAIN, device=device), labels)
        on_device = fitted.predict_proba(xps.asarray(X_TEST, device=device))
        predicted = fitted.predict(xps.asarray(X_TEST, device=device))
    outputs = run(to_onnx(fitted), {"X": X_TEST})
    host = xps.Device("CPU_DEVICE")
    np.testing.assert_allclose(
        outputs["probabilities"],
        np.from_dlpack(xps.asarray(on_device, device=host, copy=True)),
        rtol=TOLERANCE[np.float64],
        atol=TOLERANCE[np.float64],
    )
    if not isinstance(predicted, np.ndarray):
        predicted = np.from_dlpack(xps.asarray(predicted, device=host, copy=True))
    np.testing.assert_array_equal(outputs["label"], predicted)
