"""The stochastic solvers' fit: optimizer, schedule, validation split and stopping rule.

The optimizer and the schedule are built through their registries from the hyper-parameters
their constructors name (:func:`build_from`); the stopping rule is scikit-learn's MLP's
(:meth:`StochasticFit._stopping_rule`); :func:`sigmanet.training.train` runs the epochs.
"""

from __future__ import annotations

import inspect
import math
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

from sigmanet import optimizers as _optimizers
from sigmanet import schedules as _schedules
from sigmanet.exceptions import DivergenceError
from sigmanet.network import Sequential
from sigmanet.training import (
    Callback,
    EarlyStopping,
    progress_callbacks,
    train,
    validation_split,
)

#: scikit-learn's words for a fit whose weights stopped being finite: code may match them.
_NON_FINITE_MESSAGE = (
    "Solver produced non-finite parameter weights. The input data may contain large values "
    "and need to be preprocessed."
)


class StochasticFit(BaseEstimator):
    """The fit of the stochastic solvers (every registered optimizer)."""

    # The training state this fit continues from; the estimator's ``_initialise`` sets it.
    _optimizer: Any
    _schedule: Any
    _divergence_reference: float | None
    loss_curve_: list[float]
    validation_loss_curve_: list[float]
    validation_scores_: list[float] | None
    best_loss_: float | None
    best_validation_score_: float | None
    n_iter_: Any
    t_: int
    engine_: str

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
