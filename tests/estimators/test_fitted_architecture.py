"""What was fitted stays what is saved: set_params after fit, warm starts and partial_fit
after a change of the layers."""

from __future__ import annotations

import pathlib
import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import sigmanet
from sigmanet import LogisticRegression, MLPClassifier, MLPRegressor, SoftmaxRegression

RNG = np.random.default_rng(11)
X = RNG.normal(size=(60, 4))
Y_CLASSES = np.array(["a", "b", "c"])[np.argmax(X[:, :3], axis=1)]
Y_VALUES = X @ RNG.normal(size=4)


def quietly(call: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return call(*args, **kwargs)


def outputs(model: Any, X: np.ndarray) -> dict[str, np.ndarray]:
    names = ("predict", "predict_proba", "decision_function", "transform")
    return {name: getattr(model, name)(X) for name in names if hasattr(model, name)}


@pytest.mark.parametrize(
    ("make", "y", "change"),
    [
        (lambda: MLPClassifier(hidden_layer_sizes=(5,)), Y_CLASSES, {"hidden_layer_sizes": (7,)}),
        (lambda: MLPClassifier(hidden_layer_sizes=(5,)), Y_CLASSES, {"activation": "tanh"}),
        (
            lambda: MLPClassifier(hidden_layer_sizes=(4,), activation="maxout"),
            Y_CLASSES,
            {"maxout_pieces": 3},
        ),
        (lambda: MLPClassifier(hidden_layer_sizes=(4,)), Y_CLASSES, {"loss": "hinge"}),
        (lambda: MLPClassifier(hidden_layer_sizes=(4,)), Y_CLASSES, {"dropout": 0.5}),
        (
            lambda: MLPRegressor(hidden_layer_sizes=(4, 3)),
            Y_VALUES,
            {"hidden_layer_sizes": (2,), "activation": ["relu"]},
        ),
        (lambda: LogisticRegression(), Y_CLASSES, {"fit_intercept": False}),
        (lambda: SoftmaxRegression(), Y_CLASSES, {"fit_intercept": False, "C": 1e-3}),
    ],
    ids=[
        "mlp-sizes",
        "mlp-activation",
        "maxout-pieces",
        "loss",
        "dropout",
        "regressor",
        "lr",
        "sr",
    ],
)
def test_save_after_set_params_writes_the_fitted_model(
    tmp_path: pathlib.Path, make: Any, y: np.ndarray, change: dict[str, Any]
) -> None:
    model = quietly(make().set_params(random_state=0, max_iter=20).fit, X, y)
    fitted_params = model.get_params()
    expected = outputs(model, X)
    model.set_params(**change)
    loaded = sigmanet.load(sigmanet.save(model, tmp_path / "m.safetensors"))
    assert loaded.get_params() == fitted_params
    actual = outputs(loaded, X)
    assert list(actual) == list(expected)
    for name in expected:
        assert np.array_equal(actual[name], expected[name]), name
    # in a pipeline too
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipeline = quietly(make_pipeline(StandardScaler(), make().set_params(max_iter=10)).fit, X, y)
    before = pipeline.predict(X)
    pipeline[-1].set_params(**change)
    back = sigmanet.load(sigmanet.save(pipeline, tmp_path / "p.safetensors"))
    assert np.array_equal(back.predict(X), before)


@pytest.mark.parametrize(
    ("make", "y", "change", "named"),
    [
        (
            lambda: MLPClassifier(hidden_layer_sizes=(5,)),
            Y_CLASSES,
            {"hidden_layer_sizes": (7,)},
            "hidden_layer_sizes",
        ),
        (
            lambda: MLPClassifier(hidden_layer_sizes=(5, 2)),
            Y_CLASSES,
            {"activation": ["relu", "gelu"]},
            "activation",
        ),
        (
            lambda: MLPRegressor(hidden_layer_sizes=(3,), activation="maxout"),
            Y_VALUES,
            {"maxout_pieces": 4},
            "maxout_pieces",
        ),
        (lambda: MLPRegressor(hidden_layer_sizes=(3,)), Y_VALUES, {"dropout": 0.2}, "dropout"),
        (lambda: LogisticRegression(), Y_CLASSES, {"fit_intercept": False}, "fit_intercept"),
        (lambda: SoftmaxRegression(), Y_CLASSES, {"fit_intercept": False}, "fit_intercept"),
    ],
    ids=["sizes", "activation", "maxout-pieces", "dropout", "logistic", "softmax"],
)
def test_warm_start_after_a_change_of_layers_is_refused(
    make: Any, y: np.ndarray, change: dict[str, Any], named: str
) -> None:
    model = quietly(make().set_params(random_state=0, max_iter=5, warm_start=True).fit, X, y)
    weights = [p.copy() for p in model.network_.parameters()]
    expected = model.predict(X)
    model.set_params(**change)
    with pytest.raises(ValueError, match=f"warm_start=True cannot continue.*{named} was"):
        quietly(model.fit, X, y)
    # nothing was touched: the old weights still compute the old predictions
    assert all(
        np.array_equal(a, b) for a, b in zip(model.network_.parameters(), weights, strict=True)
    )
    assert np.array_equal(model.predict(X), expected)
    # without warm_start the same parameters fit from scratch
    model.set_params(warm_start=False)
    quietly(model.fit, X, y)
    assert model.get_params()[named] == change[named]


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_partial_fit_after_a_change_of_layers_is_refused(cls: type) -> None:
    y = Y_CLASSES if cls is MLPClassifier else Y_VALUES
    kwargs = {"classes": np.unique(y)} if cls is MLPClassifier else {}
    model = cls(hidden_layer_sizes=(4,), random_state=0)
    model.partial_fit(X, y, **kwargs)
    model.partial_fit(X, y)
    model.set_params(hidden_layer_sizes=(4, 4))
    with pytest.raises(ValueError, match=r"partial_fit cannot continue.*hidden_layer_sizes"):
        model.partial_fit(X, y)


def test_warm_start_with_the_same_layers_continues(tmp_path: pathlib.Path) -> None:
    model = quietly(
        MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, warm_start=True, random_state=0).fit,
        X,
        Y_CLASSES,
    )
    model.set_params(max_iter=4, learning_rate_init=0.01)
    quietly(model.fit, X, Y_CLASSES)
    # scikit-learn's counts: n_iter_ for the last fit, loss_curve_ across the warm start
    assert model.n_iter_ == 4 and len(model.loss_curve_) == 7
    # the file records the settings of the last fit
    loaded = sigmanet.load(sigmanet.save(model, tmp_path / "m"))
    assert loaded.max_iter == 4 and loaded.learning_rate_init == 0.01
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
