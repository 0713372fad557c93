"""The estimators' base: the fit, the sample weights, L-BFGS, and the fitted attributes.

Every sigmanet estimator is a :class:`sigmanet.network.Sequential` trained by
:func:`sigmanet.training.train` (stochastic solvers) or :func:`sigmanet.training.train_lbfgs`.
Logistic and softmax regression are the same engine with no hidden layer.
:class:`BaseNetworkEstimator` joins the parts, each in its own module: the network built from the
hyper-parameters (:mod:`._architecture`), the checks of a continued fit (:mod:`._warm_start`),
the stochastic solvers' fit (:mod:`._stochastic`) and the model-file state (:mod:`._state`); the
hyper-parameters' constraints are in :mod:`._parameters`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import (
    _check_sample_weight,
    assert_all_finite,
    check_is_fitted,
    validate_data,
)

from sigmanet import engine as _engine
from sigmanet._arrays import is_sparse, refuse_dask
from sigmanet._threads import blas_threads_for, limit_blas_threads
from sigmanet.constraints import validate
from sigmanet.estimators._architecture import NetworkConstruction
from sigmanet.estimators._state import PersistedState
from sigmanet.estimators._stochastic import _NON_FINITE_MESSAGE, StochasticFit
from sigmanet.estimators._warm_start import FittedSettings
from sigmanet.exceptions import DivergenceError
from sigmanet.network import Sequential
from sigmanet.training import Callback, train_lbfgs

_FLOAT_DTYPES = (np.float64, np.float32)
_SPARSE_FORMATS = ("csr", "csc")
#: L-BFGS-B's own default relative reduction of the objective at which it stops, which
#: scikit-learn's MLP keeps (its logistic regression asks for 64 machine epsilons instead).
_MLP_LBFGS_FTOL = 2.220446049250313e-09


class BaseNetworkEstimator(NetworkConstruction, FittedSettings, StochasticFit, PersistedState):
    """Shared fit/predict machinery; subclasses set the output layer, loss and targets."""

    _default_solver = "adam"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR and CSC, multiplied through scipy.sparse
        return tags

    # -- subclass hooks -------------------------------------------------------------------------
    def _encode_targets(self, y: Any, first: bool, classes: Any = None) -> np.ndarray:
        raise NotImplementedError

    def _output_loss(self) -> Any:
        raise NotImplementedError

    def _l2(self) -> float:
        return float(self.alpha)

    def _score_network(self, X: np.ndarray, y: np.ndarray, sample_weight: Any) -> float:
        raise NotImplementedError

    # -- validation -----------------------------------------------------------------------------
    #: What each hyper-parameter may be, as scikit-learn's estimators declare it (every
    #: ``__init__`` parameter; ``"no_validation"`` where any value goes), in sigmanet's terms
    #: (:mod:`sigmanet.constraints`). Subclasses extend :data:`TRAINING_CONSTRAINTS`.
    _parameter_constraints: ClassVar[dict[str, Any]] = {}

    def _validate_params(self) -> None:
        """Check every hyper-parameter against ``_parameter_constraints``, then the rules that
        tie several together (:meth:`_check_param_combinations`).

        This overrides scikit-learn's method of the same name, which the model-file loader also
        calls, so that both use sigmanet's checks and words.

        Raises
        ------
        sigmanet.constraints.InvalidParameterError
            Naming the first invalid parameter, what it must be and what it is.
        """
        validate(
            self.get_params(deep=False), self._parameter_constraints, owner=type(self).__name__
        )
        self._check_param_combinations()

    def _check_param_combinations(self) -> None:
        """Rules that no single parameter's constraints can state (none by default)."""

    # -- the fit -------------------------------------------------------------------------------
    def _is_fitted(self) -> bool:
        return hasattr(self, "network_")

    def _validate_X_y(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        return validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=_FLOAT_DTYPES,
            accept_sparse=_SPARSE_FORMATS,
            multi_output=True,
            y_numeric=not self._is_classifier_model(),
        )

    def _is_classifier_model(self) -> bool:
        return is_classifier(self)

    def _fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        incremental: bool = False,
        classes: Any = None,
        callbacks: Sequence[Callback] | None = None,
        validation_data: tuple[Any, ...] | None = None,
    ):
        for name, value in (("X", X), ("y", y), ("sample_weight", sample_weight)):
            refuse_dask(value, name, "sigmanet.dask.fit(estimator, X, y)")
        self._validate_params()
        if incremental and self.solver == "lbfgs":
            raise ValueError(
                "partial_fit is not available for solver='lbfgs'; "
                "use a stochastic solver (sgd, adam, ...)."
            )
        first = not self._is_fitted() or (not self.warm_start and not incremental)
        if not first:
            self._check_same_architecture(incremental)
        X, y = self._validate_X_y(X, y, reset=first)
        if not first and not incremental:
            self._check_warm_start_targets(y)
        targets = self._encode_targets(y, first, classes)
        dtype = X.dtype
        if targets.dtype.kind == "f":
            targets = targets.astype(dtype, copy=False)
        weight = self._sample_weight(sample_weight, X, y)
        if first:
            self._rng = np.random.default_rng(self.random_state)
            n_outputs = targets.shape[1] if targets.ndim == 2 else len(self.classes_)
            self._initialise(X.shape[-1], n_outputs, dtype)
        if self.network_.dtype != dtype:
            X = _in_model_dtype(X, self.network_.dtype)
            if targets.dtype.kind == "f":
                targets = targets.astype(self.network_.dtype)

        try:
            if self.solver == "lbfgs":
                self._fit_lbfgs(X, targets, weight)
            else:
                self._fit_stochastic(
                    X, y, targets, weight, incremental, callbacks or (), validation_data
                )
        except DivergenceError:
            # The parameters are the last the divergence rule passed; the fitted attributes
            # describe them.
            self._publish_attributes()
            self._record_fitted_params()
            raise
        self._publish_attributes()
        self._record_fitted_params()
        return self

    def _sample_weight(self, sample_weight: Any, X: np.ndarray, y: np.ndarray) -> Any:
        """``sample_weight`` times the ``class_weight`` of each sample's class (None if neither)."""
        class_weight = getattr(self, "class_weight", None)
        if sample_weight is None and class_weight is None:
            return None
        weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        if np.any(weight < 0):
            raise ValueError(
                f"sample_weight must be non-negative; got a minimum of {float(np.min(weight))}."
            )
        if class_weight is not None:
            weight = weight * _class_weight_per_sample(
                class_weight, self.classes_, y, None if sample_weight is None else weight
            ).astype(X.dtype)
        if not np.any(weight > 0):
            raise ValueError("sample_weight must contain at least one positive weight.")
        return weight

    def _initialise(self, n_features: int, n_outputs: int, dtype: Any) -> None:
        layers = self._build_layers(n_features, n_outputs)
        self.network_ = Sequential(layers).build(
            n_features, random_state=self._initialization_random_state(), dtype=dtype
        )
        self.n_outputs_ = int(n_outputs)
        self.loss_curve_: list[float] = []
        self.validation_loss_curve_: list[float] = []
        self.validation_scores_: list[float] | None = [] if self.early_stopping else None
        self.best_loss_: float | None = None if self.early_stopping else math.inf
        self.best_validation_score_: float | None = -math.inf if self.early_stopping else None
        self.n_iter_: Any = 0
        self.t_ = 0
        self._optimizer: Any = None
        self._schedule: Any = None
        self._divergence_reference: float | None = None

    def _blas_threads(self) -> Any:
        # the MLPs' parameter; the linear models keep train()'s default
        return getattr(self, "blas_threads", "auto")

    def _fit_lbfgs(self, X: np.ndarray, targets: np.ndarray, weight: Any) -> None:
        largest = max((w.size for w in self.network_.weight_matrices()), default=0)
        # full batch: every product has X's rows, so "auto" limits only small problems
        threads = blas_threads_for(self._blas_threads(), X.shape[0], largest)
        with limit_blas_threads(threads):
            result = train_lbfgs(
                self.network_,
                self._output_loss(),
                X,
                targets,
                sample_weight=weight,
                l2=self._l2(),
                max_iter=self.max_iter,
                max_fun=self.max_fun,
                tol=self.tol,
                ftol=_MLP_LBFGS_FTOL,
                engine=getattr(self, "engine", "auto"),
            )
        self.engine_ = result.engine
        self.loss_curve_ = list(result.loss)
        self.n_iter_ = result.n_iter
        self.loss_ = result.loss[-1] if result.loss else math.nan
        self.best_loss_ = None
        if not result.converged:
            warnings.warn(
                f"L-BFGS did not converge ({result.message}); increase max_iter or scale the data.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _publish_attributes(self) -> None:
        dense = [layer for layer in self.network_.layers if "W" in layer.weight_names()]
        self.coefs_ = [layer.params["W"] for layer in dense]
        self.intercepts_ = [layer.params["b"] for layer in dense]
        self.n_layers_ = len(dense) + 1
        self.dtype_ = self.network_.dtype
        if not all(np.isfinite(p).all() for p in self.network_.parameters()):
            raise ValueError(
                f"{_NON_FINITE_MESSAGE} Scale the inputs (e.g. with sklearn's StandardScaler)."
            )

    # -- prediction --------------------------------------------------------------------------
    def _input(self, X: Any) -> np.ndarray:
        """X validated (no NaN or infinity) and in the model's dtype (refusing values that
        dtype cannot hold)."""
        X, scanned = self._unscanned_input(X)
        if not scanned:
            self._scan(X)
        return X

    def _unscanned_input(self, X: Any) -> tuple[np.ndarray, bool]:
        """``X`` as :meth:`_input` gives it, but without scanning an array of the model's dtype
        for NaN and infinity, and whether it was scanned: the prediction kernel scans each
        block of rows on its way through (see :meth:`_forward_to`)."""
        check_is_fitted(self, "network_")
        refuse_dask(X, "X", "sigmanet.dask.predict(estimator, X) (or predict_proba)")
        X = validate_data(
            self,
            X,
            reset=False,
            dtype=_FLOAT_DTYPES,
            accept_sparse=_SPARSE_FORMATS,
            ensure_all_finite=False,
        )
        # a sparse X never reaches the kernel; a cast one is scanned before the cast, so that
        # a NaN is reported as one, not as a value beyond the model's dtype
        scanned = is_sparse(X) or X.dtype != self.network_.dtype
        if scanned:
            self._scan(X)
        return _in_model_dtype(X, self.network_.dtype), scanned

    def _scan(self, X: Any) -> None:
        """scikit-learn's scan for NaN and infinity, with the error ``validate_data`` raises."""
        assert_all_finite(X, input_name="X", estimator_name=type(self).__name__)

    def _forward(self, X: Any) -> np.ndarray:
        """The network's output layer for ``X`` (compiled where it can be, else NumPy)."""
        return self._forward_to(X, "logits")[0]

    def _forward_to(self, X: Any, output: str) -> tuple[np.ndarray, bool]:
        """The network's output for ``X`` and whether ``output`` was applied to it.

        The compiled kernel applies the output function (``"softmax"``, ``"sigmoid"``,
        ``"binary"``: see :func:`sigmanet.engine.forward`) in the same pass as the last
        layer; the NumPy path returns the logits (and False): the caller applies it.
        """
        # The kernel scans X for NaN and infinity block by block, as it reads the rows for
        # the first product: a separate scan first (scikit-learn's sum in float64) took 3-5%
        # of a float32 predict_proba (workload 4 of benchmarks/run.py). When the kernel does
        # not run, or finds such a value, the scan here reports it as validate_data would.
        X, scanned = self._unscanned_input(X)  # checks that the model is fitted first
        engine = getattr(self, "engine", "auto")
        values = _engine.forward(self.network_, X, engine, output, finite=not scanned)
        if values is None:
            if not scanned:
                self._scan(X)
            return self.network_.predict(X), output == "logits"
        return values, True


def _in_model_dtype(X: Any, dtype: np.dtype[Any]) -> Any:
    """``X`` cast to ``dtype``; a ValueError (not an overflow warning, not inf) if it cannot hold
    the values, e.g. float64 data beyond ±3.4e38 for a float32 model."""
    if X.dtype == dtype:
        return X
    with np.errstate(over="ignore"):
        cast = X.astype(dtype)
    values = cast.data if is_sparse(cast) else cast  # a sparse matrix's stored values
    if not np.isfinite(values).all():
        largest = float(np.max(np.abs(X.data if is_sparse(X) else X)))
        raise ValueError(
            f"X holds values beyond the range of {dtype.name}, the dtype this model computes in "
            f"(largest magnitude {largest:.3g})."
        )
    return cast


def balanced_class_weights(counts: np.ndarray) -> np.ndarray:
    """``class_weight="balanced"``: ``S / (k · S_c)`` for each class c of the k classes counted.

    ``counts`` holds ``S_c``, the (sample-weighted) count of each class, ``S`` their sum; every
    class then carries the same total weight. A class counted 0 times gets ``S / k`` (it has
    no rows to weigh).
    """
    counts = np.asarray(counts, dtype=np.float64)
    return counts.sum() / (len(counts) * np.where(counts > 0, counts, 1))


def _class_weight_per_sample(
    class_weight: Any, classes: np.ndarray, y: np.ndarray, sample_weight: Any = None
) -> np.ndarray:
    """The weight of each sample's class.

    A dict gives its entry (1 for a class it leaves out); ``"balanced"`` gives
    ``S / (k · S_c)`` for class c, with ``S_c`` the (sample-weighted) count of class c in ``y``,
    ``S`` the total and k the number of classes present: every class then carries equal weight.
    """
    if y.ndim != 1:
        raise ValueError("class_weight is not supported for multilabel targets.")
    present, index = np.unique(y, return_inverse=True)
    if isinstance(class_weight, str):  # "balanced", checked with the other parameters
        counts = np.bincount(index, weights=sample_weight, minlength=len(present))
        return balanced_class_weights(counts)[index]
    unknown = [label for label in class_weight if label not in set(classes.tolist())]
    if unknown:
        raise ValueError(
            f"class_weight has labels {sorted(map(str, unknown))} that are not classes of y "
            f"({classes.tolist()!r})."
        )
    table = np.array([float(class_weight.get(label, 1.0)) for label in present.tolist()])
    return table[index]
