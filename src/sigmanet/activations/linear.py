"""The identity (the linear unit), f(x) = x: regression's output activation, "no activation"."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from sigmanet._numerics.contract import as_input, check_out, piecewise_constant, zeros_like
from sigmanet.activations.core import define, pass_gradient

__all__ = ["identity", "identity_derivative", "identity_second_derivative"]

INF = float("inf")


def identity(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Identity, f(x) = x (a copy, so the result never aliases the input)."""
    x = as_input(x)
    check_out(out, x.shape)
    if out is None:
        return np.array(x, copy=True)
    np.copyto(out, x, casting="same_kind")
    return out


def identity_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of the identity, f'(x) = 1 (NaN where ``x`` is NaN)."""
    x = as_input(x)
    return piecewise_constant(x, [(True, 1.0)])


def identity_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of the identity, f''(x) = 0."""
    return zeros_like(as_input(x))


define(
    "identity",
    identity,
    identity_derivative,
    identity_second_derivative,
    initializer="glorot_uniform",
    range=(-INF, INF),
    limits=((-INF, INF), (1, 1), (0, 0)),
    backward=pass_gradient,
)
