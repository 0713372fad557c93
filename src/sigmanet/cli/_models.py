"""Model files as the commands read them: loading, the legacy sidecar, what kind of model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sigmanet.cli._data import ModelInputs, model_inputs
from sigmanet.cli._errors import CommandError

MODELS = {
    "logistic": "LogisticRegression",
    "softmax": "SoftmaxRegression",
    "mlp-classifier": "MLPClassifier",
    "mlp-regressor": "MLPRegressor",
}


LEGACY_SIDECAR_SUFFIX = ".preprocessing.json"


def sidecar_path(model_path: str | Path) -> Path:
    return Path(f"{model_path}{LEGACY_SIDECAR_SUFFIX}")


def _refuse_legacy_sidecar(model_path: str, model: Any) -> None:
    """A bare estimator beside ``MODEL.preprocessing.json`` was saved by sigmanet 0.1.0's CLI.

    Its preprocessing lived in that second file, which could fall out of step with the model
    (the two were not replaced together); this sigmanet keeps the preprocessing inside the
    model file and does not apply the separate one, rather than guess whether it belongs.
    """
    if hasattr(model, "steps") or not sidecar_path(model_path).exists():
        return
    raise CommandError(
        f"{model_path} was saved by an earlier sigmanet with its preprocessing in a separate "
        f"file, {sidecar_path(model_path).name}, which this sigmanet no longer reads (it "
        "could silently fall out of step with the model); train the model again with "
        "'sigmanet train ... --save' (the same options), which stores the preprocessing "
        "inside the model file"
    )


def _estimator_classes() -> dict[str, Any]:
    from sigmanet.estimators import ESTIMATORS

    return dict(ESTIMATORS)


def _estimator_class(name: str) -> Any:
    """The estimator class ``name`` (its module alone is imported), or None."""
    import sigmanet.estimators

    return getattr(sigmanet.estimators, name, None)


def load_model(path: str) -> Any:
    from sigmanet.persistence import load

    return load(path)


def _load_for_data(model_path: str) -> tuple[Any, ModelInputs]:
    model = load_model(model_path)
    _refuse_legacy_sidecar(model_path, model)
    return model, model_inputs(model)


def _is_classifier(model: Any) -> bool:
    from sklearn.base import is_classifier

    return bool(is_classifier(model))


def _label_kind(model: Any) -> str:
    if not _is_classifier(model):
        return "number"
    classes = np.asarray(model.classes_)
    if classes.dtype.kind in "UO":
        return "str"
    return "int" if classes.dtype.kind in "iub" else "float"


def recorded_target(model: Any) -> str | None:
    """The target column a pipeline trained by ``sigmanet train`` records, or None."""
    from sigmanet.cli._data import _walk
    from sigmanet.preprocessing import InputColumns

    for step in _walk(model):
        if isinstance(step, InputColumns) and isinstance(step.target, str):
            return step.target
    return None
