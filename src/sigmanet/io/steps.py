"""The classes a model file can hold, and how each is stored: step codecs and their registry.

A model file holds one fitted object, a "step": a sigmanet estimator, or a scikit-learn
``Pipeline`` (also nested) whose steps are sigmanet estimators and the transformers of
:func:`supported_steps`. A step is stored as its class name, its hyper-parameters and its
fitted state; how a class's fitted state is stored is its codec's business
(:class:`StepCodec`). The built-in codecs are those of scikit-learn's transformers
(:mod:`sigmanet.io.sklearn_steps`) and of sigmanet's own classes
(:mod:`sigmanet.io.sigmanet_steps`), each module registering its classes in :data:`REGISTRY`
(a :class:`~sigmanet.registry.Registry`, by class name, with the codec in each entry's
metadata); :func:`register_step` adds a class.

Loading cannot run code: only classes found here are built, from their stored
hyper-parameters (checked by the class's constructor and scikit-learn's parameter validation,
where the class has it), and the fitted state is handed to the class's codec, which validates
it (:func:`build`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet.exceptions import ModelFileError
from sigmanet.registry import Registry

__all__ = [
    "REGISTRY",
    "StepCodec",
    "build",
    "codec_for",
    "codecs",
    "get",
    "names",
    "register_step",
    "supported_steps",
    "unknown",
]


class StepCodec:
    """How one class is stored in a model file and rebuilt from it.

    A step is stored as its class name, its hyper-parameters (``get_params(deep=False)``,
    values encoded as :mod:`sigmanet.io.values` says, estimators among them stored as steps
    in turn) and its fitted state. Rebuilding calls the class with the stored hyper-parameters,
    checks them with scikit-learn's parameter validation where the class has it, then restores
    the fitted state. Subclasses decide what the fitted state is.
    """

    #: Whether the fitted state is scikit-learn's own (private attributes that can change
    #: between scikit-learn versions); loading such a file under another version warns.
    sklearn_state = True

    def params(self, obj: Any) -> dict[str, Any]:
        """The hyper-parameters to store (by default ``get_params(deep=False)``)."""
        return dict(obj.get_params(deep=False))

    def check_params(self, class_name: str, params: dict[str, Any]) -> None:
        """Raise ValueError if ``params`` may not be stored or rebuilt (at save and at load)."""

    def state(self, obj: Any) -> tuple[dict[str, np.ndarray], Any]:
        """``(arrays, state)``: named arrays stored as tensors and a JSON-encodable state."""
        raise NotImplementedError

    def restore(self, obj: Any, arrays: dict[str, np.ndarray], state: Any) -> None:
        """Put the fitted state back on ``obj``, freshly built from its hyper-parameters."""
        raise NotImplementedError


#: The classes a model file can hold, by class name (case matters: files name classes exactly),
#: each entry's ``metadata["codec"]`` its :class:`StepCodec`. The built-ins are sealed by
#: :mod:`sigmanet.io` once its codec modules have registered them.
REGISTRY: Registry[type] = Registry("model-file step", case_sensitive=True)


def register_step(cls: type, codec: StepCodec | None = None) -> None:
    """Allow :func:`~sigmanet.io.save` and :func:`~sigmanet.io.load` to store objects of ``cls``.

    Parameters
    ----------
    cls : type
        A scikit-learn compatible class (``get_params``, a constructor taking its
        hyper-parameters). Files name it by ``cls.__name__``, which must not already name
        another class. Registering the same class again replaces its codec.
    codec : StepCodec, optional
        How its fitted state is stored; by default
        :class:`~sigmanet.io.sklearn_steps.AttributeCodec` (every fitted attribute). A class
        following sigmanet's ``_get_state``/``_set_state`` protocol takes
        :class:`~sigmanet.io.sigmanet_steps.EstimatorStateCodec`.

    Examples
    --------
    A transformer whose fitted state is plain attributes (arrays, numbers, strings)::

        from sigmanet.io import register_step
        register_step(MyScaler)

    ``REGISTRY.unregister("MyScaler")`` takes it back.
    """
    from sigmanet.io.sklearn_steps import AttributeCodec

    if not isinstance(cls, type):
        raise TypeError(f"cls must be a class; got {cls!r}.")
    if codec is None:
        codec = AttributeCodec()
    if not isinstance(codec, StepCodec):
        raise TypeError(f"codec must be a StepCodec; got {type(codec).__name__}.")
    if cls.__name__ in REGISTRY:
        existing = REGISTRY.get(cls.__name__)
        if existing is not cls:
            raise ValueError(
                f"a different class named {cls.__name__!r} is already registered "
                f"({existing.__module__}.{existing.__qualname__})."
            )
    REGISTRY.register(cls.__name__, cls, overwrite=True, codec=codec)


def supported_steps() -> list[str]:
    """The names of the classes a model file can hold, sorted."""
    return REGISTRY.names()


def names() -> list[str]:
    """The names of the classes a model file can hold, sorted (as :func:`supported_steps`)."""
    return REGISTRY.names()


def get(name: str) -> type:
    """The class a model file names ``name``; a ValueError listing the supported ones if none."""
    return REGISTRY.get(name)


def unknown(name: Any) -> str:
    """Why ``name`` is not a class a model file can hold: the supported names, the closest."""
    if isinstance(name, str):
        try:
            REGISTRY.canonical(name)
        except ValueError as exc:
            return str(exc)
    return f"Valid names: {', '.join(map(repr, REGISTRY.names()))}."


def codecs() -> dict[str, tuple[type, StepCodec]]:
    """Every class a model file can hold, by name, with its codec."""
    return {entry.name: (entry.item, entry.metadata["codec"]) for entry in REGISTRY.entries()}


def codec_for(obj: Any, table: dict[str, tuple[type, StepCodec]]) -> tuple[str, StepCodec] | None:
    """``(class name, codec)`` of ``obj`` in ``table`` (from :func:`codecs`), or None.

    The class must be the very one registered: a class of another module that merely shares
    its name is not it.
    """
    entry = table.get(type(obj).__name__)
    if entry is None or entry[0] is not type(obj):
        return None
    return type(obj).__name__, entry[1]


def build(
    cls: type,
    class_name: str,
    params: dict[str, Any],
    arrays: dict[str, np.ndarray],
    state: Any,
    source: str,
    codec: StepCodec | None = None,
) -> Any:
    """``cls(**params)``, checked, with its fitted state restored by ``codec``.

    Without a codec the state goes to the estimator's own ``_set_state`` (format 1). Every
    refusal is a :class:`~sigmanet.exceptions.ModelFileError` naming ``source`` and the class.
    A class that renamed or re-expressed hyper-parameters translates an older file's through
    its ``_upgrade_params(params) -> params`` classmethod first.
    """
    upgrade = getattr(cls, "_upgrade_params", None)
    if callable(upgrade):
        params = upgrade(dict(params))
    get_names = getattr(cls, "_get_param_names", None)
    if callable(get_names):
        try:
            known = set(get_names())
        except Exception as exc:  # pragma: no cover - a broken estimator class
            raise ModelFileError(f"{source}: cannot list {class_name}'s parameters.") from exc
        unknown = sorted(set(params) - known)
        if unknown:
            raise ModelFileError(
                f"{source}: {class_name} has no hyper-parameter(s) {unknown}; the file was "
                "written by an incompatible sigmanet."
            )
    try:
        estimator = cls(**params)
        if getattr(cls, "_parameter_constraints", None) is not None:
            estimator._validate_params()
    except Exception as exc:
        raise ModelFileError(
            f"{source}: {class_name} rejected the stored hyper-parameters: {exc}"
        ) from exc
    try:
        if codec is None:
            estimator._set_state(arrays, state)
        else:
            codec.restore(estimator, arrays, state)
    except Exception as exc:
        raise ModelFileError(
            f"{source}: {class_name} rejected the stored fitted state: {exc}"
        ) from exc
    return estimator
