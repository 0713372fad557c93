"""Reading model files of format 1, which held one sigmanet estimator.

Format 1 (sigmanet 0.1.0's first model files) stored one sigmanet estimator: its class name,
its hyper-parameters and its ``_get_state()``, values encoded as :mod:`sigmanet.io.values`
says, and checksummed only its tensors (its description has no SHA-256 beside it). Such files
still load; nothing writes them any more.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet.exceptions import ModelFileError
from sigmanet.io import sigmanet_steps, steps
from sigmanet.io.values import decode

__all__ = ["build_model", "describe"]


def describe(
    document: dict[str, Any], described: dict[str, dict[str, Any]], source: str
) -> dict[str, Any]:
    """The decoded description of a format-1 ``document`` whose tensors are ``described``."""
    class_name = document["class"]
    allowed = sigmanet_steps.estimator_classes()
    if not isinstance(class_name, str) or class_name not in allowed:
        raise ModelFileError(
            f"{source} names estimator class {class_name!r}, which is not one sigmanet can "
            f"build; expected one of {sorted(allowed)}."
        )
    params = document["params"]
    if not isinstance(params, dict) or any(key.startswith("$") for key in params):
        raise ModelFileError(f"{source}: params must be a JSON object of parameter names.")
    return {
        "format_version": 1,
        "sigmanet_version": document["sigmanet_version"],
        "class": class_name,
        "params": decode(params, f"{source}: params"),
        "state": decode(document["state"], f"{source}: state"),
        "tensors": described,
    }


def build_model(decoded: dict[str, Any], arrays: dict[str, np.ndarray], source: str) -> Any:
    """The estimator of a format-1 file, from its :func:`describe` and its ``arrays``."""
    class_name = decoded["class"]
    cls = sigmanet_steps.estimator_classes()[class_name]
    return steps.build(cls, class_name, decoded["params"], arrays, decoded["state"], source)
