"""Every estimator declares what each hyper-parameter may be, and fit refuses the rest by name.

scikit-learn's ``check_param_validation`` idea, with sigmanet's constraint objects: every
``__init__`` parameter has an entry in ``_parameter_constraints``, the defaults satisfy them,
and a value of a wrong type makes ``fit`` (and ``partial_fit``) raise an error that names the
parameter before any work is done.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

from sigmanet import constraints
from sigmanet.estimators import ESTIMATORS

CLASSES = sorted(ESTIMATORS.values(), key=lambda cls: cls.__name__)


class _NotAParameter:
    """A value of no type any hyper-parameter takes."""

    def __repr__(self) -> str:
        return "<not a parameter>"


def _init_params(cls: type) -> list[str]:
    return [name for name in inspect.signature(cls.__init__).parameters if name not in ("self",)]


def _checked_params() -> list[tuple[type, str]]:
    return [
        (cls, name)
        for cls in CLASSES
        for name in _init_params(cls)
        if cls._parameter_constraints[name] != "no_validation"
    ]


def _data(cls: type) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).normal(size=(12, 3))
    y = np.array([0, 1] * 6)
    return X, (y.astype(float) if cls.__name__.endswith("Regressor") else y)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_every_init_parameter_is_declared(cls):
    assert set(cls._parameter_constraints) == set(_init_params(cls))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_the_defaults_satisfy_the_constraints(cls):
    estimator = cls()
    estimator._validate_params()  # raises if a default is refused
    constraints.validate(estimator.get_params(deep=False), cls._parameter_constraints)


@pytest.mark.parametrize(
    ("cls", "name"), _checked_params(), ids=lambda p: getattr(p, "__name__", p)
)
def test_a_value_of_a_wrong_type_is_refused_by_name(cls, name):
    X, y = _data(cls)
    estimator = cls(**{name: _NotAParameter()})
    pattern = rf"^{cls.__name__}: {name} must be .*; got <not a parameter>\.$"
    with pytest.raises(constraints.InvalidParameterError, match=pattern):
        estimator.fit(X, y)
    if hasattr(estimator, "partial_fit") and name != "solver":
        kwargs = (
            {"classes": [0, 1]}
            if "classes" in inspect.signature(estimator.partial_fit).parameters
            else {}
        )
        with pytest.raises(constraints.InvalidParameterError, match=pattern):
            estimator.partial_fit(X, y, **kwargs)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_validation_uses_sigmanets_checks_not_sklearns(cls):
    # the model-file loader calls _validate_params(); it must speak sigmanet's words
    estimator = cls(max_iter=-3)
    with pytest.raises(constraints.InvalidParameterError, match=r"max_iter must be an integer"):
        estimator._validate_params()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cls()._validate_params()
