"""The exponential units: smooth (or once-differentiable) rectifiers built on e^x.

elu, selu, softplus.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from sigmanet._numerics.contract import as_input, check_out, emit
from sigmanet._numerics.tails import sigmoid_prime_from_abs
from sigmanet.activations.core import FINITE, POSITIVE, define, parameter

__all__ = [
    "SELU_ALPHA",
    "SELU_LAMBDA",
    "elu",
    "elu_derivative",
    "elu_second_derivative",
    "selu",
    "selu_derivative",
    "selu_second_derivative",
    "softplus",
    "softplus_derivative",
    "softplus_second_derivative",
]

INF = float("inf")

#: SELU scale λ (Klambauer et al. 2017, "Self-Normalizing Neural Networks").
SELU_LAMBDA = 1.0507009873554805
#: SELU negative-branch coefficient α (Klambauer et al. 2017).
SELU_ALPHA = 1.6732632423543772
_SELU_LAMBDA_ALPHA = SELU_LAMBDA * SELU_ALPHA


# -- elu -------------------------------------------------------------------------------------


def elu(x: ArrayLike, alpha: float = 1.0, *, out: np.ndarray | None = None) -> np.ndarray:
    """Exponential linear unit, f(x) = x for x > 0, α(e^x - 1) for x ≤ 0 (Clevert et al. 2016).

    Parameters
    ----------
    alpha : float
        Saturation value of the negative part is -α.
    """
    alpha = parameter("elu", "alpha", alpha, FINITE)
    x = as_input(x)
    check_out(out, x.shape)
    # expm1 keeps α(e^x - 1) accurate near 0; min(x, 0) keeps e^x from overflowing on the
    # branch np.where discards.
    with np.errstate(over="ignore"):  # only |α| > 1 near -max can overflow, to the true ±inf
        negative = np.expm1(np.minimum(x, x.dtype.type(0))) * alpha
    return emit(np.where(x > 0, x, negative.astype(x.dtype, copy=False)), x.dtype, out)


def elu_derivative(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Derivative of ELU, f'(x) = 1 for x > 0, α·e^x = f(x) + α for x ≤ 0."""
    alpha = parameter("elu", "alpha", alpha, FINITE)
    return _elu_exp_branch(as_input(x), alpha, above=1)


def elu_second_derivative(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Second derivative of ELU, f''(x) = 0 for x > 0, α·e^x for x ≤ 0."""
    alpha = parameter("elu", "alpha", alpha, FINITE)
    return _elu_exp_branch(as_input(x), alpha, above=0)


def _elu_exp_branch(x: np.ndarray, scale: float, above: float) -> np.ndarray:
    """``above`` for x > 0, scale·e^x for x ≤ 0: the derivatives of the ELUs."""
    negative = np.exp(np.minimum(x, x.dtype.type(0))) * x.dtype.type(scale)
    return np.asarray(np.where(x > 0, x.dtype.type(above), negative.astype(x.dtype, copy=False)))


define(
    "elu",
    elu,
    elu_derivative,
    elu_second_derivative,
    params={"alpha": (1.0, FINITE)},
    initializer="he_uniform",
    range=lambda alpha: (min(-alpha, 0.0), INF),
    limits=((-1, INF), (0, 1), (0, 0)),
    kinks=(0.0,),
)


# -- selu ------------------------------------------------------------------------------------


def selu(x: ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Scaled ELU, f(x) = λx for x > 0, λα(e^x - 1) for x ≤ 0 (Klambauer et al. 2017).

    λ = 1.0507009873554805 and α = 1.6732632423543772 make activations self-normalising
    (zero mean, unit variance) under LeCun-normal initialisation.
    """
    x = as_input(x)
    check_out(out, x.shape)
    dtype = x.dtype.type
    negative = np.expm1(np.minimum(x, dtype(0))) * dtype(_SELU_LAMBDA_ALPHA)
    with np.errstate(over="ignore"):  # λx > max only for x near max: inf is correctly rounded
        positive = x * dtype(SELU_LAMBDA)
    return emit(np.where(x > 0, positive, negative), x.dtype, out)


def selu_derivative(x: ArrayLike) -> np.ndarray:
    """Derivative of SELU, f'(x) = λ for x > 0, λα·e^x for x ≤ 0."""
    return _elu_exp_branch(as_input(x), _SELU_LAMBDA_ALPHA, above=SELU_LAMBDA)


def selu_second_derivative(x: ArrayLike) -> np.ndarray:
    """Second derivative of SELU, f''(x) = 0 for x > 0, λα·e^x for x ≤ 0."""
    return _elu_exp_branch(as_input(x), _SELU_LAMBDA_ALPHA, above=0)


define(
    "selu",
    selu,
    selu_derivative,
    selu_second_derivative,
    initializer="lecun_normal",
    range=(-_SELU_LAMBDA_ALPHA, INF),
    limits=((-_SELU_LAMBDA_ALPHA, INF), (0, SELU_LAMBDA), (0, 0)),
    kinks=(0.0,),
)


# -- softplus --------------------------------------------------------------------------------


def _softplus_argument(x: np.ndarray, beta: float) -> np.ndarray:
    if beta == 1.0:
        return x
    with np.errstate(over="ignore"):  # β·x = ±inf only means "saturated"
        return x * x.dtype.type(beta)


def softplus(x: ArrayLike, beta: float = 1.0, *, out: np.ndarray | None = None) -> np.ndarray:
    """Softplus, f(x) = (1/β)·log(1 + e^(βx)), a smooth ReLU; equals x exactly for x ≥ 40
    (float64, β = 1).

    Parameters
    ----------
    beta : float, > 0
        Sharpness; f tends to ReLU as β grows.

    Notes
    -----
    Computed as max(x, 0) + log1p(e^(-abs(βx)))/β: the exponential never overflows and the
    naive log(1 + e^(βx)) loses everything below e^(βx) ≈ 1e-16.
    """
    beta = parameter("softplus", "beta", beta, POSITIVE)
    x = as_input(x)
    check_out(out, x.shape)
    z = _softplus_argument(x, beta)
    tail = np.log1p(np.exp(-np.abs(z)))
    if beta != 1.0:
        tail = tail / x.dtype.type(beta)
    return np.asarray(np.add(np.maximum(x, x.dtype.type(0)), tail, out=out))


def softplus_derivative(x: ArrayLike, beta: float = 1.0) -> np.ndarray:
    """Derivative of softplus, f'(x) = σ(βx): the sigmoid itself for β = 1."""
    beta = parameter("softplus", "beta", beta, POSITIVE)
    x = as_input(x)
    return np.asarray(special.expit(_softplus_argument(x, beta)))


def softplus_second_derivative(x: ArrayLike, beta: float = 1.0) -> np.ndarray:
    """Second derivative of softplus, f''(x) = β·σ(βx)(1 - σ(βx))."""
    beta = parameter("softplus", "beta", beta, POSITIVE)
    x = as_input(x)
    result = sigmoid_prime_from_abs(np.abs(_softplus_argument(x, beta)))
    if beta != 1.0:
        result = result * x.dtype.type(beta)
    return emit(result, x.dtype, None)


def _softplus_backward(
    x: np.ndarray, y: np.ndarray | None, grad: np.ndarray, out: np.ndarray, beta: float
) -> np.ndarray:
    if beta == 1.0:
        special.expit(x, out=out)
    else:
        np.copyto(out, softplus_derivative(x, beta), casting="same_kind")
    return np.multiply(out, grad, out=out)


define(
    "softplus",
    softplus,
    softplus_derivative,
    softplus_second_derivative,
    params={"beta": (1.0, POSITIVE)},
    initializer="glorot_uniform",
    range=(0.0, INF),
    limits=((0, INF), (0, 1), (0, 0)),
    backward=_softplus_backward,
)
