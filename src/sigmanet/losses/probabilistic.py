r"""Probabilistic classification losses: binary and softmax cross-entropy.

Cross-entropy for training should always be computed from logits: the ``*_with_logits`` losses
fuse the sigmoid or softmax with the logarithm, are exact for logits of any size, and have the
gradient ``σ(x) - z`` or ``softmax(x) - onehot(y)``. The cross-entropy of probabilities is
offered for completeness. The contract they share (reductions, dtypes, NaN and infinities) is
:mod:`sigmanet.losses.base`'s.

References
----------
TensorFlow, ``tf.nn.sigmoid_cross_entropy_with_logits`` and
``tf.nn.weighted_cross_entropy_with_logits`` (the stable forms used here).
C. Szegedy et al., "Rethinking the Inception architecture for computer vision", CVPR 2016
(label smoothing).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sigmanet._arrays import FloatArray, as_float_array
from sigmanet.constraints import Interval, check
from sigmanet.losses._checks import as_dtype, check_unit_interval, length_error
from sigmanet.losses.base import REGISTRY, Loss, sum_outputs

__all__ = [
    "BinaryCrossEntropy",
    "BinaryCrossEntropyWithLogits",
    "SoftmaxCrossEntropyWithLogits",
    "binary_cross_entropy",
    "binary_cross_entropy_gradient",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_gradient",
    "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_gradient",
]


# --------------------------------------------------------------------------------------------
# Binary cross-entropy
# --------------------------------------------------------------------------------------------


@REGISTRY.register("binary_cross_entropy")
class BinaryCrossEntropy(Loss):
    r"""Binary cross-entropy from probabilities (offered for completeness).

    .. math:: \ell = -\bigl(z \log p + (1 - z) \log(1 - p)\bigr), \qquad
              \frac{\partial \ell}{\partial p} = \frac{p - z}{p (1 - p)}

    with ``p`` clipped to ``[eps, 1 - eps]`` (``eps`` the machine epsilon of the dtype) so that
    a probability of exactly 0 or 1 costs about ``-log eps`` (36 in float64, 16 in float32)
    instead of ``inf``. The gradient uses the clipped ``p`` as well, so it stays finite and
    points the right way at 0 and 1 (the derivative of the clipped loss would be 0 there).

    Prefer :class:`BinaryCrossEntropyWithLogits` for training: it is exact for any logit, while
    probabilities have already lost everything beyond ``1 - eps``.

    ``y_true`` (``z``) may be soft, in ``[0, 1]``; ``proba`` must lie in ``[0, 1]``.
    """

    name = "binary_cross_entropy"
    output_name = "proba"

    def check_targets(
        self, y_true: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any] | None
    ) -> np.ndarray:
        y = super().check_targets(y_true, shape, dtype)
        check_unit_interval(y, "y_true")
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
        # The output is a probability at every batch, so its range is checked with it.
        check_unit_interval(x, self.output_name)
        eps = np.finfo(x.dtype).eps
        p = np.clip(x, eps, 1 - eps)
        # (p - z) / (p (1 - p)); the clip keeps the denominator ≥ eps (1 - eps) > 0.
        denominator = np.subtract(1, p)
        denominator *= p
        np.subtract(p, y, out=grad)
        grad /= denominator
        if not want_value:
            return None
        # log1p(-p) keeps log(1 - p) accurate for small p.
        log_q = np.log1p(np.negative(p))
        np.log(p, out=p)
        p *= y
        log_q *= 1 - y
        p += log_q
        np.negative(p, out=p)
        return sum_outputs(p)


def _check_pos_weight(pos_weight: Any) -> float | NDArray[np.float64] | None:
    if pos_weight is None:
        return None
    array = np.asarray(as_float_array(pos_weight, "pos_weight"), dtype=np.float64)
    if array.ndim > 1:
        raise ValueError(
            f"pos_weight must be a number or a 1-D array (one weight per output); got shape "
            f"{array.shape}."
        )
    if not np.isfinite(array).all() or (array < 0).any():
        raise ValueError(f"pos_weight must be non-negative and finite; got {pos_weight!r}.")
    if array.ndim == 0:
        return float(array)
    return array


@REGISTRY.register("binary_cross_entropy_with_logits", aliases=("bce_with_logits",))
class BinaryCrossEntropyWithLogits(Loss):
    r"""Binary cross-entropy of ``σ(x)``, computed from the logit ``x`` (log loss).

    Per element, with target ``z ∈ [0, 1]`` (soft targets allowed),

    .. math:: \ell = -\bigl(z \log\sigma(x) + (1 - z)\log(1 - \sigma(x))\bigr)
                 = \max(x, 0) - x z + \operatorname{log1p}(e^{-|x|}),
              \qquad \frac{\partial \ell}{\partial x} = \sigma(x) - z.

    This is logistic regression's loss, ``-(1/m)(yᵀ log σ(z) + (1-y)ᵀ log(1-σ(z)))``,
    whose weight gradient ``-(1/m) Xᵀ(y - σ(Xw+b))`` is ``Xᵀ`` times this gradient.

    Stability: ``e^{-|x|}`` never overflows and is computed once, for both the ``log1p`` term
    and ``σ(x)`` (``1/(1+e)`` for ``x ≥ 0``, ``e/(1+e)`` below). The linear part is formed as
    ``x ((x > 0) - z)``, which has no cancellation (``x (1 - z)`` or ``-x z``), so the value keeps
    full relative precision even when it is tiny (``x = 36.8, z = 1`` gives 1.04e-16, not 0).
    A 2-D output is multi-label: independent sigmoids, summed over labels.

    Parameters
    ----------
    pos_weight : float or array_like of shape (n_outputs,), optional
        Weight ``P`` of the positive term, as TensorFlow's ``weighted_cross_entropy_with_logits``:
        ``ℓ = -(P z log σ(x) + (1 - z) log(1 - σ(x)))``, gradient ``(1 + (P - 1) z) σ(x) - P z``.
        ``P > 1`` trades precision for recall on rare positive labels.
    """

    name = "binary_cross_entropy_with_logits"
    output_name = "logits"

    def __init__(self, *, pos_weight: float | ArrayLike | None = None) -> None:
        self.pos_weight = _check_pos_weight(pos_weight)

    def _params(self) -> dict[str, Any]:
        pos_weight = self.pos_weight
        if isinstance(pos_weight, np.ndarray):
            return {"pos_weight": pos_weight.tolist()}
        return {"pos_weight": pos_weight}

    def check_targets(
        self, y_true: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any] | None
    ) -> np.ndarray:
        y = super().check_targets(y_true, shape, dtype)
        check_unit_interval(y, "y_true")
        if isinstance(self.pos_weight, np.ndarray):
            n_outputs = shape[1] if len(shape) == 2 else 1
            if self.pos_weight.shape[0] != n_outputs:
                raise ValueError(
                    f"pos_weight has {self.pos_weight.shape[0]} entries but logits have "
                    f"{n_outputs} output(s)."
                )
        return y

    def workspace(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Any:
        return (
            np.empty(shape, dtype),  # e = exp(-|x|), then log1p(e)
            np.empty(shape, dtype=bool),  # x > 0
            np.empty(shape, dtype),  # the coefficient of x, then the elementwise loss
            np.empty(shape[0], dtype) if len(shape) == 2 else None,  # the per-sample loss
        )

    def kernel(
        self,
        y: np.ndarray,
        x: np.ndarray,
        grad: np.ndarray,
        workspace: Any,
        *,
        want_value: bool = True,
    ) -> np.ndarray | None:
        e, positive, coefficient, per_sample = workspace
        # over: x·(1 - z) can overflow only when it is truly beyond the float range (or with a
        # huge pos_weight); invalid: ±inf · 0 for an infinite logit on its own side, fixed below.
        np.abs(x, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)  # e = exp(-|x|) ∈ [0, 1]
        np.greater(x, 0, out=positive)
        # c: the coefficient of x in the value (1 - z for x > 0, -P z otherwise), which is
        # also the gradient at |x| = inf; l: the weight of the log1p term.
        label_scale = None
        if self.pos_weight is None:
            np.subtract(positive, y, out=coefficient)
        else:
            pos_weight = np.asarray(self.pos_weight, dtype=x.dtype)
            positive_scale = pos_weight * y  # P z
            label_scale = 1 - y + positive_scale  # 1 + (P - 1) z
            np.copyto(coefficient, np.where(positive, 1 - y, -positive_scale))
        # l σ(x) - P z = c - l σ(-x) for x > 0 and c + l σ(x) otherwise, where
        # σ(-|x|) = e / (1 + e) ≤ ½: no cancellation, so a confident, correct logit
        # gets a gradient accurate to the last bit (-1.04e-16 at x = 36.8, z = 1, not 0).
        np.add(e, 1, out=grad)
        np.divide(e, grad, out=grad)
        if label_scale is not None:
            grad *= label_scale
        np.negative(grad, out=grad, where=positive)
        np.add(grad, coefficient, out=grad)
        if not want_value:
            return None
        np.log1p(e, out=e)
        if label_scale is not None:
            e *= label_scale
        # c x only where c ≠ 0: an infinite logit whose coefficient is 0 (x = +inf, z = 1)
        # costs 0, not inf · 0 = NaN (a NaN logit still gives NaN, through e).
        np.not_equal(coefficient, 0, out=positive)
        linear = np.multiply(coefficient, x, out=coefficient, where=positive)
        np.add(linear, e, out=linear)
        return sum_outputs(linear, per_sample)


# --------------------------------------------------------------------------------------------
# Softmax cross-entropy
# --------------------------------------------------------------------------------------------


def _check_class_weight(class_weight: Any) -> NDArray[np.float64] | None:
    if class_weight is None:
        return None
    if isinstance(class_weight, (dict, str)):
        raise TypeError(
            "class_weight must be an array of shape (n_classes,), one weight per class index; "
            f"got {type(class_weight).__name__}. (Estimators turn dicts and 'balanced' into one.)"
        )
    array = np.asarray(as_float_array(class_weight, "class_weight"), dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(
            f"class_weight must have shape (n_classes,); got an array of shape {array.shape}."
        )
    if not np.isfinite(array).all() or (array < 0).any():
        raise ValueError("class_weight must be non-negative and finite.")
    return array


def _class_indices(raw: np.ndarray, n_classes: int) -> NDArray[np.intp]:
    kind = raw.dtype.kind
    if kind in "iub":
        indices = raw.astype(np.intp, copy=False)
    elif kind == "f":
        if not np.isfinite(raw).all() or (np.mod(raw, 1) != 0).any():
            raise ValueError(
                "y_true of shape (n_samples,) must hold integer class indices; got values that "
                "are not whole numbers (pass target rows of shape (n_samples, k) for soft labels)."
            )
        indices = raw.astype(np.intp)
    else:
        raise TypeError(f"y_true must hold integer class indices; got dtype {raw.dtype}.")
    if indices.size and (indices.min() < 0 or indices.max() >= n_classes):
        bad = indices[(indices < 0) | (indices >= n_classes)]
        raise ValueError(
            f"y_true holds class index {bad[0]}, outside [0, {n_classes}) for logits with "
            f"{n_classes} classes."
        )
    return indices


def _target_rows(raw: np.ndarray, dtype: np.dtype[Any] | None) -> np.ndarray:
    targets = as_dtype(raw, "y_true", dtype)
    if targets.size == 0:
        return targets
    if targets.min() < 0:
        raise ValueError(f"y_true target rows must be non-negative; got {targets.min()}.")
    n_classes = targets.shape[1]
    precision = np.dtype(targets.dtype if targets.dtype.kind == "f" else np.float64)
    eps = float(np.finfo(precision).eps)
    tolerance = max(1e-6 if precision == np.float64 else 1e-4, 8 * n_classes * eps)
    with np.errstate(over="ignore"):  # absurd rows overflow to inf and are refused below
        deviation = np.abs(targets.sum(axis=1, dtype=np.float64) - 1)
    if (deviation > tolerance).any():  # NaN compares False, so NaN rows propagate
        raise ValueError(
            f"y_true target rows must each sum to 1; found a row summing to "
            f"{1 + float(deviation[deviation > tolerance][0]):.6g} (or its mirror)."
        )
    return targets


class _SoftmaxWorkspace:
    """The scratch arrays of the softmax kernel for ``n`` rows of ``k`` logits."""

    __slots__ = (
        "at_largest",
        "at_target",
        "cross",
        "hit",
        "largest",
        "miss",
        "rest",
        "row_start",
        "top",
        "work",
    )

    def __init__(self, n: int, k: int, dtype: np.dtype[Any]) -> None:
        self.row_start = np.arange(n, dtype=np.intp) * k  # flat index of each row's start
        self.largest = np.empty(n, dtype=np.intp)  # j, the column of the row's largest logit
        self.at_largest = np.empty(n, dtype=np.intp)  # flat indices of (i, j)
        self.at_target = np.empty(n, dtype=np.intp)  # flat indices of (i, y_i)
        self.top = np.empty((n, 1), dtype=dtype)  # the largest logit m, then 1 + R
        self.rest = np.empty((n, 1), dtype=dtype)  # R = Σ_{c≠j} e^{u_c}
        self.cross = np.empty(n, dtype=dtype)  # Σ_c t_c u_c
        self.hit = np.empty(n, dtype=dtype)  # 1 where y = j
        self.miss = np.empty(n, dtype=dtype)  # 1 where y ≠ j
        self.work = np.empty(n, dtype=dtype)


@REGISTRY.register("softmax_cross_entropy_with_logits")
class SoftmaxCrossEntropyWithLogits(Loss):
    r"""Cross-entropy of ``softmax(x)``, computed from the logits ``x`` (multinomial log loss).

    For a row of logits ``x`` (``k`` classes) and a target distribution ``t`` (one-hot for a
    class index ``y``),

    .. math:: \ell = -\sum_c t_c \log\operatorname{softmax}(x)_c
                   = \operatorname{logsumexp}(x) - \sum_c t_c x_c
                   \;(= \operatorname{logsumexp}(x) - x_y),
              \qquad \frac{\partial \ell}{\partial x} = \operatorname{softmax}(x) - t.

    Stability: with ``m = max_c x_c`` at index ``j`` and ``u = x - m ≤ 0``,
    ``logsumexp(x) = m + log1p(R)`` where ``R = Σ_{c≠j} e^{u_c}`` excludes the largest term
    (which is exactly 1), and the value is formed as ``log1p(R) - Σ_c t_c u_c``: a sum of
    non-negative terms, so it is accurate to a few ulps even when tiny (logits ``[36.8, 0]``
    for class 0 give 1.04e-16, where ``logsumexp(x) - x_y`` gives 0). One ``exp`` per logit
    serves both the value and the softmax in the gradient. Where the true class has the largest
    logit, its softmax minus 1 is formed directly as ``-R / (1 + R)``: ``1 / (1 + R) - 1`` would
    cancel to 0 for tiny ``R``.

    Parameters
    ----------
    class_weight : array_like of shape (n_classes,), optional
        Multiplies each sample's weight by ``class_weight[y_i]`` (by ``Σ_c t_ic class_weight_c``
        for target rows, before smoothing); the batch value is then
        ``Σ_i w_i cw_i ℓ_i / Σ_i w_i cw_i``, as PyTorch's weighted ``CrossEntropyLoss``.
    label_smoothing : float in [0, 1), default 0.0
        ``ε``: the targets become ``(1 - ε) t + ε / k`` (Szegedy et al. 2016).

    Notes
    -----
    ``y_true`` is either class indices, shape ``(n_samples,)``, integers in ``[0, k)`` (floats
    holding whole numbers are accepted), or target rows, shape ``(n_samples, k)``, non-negative
    and each summing to 1 (one-hot or soft).
    """

    name = "softmax_cross_entropy_with_logits"
    output_name = "logits"
    output_ndim = (2,)

    def __init__(
        self, *, class_weight: ArrayLike | None = None, label_smoothing: float = 0.0
    ) -> None:
        self.class_weight = _check_class_weight(class_weight)
        check(
            "label_smoothing",
            label_smoothing,
            [Interval("real", 0, 1, closed="left")],
            owner="SoftmaxCrossEntropyWithLogits",
        )
        self.label_smoothing = float(label_smoothing)

    def _params(self) -> dict[str, Any]:
        class_weight = None if self.class_weight is None else self.class_weight.tolist()
        return {"class_weight": class_weight, "label_smoothing": self.label_smoothing}

    def check_targets(
        self, y_true: ArrayLike, shape: tuple[int, ...], dtype: np.dtype[Any] | None
    ) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(
                "The number of classes is needed to check class indices: pass n_outputs."
            )
        n_samples, n_classes = shape
        if n_classes == 0:
            raise ValueError("logits must have at least one class (column); got shape (n, 0).")
        raw = np.asarray(y_true)
        if raw.ndim == 0:
            raise ValueError("y_true must be class indices (n_samples,) or rows (n_samples, k).")
        if raw.shape[0] != n_samples:
            raise length_error(raw.shape, shape, self.output_name)
        y: np.ndarray
        if raw.ndim == 1:
            y = _class_indices(raw, n_classes)
        elif raw.ndim == 2 and raw.shape[1] == n_classes:
            y = _target_rows(raw, dtype)
        else:
            raise ValueError(
                f"y_true must be class indices of shape ({n_samples},) or target rows of shape "
                f"{shape}; got shape {raw.shape}."
            )
        if self.class_weight is not None and self.class_weight.shape[0] != n_classes:
            raise ValueError(
                f"class_weight has {self.class_weight.shape[0]} entries but logits have "
                f"{n_classes} classes."
            )
        return y

    def sample_factors(self, y: np.ndarray) -> NDArray[np.float64] | None:
        if self.class_weight is None:
            return None
        if y.ndim == 1:
            return self.class_weight[y]
        return np.asarray(y, dtype=np.float64) @ self.class_weight

    def workspace(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Any:
        return _SoftmaxWorkspace(shape[0], shape[1], dtype)

    def _aligned(self, y: np.ndarray, x: np.ndarray) -> np.ndarray | None:
        if y.ndim == 1:  # class indices
            return y if y.dtype == np.intp and y.shape[0] == x.shape[0] else None
        return super()._aligned(y, x)

    def kernel(
        self,
        y: np.ndarray,
        x: np.ndarray,
        grad: np.ndarray,
        workspace: Any,
        *,
        want_value: bool = True,
    ) -> np.ndarray | None:
        if not grad.flags.c_contiguous:  # the flat view below must be grad itself
            contiguous = np.empty(x.shape, x.dtype)
            per_sample = self.kernel(y, x, contiguous, workspace, want_value=want_value)
            np.copyto(grad, contiguous)
            return per_sample
        w = workspace
        n_samples, n_classes = x.shape
        smoothing = self.label_smoothing
        indices = y.ndim == 1
        flat = grad.reshape(-1)
        top, rest = w.top.reshape(n_samples), w.rest.reshape(n_samples)
        # Row-wise picks use flat indices (row · k + column) with take/put, which cost a
        # fraction of x[rows, cols] on small batches; methods and ufunc.reduce rather than
        # np.take/np.sum, whose wrappers double the cost of a call.
        # over: x - max(x) overflows only when the true difference is beyond the float range, and
        # then -inf is the right answer; invalid: inf - inf for infinite logits, repaired below.
        x.argmax(axis=1, out=w.largest)  # NaN counts as the largest: NaN rows stay NaN
        np.add(w.row_start, w.largest, out=w.at_largest)
        x.reshape(-1).take(w.at_largest, out=top)
        np.subtract(x, w.top, out=grad)  # u = x - m
        # Exactly 0 by construction; setting it keeps a +inf logit's row finite (inf - inf).
        flat.put(w.at_largest, 0)
        targets = None
        if indices:
            np.add(w.row_start, y, out=w.at_target)
        else:
            targets = self._smoothed(y)
        cross = w.cross
        if want_value:
            if targets is None:
                flat.take(w.at_target, out=cross)  # Σ_c t_c u_c for one-hot t
                if smoothing:
                    cross *= 1 - smoothing
                    cross += (smoothing / n_classes) * np.add.reduce(grad, axis=1)
            else:
                products = targets * grad
                np.add.reduce(products, axis=1, out=cross)
                if np.isnan(np.add.reduce(cross)):
                    # 0 · (-inf): a class the target gives no mass costs nothing however
                    # unlikely the logits make it.
                    products[(targets == 0) & np.isinf(grad)] = 0
                    np.add.reduce(products, axis=1, out=cross)
        np.exp(grad, out=grad)
        flat.put(w.at_largest, 0)
        np.add.reduce(grad, axis=1, out=rest)  # R
        if targets is None:
            # At j: -R where y = j (softmax - 1 without cancelling), else 1.
            np.equal(y, w.largest, out=w.hit)
            np.not_equal(y, w.largest, out=w.miss)
            np.multiply(w.hit, rest, out=w.work)
            np.subtract(w.miss, w.work, out=w.work)
            flat.put(w.at_largest, w.work)
        else:
            flat.put(w.at_largest, 1)
        np.add(w.rest, x.dtype.type(1), out=w.top)
        np.divide(grad, w.top, out=grad)  # softmax(x) (minus 1 at the hits)
        if targets is None:
            if smoothing:
                grad -= smoothing / n_classes
                np.subtract(w.miss, smoothing, out=w.miss)  # 1 - ε at a miss, -ε at a hit
            flat.take(w.at_target, out=w.work)
            np.subtract(w.work, w.miss, out=w.work)  # minus the target's mass
            flat.put(w.at_target, w.work)
        else:
            grad -= targets
        if not want_value:
            return None
        per_sample = np.log1p(rest, out=w.work)
        np.subtract(per_sample, cross, out=per_sample)
        return per_sample

    def _smoothed(self, targets: np.ndarray) -> np.ndarray:
        smoothing = self.label_smoothing
        if not smoothing:
            return targets
        return targets * (1 - smoothing) + smoothing / targets.shape[1]


# --------------------------------------------------------------------------------------------
# Plain functions
# --------------------------------------------------------------------------------------------


def binary_cross_entropy(
    y_true: ArrayLike, proba: ArrayLike, sample_weight: ArrayLike | None = None
) -> float:
    """Mean of ``-(z log p + (1-z) log(1-p))``, p clipped; see :class:`BinaryCrossEntropy`."""
    return BinaryCrossEntropy().value(y_true, proba, sample_weight)


def binary_cross_entropy_gradient(
    y_true: ArrayLike, proba: ArrayLike, sample_weight: ArrayLike | None = None
) -> FloatArray:
    """Gradient ``(p - z) / (p (1 - p))`` (scaled) of :func:`binary_cross_entropy` in ``proba``."""
    return BinaryCrossEntropy().gradient(y_true, proba, sample_weight)


def binary_cross_entropy_with_logits(
    y_true: ArrayLike,
    logits: ArrayLike,
    sample_weight: ArrayLike | None = None,
    pos_weight: float | ArrayLike | None = None,
) -> float:
    """Mean of ``max(x,0) - x z + log1p(exp(-abs(x)))``; see :class:`BinaryCrossEntropyWithLogits`.

    Logistic regression's loss ``-(1/m)(yᵀ log σ(z) + (1-y)ᵀ log(1-σ(z)))``.
    """
    return BinaryCrossEntropyWithLogits(pos_weight=pos_weight).value(y_true, logits, sample_weight)


def binary_cross_entropy_with_logits_gradient(
    y_true: ArrayLike,
    logits: ArrayLike,
    sample_weight: ArrayLike | None = None,
    pos_weight: float | ArrayLike | None = None,
) -> FloatArray:
    """Gradient ``(σ(x) - z) w_i / Σ w`` of :func:`binary_cross_entropy_with_logits`."""
    return BinaryCrossEntropyWithLogits(pos_weight=pos_weight).gradient(
        y_true, logits, sample_weight
    )


def softmax_cross_entropy_with_logits(
    y_true: ArrayLike,
    logits: ArrayLike,
    sample_weight: ArrayLike | None = None,
    class_weight: ArrayLike | None = None,
    label_smoothing: float = 0.0,
) -> float:
    """Mean of ``logsumexp(x) - x_y``; see :class:`SoftmaxCrossEntropyWithLogits`."""
    loss = SoftmaxCrossEntropyWithLogits(class_weight=class_weight, label_smoothing=label_smoothing)
    return loss.value(y_true, logits, sample_weight)


def softmax_cross_entropy_with_logits_gradient(
    y_true: ArrayLike,
    logits: ArrayLike,
    sample_weight: ArrayLike | None = None,
    class_weight: ArrayLike | None = None,
    label_smoothing: float = 0.0,
) -> FloatArray:
    """Gradient ``(softmax(x) - t) w_i / Σ w`` of :func:`softmax_cross_entropy_with_logits`."""
    loss = SoftmaxCrossEntropyWithLogits(class_weight=class_weight, label_smoothing=label_smoothing)
    return loss.gradient(y_true, logits, sample_weight)
