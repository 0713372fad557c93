"""What a fit was made with, and the warm starts and ``partial_fit`` calls it refuses."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator


class FittedSettings(BaseEstimator):
    """Records the hyper-parameters of the last fit and checks a continued fit against them."""

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
