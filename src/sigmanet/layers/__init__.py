"""Layers: ``forward(x)`` keeps what ``backward`` needs; ``backward(grad_output)`` returns
``grad_input`` and fills ``grads``, whose keys are those of ``params``.

The protocol is :class:`Layer` (``sigmanet.layers.base``); each layer lives in a module of
its own and registers itself in ``REGISTRY``, where
:meth:`sigmanet.network.Sequential.from_config` finds it by name. The recurrent layers
``SimpleRNN``, ``LSTM`` and ``GRU`` make up the subpackage :mod:`sigmanet.layers.recurrent`.
"""

from sigmanet.layers.activation import Activation
from sigmanet.layers.base import REGISTRY, Layer, get, names
from sigmanet.layers.dense import Dense
from sigmanet.layers.dropout import Dropout
from sigmanet.layers.maxout import Maxout
from sigmanet.layers.prelu import PReLU
from sigmanet.layers.recurrent import GRU, LSTM, SimpleRNN, check_gate_activation
from sigmanet.layers.softmax import Softmax

REGISTRY.seal()

__all__ = [
    "GRU",
    "LSTM",
    "REGISTRY",
    "Activation",
    "Dense",
    "Dropout",
    "Layer",
    "Maxout",
    "PReLU",
    "SimpleRNN",
    "Softmax",
    "check_gate_activation",
    "get",
    "names",
]
