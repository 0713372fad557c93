r"""Batch gradient descent with a backtracking (Armijo) line search.

This is the gradient-descent update, taken over the whole training set at every step::

    w ← w - η ∇w J(w, b)        b ← b - η ∇b J(w, b)

where, for logistic regression, ``∇w J = -(1/m) Xᵀ(y - σ(Xw + b))`` plus the penalty's
gradient. Instead of a hand-tuned η, each step starts from a trial step and halves it until the
Armijo (sufficient decrease) condition holds,

.. math:: J(θ - η g) \le J(θ) - c\, η\, \lVert g \rVert^2, \qquad c = 10^{-4},

then the next step starts from twice the accepted one, so η follows the local curvature up as
well as down. With a fixed ``step`` the line search is skipped: plain gradient descent.

The objective is the one :func:`sigmanet.training.train_lbfgs` minimises,

.. math:: J(θ) = \frac{\sum_i w_i \ell_i}{\sum_i w_i} + \frac{l_2}{2 S} \sum \lVert W \rVert^2,
          \qquad S = \sum_i w_i,

(biases not penalised), so with ``l2 = 1/C`` both find the minimiser of scikit-learn's
``C Σ w_i ℓ_i + ½‖W‖²``.

References
----------
L. Armijo, "Minimization of functions having Lipschitz continuous first partial derivatives",
Pacific J. Math. 16 (1966). J. Nocedal & S. J. Wright, *Numerical Optimization*, 2nd ed.,
Springer 2006, Algorithm 3.1 (backtracking line search).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sigmanet.constraints import Interval, check
from sigmanet.exceptions import DivergenceError
from sigmanet.network import Sequential
from sigmanet.training import DIVERGENCE_ADVICE, DivergenceRule, FullBatchObjective

__all__ = ["LineSearchResult", "train_line_search"]

#: The Armijo constant c: a step must achieve this fraction of the predicted first-order decrease.
ARMIJO_C = 1e-4
#: Halvings tried before the line search gives up (2**-60 ≈ 1e-18 of the trial step).
MAX_HALVINGS = 60


@dataclass
class LineSearchResult:
    """What :func:`train_line_search` did.

    Attributes
    ----------
    loss : list of float
        The objective ``J`` after each iteration.
    n_iter : int
        Iterations (accepted steps) taken.
    n_fun : int
        Evaluations of the objective and its gradient, line-search trials included.
    converged : bool
        Whether a stopping criterion (not ``max_iter``) ended the run.
    message : str
        Why it stopped.
    step_sizes : list of float
        The step η accepted at each iteration.
    gradient_norm : float
        ``max |∂J/∂θ|`` at the returned parameters.
    """

    loss: list[float] = field(default_factory=list)
    n_iter: int = 0
    n_fun: int = 0
    converged: bool = False
    message: str = ""
    step_sizes: list[float] = field(default_factory=list)
    gradient_norm: float = math.nan


def _kept(iteration: int) -> str:
    if iteration == 0:
        return "those at the start"
    return f"those of iteration {iteration}, the last that passed the test"


def train_line_search(
    network: Sequential,
    loss: Any,
    X: Any,
    y: Any,
    *,
    sample_weight: Any = None,
    l2: float = 0.0,
    max_iter: int,
    tol: float,
    step: float | None = None,
    callback: Callable[[int, float, float, float], Any] | None = None,
) -> LineSearchResult:
    """Minimise the full-batch objective by gradient descent, in place on ``network``.

    Parameters
    ----------
    network : Sequential
        A built network; its parameters are the starting point and receive the result.
    loss : sigmanet.losses.Loss
        Provides ``value_and_gradient(y, output, sample_weight, out=)``.
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,) or (n_samples, n_outputs)
        Targets in the form ``loss`` expects.
    sample_weight : array of shape (n_samples,), optional
        Non-negative weights; the data term is ``Σ w_i ℓ_i / Σ w_i``.
    l2 : float
        Penalty ``(l2 / 2S) Σ‖W‖²`` on the weight matrices (``S = Σ w_i``, ``n`` unweighted);
        biases are not penalised.
    max_iter : int
        The most iterations (accepted steps).
    tol : float
        Stop when ``max |∂J/∂θ| <= tol`` (the same test as L-BFGS's ``gtol``).
    step : float, optional
        A fixed step η (plain gradient descent). ``None``: Armijo backtracking.
    callback : callable, optional
        Called after every iteration as ``callback(iteration, J, max|∂J/∂θ|, η)``.

    Returns
    -------
    LineSearchResult

    Raises
    ------
    DivergenceError
        If the objective is not finite at the start, or an iteration's objective breaks the
        divergence rule of :mod:`sigmanet.training` (only a fixed step can: the line search
        accepts decreases only); the parameters are then those of the previous iteration.

    Notes
    -----
    Backtracking also stops, reporting convergence, when the decrease the gradient predicts for
    the step being tried, ``η‖g‖²``, is below the rounding error of ``J`` in the network's dtype:
    no step can then be told apart from no step. In float64 this happens near
    ``max|g| ≈ 1e-8``, in float32 near ``1e-4``, so a smaller ``tol`` than that ends there.
    """
    check("max_iter", max_iter, [Interval("integer", 0, None)])
    l2 = float(check("l2", l2, [Interval("real", 0, None)]))
    tol = float(check("tol", tol, [Interval("real", 0, None)]))
    if step is not None:
        step = float(check("step", step, [Interval("real", 0, None, closed="neither")]))
    objective = FullBatchObjective(network, loss, X, y, sample_weight, l2)
    dtype = network.dtype

    params = network.parameters()
    grads = network.gradients()
    saved = [p.copy() for p in params]
    direction = [np.empty_like(p) for p in params]
    result = LineSearchResult()
    eps = float(np.finfo(dtype).eps)

    def evaluate() -> float:
        """J at the current parameters; fills ``grads`` with ∂J/∂θ."""
        result.n_fun += 1
        return objective()

    def gradient_norm() -> float:
        return max((float(np.max(np.abs(g))) for g in grads if g.size), default=0.0)

    def restore() -> None:
        for p, s in zip(params, saved, strict=True):
            np.copyto(p, s)

    def set_trial(eta: float) -> None:
        for p, s, d in zip(params, saved, direction, strict=True):
            np.multiply(d, eta, out=p)
            np.subtract(s, p, out=p)

    # A diverging trial step overflows by design; it is rejected below, not warned about.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        value = evaluate()
        if not math.isfinite(value):
            raise DivergenceError(
                f"The objective is {value} at the starting point; check the inputs for extreme "
                "values.",
                epoch=0,
                batch=0,
            )
        rule = DivergenceRule.for_objective(objective, value)
        trial_step = 1.0 if step is None else step
        accepted: float | None
        result.message = f"reached max_iter={max_iter}"
        for iteration in range(max_iter):
            g_norm = gradient_norm()
            if g_norm <= tol:
                result.converged = True
                result.message = f"max|gradient| = {g_norm:.3g} <= tol = {tol:.3g}"
                break
            for p, s, g, d in zip(params, saved, grads, direction, strict=True):
                np.copyto(s, p)
                np.copyto(d, g)
            squared_norm = sum(float(np.vdot(d, d)) for d in direction)
            if step is not None:
                set_trial(step)
                new_value = evaluate()
                if rule.diverged(new_value):
                    restore()
                    evaluate()  # the gradients must describe the restored parameters
                    raise DivergenceError(
                        f"Gradient descent diverged at iteration {iteration + 1}: "
                        f"{rule.reason(new_value, 'the objective')}. The parameters are "
                        f"{_kept(iteration)}. {DIVERGENCE_ADVICE}",
                        epoch=iteration,
                        batch=0,
                        history=result,
                        loss=new_value,
                    )
                accepted = step
            else:
                eta = trial_step
                accepted = None
                resolution = 4 * eps * max(1.0, abs(value))
                for _ in range(MAX_HALVINGS):
                    if eta * squared_norm <= resolution:
                        break
                    set_trial(eta)
                    new_value = evaluate()
                    if new_value <= value - ARMIJO_C * eta * squared_norm:
                        accepted = eta
                        break
                    eta *= 0.5
                if accepted is None:
                    restore()
                    evaluate()  # the gradients must describe the restored parameters
                    result.converged = True
                    result.message = (
                        f"no step decreases the objective beyond its {dtype.name} rounding "
                        f"error (max|gradient| = {g_norm:.3g})"
                    )
                    break
                trial_step = 2.0 * accepted
            value = new_value
            result.n_iter += 1
            result.loss.append(value)
            result.step_sizes.append(accepted)
            if callback is not None:
                callback(result.n_iter, value, gradient_norm(), accepted)
        else:
            if gradient_norm() <= tol:
                result.converged = True
                result.message = f"max|gradient| <= tol = {tol:.3g}"
        result.gradient_norm = gradient_norm()
    return result
