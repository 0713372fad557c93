r"""Regression losses: squared error, Huber and the Poisson deviance.

The contract they share (reductions, dtypes, NaN and infinities) is :mod:`sigmanet.losses.base`'s.

References
----------
D. E. Rumelhart, G. E. Hinton and R. J. Williams, "Learning representations by back-propagating
errors", Nature 323 (1986) (the delta rule).
P. J. Huber, "Robust estimation of a location parameter", Ann. Math. Statist. 35 (1964).
P. McCullagh and J. A. Nelder, *Generalized Linear Models*, 2nd ed., Chapman & Hall (1989)
(the Poisson deviance and the log link).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from sigmanet._arrays import FloatArray
from sigmanet.constraints import Interval, check
from sigmanet.losses.base import REGISTRY, Loss, sum_outputs

__all__ = [
    "Huber",
    "Poisson",
    "SquaredError",
    "huber",
    "huber_gradient",
    "poisson",
    "poisson_gradient",
    "squared_error",
    "squared_error_gradient",
]


@REGISTRY.register("squared_error", aliases=("mse",))
class SquaredError(Loss):
    r"""Squared error, ``ℓ = ½ Σ_j (ŷ_j - y_j)²`` per sample; the MSE of the delta rule.

    The gradient with respect to the prediction is ``ŷ - y``. Put behind a sigmoid
    (``ŷ = σ(z)``) the chain rule gives the delta rule of Rumelhart, Hinton & Williams (1986),
    ``∂ℓ/∂z = -(y - ŷ) σ'(z)`` (so ``δ = (y - ŷ) σ'(z)`` is minus this gradient).

    The ½ makes the gradient the plain residual; the value is half of scikit-learn's
    ``mean_squared_error`` for one output. Residuals beyond about 1e154 (float64) give
    ``inf`` without a warning.
    """

    name = "squared_error"
    output_name = "y_pred"

    def workspace(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Any:
        per_sample = np.empty(shape[0], dtype) if len(shape) == 2 else None
        return np.empty(shape, dtype), per_sample

    def kernel(
        self,
        y: np.ndarray,
        x: np.ndarray,
        grad: np.ndarray,
        workspace: Any,
        *,
        want_value: bool = True,
    ) -> np.ndarray | None:
        # A residual beyond ~1e154 squares to inf, inf - inf is NaN: the contract's answers.
        np.subtract(x, y, out=grad)  # the residual ŷ - y
        if not want_value:
            return None
        elementwise, per_sample = workspace
        np.square(grad, out=elementwise)
        np.multiply(elementwise, 0.5, out=elementwise)
        return sum_outputs(elementwise, per_sample)


@REGISTRY.register("huber")
class Huber(Loss):
    r"""Huber loss: quadratic for small residuals, linear for large ones.

    With ``r = ŷ - y``,

    .. math:: \ell(r) = \begin{cases} \tfrac12 r^2 & |r| \le \delta \\
              \delta\,(|r| - \tfrac12\delta) & |r| > \delta \end{cases}
              \qquad \ell'(r) = \operatorname{clip}(r, -\delta, \delta).

    Computed branch-free as ``q (|r| - ½ q)`` with ``q = min(|r|, δ)``, which is each piece's
    formula with one rounding. Huber (1964).

    Parameters
    ----------
    delta : float, default 1.0
        Where the quadratic piece meets the linear one; positive and finite.
    """

    name = "huber"
    output_name = "y_pred"

    def __init__(self, *, delta: float = 1.0) -> None:
        check("delta", delta, [Interval("real", 0, None, closed="neither")], owner="Huber")
        self.delta = float(delta)

    def _params(self) -> dict[str, Any]:
        return {"delta": self.delta}

    def kernel(
        self,
        y: np.ndarray,
        x: np.ndarray,
        grad: np.ndarray,
        workspace: Any,
        *,
        want_value: bool = True,
    ) -> np.ndarray | None:
        delta = self.delta
        residual = np.subtract(x, y)
        np.clip(residual, -delta, delta, out=grad)
        if not want_value:
            return None
        magnitude = np.abs(residual, out=residual)
        quadratic_part = np.minimum(magnitude, delta)
        # q (|r| - q/2): ½r² when |r| ≤ δ, δ(|r| - δ/2) beyond.
        magnitude -= 0.5 * quadratic_part
        magnitude *= quadratic_part
        return sum_outputs(magnitude)


@REGISTRY.register("poisson")
class Poisson(Loss):
    r"""Half the Poisson deviance of a count ``y ≥ 0``, from the log of the predicted mean.

    The model's output is ``z = log μ`` (the log link of a Poisson GLM, McCullagh & Nelder
    1989), so ``μ = exp(z)`` is positive for any ``z``. Per element,

    .. math:: \ell(y, z) = e^{z} - y z + y \log y - y, \qquad
              \frac{\partial \ell}{\partial z} = e^{z} - y,

    which is ``y log(y/μ) - y + μ``, half the Poisson deviance (0 when ``μ = y``; the term
    ``y log y`` is 0 for ``y = 0``), the loss scikit-learn's ``MLPRegressor(loss="poisson")``
    minimises. ``z`` beyond ``log`` of the float maximum (about 709.8 in float64, 88.7 in
    float32) gives ``inf`` without a warning; ``z = -inf`` costs 0 for ``y = 0`` and ``inf``
    otherwise.
    """

    name = "poisson"
    output_name = "log_mean"

    def check_targets(
        self, y_true: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any] | None
    ) -> np.ndarray:
        y = super().check_targets(y_true, shape, dtype)
        lowest = float(np.min(y)) if y.size else 0.0
        if lowest < 0 or not np.isfinite(y).all():
            raise ValueError(
                f"y_true of the Poisson loss must be finite counts >= 0; got a minimum of {lowest}."
            )
        return y

    def kernel(
        self,
        y: np.ndarray,
        x: np.ndarray,
        grad: np.ndarray,
        workspace: Any,
        *,
        want_value: bool = True,
    ) -> np.ndarray | None:
        mean = np.exp(x)  # inf beyond log of the float maximum
        np.subtract(mean, y, out=grad)
        if not want_value:
            return None
        # y z is 0 where y = 0, whatever z (also ±inf); then y log y - y is 0 too
        yz = np.multiply(y, x, where=y != 0, out=np.zeros_like(x))
        elementwise = mean - yz
        elementwise += special.xlogy(y, y) - y
        # where e^z overflows it outgrows y z (also overflowing): inf, not inf - inf = NaN
        np.copyto(elementwise, np.inf, where=mean == np.inf)
        return sum_outputs(elementwise)


# --------------------------------------------------------------------------------------------
# Plain functions
# --------------------------------------------------------------------------------------------


def squared_error(
    y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
) -> float:
    """Mean over samples of ``½ Σ_j (ŷ_j - y_j)²``; see :class:`SquaredError`."""
    return SquaredError().value(y_true, y_pred, sample_weight)


def squared_error_gradient(
    y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
) -> FloatArray:
    """Gradient ``(ŷ - y) w_i / Σ w`` of :func:`squared_error` with respect to ``y_pred``."""
    return SquaredError().gradient(y_true, y_pred, sample_weight)


def huber(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    delta: float = 1.0,
    sample_weight: ArrayLike | None = None,
) -> float:
    """Mean Huber loss, ½r² for ``abs(r) ≤ δ``, else ``δ(abs(r) - ½δ)``; see :class:`Huber`."""
    return Huber(delta=delta).value(y_true, y_pred, sample_weight)


def huber_gradient(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    delta: float = 1.0,
    sample_weight: ArrayLike | None = None,
) -> FloatArray:
    """Gradient ``clip(ŷ - y, -δ, δ) w_i / Σ w`` of :func:`huber` with respect to ``y_pred``."""
    return Huber(delta=delta).gradient(y_true, y_pred, sample_weight)


def poisson(
    y_true: ArrayLike, log_mean: ArrayLike, sample_weight: ArrayLike | None = None
) -> float:
    """Mean half Poisson deviance ``exp(z) - y z + y log y - y``; see :class:`Poisson`."""
    return Poisson().value(y_true, log_mean, sample_weight)


def poisson_gradient(
    y_true: ArrayLike, log_mean: ArrayLike, sample_weight: ArrayLike | None = None
) -> FloatArray:
    """Gradient ``(exp(z) - y) w_i / Σ w`` of :func:`poisson` with respect to ``log_mean``."""
    return Poisson().gradient(y_true, log_mean, sample_weight)
