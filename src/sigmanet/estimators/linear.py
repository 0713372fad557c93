r"""Logistic and softmax regression: the sigmoid model, with scikit-learn's interface.

Both are a network with no hidden layer, one :class:`~sigmanet.layers.Dense` layer computing the
logits ``z = X Wᵀ + b``, trained on the cross-entropy from logits plus an L2 penalty. The
objective, for sample weights ``s_i`` (1 without ``sample_weight``), ``S = Σ s_i``, is

.. math:: J(W, b) = \frac{1}{S} \sum_i s_i\, \ell_i(W, b) + \frac{1}{2 C S} \lVert W \rVert_F^2,

which has the minimiser of scikit-learn's ``C Σ s_i ℓ_i + ½‖W‖²``: ``C`` means what it means
in ``sklearn.linear_model.LogisticRegression`` (smaller is stronger regularisation) and the
intercepts are not penalised. Every solver minimises this same ``J``:

===============  ==============================================================================
``"lbfgs"``      scipy's L-BFGS-B with the analytic gradient
                 (:func:`~sigmanet.training.train_lbfgs`), the default.
``"gd"``         batch gradient descent, ``θ ← θ - η ∇J``, with η from a backtracking (Armijo)
                 line search or fixed (:func:`~sigmanet.line_search.train_line_search`).
``"sgd"``        stochastic gradient descent, one sample per step, by default with the annealed
                 step ``η = 4 / (1 + epoch + i) + 0.01`` of *Machine Learning in Action*.
``"minibatch"``  mini-batch gradient descent, ``batch_size`` samples per step.
``"adam"``       Adam (Kingma & Ba 2015) on mini-batches.
===============  ==============================================================================

The stochastic solvers use an unbiased estimate of ``∇J`` at every step (the penalty's gradient
``W / (C S)`` in full, and the batch's data gradient weighted as :func:`sigmanet.training.train`
documents), so with a decaying learning rate they converge to the L-BFGS solution.
"""

from __future__ import annotations

import math
import numbers
import sys
import warnings
from typing import Any, ClassVar

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from sigmanet import activations as _activations
from sigmanet import losses as _losses
from sigmanet import optimizers as _optimizers
from sigmanet import schedules as _schedules
from sigmanet._arrays import is_sparse
from sigmanet.constraints import InstanceOf, Interval, Options
from sigmanet.estimators._base import (
    _FLOAT_DTYPES,
    _SPARSE_FORMATS,
    BOOLEAN,
    CLASS_WEIGHT,
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    VERBOSE,
    BaseNetworkEstimator,
)
from sigmanet.layers import Dense, Layer
from sigmanet.line_search import train_line_search
from sigmanet.network import Sequential
from sigmanet.training import (
    Callback,
    EarlyStopping,
    FullBatchObjective,
    progress_callbacks,
    train,
    train_lbfgs,
)

__all__ = ["LogisticRegression", "SoftmaxRegression"]

SOLVERS = ("lbfgs", "gd", "sgd", "minibatch", "adam")
PENALTIES = ("l2", None)
#: ``learning_rate=None`` means: this, per solver.
DEFAULT_LEARNING_RATES: dict[str, Any] = {
    "gd": "backtracking",
    "sgd": "annealed",
    "minibatch": "constant",
    "adam": "constant",
    "lbfgs": None,
}
#: ``learning_rate_init=None`` with a constant step means: this, per solver.
DEFAULT_STEPS: dict[str, float] = {"sgd": 0.01, "minibatch": 0.1, "adam": 0.01}
#: The optimizer of each stochastic solver, by its name in :data:`sigmanet.optimizers.REGISTRY`.
OPTIMIZERS = {"sgd": "sgd", "minibatch": "sgd", "adam": "adam"}
DEFAULT_BATCH_SIZE = 32


def _never(self: Any) -> bool:
    return False


# --------------------------------------------------------------------------------------------
# The shared estimator
# --------------------------------------------------------------------------------------------


class _LinearClassifier(ClassifierMixin, BaseNetworkEstimator):
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
        self._fit(X, y, sample_weight)
        self._centre()
        return self

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
            return np.zeros(self.n_outputs_, dtype=self.network_.dtype)
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
        array = np.asarray(value)
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
        if z.shape[1] == 1:
            return self.classes_[(z[:, 0] > 0).astype(np.intp)]
        return self.classes_[np.argmax(z, axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes); each row sums to 1."""
        return np.exp(self.predict_log_proba(X))

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

    def _learning_rate_spec(self, *, warn: bool = False) -> tuple[str, Any]:
        """``("backtracking", None)``, ``("constant", η)``, ``("schedule", Schedule)`` or
        ``("none", None)`` (L-BFGS), from ``learning_rate``, ``learning_rate_init``,
        ``learning_rate_params`` and ``solver``."""
        current = self.get_params(deep=False)
        upgraded = self._upgrade_params(current)
        if isinstance(current["learning_rate"], dict) and "name" not in current["learning_rate"]:
            raise ValueError(
                f"learning_rate={current['learning_rate']!r} needs a 'name' key; better, write "
                "learning_rate=<schedule name>, learning_rate_params={...}."
            )
        if warn and upgraded != current:
            advice = ", ".join(
                f"{key}={upgraded[key]!r}"
                for key in ("learning_rate", "learning_rate_init", "learning_rate_params")
                if upgraded[key] != current[key] or key == "learning_rate"
            )
            warnings.warn(
                f"learning_rate={current['learning_rate']!r} is deprecated: the step size is now "
                f"learning_rate_init and a schedule's parameters learning_rate_params, as in the "
                f"MLPs. Write {advice} instead.",
                FutureWarning,
                stacklevel=6,  # the caller of fit
            )
        name = upgraded["learning_rate"]
        step = upgraded["learning_rate_init"]
        params = upgraded["learning_rate_params"] or {}
        solver = self.solver
        if name is None:  # a step given is a step used; else the solver's default
            name = "constant" if step is not None else DEFAULT_LEARNING_RATES[solver]
        if solver == "lbfgs":
            return ("none", None)
        if params and name in ("constant", "backtracking"):
            raise ValueError(
                f"learning_rate_params are a schedule's parameters; learning_rate={name!r} "
                f"takes none (got {params!r})."
            )
        if "learning_rate" in params:
            raise ValueError(
                "learning_rate_params must not hold 'learning_rate': give the initial step as "
                "learning_rate_init."
            )
        if name == "backtracking":
            if solver != "gd":
                raise ValueError(
                    f"learning_rate='backtracking' (an Armijo line search) needs solver='gd'; "
                    f"got solver={solver!r}."
                )
            return ("backtracking", None)
        if name == "constant":
            step = DEFAULT_STEPS.get(solver) if step is None else step
            if step is None:
                raise ValueError(
                    f"solver={solver!r} with learning_rate='constant' needs the step: set "
                    "learning_rate_init."
                )
            return ("constant", float(step))
        if solver == "gd":
            raise ValueError(
                f"solver='gd' takes learning_rate=None or 'backtracking' (Armijo line search) or "
                f"'constant' (a fixed step, learning_rate_init); got {name!r}."
            )
        if step is not None:
            params = {"learning_rate": step, **params}
        try:
            schedule = _schedules.get(name, **params)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"learning_rate={name!r} with learning_rate_params={params!r} is not valid: {error}"
            ) from None
        return ("schedule", schedule)

    def _validate_X_y(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        return validate_data(
            self, X, y, reset=reset, dtype=_FLOAT_DTYPES, accept_sparse=_SPARSE_FORMATS
        )

    def _class_indices(self, y: Any, first: bool) -> np.ndarray:
        """Validate the labels, set ``classes_`` on a fresh fit, return indices into it."""
        check_classification_targets(y)
        classes = unique_labels(y)
        if first:
            if len(classes) < 2:
                raise ValueError(
                    "This solver needs samples of at least 2 classes in the data, but the data "
                    f"contains only one class: {classes[0]!r}."
                )
            self.classes_ = classes
        elif len(classes) != len(self.classes_) or np.any(classes != self.classes_):
            raise ValueError(
                f"warm_start=True needs the classes of the previous fit, {self.classes_.tolist()!r}"
                f"; y has {classes.tolist()!r}. Set warm_start=False to start over."
            )
        return np.searchsorted(self.classes_, y)

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

    def _publish_attributes(self) -> None:
        self.dtype_ = self.network_.dtype
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else math.nan
        if not all(np.isfinite(p).all() for p in self.network_.parameters()):
            raise ValueError(
                "The solver produced non-finite weights. The input data may contain large "
                "values and need to be scaled (e.g. with sklearn's StandardScaler)."
            )

    # -- solvers ---------------------------------------------------------------------------------
    def _fit_lbfgs(self, X: np.ndarray, targets: np.ndarray, weight: Any) -> None:
        result = train_lbfgs(
            self.network_,
            self._output_loss(),
            X,
            targets,
            sample_weight=weight,
            l2=self._l2(),
            max_iter=self.max_iter,
            tol=0.0 if self.tol is None else float(self.tol),
        )
        curve = result.loss or [self._objective(X, targets, weight)]
        # scipy takes one step even when asked for none; count as asked, as scikit-learn does
        n_iter = min(result.n_iter, int(self.max_iter))
        self._finish(curve, n_iter, result.converged and n_iter == result.n_iter, result.message)

    def _objective(self, X: np.ndarray, targets: np.ndarray, weight: Any) -> float:
        """J at the current parameters (for a solver that stopped before its first step)."""
        return FullBatchObjective(
            self.network_, self._output_loss(), X, targets, weight, self._l2()
        )()

    def _finish(self, loss: list[float], n_iter: int, converged: bool, message: str) -> None:
        self.loss_curve_ = [float(v) for v in loss]
        # one entry per optimisation problem, of which there is one: scikit-learn's layout
        self.n_iter_ = np.array([int(n_iter)], dtype=np.int32)
        if self.verbose:
            last = self.loss_curve_[-1] if self.loss_curve_ else math.nan
            print(
                f"{type(self).__name__} ({self.solver}): {int(n_iter)} iterations, "
                f"objective {last:.8g}; {message}",
                file=sys.stderr,
            )
        if not converged:
            # scikit-learn's first words ("lbfgs failed to converge"), which code may match
            warnings.warn(
                f"{self.solver} failed to converge after {int(n_iter)} iteration(s) "
                f"({message}). Increase the number of iterations (max_iter={self.max_iter}) "
                f"or scale the data (e.g. with sklearn's StandardScaler); "
                f"{type(self).__name__}.",
                ConvergenceWarning,
                stacklevel=5,
            )

    def _fit_stochastic(
        self,
        X: np.ndarray,
        y: np.ndarray,
        targets: np.ndarray,
        weight: Any,
        incremental: bool,
        callbacks: Any,
        validation_data: Any,
    ) -> None:
        kind, rate = self._learning_rate_spec()
        if self.solver == "gd":
            printer = None
            if self.verbose:

                def printer(iteration: int, value: float, g_norm: float, step: float) -> None:
                    print(
                        f"iteration {iteration}: objective {value:.10g}, max|gradient| "
                        f"{g_norm:.3g}, step {step:.3g}",
                        file=sys.stderr,
                    )

            result = train_line_search(
                self.network_,
                self._output_loss(),
                X,
                targets,
                sample_weight=weight,
                l2=self._l2(),
                max_iter=self.max_iter,
                tol=0.0 if self.tol is None else float(self.tol),
                step=rate if kind == "constant" else None,
                callback=printer,
            )
            curve = result.loss or [self._objective(X, targets, weight)]
            self._finish(curve, result.n_iter, result.converged, result.message)
            return

        # a schedule sets the step before every step; until then the optimizer's default holds
        step = {"learning_rate": rate} if kind == "constant" else {}
        optimizer = _optimizers.get(OPTIMIZERS[self.solver], **step)
        if self.solver == "sgd":
            batch_size = 1
        else:
            batch_size = min(self.batch_size or DEFAULT_BATCH_SIZE, X.shape[0])
        rule = None
        if self.tol is not None:
            # scikit-learn's SGDClassifier stops after n_iter_no_change epochs without an
            # improvement of tol in the training loss: more than n_iter_no_change - 1
            rule = EarlyStopping(
                monitor="loss",
                patience=self.n_iter_no_change - 1,
                min_delta=float(self.tol),
                restore_best_weights=False,
            )
        hooks: list[Callback] = [] if rule is None else [rule]
        hooks.extend(progress_callbacks(self.verbose, self.max_iter))
        history = train(
            self.network_,
            self._output_loss(),
            optimizer,
            X,
            targets,
            epochs=self.max_iter,
            batch_size=batch_size,
            shuffle=self.shuffle,
            random_state=self._rng,
            schedule=rate if kind == "schedule" else None,
            sample_weight=weight,
            l2=self._l2(),
            l2_scale="dataset",
            callbacks=hooks,
        )
        self.t_ = history.samples_seen
        converged = rule is None or rule.stopped
        self._finish(
            history.loss,
            history.epochs,
            converged,
            f"the training loss still improved by more than tol={self.tol} within the "
            f"last {self.n_iter_no_change} of max_iter={self.max_iter} epochs",
        )

    # -- persistence -----------------------------------------------------------------------------
    def _set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        super()._set_state(arrays, meta)
        self.n_iter_ = np.array([int(self.n_iter_)], dtype=np.int32)  # saved as a number

    def _extra_state(self) -> dict[str, Any]:
        return {"classes_": self.classes_.tolist(), "classes_dtype": self.classes_.dtype.str}

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


# --------------------------------------------------------------------------------------------
# The two models
# --------------------------------------------------------------------------------------------

_PARAMETERS_DOC = """
    Parameters
    ----------
    penalty : {"l2", None}, default="l2"
        ``"l2"`` adds ``‖W‖² / (2 C S)`` to the mean loss (scikit-learn's ``C``); ``None``
        fits the unpenalised maximum-likelihood model (which does not exist for separable data:
        the weights then grow until ``max_iter``).
    C : float, default=1.0
        Inverse regularisation strength, > 0; ``numpy.inf`` fits without a penalty (the same
        as ``penalty=None``).
    fit_intercept : bool, default=True
        Learn an (unpenalised) intercept per output.
    class_weight : dict, "balanced" or None, default=None
        Weights per class multiplying ``sample_weight``; ``"balanced"`` uses
        ``n_samples / (n_classes · bincount(y))``.
    solver : {"lbfgs", "gd", "sgd", "minibatch", "adam"}, default="lbfgs"
        See the module docstring. All minimise the same objective.
    max_iter : int, default=100
        Iterations for ``"lbfgs"`` and ``"gd"``, epochs for the stochastic solvers; 0 leaves
        the starting point (zeros) and warns that the fit did not converge.
    tol : float or None, default=1e-4
        ``"lbfgs"``, ``"gd"``: stop when ``max |∂J/∂θ| <= tol``. Stochastic solvers: stop when
        the epoch's training loss has not improved by ``tol`` for ``n_iter_no_change`` epochs in a
        row; ``None`` runs all ``max_iter`` epochs (and never warns).
    learning_rate : str or None, default=None
        How the step η evolves, as in the MLPs. For ``"gd"``: ``"backtracking"`` (an Armijo
        line search, the default) or ``"constant"`` (the fixed step ``learning_rate_init``).
        For the stochastic solvers: ``"constant"`` or a schedule name of
        :mod:`sigmanet.schedules` (``"annealed"``, ``"invscaling"``, ``"adaptive"``,
        ``"step"``, ``"exponential"``, ``"cosine"``). ``None``: ``"annealed"``
        (4/(1+epoch+i)+0.01) for ``"sgd"``, ``"constant"`` for ``"minibatch"`` and ``"adam"``,
        and ``"constant"`` for every solver when ``learning_rate_init`` is given. Ignored by
        ``"lbfgs"``. Deprecated (a FutureWarning says what to write instead): a
        number, meaning ``learning_rate="constant", learning_rate_init=<number>``, and a dict
        ``{"name": <schedule>, **params}``, meaning ``learning_rate=<schedule>,
        learning_rate_params=params``.
    learning_rate_init : float or None, default=None
        The step η of ``"constant"``, or the initial step of a schedule that takes one.
        ``None``: 0.1 for ``"minibatch"``, 0.01 for ``"adam"`` and ``"sgd"``, the schedule's
        own default for a schedule; ``"gd"`` with ``"constant"`` needs it.
    learning_rate_params : dict or None, default=None
        The schedule's other parameters, e.g. ``{"a": 1.0, "b": 10.0, "c": 0.0}`` for
        ``"annealed"`` or ``{"gamma": 0.998}`` for ``"exponential"``.
    batch_size : int or None, default=None
        Samples per step for ``"minibatch"`` and ``"adam"`` (None: 32). ``"sgd"`` always uses
        one sample, ``"lbfgs"`` and ``"gd"`` all of them.
    shuffle : bool, default=True
        Reshuffle the samples every epoch (stochastic solvers).
    n_iter_no_change : int, default=5
        Epochs without improvement before a stochastic solver stops (see ``tol``); noisy
        problems (unscaled data, extreme weights) may need more.
    warm_start : bool, default=False
        Start from the previous fit's weights (same classes and ``fit_intercept`` required;
        otherwise a ValueError, as scikit-learn refuses a warm start it cannot honour).
    random_state : int, numpy Generator or None, default=None
        Seeds the shuffling.
    verbose : int or "progress", default=0
        Print progress: per iteration to stderr (``"lbfgs"``, ``"gd"``), per epoch
        scikit-learn's ``Iteration n, loss = ...`` line to stdout (stochastic solvers), or
        with ``"progress"`` a progress bar on stderr.
"""

_ATTRIBUTES_DOC = """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape ({shape})
        The weights ``w`` of the logits ``X w + b``.
    intercept_ : ndarray of shape ({short})
        The intercepts ``b``.
    n_iter_ : ndarray of shape (1,)
        Iterations (``"lbfgs"``, ``"gd"``) or epochs run by the last fit, in an array of one
        entry (one optimisation problem) as scikit-learn's.
    loss_curve_ : list of float
        The objective ``J`` after each iteration (``"lbfgs"``, ``"gd"``), or the average over
        each epoch's batches of the batch objective (stochastic solvers).
    loss_ : float
        The last entry of ``loss_curve_``.
    t_ : int
        Samples seen by a stochastic solver.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When fitted on a DataFrame with string column names.
    n_outputs_ : int
        Columns of ``coef_``'s transpose: logits computed.
    dtype_ : numpy dtype
        float32 or float64, the dtype the model computes in.
    network_ : sigmanet.network.Sequential
        The underlying one-layer network.
"""


class LogisticRegression(_LinearClassifier):
    __doc__ = (
        r"""Logistic regression: ``P(y = 1 | x) = σ(x·w + b)``, trained on the log loss.

    The model of Cox (1958). For two classes the loss per sample is the cross-entropy of the logit
    ``z = x·w + b``, ``ℓ = max(z, 0) - z y + log1p(e^(-|z|))`` (never ``log(σ(z))`` computed
    naively), and its gradient the vectorised form ``∇w = (1/m) Xᵀ(σ(Xw + b) - y)`` (derived in
    the documentation's theory page on logistic regression).

    With K > 2 classes it fits one sigmoid per class, one-vs-rest: K independent logistic
    regressions of "class k" against the rest, trained jointly on the one-hot targets with the
    binary cross-entropy summed over the K outputs (the problems decouple, so this is exactly
    one-vs-rest with the same ``C`` per problem, as ``OneVsRestClassifier(LogisticRegression())``
    in scikit-learn). ``predict_proba`` normalises the K sigmoids per row as scikit-learn's
    one-vs-rest does. For the multinomial model, see :class:`SoftmaxRegression`.
    """
        + _PARAMETERS_DOC
        + _ATTRIBUTES_DOC.format(
            shape="1, n_features) for two classes, else (n_classes, n_features",
            short="1,) or (n_classes,",
        )
        + r"""
    Differences from ``sklearn.linear_model.LogisticRegression``: no ``l1``/``elasticnet``
    penalty, no ``dual``, ``intercept_scaling``, ``n_jobs`` or ``l1_ratio``; the multiclass
    model is one-vs-rest (scikit-learn's is multinomial: use :class:`SoftmaxRegression`);
    :meth:`sparsify` changes only how ``coef_`` is shown; more solvers.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sigmanet import LogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0)).fit(X, y)
    >>> model.score(X, y) > 0.95
    True
    """
    )

    def _encode_targets(self, y: Any, first: bool, classes: Any = None) -> np.ndarray:
        index = self._class_indices(y, first)
        n_classes = len(self.classes_)
        if n_classes == 2:
            return (index == 1).astype(np.float64)[:, None]
        one_hot = np.zeros((len(index), n_classes))
        one_hot[np.arange(len(index)), index] = 1.0
        return one_hot

    def _n_outputs_for(self, n_classes: int) -> int:
        return 1 if n_classes == 2 else n_classes

    def _output_loss(self) -> Any:
        return _losses.get("binary_cross_entropy_with_logits")

    def _log_proba(self, z: np.ndarray) -> np.ndarray:
        if z.shape[1] == 1:
            return np.column_stack(
                [_activations.log_sigmoid(-z[:, 0]), _activations.log_sigmoid(z[:, 0])]
            )
        # p_k = σ(z_k) / Σ_j σ(z_j), i.e. log p = log_softmax(log σ(z)): stable for any logits.
        return _activations.log_softmax(_activations.log_sigmoid(z), axis=1)


class SoftmaxRegression(_LinearClassifier):
    __doc__ = (
        r"""Softmax (multinomial logistic) regression: ``P(y = k | x) = softmax(x Wᵀ + b)_k``.

    One linear output per class; the loss per sample is the cross-entropy from the logits,
    ``ℓ = logsumexp(z) - z_y`` (gradient ``softmax(z) - onehot(y)``), so the K classes share one
    normalisation, unlike the K independent sigmoids of :class:`LogisticRegression`.

    Adding the same vector to every row of ``coef_`` (or the same number to every intercept)
    changes no probability. The penalty picks the rows that sum to zero, and after every fit
    the parameters are centred, ``coef_.sum(axis=0) = 0`` and ``intercept_.sum() = 0``, which
    makes the (unpenalised) intercepts unique too, as in scikit-learn.

    Two classes also get two outputs (K = 2), so ``coef_[0] = -coef_[1]``; the model equals
    :class:`LogisticRegression` with ``2 C`` and ``coef = coef_[1] - coef_[0]``, and
    ``decision_function`` returns the log-odds ``z₁ - z₀``, shape (n_samples,), as
    scikit-learn does for binary problems.
    """
        + _PARAMETERS_DOC
        + _ATTRIBUTES_DOC.format(shape="n_classes, n_features", short="n_classes,")
        + r"""
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sigmanet import SoftmaxRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> model = SoftmaxRegression(C=10.0, max_iter=500).fit(X, y)
    >>> model.predict_proba(X[:1]).sum().round(6)
    np.float64(1.0)
    """
    )

    def _encode_targets(self, y: Any, first: bool, classes: Any = None) -> np.ndarray:
        return self._class_indices(y, first).astype(np.intp)

    def _centre(self) -> None:
        # softmax(z + c) = softmax(z): subtracting the mean row changes no prediction and can
        # only lower ‖W‖², so the centred parameters are the unique minimiser (Adam's
        # per-coordinate steps, unlike gradient descent's, drift along the flat direction).
        dense = self._dense
        W = dense.params["W"]
        W -= W.mean(axis=1, keepdims=True)
        if "b" in dense.params:
            b = dense.params["b"]
            b -= b.mean()

    def _n_outputs_for(self, n_classes: int) -> int:
        return n_classes

    def _output_loss(self) -> Any:
        return _losses.get("softmax_cross_entropy_with_logits")

    def _log_proba(self, z: np.ndarray) -> np.ndarray:
        return _activations.log_softmax(z, axis=1)
