"""The layer protocol: ``forward(x)`` keeps what ``backward`` needs; ``backward(grad_output)``
returns ``grad_input`` and fills ``grads``, whose keys are those of ``params``.

Conventions, for a batch of ``n`` rows:

* ``x`` has shape ``(n, input_dim)`` and the output ``(n, output_dim)``;
* ``grad_output`` is ∂L/∂output, where L is the *batch* loss, already averaged over the batch
  (the losses in :mod:`sigmanet.losses` return the gradient of the mean). So a Dense layer's
  ``grad["W"] = xᵀ · grad_output`` is the textbook ``dW[l] = dz[l] a[l-1]ᵀ / m`` with the ``1/m``
  carried in by ``grad_output``;
* in training mode, outputs and gradients are written into buffers owned by the layer and
  reused from batch to batch (no allocation in steady state). An array returned by
  ``forward(x, training=True)`` is therefore overwritten by the next training call; in inference
  mode (the default) every call returns a fresh array.

Adding a layer is one class in one module: subclass :class:`Layer`, implement ``_build``,
``_forward``, ``_backward`` (and :meth:`Layer.weight_names` if it has weight matrices,
:meth:`Layer.get_config` if it takes arguments), and decorate it with
``@REGISTRY.register("Name")``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from sigmanet import activations as _activations
from sigmanet._arrays import as_float_input, is_sparse
from sigmanet.registry import Registry

__all__ = ["REGISTRY", "Layer", "get", "names"]


class _Buffers:
    """Arrays reused across batches, one per (purpose, shape).

    A training epoch sees at most two batch sizes (the full one and the remainder), so a
    handful of entries covers steady state; the oldest entry is dropped past ``capacity``.
    """

    def __init__(self, capacity: int = 12) -> None:
        self._arrays: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        self.capacity = capacity

    def get(
        self, purpose: str, shape: tuple[int, ...], dtype: Any, fill: float | None = None
    ) -> np.ndarray:
        """The buffer for ``(purpose, shape)``; a new one is uninitialised, or ``fill``-ed."""
        # A layer's dtype is fixed between builds (which clear the buffers), so it needs no key.
        key = (purpose, shape)
        array = self._arrays.get(key)
        if array is None:
            if fill is None:
                array = np.empty(shape, dtype=dtype)
            else:  # a constant: read-only, so that no caller can change it for the others
                array = np.full(shape, fill, dtype)
                array.setflags(write=False)
            self._arrays[key] = array
            if len(self._arrays) > self.capacity:
                self._arrays.popitem(last=False)
        return array

    def clear(self) -> None:
        self._arrays.clear()


class Layer:
    """Base class: a differentiable map with optional parameters.

    The protocol every layer follows (the network, the training loop, the diagnostics and
    the estimators rely on nothing else):

    * :meth:`build` creates ``params`` for an input width and returns the output width
      (subclasses implement ``_build``);
    * :meth:`forward` and :meth:`backward` (subclasses implement ``_forward`` and
      ``_backward``);
    * :meth:`weight_names` declares which ``params`` are weight matrices: those an L2 or L1
      penalty acts on, the diagnostics show and the weight initializer draws. Every other
      parameter (biases, PReLU slopes, ...) is neither penalised nor shown;
    * :meth:`get_config` and :meth:`from_config` describe the layer and rebuild it; a layer
      class is found by name in ``sigmanet.layers.REGISTRY``, where it is registered
      where it is defined.

    Attributes
    ----------
    params : dict of str to ndarray
        The trainable arrays, updated in place by an optimizer.
    grads : dict of str to ndarray
        ∂L/∂param for each key of ``params``, filled by :meth:`backward`.
    input_dim, output_dim : int or None
        Set by :meth:`build`.
    """

    #: Whether :meth:`~Layer.forward` takes a scipy sparse ``x`` as it is; other layers densify it
    #: (one batch at a time in training).
    accepts_sparse = False

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.input_dim: int | None = None
        self.output_dim: int | None = None
        self.dtype: np.dtype[Any] = np.dtype(np.float64)
        self._buffers = _Buffers()
        self._cache: tuple[Any, ...] | None = None

    # -- set-up -----------------------------------------------------------------------------
    def build(
        self,
        input_dim: int,
        rng: np.random.Generator | np.random.RandomState | None = None,
        dtype: Any = np.float64,
    ) -> int:
        """Create parameters for inputs of width ``input_dim``; return the output width."""
        self.input_dim = int(input_dim)
        self.dtype = np.dtype(dtype)
        self.output_dim = self._build(self.input_dim, rng or np.random.default_rng(), self.dtype)
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self._buffers.clear()
        return self.output_dim

    def _build(self, input_dim: int, rng: Any, dtype: np.dtype[Any]) -> int:
        return input_dim

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-serialisable (for model files)."""
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Layer:
        """The layer :meth:`get_config` describes: ``cls(**config)``, each activation in it
        (``{"name": ..., **params}``, as :meth:`sigmanet.activations.Activation.get_config`
        gives) rebuilt first."""
        arguments = {
            key: _activations.get(**value)
            if isinstance(value, Mapping) and "name" in value
            else value
            for key, value in config.items()
        }
        return cls(**arguments)

    def weight_names(self) -> list[str]:
        """The keys of ``params`` that are weight matrices.

        They are what an L2 (or L1) penalty acts on, what the diagnostics show (the
        gradient flow, the backprop trace, the MLPs' ``coefs_``) and what the weight
        initializer draws; the other parameters (biases, PReLU slopes, ...) are left out of
        all three. The default, no weights, suits layers without any.
        """
        return []

    # -- computation ------------------------------------------------------------------------
    def forward(
        self, x: Any, training: bool = False, *, overwrite_input: bool = False
    ) -> np.ndarray:
        """Compute the layer's output for ``x`` of shape ``(n, input_dim)``.

        With ``overwrite_input`` (inference only), a layer that can compute in place may write
        its output over ``x`` (elementwise activations do), and then keeps nothing for
        :meth:`~Layer.backward`. :meth:`sigmanet.network.Sequential.predict` uses it for the arrays
        it made itself.
        """
        x = self._check_input(x)
        return self._forward(x, training)

    def backward(self, grad_output: Any, need_input_grad: bool = True) -> np.ndarray | None:
        """Given ∂L/∂output, fill ``grads`` and return ∂L/∂x (``None`` if not needed)."""
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): run forward(x) "
                "on the batch first, so the layer has the values its gradient needs."
            )
        grad_output = np.asarray(grad_output)
        expected = self._cache[-1].shape
        if grad_output.shape != expected:
            raise ValueError(
                f"grad_output has shape {grad_output.shape}, but the last forward() produced "
                f"an output of shape {expected}."
            )
        return self._backward(grad_output, need_input_grad)

    def _forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        raise NotImplementedError

    def _backward(self, grad_output: np.ndarray, need_input_grad: bool) -> np.ndarray | None:
        raise NotImplementedError

    def _check_input(self, x: Any) -> np.ndarray:
        if self.output_dim is None:
            raise RuntimeError(
                f"{type(self).__name__} is not built: call build(input_dim) or put it in a "
                "Sequential and call Sequential.build()."
            )
        x = as_float_input(x, "x")
        if is_sparse(x) and not self.accepts_sparse:
            x = x.toarray()
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ValueError(
                f"{type(self).__name__} expects x of shape (n_samples, {self.input_dim}); "
                f"got shape {x.shape}."
            )
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        return x

    def _out(self, purpose: str, shape: tuple[int, ...], training: bool) -> np.ndarray:
        if training:
            return self._buffers.get(purpose, shape, self.dtype)
        return np.empty(shape, dtype=self.dtype)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


#: Every layer class by name (case-insensitive): ``REGISTRY.get("Dense")`` is
#: :class:`~sigmanet.layers.Dense`. A layer registers where it is defined.
REGISTRY: Registry[type[Layer]] = Registry(
    "layer",
    hints={
        "linear": "A fully connected layer is Dense.",
        **{
            name: f"{name} is an activation: the layer is Activation({name!r})."
            for name in _activations.names()
        },
    },
)


def names() -> list[str]:
    """The layer names :func:`get` accepts, sorted."""
    return REGISTRY.names(aliases=True)


def get(name: str | Layer, **config: Any) -> Layer:
    """Build a layer from its name and configuration, or pass a layer instance through.

    Parameters
    ----------
    name : str or Layer
        One of :func:`names` (case-insensitive), or a :class:`Layer`, returned as is.
    **config
        What the layer's :meth:`~Layer.get_config` returns.

    Returns
    -------
    Layer

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones and suggests the closest), or
        ``config`` given together with a layer instance.
    TypeError
        For a name that is neither a string nor a Layer.
    """
    if isinstance(name, Layer):
        return REGISTRY.build(name, config, base=Layer)
    if not isinstance(name, str):
        raise TypeError(f"layer must be a name or a Layer; got {type(name).__name__}.")
    return REGISTRY.get(name).from_config(config)
