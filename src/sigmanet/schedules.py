"""Learning-rate schedules: η as a function of training progress.

The training loop calls a schedule before every optimizer step and sets
``optimizer.learning_rate`` to the result::

    optimizer.learning_rate = schedule(epoch, step, samples_seen)

where ``epoch`` is the 0-based epoch, ``step`` the 0-based index of the batch within the epoch
and ``samples_seen`` the number of samples processed before this step, over all epochs. After
each epoch it calls ``schedule.on_epoch_end(epoch, loss)`` with the epoch's training loss (only
:class:`Adaptive` listens).

=============  =========================================================  ===================
name           η at (epoch e, step i, samples seen s)                     as in
=============  =========================================================  ===================
constant       η₀                                                         sklearn 'constant'
invscaling     η₀ / (s + 1)^power_t                                       sklearn 'invscaling'
adaptive       η₀, divided by 5 after ``patience`` epochs without         sklearn 'adaptive'
               the loss improving by ``tol``
step           η₀ · γ^⌊e / step_size⌋                                     PyTorch StepLR
exponential    η₀ · γ^e                                                   PyTorch ExponentialLR
cosine         η_min + ½(η₀ - η_min)(1 + cos(π · min(e, T) / T))          PyTorch (no restarts)
annealed       a / (b + e + i) + c  (default 4 / (1 + e + i) + 0.01)      Machine Learning in
                                                                          Action, ch. 5
=============  =========================================================  ===================
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from sigmanet.constraints import InstanceOf, Interval, Satisfies, check
from sigmanet.registry import Registry

__all__ = [
    "Adaptive",
    "Annealed",
    "Constant",
    "CosineAnnealing",
    "ExponentialDecay",
    "InverseScaling",
    "Schedule",
    "StepDecay",
    "get",
    "names",
]


# What the hyper-parameters may be (sigmanet.constraints words the errors).
_POSITIVE = [Interval("real", 0, None, closed="neither")]
_NON_NEGATIVE = [Interval("real", 0, None)]
_DECAY_FACTOR = [Interval("real", 0, 1, closed="right")]
_SHRINK_FACTOR = [Interval("real", 0, 1, closed="neither")]
_COUNT = [Interval("integer", 0, None)]
_POSITIVE_COUNT = [Interval("integer", 1, None)]
_BOOL = [InstanceOf(bool, np.bool_, label="True or False")]
_LOSS = [
    Satisfies(
        lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_),
        "a real number",
    )
]


#: Every learning-rate schedule by name: ``REGISTRY.get("cosine")`` is
#: :class:`CosineAnnealing`.
REGISTRY: Registry[type[Schedule]] = Registry("learning-rate schedule")


class Schedule:
    """Base class: a learning rate as a function of ``(epoch, step, samples_seen)``.

    Subclasses implement ``_rate(epoch, step, samples_seen)``; the arguments arrive validated
    as non-negative ints and the result is returned as a Python float.
    """

    name: ClassVar[str] = ""

    def __call__(self, epoch: int, step: int, samples_seen: int) -> float:
        """The learning rate for batch ``step`` of epoch ``epoch``.

        Parameters
        ----------
        epoch : int
            0-based epoch index.
        step : int
            0-based index of the batch within the epoch.
        samples_seen : int
            Samples processed before this step, over all epochs.

        Returns
        -------
        float
            The learning rate, >= 0.

        Raises
        ------
        TypeError, ValueError
            If an argument is not a non-negative integer.
        """
        # Called before every training step: three ints >= 0, the usual arguments, are taken
        # without the general check's cost.
        if not (
            type(epoch) is int
            and type(step) is int
            and type(samples_seen) is int
            and min(epoch, step, samples_seen) >= 0
        ):
            epoch = operator.index(check("epoch", epoch, _COUNT))
            step = operator.index(check("step", step, _COUNT))
            samples_seen = operator.index(check("samples_seen", samples_seen, _COUNT))
        return float(self._rate(epoch, step, samples_seen))

    def _rate(self, epoch: int, step: int, samples_seen: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} does not define a rate.")

    def on_epoch_end(self, epoch: int, loss: float) -> None:
        """Hear the training loss of a finished epoch (a no-op unless overridden)."""

    def reset(self) -> None:
        """Forget what was learned during training (a no-op for stateless schedules)."""

    def get_config(self) -> dict[str, Any]:
        """The parameters: ``type(s)(**s.get_config())`` builds an equal, fresh schedule."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """The state needed to resume (empty for stateless schedules)."""
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume from :meth:`state_dict` output."""
        if dict(state):
            raise ValueError(f"{type(self).__name__} has no state; got keys {sorted(state)}.")

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"


@REGISTRY.register("constant")
class Constant(Schedule):
    """η = η₀ at every step.

    Parameters
    ----------
    learning_rate : float
        η₀ > 0.
    """

    name = "constant"

    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = float(check("learning_rate", learning_rate, _POSITIVE))

    def _rate(self, epoch: int, step: int, samples_seen: int) -> float:
        return self.learning_rate

    def get_config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate}


@REGISTRY.register("invscaling")
class InverseScaling(Schedule):
    """Inverse scaling, scikit-learn's ``learning_rate='invscaling'``.

    ::

        η = η₀ / t^power_t,   t = s + 1

    where s is the number of samples seen, so t >= 1 and the first step uses η₀.

    With ``per_epoch=True`` (the default) s is the number of samples seen before the *epoch*
    began, so η is constant within an epoch: exactly what ``MLPClassifier(solver="sgd",
    learning_rate="invscaling")`` does, since its ``SGDOptimizer.iteration_ends(t_)`` sets
    ``learning_rate_init / (t_ + 1) ** power_t`` once per epoch, ``t_`` counting samples. The
    value is fixed at the first call of each epoch (normally its step 0).

    With ``per_epoch=False`` s is the number of samples seen before the current *batch*, so η
    decays every step; with one sample per batch this is ``SGDClassifier``'s
    ``eta0 / pow(t, power_t)`` with its 1-based sample counter t.

    Parameters
    ----------
    learning_rate : float, default=0.01
        η₀ > 0.
    power_t : float, default=0.5
        Exponent, >= 0.
    per_epoch : bool, default=True
        Update η once per epoch (scikit-learn's MLP) rather than every step.
    """

    name = "invscaling"

    def __init__(
        self, learning_rate: float = 0.01, power_t: float = 0.5, per_epoch: bool = True
    ) -> None:
        self.learning_rate = float(check("learning_rate", learning_rate, _POSITIVE))
        self.power_t = float(check("power_t", power_t, _NON_NEGATIVE))
        check("per_epoch", per_epoch, _BOOL)
        self.per_epoch = bool(per_epoch)
        self._epoch: int | None = None
        self._epoch_start = 0

    def _rate(self, epoch: int, step: int, samples_seen: int) -> float:
        if self.per_epoch:
            if epoch != self._epoch:
                self._epoch = epoch
                self._epoch_start = samples_seen
            samples_seen = self._epoch_start
        return self.learning_rate / float(samples_seen + 1) ** self.power_t

    def reset(self) -> None:
        self._epoch = None
        self._epoch_start = 0

    def get_config(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "power_t": self.power_t,
            "per_epoch": self.per_epoch,
        }

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self._epoch, "epoch_start": self._epoch_start}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if set(state) != {"epoch", "epoch_start"}:
            raise ValueError(
                f"InverseScaling state must have the keys ['epoch', 'epoch_start']; got "
                f"{sorted(state)}."
            )
        epoch = state["epoch"]
        self._epoch = (
            None if epoch is None else operator.index(check("state['epoch']", epoch, _COUNT))
        )
        self._epoch_start = operator.index(
            check("state['epoch_start']", state["epoch_start"], _COUNT)
        )


@REGISTRY.register("adaptive")
class Adaptive(Schedule):
    """Reduce η when the training loss stops improving, scikit-learn's ``'adaptive'``.

    η starts at η₀. After every epoch, the loss counts as an improvement if
    ``loss <= best_loss - tol`` (a NaN loss never improves). After ``patience`` consecutive
    epochs without improvement, ``η ← max(factor · η, min_learning_rate)`` and the count
    restarts. If a reduction is due while η is already at ``min_learning_rate``,
    ``exhausted`` becomes True: the signal on which scikit-learn stops training.

    Differences from scikit-learn, which are choices of parameters rather than of rule:
    scikit-learn's MLP reduces η when its ``n_iter_no_change`` (default 10) is *exceeded*,
    i.e. after ``n_iter_no_change + 1`` bad epochs (``patience = n_iter_no_change + 1`` here
    reproduces it), and stops instead of reducing once η <= 1e-6, where this schedule floors
    η at ``min_learning_rate``.

    Parameters
    ----------
    learning_rate : float, default=0.01
        η₀ > 0.
    factor : float, default=0.2
        Multiplier in (0, 1) applied at each reduction (0.2: divide by 5).
    patience : int, default=2
        Consecutive epochs without improvement before η is reduced, >= 1.
    tol : float, default=1e-4
        The improvement in loss that counts, >= 0.
    min_learning_rate : float, default=1e-6
        Floor for η, in [0, learning_rate].

    Attributes
    ----------
    current_learning_rate : float
        The η returned by calls until the next reduction.
    best_loss : float
        The lowest epoch loss heard (inf before the first).
    bad_epochs : int
        Consecutive epochs without improvement so far.
    exhausted : bool
        Whether a reduction was due with η already at ``min_learning_rate``.
    """

    name = "adaptive"

    def __init__(
        self,
        learning_rate: float = 0.01,
        factor: float = 0.2,
        patience: int = 2,
        tol: float = 1e-4,
        min_learning_rate: float = 1e-6,
    ) -> None:
        self.learning_rate = float(check("learning_rate", learning_rate, _POSITIVE))
        self.factor = float(check("factor", factor, _SHRINK_FACTOR))
        self.patience = operator.index(check("patience", patience, _POSITIVE_COUNT))
        self.tol = float(check("tol", tol, _NON_NEGATIVE))
        self.min_learning_rate = float(check("min_learning_rate", min_learning_rate, _NON_NEGATIVE))
        if self.min_learning_rate > self.learning_rate:
            raise ValueError(
                f"min_learning_rate must be <= learning_rate; got {min_learning_rate!r} > "
                f"{learning_rate!r}."
            )
        self.reset()

    def reset(self) -> None:
        self.current_learning_rate = self.learning_rate
        self.best_loss = math.inf
        self.bad_epochs = 0
        self.exhausted = False

    def _rate(self, epoch: int, step: int, samples_seen: int) -> float:
        return self.current_learning_rate

    def on_epoch_end(self, epoch: int, loss: float) -> None:
        """Count an epoch with or without improvement and reduce η when patience runs out.

        Parameters
        ----------
        epoch : int
            The finished epoch (0-based); not used by the rule.
        loss : float
            Its training loss.
        """
        loss = float(check("loss", loss, _LOSS))
        if loss <= self.best_loss - self.tol:
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        if loss < self.best_loss:
            self.best_loss = loss
        if self.bad_epochs >= self.patience:
            self.bad_epochs = 0
            if self.current_learning_rate <= self.min_learning_rate:
                self.exhausted = True
            else:
                self.current_learning_rate = max(
                    self.current_learning_rate * self.factor, self.min_learning_rate
                )

    def get_config(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "factor": self.factor,
            "patience": self.patience,
            "tol": self.tol,
            "min_learning_rate": self.min_learning_rate,
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            "current_learning_rate": self.current_learning_rate,
            "best_loss": self.best_loss,
            "bad_epochs": self.bad_epochs,
            "exhausted": self.exhausted,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        expected = {"current_learning_rate", "best_loss", "bad_epochs", "exhausted"}
        if set(state) != expected:
            raise ValueError(
                f"Adaptive state must have the keys {sorted(expected)}; got {sorted(state)}."
            )
        self.current_learning_rate = float(
            check("state['current_learning_rate']", state["current_learning_rate"], _NON_NEGATIVE)
        )
        self.best_loss = float(state["best_loss"])
        self.bad_epochs = operator.index(check("state['bad_epochs']", state["bad_epochs"], _COUNT))
        self.exhausted = bool(state["exhausted"])


@REGISTRY.register("step")
class StepDecay(Schedule):
    """η = η₀ · γ^⌊epoch / step_size⌋: multiply by γ every ``step_size`` epochs.

    Parameters
    ----------
    learning_rate : float, default=0.01
        η₀ > 0.
    step_size : int, default=10
        Epochs between decays, >= 1.
    gamma : float, default=0.1
        γ in (0, 1].
    """

    name = "step"

    def __init__(self, learning_rate: float = 0.01, step_size: int = 10, gamma: float = 0.1):
        self.learning_rate = float(check("learning_rate", learning_rate, _POSITIVE))
        self.step_size = operator.index(check("step_size", step_size, _POSITIVE_COUNT))
        self.gamma = float(check("gamma", gamma, _DECAY_FACTOR))

    def _rate(self, epoch: int, step: int, samples_seen: int) -> float:
        return self.learning_rate * self.gamma ** (epoch // self.step_size)

    def get_config(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "step_size": self.step_size,
            "gamma": self.gamma,
        }


@REGISTRY.register("exponential")
class ExponentialDecay(Schedule):
    """η = η₀ · γ^epoch.

    Parameters
    ----------
    learning_rate : float, default=0.01
        η₀ > 0.
    gamma : float, default=0.95
        γ in (0, 1].
    """

    name = "exponential"

    def __init__(self, learning_rate: float = 0.01, gamma: float = 0.95) -> None:
        self.learning_rate = float(check("learning_rate", learning_rate, _POSITIVE))
        self.gamma = float(check("gamma", gamma, _DECAY_FACTOR))

    def _rate(self, epoch: int, step: int, samples_seen: int) -> float:
        return self.learning_rate * self.gamma**epoch

    def get_config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "gamma": self.gamma}


@REGISTRY.register("cosine")
class CosineAnnealing(Schedule):
    """Cosine annealing without restarts (Loshchilov & Hutter 2017, SGDR).

    ::

        η = η_min + ½ (η₀ - η_min) (1 + cos(π · min(epoch, T) / T))

    η₀ at epoch 0, η_min from epoch T on.

    Parameters
    ----------
    learning_rate : float, default=0.01
        η₀ > 0.
    t_max : int, default=100
        T, the epoch at which η reaches η_min, >= 1.
    min_learning_rate : float, default=0.0
        η_min in [0, learning_rate].

    References
    ----------
    Loshchilov & Hutter (2017), "SGDR: Stochastic gradient descent with warm restarts", ICLR.
    """

    name = "cosine"

    def __init__(
        self, learning_rate: float = 0.01, t_max: int = 100, min_learning_rate: float = 0.0
    ) -> None:
        self.learning_rate = float(check("learning_rate", learning_rate, _POSITIVE))
        self.t_max = operator.index(check("t_max", t_max, _POSITIVE_COUNT))
        self.min_learning_rate = float(check("min_learning_rate", min_learning_rate, _NON_NEGATIVE))
        if self.min_learning_rate > self.learning_rate:
            raise ValueError(
                f"min_learning_rate must be <= learning_rate; got {min_learning_rate!r} > "
                f"{learning_rate!r}."
            )

    def _rate(self, epoch: int, step: int, samples_seen: int) -> float:
        progress = min(epoch, self.t_max) / self.t_max
        low = self.min_learning_rate
        return low + 0.5 * (self.learning_rate - low) * (1.0 + math.cos(math.pi * progress))

    def get_config(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "t_max": self.t_max,
            "min_learning_rate": self.min_learning_rate,
        }


@REGISTRY.register("annealed")
class Annealed(Schedule):
    """The annealed step of "Machine Learning in Action" (Harrington 2012), ``stocGradDescent1``.

    ::

        α = a / (b + epoch + i) + c        (default: 4 / (1 + epoch + i) + 0.01)

    with ``i`` the index of the batch (of the sample, in stochastic gradient descent) within the
    epoch. α shrinks within an epoch and from epoch to epoch at the same ``i``, which damps the
    oscillation of stochastic gradient descent; the constant ``c`` keeps it from reaching 0 so
    that late samples still move the weights. It restarts a little higher at the start of each
    epoch than it ended the previous one, since ``i`` returns to 0.

    Parameters
    ----------
    a : float, default=4.0
        Numerator, > 0.
    b : float, default=1.0
        Offset of the denominator, > 0 (so epoch 0, step 0 gives a / b + c).
    c : float, default=0.01
        The floor α approaches, >= 0.
    """

    name = "annealed"

    def __init__(self, a: float = 4.0, b: float = 1.0, c: float = 0.01) -> None:
        self.a = float(check("a", a, _POSITIVE))
        self.b = float(check("b", b, _POSITIVE))
        self.c = float(check("c", c, _NON_NEGATIVE))

    def _rate(self, epoch: int, step: int, samples_seen: int) -> float:
        return self.a / (self.b + epoch + step) + self.c

    def get_config(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "c": self.c}


REGISTRY.seal()


def names() -> list[str]:
    """The names :func:`get` accepts, sorted."""
    return REGISTRY.names()


def get(name: str | Schedule, **params: Any) -> Schedule:
    """Build a schedule from its name, or pass a schedule instance through.

    Parameters
    ----------
    name : str or Schedule
        One of :func:`names` (case-insensitive), or a :class:`Schedule`, returned as is.
    **params
        Parameters of the named schedule's constructor.

    Returns
    -------
    Schedule

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones), or ``params`` given together
        with a schedule instance.
    TypeError
        For a parameter the schedule does not take (the message lists those it does), or a
        ``name`` that is neither a string nor a Schedule.
    """
    return REGISTRY.build(name, params, base=Schedule)
