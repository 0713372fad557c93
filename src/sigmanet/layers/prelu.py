"""The parametric ReLU layer, whose negative slope is learned."""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet.layers.base import REGISTRY, Layer

__all__ = ["PReLU"]


@REGISTRY.register("PReLU")
class PReLU(Layer):
    """Parametric ReLU (He et al. 2015): ``f(x) = x`` for x > 0, ``α x`` otherwise, α learned.

    One slope per unit. Gradients: ``∂L/∂α_j = Σ_{i: x_ij ≤ 0} x_ij g_ij`` and
    ``∂L/∂x = g`` where x > 0, ``α g`` elsewhere.
    """

    def __init__(self, alpha_init: float = 0.25) -> None:
        super().__init__()
        self.alpha_init = float(alpha_init)

    def get_config(self) -> dict[str, Any]:
        return {"alpha_init": self.alpha_init}

    def _build(self, input_dim: int, rng: np.random.Generator, dtype: np.dtype[Any]) -> int:
        self.params = {"alpha": np.full(input_dim, self.alpha_init, dtype=dtype)}
        return input_dim

    def _forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        negative = x <= 0
        a = self._out("a", x.shape, training)
        np.multiply(x, np.where(negative, self.params["alpha"], 1), out=a)
        self._cache = (x, negative, a)
        return a

    def _backward(self, grad_output: np.ndarray, need_input_grad: bool) -> np.ndarray | None:
        x, negative, _ = self._cache  # type: ignore[misc]
        self.grads["alpha"][...] = np.sum(np.where(negative, x * grad_output, 0), axis=0)
        if not need_input_grad:
            return None
        return grad_output * np.where(negative, self.params["alpha"], 1).astype(self.dtype)
