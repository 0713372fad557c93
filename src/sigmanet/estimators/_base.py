"""The machinery the estimators share: validation, the network, the solvers, the stopping rules.

Every sigmanet estimator is a :class:`sigmanet.network.Sequential` trained by
:func:`sigmanet.training.train` (stochastic solvers) or :func:`sigmanet.training.train_lbfgs`.
Logistic and softmax regression are the same engine with no hidden layer.
"""

from __future__ import annotations

import copy
import inspect
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from sigmanet import activations as _activations
from sigmanet import engine as _engine
from sigmanet import initializers as _initializers
from sigmanet import optimizers as _optimizers
from sigmanet import schedules as _schedules
from sigmanet._arrays import is_sparse, refuse_dask
from sigmanet._threads import blas_threads_for, limit_blas_threads
from sigmanet.constraints import InstanceOf, Interval, Options, Satisfies, validate
from sigmanet.exceptions import DivergenceError
from sigmanet.layers import Activation, Dense, Dropout, Layer, Maxout, PReLU
from sigmanet.network import Sequential
from sigmanet.training import (
    Callback,
    EarlyStopping,
    progress_callbacks,
    train,
    train_lbfgs,
    validation_split,
)

#: The stochastic solvers: every registered optimizer, by its name.
STOCHASTIC_SOLVERS = tuple(_optimizers.REGISTRY.names())
#: The MLPs' ``learning_rate``: every registered schedule, by its name.
LEARNING_RATES = tuple(_schedules.REGISTRY.names())
_FLOAT_DTYPES = (np.float64, np.float32)
_SPARSE_FORMATS = ("csr", "csc")
#: L-BFGS-B's own default relative reduction of the objective at which it stops, which
#: scikit-learn's MLP keeps (its logistic regression asks for 64 machine epsilons instead).
_MLP_LBFGS_FTOL = 2.220446049250313e-09
#: scikit-learn's words for a fit whose weights stopped being finite: code may match them.
_NON_FINITE_MESSAGE = (
    "Solver produced non-finite parameter weights. The input data may contain large values "
    "and need to be preprocessed."
)


#: ``True`` or ``False`` (NumPy's booleans too), never 0 or 1.
BOOLEAN = InstanceOf(bool, np.bool_, label="True or False")
#: scikit-learn's ``verbose``: a bool or an int >= 0; sigmanet adds "progress" (a progress bar).
VERBOSE = [BOOLEAN, Interval("integer", 0, None), Options("progress")]
POSITIVE = Interval("real", 0, None, closed="neither")
NON_NEGATIVE = Interval("real", 0, None)
POSITIVE_INT = Interval("integer", 1, None)
NON_NEGATIVE_INT = Interval("integer", 0, None)
#: A probability-like coefficient in [0, 1) (momentum, Adam's betas, a dropout rate).
UNIT = Interval("real", 0, 1, closed="left")


def sequence_of(constraint: Any, what: str) -> Satisfies:
    """A list or tuple whose every entry satisfies ``constraint`` (one per layer)."""

    def predicate(value: Any) -> bool:
        return (
            isinstance(value, Sequence)
            and not isinstance(value, str)
            and all(constraint.accepts(v) for v in value)
        )

    return Satisfies(predicate, f"a list of {what}, one per hidden layer")


#: ``class_weight``: per-class weights, or "balanced".
CLASS_WEIGHT = [None, Options("balanced"), InstanceOf(dict, label="a dict {label: weight}")]

#: The constraints of the stochastic training parameters the MLPs and RNNs share (scikit-learn's
#: MLP parameters, with its ranges, and sigmanet's ``blas_threads``).
TRAINING_CONSTRAINTS: dict[str, Any] = {
    "solver": [Options("lbfgs", *STOCHASTIC_SOLVERS)],
    "alpha": [NON_NEGATIVE],
    "batch_size": [POSITIVE_INT, Options("auto", "full")],
    "learning_rate": [Options(*LEARNING_RATES)],
    "learning_rate_init": [POSITIVE],
    "power_t": [NON_NEGATIVE],
    "max_iter": [POSITIVE_INT],
    "shuffle": [BOOLEAN],
    "random_state": "no_validation",  # scikit-learn's check_random_state decides
    "tol": [NON_NEGATIVE],
    "verbose": VERBOSE,
    "warm_start": [BOOLEAN],
    "momentum": [UNIT],
    "nesterovs_momentum": [BOOLEAN],
    "early_stopping": [BOOLEAN],
    "validation_fraction": [Interval("real", 0, 1, closed="neither")],
    "beta_1": [UNIT],
    "beta_2": [UNIT],
    "epsilon": [POSITIVE],
    "n_iter_no_change": [POSITIVE_INT, Options(math.inf, label="numpy.inf")],
    "max_fun": [POSITIVE_INT],
    "blas_threads": [Options("auto"), POSITIVE_INT, None],
}


class BaseNetworkEstimator(BaseEstimator):
    """Shared fit/predict machinery; subclasses set the output layer, loss and targets."""

    _default_solver = "adam"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR and CSC, multiplied through scipy.sparse
        return tags

    # -- subclass hooks -------------------------------------------------------------------------
    def _hidden_spec(self) -> tuple[list[int], list[str], list[float]]:
        """Widths, activation names and dropout rates of the hidden layers."""
        return [], [], []

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

    def _build_layers(self, n_features: int, n_outputs: int) -> list[Layer]:
        widths, names, dropouts = self._hidden_spec()
        layers: list[Layer] = []
        rng_seed = self._rng.integers(2**32) if dropouts and any(dropouts) else None
        for index, (width, name, rate) in enumerate(zip(widths, names, dropouts, strict=True)):
            init, bias_init = self._initializers_for(name)
            if name == "maxout":
                layers.append(Maxout(width, pieces=self.maxout_pieces, initializer=init))
            else:
                layers.append(Dense(width, initializer=init, bias_initializer=bias_init))
                layers.append(PReLU() if name == "prelu" else Activation(name))
            if rate > 0:
                layers.append(
                    Dropout(rate, random_state=None if rng_seed is None else int(rng_seed) + index)
                )
        init, bias_init = self._initializers_for(None)
        layers.append(Dense(n_outputs, initializer=init, bias_initializer=bias_init))
        return layers

    def _initializers_for(self, activation: str | None) -> tuple[str, str | None]:
        """The initializers of a layer's weights and biases (None: zeros), from ``weight_init``.

        ``"sklearn"``: scikit-learn's MLP, weights and biases alike from U(-a, a) with
        ``a = sqrt(6 / (fan_in + fan_out))``, or ``sqrt(2 / (fan_in + fan_out))`` when the
        activation is logistic (the output layer follows the ``activation`` parameter, as
        there). ``"auto"``: He for the ReLU family, LeCun for SELU, Glorot otherwise. Any
        other name: that initializer. Biases start at zero except with ``"sklearn"``.
        """
        name = getattr(self, "weight_init", "glorot_uniform")
        if name == "sklearn":
            if activation is None:  # the output layer
                logistic = isinstance(self.activation, str) and self.activation in (
                    "logistic",
                    "sigmoid",
                )
            else:
                logistic = activation == "sigmoid"
            sklearn = "glorot_uniform_sigmoid" if logistic else "glorot_uniform"
            return sklearn, sklearn
        if activation is None:
            return "glorot_uniform", None
        return (_initializers.default_for(activation) if name == "auto" else name), None

    def _initialization_random_state(self) -> Any:
        """What the initial weights are drawn from.

        With ``weight_init="sklearn"`` and an int, None or ``RandomState`` random_state, the
        legacy ``RandomState`` scikit-learn's MLP draws from, in its order (each layer's
        weights, then its biases), so the same ``random_state`` starts from the same weights
        as there. Otherwise the estimator's generator.
        """
        if getattr(self, "weight_init", None) == "sklearn" and not isinstance(
            self.random_state, np.random.Generator
        ):
            return check_random_state(self.random_state)
        return self._rng

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

    # -- what was fitted -----------------------------------------------------------------------
    def _architecture(self) -> dict[str, Any]:
        """The hyper-parameters that fix the network's layers and the shapes of its weights."""
        return {}

    def _record_fitted_params(self) -> None:
        # What the network was built and trained with: a model file stores these, not the
        # current parameters, which set_params may have changed since.
        self._fitted_params = copy.deepcopy(self.get_params(deep=False))

    def _check_same_architecture(self, incremental: bool) -> None:
        """Refuse to continue from weights of another architecture.

        scikit-learn refuses a warm start it cannot honour (other classes than the first fit)
        with a ValueError; its own MLP does not check the layers and keeps the old weights.
        Here a warm start or ``partial_fit`` after a change of the layers raises instead.
        """
        fitted = getattr(self, "_fitted_params", None)
        if fitted is None:
            return
        before = type(self)(**fitted)._architecture()
        now = self._architecture()
        changed = [name for name in now if now[name] != before.get(name)]
        if changed:
            how = "partial_fit" if incremental else "fit with warm_start=True"
            differences = "; ".join(
                f"{name} was {before.get(name)!r}, is now {now[name]!r}" for name in changed
            )
            raise ValueError(
                f"{how} cannot continue from the fitted weights: the layers changed since the "
                f"last fit ({differences}). Fit from scratch (warm_start=False, or a fresh "
                "estimator) or set the parameters back."
            )

    def _check_warm_start_targets(self, y: np.ndarray) -> None:
        """Refuse targets a warm-started fit cannot continue from (classifiers: new classes)."""

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

    def _make_optimizer(self) -> Any:
        """The solver's optimizer, built through :data:`sigmanet.optimizers.REGISTRY` from the
        hyper-parameters it takes (:meth:`_optimizer_params`)."""
        return build_from(_optimizers.REGISTRY, self.solver, self._optimizer_params())

    def _optimizer_params(self) -> dict[str, Any]:
        """The estimator's hyper-parameters in the optimizers' words; each optimizer takes the
        ones its constructor names. As in scikit-learn, ``momentum`` and
        ``nesterovs_momentum`` are gradient descent's (RMSProp's own momentum stays 0), and
        ``alpha`` is the weight decay of an optimizer that decays weights itself (AdamW)."""
        params: dict[str, Any] = {
            "learning_rate": self.learning_rate_init,
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "weight_decay": self.alpha,
        }
        if issubclass(_optimizers.REGISTRY.get(self.solver), _optimizers.GradientDescent):
            params["momentum"] = self.momentum
            params["nesterov"] = bool(self.nesterovs_momentum and self.momentum > 0)
        return params

    def _penalty_in_loss(self) -> float:
        """The L2 strength the loss carries: none when the optimizer decays weights itself."""
        decays = "weight_decay" in _constructor_params(_optimizers.REGISTRY.get(self.solver))
        return 0.0 if decays else self._l2()

    def _make_schedule(self) -> Any:
        """The schedule named by ``learning_rate``, through :data:`sigmanet.schedules.REGISTRY`,
        given what it takes of ``learning_rate_init``, ``power_t`` and ``t_max = max_iter``.
        None for a constant step; ``"adaptive"`` is scikit-learn's, which the stopping rule
        applies (:meth:`_stopping_rule`)."""
        if self.learning_rate in ("constant", "adaptive"):
            return None
        offered = {
            "learning_rate": self.learning_rate_init,
            "power_t": self.power_t,
            "t_max": self.max_iter,
        }
        return build_from(_schedules.REGISTRY, self.learning_rate, offered)

    def _resolve_batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size == "full":
            return n_samples
        return int(min(self.batch_size, n_samples))

    def _split_validation(
        self, X: np.ndarray, y: np.ndarray, targets: np.ndarray, weight: Any
    ) -> tuple[Any, ...]:
        """Hold out ``validation_fraction`` of the rows, as scikit-learn's MLP does: classes
        (single-label) kept in proportion, the seed drawn from the estimator's generator."""
        stratify = y if self._is_classifier_model() and y.ndim == 1 else None
        seed = int(self._rng.integers(2**31))
        arrays = [X, y, targets] + ([] if weight is None else [weight])
        try:
            train_part, validation_part = validation_split(
                *arrays, fraction=self.validation_fraction, random_state=seed, stratify=stratify
            )
        except ValueError as error:
            if stratify is None:
                raise
            raise ValueError(
                f"early_stopping=True holds out a validation set of validation_fraction="
                f"{self.validation_fraction} with every class in proportion, and this y does "
                f"not allow it: {error} Use more samples per class or early_stopping=False."
            ) from None
        if validation_part[0].shape[0] < 2:  # scikit-learn's words
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size of "
                f"your dataset (got {validation_part[0].shape[0]} validation sample(s))."
            )
        X_tr, _, t_tr, *w_tr = train_part
        X_val, y_val, t_val, *w_val = validation_part
        return X_tr, t_tr, (w_tr or [None])[0], X_val, y_val, t_val, (w_val or [None])[0]

    def _stopping_rule(self) -> EarlyStopping:
        """scikit-learn's rule: more than ``n_iter_no_change`` epochs without an improvement
        of ``tol`` in the validation score (``early_stopping``) or the training loss stop the
        fit, or, with ``learning_rate="adaptive"``, divide the step by 5 (until it is below
        1e-6). With early stopping the best-scoring weights are restored at the end."""
        if self.early_stopping:
            monitor, mode, best = "validation_score", "max", self.best_validation_score_
        else:
            monitor, mode = "loss", "min"
            best = math.inf if self.best_loss_ is None else self.best_loss_
        return EarlyStopping(
            monitor=monitor,
            mode=mode,
            patience=self.n_iter_no_change,
            min_delta=self.tol,
            restore_best_weights=self.early_stopping,
            best=best,
            on_plateau=self._slow_down if self.learning_rate == "adaptive" else None,
        )

    def _slow_down(self) -> bool:
        """scikit-learn's ``learning_rate="adaptive"``: divide the step by 5 while it is above
        1e-6; whether it did."""
        if self._optimizer.learning_rate > 1e-6:
            self._optimizer.learning_rate /= 5.0
            return True
        return False

    def _fit_stochastic(self, X, y, targets, weight, incremental, callbacks, validation_data):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True.")
        if self._optimizer is None or not incremental:
            self._optimizer = self._make_optimizer()
            self._schedule = self._make_schedule()
        validation = None
        val_for_loss = None
        if self.early_stopping:
            X, targets, weight, X_val, y_val, t_val, w_val = self._split_validation(
                X, y, targets, weight
            )
            validation = (X_val, y_val, w_val)
            val_for_loss = (X_val, t_val, w_val)
        elif validation_data is not None:
            X_val, y_val = validation_data[0], np.asarray(validation_data[1])
            X_val = self._input(X_val)
            validation = (X_val, y_val, None)
            val_for_loss = (X_val, self._encode_targets(y_val, False), None)
            if self.validation_scores_ is None:
                self.validation_scores_ = []

        curves = _Curves(self, validation)
        rule = self._stopping_rule()
        epochs = 1 if incremental else self.max_iter
        hooks: list[Callback] = [
            curves,
            rule,
            *progress_callbacks(self.verbose, epochs),
            *callbacks,
        ]
        try:
            history = train(
                self.network_,
                self._output_loss(),
                self._optimizer,
                X,
                targets,
                epochs=epochs,
                batch_size=self._resolve_batch_size(X.shape[0]),
                shuffle=self.shuffle,
                random_state=self._rng,
                schedule=self._schedule,
                sample_weight=weight,
                validation_data=val_for_loss,
                l2=self._penalty_in_loss(),
                callbacks=hooks,
                # schedules go on counting epochs across warm starts and partial_fit calls
                initial_epoch=len(self.loss_curve_),
                samples_seen=self.t_,
                blas_threads=self._blas_threads(),
                # a stream of partial_fit calls is judged against its first start, so that a
                # loss growing a little at every call is still seen to diverge
                divergence_reference=self._divergence_reference if incremental else None,
                engine=getattr(self, "engine", "auto"),  # the MLPs' parameter
            )
        except DivergenceError as error:
            self._keep_best(rule)
            self.n_iter_ = curves.epochs
            self.t_ += curves.epochs * X.shape[0]
            self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else math.nan
            if not self.early_stopping:
                # scikit-learn's words, for a loss that did become non-finite
                prefix = "" if math.isfinite(error.loss) else f"{_NON_FINITE_MESSAGE} "
                raise DivergenceError(
                    f"{prefix}{error}", epoch=error.epoch, batch=error.batch, loss=error.loss
                ) from error
            # as scikit-learn: a diverging fit that scores a validation set ends with the
            # weights of its best validation score, not with an error
            rule.restore(self.network_)
            warnings.warn(
                f"{error} Early stopping restored the weights of the best validation score "
                f"({self.best_validation_score_}).",
                ConvergenceWarning,
                stacklevel=4,
            )
            return
        self._keep_best(rule)
        if not incremental or self._divergence_reference is None:
            self._divergence_reference = history.divergence_reference
        self.engine_ = history.engine
        # n_iter_ counts the epochs of this call (scikit-learn's meaning on warm starts)
        self.n_iter_ = history.epochs
        self.t_ = history.samples_seen
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else math.nan
        if not incremental and not rule.stopped and history.epochs == self.max_iter:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _keep_best(self, rule: EarlyStopping) -> None:
        """Publish the stopping rule's best value as scikit-learn's attribute."""
        if self.early_stopping:
            self.best_validation_score_ = rule.best
        else:
            self.best_loss_ = rule.best

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
        """X validated and in the model's dtype (refusing values that dtype cannot hold)."""
        check_is_fitted(self, "network_")
        refuse_dask(X, "X", "sigmanet.dask.predict(estimator, X) (or predict_proba)")
        X = validate_data(self, X, reset=False, dtype=_FLOAT_DTYPES, accept_sparse=_SPARSE_FORMATS)
        return _in_model_dtype(X, self.network_.dtype)

    def _forward(self, X: Any) -> np.ndarray:
        X = self._input(X)  # checks that the model is fitted first
        output = _engine.forward(self.network_, X, getattr(self, "engine", "auto"))
        return self.network_.predict(X) if output is None else output

    def transform(self, X: Any, layer: int = -1) -> np.ndarray:
        """The activations of a hidden layer (the last one by default).

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        layer : int
            Index among the hidden layers (0 is the first; -1 the last).

        Returns
        -------
        ndarray of shape (n_samples, hidden_layer_sizes[layer])
        """
        output = self._input(X)
        ends = self._hidden_layer_ends()
        if not ends:
            raise ValueError("This model has no hidden layer to transform to.")
        if not isinstance(layer, numbers.Integral) or not -len(ends) <= layer < len(ends):
            raise ValueError(
                f"layer must be an integer in [{-len(ends)}, {len(ends) - 1}]; got {layer!r}."
            )
        for module in self.network_.layers[: ends[layer]]:
            output = module.forward(output)
        return output

    def _hidden_layer_ends(self) -> list[int]:
        """Index one past the last layer (activation or dropout) of each hidden block."""
        layers = self.network_.layers
        block_end = (Maxout, Activation, PReLU)
        return [
            index + 1
            for index, module in enumerate(layers[:-1])
            if isinstance(module, Dropout)
            or (isinstance(module, block_end) and not isinstance(layers[index + 1], Dropout))
        ]

    # -- persistence protocol ----------------------------------------------------------------
    _STATE_SCALARS: tuple[str, ...] = (
        "n_features_in_",
        "n_outputs_",
        "n_iter_",
        "t_",
        "loss_",
        "best_loss_",
        "best_validation_score_",
    )
    _STATE_LISTS: tuple[str, ...] = ("loss_curve_", "validation_loss_curve_", "validation_scores_")

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays and JSON metadata that, with ``get_params()``, determine every prediction."""
        check_is_fitted(self, "network_")
        arrays = {f"param.{name}": value for name, value in self.network_.named_parameters()}
        meta: dict[str, Any] = {"dtype": self.network_.dtype.name}
        for name in self._STATE_SCALARS:
            value = getattr(self, name, None)
            if isinstance(value, np.ndarray) and value.size == 1:  # the linear models' n_iter_
                value = value.item()
            meta[name] = (
                None
                if value is None
                else (int(value) if isinstance(value, numbers.Integral) else float(value))
            )
        for name in self._STATE_LISTS:
            value = getattr(self, name, None)
            meta[name] = None if value is None else [float(v) for v in value]
        if hasattr(self, "feature_names_in_"):
            meta["feature_names_in_"] = [str(v) for v in self.feature_names_in_]
        if hasattr(self, "engine_"):
            meta["engine_"] = str(self.engine_)
        meta.update(self._extra_state())
        return arrays, meta

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Restore what :meth:`_get_state` returned onto a fresh estimator."""
        self._validate_params()
        dtype = np.dtype(meta["dtype"])
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64; got {dtype}.")
        self._restore_extra_state(meta)
        self._rng = np.random.default_rng(self.random_state)
        self._initialise(self._input_width(meta), int(meta["n_outputs_"]), dtype)
        expected = dict(self.network_.named_parameters())
        if set(arrays) != {f"param.{name}" for name in expected}:
            raise ValueError(
                f"the arrays {sorted(arrays)} do not match the network the parameters "
                f"describe, which has {sorted('param.' + n for n in expected)}."
            )
        for name, target in expected.items():
            source = arrays[f"param.{name}"]
            if source.shape != target.shape or source.dtype != target.dtype:
                raise ValueError(
                    f"array param.{name} has shape {source.shape} and dtype {source.dtype}; "
                    f"expected shape {target.shape} and dtype {target.dtype}."
                )
            target[...] = source
        for name in self._STATE_SCALARS:
            if name in meta:
                setattr(self, name, meta[name])
        if getattr(self, "n_features_in_", None) is None:
            # only the sequence models, fitted on 3-D input, have no table width
            self.__dict__.pop("n_features_in_", None)
        for name in self._STATE_LISTS:
            if name in meta:
                setattr(self, name, None if meta[name] is None else list(meta[name]))
        if meta.get("feature_names_in_") is not None:
            self.feature_names_in_ = np.asarray(meta["feature_names_in_"], dtype=object)
        if meta.get("engine_") is not None:
            if meta["engine_"] not in ("compiled", "numpy"):
                raise ValueError(f"engine_ must be 'compiled' or 'numpy'; got {meta['engine_']!r}.")
            self.engine_ = meta["engine_"]
        self._publish_attributes()
        self._record_fitted_params()

    def _restore_extra_state(self, meta: dict[str, Any]) -> None:
        return None

    def _input_width(self, meta: dict[str, Any]) -> int:
        """The network's input width from a model file's metadata."""
        if meta.get("n_features_in_") is None:
            raise ValueError("the model file's state has no n_features_in_.")
        return int(meta["n_features_in_"])


def _constructor_params(cls: type) -> Any:
    return inspect.signature(cls).parameters


def build_from(registry: Any, name: str, offered: dict[str, Any]) -> Any:
    """``registry``'s ``name`` built from the entries of ``offered`` its constructor takes.

    An estimator offers its hyper-parameters in the registered classes' words (``learning_rate``,
    ``beta_1``, ...); each class takes those it names, so a newly registered optimizer or
    schedule works in every estimator without an edit here.
    """
    cls = registry.get(name)
    takes = _constructor_params(cls)
    return cls(**{k: v for k, v in offered.items() if k in takes})


class _Curves(Callback):
    """Records scikit-learn's per-epoch attributes as training goes (so that a fit that
    diverges keeps them) and scores the validation rows into the logs as
    ``validation_score``, for the stopping rule and the progress output."""

    def __init__(self, estimator: Any, validation: tuple[Any, ...] | None) -> None:
        self.estimator = estimator
        self.validation = validation
        self.epochs = 0

    def on_epoch_end(self, network: Sequential, logs: dict[str, Any]) -> bool:
        est = self.estimator
        self.epochs += 1
        est.loss_curve_.append(float(logs["loss"]))
        if "validation_loss" in logs:
            est.validation_loss_curve_.append(float(logs["validation_loss"]))
        if self.validation is not None:
            X_val, y_val, w_val = self.validation
            score = float(est._score_network(X_val, y_val, w_val))
            logs["validation_score"] = score
            est.validation_scores_.append(score)
        return False


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
        per_class = counts.sum() / (len(present) * np.where(counts > 0, counts, 1))
        return per_class[index]
    unknown = [label for label in class_weight if label not in set(classes.tolist())]
    if unknown:
        raise ValueError(
            f"class_weight has labels {sorted(map(str, unknown))} that are not classes of y "
            f"({classes.tolist()!r})."
        )
    table = np.array([float(class_weight.get(label, 1.0)) for label in present.tolist()])
    return table[index]


def activation_names_for_hidden() -> list[str]:
    """Names valid for ``activation``: every registered activation, ``prelu`` and ``maxout``."""
    return sorted({*_activations.names(), "prelu", "maxout"})
