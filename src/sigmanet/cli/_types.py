"""Argument types of the commands that click does not have: lists, JSON, batch sizes.

Numbers with a range are click's own :class:`click.IntRange` and :class:`click.FloatRange`
(:class:`FiniteFloat` adds only the refusal of ``nan`` and ``inf``); each type here parses one
text and fails with a message saying what was expected, which click reports as a usage error.
"""

from __future__ import annotations

import json
import math
from typing import Any

import click

__all__ = [
    "BatchSize",
    "ClassWeight",
    "DerivativeOrders",
    "FiniteFloat",
    "FloatList",
    "IntList",
    "JSONValue",
    "NameList",
]


class FiniteFloat(click.FloatRange):
    """A :class:`click.FloatRange` that also refuses ``nan`` and ``inf``."""

    name = "number"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"expected a finite number; got {value!r}", param, ctx)
        return number


class IntList(click.ParamType):
    """Comma-separated positive integers, e.g. layer widths ``64,32``; a tuple of int."""

    name = "N,N,..."

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[int, ...]:
        if isinstance(value, tuple | list):
            return tuple(value)
        try:
            values = tuple(int(part) for part in str(value).split(","))
        except ValueError:
            self.fail(
                f"expected comma-separated positive integers such as 64,32; got {value!r}",
                param,
                ctx,
            )
        if not values or any(number < 1 for number in values):
            self.fail(f"layer sizes must be positive integers; got {value!r}", param, ctx)
        return values


class FloatList(click.ParamType):
    """Comma-separated finite numbers, e.g. ``1,0.5``; a list of float.

    ``min``, ``max``, ``min_open`` and ``max_open`` bound every number as
    :class:`click.FloatRange` bounds one.
    """

    name = "X,X,..."

    def __init__(
        self,
        min: float | None = None,
        max: float | None = None,
        min_open: bool = False,
        max_open: bool = False,
    ) -> None:
        self.range = FiniteFloat(min=min, max=max, min_open=min_open, max_open=max_open)

    def convert(self, value: Any, param: Any, ctx: Any) -> list[float]:
        if isinstance(value, tuple | list):
            return list(value)
        try:
            values = [float(part) for part in str(value).split(",")]
        except ValueError:
            self.fail(f"expected comma-separated numbers such as 1,0.5; got {value!r}", param, ctx)
        if not all(math.isfinite(number) for number in values):
            self.fail(f"numbers must be finite; got {value!r}", param, ctx)
        return [self.range.convert(number, param, ctx) for number in values]


class ClassWeight(click.ParamType):
    """``balanced``, or weights per class label: ``yes=10,no=1`` (a dict of label text)."""

    name = "balanced|LABEL=W,..."

    def convert(self, value: Any, param: Any, ctx: Any) -> str | dict[str, float]:
        if isinstance(value, dict) or value == "balanced":
            return value
        weights: dict[str, float] = {}
        for part in str(value).split(","):
            label, equals, number = part.rpartition("=")
            label = label.strip()
            try:
                weight = float(number) if equals and label else math.nan
            except ValueError:
                weight = math.nan
            if not (math.isfinite(weight) and weight >= 0):
                self.fail(
                    "expected 'balanced' or LABEL=WEIGHT pairs with weights >= 0, such as "
                    f"yes=10,no=1; got {value!r}",
                    param,
                    ctx,
                )
            if label in weights:
                self.fail(f"class {label!r} is given twice in {value!r}", param, ctx)
            weights[label] = weight
        return weights


class NameList(click.ParamType):
    """Comma-separated names, e.g. ``sigmoid,tanh``; a list of str, blanks dropped."""

    name = "A,B,..."

    def convert(self, value: Any, param: Any, ctx: Any) -> list[str]:
        if isinstance(value, tuple | list):
            return list(value)
        names = [part.strip() for part in str(value).split(",") if part.strip()]
        if not names:
            self.fail("expected comma-separated names", param, ctx)
        return names


class BatchSize(click.ParamType):
    """A positive number of samples per step, ``auto`` or ``full`` (batch gradient descent)."""

    name = "N|auto|full"

    def convert(self, value: Any, param: Any, ctx: Any) -> int | str:
        if isinstance(value, int) or value in ("auto", "full"):
            return value
        try:
            size = int(value)
        except ValueError:
            size = 0
        if size < 1:
            self.fail(f"expected a positive integer, 'auto' or 'full'; got {value!r}", param, ctx)
        return size


class JSONValue(click.ParamType):
    """A JSON value, e.g. ``--weights '[[[0.15, 0.25], [0.2, 0.3]]]'``."""

    name = "JSON"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            self.fail(
                "must be JSON, e.g. a list of matrices [[[...], ...], ...] "
                f"({error.msg} at character {error.pos})",
                param,
                ctx,
            )


class DerivativeOrders(click.ParamType):
    """Distinct derivative orders among 0, 1, 2, e.g. ``0,1``; a tuple of int."""

    name = "0,1,2"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[int, ...]:
        if isinstance(value, tuple | list):
            return tuple(value)
        try:
            orders = tuple(int(part) for part in str(value).split(","))
        except ValueError:
            self.fail(f"expected orders among 0,1,2; got {value!r}", param, ctx)
        if (
            not orders
            or any(order not in (0, 1, 2) for order in orders)
            or len(set(orders)) != len(orders)
        ):
            self.fail(f"expected distinct orders among 0,1,2; got {value!r}", param, ctx)
        return orders
