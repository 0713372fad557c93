"""``Sequential``: layers in a row, with forward and backward propagation through all of them.

For an L-layer network with pre-activations ``z[l] = a[l-1] W[l] + b[l]`` and activations
``a[l] = g(z[l])`` (``a[0] = x``), backpropagation (Rumelhart, Hinton & Williams 1986) is the
recursion below, vectorised over the batch (rows are samples, so textbook column-vector
formulas appear transposed)::

    dz[L] = ∂L/∂z[L]                            (e.g. softmax(z) - y, already divided by m)
    dW[l] = a[l-1]ᵀ dz[l]      db[l] = Σ_rows dz[l]
    dz[l-1] = (dz[l] W[l]ᵀ) ⊙ g'(z[l-1])

Each ``Dense`` layer computes the first two lines and passes ``dz[l] W[l]ᵀ`` back; the following
``Activation`` layer multiplies by ``g'(z)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from sigmanet import layers as _layers
from sigmanet._arrays import as_float_input, is_sparse
from sigmanet.layers import Layer

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
    >>> Sequential.from_config(net.get_config())
    Sequential([
        Dense(units=4, use_bias=True, initializer='glorot_uniform'),
        Activation(activation={'name': 'tanh'}),
        Dense(units=1, use_bias=True, initializer='glorot_uniform')
    ])
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
        self._flat_params: np.ndarray | None = None
        self._flat_grads: np.ndarray | None = None

    # -- description --------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The architecture, JSON-serialisable: ``{"layers": [{"class": name, "config": ...}]}``.

        Each ``name`` is the layer's name in ``sigmanet.layers.REGISTRY``, each
        ``config`` its :meth:`~sigmanet.layers.Layer.get_config`. Parameters are not included;
        :meth:`from_config` rebuilds an unbuilt network with the same layers.

        Raises
        ------
        ValueError
            If a layer's class is not registered (register it with
            ``sigmanet.layers.REGISTRY.register(name, cls)``).
        """
        described = []
        for index, layer in enumerate(self.layers):
            name = type(layer).__name__
            if name not in _layers.REGISTRY or _layers.REGISTRY.get(name) is not type(layer):
                raise ValueError(
                    f"layers[{index}] is a {name}, which is not in the layer registry; register "
                    f"it with sigmanet.layers.REGISTRY.register({name!r}, {name}) so that a "
                    "network holding it can be described and rebuilt."
                )
            described.append({"class": name, "config": layer.get_config()})
        return {"layers": described}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Sequential:
        """The (unbuilt) network :meth:`get_config` describes, its layers found by name in
        ``sigmanet.layers.REGISTRY``.

        Raises
        ------
        ValueError
            If ``config`` is not of the form ``{"layers": [{"class": ..., "config": ...}]}``,
            or names a layer that is not registered.
        """
        described = config.get("layers") if isinstance(config, Mapping) else None
        if not isinstance(described, list):
            raise ValueError(
                'config must be a mapping {"layers": [...]} as Sequential.get_config() returns; '
                f"got {config!r}."
            )
        layers = []
        for index, entry in enumerate(described):
            if not (
                isinstance(entry, Mapping)
                and isinstance(entry.get("class"), str)
                and isinstance(entry.get("config", {}), Mapping)
            ):
                raise ValueError(
                    f'config["layers"][{index}] must be a mapping {{"class": name, "config": '
                    f"{{...}}}}; got {entry!r}."
                )
            layers.append(_layers.get(entry["class"], **entry.get("config", {})))
        return cls(layers)

    def build(self, input_dim: int, random_state: Any = None, dtype: Any = np.float64):
        """Create every layer's parameters for inputs of width ``input_dim``; return ``self``.

        ``random_state`` (int, Generator, RandomState or None) seeds the initializers, so the
        same seed gives the same weights.
        """
        # a legacy RandomState is drawn from as it is (scikit-learn's streams stay reproducible)
        rng = (
            random_state
            if isinstance(random_state, np.random.RandomState)
            else np.random.default_rng(random_state)
        )
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64; got {self.dtype}.")
        width = int(input_dim)
        self.input_dim = width
        for layer in self.layers:
            width = layer.build(width, rng, self.dtype)
        self.output_dim = width
        self._pack()
        return self

    def _pack(self) -> None:
        """Move every parameter (and gradient) into one contiguous vector, leaving views behind.

        An optimizer then updates all parameters with a handful of NumPy calls on one array
        instead of a handful per array; layers keep using their ``params``/``grads`` dicts,
        which now hold views into the two vectors.
        """
        params = [
            (layer, name, value) for layer in self.layers for name, value in layer.params.items()
        ]
        size = sum(value.size for _, _, value in params)
        flat_params = np.empty(size, dtype=self.dtype)
        flat_grads = np.zeros(size, dtype=self.dtype)
        start = 0
        for layer, name, value in params:
            stop = start + value.size
            flat_params[start:stop] = value.reshape(-1)
            layer.params[name] = flat_params[start:stop].reshape(value.shape)
            layer.grads[name] = flat_grads[start:stop].reshape(value.shape)
            start = stop
        self._flat_params, self._flat_grads = flat_params, flat_grads

    def flat_parameters(self) -> np.ndarray:
        """Every parameter in one 1-D array whose elements *are* the layers' parameters.

        Writing into it changes the network (and the reverse); :meth:`flat_gradients` is laid
        out the same way. Should the views have been severed (a layer's array replaced, or a
        copy by ``pickle`` or ``copy.deepcopy``, which copy views as independent arrays), the
        current values are packed again first.
        """
        flat = self._flat_params
        if (
            flat is None
            or not all(
                value.base is flat for layer in self.layers for value in layer.params.values()
            )
            or not all(
                value.base is self._flat_grads
                for layer in self.layers
                for value in layer.grads.values()
            )
        ):
            self._pack()
        assert self._flat_params is not None
        return self._flat_params

    def flat_gradients(self) -> np.ndarray:
        """∂L/∂θ laid out as :meth:`flat_parameters`, filled by :meth:`backward`."""
        self.flat_parameters()
        assert self._flat_grads is not None
        return self._flat_grads

    # -- propagation ------------------------------------------------------------------------
    def forward(
        self, x: Any, training: bool = False, *, record: list[np.ndarray] | None = None
    ) -> np.ndarray:
        """Propagate ``x`` of shape ``(n, input_dim)`` (dense, or scipy sparse) through every
        layer.

        With ``record`` (a list), a copy of every layer's output is appended to it, first
        layer first: what :func:`sigmanet.diagnostics.trace_backprop` prints.
        """
        if self.input_dim is None:
            raise RuntimeError("Sequential is not built: call build(input_dim) first.")
        output = as_float_input(x, "x")
        for layer in self.layers:
            output = layer.forward(output, training=training)
            if record is not None:
                record.append(output.copy())
        return output

    #: Rows per block in :meth:`predict`: a block's intermediate arrays stay in cache.
    predict_block_rows = 2048

    def predict(self, x: Any) -> np.ndarray:
        """Inference: :meth:`forward` with ``training=False``, computing in place where it can.

        The arrays the network makes along the way are overwritten by the next layer when
        it can (elementwise activations), and long inputs go through in blocks of
        :attr:`predict_block_rows` rows, so the intermediate arrays stay small and in cache
        instead of being allocated afresh at full size; ``x`` itself is never modified.
        Nothing is kept for :meth:`backward`.
        """
        if self.input_dim is None:
            raise RuntimeError("Sequential is not built: call build(input_dim) first.")
        x = as_float_input(x, "x")
        rows = self.predict_block_rows
        if x.ndim != 2 or x.shape[0] <= rows:
            return self._predict_block(x)
        first = self._predict_block(x[:rows])
        result = np.empty((x.shape[0], *first.shape[1:]), dtype=first.dtype)
        result[:rows] = first
        for start in range(rows, x.shape[0], rows):
            result[start : start + rows] = self._predict_block(x[start : start + rows])
        return result

    def _predict_block(self, original: np.ndarray) -> np.ndarray:
        output = original
        for layer in self.layers:
            # (a layer may hand its input on unchanged, as Dropout does at inference)
            mine = output is not original and (
                is_sparse(original) or not np.may_share_memory(output, original)
            )
            output = layer.forward(output, overwrite_input=mine)
        return output

    def backward(
        self,
        grad_output: Any,
        need_input_grad: bool = False,
        *,
        record: list[np.ndarray] | None = None,
    ) -> np.ndarray | None:
        """Backpropagate ∂L/∂output through every layer, filling each layer's ``grads``.

        The first layer's ∂L/∂x is only computed when ``need_input_grad`` is true: training
        never needs it, and for the first Dense layer it costs as much as its weight gradient.
        With ``record`` (a list), a copy of the gradient each layer receives, ∂L/∂(its
        output), is appended to it, last layer first; for a Dense layer that is ``dz[l]``.
        """
        grad: np.ndarray | None = np.asarray(grad_output)
        for index in range(len(self.layers) - 1, -1, -1):
            if record is not None:
                record.append(np.array(grad, copy=True))
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
        """The weight matrices every layer declares
        (:meth:`~sigmanet.layers.Layer.weight_names`): the ``W`` of Dense and Maxout, the
        ``W_ih``/``W_hh`` of recurrent layers; what an L2 penalty acts on and the diagnostics
        show."""
        return [layer.params[name] for layer in self.layers for name in layer.weight_names()]

    def weight_gradients(self) -> list[np.ndarray]:
        """The gradients of :meth:`weight_matrices`, in the same order."""
        return [layer.grads[name] for layer in self.layers for name in layer.weight_names()]

    @property
    def n_parameters(self) -> int:
        """The number of trainable scalars."""
        return int(sum(value.size for value in self.parameters()))

    def __repr__(self) -> str:
        inner = ",\n    ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n    {inner}\n])"
