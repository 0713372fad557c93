"""The one set of parameter checks: intervals, options, types, predicates and messages."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sigmanet.constraints import (
    InstanceOf,
    Interval,
    InvalidParameterError,
    Options,
    Satisfies,
    check,
    describe,
    validate,
)

POSITIVE = Interval("real", 0, None, closed="neither")


@pytest.mark.parametrize("value", [1e-300, 0.5, 3, np.float32(2.0), np.int64(7)])
def test_positive_accepts(value: object) -> None:
    assert check("lr", value, [POSITIVE]) is value


@pytest.mark.parametrize("value", [0, -1.0, math.nan, math.inf, True, np.bool_(True), "1", None])
def test_positive_refuses(value: object) -> None:
    with pytest.raises(InvalidParameterError, match=r"^lr must be a number > 0; got "):
        check("lr", value, [POSITIVE])


def test_error_is_value_and_type_error() -> None:
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)


@pytest.mark.parametrize(
    ("interval", "inside", "outside", "words"),
    [
        (Interval("real", 0, 1, closed="left"), [0, 0.999], [1, -0.1], "a number in [0, 1)"),
        (Interval("real", 0, 1, closed="right"), [1, 1e-9], [0], "a number in (0, 1]"),
        (Interval("real", 0, 1), [0, 1], [1.5], "a number in [0, 1]"),
        (Interval("real", 0, 1, closed="neither"), [0.5], [0, 1], "a number in (0, 1)"),
        (Interval("integer", 1, None), [1, np.int32(5)], [0, 1.0, 2.5], "an integer >= 1"),
        (Interval("integer", None, 10), [-5, 10], [11], "an integer <= 10"),
        (Interval("real", None, None), [-1e308, 0], [math.inf, math.nan], "a finite number"),
        (Interval("real", 0, math.inf), [0, math.inf], [-math.inf], "a number in [0, inf]"),
        (Interval("real", 0.5, None), [0.5], [0.25], "a number >= 0.5"),
    ],
)
def test_intervals(interval: Interval, inside: list, outside: list, words: str) -> None:
    assert str(interval) == words
    for value in inside:
        assert interval.accepts(value), value
    for value in outside:
        assert not interval.accepts(value), value


def test_interval_definition_errors() -> None:
    with pytest.raises(ValueError, match="kind"):
        Interval("complex", 0, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="closed"):
        Interval("real", 0, 1, closed="open")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="low must be <= high"):
        Interval("real", 2, 1)


def test_options_and_none() -> None:
    constraints = [Options("adam", "sgd"), None]
    assert check("solver", "adam", constraints) == "adam"
    assert check("solver", None, constraints) is None
    with pytest.raises(
        InvalidParameterError, match=r"solver must be one of 'adam', 'sgd' or None; got 'Adam'\."
    ):
        check("solver", "Adam", constraints)
    # an array compared with a string neither raises nor passes
    with pytest.raises(InvalidParameterError):
        check("solver", np.array(["adam", "sgd"]), constraints)


def test_options_do_not_take_bools_for_numbers() -> None:
    assert not Options(1).accepts(True)
    assert Options(True).accepts(True)
    assert str(Options(math.inf, label="numpy.inf")) == "numpy.inf"


def test_patience_like_combination() -> None:
    constraints = [Interval("integer", 1, None), Options(math.inf, label="numpy.inf")]
    assert check("n_iter_no_change", np.inf, constraints) == math.inf
    with pytest.raises(
        InvalidParameterError,
        match=r"n_iter_no_change must be an integer >= 1 or numpy\.inf; got 0\.",
    ):
        check("n_iter_no_change", 0, constraints)


def test_instance_of_and_satisfies() -> None:
    assert check("rng", np.random.default_rng(0), [InstanceOf(np.random.Generator)])
    with pytest.raises(InvalidParameterError, match="an instance of Generator; got 3"):
        check("rng", 3, [InstanceOf(np.random.Generator)])
    sizes = Satisfies(lambda v: all(int(n) == n > 0 for n in v), "a sequence of positive integers")
    assert check("hidden_layer_sizes", (3, 4), [sizes]) == (3, 4)
    with pytest.raises(InvalidParameterError, match="a sequence of positive integers; got 5"):
        check("hidden_layer_sizes", 5, [sizes])  # the predicate's TypeError is a refusal


def test_owner_prefix_and_describe() -> None:
    with pytest.raises(InvalidParameterError, match=r"^Adam: beta_1 must be a number in \[0, 1\)"):
        check("beta_1", 1.0, [Interval("real", 0, 1, closed="left")], owner="Adam")
    assert describe([POSITIVE]) == "a number > 0"
    assert describe([POSITIVE, Options("auto"), None]) == "a number > 0, 'auto' or None"


def test_validate_checks_every_declared_parameter_in_order() -> None:
    declared = {"alpha": [Interval("real", 0, None)], "callback": "no_validation"}
    validate({"alpha": 0.0, "callback": object(), "other": "x"}, declared)
    with pytest.raises(InvalidParameterError, match=r"^Model: alpha must be a number >= 0"):
        validate({"alpha": -1, "callback": 3}, declared, owner="Model")
