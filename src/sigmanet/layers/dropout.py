"""Inverted dropout: units dropped at random in training, the identity at inference."""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet.layers.base import REGISTRY, Layer

__all__ = ["Dropout"]


@REGISTRY.register("Dropout")
class Dropout(Layer):
    """Inverted dropout: in training ``y = x ⊙ m / (1 - rate)``, ``m_ij ~ Bernoulli(1 - rate)``.

    Scaling by ``1/(1 - rate)`` at training time keeps ``E[y] = x``, so inference is the
    identity (Srivastava et al. 2014). Backward: ``∂L/∂x = g ⊙ m / (1 - rate)``.

    Parameters
    ----------
    rate : float in [0, 1)
        Probability of dropping each unit.
    random_state : int, Generator or None
        Seed of the masks.
    """

    def __init__(self, rate: float = 0.5, random_state: Any = None) -> None:
        super().__init__()
        rate = float(rate)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1); got {rate!r}.")
        self.rate = rate
        self.random_state = random_state
        self._rng = np.random.default_rng(random_state)

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}

    def _forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        if not training or self.rate == 0.0:
            self._cache = (x, None, x)
            return x
        mask = self._buffers.get("mask", x.shape, self.dtype)
        self._rng.random(out=mask, dtype=self.dtype)
        # mask ← 1{u ≥ rate} / (1 - rate), computed in place
        np.greater_equal(mask, self.rate, out=mask, casting="unsafe")
        np.multiply(mask, 1.0 / (1.0 - self.rate), out=mask)
        y = self._buffers.get("y", x.shape, self.dtype)
        np.multiply(x, mask, out=y)
        self._cache = (x, mask, y)
        return y

    def _backward(self, grad_output: np.ndarray, need_input_grad: bool) -> np.ndarray | None:
        _, mask, _ = self._cache  # type: ignore[misc]
        if mask is None:
            return grad_output
        grad_input = self._out("grad_input", grad_output.shape, True)
        np.multiply(grad_output, mask, out=grad_input)
        return grad_input
