"""Building an ONNX graph: named values, constants and nodes, in one floating-point dtype.

:class:`Graph` is the small layer over the ``onnx`` package's helper API that the ONNX export
(:mod:`sigmanet.io.onnx`) writes with: every value gets a fresh name, every constant becomes an
initializer of the graph's dtype (float32 or float64: the model's), and each method adds the
nodes of one operation. The activations are written with the operators onnxruntime implements
for both float32 and float64 (``Exp``, ``Log``, ``Tanh``, ``Sigmoid``, ``Max``, ``Min``,
arithmetic), in the overflow-free forms sigmanet computes them with; GELU needs ``Erf``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ACTIVATIONS", "REFUSED_ACTIVATIONS", "Graph", "Matrix", "Table"]


@dataclass
class Matrix:
    """A value of the graph: one float tensor ``name`` of shape (n_samples, width)."""

    name: str
    width: int


@dataclass
class Table:
    """A value of the graph: its columns one by one, each an (n_samples, 1) tensor with its
    kind, ``"number"`` (the graph's dtype) or ``"string"``."""

    columns: list[tuple[str, str]]


class Graph:
    """The nodes, initializers and value names of an ONNX graph under construction.

    Parameters
    ----------
    dtype : numpy dtype
        float32 or float64: the type of every number the graph computes with.
    reserved : sequence of str
        Names taken already (the graph's inputs and outputs).
    """

    def __init__(self, dtype: np.dtype[Any], reserved: Sequence[str] = ()) -> None:
        from onnx import helper

        self.helper = helper
        self.dtype = np.dtype(dtype)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._taken = set(reserved)
        self._counter = 0

    @property
    def float_type(self) -> int:
        """The ONNX element type of the graph's dtype (for ``Cast``)."""
        return int(self.helper.np_dtype_to_tensor_dtype(self.dtype))

    @property
    def int64_type(self) -> int:
        """The ONNX element type of int64 (for ``Cast``)."""
        return int(self.helper.np_dtype_to_tensor_dtype(np.dtype(np.int64)))

    def name(self, hint: str) -> str:
        """A value name not used before, from ``hint``."""
        while True:
            self._counter += 1
            candidate = f"{hint}_{self._counter}"
            if candidate not in self._taken:
                self._taken.add(candidate)
                return candidate

    def constant(self, value: Any, hint: str = "c", dtype: Any = None) -> str:
        """An initializer holding ``value`` (in the graph's dtype unless ``dtype`` is given)."""
        from onnx import numpy_helper

        array = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        if array.dtype.kind in "UO":
            array = np.asarray([str(item) for item in array.ravel()], dtype=object).reshape(
                array.shape
            )
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, inputs: Sequence[str], hint: str = "", **attributes: Any) -> str:
        """Add one node of ``op_type``; return the name of its (single) output."""
        output = self.name(hint or op_type.lower())
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [output], **attributes))
        return output

    def rename(self, value: str, name: str) -> None:
        """Give ``value`` the graph output name ``name`` (an Identity node)."""
        self.nodes.append(self.helper.make_node("Identity", [value], [name]))

    # -- arithmetic with constants ---------------------------------------------------------

    def add(self, x: str, value: Any) -> str:
        return self.op("Add", [x, self.constant(value)])

    def mul(self, x: str, value: Any) -> str:
        return self.op("Mul", [x, self.constant(value)])

    def clip(self, x: str, low: float, high: float) -> str:
        """``min(max(x, low), high)`` (NaN stays NaN)."""
        return self.op("Min", [self.op("Max", [x, self.constant(low)]), self.constant(high)])

    def affine(self, x: str, weights: np.ndarray, bias: np.ndarray | None) -> str:
        """``x W + b``."""
        z = self.op("MatMul", [x, self.constant(weights, "W")])
        return z if bias is None else self.op("Add", [z, self.constant(bias, "b")])

    # -- the stable forms the activations are built from -----------------------------------

    def softplus(self, x: str) -> str:
        """``log(1 + e^x) = max(x, 0) + log(1 + e^(-abs(x)))``: ``e^(-abs(x)) ≤ 1`` never
        overflows."""
        tail = self.op("Exp", [self.op("Neg", [self.op("Abs", [x])])])
        return self.op(
            "Add", [self.op("Max", [x, self.constant(0.0)]), self.op("Log", [self.add(tail, 1.0)])]
        )

    def expm1_negative(self, x: str) -> str:
        """``e^min(x, 0) - 1``: the negative branch of ELU and SELU, which never overflows."""
        return self.add(self.op("Exp", [self.op("Min", [x, self.constant(0.0)])]), -1.0)

    def where_positive(self, x: str, positive: str, otherwise: str) -> str:
        """``positive`` where x > 0, else ``otherwise``."""
        return self.op("Where", [self.op("Greater", [x, self.constant(0.0)]), positive, otherwise])


def _leaky_relu(graph: Graph, x: str, alpha: float = 0.01) -> str:
    # max(x, 0) + α min(x, 0), as sigmanet computes it
    negative = graph.mul(graph.op("Min", [x, graph.constant(0.0)]), alpha)
    return graph.op("Add", [graph.op("Max", [x, graph.constant(0.0)]), negative])


def _elu(graph: Graph, x: str, alpha: float = 1.0) -> str:
    return graph.where_positive(x, x, graph.mul(graph.expm1_negative(x), alpha))


#: SELU's λ and α (Klambauer et al., "Self-normalizing neural networks", NeurIPS 2017).
_SELU_LAMBDA, _SELU_ALPHA = 1.0507009873554805, 1.6732632423543772


def _selu(graph: Graph, x: str) -> str:
    negative = graph.mul(graph.expm1_negative(x), _SELU_LAMBDA * _SELU_ALPHA)
    return graph.where_positive(x, graph.mul(x, _SELU_LAMBDA), negative)


def _log_sigmoid(graph: Graph, x: str) -> str:
    return graph.op("Neg", [graph.softplus(graph.op("Neg", [x]))])


def _softsign(graph: Graph, x: str) -> str:
    return graph.op("Div", [x, graph.add(graph.op("Abs", [x]), 1.0)])


def _hard_sigmoid(graph: Graph, x: str) -> str:
    return graph.op("Div", [graph.clip(graph.add(x, 3.0), 0.0, 6.0), graph.constant(6.0)])


def _gelu(graph: Graph, x: str) -> str:
    # ½ x (1 + erf(x / √2))
    erf = graph.op("Erf", [graph.mul(x, 1.0 / math.sqrt(2.0))])
    return graph.mul(graph.op("Mul", [x, graph.add(erf, 1.0)]), 0.5)


def _gelu_tanh(graph: Graph, x: str) -> str:
    # x σ(v), v = 2 √(2/π) (x + 0.044715 x³): ½(1 + tanh(u)) = σ(2u) without the cancellation
    cube = graph.op("Mul", [x, graph.op("Mul", [x, x])])
    inner = graph.op("Add", [x, graph.mul(cube, 0.044715)])
    v = graph.mul(inner, 2.0 * math.sqrt(2.0 / math.pi))
    return graph.op("Mul", [x, graph.op("Sigmoid", [v])])


def _softplus(graph: Graph, x: str, beta: float = 1.0) -> str:
    if beta == 1.0:
        return graph.softplus(x)
    return graph.mul(graph.softplus(graph.mul(x, beta)), 1.0 / beta)


def _generalized_logistic(
    graph: Graph, x: str, L: float = 1.0, k: float = 1.0, x0: float = 0.0
) -> str:
    return graph.mul(graph.op("Sigmoid", [graph.mul(graph.add(x, -x0), k)]), L)


#: ONNX forms of sigmanet's activations, by registered name: ``f(graph, x, **params)``.
ACTIVATIONS: dict[str, Callable[..., str]] = {
    "identity": lambda graph, x: x,
    "logistic": lambda graph, x: graph.op("Sigmoid", [x]),
    "sigmoid": lambda graph, x: graph.op("Sigmoid", [x]),
    "tanh": lambda graph, x: graph.op("Tanh", [x]),
    "relu": lambda graph, x: graph.op("Relu", [x]),
    "relu6": lambda graph, x: graph.clip(x, 0.0, 6.0),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "selu": _selu,
    "softplus": _softplus,
    "softsign": _softsign,
    "log_sigmoid": _log_sigmoid,
    "generalized_logistic": _generalized_logistic,
    "hard_sigmoid": _hard_sigmoid,
    "hardswish": lambda graph, x: graph.op("Mul", [x, _hard_sigmoid(graph, x)]),
    "gelu": _gelu,
    "gelu_tanh": _gelu_tanh,
    "silu": lambda graph, x: graph.op("Mul", [x, graph.op("Sigmoid", [x])]),
    "mish": lambda graph, x: graph.op("Mul", [x, graph.op("Tanh", [graph.softplus(x)])]),
}

#: Activations the export refuses, with the reason (none today: every activation an MLP takes
#: has an exact ONNX form). An activation registered by a user is refused too.
REFUSED_ACTIVATIONS: dict[str, str] = {}
