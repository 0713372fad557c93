"""How scikit-learn's transformers and pipelines are stored in a model file.

Their fitted state is plain instance attributes, so :class:`AttributeCodec` stores every
attribute that is not a hyper-parameter: arrays of numbers as tensors, everything else in the
JSON description. That is what the installed scikit-learn's fitted object holds, private
attributes included, so a file names the scikit-learn version it was saved with and loading it
under another version warns (:attr:`~sigmanet.io.steps.StepCodec.sklearn_state`).

The classes: ``Pipeline``, ``ColumnTransformer`` (``remainder="drop"`` or ``"passthrough"``),
``SimpleImputer`` (with its ``MissingIndicator``), ``OneHotEncoder``, ``StandardScaler``,
``MinMaxScaler``, and, only without functions (a model file never stores code), the identity
``FunctionTransformer`` and ``TransformedTargetRegressor`` with a ``transformer``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, OneHotEncoder, StandardScaler

from sigmanet.io.steps import REGISTRY, StepCodec

__all__ = ["AttributeCodec", "NoFunctionCodec"]

_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class AttributeCodec(StepCodec):
    """Stores every instance attribute that is not a hyper-parameter (the fitted attributes).

    Arrays of numbers among them become tensors, everything else goes into the JSON
    description; a value that is neither (a function, an arbitrary object) is refused at save
    time with its name. Rebuilding sets the same attributes on the new object. This suits
    scikit-learn transformers, whose fitted state is plain attributes; it stores what the
    installed scikit-learn's fitted object holds, private attributes included.
    """

    def state(self, obj: Any) -> tuple[dict[str, np.ndarray], Any]:
        params = obj.get_params(deep=False)
        fitted = {name: value for name, value in vars(obj).items() if name not in params}
        for name in fitted:
            self._check_attribute(type(obj), name)
        return {}, fitted

    def restore(self, obj: Any, arrays: dict[str, np.ndarray], state: Any) -> None:
        if not isinstance(state, dict):
            raise ValueError("the fitted state must be a mapping of attribute names.")
        params = obj.get_params(deep=False)
        for name, value in state.items():
            self._check_attribute(type(obj), name)
            if name in params:
                raise ValueError(f"fitted attribute {name!r} is a hyper-parameter.")
            setattr(obj, name, value)

    @staticmethod
    def _check_attribute(cls: type, name: Any) -> None:
        # Only data attributes of the instance: never a method, property or dunder of the class.
        if (
            not isinstance(name, str)
            or not _ATTRIBUTE_NAME.fullmatch(name)
            or name.startswith("__")
            or hasattr(cls, name)
        ):
            raise ValueError(f"{name!r} cannot be stored or restored as a fitted attribute.")


class NoFunctionCodec(AttributeCodec):
    """A class that can hold functions (``func``, ``inverse_func``), stored only without them:
    the identity ``FunctionTransformer`` that ``ColumnTransformer`` fits for
    ``remainder="passthrough"``, a ``TransformedTargetRegressor`` with a ``transformer``."""

    def check_params(self, class_name: str, params: dict[str, Any]) -> None:
        for name in ("func", "inverse_func"):
            if params.get(name) is not None:
                raise ValueError(
                    f"{class_name} can be saved only with {name}=None: a model file never "
                    "stores code."
                )


for _cls in (
    Pipeline,
    ColumnTransformer,
    SimpleImputer,
    MissingIndicator,  # SimpleImputer(add_indicator=True) holds one
    OneHotEncoder,
    StandardScaler,
    MinMaxScaler,
):
    REGISTRY.register(_cls.__name__, _cls, codec=AttributeCodec())
for _cls in (FunctionTransformer, TransformedTargetRegressor):
    REGISTRY.register(_cls.__name__, _cls, codec=NoFunctionCodec())
del _cls
