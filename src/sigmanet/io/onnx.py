"""Export to ONNX: a whole fitted pipeline as one graph, for serving without Python.

:func:`to_onnx` writes the graph of a fitted sigmanet estimator, or of a scikit-learn
``Pipeline`` ending in one, with its preprocessing: ``StandardScaler``, sigmanet's
``StableStandardScaler``, ``MinMaxScaler``, ``SimpleImputer`` (and its missing-value
indicator), ``OneHotEncoder``, ``ColumnTransformer``, ``InputColumns``,
``TransformedTargetRegressor`` and the identity ``FunctionTransformer``, nested as the model
files allow. It is built with the ``onnx`` package's helper API (``pip install
sigmanet[onnx]``).

The estimators: :class:`~sigmanet.LogisticRegression`, :class:`~sigmanet.SoftmaxRegression`,
:class:`~sigmanet.MLPClassifier` and :class:`~sigmanet.MLPRegressor` with every hidden layer
they build: every activation (:data:`sigmanet.io.onnx_graph.ACTIVATIONS`, written in the
overflow-free forms sigmanet uses), maxout, PReLU, and dropout (the identity at inference).
The recurrent estimators are refused, as is any step of another class.

Inputs and outputs
------------------
As ``skl2onnx`` names them (with ``zipmap=False``):

* a model of numbers only takes one input ``"X"``, shape ``(n_samples, n_features)``, in the
  estimator's dtype (float32 or float64);
* a model with categorical columns (a ``OneHotEncoder`` or ``SimpleImputer`` of strings) takes
  one input per column, named after the column (``InputColumns``' names, else
  ``feature_names_in_``, else ``"x0"``, ``"x1"``, ...), shape ``(n_samples, 1)``: strings for
  the categorical columns, the estimator's dtype for the others. A missing category is the
  empty string ``""``; a missing number is NaN;
* a classifier gives ``"label"`` (shape ``(n_samples,)``, the type of ``classes_``; for a
  multilabel MLP ``(n_samples, n_classes)`` of 0/1) and ``"probabilities"`` (shape
  ``(n_samples, n_classes)``), or ``"scores"`` (``decision_function``) when it has no
  probabilities (``loss="hinge"``);
* a regressor gives ``"variable"``, shape ``(n_samples, n_outputs)``.

What the graph does not do: it cannot raise, so a category unseen in training (which
``OneHotEncoder(handle_unknown="error")`` refuses) becomes a row of zeros, and values beyond
the float32 range are not refused. The graph uses opset :data:`OPSET` of the default domain;
onnxruntime has no float64 kernel for ``Erf``, so a float64 model with GELU runs in runtimes
that implement it (such as ``onnx.reference``), not in onnxruntime.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from sigmanet._array_api import to_numpy
from sigmanet.io.atomic import as_path, check_destination, write_atomically
from sigmanet.io.onnx_graph import ACTIVATIONS, REFUSED_ACTIVATIONS, Graph, Matrix, Table

__all__ = ["OPSET", "to_onnx"]

#: The version of ONNX's default operator set the graphs use.
OPSET = 19
#: The ONNX IR version of the files: that of opset 19 (onnx 1.14), which runtimes since read.
_IR_VERSION = 9
#: The names of the graph's outputs, as skl2onnx names them.
_OUTPUTS = ("label", "probabilities", "scores", "variable")


def to_onnx(
    model: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
) -> Any:
    """The ONNX graph of a fitted sigmanet estimator or whole pipeline; written to ``path``.

    Parameters
    ----------
    model : sigmanet estimator or sklearn.pipeline.Pipeline
        A fitted LogisticRegression, SoftmaxRegression, MLPClassifier or MLPRegressor, or a
        fitted ``Pipeline`` of the steps the module documentation lists ending in one (or in a
        ``TransformedTargetRegressor`` around one).
    path : str or os.PathLike, optional
        Where to write the ``.onnx`` file, as :func:`sigmanet.save` writes: whole or not at
        all (:func:`~sigmanet.io.atomic.write_atomically`).
    overwrite : bool, default=False
        Replace an existing file. Without it an existing file is never touched.

    Returns
    -------
    onnx.ModelProto
        The model, checked by ``onnx.checker``.

    Raises
    ------
    ImportError
        If the ``onnx`` package is not installed.
    sklearn.exceptions.NotFittedError
        If the model has not been fitted.
    ValueError
        For a step, layer or activation that cannot be exported (the message names it), or
        a model that does not end in a sigmanet estimator.
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import sigmanet
    >>> from sigmanet.io import to_onnx
    >>> X = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> model = make_pipeline(StandardScaler(), sigmanet.LogisticRegression()).fit(X, y)
    >>> graph = to_onnx(model)
    >>> [output.name for output in graph.graph.output]
    ['label', 'probabilities']
    """
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            "exporting to ONNX needs the onnx package: pip install 'sigmanet[onnx]'"
        ) from exc
    from sklearn.utils.validation import check_is_fitted

    if path is not None:
        path = as_path(path)
        check_destination(path, overwrite)
    check_is_fitted(model)
    proto = _Exporter(model).build()
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        write_atomically(path, proto.SerializeToString(), overwrite=overwrite)
    return proto


def _name(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _refuse(obj: Any, why: str) -> ValueError:
    return ValueError(f"cannot export {_name(obj)} to ONNX: {why}")


def _steps(model: Any) -> list[Any]:
    """The steps of ``model`` in order, nested pipelines flattened."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        return [
            step for _, inner in model.steps for step in _steps(inner) if inner != "passthrough"
        ]
    return [model]


class _Exporter:
    """Walks a fitted model and writes its graph."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.steps = _steps(model)
        self.final = _final_estimator(self.steps[-1])
        self.dtype = np.dtype(self.final.network_.dtype)

    def build(self) -> Any:
        """The ONNX model: the inputs, the preprocessing steps, the estimator, its outputs."""
        from onnx import TensorProto, helper

        from sigmanet._version import __version__
        from sigmanet.io import onnx_preprocessing

        inputs, value = self._inputs(helper, TensorProto)
        clashes = sorted({i.name for i in inputs} & set(_OUTPUTS))
        if clashes:
            raise _refuse(
                self.model,
                f"its input column(s) {clashes} have the names of the graph's outputs "
                f"{list(_OUTPUTS)}; rename them.",
            )
        graph = Graph(self.dtype, reserved=[i.name for i in inputs] + list(_OUTPUTS))
        self.graph = graph
        for step in self.steps[:-1]:
            value = onnx_preprocessing.convert(graph, step, value)
        output_infos = self._estimator(self.steps[-1], value, helper)
        model = helper.make_model(
            helper.make_graph(
                graph.nodes,
                "sigmanet",
                inputs,
                output_infos,
                initializer=graph.initializers,
            ),
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="sigmanet",
            producer_version=__version__,
            doc_string=f"{_name(self.model)} exported by sigmanet {__version__}",
        )
        model.ir_version = _IR_VERSION
        return model

    # -- inputs --------------------------------------------------------------------------------

    def _inputs(self, helper: Any, TensorProto: Any) -> tuple[list[Any], Any]:
        tensor_type = TensorProto.FLOAT if self.dtype == np.float32 else TensorProto.DOUBLE
        n_features = _n_features_in(self.model)
        kinds = _column_kinds(self.steps, n_features)
        if "string" not in kinds:
            info = helper.make_tensor_value_info("X", tensor_type, [None, n_features])
            return [info], Matrix("X", n_features)
        names = _column_names(self.steps, n_features)
        infos = [
            helper.make_tensor_value_info(
                name, TensorProto.STRING if kind == "string" else tensor_type, [None, 1]
            )
            for name, kind in zip(names, kinds, strict=True)
        ]
        return infos, Table(list(zip(names, kinds, strict=True)))

    # -- the estimator -------------------------------------------------------------------------

    def _estimator(self, step: Any, value: Any, helper: Any) -> list[Any]:
        from sklearn.base import is_classifier

        from sigmanet.io.onnx_preprocessing import as_matrix, inverse_transform

        graph = self.graph
        estimator = _final_estimator(step)
        z = _network(graph, estimator, as_matrix(graph, value, estimator))
        tensor_type = helper.np_dtype_to_tensor_dtype(self.dtype)
        n_outputs = estimator.network_.layers[-1].units
        if not is_classifier(estimator):
            prediction = graph.op("Exp", [z]) if estimator.out_activation_ == "exp" else z
            if step is not estimator:  # a TransformedTargetRegressor
                prediction = inverse_transform(graph, step.transformer_, prediction)
            graph.rename(prediction, "variable")
            return [helper.make_tensor_value_info("variable", tensor_type, [None, n_outputs])]
        label, label_type, label_shape = _labels(graph, estimator, z, helper)
        graph.rename(label, "label")
        outputs = [helper.make_tensor_value_info("label", label_type, label_shape)]
        if hasattr(estimator, "predict_proba"):
            graph.rename(_probabilities(graph, estimator, z), "probabilities")
            n_classes = int(estimator.classes_.shape[0])
            outputs.append(
                helper.make_tensor_value_info("probabilities", tensor_type, [None, n_classes])
            )
        else:
            scores = z if n_outputs > 1 else _column(graph, z)
            graph.rename(scores, "scores")
            shape = [None, n_outputs] if n_outputs > 1 else [None]
            outputs.append(helper.make_tensor_value_info("scores", tensor_type, shape))
        return outputs


def _final_estimator(step: Any) -> Any:
    """The sigmanet estimator a model ends in (inside a TransformedTargetRegressor too)."""
    from sklearn.compose import TransformedTargetRegressor

    from sigmanet.estimators import (
        LogisticRegression,
        MLPClassifier,
        MLPRegressor,
        SoftmaxRegression,
    )

    exportable = (LogisticRegression, SoftmaxRegression, MLPClassifier, MLPRegressor)
    estimator = step.regressor_ if isinstance(step, TransformedTargetRegressor) else step
    if type(estimator) in exportable:
        return estimator
    from sigmanet.estimators import ESTIMATORS

    if type(estimator) in ESTIMATORS.values():
        raise _refuse(
            estimator,
            "recurrent networks have no ONNX export; the exported estimators are "
            "LogisticRegression, SoftmaxRegression, MLPClassifier and MLPRegressor.",
        )
    raise _refuse(
        estimator,
        "a model to export must end in a sigmanet LogisticRegression, SoftmaxRegression, "
        "MLPClassifier or MLPRegressor (alone, in a Pipeline, or in a "
        "TransformedTargetRegressor).",
    )


def _n_features_in(model: Any) -> int:
    n_features = getattr(model, "n_features_in_", None)
    if n_features is None:
        raise _refuse(model, "it does not record its number of input features.")
    return int(n_features)


def _column_kinds(steps: list[Any], n_features: int) -> list[str]:
    """Per input column, "string" if the model reads it as categories, else "number"."""
    from sigmanet.io.onnx_preprocessing import string_columns

    first = 1 if type(steps[0]).__name__ == "InputColumns" else 0
    strings = string_columns(steps[first]) if len(steps) > first + 1 else set()
    return ["string" if index in strings else "number" for index in range(n_features)]


def _column_names(steps: list[Any], n_features: int) -> list[str]:
    names = getattr(steps[0], "feature_names_in_", None)
    if names is None or len(names) != n_features:
        return [f"x{index}" for index in range(n_features)]
    return [str(name) for name in names]


# -- the network --------------------------------------------------------------------------------


def _network(graph: Graph, estimator: Any, x: str) -> str:
    """The output layer's values (logits) of a sigmanet estimator's network."""
    from sigmanet.layers import Activation, Dense, Dropout, Maxout, PReLU

    for layer in estimator.network_.layers:
        if isinstance(layer, Dense):
            x = graph.affine(x, layer.params["W"], layer.params.get("b"))
        elif isinstance(layer, Activation):
            config = dict(layer.activation.get_config())
            name = config.pop("name")
            if name in REFUSED_ACTIVATIONS or name not in ACTIVATIONS:
                why = REFUSED_ACTIVATIONS.get(name, "it has no ONNX form in sigmanet")
                raise _refuse(estimator, f"activation {name!r}: {why}.")
            x = ACTIVATIONS[name](graph, x, **config)
        elif isinstance(layer, Dropout):
            continue  # the identity at inference
        elif isinstance(layer, PReLU):
            # x where x > 0, α x elsewhere (x = 0 gives 0 either way)
            slope = graph.op("Mul", [x, graph.constant(layer.params["alpha"], "alpha")])
            x = graph.where_positive(x, x, slope)
        elif isinstance(layer, Maxout):
            # h_j = max_k z[:, j, k] with z = x W + b seen as (n, units, pieces)
            z = graph.affine(x, layer.params["W"], layer.params["b"])
            shape = graph.constant([-1, layer.units, layer.pieces], dtype=np.int64)
            pieces = graph.op("Reshape", [z, shape])
            axis = graph.constant([2], dtype=np.int64)
            x = graph.op("ReduceMax", [pieces, axis], keepdims=0)
        else:
            raise _refuse(estimator, f"its network has a {type(layer).__name__} layer.")
    return x


def _labels(graph: Graph, estimator: Any, z: str, helper: Any) -> tuple[str, Any, list[Any]]:
    """The predicted labels from the logits ``z``: their name, ONNX type and shape."""
    # a model fit under array-API dispatch keeps classes_ in y's namespace, on its device
    classes = to_numpy(estimator.classes_)
    if getattr(estimator, "_multilabel", False):
        label = graph.op(
            "Cast", [graph.op("Greater", [z, graph.constant(0.0)])], to=graph.int64_type
        )
        return label, helper.np_dtype_to_tensor_dtype(np.dtype(np.int64)), [None, len(classes)]
    if len(classes) < 2:
        raise _refuse(estimator, "it was fitted on a single class.")
    if classes.dtype.kind in "UO":
        classes = np.asarray([str(item) for item in classes], dtype=object)
        label_type = helper.np_dtype_to_tensor_dtype(np.dtype(object))
    else:
        label_type = helper.np_dtype_to_tensor_dtype(classes.dtype)
    if estimator.network_.layers[-1].units == 1:
        positive = graph.op("Greater", [z, graph.constant(0.0)])
        index = graph.op("Cast", [positive], to=graph.int64_type)
        index = _column(graph, index)
    else:
        index = graph.op("ArgMax", [z], axis=1, keepdims=0)
    table = graph.constant(classes, "classes", dtype=classes.dtype)
    return graph.op("Gather", [table, index], axis=0), label_type, [None]


def _column(graph: Graph, x: str) -> str:
    """``x[:, 0]`` of an (n, 1) tensor."""
    return graph.op("Squeeze", [x, graph.constant([1], dtype=np.int64)])


def _probabilities(graph: Graph, estimator: Any, z: str) -> str:
    from sigmanet.estimators import LogisticRegression
    from sigmanet.io.onnx_graph import ACTIVATIONS as forms

    if getattr(estimator, "_multilabel", False):
        return graph.op("Sigmoid", [z])
    if estimator.network_.layers[-1].units == 1:
        negative = graph.op("Sigmoid", [graph.op("Neg", [z])])
        return graph.op("Concat", [negative, graph.op("Sigmoid", [z])], axis=1)
    if isinstance(estimator, LogisticRegression):
        # one sigmoid per class, normalised: softmax(log σ(z)) is σ_k / Σ_j σ_j without 0/0
        z = forms["log_sigmoid"](graph, z)
    return graph.op("Softmax", [z], axis=1)
