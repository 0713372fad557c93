"""The divergence rule shared by every solver.

The fit loop (:func:`sigmanet.training.train`) and
:func:`sigmanet.line_search.train_line_search` apply one rule,
:class:`~sigmanet.training.DivergenceRule` (:func:`sigmanet.training.train_lbfgs` needs none
after a finite start: L-BFGS accepts only steps that decrease the objective). Training has
diverged when the loss of an epoch (the objective of an iteration, for batch gradient descent)

* is not finite, or
* exceeds ``DIVERGENCE_FACTOR = 1e4`` times the *reference*
  ``max(loss at the start, loss of the zero output)``,

and then :class:`~sigmanet.exceptions.DivergenceError` is raised. The parameters are then the
last that the rule measured and passed: those at the start of the last epoch whose mean loss
passed (an epoch's mean measures the parameters it starts from and moves through), the last
iterate that passed for batch gradient descent, or those at the start.

Why this rule: a step size that diverges makes the loss grow geometrically (or, for Adam, whose
steps are bounded by η, by about η per step) until it overflows, and a finite loss ten thousand
times the reference means predictions far worse than predicting nothing, so no useful model is
lost by stopping there. The reference is measured before the first step, not in the first
epoch, because with a step far too large the first epoch is already ruined. The loss of the
zero output (``log 2`` per output for the binary cross-entropy from logits, ``log K`` for the
softmax cross-entropy, ``½ mean ‖y‖²`` for the squared error) keeps a near-perfect start (a
warm start) from making every later increase look like divergence. In the fit loop a
non-finite batch loss stops training at once; the finite test judges whole epochs, whose mean
is not at the mercy of one noisy batch.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sigmanet.network import Sequential

if TYPE_CHECKING:
    from sigmanet.training.full_batch import FullBatchObjective

__all__ = [
    "DIVERGENCE_ADVICE",
    "DIVERGENCE_FACTOR",
    "REFERENCE_BLOCK_VALUES",
    "REFERENCE_ROWS",
    "DivergenceRule",
]


#: An epoch whose loss exceeds this many times the loss at the start has diverged.
DIVERGENCE_FACTOR = 1e4

#: Rows of the evenly spaced sample on which :func:`sigmanet.training.train` measures the loss
#: at the start. The rule compares losses with 10⁴ times the reference, so the reference
#: needs its order of magnitude, not its third digit: the mean of 1,024 rows' losses has it
#: (the zero output's loss, the other half of the reference, is the same on any rows for the
#: two cross-entropies). On workload 1 of ``benchmarks/run.py`` (20,000 rows, widest layer
#: 256) measuring 4,096 rows took 7.9 ms, 2% of that fit at batch 256; 1,024 rows take 2.1 ms.
REFERENCE_ROWS = 1024

#: How many values of its widest layer a block of :func:`sigmanet.training.train`'s
#: measurement of the loss at the start may hold (1 MiB in float32): a block has
#: ``REFERENCE_BLOCK_VALUES // widest`` rows, or a batch's rows when a batch holds more. Per
#: block the network's forward pass and the loss are a few NumPy calls each: in blocks of 32
#: rows, measuring 4,096 rows of workload 1 of ``benchmarks/run.py`` (widest layer 256) took
#: 19 ms, in blocks of 1,024 about 7 ms.
REFERENCE_BLOCK_VALUES = 2**18

DIVERGENCE_ADVICE = (
    "Lower the learning rate, or standardise the inputs (e.g. with "
    "sklearn.preprocessing.StandardScaler)."
)


class DivergenceRule:
    """The divergence test of every solver (see the module docstring).

    A loss ``L`` has diverged when it is not finite or ``L > factor · reference``. A reference
    that is not a positive finite number (a start that is already non-finite, or a zero loss at
    both the start and the zero output) leaves only the finiteness test.

    Parameters
    ----------
    reference : float
        ``max(loss at the start, loss of the zero output)``: see :meth:`at_start`.
    factor : float
        ``DIVERGENCE_FACTOR`` by default.
    """

    def __init__(self, reference: float, factor: float = DIVERGENCE_FACTOR) -> None:
        self.reference = float(reference)
        self.factor = float(factor)
        judged = math.isfinite(self.reference) and self.reference > 0
        self.limit = self.factor * self.reference if judged else math.inf

    @classmethod
    def at_start(
        cls,
        network: Sequential,
        loss: Any,
        X: np.ndarray,
        y: np.ndarray,
        weight: np.ndarray | None,
        penalty: float = 0.0,
        block_rows: int = 256,
    ) -> DivergenceRule:
        """The rule whose reference is measured on ``(X, y, weight)`` at the current parameters.

        ``penalty`` is the L2 term ``½ (l2 / m) Σ‖W‖²`` at the start, added to the loss there.
        The rows go through in blocks of ``block_rows``, so that measuring holds one block's
        activations at a time.
        """
        n = X.shape[0]
        block_rows = max(1, min(int(block_rows), n))
        start = zero_output = total = 0.0
        zeros = scratch = None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for begin in range(0, n, block_rows):
                stop = min(begin + block_rows, n)
                w = None if weight is None else weight[begin:stop]
                share = float(stop - begin if w is None else np.sum(w, dtype=np.float64))
                if share <= 0:
                    continue
                output = network.predict(X[begin:stop])
                if zeros is None or scratch is None:
                    zeros = np.zeros((block_rows, *output.shape[1:]), output.dtype)
                    scratch = np.empty_like(zeros)
                rows, targets, grad = stop - begin, y[begin:stop], scratch[: stop - begin]
                start += share * float(loss.value_and_gradient(targets, output, w, out=grad)[0])
                value = loss.value_and_gradient(targets, zeros[:rows], w, out=grad)[0]
                zero_output += share * float(value)
                total += share
        if total <= 0:
            return cls(math.nan)
        return cls(max(start / total + penalty, zero_output / total))

    @classmethod
    def for_objective(cls, objective: FullBatchObjective, start: float) -> DivergenceRule:
        """The rule of a full-batch solver whose objective is ``start`` at the first point."""
        network = objective.network
        zeros = np.zeros((objective.X.shape[0], network.output_dim or 1), network.dtype)
        scratch = np.empty_like(zeros)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value = objective.loss.value_and_gradient(
                objective.y, zeros, objective.weight, out=scratch
            )[0]
        return cls(max(start, float(value)))

    def diverged(self, value: float) -> bool:
        """Whether the loss ``value`` has diverged."""
        return not value <= self.limit  # also true for NaN

    def reason(self, value: float, what: str = "the loss") -> str:
        """Why ``value`` has diverged, in words."""
        if not math.isfinite(value):
            return f"{what} became {value}"
        return (
            f"{what}, {value:.3g}, exceeds {self.factor:g} times {self.reference:.3g}, the "
            "larger of the loss at the start and the loss of a zero output"
        )
