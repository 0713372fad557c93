"""The linear classifiers' shared estimator: validation, coefficients, prediction, persistence.

:class:`_LinearClassifier` is a network of one :class:`~sigmanet.layers.Dense` layer whose
solvers are :class:`~sigmanet.estimators._linear_solvers.LinearSolvers`; logistic and softmax
regression (:mod:`sigmanet.estimators.linear`) set its output, loss and targets.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, ClassVar

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from sigmanet import _array_api
from sigmanet import schedules as _schedules
from sigmanet._arrays import is_sparse
from sigmanet.constraints import InstanceOf, Interval, Options
from sigmanet.estimators._base import _FLOAT_DTYPES, _SPARSE_FORMATS
from sigmanet.estimators._linear_array_api import ArrayApiInput, host_array
from sigmanet.estimators._linear_solvers import OPTIMIZERS, SOLVERS, LinearSolvers
from sigmanet.estimators._parameters import (
    BOOLEAN,
    CLASS_WEIGHT,
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    VERBOSE,
    partial_fit_solvers,
)
from sigmanet.layers import Dense, Layer
from sigmanet.network import Sequential


def _never(self: Any) -> bool:
    return False


#: ``partial_fit`` exists only for the stochastic solvers, as in scikit-learn's MLP.
_stochastic_solver = partial_fit_solvers(tuple(OPTIMIZERS))


# --------------------------------------------------------------------------------------------
# The shared estimator
# --------------------------------------------------------------------------------------------


class _LinearClassifier(ClassifierMixin, ArrayApiInput, LinearSolvers):
    """Validation, solvers and persistence shared by the two linear classifiers."""

    _STATE_SCALARS = ("n_features_in_", "n_outputs_", "n_iter_", "t_")
    _STATE_LISTS = ("loss_curve_",)

    def __init__(
        self,
        penalty: str | None = "l2",
        *,
        C: float = 1.0,
        fit_intercept: bool = True,
        class_weight: Any = None,
        solver: str = "lbfgs",
        max_iter: int = 100,
        tol: float | None = 1e-4,
        learning_rate: Any = None,
        learning_rate_init: float | None = None,
        learning_rate_params: dict[str, Any] | None = None,
        batch_size: int | None = None,
        shuffle: bool = True,
        n_iter_no_change: int = 5,
        warm_start: bool = False,
        random_state: Any = None,
        verbose: int = 0,
    ) -> None:
        self.penalty = penalty
        self.C = C
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.learning_rate_params = learning_rate_params
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    # -- public API ----------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Fit the model to ``X`` of shape (n_samples, n_features) and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            float32 data trains in float32, anything else in float64.
        y : array-like of shape (n_samples,)
            Class labels (ints, strings, bools, ...), at least two distinct ones.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights ``s_i``, multiplied by ``class_weight``.

        Returns
        -------
        self
        """
        if self.penalty is None and self.C != 1.0:
            warnings.warn(
                f"Setting penalty=None will ignore the C parameter (C={self.C}): no penalty is "
                "applied.",
                UserWarning,
                stacklevel=2,
            )
        space = _array_api.namespace(X)
        if space is None:
            self._array_api_input = None
            self._classes_like = None
            self._fit(X, y, sample_weight)
        else:
            self._fit_array_api(X, y, sample_weight, *space)
        self._centre()
        return self

    @available_if(_stochastic_solver)
    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> Any:
        r"""One epoch of the stochastic solver over ``(X, y)``, from the current state.

        Each step is the solver's step on a batch ``B`` of the given rows (one row for
        ``"sgd"``, ``batch_size`` for ``"minibatch"`` and ``"adam"``), for ``"sgd"`` and
        ``"minibatch"``

        .. math:: \theta \leftarrow \theta - \eta_t \Big( \frac{\sum_{i \in B} s_i
                  \nabla \ell_i}{|B| \, \bar s} + \frac{W}{C S} \Big)

        (``s̄`` the mean weight of the rows, ``S`` their total weight, the intercepts not
        penalised; Adam feeds the same estimate to its moments): an unbiased estimate of
        ``∇J`` for the ``J`` of :mod:`sigmanet.estimators.linear` over the rows of this call,
        so one call is exactly one epoch of :meth:`fit` on them (``fit`` with ``max_iter=1``
        from the same state gives the same weights, and with ``shuffle=False`` k calls on the
        same rows give ``fit`` with ``max_iter=k``; with shuffling a fit draws each epoch's
        order from the last one's, a call from the rows' own order). ``class_weight``
        multiplies ``sample_weight`` as in ``fit`` (``"balanced"`` balances the call's
        rows). Calls on parts of a larger data set penalise each part as if it were all the
        data (about as many times more strongly as there are parts);
        :func:`sigmanet.dask.fit_stochastic` tells each call the whole data's ``S`` instead.

        The first call on an unfitted estimator starts from zeros; later calls, and calls
        after :meth:`fit`, continue from the weights, the optimizer's state (Adam's moments;
        a fresh optimizer after a non-stochastic fit), the shuffling generator and the
        counters.
        A call counts as one epoch: the step-size schedule sees ``epoch`` = the number of
        entries in ``loss_curve_`` (one per call, or per epoch of a stochastic ``fit``) and
        ``i`` = the step within the call, so ``"annealed"`` takes ``4/(1 + calls + i) + 0.01``.
        ``tol`` and ``n_iter_no_change`` play no part and no ConvergenceWarning is given.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels, each one of ``classes``.
        classes : array-like of shape (n_classes,), optional
            Every label the calls will see: required on the first call, and if given later
            it must equal ``classes_``.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        space = _array_api.namespace(X)
        if space is not None:
            raise ValueError(
                f"partial_fit does not run on {space[0].__name__} arrays: with "
                f"array_api_dispatch on, {type(self).__name__} supports fit with "
                "solver='lbfgs' only. Call partial_fit on NumPy arrays."
            )
        if not self._is_fitted():
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: every label the "
                    "calls will see, e.g. classes=numpy.unique(y_all)."
                )
        else:
            if classes is not None and not np.array_equal(
                unique_labels(np.asarray(classes)), self._classes
            ):
                raise ValueError(
                    f"classes={list(classes)!r} differs from the classes of the fitted model, "
                    f"{self._classes.tolist()!r}; fit a new estimator for other classes."
                )
            classes = self._classes
        self._array_api_input = None
        self._classes_like = None
        self._fit(X, y, sample_weight, incremental=True, classes=classes)
        self._centre()
        return self

    @property
    def classes_(self) -> Any:
        """The class labels, sorted, shape (n_classes,).

        A NumPy array, except after a fit under array API dispatch whose ``y`` was an array of
        such a namespace: then in ``y``'s namespace and on ``y``'s device, as scikit-learn's
        ``LogisticRegression`` gives ``xp.unique_values(y)`` there. The labels of a NumPy or
        list ``y`` (strings among them) stay a NumPy array.
        """
        state = self.__dict__
        classes = state.get("_classes", state.get("classes_"))  # the latter: older pickles
        if classes is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute 'classes_'")
        like = state.get("_classes_like")
        if like is None:
            return classes
        compat = _array_api._compat()
        return _array_api.from_numpy(classes, compat.array_namespace(like), compat.device(like))

    @classes_.setter
    def classes_(self, value: Any) -> None:
        self._classes = np.asarray(value)
        self._classes_like = None  # a NumPy array until an array-API fit says otherwise

    def _centre(self) -> None:
        """Pick the canonical parameters among equivalent ones (nothing to do by default)."""

    @property
    def coef_(self) -> np.ndarray:
        """Weights, shape (n_outputs, n_features): a view of the network's ``W`` (transposed).

        Assigning an array of this shape replaces the weights; predictions and saved models
        follow.
        """
        check_is_fitted(self, "network_")
        if getattr(self, "_sparse_coef", False):
            from scipy import sparse

            return sparse.csr_matrix(self._dense.params["W"].T)
        if getattr(self, "_array_api_input", None) is not None:
            return self._in_input_namespace(self._dense.params["W"].T)
        return self._dense.params["W"].T

    @coef_.setter
    def coef_(self, value: Any) -> None:
        check_is_fitted(self, "network_")
        if is_sparse(value):
            value = value.toarray()  # the (n_outputs, n_features) coefficients, not the data
        target = self._dense.params["W"].T
        target[...] = self._checked_assignment("coef_", value, target.shape)

    def sparsify(self) -> Any:
        """Show ``coef_`` as a scipy sparse (CSR) matrix from now on, as scikit-learn does.

        Predictions do not change: the model keeps computing with its dense weights, so this
        saves no memory or time here; it is for code that expects a sparse ``coef_`` (for an
        L2-penalised model every weight is usually non-zero anyway). :meth:`densify` undoes it.

        Returns
        -------
        self
        """
        check_is_fitted(self, "network_")
        self._sparse_coef = True
        return self

    def densify(self) -> Any:
        """Show ``coef_`` as a dense array again (the default; undoes :meth:`sparsify`).

        Returns
        -------
        self
        """
        check_is_fitted(self, "network_")
        self._sparse_coef = False
        return self

    @property
    def intercept_(self) -> np.ndarray:
        """Intercepts, shape (n_outputs,): a view of the network's ``b`` (zeros, a fresh array,
        when ``fit_intercept=False``)."""
        check_is_fitted(self, "network_")
        if "b" not in self._dense.params:
            return self._in_input_namespace(np.zeros(self.n_outputs_, dtype=self.network_.dtype))
        if getattr(self, "_array_api_input", None) is not None:
            return self._in_input_namespace(self._dense.params["b"])
        return self._dense.params["b"]

    @intercept_.setter
    def intercept_(self, value: Any) -> None:
        check_is_fitted(self, "network_")
        shape = (self.n_outputs_,)
        checked = self._checked_assignment("intercept_", value, shape)
        if "b" not in self._dense.params:
            if np.any(checked != 0):
                raise ValueError(
                    "This model was fitted with fit_intercept=False; it has no intercept to set."
                )
            return
        self._dense.params["b"][...] = checked

    def _checked_assignment(self, name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
        array = np.asarray(host_array(value))
        if array.dtype.kind not in "fiu":
            raise TypeError(f"{name} must be real numbers; got dtype {array.dtype}.")
        if array.shape != shape:
            raise ValueError(f"{name} must have shape {shape}; got {array.shape}.")
        if not np.isfinite(array).all():
            raise ValueError(f"{name} must be finite.")
        return array.astype(self.network_.dtype)

    @property
    def _dense(self) -> Layer:
        return self.network_.layers[0]

    def decision_function(self, X: Any) -> np.ndarray:
        """The scores ``z = X coef_ᵀ + intercept_`` (the logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) for two classes (the log-odds of ``classes_[1]``: the logit
        for :class:`LogisticRegression`, ``z₁ - z₀`` for :class:`SoftmaxRegression`), else
        (n_samples, n_classes); in the model's dtype.
        """
        z = self._forward(X)
        if z.shape[1] == 1:
            return z[:, 0]
        if z.shape[1] == 2:
            return z[:, 1] - z[:, 0]
        return z

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample, shape (n_samples,)."""
        z = self._forward(X)
        if not isinstance(z, np.ndarray):
            return self._array_api_labels(z)
        if z.shape[1] == 1:
            return self._classes[(z[:, 0] > 0).astype(np.intp)]
        return self._classes[np.argmax(z, axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes); each row sums to 1."""
        log_proba = self.predict_log_proba(X)
        if not isinstance(log_proba, np.ndarray):
            return _array_api.array_namespace(log_proba).exp(log_proba)
        return np.exp(log_proba)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """log of ``predict_proba``, computed from the logits without forming log(0)."""
        return self._log_proba(self._forward(X))

    def _log_proba(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # A linear model has no hidden layer to transform to; hide the base class's method so that
    # scikit-learn does not take the estimator for a transformer.
    @available_if(_never)
    def transform(self, X: Any, layer: int = -1) -> np.ndarray:  # pragma: no cover
        raise AttributeError("A linear model has no hidden layer to transform to.")

    # -- validation ----------------------------------------------------------------------------
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "penalty": [Options("l2"), None],
        # numpy.inf means no penalty, as in scikit-learn
        "C": [POSITIVE, Options(math.inf, label="numpy.inf")],
        "fit_intercept": [BOOLEAN],
        "class_weight": CLASS_WEIGHT,
        "solver": [Options(*SOLVERS)],
        "max_iter": [NON_NEGATIVE_INT],
        "tol": [NON_NEGATIVE, None],
        "learning_rate": [
            None,
            Options("backtracking", *_schedules.REGISTRY.names()),
            # deprecated forms, translated by _upgrade_params (with a FutureWarning in fit)
            Interval("real", 0, None, closed="neither"),
            InstanceOf(dict, label="(deprecated) a dict"),
        ],
        "learning_rate_init": [POSITIVE, None],
        "learning_rate_params": [None, InstanceOf(dict)],
        "batch_size": [POSITIVE_INT, None],
        "shuffle": [BOOLEAN],
        "n_iter_no_change": [POSITIVE_INT],
        "warm_start": [BOOLEAN],
        "random_state": "no_validation",  # scikit-learn's check_random_state decides
        "verbose": VERBOSE,
    }

    @classmethod
    def _upgrade_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Hyper-parameters in today's terms, from those of an older sigmanet.

        Before 0.2, ``learning_rate`` was also the step size itself (a number) or a dict
        ``{"name": <schedule>, **its parameters}``. Now the step is ``learning_rate_init`` and
        a schedule's parameters are ``learning_rate_params``, as in the MLPs:

        * ``learning_rate=η`` becomes ``learning_rate="constant", learning_rate_init=η``;
        * ``learning_rate={"name": s, "learning_rate": η, **rest}`` becomes
          ``learning_rate=s, learning_rate_init=η, learning_rate_params=rest``.

        The model-file loader calls this on the stored parameters before it builds the
        estimator, so files written before load unchanged and without a warning. Anything else
        is returned as it is (a dict with no ``"name"`` is left for validation to refuse).
        """
        params = dict(params)
        value = params.get("learning_rate")
        if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
            params["learning_rate"] = "constant"
            params["learning_rate_init"] = float(value)
        elif isinstance(value, dict) and isinstance(value.get("name"), str):
            rest = dict(value)
            params["learning_rate"] = rest.pop("name")
            if "learning_rate" in rest:
                params["learning_rate_init"] = rest.pop("learning_rate")
            params["learning_rate_params"] = rest or None
        return params

    def _check_param_combinations(self) -> None:
        self._learning_rate_spec(warn=True)

    def _validate_X_y(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        return validate_data(
            self, X, y, reset=reset, dtype=_FLOAT_DTYPES, accept_sparse=_SPARSE_FORMATS
        )

    def _class_indices(self, y: Any, first: bool, classes: Any = None) -> np.ndarray:
        """Validate the labels, set ``classes_`` on a fresh fit, return indices into it.

        ``classes`` is given by :meth:`partial_fit` only: every label the calls will see, of
        which ``y`` may hold a subset.
        """
        check_classification_targets(y)
        if classes is not None:
            return self._partial_class_indices(y, first, classes)
        classes = unique_labels(y)
        if first:
            if len(classes) < 2:
                raise ValueError(
                    "This solver needs samples of at least 2 classes in the data, but the data "
                    f"contains only one class: {classes[0]!r}."
                )
            self.classes_ = classes
        elif len(classes) != len(self._classes) or np.any(classes != self._classes):
            raise ValueError(
                f"warm_start=True needs the classes of the previous fit, {self._classes.tolist()!r}"
                f"; y has {classes.tolist()!r}. Set warm_start=False to start over."
            )
        return np.searchsorted(self._classes, y)

    def _partial_class_indices(self, y: Any, first: bool, classes: Any) -> np.ndarray:
        if first:
            classes = np.asarray(classes)
            check_classification_targets(classes)
            classes = unique_labels(classes)
            if len(classes) < 2:
                raise ValueError(
                    "classes must list at least 2 classes for partial_fit; got "
                    f"{classes.tolist()!r}."
                )
            self.classes_ = classes
        unknown = np.setdiff1d(unique_labels(y), self._classes)
        if len(unknown):
            raise ValueError(
                f"y holds labels {unknown.tolist()!r} that are not in classes="
                f"{self._classes.tolist()!r} (given on the first call to partial_fit). Every "
                "label must be listed in classes on the first call."
            )
        return np.searchsorted(self._classes, y)

    def _l2(self) -> float:
        return 1.0 / float(self.C) if self.penalty == "l2" else 0.0

    # -- the network -----------------------------------------------------------------------------
    def _architecture(self) -> dict[str, Any]:
        return {"fit_intercept": bool(self.fit_intercept)}

    def _build_layers(self, n_features: int, n_outputs: int) -> list[Layer]:
        # Zeros, as scikit-learn starts: the objective is convex, so the start only matters for
        # the path, and zero keeps the multinomial solution centred (see SoftmaxRegression).
        return [Dense(n_outputs, use_bias=bool(self.fit_intercept), initializer="zeros")]

    def _initialise(self, n_features: int, n_outputs: int, dtype: Any) -> None:
        layers = self._build_layers(n_features, n_outputs)
        self.network_ = Sequential(layers).build(n_features, random_state=self._rng, dtype=dtype)
        self.n_outputs_ = int(n_outputs)
        self.loss_curve_: list[float] = []
        self.n_iter_ = np.array([0], dtype=np.int32)
        self.t_ = 0
        # what partial_fit continues from (the stochastic solvers set them)
        self._optimizer: Any = None
        self._schedule: Any = None
        self._divergence_reference: float | None = None

    def _publish_attributes(self) -> None:
        self.dtype_ = self.network_.dtype
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else math.nan
        if not all(np.isfinite(p).all() for p in self.network_.parameters()):
            raise ValueError(
                "The solver produced non-finite weights. The input data may contain large "
                "values and need to be scaled (e.g. with sklearn's StandardScaler)."
            )

    # -- persistence -----------------------------------------------------------------------------
    def _set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        super()._set_state(arrays, meta)
        self.n_iter_ = np.array([int(self.n_iter_)], dtype=np.int32)  # saved as a number

    def _extra_state(self) -> dict[str, Any]:
        return {"classes_": self._classes.tolist(), "classes_dtype": self._classes.dtype.str}

    def _restore_extra_state(self, meta: dict[str, Any]) -> None:
        dtype = np.dtype(meta["classes_dtype"])
        if dtype.kind not in "biufUO":
            raise ValueError(f"classes_dtype {dtype} is not a label dtype.")
        classes = np.asarray(meta["classes_"], dtype=dtype)
        if classes.ndim != 1 or len(classes) < 2:
            raise ValueError(f"classes_ must list at least 2 classes; got {meta['classes_']!r}.")
        expected = self._n_outputs_for(len(classes))
        if int(meta["n_outputs_"]) != expected:
            raise ValueError(
                f"n_outputs_={meta['n_outputs_']!r} does not match {len(classes)} classes "
                f"(expected {expected})."
            )
        self.classes_ = classes

    def _n_outputs_for(self, n_classes: int) -> int:
        raise NotImplementedError
