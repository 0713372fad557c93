"""Predictions through the compiled kernel against the NumPy path: same values, same dtype.

The kernel (:mod:`sigmanet.engine._predict`) applies the bias and activation in one pass after
each product and the output function (softmax, sigmoid, the binary pair) in the last layer's
pass; every output here is compared with the NumPy path's logits put through
:mod:`sigmanet.activations`.
"""

from __future__ import annotations

import numpy as np
import pytest

from sigmanet import MLPClassifier, MLPRegressor, activations
from sigmanet.engine import ACTIVATIONS, AUTO_ACTIVATIONS, _full_batch, forward
from sigmanet.engine._full_batch import PREDICTED_ACTIVATIONS
from sigmanet.layers import Activation, Dense
from sigmanet.network import Sequential

# the fits are short on purpose: only their predictions are compared
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RTOL = {np.float64: 1e-12, np.float32: 1e-5}


def _reference(z: np.ndarray, output: str) -> np.ndarray:
    if output == "softmax":
        return activations.softmax(z, axis=1)
    if output == "sigmoid":
        return activations.sigmoid(z)
    if output == "binary":
        return np.column_stack([activations.sigmoid(-z[:, 0]), activations.sigmoid(z[:, 0])])
    return z


def _network(activation: str, dtype, k: int, hidden=(9, 6), bias: bool = True):
    layers = []
    for width in hidden:
        layers += [Dense(width, use_bias=bias), Activation(activation)]
    return Sequential([*layers, Dense(k, use_bias=bias)]).build(7, random_state=0, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("output", "k"), [("logits", 3), ("softmax", 4), ("sigmoid", 3), ("binary", 1)]
)
def test_every_output_agrees_with_numpy(dtype, output, k):
    net = _network("relu", dtype, k)
    # more rows than a block, and a last block that is not full
    X = np.random.default_rng(1).normal(size=(2 * _full_batch.BLOCK_ROWS + 37, 7)).astype(dtype)
    X *= 3
    out = forward(net, X, output=output)
    assert out is not None and out.dtype == dtype
    expected = _reference(net.predict(X), output)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=RTOL[dtype], atol=RTOL[dtype] * 1e-3)


@pytest.mark.parametrize("activation", PREDICTED_ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_predicted_activation_agrees_with_numpy(activation, dtype):
    net = _network(activation, dtype, 5)
    X = np.random.default_rng(2).normal(size=(300, 7)).astype(dtype)
    out = forward(net, X, engine="compiled", output="softmax")
    assert out is not None and out.dtype == dtype
    expected = activations.softmax(net.predict(X), axis=1)
    np.testing.assert_allclose(out, expected, rtol=RTOL[dtype], atol=RTOL[dtype] * 1e-3)


LEFT_TO_NUMPY = [name for name in ACTIVATIONS if name not in PREDICTED_ACTIVATIONS]


def test_some_activations_are_left_to_numpy():
    # exp and erf are vectorised there (see PREDICTED_ACTIVATIONS): the tests below need one
    assert LEFT_TO_NUMPY


@pytest.mark.parametrize("activation", LEFT_TO_NUMPY)
def test_the_kernel_leaves_the_other_activations_to_numpy(activation):
    net = _network(activation, np.float32, 5)
    assert forward(net, np.zeros((4, 7), np.float32), engine="compiled") is None


def test_a_network_the_kernel_leaves_to_numpy_predicts_there():
    X, y = _data(3, np.float32)
    # engine="auto" trains and predicts it on NumPy: nothing compiles
    name = next(a for a in LEFT_TO_NUMPY if a not in AUTO_ACTIVATIONS["epoch"]["float32"])
    model = MLPClassifier((8,), activation=name, max_iter=5, random_state=0)
    proba = model.fit(X, y).predict_proba(X)
    assert model.engine_ == "numpy"
    expected = activations.softmax(model.network_.predict(X), axis=1)
    np.testing.assert_array_equal(proba, expected)


def test_layers_without_bias_agree_with_numpy():
    net = _network("leaky_relu", np.float64, 3, bias=False)
    X = np.random.default_rng(3).normal(size=(50, 7))
    np.testing.assert_allclose(forward(net, X), net.predict(X), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_saturated_and_non_finite_rows_match_numpy(dtype):
    net = Sequential([Dense(3)]).build(2, random_state=0, dtype=dtype)
    net.layers[0].params["W"][...] = np.array([[1, 0, -1], [0, 0, 0]], dtype=dtype)
    net.layers[0].params["b"][...] = 0
    big = np.finfo(dtype).max
    X = np.array([[1e4, 0], [-1e4, 0], [np.inf, 0], [-np.inf, 0], [np.nan, 0], [big, 0]], dtype)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf in the NumPy reference
        z = net.predict(X)
    for output in ("softmax", "sigmoid"):
        out = forward(net, X, output=output)
        expected = _reference(z, output)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(expected), err_msg=output)
        finite = ~np.isnan(expected)
        np.testing.assert_allclose(out[finite], expected[finite], rtol=RTOL[dtype], atol=0)


def test_an_unknown_output_is_a_clear_error():
    net = _network("relu", np.float64, 3)
    with pytest.raises(ValueError, match="output must be one of"):
        forward(net, np.zeros((2, 7)), output="probabilities")
    with pytest.raises(ValueError, match="output='binary' needs one output"):
        forward(net, np.zeros((2, 7)), output="binary")


def _data(n_classes: int, dtype, multilabel: bool = False):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6)).astype(dtype)
    if multilabel:
        return X, (X[:, :3] + rng.normal(size=(400, 3)) > 0).astype(int)
    return X, np.argmax(X[:, :n_classes] + rng.normal(size=(400, n_classes)), axis=1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", ["binary", "multiclass", "multilabel"])
def test_classifier_predictions_equal_the_numpy_engine(dtype, case):
    X, y = _data(2 if case == "binary" else 4, dtype, multilabel=case == "multilabel")
    common = {"hidden_layer_sizes": (16, 8), "max_iter": 30, "random_state": 0}
    compiled = MLPClassifier(**common).fit(X, y)
    numpy_path = MLPClassifier(**common).fit(X, y).set_params(engine="numpy")
    for method in ("predict_proba", "decision_function", "predict_log_proba"):
        got, expected = getattr(compiled, method)(X), getattr(numpy_path, method)(X)
        assert got.dtype == expected.dtype == dtype, method
        np.testing.assert_allclose(got, expected, rtol=RTOL[dtype], atol=RTOL[dtype] * 1e-3)
    np.testing.assert_array_equal(compiled.predict(X), numpy_path.predict(X))


def test_classifier_probabilities_are_rows_of_the_classes():
    X, y = _data(4, np.float32)
    proba = MLPClassifier((8,), max_iter=20, random_state=0).fit(X, y).predict_proba(X)
    assert proba.shape == (400, 4) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regressor_predictions_equal_the_numpy_engine(loss):
    X, _ = _data(2, np.float32)
    y = np.exp(0.3 * X[:, 0]) if loss == "poisson" else X[:, 0] - X[:, 1]
    common = {"hidden_layer_sizes": (8,), "max_iter": 20, "random_state": 0, "loss": loss}
    compiled = MLPRegressor(**common).fit(X, y)
    numpy_path = MLPRegressor(**common).fit(X, y).set_params(engine="numpy")
    got, expected = compiled.predict(X), numpy_path.predict(X)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8)


def test_nan_input_to_predict_proba_is_a_clear_error():
    X, y = _data(3, np.float32)
    model = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.predict_proba(X)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_kernel_counts_non_finite_inputs_in_every_block(dtype):
    # forward(finite=True) is None when any row of any block holds NaN or ±inf: the estimators
    # rely on it instead of a separate scan of X
    net = _network("relu", dtype, 3)
    X = np.random.default_rng(4).normal(size=(2 * _full_batch.BLOCK_ROWS + 5, 7)).astype(dtype)
    assert forward(net, X, finite=True) is not None
    for row in (0, _full_batch.BLOCK_ROWS + 3, X.shape[0] - 1):
        for value in (np.nan, np.inf, -np.inf):
            bad = X.copy()
            bad[row, row % 7] = value
            assert forward(net, bad, finite=True) is None, (row, value)
            with np.errstate(invalid="ignore", over="ignore"):
                assert forward(net, bad) is not None  # without finite=True: propagated


@pytest.mark.parametrize("model_dtype", [np.float64, np.float32])
@pytest.mark.parametrize("X_dtype", [np.float64, np.float32])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_input_gets_scikit_learns_error_on_either_engine(model_dtype, X_dtype, value):
    X, y = _data(3, model_dtype)
    message = "Input X contains NaN" if np.isnan(value) else "Input X contains infinity"
    for engine in ("auto", "numpy"):
        model = MLPClassifier((8,), max_iter=5, random_state=0, engine=engine).fit(X, y)
        bad = X.astype(X_dtype)
        bad[-1, 2] = value  # in the last block only
        for method in ("predict_proba", "predict", "decision_function", "predict_log_proba"):
            with pytest.raises(ValueError, match=message) as error:
                getattr(model, method)(bad)
            assert "MLPClassifier" in str(error.value) or not np.isnan(value), method


def test_values_beyond_the_models_dtype_stay_their_own_error():
    X, y = _data(3, np.float32)
    model = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    huge = X.astype(np.float64)
    huge[0, 0] = 1e300
    with pytest.raises(ValueError, match="beyond the range of float32"):
        model.predict_proba(huge)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_read_only_input_predicts_as_a_writable_one(dtype):
    # scikit-learn's checks pass read-only memory maps; the kernel writes only its own blocks
    net = _network("relu", dtype, 3)
    X = np.random.default_rng(5).normal(size=(300, 7)).astype(dtype)
    read_only = X.copy()
    read_only.setflags(write=False)
    for output in ("logits", "softmax", "sigmoid"):
        np.testing.assert_array_equal(
            forward(net, read_only, output=output), forward(net, X, output=output), output
        )
    single = _network("relu", dtype, 1)
    np.testing.assert_array_equal(
        forward(single, read_only, output="binary"), forward(single, X, output="binary")
    )
