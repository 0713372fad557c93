"""The recurrent layers ``SimpleRNN``, ``LSTM`` and ``GRU``, and ``check_gate_activation``.

They live in :mod:`sigmanet.layers.recurrent` (the shared machinery in
``sigmanet.layers.recurrent.base``, the gate check in ``sigmanet.layers.recurrent.gates``,
one module per cell) and are exported by :mod:`sigmanet.layers`; this module re-exports them
under the name they have always been imported by.
"""

from sigmanet.layers.recurrent import GRU, LSTM, SimpleRNN, check_gate_activation

__all__ = ["GRU", "LSTM", "SimpleRNN", "check_gate_activation"]
