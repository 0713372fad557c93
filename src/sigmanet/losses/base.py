r"""The contract every loss keeps, and :class:`Loss`, the class that keeps it.

Every loss takes ``y_true`` (the targets) and ``output`` (what the model produced) and reduces
the same way. Let ``output`` have shape ``(n_samples,)`` or ``(n_samples, n_outputs)``; the loss
of sample ``i`` is the **sum** over its outputs, ``ℓ_i = Σ_j ℓ_ij``, and the value of the batch is
the **weighted mean** over samples,

.. math:: L = \frac{\sum_i w_i \ell_i}{\sum_i w_i},

with ``w_i = 1`` when no ``sample_weight`` is given (the plain mean). The gradient returned is the
gradient of that ``L`` with respect to ``output``: ``∂L/∂output_ij = (w_i / Σ w) ∂ℓ_ij/∂output_ij``.
It therefore carries the ``1/m`` of the mean already, has the shape and dtype of ``output``, and a
layer's ``backward`` can take it as ``grad_output`` unchanged.

Conventions shared by every loss:

* float32 ``output`` gives a float32 gradient, whatever the dtype of ``y_true`` and
  ``sample_weight``; the value is a Python float (reduced in float64).
* NaN in ``output`` gives a NaN value and NaN gradient entries, never an exception. ``±inf``
  gives the mathematical limit where one exists (a logit of +inf for the true class costs 0).
* No overflow, invalid or divide-by-zero warning for any finite input. A value too large for the
  dtype (a squared error of 1e200, say) is returned as ``inf`` rather than warned about.
* An empty batch (``n_samples == 0``) raises ``ValueError``: the mean over no samples is
  undefined, and a silent NaN would only surface later as a confusing divergence.

Writing a loss
--------------
A loss is a subclass of :class:`Loss` that sets ``Loss.name`` and ``Loss.output_name``,
checks its targets in :meth:`Loss.check_targets` (when a shape check is not enough) and writes
its arithmetic once, in :meth:`Loss.kernel`. :meth:`Loss.value`, :meth:`Loss.gradient`,
:meth:`Loss.value_and_gradient` and the training loop's per-batch evaluator
(:meth:`Loss.bind`) all run that kernel, so they cannot disagree. Registering the class in
``REGISTRY`` (``@REGISTRY.register("name")`` above it) makes
:func:`sigmanet.losses.get` find it by name.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sigmanet._arrays import FloatArray
from sigmanet.losses._checks import check_output, normalized_weights, targets_like
from sigmanet.registry import Registry

__all__ = ["REGISTRY", "BoundLoss", "Loss"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_MISSING: Any = object()

#: Every loss by name: ``REGISTRY.get("huber")`` is :class:`sigmanet.losses.Huber`.
REGISTRY: Registry[type[Loss]] = Registry("loss")


# --------------------------------------------------------------------------------------------
# Reduction shared by every loss
# --------------------------------------------------------------------------------------------


def sum_outputs(elementwise: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Per-sample loss: the sum over outputs of a 2-D elementwise loss (1-D passes through)."""
    if elementwise.ndim == 1:
        return elementwise
    if elementwise.shape[1] == 1:  # one output: a view costs a tenth of a reduction
        return elementwise.reshape(-1)
    return np.add.reduce(elementwise, axis=1, out=out)


#: Up to this many samples, ``math.fsum`` of a list is cheaper than a float64 reduction of a
#: float32 array (and exactly rounded): a batch of 32 costs half.
_FSUM_SAMPLES = 64


def _reduce(per_sample: np.ndarray, weights: NDArray[np.float64] | None) -> float:
    """The (weighted) mean of the per-sample losses, accumulated in float64."""
    if weights is None:
        n_samples = per_sample.shape[0]
        if n_samples <= _FSUM_SAMPLES:
            try:
                return math.fsum(per_sample.tolist()) / n_samples
            except (OverflowError, ValueError):  # a sum beyond the float range; inf - inf
                pass
        return float(np.add.reduce(per_sample, dtype=np.float64)) / n_samples
    per_sample64 = per_sample.astype(np.float64, copy=False)
    value = float(np.dot(per_sample64, weights))
    if math.isnan(value):
        # A sample of weight zero does not take part, even when its loss is infinite
        # (0 · inf would otherwise turn the whole batch into NaN).
        taking_part = weights > 0
        value = float(np.dot(per_sample64[taking_part], weights[taking_part]))
    return value


def _scale_gradient(grad: np.ndarray, weights: NDArray[np.float64] | None) -> None:
    """Multiply the per-sample gradients by ``1/n`` or by ``w_i / Σ w``, in place."""
    if weights is None:
        # A Python float takes the array's dtype (float32 stays float32) and costs less than
        # a NumPy scalar.
        np.multiply(grad, 1.0 / grad.shape[0], out=grad)
        return
    scale = weights.astype(grad.dtype)
    np.multiply(grad, scale[:, None] if grad.ndim == 2 else scale, out=grad)


def _check_out(out: Any, x: np.ndarray, y: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a NumPy array or None; got {type(out).__name__}.")
    if out.shape != x.shape or out.dtype != x.dtype:
        raise ValueError(
            f"out must have the shape and dtype of {name}, {x.shape} {x.dtype}; got "
            f"{out.shape} {out.dtype}."
        )
    if not out.flags.writeable:
        raise ValueError("out must be writeable.")
    if np.may_share_memory(out, x) or np.may_share_memory(out, y):
        raise ValueError(f"out must not share memory with {name} or y_true.")
    return out


# --------------------------------------------------------------------------------------------
# The Loss base class
# --------------------------------------------------------------------------------------------


class Loss:
    """Base class of the losses: value and gradient of a batch with respect to ``output``.

    A subclass provides its arithmetic once, in :meth:`kernel`, and, when a shape check is not
    enough, the checks of its targets in :meth:`check_targets` (see the module docstring).

    Attributes
    ----------
    name : str
        The name under which :func:`sigmanet.losses.get` finds the loss.
    output_name : str
        What ``output`` is (``"logits"``, ``"y_pred"``, ...), for error messages.
    output_ndim : tuple of int
        The numbers of dimensions ``output`` may have.
    """

    name: ClassVar[str] = "loss"
    output_name: ClassVar[str] = "output"
    output_ndim: ClassVar[tuple[int, ...]] = (1, 2)

    # -- the public API ------------------------------------------------------------------------

    def value(
        self, y_true: ArrayLike, output: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """The batch loss ``Σ_i w_i ℓ_i / Σ_i w_i`` (the plain mean without weights).

        Parameters
        ----------
        y_true : array_like
            Targets, shape ``(n_samples,)`` or ``(n_samples, n_outputs)`` (for the softmax loss,
            class indices ``(n_samples,)`` or target distributions ``(n_samples, n_classes)``).
        output : array_like of shape (n_samples,) or (n_samples, n_outputs)
            The model's output, in the form this loss expects (see :mod:`sigmanet.losses`).
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights, not all zero.

        Returns
        -------
        float
            The loss value. NaN if ``output`` holds NaN.
        """
        y, x, weights = self._checked(y_true, output, sample_weight)
        return self._run(y, x, weights, np.empty(x.shape, x.dtype), want_value=True)

    def gradient(
        self, y_true: ArrayLike, output: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> FloatArray:
        """The gradient of :meth:`value` with respect to ``output``.

        Parameters are those of :meth:`value`.

        Returns
        -------
        ndarray
            Same shape and dtype as ``output`` (float64 for integer ``output``).
        """
        y, x, weights = self._checked(y_true, output, sample_weight)
        grad = np.empty(x.shape, x.dtype)
        self._run(y, x, weights, grad, want_value=False)
        return grad

    def value_and_gradient(
        self,
        y_true: ArrayLike,
        output: ArrayLike,
        sample_weight: ArrayLike | None = None,
        out: np.ndarray | None = None,
    ) -> tuple[float, FloatArray]:
        """Value and gradient in one pass, sharing the intermediate results.

        Parameters
        ----------
        y_true, output, sample_weight
            As for :meth:`value`.
        out : ndarray, optional
            Array with the shape and dtype of ``output`` (not sharing memory with it) to write
            the gradient into.

        Returns
        -------
        value : float
        gradient : ndarray
            ``out`` when given, else a new array shaped like ``output``.
        """
        y, x, weights = self._checked(y_true, output, sample_weight)
        grad = (
            np.empty(x.shape, x.dtype) if out is None else _check_out(out, x, y, self.output_name)
        )
        return self._run(y, x, weights, grad, want_value=True), grad

    def bind(
        self,
        y_true: ArrayLike,
        *,
        n_outputs: int | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> BoundLoss:
        """Check the targets of a whole training set once; return the per-batch evaluator.

        A training loop evaluates the loss on many batches of the same targets. Checking
        those targets (class indices in range, probabilities in ``[0, 1]``, labels in
        ``{-1, 1}``, ...) at every batch repeats work, so ``bind`` checks them once and
        converts them to the form :meth:`kernel` takes; the :class:`BoundLoss` it returns is
        then called with rows of them.

        Parameters
        ----------
        y_true : array_like of shape (n_samples,) or (n_samples, n_outputs)
            The targets of every sample, as for :meth:`value`.
        n_outputs : int, optional
            The number of columns of the output the evaluator will be given: for the softmax
            loss the number of classes, which class indices must lie below (required for class
            indices). Default: the targets' own shape.
        sample_weight : array_like of shape (n_samples,), optional
            The training set's weights, checked once here (finite, non-negative, one per
            sample); the evaluator is then given rows of them.

        Returns
        -------
        BoundLoss
            ``bound.targets`` holds ``y_true`` in the form the arithmetic takes, in the shape
            it was given; ``bound(y_batch, output, w_batch, out)`` takes rows of it.

        Raises
        ------
        ValueError
            With the message :meth:`value` gives for the same targets.

        Examples
        --------
        >>> import numpy as np
        >>> from sigmanet.losses import SoftmaxCrossEntropyWithLogits
        >>> loss = SoftmaxCrossEntropyWithLogits()
        >>> bound = loss.bind(np.array([0, 2, 1, 2]), n_outputs=3)
        >>> logits = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 3.0]])
        >>> grad = np.empty_like(logits)
        >>> bound(bound.targets[:2], logits, None, grad) == loss.value([0, 2], logits)
        True
        """
        given = np.asarray(y_true)
        if given.ndim == 0:
            raise ValueError(
                f"y_true must be an array with one entry per sample of {self.output_name}; "
                "got a scalar."
            )
        if n_outputs is not None and (isinstance(n_outputs, bool) or int(n_outputs) < 1):
            raise ValueError(f"n_outputs must be a positive integer; got {n_outputs!r}.")
        shape = given.shape if n_outputs is None else (given.shape[0], int(n_outputs))
        targets = self.check_targets(given, shape, None)
        if targets.shape != given.shape and targets.size == given.size:
            targets = targets.reshape(given.shape)  # batches are aligned when evaluated
        weighted = sample_weight is not None
        if weighted:
            normalized_weights(sample_weight, given.shape[0])  # raises for bad weights
        return BoundLoss(self, targets, weighted=weighted)

    def __call__(
        self, y_true: ArrayLike, output: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Same as :meth:`value`."""
        return self.value(y_true, output, sample_weight)

    def get_config(self) -> dict[str, Any]:
        """``{"name": ..., **params}``, JSON-serialisable; ``get(**config)`` rebuilds the loss."""
        return {"name": self.name, **self._params()}

    def __repr__(self) -> str:
        params = ", ".join(f"{key}={value!r}" for key, value in self._params().items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Loss):
            return NotImplemented
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((type(self), repr(self)))

    # -- what subclasses provide ---------------------------------------------------------------

    def check_targets(
        self, y_true: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any] | None
    ) -> np.ndarray:
        """``y_true`` checked for an output of ``shape`` and converted for :meth:`kernel`.

        This default aligns the shapes (see ``targets_like()``) and converts to ``dtype``
        (``None``: integers keep their dtype); a loss whose targets have a range extends it.

        Parameters
        ----------
        y_true : array_like
            The targets.
        shape : tuple of int
            The shape of the output they go with.
        dtype : numpy.dtype or None
            The output's dtype; ``None`` when it is not known yet (:meth:`bind`).

        Returns
        -------
        ndarray
            The targets in the form :meth:`kernel` takes.
        """
        return targets_like(y_true, shape, dtype, self.output_name)

    def sample_factors(self, y: np.ndarray) -> NDArray[np.float64] | None:
        """Factors the targets put on each sample's weight (class weights); ``None`` if none."""
        return None

    def workspace(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Any:
        """Scratch arrays :meth:`kernel` fills for an output of ``shape`` and ``dtype``.

        :meth:`bind`'s evaluator keeps them from one batch to the next of the same shape, so a
        training step allocates nothing. ``None`` (this default) for a kernel that needs none.
        """
        return None

    def kernel(
        self,
        y: np.ndarray,
        x: np.ndarray,
        grad: np.ndarray,
        workspace: Any,
        *,
        want_value: bool = True,
    ) -> np.ndarray | None:
        """The loss's arithmetic: fill ``grad`` with ``∂ℓ_ij/∂x_ij``, return ``ℓ_i``.

        Every entry point runs this method: :meth:`value`, :meth:`gradient`,
        :meth:`value_and_gradient` and :meth:`bind`'s evaluator, which reduce and scale what
        it computes in the same way (the module docstring). They call it with overflow,
        invalid and divide-by-zero warnings off: an overflow to ``inf`` is the contract's
        answer, and a NaN from ``inf - inf`` or ``0 · inf`` is the kernel's to repair.

        Parameters
        ----------
        y : ndarray
            Targets as :meth:`check_targets` returns them, aligned with ``x``.
        x : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The output, float32 or float64.
        grad : ndarray
            Where to write the per-element gradient, shape and dtype of ``x``, not yet divided
            by the number of samples. Its contents on entry are undefined.
        workspace : object
            What :meth:`workspace` returned for this shape and dtype.
        want_value : bool, default=True
            Whether the per-sample loss is needed (``False`` for :meth:`gradient`).

        Returns
        -------
        ndarray of shape (n_samples,) or None
            The per-sample loss ``ℓ_i`` (``None`` when ``want_value`` is False).
        """
        raise NotImplementedError(f"{type(self).__name__} does not define its kernel.")

    def _params(self) -> dict[str, Any]:
        return {}

    def _aligned(self, y: np.ndarray, x: np.ndarray) -> np.ndarray | None:
        """Rows of bound targets ready for :meth:`kernel` with ``x``, or None if they need
        :meth:`check_targets` (another dtype, say)."""
        if y.dtype != x.dtype:
            return None
        if y.shape == x.shape:
            return y
        if y.size == x.size and y.shape[0] == x.shape[0]:
            return y.reshape(x.shape)  # a 1-D column against (n, 1), or the reverse
        return None

    # -- the shared path -----------------------------------------------------------------------

    def _checked(
        self, y_true: ArrayLike, output: ArrayLike, sample_weight: ArrayLike | None
    ) -> tuple[np.ndarray, FloatArray, NDArray[np.float64] | None]:
        x = check_output(output, self.output_name, self.output_ndim)
        y = self.check_targets(y_true, x.shape, x.dtype)
        return y, x, normalized_weights(sample_weight, x.shape[0], self.sample_factors(y))

    def _run(
        self,
        y: np.ndarray,
        x: np.ndarray,
        weights: NDArray[np.float64] | None,
        grad: np.ndarray,
        *,
        want_value: bool,
        workspace: Any = None,
    ) -> float:
        """Kernel, reduction and scaling: the value (NaN if not wanted); the gradient in grad."""
        if workspace is None:
            workspace = self.workspace(x.shape, x.dtype)
        # The contract's answers for large or infinite outputs are inf (an overflow) and the
        # NaN a kernel repairs (inf - inf, 0 · inf): expected, so not warned about. One errstate
        # for the whole evaluation, since entering one costs as much as a small ufunc call, and
        # all="ignore" (underflow is ignored by default anyway) costs half of naming three.
        with np.errstate(all="ignore"):
            per_sample = self.kernel(y, x, grad, workspace, want_value=want_value)
            _scale_gradient(grad, weights)
            return math.nan if per_sample is None else _reduce(per_sample, weights)


class BoundLoss:
    """A loss bound to the targets of a training set (made by :meth:`Loss.bind`).

    Calling it evaluates one batch: ``bound(y_batch, output, sample_weight, out)`` returns
    the value of ``loss.value_and_gradient(y_batch, output, sample_weight, out=out)`` and
    leaves the same gradient in ``out``, through the same :meth:`Loss.kernel`, but without
    checking the targets again: ``y_batch`` must be rows of ``targets`` (and
    ``sample_weight`` rows of the weights given to :meth:`Loss.bind`). The scratch arrays of
    the kernel are kept per batch shape, so a training loop's steps allocate nothing here.

    A subclass of a loss that overrides ``value_and_gradient`` keeps its own arithmetic: the
    evaluator then calls that method.

    Attributes
    ----------
    loss : Loss
        The loss.
    targets : ndarray
        The checked targets, in the form :meth:`Loss.kernel` takes (class indices as
        ``intp``, hinge labels as ±1, ...).
    """

    def __init__(self, loss: Loss, targets: np.ndarray, *, weighted: bool = False) -> None:
        self.loss = loss
        self.targets = targets
        self._weighted = weighted
        self._own_arithmetic = type(loss).value_and_gradient is not Loss.value_and_gradient
        self._factors = type(loss).sample_factors is not Loss.sample_factors
        self._workspaces: dict[tuple[Any, ...], Any] = {}

    def __repr__(self) -> str:
        return f"BoundLoss({self.loss!r}, {self.targets.shape[0]} samples)"

    def __call__(
        self,
        y_batch: np.ndarray,
        output: ArrayLike,
        sample_weight: np.ndarray | None = None,
        out: np.ndarray | None = None,
    ) -> float:
        """The batch value; the gradient goes to ``out`` (see the class docstring).

        Parameters
        ----------
        y_batch : ndarray
            Rows of ``targets``.
        output : ndarray of shape (n_rows,) or (n_rows, n_outputs)
            The model's output for those rows.
        sample_weight : ndarray of shape (n_rows,), optional
            Their weights.
        out : ndarray, optional
            Where to write the gradient: shape and dtype of ``output``, not sharing memory with
            it (a training loop passes the same buffer every batch). Default: a new array.

        Returns
        -------
        float
            The batch loss, as :meth:`Loss.value` gives it.
        """
        loss = self.loss
        if self._own_arithmetic:
            return float(loss.value_and_gradient(y_batch, output, sample_weight, out=out)[0])
        x = output
        if not (  # the common case, checked cheaply: a float array from the forward pass
            type(x) is np.ndarray
            and x.dtype in _FLOATS
            and x.ndim in loss.output_ndim
            and x.shape[0] > 0
        ):
            x = check_output(output, loss.output_name, loss.output_ndim)
        y = loss._aligned(y_batch, x)
        if y is None:
            y = loss.check_targets(y_batch, x.shape, x.dtype)
        if out is None:
            out = np.empty(x.shape, x.dtype)
        elif out.shape != x.shape or out.dtype != x.dtype:
            _check_out(out, x, y, loss.output_name)  # raises, naming what was expected
        factors = loss.sample_factors(y) if self._factors else None
        weights = None
        if sample_weight is not None or factors is not None:
            weights = normalized_weights(sample_weight, x.shape[0], factors, checked=self._weighted)
        key = (x.shape, x.dtype)
        workspace = self._workspaces.get(key, _MISSING)
        if workspace is _MISSING:
            if len(self._workspaces) >= 4:  # an epoch has at most two batch shapes
                self._workspaces.clear()
            workspace = self._workspaces[key] = loss.workspace(x.shape, x.dtype)
        return loss._run(y, x, weights, out, want_value=True, workspace=workspace)
