"""Write the format-2 model files that tests/io/test_fixtures.py must keep loading.

These files were written by sigmanet 0.1.0, model-file format version 2 (the code of commit
1778f96), with scikit-learn 1.9.1 and NumPy 2.4.6, before the model-file code became the
``sigmanet.io`` package. They are kept unchanged so that a later sigmanet is tested against
files a user already has; do not regenerate them with a newer sigmanet (that would test
nothing). Run from the repository root::

    python tests/data/format_v2/make_fixtures.py

Each ``<name>.safetensors`` has its inputs and expected outputs in ``expected.json``: every
float is written with ``repr``, which round-trips float64 (and so float32) exactly; a missing
value of a table's cell is written as ``null``.
"""

from __future__ import annotations

import json
import math
import pathlib
import warnings
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

import sigmanet
from sigmanet.preprocessing import InputColumns, StableStandardScaler

HERE = pathlib.Path(__file__).resolve().parent
RNG = np.random.default_rng(2026)
X_TRAIN = RNG.normal(size=(60, 4))
SCORE = X_TRAIN @ RNG.normal(size=(4, 3))
Y_BINARY = np.where(SCORE[:, 0] > 0, "yes", "no")
Y_MULTI = np.array(["cat", "dog", "emu"])[np.argmax(SCORE, axis=1)]
Y_REGRESSION = SCORE[:, :2] * 10.0 + 3.0
#: The inputs the expected outputs of the array models are computed on.
X = RNG.normal(size=(7, 4))

SEQUENCES_TRAIN = RNG.normal(size=(30, 5, 2))
Y_SEQUENCES = np.where(SEQUENCES_TRAIN[:, :, 0].sum(axis=1) > 0, 1, 0)
SEQUENCES = RNG.normal(size=(4, 5, 2))


def _table(n_rows: int, seed: int) -> np.ndarray:
    """A table as the command line reads one: numbers and category names, with gaps."""
    rng = np.random.default_rng(seed)
    table = np.empty((n_rows, 4), dtype=object)
    table[:, 0] = rng.normal(size=n_rows).tolist()
    table[:, 1] = (rng.normal(size=n_rows) * 100.0).tolist()
    table[:, 2] = rng.choice(["red", "green", "blue"], size=n_rows).tolist()
    table[:, 3] = rng.choice(["s", "m", "l"], size=n_rows).tolist()
    table[rng.random(n_rows) < 0.1, 0] = math.nan
    table[rng.random(n_rows) < 0.1, 2] = math.nan
    return table


TABLE_TRAIN = _table(80, 1)
#: The table the expected outputs of the table pipeline are computed on.
TABLE = _table(8, 2)
TABLE[0, 0] = math.nan
TABLE[1, 2] = math.nan
Y_TABLE = np.where(
    TABLE_TRAIN[:, 1].astype(float) + 50.0 * (TABLE_TRAIN[:, 3] == "l") > 0, "high", "low"
)


def _table_pipeline() -> Pipeline:
    """The pipeline ``sigmanet train --impute mean --standardize`` builds for the table."""
    numeric = Pipeline(
        [("impute", SimpleImputer(strategy="mean")), ("standardize", StableStandardScaler())]
    )
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            (
                "one_hot",
                OneHotEncoder(
                    categories=[["blue", "green", "red"], ["l", "m", "s"]],
                    handle_unknown="error",
                    sparse_output=False,
                ),
            ),
        ]
    )
    encode = ColumnTransformer(
        [("numeric", numeric, [0, 1]), ("categorical", categorical, [2, 3])],
        sparse_threshold=0.0,
        verbose_feature_names_out=False,
    )
    preprocessing = Pipeline(
        [("columns", InputColumns(["x", "y", "colour", "size"])), ("encode", encode)]
    )
    model = sigmanet.MLPClassifier(hidden_layer_sizes=(5,), activation="tanh", max_iter=40)
    return Pipeline([("preprocessing", preprocessing), ("model", model)])


# name -> (model, X_train, y_train, dtype or None for a table, inputs of the expected outputs)
MODELS: dict[str, tuple[Any, Any, Any, Any, Any]] = {
    "logistic_f64": (sigmanet.LogisticRegression(), X_TRAIN, Y_BINARY, np.float64, X),
    "softmax_f32": (sigmanet.SoftmaxRegression(), X_TRAIN, Y_MULTI, np.float32, X),
    "mlp_classifier_f32": (
        sigmanet.MLPClassifier(
            hidden_layer_sizes=(6, 4), activation=["relu", "logistic"], dropout=0.1, max_iter=25
        ),
        X_TRAIN,
        Y_MULTI,
        np.float32,
        X,
    ),
    "mlp_regressor_f64": (
        sigmanet.MLPRegressor(
            hidden_layer_sizes=(5,), activation="softplus", solver="lbfgs", max_iter=40
        ),
        X_TRAIN,
        Y_REGRESSION,
        np.float64,
        X,
    ),
    "rnn_classifier_f32": (
        sigmanet.RNNClassifier(hidden_size=3, max_iter=10),
        SEQUENCES_TRAIN,
        Y_SEQUENCES,
        np.float32,
        SEQUENCES,
    ),
    "pipeline_table_f64": (_table_pipeline(), TABLE_TRAIN, Y_TABLE, None, TABLE),
    "pipeline_scaled_f32": (
        Pipeline(
            [
                ("scale", StandardScaler()),
                ("range", MinMaxScaler()),
                (
                    "model",
                    TransformedTargetRegressor(
                        regressor=sigmanet.MLPRegressor(hidden_layer_sizes=(4,), max_iter=30),
                        transformer=StableStandardScaler(),
                    ),
                ),
            ]
        ),
        X_TRAIN,
        Y_REGRESSION[:, 0],
        np.float32,
        X,
    ),
}

METHODS = ("predict", "predict_proba", "decision_function", "transform")


def _plain(value: Any) -> Any:
    """JSON for an input: NaN cells of a table as null."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _set_random_state(model: Any) -> None:
    for name in model.get_params(deep=True):
        if name == "random_state" or name.endswith("__random_state"):
            model.set_params(**{name: 0})


def main() -> None:
    expected: dict[str, Any] = {}
    for name, (model, X_train, y, dtype, inputs) in MODELS.items():
        _set_random_state(model)
        if dtype is not None:
            X_train, inputs = X_train.astype(dtype), inputs.astype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y)
        sigmanet.save(model, HERE / f"{name}.safetensors", overwrite=True)
        outputs = {}
        for method in METHODS:
            if hasattr(model, method):
                result = getattr(model, method)(inputs)
                outputs[method] = {"dtype": result.dtype.str, "values": result.tolist()}
        expected[name] = {
            "input": {
                "dtype": "object" if dtype is None else np.dtype(dtype).str,
                "values": _plain(inputs.tolist()),
            },
            "outputs": outputs,
        }
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
