"""The playground's settings: one flat, JSON-friendly record, validated field by field.

The page keeps the same record in its URL, so a shared link reproduces a set-up. Every field
has a default; :func:`merge` applies a partial update from the page and rejects anything
malformed with a message naming the field, leaving the current settings untouched.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from typing import Any

from sigmanet import activations as _activations
from sigmanet import initializers as _initializers
from sigmanet.playground.datasets import DATASETS, FEATURES

__all__ = [
    "LOSSES",
    "MAX_LAYERS",
    "MAX_UNITS",
    "OPTIMIZERS",
    "REGULARIZATIONS",
    "SCHEDULES",
    "Config",
    "activation_choices",
    "merge",
]

MAX_LAYERS = 6
MAX_UNITS = 8
#: The page's optimizer names → (sigmanet optimizer, its extra arguments).
OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "sgd": ("sgd", {}),
    "momentum": ("sgd", {"momentum": 0.9}),
    "nesterov": ("sgd", {"momentum": 0.9, "nesterov": True}),
    "adam": ("adam", {}),
    "adamw": ("adamw", {}),
    "rmsprop": ("rmsprop", {}),
    "adagrad": ("adagrad", {}),
}
SCHEDULES = ("constant", "annealed", "invscaling", "adaptive", "step", "exponential", "cosine")
LOSSES = ("log_loss", "squared_error")
REGULARIZATIONS = ("none", "l1", "l2")


def activation_choices() -> list[str]:
    """The registry's activation names a hidden layer may use (aliases left out)."""
    return sorted({_activations.get(name).name for name in _activations.names()})


@dataclass(frozen=True)
class Config:
    """Everything that defines a playground run."""

    dataset: str = "circle"
    noise: float = 0.0
    train_ratio: float = 0.5
    n_samples: int = 400
    data_seed: int = 0
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activations: tuple[str, ...] = ("tanh", "tanh")
    dropout: float = 0.0
    initializer: str = "glorot_uniform"
    optimizer: str = "sgd"
    schedule: str = "constant"
    learning_rate: float = 0.03
    regularization: str = "none"
    regularization_rate: float = 0.0
    batch_size: int = 10
    loss: str = "log_loss"
    seed: int = 0
    speed: int = 3

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy (tuples become lists)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number; got {value!r}.")
    value = float(value)
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be between {low} and {high}; got {value!r}.")
    return value


def _integer(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer; got {value!r}.")
    if not low <= int(value) <= high:
        raise ValueError(f"{name} must be between {low} and {high}; got {value!r}.")
    return int(value)


def _choice(name: str, value: Any, choices: Any) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}.")
    return value


def _validate(name: str, value: Any) -> Any:
    if name == "dataset":
        return _choice(name, value, [*DATASETS, "upload"])
    if name in ("noise",):
        return _number(name, value, 0.0, 0.5)
    if name == "train_ratio":
        return _number(name, value, 0.1, 0.9)
    if name == "n_samples":
        return _integer(name, value, 20, 2000)
    if name in ("data_seed", "seed"):
        return _integer(name, value, 0, 2**31 - 1)
    if name == "features":
        if not isinstance(value, list) or not value:
            raise ValueError("features must be a non-empty list of feature names.")
        for item in value:
            _choice("features", item, list(FEATURES))
        if len(set(value)) != len(value):
            raise ValueError("features must not repeat a name.")
        return tuple(name for name in FEATURES if name in value)  # a fixed order
    if name == "hidden":
        if not isinstance(value, list) or len(value) > MAX_LAYERS:
            raise ValueError(f"hidden must be a list of at most {MAX_LAYERS} layer widths.")
        return tuple(_integer("hidden layer width", w, 1, MAX_UNITS) for w in value)
    if name == "activations":
        if not isinstance(value, list) or len(value) > MAX_LAYERS:
            raise ValueError(f"activations must be a list of at most {MAX_LAYERS} names.")
        choices = activation_choices()
        return tuple(_choice("activation", a, choices) for a in value)
    if name == "dropout":
        return _number(name, value, 0.0, 0.9)
    if name == "initializer":
        return _choice(name, value, _initializers.names())
    if name == "optimizer":
        return _choice(name, value, list(OPTIMIZERS))
    if name == "schedule":
        return _choice(name, value, SCHEDULES)
    if name == "learning_rate":
        value = _number(name, value, 0.0, 10.0)
        if value == 0:
            raise ValueError("learning_rate must be greater than 0.")
        return value
    if name == "regularization":
        return _choice(name, value, REGULARIZATIONS)
    if name == "regularization_rate":
        return _number(name, value, 0.0, 10.0)
    if name == "batch_size":
        return _integer(name, value, 1, 2000)
    if name == "loss":
        return _choice(name, value, LOSSES)
    if name == "speed":
        return _integer(name, value, 1, 5)
    raise ValueError(f"Unknown setting {name!r}.")


def merge(config: Config, update: Any) -> Config:
    """``config`` with the fields of ``update`` (a dict from the page) replaced, validated.

    Hidden-layer activations follow the number of hidden layers: a new layer takes the last
    layer's activation (or tanh), a removed layer's entry is dropped.

    Raises
    ------
    ValueError
        Naming the first field that is unknown or invalid; nothing is changed then.
    """
    if not isinstance(update, dict):
        raise ValueError("The settings must be a JSON object.")
    changes = {str(name): _validate(str(name), value) for name, value in update.items()}
    merged = dataclasses.replace(config, **changes)
    hidden, names = merged.hidden, list(merged.activations)
    if len(names) != len(hidden):
        if "activations" in update and "hidden" in update:
            raise ValueError(
                f"activations has {len(names)} entries but there are {len(hidden)} hidden layers."
            )
        fill = names[-1] if names else "tanh"
        names = (names + [fill] * len(hidden))[: len(hidden)]
        merged = dataclasses.replace(merged, activations=tuple(names))
    return merged


#: The defaults, for the page.
DEFAULT = Config()
