"""Layers: ``forward(x)`` keeps what ``backward`` needs; ``backward(grad_output)`` returns
``grad_input`` and fills ``grads``, whose keys are those of ``params``.

The protocol is :class:`Layer` (``sigmanet.layers.base``); each layer lives in a module of
its own and registers itself in ``REGISTRY``, where
:meth:`sigmanet.network.Sequential.from_config` finds it by name. The recurrent layers
(:mod:`sigmanet.recurrent`) register there too.
"""

from sigmanet.layers.activation import Activation
from sigmanet.layers.base import REGISTRY, Layer, get, names
from sigmanet.layers.dense import Dense
from sigmanet.layers.dropout import Dropout
from sigmanet.layers.maxout import Maxout
from sigmanet.layers.prelu import PReLU
from sigmanet.layers.softmax import Softmax

# isort: split
# The recurrent layers are built-ins too: importing them here (after Layer and REGISTRY exist,
# which sigmanet.recurrent imports) registers them before the seal; sigmanet.recurrent seals
# again after registering, for when it is imported first.
from sigmanet import recurrent as _recurrent  # noqa: F401

REGISTRY.seal()

__all__ = [
    "REGISTRY",
    "Activation",
    "Dense",
    "Dropout",
    "Layer",
    "Maxout",
    "PReLU",
    "Softmax",
    "get",
    "names",
]
