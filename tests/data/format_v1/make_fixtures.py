"""Write the format-1 model files that tests/io/test_fixtures.py must keep loading.

These files were written by sigmanet 0.1.0, model-file format version 1 (commit 67e21a8),
with scikit-learn 1.9.1 and NumPy 2.4.6, before format 2 existed. They are kept unchanged so
that a later sigmanet is tested against files a user already has; do not regenerate them with a
newer sigmanet (that would test nothing). Run from the repository root::

    python tests/data/format_v1/make_fixtures.py

Each ``<name>.safetensors`` has its expected outputs on :data:`X` in ``expected.json``: every
float is written with ``repr``, which round-trips float64 (and so float32) exactly.
"""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

import sigmanet

HERE = pathlib.Path(__file__).resolve().parent
RNG = np.random.default_rng(2024)
X_TRAIN = RNG.normal(size=(40, 3))
SCORE = X_TRAIN @ RNG.normal(size=(3, 3))
Y_BINARY = np.where(SCORE[:, 0] > 0, "yes", "no")
Y_MULTI = np.array(["cat", "dog", "emu"])[np.argmax(SCORE, axis=1)]
Y_REGRESSION = SCORE[:, :2]
#: The inputs the expected outputs are computed on.
X = RNG.normal(size=(6, 3))

MODELS = {
    "logistic_f64": (sigmanet.LogisticRegression(), Y_BINARY, np.float64),
    "logistic_ovr_f32": (sigmanet.LogisticRegression(), Y_MULTI, np.float32),
    "softmax_f64": (sigmanet.SoftmaxRegression(), Y_MULTI, np.float64),
    "softmax_f32": (sigmanet.SoftmaxRegression(), Y_MULTI, np.float32),
    "mlp_classifier_f64": (
        sigmanet.MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", max_iter=20),
        Y_MULTI,
        np.float64,
    ),
    "mlp_classifier_f32": (
        sigmanet.MLPClassifier(
            hidden_layer_sizes=(3, 2), activation=["gelu", "maxout"], max_iter=15
        ),
        Y_BINARY,
        np.float32,
    ),
    "mlp_regressor_f64": (
        sigmanet.MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=30),
        Y_REGRESSION,
        np.float64,
    ),
    "mlp_regressor_f32": (
        sigmanet.MLPRegressor(hidden_layer_sizes=(3,), activation="prelu", max_iter=20),
        Y_REGRESSION[:, 0],
        np.float32,
    ),
}

METHODS = ("predict", "predict_proba", "decision_function", "transform")


def main() -> None:
    expected: dict[str, object] = {"X": X.tolist(), "models": {}}
    for name, (estimator, y, dtype) in MODELS.items():
        estimator.set_params(random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X_TRAIN.astype(dtype), y)
        sigmanet.save(estimator, HERE / f"{name}.safetensors", overwrite=True)
        outputs = {}
        for method in METHODS:
            if hasattr(estimator, method):
                result = getattr(estimator, method)(X.astype(dtype))
                outputs[method] = {"dtype": result.dtype.str, "values": result.tolist()}
        expected["models"][name] = outputs  # type: ignore[index]
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
