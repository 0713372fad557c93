"""The elementwise activation layer ``a = f(z)``, for any activation in
:mod:`sigmanet.activations`."""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet import activations as _activations
from sigmanet.layers.base import REGISTRY, Layer

__all__ = ["Activation"]


@REGISTRY.register("Activation")
class Activation(Layer):
    """Elementwise activation ``a = f(z)``; backward ``∂L/∂z = ∂L/∂a ⊙ f'(z)``.

    Parameters
    ----------
    activation : str or sigmanet.activations.Activation
        Any registered name (see :func:`sigmanet.activations.names`).
    **params
        The activation's parameters, e.g. ``alpha`` for ``leaky_relu``.
    """

    def __init__(self, activation: Any = "relu", **params: float) -> None:
        super().__init__()
        self.activation = _activations.get(activation, **params)
        # the layer's buffers meet what the activation would check on every call
        self._f, self._f_backward = self.activation.kernels()
        spec = self.activation.spec
        self._is_relu = spec.builtin and spec.function is _activations.relu

    def get_config(self) -> dict[str, Any]:
        return {"activation": self.activation.get_config()}

    def forward(
        self, x: Any, training: bool = False, *, overwrite_input: bool = False
    ) -> np.ndarray:
        if overwrite_input and not training:
            x = self._check_input(x)
            self._cache = None  # x is about to hold f(x): nothing left for backward
            return self._apply(x, x)
        return super().forward(x, training)

    def _forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        a = self._out("a", x.shape, training)
        self._apply(x, a)
        self._cache = (x, a)
        return a

    #: Largest input (elements) for which ReLU keeps an array of zeros to compare with.
    relu_zeros_limit = 2**21

    def _apply(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        if self._is_relu and x.size <= self.relu_zeros_limit:
            # max(x, 0) against an array of zeros, not the scalar: with a scalar operand NumPy
            # takes a loop 4x slower on a (256, 256) float32 batch (a broadcast row of zeros is
            # still 1.6x slower). Same results, NaN and ±inf included.
            zeros = self._buffers.get("zeros", x.shape, self.dtype, fill=0)
            return np.maximum(x, zeros, out=out)
        return self._f(x, out=out)

    def _backward(self, grad_output: np.ndarray, need_input_grad: bool) -> np.ndarray | None:
        x, a = self._cache  # type: ignore[misc]
        grad_input = self._out("grad_input", x.shape, True)
        if grad_output.dtype != self.dtype:
            grad_output = grad_output.astype(self.dtype)
        return self._f_backward(x, a, grad_output, out=grad_input)
