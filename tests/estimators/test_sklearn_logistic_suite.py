"""scikit-learn's own logistic-regression tests (``sklearn/linear_model/tests/test_logistic.py``).

The module is the one installed with scikit-learn (the version pinned in the test extra).
scikit-learn's ``LogisticRegression`` is a sigmoid for two classes and multinomial for more;
sigmanet splits these between :class:`~sigmanet.LogisticRegression` (the sigmoid; one-vs-rest
for more classes) and :class:`~sigmanet.SoftmaxRegression` (multinomial). So the tests that
fit two classes run with ``LogisticRegression`` replaced by sigmanet's ``LogisticRegression``,
and those that fit three with it replaced by ``SoftmaxRegression`` (their names end in
``_multinomial``). Adopted are the tests of the estimator itself with the solver they share,
``"lbfgs"``; the module's other tests are about the cross-validated ``LogisticRegressionCV``,
the private path functions, the solvers sigmanet does not have (liblinear, newton-cg,
newton-cholesky, sag, saga), the l1 and elastic-net penalties, array-API dispatch or fit
callbacks, none of which sigmanet offers. The run prints the counts.
"""

from __future__ import annotations

import os

import pytest
from sklearn_suite import adopt

from sigmanet import LogisticRegression, SoftmaxRegression

SKLEARN_SUITE = "sklearn/linear_model/tests/test_logistic.py"
MODULE = "sklearn.linear_model.tests.test_logistic"

BINARY = [
    "test_predict_2_classes",
    "test_inconsistent_input",
    "test_write_parameters",
    "test_nan",
    "test_logistic_regression_sample_weights",
    "test_logistic_regression_solver_class_weights",
    "test_max_iter",
    "test_dtype_match",
    "test_penalty_none",
    "test_c_inf_no_warning",
    "test_large_sparse_matrix",
    "test_zero_max_iter",
]
MULTINOMIAL = [
    "test_predict_3_classes",
    "test_sparsify",
    "test_warm_start",
    "test_multinomial_identifiability_on_iris",
    "test_sample_weight_not_modified",
    "test_multinomial_logistic_regression_string_inputs",
]

adopt(MODULE, {"LogisticRegression": LogisticRegression}, globals(), only=BINARY)
adopt(
    MODULE,
    {"LogisticRegression": SoftmaxRegression},
    globals(),
    only=MULTINOMIAL,
    suffix="_multinomial",
)


def deselect(item: pytest.Item) -> str | None:
    """The parametrizations that do not apply, with the reason."""
    params = getattr(item, "callspec", None)
    params = {} if params is None else params.params
    solver = params.get("solver", "lbfgs")
    if solver != "lbfgs":
        return f"solver={solver!r}, which sigmanet does not have"
    if params.get("problem") == "cv":
        return "fits LogisticRegressionCV, which sigmanet does not have"
    return None


@pytest.fixture(params=[int(os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42"))])
def global_random_seed(request: pytest.FixtureRequest) -> int:
    """scikit-learn's seed fixture (its conftest is not loaded here)."""
    return request.param
