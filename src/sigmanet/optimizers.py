"""Optimizers: update parameter arrays in place from their gradients.

An optimizer holds the state of a first-order method (velocity, moment estimates,
accumulators) and applies one update per call of :meth:`Optimizer.step`::

    optimizer = Adam(learning_rate=1e-3)
    for batch in batches:
        ...                                   # forward, backward fill `grads`
        optimizer.step(params, grads)         # params[i] <- update(params[i], grads[i])

========  ===============================================  ========================
name      update (g = ∂L/∂w, η = learning_rate)            reference
========  ===============================================  ========================
sgd / gd  w ← w - η g; with momentum μ: v ← μ v - η g,     Rumelhart et al. 1986;
          w ← w + v; Nesterov: w ← w + μ v - η g           Sutskever et al. 2013
adam      bias-corrected first and second moments          Kingma & Ba 2015
adamw     Adam plus decoupled weight decay w ← w - η λ w   Loshchilov & Hutter 2019
rmsprop   w ← w - η g / (√v + ε), v a running mean of g²   Hinton, lecture 6e, 2012
adagrad   w ← w - η g / (√G + ε), G the running sum of g²  Duchi et al. 2011
========  ===============================================  ========================

Performance: state buffers are created on the first :meth:`~Optimizer.step`, one per parameter
and of the parameter's dtype (float32 stays float32), together with private scratch buffers.
Every later step works in place through ``out=`` and allocates no arrays. Gradients are only
read, never modified. Scalars are kept as Python floats so that NumPy never promotes a float32
computation to float64.

Numerics: NaN in a gradient gives NaN in that parameter, without warnings. The adaptive
methods square the gradient, which is where a single finite gradient overflows first (abs(g)
above about 1.8e19 in float32, 1.3e154 in float64); they compute g² for all parameters before
changing anything and raise :class:`GradientOverflowError` if it overflows, rather than let an
infinite second moment freeze the coordinate for good. Any other overflow means the parameters
themselves diverge: they become ±inf/NaN silently, and the training loop reports it through
the loss. (Adagrad's running sum can still reach inf after very many huge gradients; that
coordinate then stops moving.)

The training loop sets :attr:`Optimizer.learning_rate` before every step from a schedule
(:mod:`sigmanet.schedules`). For Adam this is the base rate η; the bias correction is applied
inside the step and never written back to ``learning_rate`` (scikit-learn's ``AdamOptimizer``
overwrites its ``learning_rate`` attribute; sigmanet does not, so schedules compose with it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from sigmanet.constraints import InstanceOf, Interval, check
from sigmanet.exceptions import GradientOverflowError
from sigmanet.registry import Registry

__all__ = [
    "Adagrad",
    "Adam",
    "AdamW",
    "GradientDescent",
    "GradientOverflowError",
    "Optimizer",
    "RMSProp",
    "get",
    "names",
]

StateDict = dict[str, "list[np.ndarray] | int | float"]


# What the hyper-parameters may be (sigmanet.constraints words the errors). They are stored
# as Python floats: a NumPy float64 scalar would promote float32 updates.
_POSITIVE = [Interval("real", 0, None, closed="neither")]
_NON_NEGATIVE = [Interval("real", 0, None)]
_UNIT_INTERVAL = [Interval("real", 0, 1, closed="left")]
_COUNT = [Interval("integer", 0, None)]


#: Every optimizer by name: ``REGISTRY.get("adam")`` is :class:`Adam`.
REGISTRY: Registry[type[Optimizer]] = Registry("optimizer")


class Optimizer:
    """Base class: validation, lazily created state, saving and resuming.

    The protocol the training loop and the compiled engine use: :meth:`step` (checked) and
    :meth:`step_unchecked`, :attr:`learning_rate` and ``iterations``, :meth:`build`,
    :attr:`state` (with :attr:`state_names`, :attr:`shapes`, :attr:`dtypes`), and
    :meth:`state_dict` / :meth:`load_state_dict` to save and resume.

    Adding an optimizer is one subclass, registered where it is defined
    (``@REGISTRY.register("name")``): it names its per-parameter state buffers in
    :attr:`state_names` and implements ``_apply(params, grads)``, which must update ``params``
    in place without allocating (``self._scratch[i]`` holds ``_n_scratch`` work arrays per
    parameter; with ``_square_slot`` set, the work array of that index already holds g²).

    Parameters
    ----------
    learning_rate : float
        Step size η > 0.

    Attributes
    ----------
    learning_rate : float
        The step size used by the next :meth:`step`. Settable (schedules set it every step);
        any finite value >= 0 is accepted there, so a schedule may anneal it to 0.
    iterations : int
        Number of steps taken since construction or :meth:`reset` (Adam's ``t``).
    """

    name: ClassVar[str] = ""

    def __init__(self, learning_rate: float) -> None:
        self._learning_rate = float(check("learning_rate", learning_rate, _POSITIVE))
        self.iterations = 0
        self._shapes: list[tuple[int, ...]] | None = None
        self._dtypes: list[np.dtype[Any]] = []
        self._state: dict[str, list[np.ndarray]] = {}
        self._scratch: list[list[np.ndarray]] = []
        # Private work arrays per parameter, so that grads are never written to.
        self._n_scratch = 1

    # -- hyper-parameters -------------------------------------------------------------------

    @property
    def learning_rate(self) -> float:
        """The step size η of the next step (a Python float)."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        # Set before every step by a schedule: a finite float >= 0, the usual value, is taken
        # without the general check's cost.
        if type(value) is float and 0.0 <= value < math.inf:
            self._learning_rate = value
        else:
            self._learning_rate = float(check("learning_rate", value, _NON_NEGATIVE))

    @property
    def state_names(self) -> tuple[str, ...]:
        """The names of the per-parameter state buffers (``("m", "v")`` for Adam): the keys
        of :attr:`state` and, besides ``iterations`` and ``learning_rate``, of
        :meth:`state_dict`."""
        return ()

    @property
    def state(self) -> Mapping[str, list[np.ndarray]]:
        """The live state buffers: for each of :attr:`state_names`, one array per parameter,
        shaped and typed as it (empty before :meth:`build`).

        Every step updates these arrays in place, so another implementation of the same
        update (the compiled engine's) may update them too and the two stay interchangeable
        step by step. For a copy that later steps leave alone, use :meth:`state_dict`.
        """
        return self._state

    @property
    def shapes(self) -> list[tuple[int, ...]] | None:
        """The parameter shapes the state was built for; None before :meth:`build`."""
        return self._shapes

    @property
    def dtypes(self) -> list[np.dtype[Any]]:
        """The parameter dtypes the state was built for (empty before :meth:`build`)."""
        return self._dtypes

    def get_config(self) -> dict[str, Any]:
        """The hyper-parameters: ``type(opt)(**opt.get_config())`` builds an equal optimizer."""
        return {"learning_rate": self._learning_rate}

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"

    # -- the update ----------------------------------------------------------------------------

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Apply one update to every array in ``params``, in place.

        Parameters
        ----------
        params : sequence of ndarray
            The parameters, each a writeable float32 or float64 array of any shape. They are
            modified in place.
        grads : sequence of array_like
            ``grads[i]`` is ∂L/∂``params[i]`` and has the same shape. Read, never modified.

        Raises
        ------
        TypeError
            If ``params`` or ``grads`` is a single array rather than a sequence, or a parameter
            is not a floating-point ndarray, or a gradient is not real numbers.
        ValueError
            If the lengths differ, ``grads[i]`` has a different shape from ``params[i]``, a
            parameter is read-only, or the parameters' count, shapes or dtypes differ from
            those the optimizer's state was built for (call :meth:`reset` to start over).
        """
        checked = self._check_arguments(params, grads)
        if self._shapes is None:
            self.build(params)
        else:
            self._check_against_state(params)
        if len(self._scratch) != len(params):
            self._scratch = [[np.empty_like(p) for _ in range(self._n_scratch)] for p in params]
        self.step_unchecked(params, checked)

    def step_unchecked(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """:meth:`step` without its checks, for a loop that hands over the same arrays every
        step (the training loop, once its first :meth:`step` has passed).

        What :meth:`step` verified (types, shapes, dtypes, the state built for them) still
        holds for the same arrays; skipping it saves its Python cost, 10–20 µs a step. An
        overflowing gradient is still reported (:class:`GradientOverflowError`, nothing
        updated).

        Parameters
        ----------
        params, grads : sequence of ndarray
            The very arrays of an earlier :meth:`step` (or arrays of the same shapes and
            dtypes, with ``grads`` as ndarrays). Anything else is undefined behaviour.
        """
        self._square_gradients(grads)
        self.iterations += 1
        # Overflow here means the parameters themselves diverge; they become inf/NaN, which the
        # training loop detects through the loss, so NumPy's warnings would only be noise.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self._apply(params, grads)

    #: Index of the scratch buffer that receives g² before the update; None: g² is not used.
    _square_slot: int | None = None

    def _square_gradients(self, grads: Sequence[np.ndarray]) -> None:
        # g² is the one quantity a finite gradient can overflow; computing it for every parameter
        # before touching any state lets an overflow fail cleanly with nothing modified.
        slot = self._square_slot
        if slot is None:
            return
        index = 0
        try:
            with np.errstate(over="raise"):
                for grad, scratch in zip(grads, self._scratch, strict=True):
                    np.multiply(grad, grad, out=scratch[slot])
                    index += 1
        except FloatingPointError:
            dtype = self._scratch[index][slot].dtype
            limit = math.sqrt(float(np.finfo(dtype).max))
            raise GradientOverflowError(
                f"grads[{index}] has values too large for {type(self).__name__}: their square "
                f"overflows {dtype} (|g| must stay below {limit:.3g}). Training has diverged; "
                "lower the learning rate or scale the inputs. Nothing was updated."
            ) from None

    def _apply(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement an update.")

    def _initial_state(self, name: str, param: np.ndarray) -> np.ndarray:
        return np.zeros_like(param)

    @staticmethod
    def _check_arguments(
        params: Sequence[np.ndarray], grads: Sequence[np.ndarray]
    ) -> list[np.ndarray]:
        for what, value in (("params", params), ("grads", grads)):
            if isinstance(value, np.ndarray) or not isinstance(value, Sequence):
                raise TypeError(
                    f"{what} must be a sequence (list or tuple) of arrays; got "
                    f"{type(value).__name__}."
                )
        if len(params) != len(grads):
            raise ValueError(
                f"params and grads must have the same length; got {len(params)} parameters "
                f"and {len(grads)} gradients."
            )
        checked = []
        for i, (param, grad) in enumerate(zip(params, grads, strict=True)):
            if not isinstance(param, np.ndarray) or param.dtype.kind != "f":
                kind = param.dtype if isinstance(param, np.ndarray) else type(param).__name__
                raise TypeError(
                    f"params[{i}] must be a float32 or float64 numpy array (it is updated in "
                    f"place); got {kind}."
                )
            if not param.flags.writeable:
                raise ValueError(f"params[{i}] is read-only; it must be updated in place.")
            grad = np.asarray(grad)
            if grad.dtype.kind not in "fiu":
                raise TypeError(f"grads[{i}] must be real numbers; got dtype {grad.dtype}.")
            if grad.shape != param.shape:
                raise ValueError(
                    f"grads[{i}] has shape {grad.shape}, but params[{i}] has shape {param.shape}."
                )
            checked.append(grad)
        return checked

    def _check_against_state(self, params: Sequence[np.ndarray]) -> None:
        shapes = self._shapes
        assert shapes is not None
        if len(params) != len(shapes):
            raise ValueError(
                f"step() got {len(params)} parameters, but the optimizer's state was built "
                f"for {len(shapes)}; call reset() to use it with other parameters."
            )
        for i, (param, shape, dtype) in enumerate(zip(params, shapes, self._dtypes, strict=True)):
            if param.shape != shape or param.dtype != dtype:
                raise ValueError(
                    f"params[{i}] has shape {param.shape} and dtype {param.dtype}, but the "
                    f"optimizer's state was built for shape {shape} and dtype {dtype}; call "
                    "reset() to use it with other parameters."
                )

    def build(self, params: Sequence[np.ndarray]) -> None:
        """Create the state for ``params`` (zeros, or each method's starting values),
        forgetting any earlier state but not the step count. :meth:`step` calls it on its
        first use; call it directly to lay out :attr:`state` before stepping."""
        self._shapes = [p.shape for p in params]
        self._dtypes = [p.dtype for p in params]
        self._state = {
            name: [self._initial_state(name, p) for p in params] for name in self.state_names
        }

    # -- state -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget all state (moments, velocities, step count); keep the hyper-parameters."""
        self.iterations = 0
        self._shapes = None
        self._dtypes = []
        self._state = {}
        self._scratch = []

    def state_dict(self) -> StateDict:
        """The state needed to resume: copies, unaffected by later steps.

        Returns
        -------
        dict
            ``"iterations"`` (int), ``"learning_rate"`` (float) and, per state buffer name
            (e.g. ``"m"`` and ``"v"`` for Adam), a list with one array per parameter. The lists
            are empty before the first step.
        """
        state: StateDict = {
            "iterations": self.iterations,
            "learning_rate": self._learning_rate,
        }
        for name in self.state_names:
            state[name] = [buffer.copy() for buffer in self._state.get(name, [])]
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume from :meth:`state_dict` output: the next step continues exactly.

        Parameters
        ----------
        state : mapping
            As returned by :meth:`state_dict` of an optimizer of the same class and
            configuration. The arrays are copied.

        Raises
        ------
        ValueError
            If keys are missing or unexpected, or the buffers' lengths, shapes or dtypes are
            inconsistent.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a mapping from state_dict(); got {type(state)}.")
        expected = {"iterations", "learning_rate", *self.state_names}
        if set(state) != expected:
            raise ValueError(
                f"{type(self).__name__} state must have the keys {sorted(expected)}; got "
                f"{sorted(state)}."
            )
        iterations = check("state['iterations']", state["iterations"], _COUNT)
        learning_rate = float(
            check("state['learning_rate']", state["learning_rate"], _NON_NEGATIVE)
        )

        buffers: dict[str, list[np.ndarray]] = {}
        for name in self.state_names:
            value = state[name]
            if isinstance(value, np.ndarray) or not isinstance(value, Sequence):
                raise TypeError(f"state[{name!r}] must be a list of arrays; got {type(value)}.")
            arrays = [np.array(a, copy=True) for a in value]
            for i, array in enumerate(arrays):
                if array.dtype.kind != "f":
                    raise ValueError(
                        f"state[{name!r}][{i}] must be a floating-point array; got dtype "
                        f"{array.dtype}."
                    )
            buffers[name] = arrays
        lengths = {len(arrays) for arrays in buffers.values()}
        if len(lengths) > 1:
            raise ValueError(f"state buffers have different lengths: {sorted(lengths)}.")
        shapes: list[tuple[int, ...]] | None = None
        dtypes: list[np.dtype[Any]] = []
        if buffers and lengths != {0}:
            first = next(iter(buffers.values()))
            shapes = [a.shape for a in first]
            dtypes = [a.dtype for a in first]
            for name, arrays in buffers.items():
                for i, array in enumerate(arrays):
                    if array.shape != shapes[i] or array.dtype != dtypes[i]:
                        raise ValueError(
                            f"state[{name!r}][{i}] has shape {array.shape} and dtype "
                            f"{array.dtype}; expected {shapes[i]} and {dtypes[i]}."
                        )
        self.reset()
        self.iterations = int(iterations)
        self._learning_rate = learning_rate
        if shapes is not None:
            self._shapes = shapes
            self._dtypes = dtypes
            self._state = buffers


@REGISTRY.register("sgd", aliases=("gd",))
class GradientDescent(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum.

    Plain (``momentum = 0``)::

        w ← w - η g

    Momentum μ (classical, as scikit-learn and Keras write it)::

        v ← μ v - η g
        w ← w + v

    Nesterov (the Sutskever et al. 2013 form used by scikit-learn's ``SGDOptimizer``), after
    updating ``v`` as above::

        w ← w + μ v - η g

    With batch, stochastic or mini-batch gradients this is batch, stochastic or mini-batch
    gradient descent; the training loop's ``batch_size`` chooses which. The arithmetic is done in
    the same order as scikit-learn's ``SGDOptimizer``, so float64 results agree bit for bit.

    Parameters
    ----------
    learning_rate : float, default=0.01
        η > 0.
    momentum : float, default=0.0
        μ in [0, 1).
    nesterov : bool, default=False
        Use Nesterov's momentum; requires ``momentum > 0``.

    References
    ----------
    Rumelhart, Hinton & Williams (1986), "Learning representations by back-propagating errors".
    Sutskever, Martens, Dahl & Hinton (2013), "On the importance of initialization and momentum
    in deep learning", ICML.
    """

    name = "sgd"

    def __init__(
        self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False
    ) -> None:
        super().__init__(learning_rate)
        self.momentum = float(check("momentum", momentum, _UNIT_INTERVAL))
        check("nesterov", nesterov, [InstanceOf(bool, np.bool_, label="True or False")])
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True requires momentum > 0; got momentum=0.")
        self.nesterov = bool(nesterov)
        self._n_scratch = 2 if self.nesterov else 1

    @property
    def state_names(self) -> tuple[str, ...]:
        return ("velocity",) if self.momentum > 0.0 else ()

    def get_config(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "momentum": self.momentum,
            "nesterov": self.nesterov,
        }

    def _apply(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        lr = self.learning_rate
        mu = self.momentum
        if mu == 0.0:
            for param, grad, scratch in zip(params, grads, self._scratch, strict=True):
                step = scratch[0]
                np.multiply(grad, lr, out=step)
                np.subtract(param, step, out=param)
            return
        for param, grad, velocity, scratch in zip(
            params, grads, self._state["velocity"], self._scratch, strict=True
        ):
            scaled_grad = scratch[0]
            np.multiply(velocity, mu, out=velocity)
            np.multiply(grad, lr, out=scaled_grad)
            np.subtract(velocity, scaled_grad, out=velocity)
            if self.nesterov:
                update = scratch[1]
                np.multiply(velocity, mu, out=update)
                np.subtract(update, scaled_grad, out=update)
                np.add(param, update, out=param)
            else:
                np.add(param, velocity, out=param)


@REGISTRY.register("adam")
class Adam(Optimizer):
    """Adam: adaptive moment estimation (Kingma & Ba 2015), bias-corrected.

    At step t = 1, 2, ...::

        m ← β₁ m + (1 - β₁) g
        v ← β₂ v + (1 - β₂) g²
        η_t = η √(1 - β₂ᵗ) / (1 - β₁ᵗ)
        w ← w - η_t m / (√v + ε)

    This is the "efficient" form at the end of Section 2 of the paper and exactly
    scikit-learn's ``AdamOptimizer`` (same operations in the same order, so float64 results
    agree bit for bit). Note where ε sits: it is added to the *uncorrected* √v. PyTorch and
    Keras add ε to the bias-corrected √(v / (1 - β₂ᵗ)) instead, which is the same update with
    ε replaced by ε √(1 - β₂ᵗ); the two agree once β₂ᵗ ≈ 0 and differ only while both v and
    t are small.

    ``learning_rate`` stays the base rate η (schedules may set it every step); η_t is computed
    inside the step.

    Parameters
    ----------
    learning_rate : float, default=1e-3
        η > 0.
    beta_1 : float, default=0.9
        Decay of the first-moment estimate, in [0, 1).
    beta_2 : float, default=0.999
        Decay of the second-moment estimate, in [0, 1).
    epsilon : float, default=1e-8
        ε > 0, keeps the division finite where v = 0.

    References
    ----------
    Kingma & Ba (2015), "Adam: A method for stochastic optimization", ICLR, arXiv:1412.6980.
    """

    name = "adam"

    def __init__(
        self,
        learning_rate: float = 1e-3,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
    ) -> None:
        super().__init__(learning_rate)
        self.beta_1 = float(check("beta_1", beta_1, _UNIT_INTERVAL))
        self.beta_2 = float(check("beta_2", beta_2, _UNIT_INTERVAL))
        self.epsilon = float(check("epsilon", epsilon, _POSITIVE))
        # Two, so that -η_t·m and its division round exactly as scikit-learn's expression does.
        self._n_scratch = 2
        self._square_slot = 1

    @property
    def state_names(self) -> tuple[str, ...]:
        return ("m", "v")

    def get_config(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }

    def _decay(self, params: Sequence[np.ndarray]) -> None:
        """AdamW's decoupled weight decay; nothing for Adam."""

    def _apply(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        self._decay(params)
        t = self.iterations
        b1, b2, eps = self.beta_1, self.beta_2, self.epsilon
        # Written as scikit-learn writes it, (η·√(1-β₂ᵗ)) / (1-β₁ᵗ), for identical rounding.
        lr_t = self.learning_rate * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        for param, grad, m, v, scratch in zip(
            params, grads, self._state["m"], self._state["v"], self._scratch, strict=True
        ):
            work, update = scratch
            squared = update  # holds g², from _square_gradients
            np.multiply(m, b1, out=m)
            np.multiply(grad, 1.0 - b1, out=work)
            np.add(m, work, out=m)
            np.multiply(squared, 1.0 - b2, out=squared)
            np.multiply(v, b2, out=v)
            np.add(v, squared, out=v)
            np.sqrt(v, out=work)
            np.add(work, eps, out=work)
            np.multiply(m, -lr_t, out=update)
            np.divide(update, work, out=update)
            np.add(param, update, out=param)


@REGISTRY.register("adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019).

    At step t, first the decay, then the :class:`Adam` update with the same bias correction and
    ε placement::

        w ← w - η λ w                       (λ = weight_decay)
        m ← β₁ m + (1 - β₁) g
        v ← β₂ v + (1 - β₂) g²
        w ← w - η √(1 - β₂ᵗ) / (1 - β₁ᵗ) · m / (√v + ε)

    The decay is scaled by the current η, as in PyTorch's ``AdamW``, so a schedule anneals both.
    Unlike an L2 penalty added to the gradient, the decay does not pass through the adaptive
    denominator, which is the point of the method. It applies to every parameter it is given;
    pass only weight matrices if biases should not decay.

    Parameters
    ----------
    learning_rate : float, default=1e-3
    beta_1 : float, default=0.9
    beta_2 : float, default=0.999
    epsilon : float, default=1e-8
        As for :class:`Adam`.
    weight_decay : float, default=1e-2
        λ >= 0.

    References
    ----------
    Loshchilov & Hutter (2019), "Decoupled weight decay regularization", ICLR,
    arXiv:1711.05101.
    """

    name = "adamw"

    def __init__(
        self,
        learning_rate: float = 1e-3,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon)
        self.weight_decay = float(check("weight_decay", weight_decay, _NON_NEGATIVE))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "weight_decay": self.weight_decay}

    def _decay(self, params: Sequence[np.ndarray]) -> None:
        if self.weight_decay == 0.0:
            return
        keep = 1.0 - self.learning_rate * self.weight_decay
        for param in params:
            np.multiply(param, keep, out=param)


@REGISTRY.register("rmsprop")
class RMSProp(Optimizer):
    """RMSProp (Hinton, Coursera lecture 6e, 2012), in PyTorch's form.

    ::

        v ← ρ v + (1 - ρ) g²
        w ← w - η g / (√v + ε)

    With momentum μ > 0::

        b ← μ b + g / (√v + ε)
        w ← w - η b

    Parameters
    ----------
    learning_rate : float, default=1e-3
        η > 0.
    rho : float, default=0.9
        Decay of the running mean of g², in [0, 1).
    epsilon : float, default=1e-8
        ε > 0, added to √v (outside the square root, as PyTorch does).
    momentum : float, default=0.0
        μ in [0, 1).

    References
    ----------
    Tieleman & Hinton (2012), "Lecture 6.5 — RMSProp: divide the gradient by a running average
    of its recent magnitude", COURSERA: Neural Networks for Machine Learning.
    """

    name = "rmsprop"

    def __init__(
        self,
        learning_rate: float = 1e-3,
        rho: float = 0.9,
        epsilon: float = 1e-8,
        momentum: float = 0.0,
    ) -> None:
        super().__init__(learning_rate)
        self.rho = float(check("rho", rho, _UNIT_INTERVAL))
        self.epsilon = float(check("epsilon", epsilon, _POSITIVE))
        self.momentum = float(check("momentum", momentum, _UNIT_INTERVAL))
        self._square_slot = 0

    @property
    def state_names(self) -> tuple[str, ...]:
        if self.momentum > 0.0:
            return ("square_average", "momentum_buffer")
        return ("square_average",)

    def get_config(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "rho": self.rho,
            "epsilon": self.epsilon,
            "momentum": self.momentum,
        }

    def _apply(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        lr, rho, eps, mu = self.learning_rate, self.rho, self.epsilon, self.momentum
        averages = self._state["square_average"]
        buffers = self._state.get("momentum_buffer", averages)
        for param, grad, v, buffer, scratch in zip(
            params, grads, averages, buffers, self._scratch, strict=True
        ):
            work = scratch[0]  # holds g², from _square_gradients
            np.multiply(v, rho, out=v)
            np.multiply(work, 1.0 - rho, out=work)
            np.add(v, work, out=v)
            np.sqrt(v, out=work)
            np.add(work, eps, out=work)
            np.divide(grad, work, out=work)
            if mu > 0.0:
                np.multiply(buffer, mu, out=buffer)
                np.add(buffer, work, out=buffer)
                np.multiply(buffer, lr, out=work)
            else:
                np.multiply(work, lr, out=work)
            np.subtract(param, work, out=param)


@REGISTRY.register("adagrad")
class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer 2011), in PyTorch's form.

    ::

        G ← G + g²
        w ← w - η g / (√G + ε)

    Each coordinate's step shrinks with the sum of its past squared gradients, so rarely
    updated coordinates keep large steps.

    Parameters
    ----------
    learning_rate : float, default=1e-2
        η > 0.
    epsilon : float, default=1e-8
        ε > 0, added to √G.
    initial_accumulator_value : float, default=0.0
        The starting value of G (>= 0).

    References
    ----------
    Duchi, Hazan & Singer (2011), "Adaptive subgradient methods for online learning and
    stochastic optimization", JMLR 12:2121-2159.
    """

    name = "adagrad"

    def __init__(
        self,
        learning_rate: float = 1e-2,
        epsilon: float = 1e-8,
        initial_accumulator_value: float = 0.0,
    ) -> None:
        super().__init__(learning_rate)
        self.epsilon = float(check("epsilon", epsilon, _POSITIVE))
        self.initial_accumulator_value = float(
            check("initial_accumulator_value", initial_accumulator_value, _NON_NEGATIVE)
        )
        self._square_slot = 0

    @property
    def state_names(self) -> tuple[str, ...]:
        return ("accumulator",)

    def _initial_state(self, name: str, param: np.ndarray) -> np.ndarray:
        return np.full_like(param, self.initial_accumulator_value)

    def get_config(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "epsilon": self.epsilon,
            "initial_accumulator_value": self.initial_accumulator_value,
        }

    def _apply(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        lr, eps = self.learning_rate, self.epsilon
        for param, grad, accumulator, scratch in zip(
            params, grads, self._state["accumulator"], self._scratch, strict=True
        ):
            work = scratch[0]  # holds g², from _square_gradients
            np.add(accumulator, work, out=accumulator)
            np.sqrt(accumulator, out=work)
            np.add(work, eps, out=work)
            np.divide(grad, work, out=work)
            np.multiply(work, lr, out=work)
            np.subtract(param, work, out=param)


REGISTRY.seal()


def names() -> list[str]:
    """The names :func:`get` accepts, sorted ("sgd" and "gd" both mean GradientDescent)."""
    return REGISTRY.names(aliases=True)


def get(name: str | Optimizer, **params: Any) -> Optimizer:
    """Build an optimizer from its name, or pass an optimizer instance through.

    Parameters
    ----------
    name : str or Optimizer
        One of :func:`names` (case-insensitive), or an :class:`Optimizer`, returned as is.
    **params
        Hyper-parameters for the named optimizer's constructor.

    Returns
    -------
    Optimizer

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones), or ``params`` given together
        with an optimizer instance.
    TypeError
        For a parameter the optimizer does not take (the message lists those it does), or a
        ``name`` that is neither a string nor an Optimizer.
    """
    return REGISTRY.build(name, params, base=Optimizer)
