"""One set of parameter checks for every part of sigmanet.

A parameter's *constraints* are a list of what it may be; a value is valid when it satisfies
any of them. The same few kinds describe every hyper-parameter in sigmanet:

- :class:`Interval`: a real number or an integer between bounds, e.g.
  ``Interval("real", 0, None, closed="neither")`` is "a number > 0";
- :class:`Options`: one of a few values, e.g. ``Options("adam", "sgd")``;
- :class:`InstanceOf`: an instance of a type, e.g. ``InstanceOf(np.random.Generator)``;
- :class:`Satisfies`: anything a predicate accepts, described in words;
- ``None``: the value ``None``.

:func:`check` tests one value, :func:`validate` a mapping of values against a mapping of
constraints (how the estimators declare theirs in ``_parameter_constraints``, as
scikit-learn's do). An invalid value raises :class:`InvalidParameterError`, which is both a
``ValueError`` and a ``TypeError`` (a wrong type and a wrong value are caught either way) and
names the parameter, what it must be and what it got.

Booleans are never numbers here (``True`` is not a learning rate), NaN never lies in an
interval, and real intervals hold only finite values unless a bound is infinite and closed.

Examples
--------
>>> from sigmanet.constraints import Interval, check
>>> check("learning_rate", 0.01, [Interval("real", 0, None, closed="neither")])
0.01
>>> check("learning_rate", -1, [Interval("real", 0, None, closed="neither")])
Traceback (most recent call last):
...
sigmanet.constraints.InvalidParameterError: learning_rate must be a number > 0; got -1.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

__all__ = [
    "Constraint",
    "InstanceOf",
    "Interval",
    "InvalidParameterError",
    "Options",
    "Satisfies",
    "check",
    "describe",
    "validate",
]


class InvalidParameterError(ValueError, TypeError):
    """A parameter's value satisfies none of its constraints."""


class Constraint:
    """What a parameter may be: ``accepts`` a value, and says so in words (``str``)."""

    def accepts(self, value: Any) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def __str__(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _is_integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def _bound(value: float) -> str:
    if value == math.inf:
        return "inf"
    if value == -math.inf:
        return "-inf"
    return repr(value) if not float(value).is_integer() else str(int(value))


class Interval(Constraint):
    """A number between ``low`` and ``high`` (``None``: unbounded on that side).

    Parameters
    ----------
    kind : {"real", "integer"}
        ``"real"`` accepts any real number (integers included), ``"integer"`` only integers.
    low, high : float or None
        The bounds.
    closed : {"both", "left", "right", "neither"}, default="both"
        Which bounds belong to the interval.
    """

    def __init__(
        self,
        kind: Literal["real", "integer"],
        low: float | None,
        high: float | None,
        *,
        closed: Literal["both", "left", "right", "neither"] = "both",
    ) -> None:
        if kind not in ("real", "integer"):
            raise ValueError(f"kind must be 'real' or 'integer'; got {kind!r}.")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(
                f"closed must be 'both', 'left', 'right' or 'neither'; got {closed!r}."
            )
        if low is not None and high is not None and low > high:
            raise ValueError(f"low must be <= high; got [{low}, {high}].")
        self.kind = kind
        self.low = low
        self.high = high
        self.closed = closed

    def accepts(self, value: Any) -> bool:
        if not (_is_integer(value) if self.kind == "integer" else _is_real(value)):
            return False
        number = float(value)
        if math.isnan(number):
            return False
        low_closed = self.closed in ("both", "left")
        high_closed = self.closed in ("both", "right")
        if math.isinf(number):
            bound = self.high if number > 0 else self.low
            closed = high_closed if number > 0 else low_closed
            return bound is not None and math.isinf(bound) and closed
        if self.low is not None and (number < self.low or (number == self.low and not low_closed)):
            return False
        if self.high is None:
            return True
        return number < self.high or (number == self.high and high_closed)

    def __str__(self) -> str:
        noun = "an integer" if self.kind == "integer" else "a number"
        low_closed = self.closed in ("both", "left")
        high_closed = self.closed in ("both", "right")
        if self.low is None and self.high is None:
            return noun if self.kind == "integer" else "a finite number"
        if self.high is None:
            return f"{noun} {'>=' if low_closed else '>'} {_bound(self.low)}"  # type: ignore[arg-type]
        if self.low is None:
            return f"{noun} {'<=' if high_closed else '<'} {_bound(self.high)}"
        left = "[" if low_closed else "("
        right = "]" if high_closed else ")"
        return f"{noun} in {left}{_bound(self.low)}, {_bound(self.high)}{right}"


class Options(Constraint):
    """One of the given values (compared with ``==``; strings are case-sensitive).

    ``label`` replaces the listing in messages (e.g. ``Options(math.inf, label="numpy.inf")``).
    """

    def __init__(self, *values: Any, label: str | None = None) -> None:
        if not values:
            raise ValueError("Options needs at least one value.")
        self.values = values
        self.label = label

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool | np.bool_) and not any(
            isinstance(v, bool | np.bool_) for v in self.values
        ):
            return False
        try:
            return any(bool(value == option) for option in self.values)
        except (TypeError, ValueError):  # an array compared with a string, say
            return False

    def __str__(self) -> str:
        if self.label is not None:
            return self.label
        listed = [repr(v) for v in self.values]
        if len(listed) == 1:
            return listed[0]
        return "one of " + ", ".join(listed)


class InstanceOf(Constraint):
    """An instance of one of ``types`` (``label`` names them in messages)."""

    def __init__(self, *types: type, label: str | None = None) -> None:
        if not types:
            raise ValueError("InstanceOf needs at least one type.")
        self.types = types
        self.label = label

    def accepts(self, value: Any) -> bool:
        return isinstance(value, self.types)

    def __str__(self) -> str:
        if self.label is not None:
            return self.label
        names = [t.__name__ for t in self.types]
        return "an instance of " + " or ".join(names)


class Satisfies(Constraint):
    """Any value ``predicate`` accepts; ``label`` says what that is in words."""

    def __init__(self, predicate: Callable[[Any], bool], label: str) -> None:
        self.predicate = predicate
        self.label = label

    def accepts(self, value: Any) -> bool:
        try:
            return bool(self.predicate(value))
        except (TypeError, ValueError):
            return False

    def __str__(self) -> str:
        return self.label


ConstraintLike = Constraint | None


def _accepts(constraint: ConstraintLike, value: Any) -> bool:
    if constraint is None:
        return value is None
    return constraint.accepts(value)


def describe(constraints: Iterable[ConstraintLike]) -> str:
    """The constraints in words: ``"a number > 0, 'auto' or None"``."""
    words = ["None" if c is None else str(c) for c in constraints]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def check(
    name: str, value: Any, constraints: Sequence[ConstraintLike], *, owner: str | None = None
) -> Any:
    """Return ``value`` if it satisfies one of ``constraints``; else raise.

    Parameters
    ----------
    name : str
        The parameter's name, for the message.
    value : object
        The value to check.
    constraints : sequence of Constraint or None
        What the value may be.
    owner : str, optional
        Whose parameter it is (a class name), prefixed to the message.

    Raises
    ------
    InvalidParameterError
        ``"[owner: ]name must be <constraints in words>; got <value>."``
    """
    if any(_accepts(c, value) for c in constraints):
        return value
    prefix = f"{owner}: " if owner else ""
    raise InvalidParameterError(f"{prefix}{name} must be {describe(constraints)}; got {value!r}.")


def validate(
    params: Mapping[str, Any],
    constraints: Mapping[str, Sequence[ConstraintLike] | Literal["no_validation"]],
    *,
    owner: str | None = None,
) -> None:
    """Check every entry of ``params`` that has constraints (``"no_validation"`` skips one).

    Raises
    ------
    InvalidParameterError
        For the first invalid value, in the order of ``params``.
    """
    for name, value in params.items():
        allowed = constraints.get(name, "no_validation")
        if allowed == "no_validation":
            continue
        check(name, value, allowed, owner=owner)
