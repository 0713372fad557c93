"""The linear models' solvers: their step sizes, L-BFGS, and the stochastic and line-search fits.

Every solver minimises the same objective ``J`` (see :mod:`sigmanet.estimators.linear`); this
module holds how each one does it and what each takes by default.
"""

from __future__ import annotations

import math
import sys
import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sigmanet import optimizers as _optimizers
from sigmanet import schedules as _schedules
from sigmanet.estimators._base import BaseNetworkEstimator
from sigmanet.line_search import train_line_search
from sigmanet.training import (
    Callback,
    EarlyStopping,
    FullBatchObjective,
    progress_callbacks,
    train,
    train_lbfgs,
)

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


class LinearSolvers(BaseNetworkEstimator):
    """The solvers of the linear classifiers, in place of the MLPs' (``"gd"`` and the annealed
    ``"sgd"`` step among them)."""

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

    # -- solvers ---------------------------------------------------------------------------------
    def _fit_lbfgs(self, X: np.ndarray, targets: np.ndarray, weight: Any) -> None:
        self._optimizer = None  # nothing for partial_fit to continue
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
            self._optimizer = None  # nothing for partial_fit to continue
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

        fitted = getattr(self, "_fitted_params", None) or {}
        # a loaded model file holds no optimizer state: partial_fit then starts a fresh one
        previous = getattr(self, "_optimizer", None)
        reference = getattr(self, "_divergence_reference", None) if incremental else None
        if incremental and previous is not None and fitted.get("solver") == self.solver:
            optimizer, schedule = previous, self._schedule  # partial_fit continues
        else:
            # a schedule sets the step before every step; until then the optimizer's default
            # holds
            step = {"learning_rate": rate} if kind == "constant" else {}
            optimizer = _optimizers.get(OPTIMIZERS[self.solver], **step)
            schedule = rate if kind == "schedule" else None
        if self.solver == "sgd":
            batch_size = 1
        else:
            batch_size = min(self.batch_size or DEFAULT_BATCH_SIZE, X.shape[0])
        rule = None
        if self.tol is not None and not incremental:
            # scikit-learn's SGDClassifier stops after n_iter_no_change epochs without an
            # improvement of tol in the training loss: more than n_iter_no_change - 1
            rule = EarlyStopping(
                monitor="loss",
                patience=self.n_iter_no_change - 1,
                min_delta=float(self.tol),
                restore_best_weights=False,
            )
        epochs = 1 if incremental else self.max_iter
        hooks: list[Callback] = [] if rule is None else [rule]
        hooks.extend(progress_callbacks(self.verbose, epochs))
        history = train(
            self.network_,
            self._output_loss(),
            optimizer,
            X,
            targets,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=self.shuffle,
            random_state=self._rng,
            schedule=schedule,
            sample_weight=weight,
            l2=self._l2() * self._penalty_share(X, weight, incremental),
            l2_scale="dataset",
            callbacks=hooks,
            # partial_fit: a call is an epoch; schedules and counters go on from the last call
            initial_epoch=len(self.loss_curve_) if incremental else 0,
            samples_seen=self.t_ if incremental else 0,
            divergence_reference=reference,
        )
        self._optimizer, self._schedule = optimizer, schedule
        if reference is None:
            self._divergence_reference = history.divergence_reference
        self.t_ = history.samples_seen
        if incremental:
            self._finish(self.loss_curve_ + history.loss, history.epochs, True, "partial_fit")
            return
        converged = rule is None or rule.stopped
        self._finish(
            history.loss,
            history.epochs,
            converged,
            f"the training loss still improved by more than tol={self.tol} within the "
            f"last {self.n_iter_no_change} of max_iter={self.max_iter} epochs",
        )

    #: The total sample weight of all the data a sequence of ``partial_fit`` calls covers, when
    #: known (:func:`sigmanet.dask.fit_stochastic` sets it on its copy of the estimator);
    #: None: each call's rows are the data.
    _penalty_total_weight: float | None = None

    def _penalty_share(self, X: np.ndarray, weight: Any, incremental: bool) -> float:
        """The factor on ``l2`` that makes the penalty's gradient ``W / (C S)``.

        :func:`~sigmanet.training.train` divides ``l2`` by the total weight of the rows it is
        given; a ``partial_fit`` call on a part of data whose total weight ``S`` is known
        (``_penalty_total_weight``) scales it by that part's share, so that every call
        minimises the whole data's ``J`` rather than its own part's (which would penalise
        about as many times more strongly as there are parts).
        """
        total = self._penalty_total_weight
        if not incremental or total is None:
            return 1.0
        part = float(X.shape[0]) if weight is None else float(np.sum(weight, dtype=np.float64))
        return part / float(total)
