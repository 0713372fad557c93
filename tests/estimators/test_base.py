"""Contracts every estimator shares (sigmanet.estimators._base): what no single model's tests
can promise alone."""

from __future__ import annotations

import numpy as np
import pytest

from sigmanet.estimators import ESTIMATORS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _fitted_float32(name, X, y):
    return ESTIMATORS[name](max_iter=5, random_state=0).fit(X.astype(np.float32), y)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_a_float32_model_refuses_inputs_beyond_float32s_range(name, binary_data):
    # 1e39 has no float32 value: casting it would give inf (and a warning). Computing in float64
    # instead would silently answer with another dtype than the model's.
    X, y = binary_data
    model = _fitted_float32(name, X, y if name != "MLPRegressor" else y.astype(float))
    assert model.predict(X[:3]).dtype == (np.float32 if name == "MLPRegressor" else y.dtype)
    beyond = X[:3].astype(np.float64)
    beyond[1, 0] = 1e39
    methods = [
        method
        for method in ("predict", "predict_proba", "predict_log_proba", "decision_function")
        if hasattr(model, method)
    ]
    if name.startswith("MLP"):
        methods.append("transform")
    assert "predict" in methods
    for method in methods:
        with pytest.raises(ValueError, match=r"beyond the range of float32.*1e\+39"):
            getattr(model, method)(beyond)
    with pytest.raises(ValueError, match="beyond the range of float32"):
        model.score(beyond, y[:3] if name != "MLPRegressor" else y[:3].astype(float))
