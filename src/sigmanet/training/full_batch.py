"""The full-batch objective as sums over rows, and the L-BFGS solver that minimises it.

``J(θ) = Σ w_i ℓ_i / Σ w_i + (l2 / 2S) Σ‖W‖²`` is assembled from
:class:`~sigmanet.training.BlockSums` (loss, gradient and weight summed over a block of rows),
so in-memory, streamed and distributed fits share one code path: each block's sums add up to
the sums of all rows.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sigmanet import engine as _engine
from sigmanet.exceptions import DivergenceError
from sigmanet.network import Sequential
from sigmanet.training.data import training_rows

__all__ = [
    "BlockSums",
    "FullBatchObjective",
    "LbfgsResult",
    "block_sums",
    "minimize_lbfgs",
    "objective_from_sums",
    "train_lbfgs",
]


@dataclass
class BlockSums:
    """The data term of the full-batch objective summed over a block of rows.

    For sample weights ``w_i`` (1 without weights) and the per-sample loss ``ℓ_i(θ)``:
    ``loss = Σ w_i ℓ_i``, ``gradient = Σ w_i ∂ℓ_i/∂θ`` (float64, laid out as
    ``Sequential.flat_parameters()``) and ``weight = Σ w_i``. Sums of disjoint blocks add up
    (``a + b``) to the sums of their union, in any order or tree.
    """

    loss: float
    gradient: np.ndarray
    weight: float

    def __add__(self, other: BlockSums) -> BlockSums:
        return BlockSums(
            self.loss + other.loss, self.gradient + other.gradient, self.weight + other.weight
        )


def block_sums(
    network: Sequential,
    loss: Any,
    X: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray | None = None,
    *,
    block_rows: int | None = None,
) -> BlockSums:
    """:class:`BlockSums` of ``(X, y, weight)`` at the network's current parameters.

    The rows are taken ``block_rows`` at a time (all at once when None), so the arrays a
    forward and backward pass makes stay the size of one block: a worker evaluates a large
    chunk in cache-sized pieces, in the network's dtype, without copying the chunk. Each block
    is one forward and one backward pass; the loss's mean over the block and its gradient are
    scaled back to sums by the block's weight. A block of zero total weight adds nothing.

    Parameters
    ----------
    network : Sequential
        A built network; its gradients are overwritten.
    loss : sigmanet.losses.Loss
        Provides ``value_and_gradient(y, output, sample_weight, out=)``.
    X, y, weight
        Rows already checked and in the network's dtype (as :class:`FullBatchObjective` keeps
        them).
    block_rows : int, optional
        Rows per forward/backward pass.
    """
    n_samples = X.shape[0]
    step = n_samples if block_rows is None else max(1, int(block_rows))
    flat_grads = network.flat_gradients()
    gradient = np.zeros(flat_grads.shape, dtype=np.float64)
    scaled = np.empty_like(gradient)
    total_loss = 0.0
    total_weight = 0.0
    grad_output: np.ndarray | None = None
    for start in range(0, n_samples, max(step, 1)):  # an empty chunk has step 0
        stop = min(start + step, n_samples)
        w = None if weight is None else weight[start:stop]
        mass = float(stop - start) if w is None else float(np.sum(w, dtype=np.float64))
        if mass == 0:
            continue
        output = network.forward(X[start:stop], training=True)
        if grad_output is None or grad_output.shape != output.shape:
            grad_output = np.empty_like(output)
        value, _ = loss.value_and_gradient(y[start:stop], output, w, out=grad_output)
        network.backward(grad_output)
        np.multiply(flat_grads, mass, out=scaled, dtype=np.float64)
        gradient += scaled
        total_loss += float(value) * mass
        total_weight += mass
    return BlockSums(total_loss, gradient, total_weight)


class FullBatchObjective:
    """The full-batch objective and its gradient, for the solvers that see all data at once.

    ``J(θ) = Σ w_i ℓ_i / Σ w_i + (l2 / 2S) Σ‖W‖²`` with ``S = Σ w_i`` (``n`` unweighted) and the
    penalty on the weight matrices only. With ``l2 = 1/C`` it has the minimiser of
    scikit-learn's ``C Σ w_i ℓ_i + ½‖w‖²``. Calling the object evaluates ``J`` at the network's
    current parameters and leaves ``∂J/∂θ`` in the network's gradients (one forward and one
    backward pass).

    The value is assembled from sums over rows (:meth:`block_sums`, :meth:`from_sums`), so an
    objective whose rows live elsewhere (the chunks of a Dask array on a cluster,
    :mod:`sigmanet.dask`) adds up its blocks' :class:`BlockSums` and calls :meth:`from_sums`:
    the in-memory fit and the distributed one run the same code.

    Parameters
    ----------
    network, loss, X, y, sample_weight
        As for :func:`sigmanet.training.train`; X, y and the weights are validated and cast to
        the network's dtype once, here.
    l2 : float
        Penalty strength (biases are not penalised).
    engine : {"auto", "compiled", "numpy"}
        Whether loss and gradient come from the compiled kernel (:mod:`sigmanet.engine`; one
        forward pass, one fused loop for loss and residual, one backward pass) or from the
        network's NumPy layers, as for :func:`sigmanet.training.train`. ``self.engine`` says
        which is used.
    """

    def __init__(
        self,
        network: Sequential,
        loss: Any,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        l2: float = 0.0,
        engine: str = "auto",
    ) -> None:
        if not isinstance(network, Sequential) or network.input_dim is None:
            raise TypeError("network must be a built sigmanet.network.Sequential.")
        X, y, weight = training_rows(network, X, y, sample_weight)
        if not (isinstance(l2, numbers.Real) and math.isfinite(l2) and l2 >= 0):
            raise ValueError(f"l2 must be a finite number >= 0; got {l2!r}.")
        dtype = network.dtype
        self.network: Sequential = network
        self.loss: Any = loss
        self.X: Any = X.astype(dtype, copy=False)
        self.y: np.ndarray = y.astype(dtype, copy=False) if y.dtype.kind == "f" else y
        self.weight: np.ndarray | None = (
            None if weight is None else weight.astype(dtype, copy=False)
        )
        total = float(X.shape[0] if weight is None else np.sum(weight, dtype=np.float64))
        self.l2: float = float(l2)
        self.penalty: float = float(l2) / total if total > 0 else 0.0
        self._kernel: _engine.FullBatchKernel | None = None
        if _engine.check_engine(engine) != "numpy":
            self._kernel = _engine.full_batch_kernel(
                network, loss, self.X, self.y, self.weight, engine
            )
            if self._kernel is None and engine == "compiled":
                raise ValueError(
                    "engine='compiled' cannot compute this objective (see "
                    "sigmanet.engine.network_coverage and loss_coverage); use engine='auto'."
                )
        self.engine: str = "numpy" if self._kernel is None else "compiled"

    def __call__(self) -> float:
        """``J`` at the current parameters; ``∂J/∂θ`` is left in ``network.flat_gradients()``."""
        if self._kernel is not None:
            value = self._kernel()  # the mean loss; its gradient is in flat_gradients()
            if math.isfinite(value):
                return _add_l2_penalty(self.network, value, self.penalty)
        # The NumPy path, with the loss's repairs of infinite logits.
        return self.from_sums(self.block_sums())

    def block_sums(self) -> BlockSums:
        """The sums over this objective's rows at the current parameters (:func:`block_sums`)."""
        return block_sums(self.network, self.loss, self.X, self.y, self.weight)

    def from_sums(self, sums: BlockSums) -> float:
        """``J`` from the sums over all rows, however they were gathered.

        ``J = Σ w_i ℓ_i / S + (l2 / 2S) Σ‖W‖²`` with ``S = sums.weight``; ``∂J/∂θ =
        sums.gradient / S + (l2 / S) W`` is written into ``network.flat_gradients()`` (in the
        network's dtype). One block of all rows gives the in-memory objective; per-chunk sums
        added together (on a cluster, say) give the same ``J`` up to rounding.

        Raises
        ------
        ValueError
            If the rows' total weight ``S`` is not positive.
        """
        return objective_from_sums(self.network, sums, self.l2)


def objective_from_sums(network: Sequential, sums: BlockSums, l2: float = 0.0) -> float:
    """The full-batch objective ``J`` from the sums over all rows; see
    :meth:`FullBatchObjective.from_sums`, which this is without rows of its own."""
    total = float(sums.weight)
    if not total > 0:
        raise ValueError(f"The rows' total sample weight must be positive; got {total}.")
    network.flat_gradients()[...] = sums.gradient / total
    return _add_l2_penalty(network, float(sums.loss) / total, float(l2) / total)


def _add_l2_penalty(network: Sequential, value: float, penalty: float) -> float:
    """``value + ½ penalty Σ‖W‖²``, with ``penalty · W`` added to the weight gradients."""
    if penalty > 0:
        for w, g in zip(network.weight_matrices(), network.weight_gradients(), strict=True):
            g += penalty * w  # a Python-float scalar keeps float32 float32
        squares = [float(np.vdot(w, w)) for w in network.weight_matrices()]
        value += 0.5 * penalty * math.fsum(squares)
    return float(value)


@dataclass
class LbfgsResult:
    """What :func:`train_lbfgs` did: scipy's outcome and the loss after each iteration."""

    loss: list[float]
    n_iter: int
    n_fun: int
    converged: bool
    message: str
    engine: str = "numpy"


def train_lbfgs(
    network: Sequential,
    loss: Any,
    X: Any,
    y: Any,
    *,
    sample_weight: Any = None,
    l2: float = 0.0,
    max_iter: int = 200,
    max_fun: int = 15000,
    tol: float = 1e-4,
    ftol: float | None = None,
    engine: str = "auto",
) -> LbfgsResult:
    """Fit all parameters at once by L-BFGS on the full-batch objective.

    The objective is :class:`FullBatchObjective`'s ``J(θ) = Σ w_i ℓ_i / Σ w_i + (l2 / 2S) Σ‖W‖²``
    (scikit-learn's MLP ``alpha``; with ``l2 = 1/C`` scikit-learn's logistic regression's
    minimiser). Its gradient comes from one backward pass; scipy's
    L-BFGS-B (Liu & Nocedal 1989) takes the steps. Parameters are packed into one float64
    vector for scipy, copied from and into the network's flat parameter vector (of its dtype).

    Parameters
    ----------
    network, loss, X, y, sample_weight
        As for :func:`sigmanet.training.train`.
    l2 : float
        Penalty strength on the weight matrices (biases are not penalised).
    max_iter, max_fun : int
        Iteration and function-evaluation limits (scikit-learn's ``max_iter``, ``max_fun``).
    tol : float
        Stop when the largest component of the projected gradient is below ``tol`` (scipy's
        ``gtol``, as scikit-learn uses it).
    ftol : float, optional
        Stop when the relative reduction of the objective falls below this
        (default ``64 · machine epsilon``, as scikit-learn's logistic regression).
    engine : {"auto", "compiled", "numpy"}
        Where the objective's gradient comes from (see :class:`FullBatchObjective`).

    Raises
    ------
    DivergenceError
        If the objective is not finite at the starting point. After a finite start L-BFGS
        cannot break the divergence rule (module docstring): its line search accepts only
        iterates that decrease the objective (scipy's sufficient-decrease condition), and
        treats a non-finite trial value as a failed trial.
    """
    evaluate = FullBatchObjective(network, loss, X, y, sample_weight, l2, engine=engine)
    return minimize_lbfgs(network, evaluate, max_iter=max_iter, max_fun=max_fun, tol=tol, ftol=ftol)


def minimize_lbfgs(
    network: Sequential,
    evaluate: Callable[[], float],
    *,
    max_iter: int = 200,
    max_fun: int = 15000,
    tol: float = 1e-4,
    ftol: float | None = None,
) -> LbfgsResult:
    """Minimise ``evaluate`` over the network's parameters by scipy's L-BFGS-B.

    ``evaluate()`` returns the objective at the network's current parameters and leaves its
    gradient in ``network.flat_gradients()``, as :class:`FullBatchObjective` does; an
    objective whose sums come from elsewhere (a cluster) plugs in here. The other parameters
    are :func:`train_lbfgs`'s.
    """
    from scipy.optimize import minimize

    flat_params = network.flat_parameters()
    flat_grads = network.flat_gradients()
    history: list[float] = []

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        flat_params[...] = theta
        # a trial point may overflow: scipy sees inf and backtracks, no warning needed
        with np.errstate(over="ignore", invalid="ignore"):
            value = evaluate()
        return value, flat_grads.astype(np.float64)

    theta0 = flat_params.astype(np.float64)
    start_value, _ = objective(theta0)
    if not math.isfinite(start_value):
        raise DivergenceError(
            f"The objective is {start_value} at the starting point; check the inputs for "
            "extreme values.",
            epoch=0,
            batch=0,
        )

    def record(intermediate_result: Any) -> None:
        history.append(float(intermediate_result.fun))

    options: dict[str, Any] = {
        "maxiter": int(max_iter),
        "maxfun": int(max_fun),
        "gtol": float(tol),
        "ftol": 64 * float(np.finfo(np.float64).eps) if ftol is None else float(ftol),
    }
    result = minimize(
        objective, theta0, jac=True, method="L-BFGS-B", callback=record, options=options
    )
    flat_params[...] = result.x
    return LbfgsResult(
        loss=history,
        n_iter=int(result.nit),
        n_fun=int(result.nfev),
        converged=bool(result.success),
        message=str(result.message),
        engine=getattr(
            evaluate, "engine", "numpy"
        ),  # an objective of sums gathered elsewhere: NumPy
    )
