"""The linear models on array-API input (array_api_strict; PyTorch CPU when installed).

Under ``sigmanet.config_context(array_api_dispatch=True)`` the objective is evaluated in the
input's namespace and on its device; L-BFGS runs on the host. The fit must equal the NumPy fit
(the same L-BFGS path: 1e-12 in float64), and what comes back must be in the input's namespace
and on its device. array_api_strict's extra devices ("device1") catch any array left behind on
the default device: it refuses to compute across devices.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import sigmanet
from sigmanet import LogisticRegression, MLPClassifier, SoftmaxRegression

xps = pytest.importorskip("array_api_strict")

MODELS = [LogisticRegression, SoftmaxRegression]
DEVICE = xps.Device("device1")
ARRAY = type(xps.asarray(0.0))


def host(array):
    """A NumPy copy of an array_api_strict array on any device."""
    return np.from_dlpack(xps.asarray(array, device=xps.Device("CPU_DEVICE"), copy=True))


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X)[:200], y[:200]


def dispatched_fit(model, X, y, **fit_params):
    with sigmanet.config_context(array_api_dispatch=True):
        return model.fit(xps.asarray(X, device=DEVICE), y, **fit_params)


# -- the fit equals the NumPy fit ------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("data", ["iris", "cancer"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_float64_fit_equals_numpy_fit(model, data, fit_intercept, request):
    X, y = request.getfixturevalue(data)
    reference = model(fit_intercept=fit_intercept).fit(X, y)
    fitted = dispatched_fit(model(fit_intercept=fit_intercept), X, y)
    assert fitted.coef_.dtype == xps.float64
    np.testing.assert_allclose(host(fitted.coef_), reference.coef_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(host(fitted.intercept_), reference.intercept_, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(fitted.n_iter_, reference.n_iter_)
    np.testing.assert_allclose(fitted.loss_curve_, reference.loss_curve_, rtol=1e-13)


@pytest.mark.parametrize("model", MODELS)
def test_float32_stays_float32_and_matches_numpy_fit(model, iris):
    X, y = iris
    X32 = X.astype(np.float32)
    reference = model().fit(X32, y)
    fitted = dispatched_fit(model(), X32, y)
    assert fitted.dtype_ == np.float32
    assert fitted.coef_.dtype == xps.float32
    with sigmanet.config_context(array_api_dispatch=True):
        proba = fitted.predict_proba(xps.asarray(X32, device=DEVICE))
    assert proba.dtype == xps.float32
    # float32 sums in another order: the L-BFGS paths part at float32 rounding
    np.testing.assert_allclose(host(fitted.coef_), reference.coef_, rtol=0, atol=2e-3)


@pytest.mark.parametrize("model", MODELS)
def test_sample_weight_in_any_namespace_equals_numpy_fit(model, iris):
    X, y = iris
    weight = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y))
    reference = model(class_weight="balanced").fit(X, y, sample_weight=weight)
    for given in (weight, xps.asarray(weight, device=DEVICE), xps.asarray(weight)):
        fitted = dispatched_fit(model(class_weight="balanced"), X, y, sample_weight=given)
        np.testing.assert_allclose(host(fitted.coef_), reference.coef_, rtol=0, atol=1e-12)
        np.testing.assert_allclose(host(fitted.intercept_), reference.intercept_, atol=1e-12)


def test_zero_weights_drop_rows(iris):
    X, y = iris
    weight = np.ones(len(y))
    weight[::3] = 0.0
    keep = weight > 0
    reference = SoftmaxRegression().fit(X[keep], y[keep])
    fitted = dispatched_fit(SoftmaxRegression(), X, y, sample_weight=weight)
    np.testing.assert_allclose(host(fitted.coef_), reference.coef_, atol=1e-6)


def test_warm_start_continues_from_the_previous_fit(iris):
    X, y = iris
    model = LogisticRegression(max_iter=3, warm_start=True)
    with pytest.warns(ConvergenceWarning, match="failed to converge"):
        dispatched_fit(model, X, y)
    first = host(model.coef_)
    with pytest.warns(ConvergenceWarning, match="failed to converge"):
        dispatched_fit(model, X, y)
    assert not np.allclose(host(model.coef_), first)
    cold = LogisticRegression(max_iter=3)
    with pytest.warns(ConvergenceWarning, match="failed to converge"):
        dispatched_fit(cold, X, y)
    np.testing.assert_allclose(host(cold.coef_), first, atol=1e-12)


# -- what comes back, and where -------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("labels", ["int", "bool"])
def test_outputs_in_the_input_namespace_and_device(model, labels, iris):
    X, y = iris
    if labels == "bool":
        y = y == 1
    reference = model().fit(X, y)
    fitted = dispatched_fit(model(), X, y)
    X_device = xps.asarray(X, device=DEVICE)
    for attribute in ("coef_", "intercept_"):
        value = getattr(fitted, attribute)
        assert isinstance(value, ARRAY) and value.device == DEVICE
    with sigmanet.config_context(array_api_dispatch=True):
        for method in ("decision_function", "predict_proba", "predict_log_proba", "predict"):
            out = getattr(fitted, method)(X_device)
            assert isinstance(out, ARRAY), method
            assert out.device == DEVICE, method
            expected = getattr(reference, method)(X)
            if expected.dtype.kind == "f":
                np.testing.assert_allclose(host(out), expected, rtol=1e-11, atol=1e-12)
            else:
                np.testing.assert_array_equal(host(out), expected)
    assert isinstance(fitted.classes_, np.ndarray)  # labels stay on the host (see the docs)


def test_string_labels_predict_a_numpy_array(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    fitted = dispatched_fit(SoftmaxRegression(), X, names)
    with sigmanet.config_context(array_api_dispatch=True):
        predicted = fitted.predict(xps.asarray(X, device=DEVICE))
    assert isinstance(predicted, np.ndarray)
    np.testing.assert_array_equal(predicted, SoftmaxRegression().fit(X, names).predict(X))


def test_labels_in_the_input_namespace(iris):
    X, y = iris
    fitted = dispatched_fit(LogisticRegression(), X, xps.asarray(y, device=DEVICE))
    # scikit-learn's classes_ = xp.unique_values(y): in y's namespace, on y's device
    assert isinstance(fitted.classes_, ARRAY) and fitted.classes_.device == DEVICE
    np.testing.assert_array_equal(host(fitted.classes_), [0, 1, 2])
    reference = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(host(fitted.coef_), reference.coef_, atol=1e-12)
    with sigmanet.config_context(array_api_dispatch=True):
        predicted = fitted.predict(xps.asarray(X, device=DEVICE))
    assert predicted.device == DEVICE
    np.testing.assert_array_equal(host(predicted), reference.predict(X))
    # saved and loaded, or fitted again on NumPy labels: NumPy
    assert isinstance(pickle.loads(pickle.dumps(fitted)).classes_, ARRAY)
    fitted.fit(X, y)
    assert isinstance(fitted.classes_, np.ndarray)


@pytest.mark.parametrize("model", MODELS)
def test_labels_stay_where_y_is(model, iris):
    """As scikit-learn: classes_ and the predicted labels in y's namespace and device, also
    when X is elsewhere (here y on the default device, X on another)."""
    X, y = iris
    y_cpu = xps.asarray(y == 2)  # bool labels, on array_api_strict's default device
    fitted = dispatched_fit(model(), X, y_cpu)
    assert isinstance(fitted.classes_, ARRAY) and fitted.classes_.device == y_cpu.device
    assert fitted.classes_.dtype == xps.bool
    with sigmanet.config_context(array_api_dispatch=True):
        predicted = fitted.predict(xps.asarray(X, device=DEVICE))
        proba = fitted.predict_proba(xps.asarray(X, device=DEVICE))
    assert predicted.device == y_cpu.device and proba.device == DEVICE
    np.testing.assert_array_equal(host(predicted), model().fit(X, y == 2).predict(X))
    # a warm start on the same labels keeps their namespace; the NumPy predict gives NumPy
    fitted.set_params(warm_start=True)
    with sigmanet.config_context(array_api_dispatch=True):
        fitted.fit(xps.asarray(X, device=DEVICE), y_cpu)
    assert isinstance(fitted.classes_, ARRAY)
    assert isinstance(fitted.predict(X), np.ndarray)


def test_numpy_model_predicts_array_api_input(iris):
    X, y = iris
    fitted = SoftmaxRegression().fit(X, y)
    assert isinstance(fitted.coef_, np.ndarray)
    with sigmanet.config_context(array_api_dispatch=True):
        proba = fitted.predict_proba(xps.asarray(X, device=DEVICE))
    assert proba.device == DEVICE
    np.testing.assert_allclose(host(proba), fitted.predict_proba(X), atol=1e-14)


def test_a_numpy_fit_after_an_array_api_fit_gives_numpy_attributes(iris):
    X, y = iris
    model = dispatched_fit(LogisticRegression(), X, y)
    model.fit(X, y)
    assert isinstance(model.coef_, np.ndarray)
    assert isinstance(model.intercept_, np.ndarray)


def test_pickle_keeps_the_namespace(iris):
    X, y = iris
    model = dispatched_fit(LogisticRegression(), X, y)
    copy = pickle.loads(pickle.dumps(model))
    assert copy.coef_.device == DEVICE
    np.testing.assert_array_equal(host(copy.coef_), host(model.coef_))


def test_extreme_values_raise_no_warning():
    # logits of ±1e6 at the start of the line search: no exp of a positive number is taken
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2)) * 1e4
    y = (X[:, 0] > 0).astype(int)
    model = LogisticRegression(C=1e6, max_iter=20)
    with pytest.warns(ConvergenceWarning, match="failed to converge"):
        dispatched_fit(model, X, y)
    assert np.isfinite(host(model.coef_)).all()


# -- refusals and the dispatch switch --------------------------------------------------------------


@pytest.mark.parametrize("solver", ["gd", "sgd", "minibatch", "adam"])
def test_other_solvers_refuse_array_api_input(solver, iris):
    X, y = iris
    with pytest.raises(ValueError, match=r"solver='(gd|sgd|minibatch|adam)'.*solver='lbfgs' only"):
        dispatched_fit(LogisticRegression(solver=solver), X, y)


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        (np.zeros(5), ValueError, "X must be 2-D"),
        (np.array([[0.0, np.nan], [1.0, 2.0]]), ValueError, "NaN or infinity"),
        (np.zeros((0, 3)), ValueError, "at least one sample"),
    ],
)
def test_bad_x_is_refused_by_name(X, error, match):
    with (
        sigmanet.config_context(array_api_dispatch=True),
        pytest.raises(error, match=match),
    ):
        LogisticRegression().fit(xps.asarray(X), np.arange(len(X)) % 2)


def test_integer_x_trains_in_float64(iris):
    X, y = iris
    integers = np.round(X * 2).astype(np.int64)
    fitted = dispatched_fit(LogisticRegression(max_iter=1000), integers, y)
    assert fitted.coef_.dtype == xps.float64
    reference = LogisticRegression(max_iter=1000).fit(integers.astype(np.float64), y)
    np.testing.assert_allclose(host(fitted.coef_), reference.coef_, atol=1e-12)


def test_mismatched_lengths_and_features_are_refused(iris):
    X, y = iris
    with pytest.raises(ValueError, match="same number of samples"):
        dispatched_fit(LogisticRegression(), X, y[:-1])
    fitted = dispatched_fit(LogisticRegression(), X, y)
    with (
        sigmanet.config_context(array_api_dispatch=True),
        pytest.raises(ValueError, match="X has 3 features, but LogisticRegression is expecting 4"),
    ):
        fitted.predict(xps.asarray(X[:, :3], device=DEVICE))


def test_without_dispatch_array_api_input_is_converted_to_numpy(iris):
    X, y = iris
    model = LogisticRegression().fit(xps.asarray(X), y)
    assert isinstance(model.coef_, np.ndarray)
    np.testing.assert_array_equal(model.coef_, LogisticRegression().fit(X, y).coef_)


def test_mlp_converts_array_api_input_to_numpy(iris):
    X, y = iris
    with sigmanet.config_context(array_api_dispatch=True):
        model = MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=300, random_state=0)
        model.fit(xps.asarray(X), y)
        predicted = model.predict(xps.asarray(X))
    assert isinstance(model.coefs_[0], np.ndarray)
    assert isinstance(predicted, np.ndarray)


def test_config_context_nests_and_checks_its_argument():
    assert sigmanet.get_config() == {"array_api_dispatch": False}
    with sigmanet.config_context(array_api_dispatch=True):
        with sigmanet.config_context(array_api_dispatch=False):
            assert not sigmanet.get_config()["array_api_dispatch"]
        with sigmanet.config_context():
            assert sigmanet.get_config()["array_api_dispatch"]
    assert not sigmanet.get_config()["array_api_dispatch"]
    with (
        pytest.raises(TypeError, match="array_api_dispatch must be True or False"),
        sigmanet.config_context(array_api_dispatch="yes"),  # type: ignore[arg-type]
    ):
        pass


def test_scikit_learn_switch_dispatches_too():
    # scikit-learn allows its switch only with SCIPY_ARRAY_API=1 set before scipy is imported,
    # which would change scipy for the whole test session: a fresh interpreter instead
    script = textwrap.dedent(
        """
        import array_api_strict as xps
        import sklearn
        from sklearn.datasets import load_iris
        from sigmanet import LogisticRegression
        X, y = load_iris(return_X_y=True)
        with sklearn.config_context(array_api_dispatch=True):
            model = LogisticRegression(max_iter=1000).fit(xps.asarray(X), y)
        print(type(model.coef_).__module__)
        """
    )
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert out.stdout.strip().startswith("array_api_strict")


# -- PyTorch (not a test dependency: runs where it is installed) -----------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_torch_cpu_fit_equals_numpy_fit(model, cancer):
    torch = pytest.importorskip("torch")
    X, y = cancer
    reference = model().fit(X, y)
    weight = np.linspace(0.5, 2.0, len(y))
    reference_weighted = model().fit(X, y, sample_weight=weight)
    with sigmanet.config_context(array_api_dispatch=True):
        X_torch = torch.asarray(X)
        fitted = model().fit(X_torch, torch.asarray(y))
        proba = fitted.predict_proba(X_torch)
        predicted = fitted.predict(X_torch)
        weighted = model().fit(X_torch, y, sample_weight=torch.asarray(weight))
    assert isinstance(fitted.coef_, torch.Tensor) and fitted.coef_.dtype == torch.float64
    assert isinstance(proba, torch.Tensor) and isinstance(predicted, torch.Tensor)
    assert isinstance(fitted.classes_, torch.Tensor)  # y was a tensor
    assert isinstance(weighted.classes_, np.ndarray)  # y was NumPy
    np.testing.assert_allclose(fitted.coef_.numpy(), reference.coef_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fitted.intercept_.numpy(), reference.intercept_, atol=1e-12)
    np.testing.assert_allclose(proba.numpy(), reference.predict_proba(X), atol=1e-12)
    np.testing.assert_array_equal(predicted.numpy(), reference.predict(X))
    np.testing.assert_allclose(weighted.coef_.numpy(), reference_weighted.coef_, atol=1e-12)


def test_warm_start_refuses_other_features(iris):
    X, y = iris
    model = dispatched_fit(LogisticRegression(warm_start=True, max_iter=500), X, y)
    with pytest.raises(ValueError, match="X has 3 features, but LogisticRegression is expecting 4"):
        dispatched_fit(model, X[:, :3], y)


def test_dask_arrays_are_still_refused_under_dispatch(iris):
    da = pytest.importorskip("dask.array")
    X, y = iris
    with (
        sigmanet.config_context(array_api_dispatch=True),
        pytest.raises(TypeError, match=r"sigmanet\.dask"),
    ):
        LogisticRegression().fit(da.from_array(X, chunks=50), y)


def test_coefficients_assigned_from_the_input_namespace(iris):
    X, y = iris
    model = dispatched_fit(LogisticRegression(), X, y)
    model.coef_ = xps.zeros((3, 4), dtype=xps.float64, device=DEVICE)
    model.intercept_ = xps.asarray([1.0, 2.0, 3.0], device=DEVICE)
    with sigmanet.config_context(array_api_dispatch=True):
        z = model.decision_function(xps.asarray(X, device=DEVICE))
    np.testing.assert_array_equal(host(z), np.tile([1.0, 2.0, 3.0], (len(X), 1)))
