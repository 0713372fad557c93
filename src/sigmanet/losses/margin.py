r"""Margin losses: the hinge and the squared hinge of a decision value.

Labels may be given as ``{-1, 1}`` or as ``{0, 1}``, where 0 stands for -1; other values raise
``ValueError``. A 2-D output is one-vs-rest, summed over outputs. The contract they share
(reductions, dtypes, NaN and infinities) is :mod:`sigmanet.losses.base`'s.

References
----------
C. Cortes and V. Vapnik, "Support-vector networks", Machine Learning 20 (1995) (the hinge).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sigmanet._arrays import FloatArray
from sigmanet.losses.base import REGISTRY, Loss, sum_outputs

__all__ = [
    "Hinge",
    "SquaredHinge",
    "hinge",
    "hinge_gradient",
    "squared_hinge",
    "squared_hinge_gradient",
]


def _signed_labels(y: np.ndarray) -> np.ndarray:
    """Labels in {-1, +1}, from {-1, +1} or {0, 1} (where 0 means -1)."""
    # The smallest label tells the encoding apart, so one check over the labels suffices.
    binary = y.size == 0 or y.min() >= 0
    valid = bool(((y == 0) | (y == 1)).all() if binary else (np.abs(y) == 1).all())
    if not valid:
        found = np.unique(y)
        if not binary and np.isin(found, (-1, 0, 1)).all():
            raise ValueError("y_true mixes -1 and 0 labels; use {-1, 1} or {0, 1}, not both.")
        bad = found[~np.isin(found, (-1, 0, 1))][:5]
        raise ValueError(f"y_true must hold labels in {{-1, 1}} or {{0, 1}}; got {bad.tolist()}.")
    return 2 * y - 1 if binary else y


class _MarginLoss(Loss):
    """What the margin losses share: a decision value as output, labels as ±1."""

    output_name = "decision"

    def check_targets(
        self, y_true: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any] | None
    ) -> np.ndarray:
        return _signed_labels(super().check_targets(y_true, shape, dtype))


@REGISTRY.register("hinge")
class Hinge(_MarginLoss):
    r"""Hinge loss of a decision value ``x`` for a label ``t ∈ {-1, +1}``.

    .. math:: \ell = \max(0, 1 - t x), \qquad
              \frac{\partial \ell}{\partial x} = \begin{cases} -t & t x < 1 \\ 0 & t x \ge 1
              \end{cases}

    (the subgradient 0 is taken at the kink ``t x = 1``). Labels may be given as ``{-1, 1}`` or
    as ``{0, 1}``, where 0 stands for -1; other values raise ``ValueError``. A 2-D output is
    one-vs-rest, summed over outputs.
    """

    name = "hinge"

    def kernel(
        self,
        y: np.ndarray,
        x: np.ndarray,
        grad: np.ndarray,
        workspace: Any,
        *,
        want_value: bool = True,
    ) -> np.ndarray | None:
        hinge_part = np.multiply(y, x)
        np.subtract(1, hinge_part, out=hinge_part)
        np.maximum(hinge_part, 0, out=hinge_part)  # max(0, 1 - t x)
        # sign(max(0, 1 - t x)) is 1 inside the margin, 0 on and beyond it, NaN for NaN.
        np.sign(hinge_part, out=grad)
        grad *= y
        np.subtract(0, grad, out=grad)  # -t inside the margin; 0 - (±0) is +0, never -0
        if not want_value:
            return None
        # A sum over outputs near the float maximum overflows to inf.
        return sum_outputs(hinge_part)


@REGISTRY.register("squared_hinge")
class SquaredHinge(_MarginLoss):
    r"""Squared hinge loss, ``ℓ = max(0, 1 - t x)²``, ``∂ℓ/∂x = -2 t max(0, 1 - t x)``.

    Smooth where the hinge has a kink; labels as for :class:`Hinge` (``{-1, 1}`` or ``{0, 1}``).
    Margins beyond about 1e154 give ``inf`` without a warning.
    """

    name = "squared_hinge"

    def kernel(
        self,
        y: np.ndarray,
        x: np.ndarray,
        grad: np.ndarray,
        workspace: Any,
        *,
        want_value: bool = True,
    ) -> np.ndarray | None:
        hinge_part = np.multiply(y, x)
        np.subtract(1, hinge_part, out=hinge_part)
        np.maximum(hinge_part, 0, out=hinge_part)
        # Margins beyond ~1e154 square to inf.
        np.multiply(hinge_part, y, out=grad)
        grad *= -2
        if not want_value:
            return None
        np.square(hinge_part, out=hinge_part)
        return sum_outputs(hinge_part)


# --------------------------------------------------------------------------------------------
# Plain functions
# --------------------------------------------------------------------------------------------


def hinge(y_true: ArrayLike, decision: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Mean of ``max(0, 1 - t x)``, labels in {-1, 1} or {0, 1}; see :class:`Hinge`."""
    return Hinge().value(y_true, decision, sample_weight)


def hinge_gradient(
    y_true: ArrayLike, decision: ArrayLike, sample_weight: ArrayLike | None = None
) -> FloatArray:
    """Gradient (``-t`` inside the margin, else 0, scaled) of :func:`hinge` in ``decision``."""
    return Hinge().gradient(y_true, decision, sample_weight)


def squared_hinge(
    y_true: ArrayLike, decision: ArrayLike, sample_weight: ArrayLike | None = None
) -> float:
    """Mean of ``max(0, 1 - t x)²``; see :class:`SquaredHinge`."""
    return SquaredHinge().value(y_true, decision, sample_weight)


def squared_hinge_gradient(
    y_true: ArrayLike, decision: ArrayLike, sample_weight: ArrayLike | None = None
) -> FloatArray:
    """Gradient ``-2 t max(0, 1 - t x)`` (scaled) of :func:`squared_hinge` in ``decision``."""
    return SquaredHinge().gradient(y_true, decision, sample_weight)
