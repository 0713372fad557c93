"""``Sequential``: layers in a row, with forward and backward propagation through all of them.

For an L-layer network with pre-activations ``z[l] = a[l-1] W[l] + b[l]`` and activations
``a[l] = g(z[l])`` (``a[0] = x``), backpropagation is the seeds' recursion, vectorised over the
batch (rows are samples, so the seeds' column-vector formulas appear transposed)::

    dz[L] = ∂L/∂z[L]                            (e.g. softmax(z) - y, already divided by m)
    dW[l] = a[l-1]ᵀ dz[l]      db[l] = Σ_rows dz[l]
    dz[l-1] = (dz[l] W[l]ᵀ) ⊙ g'(z[l-1])

Each ``Dense`` layer computes the first two lines and passes ``dz[l] W[l]ᵀ`` back; the following
``Activation`` layer multiplies by ``g'(z)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from sigmanet._arrays import as_float_array
from sigmanet.layers import Dense, Layer, Maxout

__all__ = ["Sequential"]


class Sequential:
    """A stack of layers applied in order.

    Parameters
    ----------
    layers : iterable of Layer
        Applied first to last in :meth:`forward`, last to first in :meth:`backward`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigmanet.layers import Dense, Activation
    >>> net = Sequential([Dense(4), Activation("tanh"), Dense(1)]).build(3, random_state=0)
    >>> net.forward(np.ones((2, 3))).shape
    (2, 1)
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        self.layers = list(layers)
        for index, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"layers[{index}] is a {type(layer).__name__}, not a sigmanet Layer."
                )
        self.input_dim: int | None = None
        self.output_dim: int | None = None
        self.dtype: np.dtype[Any] = np.dtype(np.float64)

    def build(self, input_dim: int, random_state: Any = None, dtype: Any = np.float64):
        """Create every layer's parameters for inputs of width ``input_dim``; return ``self``.

        ``random_state`` (int, Generator or None) seeds the initializers, so the same seed
        gives the same weights.
        """
        rng = np.random.default_rng(random_state)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64; got {self.dtype}.")
        width = int(input_dim)
        self.input_dim = width
        for layer in self.layers:
            width = layer.build(width, rng, self.dtype)
        self.output_dim = width
        return self

    # -- propagation ------------------------------------------------------------------------
    def forward(self, x: Any, training: bool = False) -> np.ndarray:
        """Propagate ``x`` of shape ``(n, input_dim)`` through every layer."""
        if self.input_dim is None:
            raise RuntimeError("Sequential is not built: call build(input_dim) first.")
        output = as_float_array(x, "x")
        for layer in self.layers:
            output = layer.forward(output, training=training)
        return output

    def backward(self, grad_output: Any, need_input_grad: bool = False) -> np.ndarray | None:
        """Backpropagate ∂L/∂output through every layer, filling each layer's ``grads``.

        The first layer's ∂L/∂x is only computed when ``need_input_grad`` is true: training
        never needs it, and for the first Dense layer it costs as much as its weight gradient.
        """
        grad = np.asarray(grad_output)
        last = len(self.layers) - 1
        for index in range(last, -1, -1):
            needed = need_input_grad or index > 0
            grad = self.layers[index].backward(grad, need_input_grad=needed)
        return grad

    # -- parameters ---------------------------------------------------------------------------
    def parameters(self) -> list[np.ndarray]:
        """Every trainable array, layer by layer (the order :meth:`gradients` uses)."""
        return [value for layer in self.layers for value in layer.params.values()]

    def gradients(self) -> list[np.ndarray]:
        """∂L/∂param for each array of :meth:`parameters`, after :meth:`backward`."""
        return [layer.grads[name] for layer in self.layers for name in layer.params]

    def named_parameters(self) -> Iterator[tuple[str, np.ndarray]]:
        """``("<layer index>.<name>", array)`` pairs, e.g. ``("0.W", ...)``."""
        for index, layer in enumerate(self.layers):
            for name, value in layer.params.items():
                yield f"{index}.{name}", value

    def weight_matrices(self) -> list[np.ndarray]:
        """The ``W`` of every Dense and Maxout layer: what an L2 penalty acts on."""
        return [layer.params["W"] for layer in self.layers if isinstance(layer, Dense | Maxout)]

    def weight_gradients(self) -> list[np.ndarray]:
        """The gradients of :meth:`weight_matrices`, in the same order."""
        return [layer.grads["W"] for layer in self.layers if isinstance(layer, Dense | Maxout)]

    @property
    def n_parameters(self) -> int:
        """The number of trainable scalars."""
        return int(sum(value.size for value in self.parameters()))

    def __repr__(self) -> str:
        inner = ",\n    ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n    {inner}\n])"
