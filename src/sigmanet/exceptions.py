"""The error classes sigmanet raises on purpose.

Every class also derives from the built-in exception a user would expect (``ValueError``,
``RuntimeError``), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

from typing import Any


class SigmanetError(Exception):
    """Base class of every error sigmanet raises on purpose."""


class DivergenceError(SigmanetError, ValueError, FloatingPointError):
    """Training diverged: the loss became non-finite or grew far beyond its value at the start.

    The parameters are those of the last epoch (iteration) that passed the divergence rule of
    :mod:`sigmanet.training`. ``epoch`` and ``batch`` (0-based) say where training stopped;
    ``history``, when the solver has one, what it recorded before; ``loss`` the value that
    broke the rule (NaN when a gradient overflowed before the loss was known).

    A ``ValueError`` too, the error scikit-learn raises when a solver produces non-finite
    weights, so code written to catch that keeps working.
    """

    def __init__(
        self,
        message: str,
        *,
        epoch: int,
        batch: int,
        history: Any = None,
        loss: float = float("nan"),
    ) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.history = history
        self.loss = loss


class GradientOverflowError(SigmanetError, FloatingPointError):
    """A gradient is so large that its square overflows its dtype: training has diverged.

    Raised by the adaptive optimizers (Adam, AdamW, RMSProp, Adagrad) before anything is
    modified, instead of letting an infinite second moment silently freeze the coordinate.
    :func:`sigmanet.training.train` reports it as a :class:`~sigmanet.exceptions.DivergenceError`.
    """


class ModelFileError(SigmanetError, ValueError):
    """A file could not be read as a sigmanet model (see :func:`sigmanet.load`)."""


class GradientCheckError(SigmanetError, AssertionError):
    """An analytic gradient disagrees with its central-difference estimate."""
