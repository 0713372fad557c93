"""Multilayer perceptrons trained by backpropagation, with scikit-learn's interface.

``MLPClassifier`` and ``MLPRegressor`` take scikit-learn's parameter names and meanings, so code
written for ``sklearn.neural_network`` runs unchanged, and add what scikit-learn's MLP does
not have: every registered activation (one per hidden layer if wished), maxout and PReLU
layers, dropout, class weights, more solvers and learning-rate schedules, a choice of loss,
validation-loss curves, callbacks, ``transform`` to hidden activations, and float32 training.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import TransformerTags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d

from sigmanet import activations as _activations
from sigmanet import engine as _engine
from sigmanet import initializers as _initializers
from sigmanet import losses as _losses
from sigmanet.constraints import InstanceOf, Options, check
from sigmanet.estimators._base import BaseNetworkEstimator
from sigmanet.estimators._parameters import (
    CLASS_WEIGHT,
    POSITIVE,
    POSITIVE_INT,
    STOCHASTIC_SOLVERS,
    TRAINING_CONSTRAINTS,
    UNIT,
    activation_names_for_hidden,
    partial_fit_solvers,
    sequence_of,
)

__all__ = ["MLPClassifier", "MLPRegressor"]


#: ``partial_fit`` exists only for the stochastic solvers, as in scikit-learn.
_stochastic_solver = partial_fit_solvers(STOCHASTIC_SOLVERS)


class _MLPMixin(BaseNetworkEstimator):
    """Hidden-layer specification shared by the classifier and the regressor."""

    def _hidden_spec(self) -> tuple[list[int], list[str], list[float]]:
        sizes = self.hidden_layer_sizes  # its type and range: _parameter_constraints
        widths = [int(sizes)] if isinstance(sizes, numbers.Integral) else [int(s) for s in sizes]
        n_hidden = len(widths)
        names = self._per_layer("activation", self.activation, n_hidden, str)
        valid_names = Options(*activation_names_for_hidden())
        for name in names:
            check("activation", name, [valid_names], owner=type(self).__name__)
        resolved = [
            name if name in ("prelu", "maxout") else _activations.get(name).name for name in names
        ]
        dropouts = self._per_layer("dropout", self.dropout, n_hidden, numbers.Real)
        for rate in dropouts:
            check("dropout", rate, [UNIT], owner=type(self).__name__)
        return widths, resolved, [float(r) for r in dropouts]

    @staticmethod
    def _per_layer(name: str, value: Any, n_hidden: int, kind: Any) -> list[Any]:
        if isinstance(value, kind) and not isinstance(value, bool):
            return [value] * n_hidden
        if isinstance(value, Sequence) and not isinstance(value, str):
            if len(value) != n_hidden:
                raise ValueError(
                    f"{name} has {len(value)} entries but there are {n_hidden} hidden layers; "
                    "give one value or one per hidden layer."
                )
            return list(value)
        raise ValueError(
            f"{name} must be one value or a list with one per hidden layer; got {value!r}."
        )

    def __sklearn_tags__(self):
        # transform() to hidden activations makes scikit-learn treat the MLPs as transformers
        tags = super().__sklearn_tags__()
        tags.transformer_tags = TransformerTags(preserves_dtype=["float64", "float32"])
        return tags

    def fit_transform(self, X: Any, y: Any, **fit_params: Any) -> np.ndarray:
        """Fit, then return the last hidden layer's activations for ``X`` (:meth:`transform`)."""
        return self.fit(X, y, **fit_params).transform(X)

    def _architecture(self) -> dict[str, Any]:
        widths, names, dropouts = self._hidden_spec()
        layers: dict[str, Any] = {
            "hidden_layer_sizes": widths,
            "activation": names,
            "dropout": dropouts,
        }
        if "maxout" in names:
            layers["maxout_pieces"] = int(self.maxout_pieces)
        return layers

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **TRAINING_CONSTRAINTS,
        "hidden_layer_sizes": [POSITIVE_INT, sequence_of(POSITIVE_INT, "positive ints")],
        "activation": [InstanceOf(str), sequence_of(InstanceOf(str), "names")],
        "dropout": [UNIT, sequence_of(UNIT, "rates in [0, 1)")],
        "maxout_pieces": [POSITIVE_INT],
        "weight_init": [Options("sklearn", "auto", *_initializers.names())],
        "engine": [Options(*_engine.ENGINES)],
    }

    def _check_param_combinations(self) -> None:
        self._hidden_spec()  # one activation and dropout rate per hidden layer

    def _extra_state(self) -> dict[str, Any]:
        return {}


class MLPClassifier(ClassifierMixin, _MLPMixin):
    """Multilayer perceptron classifier trained by backpropagation.

    The hidden layers compute ``a[l] = g_l(a[l-1] W[l] + b[l])``; the output layer gives logits
    ``z``. Binary and multilabel problems use independent sigmoids with the cross-entropy from
    logits (gradient ``σ(z) - y``); more than two classes use softmax with the cross-entropy
    (gradient ``softmax(z) - onehot(y)``). ``loss="hinge"`` trains a margin classifier instead.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Width of each hidden layer.
    activation : str or sequence of str, default="relu"
        Any name of :func:`sigmanet.activations.names` (``"logistic"``, ``"tanh"``, ``"relu"``,
        ``"gelu"``, ...), or ``"prelu"`` (learned slope) or ``"maxout"``; one for all hidden
        layers or one per layer.
    solver : {"adam", "sgd", "lbfgs", "adamw", "rmsprop", "adagrad"}, default="adam"
    alpha : float, default=1e-4
        L2 penalty ``(alpha / 2m) Σ‖W‖²`` (m: batch size), as scikit-learn; for ``"adamw"`` the
        decoupled weight decay instead.
    batch_size : int, "auto" or "full", default="auto"
        ``"auto"`` is ``min(200, n_samples)``; ``"full"`` is batch gradient descent; ``1`` is
        stochastic gradient descent.
    learning_rate : str, default="constant"
        ``"constant"``, ``"invscaling"``, ``"adaptive"``, ``"step"``, ``"exponential"``,
        ``"cosine"`` or ``"annealed"`` (4/(1+epoch+i)+0.01); applies to every stochastic solver.
    learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose, warm_start,
    momentum, nesterovs_momentum, early_stopping, validation_fraction, beta_1, beta_2, epsilon,
    n_iter_no_change, max_fun
        As in scikit-learn's ``MLPClassifier`` (``n_iter_no_change`` may be ``numpy.inf``).
        ``verbose``: True (or an int > 0) prints scikit-learn's ``Iteration n, loss = ...``
        line per epoch on stdout; ``"progress"`` shows a progress bar on stderr instead. A
        warm start (and ``partial_fit``) continues from the fitted weights only if the layers
        (``hidden_layer_sizes``, ``activation``, ``dropout``, ``maxout_pieces``) are unchanged
        since the last fit, and otherwise raises ValueError, as scikit-learn does for a warm
        start it cannot honour (its MLP does not check the layers and keeps the old weights).
    dropout : float or sequence of float, default=0.0
        Inverted-dropout rate after each hidden layer (training only).
    class_weight : dict, "balanced" or None, default=None
        Per-class weights multiplying ``sample_weight``.
    loss : {"log_loss", "hinge"}, default="log_loss"
    maxout_pieces : int, default=2
        Affine pieces per unit of ``"maxout"`` layers.
    weight_init : str, default="sklearn"
        ``"sklearn"``: scikit-learn's initialisation, every weight and bias from
        U(-a, a) with ``a = sqrt(6 / (fan_in + fan_out))`` (``sqrt(2 / ...)`` with
        ``activation="logistic"``). Or the initializer of the hidden layers' weights (a name
        of :func:`sigmanet.initializers.names`), or ``"auto"``: He for the ReLU family, LeCun
        normal for SELU, Glorot otherwise; biases then start at zero.
    blas_threads : "auto", int or None, default="auto"
        BLAS threads while fitting. ``"auto"`` uses one when a step's largest matrix product
        is under ten billion multiply-adds (batch rows × the largest weight matrix), where
        OpenBLAS's threads slow a step down on a busy machine, and leaves larger ones alone;
        an int sets the count for the fit; None leaves the threads as they are.
    engine : {"auto", "compiled", "numpy"}, default="auto"
        How the stochastic solvers run an epoch: ``"auto"`` as one compiled call
        (:mod:`sigmanet.engine`, numba) when the network, loss and solver allow it, the kernel
        was measured faster for its activations in its dtype
        (:data:`sigmanet.engine.AUTO_ACTIVATIONS`) and numba is installed, else the NumPy loop;
        ``"compiled"`` insists (a ValueError says why it
        cannot); ``"numpy"`` always uses the NumPy loop. Both give the same results. L-BFGS's
        gradients and the predictions go through the same kernels where they can.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coefs_, intercepts_ : list of ndarray
        The weight matrix ``(fan_in, fan_out)`` and bias of each Dense/Maxout layer.
    loss_curve_, validation_loss_curve_, validation_scores_ : list of float
        Per epoch (``validation_*`` with ``early_stopping``).
    best_loss_, best_validation_score_, loss_, n_iter_, t_, n_layers_, n_outputs_,
    out_activation_, n_features_in_, feature_names_in_, dtype_, network_
    engine_ : {"compiled", "numpy"}
        The engine the last fit ran on (for L-BFGS: where its gradients came from).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sigmanet import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), activation="tanh", learning_rate_init=0.01,
    ...                     max_iter=500, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: Any = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: Any = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        dropout: Any = 0.0,
        class_weight: Any = None,
        loss: str = "log_loss",
        maxout_pieces: int = 2,
        weight_init: str = "sklearn",
        blas_threads: Any = "auto",
        engine: str = "auto",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.class_weight = class_weight
        self.loss = loss
        self.maxout_pieces = maxout_pieces
        self.weight_init = weight_init
        self.blas_threads = blas_threads
        self.engine = engine

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # -- fitting ---------------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        callbacks: Any = None,
        validation_data: Any = None,
    ) -> MLPClassifier:
        """Fit the network to ``X`` of shape (n_samples, n_features) and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a 0/1 indicator matrix for multilabel classification.
        sample_weight : array-like of shape (n_samples,), optional
        callbacks : list of sigmanet.training.Callback, optional
            Hooks at each batch and epoch end (e.g. gradient-flow recording).
        validation_data : (X_val, y_val), optional
            Fills ``validation_loss_curve_`` and ``validation_scores_`` every epoch without
            early stopping (the validation data then decides nothing).

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, callbacks=callbacks, validation_data=validation_data)

    @available_if(_stochastic_solver)
    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state.

        ``classes`` (every label that will ever be seen) is required on the first call.
        ``class_weight="balanced"`` balances the rows of each call;
        :mod:`sigmanet.streaming` and :func:`sigmanet.dask.fit_stochastic` give every call
        the whole data's weights instead. Only for the stochastic solvers (the attribute does
        not exist with ``"lbfgs"``).
        """
        if not self._is_fitted():
            if classes is None and type_of_target(y) != "multilabel-indicator":
                raise ValueError("classes must be passed on the first call to partial_fit.")
        elif classes is not None and not np.array_equal(
            np.asarray(classes), np.asarray(self.classes_)
        ):
            raise ValueError(
                f"classes={list(classes)!r} differs from the classes of the first call to "
                f"partial_fit, {list(self.classes_)!r}."
            )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **_MLPMixin._parameter_constraints,
        "class_weight": CLASS_WEIGHT,
        "loss": [Options("log_loss", "hinge")],
    }

    def _check_warm_start_targets(self, y: np.ndarray) -> None:
        if self.warm_start and not self._multilabel and y.ndim == 1:
            classes = unique_labels(y)
            if set(classes.tolist()) != set(self.classes_.tolist()):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has {classes}. "
                    "Set warm_start=False to fit anew."
                )

    def _encode_targets(self, y: Any, first: bool, classes: Any = None) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        multilabel = y.ndim == 2
        if first:
            self._multilabel = multilabel
            if multilabel:
                self.classes_ = np.arange(y.shape[1])
            elif classes is not None:
                self.classes_ = unique_labels(np.asarray(classes))
            else:
                self.classes_ = unique_labels(y)
            if multilabel and self.loss == "hinge":
                raise ValueError("loss='hinge' does not support multilabel targets.")
        elif multilabel != self._multilabel or (multilabel and y.shape[1] != len(self.classes_)):
            raise ValueError(
                "y has a different form from the first fit (multilabel indicator vs labels, or "
                "a different number of labels)."
            )
        if multilabel:
            return y.astype(np.float64)
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels not seen at the first call {unseen.tolist()!r}; "
                f"known classes: {self.classes_.tolist()!r}."
            )
        index = np.searchsorted(self.classes_, y)
        n_classes = len(self.classes_)
        if self.loss == "hinge":
            if n_classes <= 2:
                return np.where(index == 1, 1.0, -1.0)[:, None]
            signs = -np.ones((len(y), n_classes))
            signs[np.arange(len(y)), index] = 1.0
            return signs
        if n_classes <= 2:
            return (index == 1).astype(np.float64)[:, None]
        return index.astype(np.intp)

    def _output_loss(self) -> Any:
        if self.loss == "hinge":
            return _losses.get("hinge")
        if self._multilabel or len(self.classes_) <= 2:
            return _losses.get("binary_cross_entropy_with_logits")
        return _losses.get("softmax_cross_entropy_with_logits")

    def _publish_attributes(self) -> None:
        super()._publish_attributes()
        if self.loss == "hinge":
            self.out_activation_ = "identity"
        elif self._multilabel or len(self.classes_) <= 2:
            self.out_activation_ = "logistic"
        else:
            self.out_activation_ = "softmax"

    def _score_network(self, X: np.ndarray, y: np.ndarray, sample_weight: Any) -> float:
        return float(
            accuracy_score(y, self._labels(self.network_.predict(X)), sample_weight=sample_weight)
        )

    # -- prediction ------------------------------------------------------------------------------
    def _labels(self, z: np.ndarray) -> np.ndarray:
        if self._multilabel:
            return (z > 0).astype(int)
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, z.shape[0])
        if z.shape[1] == 1:
            return self.classes_[(z[:, 0] > 0).astype(np.intp)]
        return self.classes_[np.argmax(z, axis=1)]

    def decision_function(self, X: Any) -> np.ndarray:
        """The output layer's logits: shape (n_samples,) for two classes, else (n, n_outputs)."""
        z = self._forward(X)
        return z[:, 0] if z.shape[1] == 1 else z

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (an indicator matrix for multilabel models)."""
        return self._labels(self._forward(X))

    def _has_proba(self) -> bool:
        return self.loss != "hinge"

    @available_if(_has_proba)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes); rows sum to 1 except multilabel."""
        check_is_fitted(self, "network_")  # before classes_ is read
        # the compiled kernel applies the output function in its last pass; NumPy's path here
        if self._multilabel:
            z, done = self._forward_to(X, "sigmoid")
            return z if done else _activations.sigmoid(z)
        if len(self.classes_) == 1:
            z = self._forward(X)
            return np.ones((z.shape[0], 1), dtype=z.dtype)
        if self.network_.output_dim == 1:
            z, done = self._forward_to(X, "binary")
            if done:
                return z
            return np.column_stack([_activations.sigmoid(-z[:, 0]), _activations.sigmoid(z[:, 0])])
        z, done = self._forward_to(X, "softmax")
        return z if done else _activations.softmax(z, axis=1)

    @available_if(_has_proba)
    def predict_log_proba(self, X: Any, *, from_logits: bool = False) -> np.ndarray:
        """The log of :meth:`predict_proba`, shape (n_samples, n_classes).

        By default ``log(predict_proba(X))``, as scikit-learn computes it: a probability that
        rounds to 0 or 1 gives ``-inf`` or 0. With ``from_logits=True`` it is computed from the
        logits (log-sigmoid, log-softmax) instead, finite and exact where the probabilities
        saturate (a logit of 50 gives ``log(1 - σ(50)) = -50``, not ``log(0)``).
        """
        if not from_logits:
            with np.errstate(divide="ignore"):
                return np.log(self.predict_proba(X))
        z = self._forward(X)
        if self._multilabel:
            return _activations.log_sigmoid(z)
        if len(self.classes_) == 1:
            return np.zeros((z.shape[0], 1), dtype=z.dtype)
        if z.shape[1] == 1:
            return np.column_stack(
                [_activations.log_sigmoid(-z[:, 0]), _activations.log_sigmoid(z[:, 0])]
            )
        return _activations.log_softmax(z, axis=1)

    # -- persistence -----------------------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        return {
            "classes_": self.classes_.tolist(),
            "classes_dtype": self.classes_.dtype.str,
            "multilabel": bool(self._multilabel),
        }

    def _restore_extra_state(self, meta: dict[str, Any]) -> None:
        dtype = np.dtype(meta["classes_dtype"])
        if dtype.kind not in "biufUO":
            raise ValueError(f"classes_dtype {dtype} is not a label dtype.")
        self.classes_ = np.asarray(meta["classes_"], dtype=dtype)
        self._multilabel = bool(meta["multilabel"])


class MLPRegressor(RegressorMixin, _MLPMixin):
    """Multilayer perceptron regressor trained by backpropagation.

    The output layer is linear (identity); the loss is the squared error
    ``½ Σ (ŷ - y)²`` (gradient ``ŷ - y``) or the Huber loss. Parameters are those of
    :class:`MLPClassifier` (without ``class_weight``), with ``loss`` one of
    ``"squared_error"``, ``"huber"`` (``huber_delta`` the threshold) or ``"poisson"``.

    With ``loss="poisson"`` (counts ``y ≥ 0``) the output layer gives the log of the mean,
    ``z = log μ``, and ``predict`` returns ``μ = exp(z)`` (``out_activation_`` is ``"exp"``);
    the loss is half the Poisson deviance ``exp(z) - y z + y log y - y`` with the gradient
    ``exp(z) - y`` (:class:`sigmanet.losses.Poisson`), as scikit-learn's ``loss="poisson"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigmanet import MLPRegressor
    >>> X = np.linspace(-2, 2, 200)[:, None]
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), activation="tanh", solver="lbfgs",
    ...                    random_state=0).fit(X, np.sin(X).ravel())
    >>> reg.score(X, np.sin(X).ravel()) > 0.99
    True
    """

    def __init__(
        self,
        loss: str = "squared_error",
        hidden_layer_sizes: Any = (100,),
        activation: Any = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: Any = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        dropout: Any = 0.0,
        huber_delta: float = 1.0,
        maxout_pieces: int = 2,
        weight_init: str = "sklearn",
        blas_threads: Any = "auto",
        engine: str = "auto",
    ) -> None:
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.huber_delta = huber_delta
        self.maxout_pieces = maxout_pieces
        self.weight_init = weight_init
        self.blas_threads = blas_threads
        self.engine = engine

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        callbacks: Any = None,
        validation_data: Any = None,
    ) -> MLPRegressor:
        """Fit the network to ``X`` (n_samples, n_features) and targets ``y``.

        ``y`` has shape (n_samples,) or (n_samples, n_outputs); see :meth:`MLPClassifier.fit`
        for ``callbacks`` and ``validation_data``.
        """
        return self._fit(X, y, sample_weight, callbacks=callbacks, validation_data=validation_data)

    @available_if(_stochastic_solver)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state.

        Only for the stochastic solvers (the attribute does not exist with ``"lbfgs"``).
        """
        return self._fit(X, y, sample_weight, incremental=True)

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **_MLPMixin._parameter_constraints,
        "loss": [Options("squared_error", "huber", "poisson")],
        "huber_delta": [POSITIVE],
    }

    def _encode_targets(self, y: Any, first: bool, classes: Any = None) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson regression "
                f"(loss='poisson'); the smallest is {float(np.min(y))}."
            )
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        if not first and y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} output(s), but the model was fitted with {self.n_outputs_}."
            )
        return y

    def _output_loss(self) -> Any:
        if self.loss == "huber":
            return _losses.get("huber", delta=self.huber_delta)
        if self.loss == "poisson":
            return _losses.get("poisson")
        return _losses.get("squared_error")

    def _publish_attributes(self) -> None:
        super()._publish_attributes()
        self.out_activation_ = "exp" if self.loss == "poisson" else "identity"

    def _inverse_link(self, z: np.ndarray) -> np.ndarray:
        """The prediction from the output layer: ``exp(z)`` for the Poisson loss, else ``z``."""
        if self.loss != "poisson":
            return z
        with np.errstate(over="ignore"):  # a mean beyond the float range is inf
            return np.exp(z, out=z)

    def _score_network(self, X: np.ndarray, y: np.ndarray, sample_weight: Any) -> float:
        prediction = self._inverse_link(self.network_.predict(X))
        if not np.isfinite(prediction).all():  # a diverging fit: no score, as scikit-learn
            return math.nan
        y = np.asarray(y).reshape(prediction.shape)
        return float(r2_score(y, prediction, sample_weight=sample_weight))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values, shape (n_samples,) for one output, else (n_samples, n_outputs)."""
        check_is_fitted(self, "network_")
        z = self._inverse_link(self._forward(X))
        return z[:, 0] if z.shape[1] == 1 else z
