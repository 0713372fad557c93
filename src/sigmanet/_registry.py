"""Looking up a class by name and building it: the ``get`` of optimizers and schedules."""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

T = TypeVar("T")


def build(kind: str, base: type[T], registry: dict[str, type[T]], name: Any, params: Any) -> T:
    """``registry[name](**params)``, or ``name`` itself when it is already a ``base``.

    ``kind`` names the thing in messages ("optimizer", "learning-rate schedule"). Names are
    case-insensitive. An unknown name is a ValueError listing the valid ones; a parameter the
    class does not take is a TypeError listing those it does.
    """
    if isinstance(name, base):
        if params:
            raise ValueError(
                f"get() was given a {kind} instance and parameters {sorted(params)}; "
                "set them on the instance or pass a name."
            )
        return name
    if not isinstance(name, str):
        article = "an" if base.__name__[0] in "AEIOU" else "a"
        raise TypeError(
            f"{kind} must be a name or {article} {base.__name__}; got {type(name).__name__}."
        )
    cls = registry.get(name.strip().lower())
    if cls is None:
        raise ValueError(f"Unknown {kind} {name!r}; valid names are {sorted(registry)}.")
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise TypeError(
            f"{cls.__name__} got unexpected parameter(s) {unknown}; it accepts {accepted}."
        )
    return cls(**params)
