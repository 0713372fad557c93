"""The maxout layer: the maximum of several affine pieces per unit."""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet import initializers as _initializers
from sigmanet.layers.base import REGISTRY, Layer
from sigmanet.layers.dense import affine

__all__ = ["Maxout"]


@REGISTRY.register("Maxout")
class Maxout(Layer):
    """Maxout (Goodfellow et al. 2013): ``h_j = max_k (x W_{jk} + b_{jk})`` over ``pieces`` k.

    Each unit is the maximum of ``pieces`` affine functions, a learned piecewise-linear
    convex activation; ReLU is the special case max(0, z). Backward routes ∂L/∂h_j only to the
    piece that won the max (the others get zero gradient), then through that piece's affine map.

    Parameters
    ----------
    units : int
        Output width.
    pieces : int
        Affine pieces per unit (k ≥ 2).
    """

    def __init__(self, units: int, pieces: int = 2, *, initializer: Any = "glorot_uniform"):
        super().__init__()
        if int(units) != units or units < 1:
            raise ValueError(f"units must be a positive integer; got {units!r}.")
        if int(pieces) != pieces or pieces < 1:
            raise ValueError(f"pieces must be a positive integer; got {pieces!r}.")
        self.units = int(units)
        self.pieces = int(pieces)
        self.initializer = initializer
        _initializers.get(initializer)

    def get_config(self) -> dict[str, Any]:
        init = self.initializer if isinstance(self.initializer, str) else "custom"
        return {"units": self.units, "pieces": self.pieces, "initializer": init}

    def weight_names(self) -> list[str]:
        return ["W"]

    def _build(self, input_dim: int, rng: np.random.Generator, dtype: np.dtype[Any]) -> int:
        init = _initializers.get(self.initializer)
        width = self.units * self.pieces
        self.params = {
            "W": np.ascontiguousarray(init(input_dim, width, rng, dtype)),
            "b": np.zeros(width, dtype=dtype),
        }
        return self.units

    def _forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        n = x.shape[0]
        shape = (n, self.units * self.pieces)
        z = self._out("z", shape, training)
        scratch = self._buffers.get("bias", shape, self.dtype) if training else None
        affine(x, self.params["W"], self.params["b"], z, scratch)
        pieces = z.reshape(n, self.units, self.pieces)
        winner = np.argmax(pieces, axis=2)[..., None]
        h = self._out("h", (n, self.units), training)
        h[...] = np.take_along_axis(pieces, winner, axis=2)[..., 0]
        self._cache = (x, winner, h)
        return h

    def _backward(self, grad_output: np.ndarray, need_input_grad: bool) -> np.ndarray | None:
        x, winner, _ = self._cache  # type: ignore[misc]
        n = x.shape[0]
        grad_z = self._out("grad_z", (n, self.units * self.pieces), True)
        grad_z.fill(0)
        np.put_along_axis(
            grad_z.reshape(n, self.units, self.pieces), winner, grad_output[..., None], axis=2
        )
        np.matmul(x.T, grad_z, out=self.grads["W"])
        np.sum(grad_z, axis=0, out=self.grads["b"])
        if not need_input_grad:
            return None
        grad_input = self._out("grad_input", x.shape, True)
        np.matmul(grad_z, self.params["W"].T, out=grad_input)
        return grad_input
