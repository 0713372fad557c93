r"""Linear classifiers on arrays of other libraries: objective on the device, L-BFGS on the host.

With array API dispatch on (:func:`sigmanet.config_context`), ``fit(X, y)`` for a PyTorch, CuPy or
array_api_strict ``X`` never copies ``X`` to NumPy. Each evaluation of the objective moves the
parameters θ (a few numbers per feature) to ``X``'s device, computes there, in ``X``'s namespace
``xp``, the sums over rows

.. math:: L = \sum_i s_i \ell_i, \qquad G_W = X^\top R, \qquad G_b = \textstyle\sum_i R_i,
          \qquad R_i = s_i \, \partial \ell_i / \partial z_i,

and brings back only ``L``, ``G_W`` and ``G_b``; scipy's L-BFGS-B steps on the host, on the
float64 θ, as scikit-learn does. The penalty and the division by ``S = Σ s_i`` are the in-memory
objective's own (:func:`sigmanet.training.objective_from_sums`), so both paths minimise the same
``J``. Per sample, with logits ``z = x W + b``:

* sigmoid outputs (:class:`~sigmanet.estimators.LogisticRegression`), summed over outputs:
  ``ℓ = max(z, 0) - z y + log1p(e^(-|z|))`` and ``∂ℓ/∂z = σ(z) - y``, with
  ``σ(z) = 1 / (1 + e^(-|z|))`` for ``z ≥ 0`` and ``e^(-|z|) / (1 + e^(-|z|))`` otherwise;
* softmax outputs (:class:`~sigmanet.estimators.SoftmaxRegression`): with the row maximum
  ``m``, ``ℓ = log Σ_k e^(z_k - m) - (z_y - m)`` and ``∂ℓ/∂z = softmax(z) - onehot(y)``.

No exponential of a positive number is taken, so no finite input overflows.

:class:`ArrayApiInput` is the estimators' side: the fit of such an ``X``, the logits of the
predictions in ``X``'s namespace, and the fitted coefficients returned there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted, column_or_1d

from sigmanet import _array_api
from sigmanet.exceptions import DivergenceError
from sigmanet.network import Sequential
from sigmanet.training import BlockSums, minimize_lbfgs, objective_from_sums

#: the solvers that run on array-API input
ARRAY_API_SOLVERS = ("lbfgs",)


def check_array(X: Any, xp: Any, name: str = "X") -> Any:
    """``X`` as a 2-D real floating array of its own namespace, with finite values.

    float32 and float64 stay as they are; integers and booleans become float64.
    """
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D, shape (n_samples, n_features); got shape {tuple(X.shape)}. "
            "Reshape a single feature with X.reshape(-1, 1) (or a single sample with "
            "reshape(1, -1))."
        )
    if xp.isdtype(X.dtype, "real floating"):
        pass
    elif xp.isdtype(X.dtype, ("integral", "bool")):
        X = xp.astype(X, xp.float64)
    else:
        raise TypeError(f"{name} must be real numbers; got dtype {X.dtype}.")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(
            f"{name} must have at least one sample and one feature; got shape {tuple(X.shape)}."
        )
    if not bool(xp.all(xp.isfinite(X))):
        raise ValueError(f"{name} contains NaN or infinity; remove or impute those values.")
    return X


def numpy_dtype(xp: Any, dtype: Any) -> np.dtype[Any]:
    """The NumPy dtype of an ``xp`` floating dtype (float32 or float64)."""
    return np.dtype(np.float32) if dtype == xp.float32 else np.dtype(np.float64)


class ArrayApiObjective:
    """``J(θ)`` of a one-layer network, its data term summed in ``X``'s namespace and device.

    Called like :class:`sigmanet.training.FullBatchObjective`: returns ``J`` at the network's
    current (host) parameters and leaves ``∂J/∂θ`` in ``network.flat_gradients()``, so
    :func:`sigmanet.training.minimize_lbfgs` drives it.

    Parameters
    ----------
    network : Sequential
        A built network of one Dense layer (``W`` of shape (n_features, n_outputs), ``b``).
    output : {"sigmoid", "softmax"}
    X : array of namespace ``xp``, shape (n_samples, n_features)
        Checked by :func:`check_array`.
    targets : ndarray
        Host targets: 0/1 floats of shape (n_samples, n_outputs) for ``"sigmoid"``, class
        indices of shape (n_samples,) for ``"softmax"``; moved to the device once, here.
    weight : ndarray or None
        Host sample weights (n_samples,), moved to the device once.
    l2 : float
        Penalty strength, as for :class:`~sigmanet.training.FullBatchObjective`.
    """

    engine = "array-api"

    def __init__(
        self,
        network: Sequential,
        output: str,
        X: Any,
        targets: np.ndarray,
        weight: np.ndarray | None,
        l2: float,
        xp: Any,
        device: Any,
    ) -> None:
        self.network = network
        self.output = output
        self.X = X
        self.xp = xp
        self.device = device
        self.l2 = float(l2)
        dtype = numpy_dtype(xp, X.dtype)
        n_outputs = network.layers[0].params["W"].shape[1]
        if output == "softmax":
            one_hot = np.zeros((len(targets), n_outputs), dtype=dtype)
            one_hot[np.arange(len(targets)), targets] = 1
            targets = one_hot
        self.Y = _array_api.from_numpy(targets.astype(dtype, copy=False), xp, device)
        self.weight = (
            None
            if weight is None
            else _array_api.from_numpy(weight.astype(dtype, copy=False)[:, None], xp, device)
        )
        rows = X.shape[0]
        self.total = float(rows if weight is None else np.sum(weight, dtype=np.float64))

    def logits(self) -> Any:
        """``z = X W + b`` at the network's current parameters, on ``X``'s device."""
        return linear_logits(self.network, self.X, self.xp, self.device)

    def sums(self) -> BlockSums:
        """:class:`~sigmanet.training.BlockSums` of all rows at the current parameters."""
        xp = self.xp
        z = self.logits()
        if self.output == "sigmoid":
            decay = xp.exp(-xp.abs(z))
            loss = xp.maximum(z, 0) - z * self.Y + xp.log1p(decay)
            residual = xp.where(z >= 0, 1 / (1 + decay), decay / (1 + decay)) - self.Y
        else:
            shifted = z - xp.max(z, axis=1, keepdims=True)
            exp = xp.exp(shifted)
            total = xp.sum(exp, axis=1, keepdims=True)
            loss = xp.log(total) * self.Y - shifted * self.Y  # the one-hot picks class y
            residual = exp / total - self.Y
        if self.weight is not None:
            loss = loss * self.weight
            residual = residual * self.weight
        grad_W = xp.matmul(xp.matrix_transpose(self.X), residual)
        parts = [_array_api.to_numpy(grad_W).astype(np.float64).reshape(-1)]
        if "b" in self.network.layers[0].params:
            parts.append(_array_api.to_numpy(xp.sum(residual, axis=0)).astype(np.float64))
        value = float(_array_api.to_numpy(xp.sum(loss)))
        return BlockSums(value, np.concatenate(parts), self.total)

    def __call__(self) -> float:
        return objective_from_sums(self.network, self.sums(), self.l2)


def linear_logits(network: Sequential, X: Any, xp: Any, device: Any) -> Any:
    """``X W + b`` of a one-layer network's host parameters, computed in ``xp`` on ``device``."""
    params = network.layers[0].params
    dtype = numpy_dtype(xp, X.dtype)
    W = _array_api.from_numpy(params["W"].astype(dtype, copy=False), xp, device)
    z = xp.matmul(X, W)
    if "b" in params:
        z = z + _array_api.from_numpy(params["b"].astype(dtype, copy=False), xp, device)
    return z


def log_sigmoid(xp: Any, z: Any) -> Any:
    """``log σ(z) = min(z, 0) - log1p(e^(-|z|))``, finite for every finite ``z``."""
    return xp.minimum(z, 0) - xp.log1p(xp.exp(-xp.abs(z)))


def log_softmax(xp: Any, z: Any) -> Any:
    """Row-wise ``z - max - log Σ e^(z - max)``."""
    shifted = z - xp.max(z, axis=1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))


def fit_lbfgs(
    network: Sequential,
    objective: ArrayApiObjective,
    *,
    max_iter: int,
    tol: float,
) -> Any:
    """:func:`sigmanet.training.minimize_lbfgs` on ``objective`` (θ on the host, float64)."""
    return minimize_lbfgs(network, objective, max_iter=max_iter, tol=tol)


def host_array(value: Any) -> Any:
    """An array-API array as a host NumPy array; anything else as it is."""
    return _array_api.to_numpy(value) if _array_api.is_array_api_array(value) else value


class ArrayApiInput:
    """The linear classifiers' fit and prediction on array-API input (mixed into
    :class:`~sigmanet.estimators._linear_base._LinearClassifier`, whose hooks it calls)."""

    def _fit_array_api(self: Any, X: Any, y: Any, sample_weight: Any, xp: Any, device: Any) -> None:
        """The fit of an array-API ``X``: the objective on ``X``'s
        device, L-BFGS on the host; labels and weights are read on the host."""
        self._validate_params()
        if self.solver not in ARRAY_API_SOLVERS:
            raise ValueError(
                f"solver={self.solver!r} does not run on {xp.__name__} arrays: with "
                f"array_api_dispatch on, {type(self).__name__} supports solver='lbfgs' only. "
                "Use solver='lbfgs', or fit on NumPy arrays."
            )
        first = not self._is_fitted() or not self.warm_start
        if not first:
            self._check_same_architecture(False)
        self._classes_like = None  # the host labels while fitting
        X = check_array(X, xp)
        n_samples, n_features = X.shape
        labels = column_or_1d(host_array(y), warn=True)
        if labels.shape[0] != n_samples:
            raise ValueError(
                f"X and y must have the same number of samples; got {n_samples} and "
                f"{labels.shape[0]}."
            )
        if not first:
            expected = int(self.n_features_in_)
            if n_features != expected:
                raise ValueError(
                    f"X has {n_features} features, but {type(self).__name__} is expecting "
                    f"{expected} features as input."
                )
            self._check_warm_start_targets(labels)
        targets = self._encode_targets(labels, first)
        dtype = numpy_dtype(xp, X.dtype)
        host_weight = None if sample_weight is None else host_array(sample_weight)
        # _sample_weight reads only the number of rows and the dtype of its X
        weight = self._sample_weight(host_weight, np.empty((n_samples, 0), dtype), labels)
        if first:
            self.__dict__.pop("feature_names_in_", None)
            self.n_features_in_ = int(n_features)
            self._rng = np.random.default_rng(self.random_state)
            self._initialise(n_features, self._n_outputs_for(len(self._classes)), dtype)
        if self.network_.dtype != dtype:
            X = xp.astype(X, xp.float32 if self.network_.dtype == np.float32 else xp.float64)
        output = "softmax" if targets.ndim == 1 else "sigmoid"
        objective = ArrayApiObjective(
            self.network_, output, X, targets, weight, self._l2(), xp, device
        )
        self._array_api_input = xp.zeros((0,), dtype=X.dtype, device=device)
        try:
            result = fit_lbfgs(
                self.network_,
                objective,
                max_iter=self.max_iter,
                tol=0.0 if self.tol is None else float(self.tol),
            )
            n_iter = min(result.n_iter, int(self.max_iter))
            self._finish(
                result.loss or [objective()],
                n_iter,
                result.converged and n_iter == result.n_iter,
                result.message,
            )
        except DivergenceError:
            self._publish_attributes()
            self._record_fitted_params()
            raise
        self._publish_attributes()
        self._record_fitted_params()
        labels_space = _array_api.namespace(y)
        if labels_space is not None:
            # scikit-learn's classes_ = xp.unique_values(y): in y's namespace, on its device
            y_xp, y_device = labels_space
            self._classes_like = y_xp.zeros((0,), device=y_device)

    def _in_input_namespace(self: Any, array: np.ndarray) -> Any:
        """A fitted array in the namespace and on the device of the array-API fit, if any."""
        like = getattr(self, "_array_api_input", None)
        if like is None:
            return array
        compat = _array_api._compat()
        return _array_api.from_numpy(array, compat.array_namespace(like), compat.device(like))

    def _forward(self: Any, X: Any) -> Any:
        """The logits; in ``X``'s namespace and on its device for an array-API ``X`` under
        array API dispatch (the host weights are copied there), else a NumPy array."""
        space = _array_api.namespace(X)
        if space is None:
            return super()._forward(X)  # type: ignore[misc]
        check_is_fitted(self, "network_")
        xp, device = space
        X = check_array(X, xp)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        model = xp.float32 if self.network_.dtype == np.float32 else xp.float64
        if X.dtype != model:
            X = xp.astype(X, model)
        return linear_logits(self.network_, X, xp, device)

    def _array_api_labels(self: Any, z: Any) -> Any:
        """The predicted labels of array-API logits: in ``classes_``'s namespace and on its
        device when it is an array-API array (``y`` was one), else in the logits' namespace
        and on their device when the labels are numbers, else (strings, objects) a NumPy
        array."""
        compat = _array_api._compat()
        xp = compat.array_namespace(z)
        index = xp.astype(z[:, 0] > 0, xp.int64) if z.shape[1] == 1 else xp.argmax(z, axis=1)
        like = self.__dict__.get("_classes_like")
        if like is not None and (
            compat.array_namespace(like) is not xp or compat.device(like) != compat.device(z)
        ):
            # scikit-learn's: the labels where classes_ is (moving the indices there)
            labels = self._classes[_array_api.to_numpy(index)]
            return _array_api.from_numpy(labels, compat.array_namespace(like), compat.device(like))
        if self._classes.dtype.kind not in "biuf":
            return self._classes[_array_api.to_numpy(index)]
        classes = _array_api.from_numpy(self._classes, xp, compat.device(z))
        return xp.take(classes, index)
