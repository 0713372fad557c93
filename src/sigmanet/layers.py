"""Layers: ``forward(x)`` keeps what ``backward`` needs; ``backward(grad_output)`` returns
``grad_input`` and fills ``grads``, whose keys are those of ``params``.

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
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from sigmanet import activations as _activations
from sigmanet import initializers as _initializers
from sigmanet._arrays import as_float_input, is_sparse

__all__ = ["Activation", "Dense", "Dropout", "Layer", "Maxout", "PReLU", "Softmax"]


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


def _affine(
    x: np.ndarray, W: np.ndarray, b: np.ndarray | None, out: np.ndarray, scratch: np.ndarray | None
) -> np.ndarray:
    """``out ← x W + b`` without allocating (a sparse ``x`` multiplies through scipy.sparse).

    ``np.add(out, b, out=out)`` with ``b`` broadcast over the rows makes NumPy's iterator
    allocate a buffer (up to 8192 elements) on every call; copying ``b`` into a full-size
    ``scratch`` (a broadcasting copy needs no buffer) and adding arrays of equal shape does not,
    and costs about the same. ``scratch`` has the shape of ``out``.
    """
    if is_sparse(x):
        out[...] = x @ W
    else:
        np.matmul(x, W, out=out)
    if b is not None and scratch is not None:
        np.copyto(scratch, b)
        np.add(out, scratch, out=out)
    elif b is not None:  # inference: one allocation per call matters less than a second pass
        np.add(out, b, out=out)
    return out


class Layer:
    """Base class: a differentiable map with optional parameters.

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

    def weight_names(self) -> list[str]:
        """The keys of ``params`` that are weight matrices, which an L2 penalty acts on."""
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


class Dense(Layer):
    """Fully connected layer: ``z = x W + b``.

    Backward, with ``g = ∂L/∂z`` of shape ``(n, units)``::

        ∂L/∂W = xᵀ g          (input_dim, units)
        ∂L/∂b = Σ_rows g      (units,)
        ∂L/∂x = g Wᵀ          (n, input_dim)

    Parameters
    ----------
    units : int
        Output width.
    use_bias : bool
        Whether to add ``b``.
    initializer : str or callable
        A name from :func:`sigmanet.initializers.names` for ``W``.
    bias_initializer : str or callable, optional
        The same for ``b``, drawn with ``shape=(units,)`` and the fans of ``W`` (so
        ``"glorot_uniform"`` gives ``b`` the bound of ``W``); None starts ``b`` at zero.

    ``x`` may be a scipy sparse matrix: the products ``x W`` and ``xᵀ g`` then go through
    scipy.sparse and ``x`` is never densified.
    """

    accepts_sparse = True

    def __init__(
        self,
        units: int,
        *,
        use_bias: bool = True,
        initializer: Any = "glorot_uniform",
        bias_initializer: Any = None,
    ):
        super().__init__()
        if int(units) != units or units < 1:
            raise ValueError(f"units must be a positive integer; got {units!r}.")
        self.units = int(units)
        self.use_bias = bool(use_bias)
        self.initializer = initializer
        self.bias_initializer = bias_initializer
        _initializers.get(initializer)  # fail early on an unknown name
        if bias_initializer is not None:
            _initializers.get(bias_initializer)

    def get_config(self) -> dict[str, Any]:
        init = self.initializer if isinstance(self.initializer, str) else "custom"
        config = {"units": self.units, "use_bias": self.use_bias, "initializer": init}
        if self.bias_initializer is not None:
            bias = self.bias_initializer
            config["bias_initializer"] = bias if isinstance(bias, str) else "custom"
        return config

    def weight_names(self) -> list[str]:
        return ["W"]

    def _build(self, input_dim: int, rng: np.random.Generator, dtype: np.dtype[Any]) -> int:
        init = _initializers.get(self.initializer)
        self.params = {"W": np.ascontiguousarray(init(input_dim, self.units, rng, dtype))}
        if self.use_bias:
            if self.bias_initializer is None:
                self.params["b"] = np.zeros(self.units, dtype=dtype)
            else:
                bias_init = _initializers.get(self.bias_initializer)
                self.params["b"] = bias_init(input_dim, self.units, rng, dtype, shape=(self.units,))
        return self.units

    def _forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        shape = (x.shape[0], self.units)
        z = self._out("z", shape, training)
        scratch = self._buffers.get("bias", shape, self.dtype) if training else None
        _affine(x, self.params["W"], self.params.get("b"), z, scratch)
        self._cache = (x, z)
        return z

    def _backward(self, grad_output: np.ndarray, need_input_grad: bool) -> np.ndarray | None:
        x = self._cache[0]  # type: ignore[index]
        if is_sparse(x):
            self.grads["W"][...] = x.T @ grad_output
        else:
            np.matmul(x.T, grad_output, out=self.grads["W"])
        if self.use_bias:
            # Σ_rows g as the product 1ᵀ g: BLAS takes about 40% of np.sum(g, axis=0)'s time
            # on a (32, 256) batch.
            np.matmul(self._ones(x.shape[0]), grad_output, out=self.grads["b"])
        if not need_input_grad:
            return None
        grad_input = self._out("grad_input", x.shape, True)
        np.matmul(grad_output, self.params["W"].T, out=grad_input)
        return grad_input

    def _ones(self, n: int) -> np.ndarray:
        return self._buffers.get("ones", (n,), self.dtype, fill=1)


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
        _affine(x, self.params["W"], self.params["b"], z, scratch)
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
