"""The hyper-parameters' constraints the estimators share, in :mod:`sigmanet.constraints`' terms.

Each estimator declares what every ``__init__`` parameter may be; the MLPs and RNNs share the
stochastic training parameters (:data:`TRAINING_CONSTRAINTS`), and every estimator the building
blocks (:data:`BOOLEAN`, :data:`POSITIVE`, ...).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from sigmanet import activations as _activations
from sigmanet import optimizers as _optimizers
from sigmanet import schedules as _schedules
from sigmanet.constraints import InstanceOf, Interval, Options, Satisfies

#: The stochastic solvers: every registered optimizer, by its name.
STOCHASTIC_SOLVERS = tuple(_optimizers.REGISTRY.names())


def partial_fit_solvers(solvers: Sequence[str]) -> Any:
    """The ``available_if`` check of ``partial_fit``: it exists only while ``solver`` is one of
    ``solvers`` (as scikit-learn's MLP hides it for L-BFGS); otherwise an AttributeError says
    which solvers have it."""

    def check(estimator: Any) -> bool:
        if estimator.solver not in solvers:
            raise AttributeError(
                f"partial_fit is only available for stochastic solvers {tuple(solvers)}; "
                f"solver={estimator.solver!r} is not one."
            )
        return True

    return check


#: The MLPs' ``learning_rate``: every registered schedule, by its name.
LEARNING_RATES = tuple(_schedules.REGISTRY.names())


#: ``True`` or ``False`` (NumPy's booleans too), never 0 or 1.
BOOLEAN = InstanceOf(bool, np.bool_, label="True or False")
#: scikit-learn's ``verbose``: a bool or an int >= 0; sigmanet adds "progress" (a progress bar).
VERBOSE = [BOOLEAN, Interval("integer", 0, None), Options("progress")]
POSITIVE = Interval("real", 0, None, closed="neither")
NON_NEGATIVE = Interval("real", 0, None)
POSITIVE_INT = Interval("integer", 1, None)
NON_NEGATIVE_INT = Interval("integer", 0, None)
#: A probability-like coefficient in [0, 1) (momentum, Adam's betas, a dropout rate).
UNIT = Interval("real", 0, 1, closed="left")


def sequence_of(constraint: Any, what: str) -> Satisfies:
    """A list or tuple whose every entry satisfies ``constraint`` (one per layer)."""

    def predicate(value: Any) -> bool:
        return (
            isinstance(value, Sequence)
            and not isinstance(value, str)
            and all(constraint.accepts(v) for v in value)
        )

    return Satisfies(predicate, f"a list of {what}, one per hidden layer")


#: ``class_weight``: per-class weights, or "balanced".
CLASS_WEIGHT = [None, Options("balanced"), InstanceOf(dict, label="a dict {label: weight}")]

#: The constraints of the stochastic training parameters the MLPs and RNNs share (scikit-learn's
#: MLP parameters, with its ranges, and sigmanet's ``blas_threads``).
TRAINING_CONSTRAINTS: dict[str, Any] = {
    "solver": [Options("lbfgs", *STOCHASTIC_SOLVERS)],
    "alpha": [NON_NEGATIVE],
    "batch_size": [POSITIVE_INT, Options("auto", "full")],
    "learning_rate": [Options(*LEARNING_RATES)],
    "learning_rate_init": [POSITIVE],
    "power_t": [NON_NEGATIVE],
    "max_iter": [POSITIVE_INT],
    "shuffle": [BOOLEAN],
    "random_state": "no_validation",  # scikit-learn's check_random_state decides
    "tol": [NON_NEGATIVE],
    "verbose": VERBOSE,
    "warm_start": [BOOLEAN],
    "momentum": [UNIT],
    "nesterovs_momentum": [BOOLEAN],
    "early_stopping": [BOOLEAN],
    "validation_fraction": [Interval("real", 0, 1, closed="neither")],
    "beta_1": [UNIT],
    "beta_2": [UNIT],
    "epsilon": [POSITIVE],
    "n_iter_no_change": [POSITIVE_INT, Options(math.inf, label="numpy.inf")],
    "max_fun": [POSITIVE_INT],
    "blas_threads": [Options("auto"), POSITIVE_INT, None],
}


def activation_names_for_hidden() -> list[str]:
    """Names valid for ``activation``: every registered activation, ``prelu`` and ``maxout``."""
    return sorted({*_activations.names(), "prelu", "maxout"})
