"""The row-wise softmax layer and its vector-Jacobian product."""

from __future__ import annotations

import numpy as np

from sigmanet import activations as _activations
from sigmanet.layers.base import REGISTRY, Layer

__all__ = ["Softmax"]


@REGISTRY.register("Softmax")
class Softmax(Layer):
    """Row-wise softmax ``s_i = e^{x_i - max x} / Σ_j e^{x_j - max x}``.

    Backward is the vector-Jacobian product with ``J = diag(s) - s sᵀ``:
    ``∂L/∂x = s ⊙ (g - ⟨g, s⟩)``. For classification prefer logits and
    :func:`sigmanet.losses.softmax_cross_entropy_with_logits`, whose fused gradient is
    ``softmax(x) - y``.
    """

    def _forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        s = _activations.softmax(x, axis=-1)
        self._cache = (x, s)
        return s

    def _backward(self, grad_output: np.ndarray, need_input_grad: bool) -> np.ndarray | None:
        s = self._cache[1]  # type: ignore[index]
        return _activations.softmax_vjp(s, grad_output, axis=-1)
