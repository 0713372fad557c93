"""scikit-learn's own MLP tests (``sklearn/neural_network/tests/test_mlp.py``), on sigmanet.

The module is the one installed with scikit-learn (the version pinned in the test extra);
:func:`sklearn_suite.adopt` runs every test of it with ``MLPClassifier`` and ``MLPRegressor``
replaced by sigmanet's. Deselected are only the tests that read or set scikit-learn's private
internals, and one that asserts what sigmanet changes on purpose, each with its reason; the
run prints the counts.
"""

from __future__ import annotations

import os

import pytest
from sklearn_suite import adopt

from sigmanet import MLPClassifier, MLPRegressor

SKLEARN_SUITE = "sklearn/neural_network/tests/test_mlp.py"

DESELECTED = {
    "test_fit": "sets private attributes (_coef_grads, _coef_velocity, _no_improvement_count) "
    "to hand-build a fitted model",
    "test_gradient": "calls the private _loss_grad_lbfgs",
    "test_learning_rate_warmstart": "reads the private _optimizer.learning_rate",
    "test_adaptive_learning_rate": "reads the private _optimizer.learning_rate",
    "test_n_iter_no_change": "reads the private _no_improvement_count",
    "test_n_iter_no_change_inf": "reads the private _no_improvement_count",
    "test_mlp_diverging_loss": "asserts that the last validation score is NaN: scikit-learn "
    "trains on until the loss overflows, sigmanet stops at the first epoch whose finite loss "
    "breaks its divergence rule; the test's point (no error with early stopping, the best "
    "weights kept) is test_sklearn_fidelity.py's "
    "test_divergence_while_early_stopping_ends_with_the_best_weights, on this set-up too",
}

adopt(
    "sklearn.neural_network.tests.test_mlp",
    {"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor},
    globals(),
)


@pytest.fixture(params=[int(os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42"))])
def global_random_seed(request: pytest.FixtureRequest) -> int:
    """scikit-learn's seed fixture (its conftest is not loaded here)."""
    return request.param
