"""Recurrent layers: ``SimpleRNN``, ``LSTM`` and ``GRU``, trained by backpropagation through time.

Input has shape ``(n_samples, n_timesteps, n_features)`` (batch first). Each layer runs one
cell over the steps, carrying a state ``h_t`` (and the LSTM's cell ``c_t``) from step to step;
the output is every step's ``h_t`` (``return_sequences=True``, shape ``(n, T, units)``) or the
last one (shape ``(n, units)``). With ``bidirectional=True`` a second cell with its own weights
runs from the last step to the first and its states are concatenated after the first's.

Parameters follow PyTorch's ``nn.RNN``/``nn.LSTM``/``nn.GRU`` layout and gate order, so weights
can be exchanged both ways: ``W_ih`` of shape ``(G·units, n_features)``, ``W_hh`` of shape
``(G·units, units)`` and the biases ``b_ih``, ``b_hh`` of shape ``(G·units,)``, with G = 1
(SimpleRNN), 4 (LSTM: gates i, f, g, o) or 3 (GRU: gates r, z, n); the reverse direction's
arrays carry the suffix ``_reverse``. Each step's pre-activation is
``a_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh``.

Backpropagation through time (Werbos 1990) unrolls the recurrence: with ``δh_t`` the total
derivative ∂L/∂h_t (from the output at step t and from step t+1),

    δa_t = cell-backward(δh_t, ...)        (the cell's local derivatives)
    ∂L/∂W_ih = Σ_t δa_tᵀ x_t     ∂L/∂W_hh = Σ_t δa_tᵀ h_{t-1}     ∂L/∂x_t = δa_t W_ih
    δh_{t-1} = (output gradient at t-1) + δa_t W_hh

Variable-length sequences: a boolean ``mask`` of shape ``(n, T)`` (or ``lengths``) marks the
real steps. At a padded step the state is carried over unchanged, the output (with
``return_sequences``) is zero, or ``mask_value`` when the layer was given one, and neither the
input nor the weights receive gradient from it. Padding at the end (``lengths``) gives what
PyTorch's packed sequences give: the last output is the state at each sequence's last real
step, and the reverse direction starts there.

Options of every layer: ``truncate=k`` truncates backpropagation through time (the gradient
crosses at most ``k`` steps of the recurrence, in windows of ``k`` steps counted back from the
last step; the forward pass is unchanged); ``clip_norm`` rescales the layer's parameter
gradients when their joint L2 norm exceeds it (Pascanu et al. 2013). Weights start as Glorot
uniform per gate for ``W_ih``, orthogonal per gate for ``W_hh`` (Saxe et al. 2014), zero biases,
and the LSTM's forget-gate bias at 1 (Jozefowicz et al. 2015), all from the generator given to
:meth:`~sigmanet.layers.Layer.build`.

A gate whose activation is the sigmoid computes it as ``σ(x) = ½ + ½ tanh(x/2)``, an identity
NumPy evaluates with its vectorised tanh, several times faster than the exp-based form; its
absolute error is within about an ulp of ½ and its values lie in [0, 1].

References
----------
Hochreiter & Schmidhuber (1997), Long short-term memory. Gers, Schmidhuber & Cummins (2000),
Learning to forget. Cho et al. (2014), On the properties of neural machine translation
(the GRU). Werbos (1990), Backpropagation through time. Pascanu, Mikolov & Bengio (2013), On
the difficulty of training recurrent neural networks. Jozefowicz, Zaremba & Sutskever (2015),
An empirical exploration of recurrent network architectures.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from sigmanet import activations as _activations
from sigmanet import initializers as _initializers
from sigmanet._arrays import as_float_array
from sigmanet.layers import REGISTRY as _LAYERS
from sigmanet.layers import Layer

__all__ = ["GRU", "LSTM", "SimpleRNN", "check_gate_activation"]

#: Inputs at which a gate activation's values are probed: wide, dense near 0, and infinite.
_GATE_PROBE = np.concatenate(
    [np.linspace(-50.0, 50.0, 2001), [-1e300, -1e30, -1e4, 1e4, 1e30, 1e300, -np.inf, np.inf]]
)


def check_gate_activation(activation: Any, role: str = "gate_activation") -> Any:
    """Return ``activation`` resolved, or raise if its values leave [0, 1].

    A gate multiplies what it guards: 1 lets everything through ("open"), 0 nothing
    ("closed"). An activation whose values leave [0, 1] would amplify or flip the sign of what
    it gates, so only activations like sigmoid and hard_sigmoid qualify. The range is checked
    on a probe grid from -1e300 to 1e300 and at ±inf.
    """
    act = _activations.get(activation)
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        values = np.asarray(act(_GATE_PROBE), dtype=np.float64)
    inside = np.isfinite(values) & (values >= 0) & (values <= 1)
    if not inside.all():
        x = float(_GATE_PROBE[np.argmin(inside)])
        raise ValueError(
            f"{role}={act.name!r} cannot be a gate activation: a gate is a valve whose value "
            f"must lie in [0, 1] (1 open, 0 closed), but {act.name}({x:g}) = "
            f"{float(values[np.argmin(inside)]):g}. Use one of {_activations.bounded_by(0, 1)}."
        )
    return act


def _sigmoid_by_tanh(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """σ(x) = ½ + ½ tanh(x/2), into ``out``: the gates' sigmoid.

    An identity, evaluated with NumPy's vectorised tanh, about eight times faster than
    ``scipy.special.expit`` on a (64, 128) float32 block, the largest elementwise cost of an
    LSTM step. Its values lie in [0, 1] (tanh lies in [-1, 1]), it never overflows, and its
    absolute error is within about one unit in the last place of ½, all a gate needs: a gate
    multiplies bounded values. (It keeps no relative accuracy where σ(x) is below about 1e-8,
    which :func:`sigmanet.activations.sigmoid` does.)
    """
    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    np.multiply(out, 0.5, out=out)
    return np.add(out, 0.5, out=out)


def _gate_kernels(activation: Any) -> tuple[Any, Any]:
    """The gate activation's forward and backward kernels; sigmoid's forward by tanh."""
    forward, backward = activation.kernels()
    if activation == _activations.get("sigmoid"):
        forward = _sigmoid_by_tanh
    return forward, backward


def _positive_int_or_none(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer or None; got {value!r}.")
    return int(value)


class _Recurrent(Layer):
    """What SimpleRNN, LSTM and GRU share: the unrolled loop, masks, directions, options."""

    n_gates = 1
    has_cell = False
    units: int
    return_sequences: bool
    bidirectional: bool
    use_bias: bool
    truncate: int | None
    clip_norm: float | None
    mask_value: float | None
    initializer: Any
    recurrent_initializer: Any
    keep_state_gradients: bool
    activation: Any
    _f: Any
    _f_backward: Any

    def __init__(
        self,
        units: int,
        *,
        return_sequences: bool = False,
        bidirectional: bool = False,
        use_bias: bool = True,
        truncate: int | None = None,
        clip_norm: float | None = None,
        mask_value: float | None = None,
        initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
    ) -> None:
        super().__init__()
        if not isinstance(units, numbers.Integral) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units must be a positive integer; got {units!r}.")
        self.units = int(units)
        self.return_sequences = bool(return_sequences)
        self.bidirectional = bool(bidirectional)
        self.use_bias = bool(use_bias)
        self.truncate = _positive_int_or_none("truncate", truncate)
        if clip_norm is not None and not (
            isinstance(clip_norm, numbers.Real) and math.isfinite(clip_norm) and clip_norm > 0
        ):
            raise ValueError(f"clip_norm must be a finite number > 0 or None; got {clip_norm!r}.")
        self.clip_norm = None if clip_norm is None else float(clip_norm)
        if mask_value is not None and not isinstance(mask_value, numbers.Real):
            raise ValueError(
                f"mask_value must be a number (NaN allowed) or None; got {mask_value!r}."
            )
        self.mask_value = None if mask_value is None else float(mask_value)
        self.initializer = initializer
        self.recurrent_initializer = recurrent_initializer
        _initializers.get(initializer)
        _initializers.get(recurrent_initializer)
        #: ∂L/∂(initial state) after :meth:`backward`, shaped like the ``initial_state`` given.
        self.grad_initial_state: Any = None
        #: Set to True to keep ``state_gradients`` (δh_t for every step) in :meth:`backward`.
        self.keep_state_gradients = False
        #: δh_t = ∂L/∂h_t, shape (directions, T, n, units), after a backward pass that kept it.
        self.state_gradients: np.ndarray | None = None

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "units": self.units,
            "return_sequences": self.return_sequences,
            "bidirectional": self.bidirectional,
            "use_bias": self.use_bias,
            "truncate": self.truncate,
            "clip_norm": self.clip_norm,
            "mask_value": self.mask_value,
        }
        for key in ("initializer", "recurrent_initializer"):
            value = getattr(self, key)
            config[key] = value if isinstance(value, str) else "custom"
        return config

    # -- set-up -----------------------------------------------------------------------------
    def _build(self, input_dim: int, rng: np.random.Generator, dtype: np.dtype[Any]) -> int:
        units, gates = self.units, self.n_gates
        init = _initializers.get(self.initializer)
        recurrent_init = _initializers.get(self.recurrent_initializer)
        self.params = {}
        for suffix in self._suffixes():
            # one block per gate, each drawn as (fan_in, fan_out) and stored transposed, as
            # PyTorch stores (out_features, in_features)
            W_ih = np.concatenate([init(input_dim, units, rng, dtype).T for _ in range(gates)])
            W_hh = np.concatenate(
                [recurrent_init(units, units, rng, dtype).T for _ in range(gates)]
            )
            self.params["W_ih" + suffix] = np.ascontiguousarray(W_ih, dtype=dtype)
            self.params["W_hh" + suffix] = np.ascontiguousarray(W_hh, dtype=dtype)
            if self.use_bias:
                self.params["b_ih" + suffix] = self._initial_bias(dtype)
                self.params["b_hh" + suffix] = np.zeros(gates * units, dtype=dtype)
        return units * self.directions

    def _initial_bias(self, dtype: np.dtype[Any]) -> np.ndarray:
        return np.zeros(self.n_gates * self.units, dtype=dtype)

    def _suffixes(self) -> list[str]:
        return ["", "_reverse"] if self.bidirectional else [""]

    def weight_names(self) -> list[str]:
        return [name for name in self.params if name.startswith("W_")]

    # -- input checks -----------------------------------------------------------------------
    def _check_input(self, x: Any) -> np.ndarray:
        if self.output_dim is None:
            raise RuntimeError(
                f"{type(self).__name__} is not built: call build(n_features) or put it in a "
                "Sequential and call Sequential.build()."
            )
        x = as_float_array(x, "x")
        if x.ndim != 3:
            raise ValueError(
                f"{type(self).__name__} expects x of shape (n_samples, n_timesteps, "
                f"{self.input_dim}); got {x.ndim}-D input of shape {x.shape}. A single "
                "sequence needs a leading batch axis (x[None]); a batch of univariate series "
                "needs a trailing feature axis (x[..., None])."
            )
        if x.shape[2] != self.input_dim:
            raise ValueError(
                f"{type(self).__name__} was built for {self.input_dim} features per step; "
                f"x has {x.shape[2]} (shape {x.shape})."
            )
        if x.shape[1] == 0:
            raise ValueError(f"x has no time steps (shape {x.shape}); sequences need at least one.")
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        return x

    def _resolve_mask(
        self, x: np.ndarray, mask: Any, lengths: Any
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``x`` with padding zeroed, and the (T, n) mask of real steps (None: all real)."""
        n, T = x.shape[:2]
        if mask is not None and lengths is not None:
            raise ValueError("give mask or lengths, not both.")
        if lengths is not None:
            lengths = np.asarray(lengths)
            if lengths.shape != (n,):
                raise ValueError(
                    f"lengths must have shape ({n},), one per sequence; got {lengths.shape}."
                )
            if lengths.dtype.kind not in "iu" and not (
                lengths.dtype.kind == "f" and np.all(lengths == np.round(lengths))
            ):
                raise ValueError(f"lengths must be integers; got dtype {lengths.dtype}.")
            if n and (lengths.min() < 1 or lengths.max() > T):
                raise ValueError(
                    f"lengths must lie in [1, {T}] (the number of time steps of x); got values "
                    f"from {lengths.min()} to {lengths.max()}. A sequence needs at least one step."
                )
            mask = np.arange(T)[None, :] < lengths[:, None]
        elif mask is not None:
            mask = np.asarray(mask)
            if mask.shape != (n, T) or mask.dtype != np.bool_:
                raise ValueError(
                    f"mask must be a boolean array of shape ({n}, {T}) (n_samples, n_timesteps); "
                    f"got dtype {mask.dtype} and shape {mask.shape}."
                )
        elif self.mask_value is not None:
            if math.isnan(self.mask_value):
                mask = ~np.all(np.isnan(x), axis=2)
            else:
                mask = ~np.all(x == self.mask_value, axis=2)
        if mask is None or mask.all():
            return x, None
        if not mask.any(axis=1).all():
            empty = int(np.argmin(mask.any(axis=1)))
            raise ValueError(f"sequence {empty} has no real step: every step is masked.")
        x = np.where(mask[:, :, None], x, 0).astype(self.dtype, copy=False)
        return x, np.ascontiguousarray(mask.T)

    def _initial_states(self, initial_state: Any, n: int) -> list[tuple[np.ndarray, ...]]:
        """Per direction, the starting ``(h0,)`` or ``(h0, c0)``."""
        shape_h = (n, self.units)
        if initial_state is None:
            zero = np.zeros(shape_h, dtype=self.dtype)
            return [(zero, zero) if self.has_cell else (zero,) for _ in self._suffixes()]
        if self.has_cell and not (
            isinstance(initial_state, tuple | list) and len(initial_state) == 2
        ):
            raise ValueError("an LSTM's initial_state is a pair (h0, c0) of arrays.")
        parts = tuple(initial_state) if self.has_cell else (initial_state,)
        arrays = []
        for name, part in zip(("h0", "c0"), parts, strict=False):
            a = as_float_array(part, name).astype(self.dtype, copy=False)
            if a.shape == shape_h and self.directions == 1:
                a = a[None]
            if a.shape != (self.directions, *shape_h):
                raise ValueError(
                    f"initial state {name} must have shape {(self.directions, *shape_h)} "
                    f"(directions, n_samples, units)"
                    + (f" or {shape_h}" if self.directions == 1 else "")
                    + f"; got {a.shape}."
                )
            arrays.append(a)
        return [tuple(a[d] for a in arrays) for d in range(self.directions)]

    # -- forward ----------------------------------------------------------------------------
    def forward(
        self,
        x: Any,
        training: bool = False,
        *,
        overwrite_input: bool = False,
        mask: Any = None,
        lengths: Any = None,
        initial_state: Any = None,
    ) -> np.ndarray:
        """Run the cell over ``x`` of shape ``(n_samples, n_timesteps, n_features)``.

        Parameters
        ----------
        x : array of shape (n, T, n_features)
        training : bool
            Unused (no dropout inside the cell); accepted as every layer accepts it.
        mask : bool array of shape (n, T), optional
            True at real steps. At a False step the state is carried over unchanged.
        lengths : int array of shape (n,), optional
            Sequence lengths in [1, T]: steps ``t >= lengths[i]`` are padding.
        initial_state : array (or, for LSTM, a pair of arrays), optional
            ``h0`` (and ``c0``) of shape ``(directions, n, units)``, or ``(n, units)`` for
            one direction. Zero by default.

        Returns
        -------
        ndarray of shape (n, T, directions·units) with ``return_sequences``, else
        (n, directions·units).
        """
        x = self._check_input(x)
        given_state = initial_state is not None
        x, time_mask = self._resolve_mask(x, mask, lengths)
        n, T, _ = x.shape
        starts = self._initial_states(initial_state, n)
        x_time = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, n, D): each step contiguous
        runs = []
        for direction, suffix in enumerate(self._suffixes()):
            reverse = direction == 1
            xs = x_time[::-1] if reverse else x_time
            m = None if time_mask is None else (time_mask[::-1] if reverse else time_mask)
            runs.append(self._run(xs, m, starts[direction], suffix))
        H = self.units
        if self.return_sequences:
            output = np.empty((n, T, H * self.directions), dtype=self.dtype)
            for direction, run in enumerate(runs):
                states = run["h"][1:]
                if direction == 1:
                    states = states[::-1]
                output[:, :, direction * H : (direction + 1) * H] = states.transpose(1, 0, 2)
            if time_mask is not None:
                fill = 0.0 if self.mask_value is None else self.mask_value
                output[~time_mask.T] = fill
        else:
            output = np.concatenate([run["h"][-1] for run in runs], axis=1)
        self._cache = (x_time, time_mask, runs, given_state, output)
        return output

    def _preactivation_input(self, xs: np.ndarray, suffix: str) -> np.ndarray:
        """``x_t W_ihᵀ + b_ih`` for every step at once: one product of shape (T, n, G·units)."""
        T, n, D = xs.shape
        # one (T·n, D) product: a 3-D matmul would run T small products instead
        proj = np.matmul(xs.reshape(T * n, D), self.params["W_ih" + suffix].T)
        if self.use_bias:
            proj += self.params["b_ih" + suffix]
        return proj.reshape(T, n, -1)

    def _run(
        self, xs: np.ndarray, m: np.ndarray | None, start: tuple[np.ndarray, ...], suffix: str
    ) -> dict[str, Any]:
        raise NotImplementedError

    # -- backward ---------------------------------------------------------------------------
    def _backward(self, grad_output: np.ndarray, need_input_grad: bool) -> np.ndarray | None:
        x_time, time_mask, runs, given_state, _ = self._cache  # type: ignore[misc]
        if grad_output.dtype != self.dtype:
            grad_output = grad_output.astype(self.dtype)
        T, n, D = x_time.shape
        H = self.units
        grad_x_time = np.zeros((T, n, D), dtype=self.dtype) if need_input_grad else None
        initial_grads = []
        kept = []
        for direction, suffix in enumerate(self._suffixes()):
            reverse = direction == 1
            columns = slice(direction * H, (direction + 1) * H)
            # the output's gradient for each state h_1..h_T in processing order
            dh_out = np.zeros((T, n, H), dtype=self.dtype)
            if self.return_sequences:
                g = grad_output[:, :, columns].transpose(1, 0, 2)
                dh_out[...] = g[::-1] if reverse else g
                if time_mask is not None:
                    dh_out[~(time_mask[::-1] if reverse else time_mask)] = 0
            else:
                dh_out[-1] = grad_output[:, columns]
            xs = x_time[::-1] if reverse else x_time
            m = None if time_mask is None else (time_mask[::-1] if reverse else time_mask)
            dx, d_start, dh_all = self._run_backward(xs, m, runs[direction], dh_out, suffix)
            if grad_x_time is not None:
                grad_x_time += dx[::-1] if reverse else dx
            initial_grads.append(d_start)
            if dh_all is not None:
                kept.append(dh_all[::-1] if reverse else dh_all)
        self.state_gradients = np.stack(kept) if kept else None
        if given_state:
            stacked = [
                np.stack([g[i] for g in initial_grads]) for i in range(len(initial_grads[0]))
            ]
            self.grad_initial_state = tuple(stacked) if self.has_cell else stacked[0]
        else:
            self.grad_initial_state = None
        if self.clip_norm is not None:
            self._clip_gradients()
        if grad_x_time is None:
            return None
        if time_mask is not None:
            grad_x_time[~time_mask] = 0
        return np.ascontiguousarray(grad_x_time.transpose(1, 0, 2))

    def _clip_gradients(self) -> None:
        assert self.clip_norm is not None
        norm = math.sqrt(sum(float(np.vdot(g, g)) for g in self.grads.values()))
        if norm > self.clip_norm:
            scale = self.clip_norm / norm
            for g in self.grads.values():
                g *= scale  # a Python float keeps float32 float32

    def _cut(self, step: int, T: int) -> bool:
        """Whether truncation stops the gradient between step ``step - 1`` and ``step``."""
        return self.truncate is not None and (T - step) % self.truncate == 0

    def _accumulate(
        self,
        suffix: str,
        xs: np.ndarray,
        h_prev: np.ndarray,
        da_input: np.ndarray,
        da_hidden: np.ndarray,
    ) -> np.ndarray:
        """Fill the parameter gradients from every step's pre-activation gradients at once.

        ``da_input`` (T, n, G·H) is ∂L/∂(x W_ihᵀ + b_ih), ``da_hidden`` ∂L/∂(h W_hhᵀ + b_hh)
        (the same array except in the GRU); ``h_prev`` (T, n, H) holds h_{t-1}. Returns
        ∂L/∂x in processing order, shape (T, n, D).
        """
        T, n, D = xs.shape
        GH = da_input.shape[2]
        flat_in = da_input.reshape(T * n, GH)
        flat_hidden = da_hidden.reshape(T * n, GH)
        np.matmul(flat_in.T, xs.reshape(T * n, D), out=self.grads["W_ih" + suffix])
        np.matmul(flat_hidden.T, h_prev.reshape(T * n, -1), out=self.grads["W_hh" + suffix])
        if self.use_bias:
            # Σ over steps and rows as the product 1ᵀ g, as Dense does: BLAS beats np.sum here
            ones = np.ones(T * n, dtype=self.dtype)
            np.matmul(ones, flat_in, out=self.grads["b_ih" + suffix])
            np.matmul(ones, flat_hidden, out=self.grads["b_hh" + suffix])
        return np.matmul(flat_in, self.params["W_ih" + suffix]).reshape(T, n, D)

    def _run_backward(
        self,
        xs: np.ndarray,
        m: np.ndarray | None,
        run: dict[str, Any],
        dh_out: np.ndarray,
        suffix: str,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...], np.ndarray | None]:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _gate_values(
    layer: Any, x: Any, names: tuple[str, ...], forward_options: dict[str, Any]
) -> dict[str, np.ndarray]:
    layer.forward(x, **forward_options)
    runs = layer._cache[2]
    key = "gates" if "gates" in runs[0] else "rz"
    H = layer.units
    values = {}
    for index, name in enumerate(names):
        per_direction = []
        for direction, run in enumerate(runs):
            block = run[key][:, :, index * H : (index + 1) * H]  # (T, n, H), processing order
            if direction == 1:
                block = block[::-1]
            per_direction.append(block.transpose(1, 0, 2))
        values[name] = np.stack(per_direction)
    return values


def _carry(m_t: np.ndarray | None, new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """``new`` where the step is real, ``old`` where it is padding."""
    if m_t is None:
        return new
    return np.where(m_t[:, None], new, old)


@_LAYERS.register("SimpleRNN")
class SimpleRNN(_Recurrent):
    """Elman's recurrent layer: ``h_t = g(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)``.

    Backward: ``δa_t = δh_t ⊙ g'(a_t)`` and ``δh_{t-1} += δa_t W_hh``. Through T steps the
    gradient is multiplied by T Jacobians ``diag(g'(a_t)) W_hh``, which is why it vanishes or
    explodes over long spans; ``g = tanh`` keeps the state in (-1, 1), whereas with ReLU and a
    recurrent matrix of spectral radius above 1 the state grows without bound.

    Parameters
    ----------
    units : int
        Width of the state.
    activation : str, default="tanh"
        Any registered activation.
    return_sequences, bidirectional, use_bias, truncate, clip_norm, mask_value, initializer,
    recurrent_initializer
        See :mod:`sigmanet.recurrent`.

    Examples
    --------
    >>> import numpy as np
    >>> rnn = SimpleRNN(4)
    >>> rnn.build(3, np.random.default_rng(0))
    4
    >>> rnn.forward(np.ones((2, 5, 3))).shape
    (2, 4)
    """

    def __init__(self, units: int, activation: Any = "tanh", **options: Any) -> None:
        super().__init__(units, **options)
        self.activation = _activations.get(activation)
        self._f, self._f_backward = self.activation.kernels()

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": self.activation.get_config()}

    def _run(
        self, xs: np.ndarray, m: np.ndarray | None, start: tuple[np.ndarray, ...], suffix: str
    ) -> dict[str, Any]:
        T, n, _ = xs.shape
        a = self._preactivation_input(xs, suffix)  # becomes the full pre-activation
        y = np.empty((T, n, self.units), dtype=self.dtype)  # g(a_t), before any carrying
        h = np.empty((T + 1, n, self.units), dtype=self.dtype)
        h[0] = start[0]
        W_hh_T = self.params["W_hh" + suffix].T
        b_hh = self.params.get("b_hh" + suffix)
        for t in range(T):
            a_t = a[t]
            a_t += h[t] @ W_hh_T
            if b_hh is not None:
                a_t += b_hh
            self._f(a_t, out=y[t])
            h[t + 1] = _carry(None if m is None else m[t], y[t], h[t])
        return {"a": a, "y": y, "h": h}

    def _run_backward(
        self,
        xs: np.ndarray,
        m: np.ndarray | None,
        run: dict[str, Any],
        dh_out: np.ndarray,
        suffix: str,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...], np.ndarray | None]:
        T, n, _ = xs.shape
        a, y, h = run["a"], run["y"], run["h"]
        W_hh = self.params["W_hh" + suffix]
        da = np.empty_like(a)
        dh = np.zeros((n, self.units), dtype=self.dtype)
        keep = np.empty_like(dh_out) if self.keep_state_gradients else None
        for t in range(T - 1, -1, -1):
            dh = dh + dh_out[t]
            if keep is not None:
                keep[t] = dh
            self._f_backward(a[t], y[t], dh, out=da[t])
            if m is None:
                dh = da[t] @ W_hh
            else:  # a padded step passes δh on unchanged and contributes nothing
                da[t][~m[t]] = 0
                dh = np.where(m[t][:, None], da[t] @ W_hh, dh)
            if self._cut(t, T):
                dh = np.zeros_like(dh)
        dx = self._accumulate(suffix, xs, h[:-1], da, da)
        return dx, (dh,), keep


@_LAYERS.register("LSTM")
class LSTM(_Recurrent):
    """Long short-term memory (Hochreiter & Schmidhuber 1997; forget gate: Gers et al. 2000).

    With ``[a_i, a_f, a_g, a_o] = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh`` (PyTorch's order)::

        i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
        c_t = f ⊙ c_{t-1} + i ⊙ g
        h_t = o ⊙ tanh(c_t)

    The gates i (input), f (forget) and o (output) are valves: a value of 1 lets everything
    through, 0 nothing, so their activation must map into [0, 1]; ``gate_activation`` accepts
    only such activations. The candidate g and the cell output use ``activation`` (tanh).

    Backward, with ``δh`` and ``δc`` arriving from step t+1 and the output::

        δo = δh ⊙ tanh(c_t)           δc ← δc + δh ⊙ o ⊙ tanh'(c_t)
        δi = δc ⊙ g   δg = δc ⊙ i   δf = δc ⊙ c_{t-1}   δc_{t-1} = δc ⊙ f

    then each through its activation's derivative. The additive path ``δc_{t-1} = δc ⊙ f``
    carries the gradient across many steps while f stays near 1: the LSTM's answer to the
    vanishing gradient.

    Parameters
    ----------
    units : int
    activation : str, default="tanh"
        The candidate's and the cell output's activation.
    gate_activation : str, default="sigmoid"
        An activation with values in [0, 1] (sigmoid, hard_sigmoid, ...).
    forget_bias : float, default=1.0
        Initial value of the forget gate's ``b_ih`` block (``b_hh`` starts at 0).
    return_sequences, bidirectional, use_bias, truncate, clip_norm, mask_value, initializer,
    recurrent_initializer
        See :mod:`sigmanet.recurrent`.
    """

    n_gates = 4
    has_cell = True
    forget_bias: float
    gate_activation: Any
    _gate: Any
    _gate_backward: Any

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        gate_activation: Any = "sigmoid",
        *,
        forget_bias: float = 1.0,
        **options: Any,
    ) -> None:
        super().__init__(units, **options)
        self.activation = _activations.get(activation)
        self.gate_activation = check_gate_activation(gate_activation)
        if not isinstance(forget_bias, numbers.Real) or not math.isfinite(forget_bias):
            raise ValueError(f"forget_bias must be a finite number; got {forget_bias!r}.")
        self.forget_bias = float(forget_bias)
        self._f, self._f_backward = self.activation.kernels()
        self._gate, self._gate_backward = _gate_kernels(self.gate_activation)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "activation": self.activation.get_config(),
            "gate_activation": self.gate_activation.get_config(),
            "forget_bias": self.forget_bias,
        }

    def gate_values(self, x: Any, **forward_options: Any) -> dict[str, np.ndarray]:
        """The gates at every step for ``x``: ``{"input", "forget", "cell", "output"}``.

        Each array has shape (directions, n, T, units), in time order for both directions;
        "cell" is the candidate g. Padded steps hold what the cell computed there, which the
        mask then discarded. Takes the keyword options of the layer's ``forward``
        (``mask``, ``lengths``, ``initial_state``).
        """
        return _gate_values(self, x, ("input", "forget", "cell", "output"), forward_options)

    def _initial_bias(self, dtype: np.dtype[Any]) -> np.ndarray:
        bias = np.zeros(4 * self.units, dtype=dtype)
        bias[self.units : 2 * self.units] = self.forget_bias
        return bias

    def _run(
        self, xs: np.ndarray, m: np.ndarray | None, start: tuple[np.ndarray, ...], suffix: str
    ) -> dict[str, Any]:
        T, n, _ = xs.shape
        H = self.units
        # Steps run in a units-major layout, arrays of shape (4H, n) and (H, n): each gate is
        # then a contiguous block of rows. Column blocks of (n, 4H) arrays are strided, and
        # NumPy's elementwise loops run several times slower on them.
        # W_ih x_tᵀ for every step: T products of (4H, D) by (D, n), already units-major
        a = np.matmul(self.params["W_ih" + suffix], xs.transpose(0, 2, 1))  # (T, 4H, n)
        if self.use_bias:  # both biases once for all steps, not once per step
            bias = self.params["b_ih" + suffix] + self.params["b_hh" + suffix]
            a += bias[:, None]
        gates = np.empty_like(a)  # i, f, g, o after their activations
        h = np.empty((T + 1, H, n), dtype=self.dtype)
        c = np.empty((T + 1, H, n), dtype=self.dtype)
        # the step's cell before any carrying over padding; without padding it is c_t itself
        c_new = c[1:] if m is None else np.empty((T, H, n), dtype=self.dtype)
        tanh_c = np.empty((T, H, n), dtype=self.dtype)
        recurrent = np.empty((4 * H, n), dtype=self.dtype)
        product = np.empty((H, n), dtype=self.dtype)
        h[0], c[0] = start[0].T, start[1].T
        W_hh = self.params["W_hh" + suffix]
        sigmoid_blocks = (slice(0, 2 * H), slice(3 * H, 4 * H))  # i, f and o
        for t in range(T):
            a_t, g_t = a[t], gates[t]
            np.matmul(W_hh, h[t], out=recurrent)
            np.add(a_t, recurrent, out=a_t)
            for block in sigmoid_blocks:
                self._gate(a_t[block], out=g_t[block])
            self._f(a_t[2 * H : 3 * H], out=g_t[2 * H : 3 * H])
            i, f, g, o = g_t[:H], g_t[H : 2 * H], g_t[2 * H : 3 * H], g_t[3 * H :]
            np.multiply(f, c[t], out=c_new[t])
            np.multiply(i, g, out=product)
            np.add(c_new[t], product, out=c_new[t])
            self._f(c_new[t], out=tanh_c[t])
            if m is None:
                np.multiply(o, tanh_c[t], out=h[t + 1])
            else:
                real = m[t][None, :]
                c[t + 1] = np.where(real, c_new[t], c[t])
                h[t + 1] = np.where(real, o * tanh_c[t], h[t])
        return {
            # the shared code reads (T + 1, n, H) states and (T, n, 4H) gates: views
            "h": h.transpose(0, 2, 1),
            "gates": gates.transpose(0, 2, 1),
            "units_major": (a, gates, h, c, c_new, tanh_c),
        }

    def _run_backward(
        self,
        xs: np.ndarray,
        m: np.ndarray | None,
        run: dict[str, Any],
        dh_out: np.ndarray,
        suffix: str,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...], np.ndarray | None]:
        T, n, _ = xs.shape
        H = self.units
        a, gates, h, c, c_new, tanh_c = run["units_major"]
        W_hh_T = self.params["W_hh" + suffix].T
        dh_out = np.ascontiguousarray(dh_out.transpose(0, 2, 1))  # (T, H, n)
        da = np.empty_like(a)
        d_gates = np.empty((4 * H, n), dtype=self.dtype)
        dc_total = np.empty((H, n), dtype=self.dtype)
        dh_o = np.empty((H, n), dtype=self.dtype)
        dh = np.zeros((H, n), dtype=self.dtype)
        dc = np.zeros((H, n), dtype=self.dtype)
        dh_next = np.empty((H, n), dtype=self.dtype)
        keep = np.empty_like(dh_out) if self.keep_state_gradients else None
        sigmoid_blocks = (slice(0, 2 * H), slice(3 * H, 4 * H))
        for t in range(T - 1, -1, -1):
            np.add(dh, dh_out[t], out=dh)
            if keep is not None:
                keep[t] = dh
            g_t, da_t = gates[t], da[t]
            i, f, g, o = g_t[:H], g_t[H : 2 * H], g_t[2 * H : 3 * H], g_t[3 * H :]
            # δc ← δc + δh ⊙ o ⊙ tanh'(c_t)
            np.multiply(dh, o, out=dh_o)
            self._f_backward(c_new[t], tanh_c[t], dh_o, out=dc_total)
            np.add(dc_total, dc, out=dc_total)
            np.multiply(dc_total, g, out=d_gates[:H])  # δi
            np.multiply(dc_total, c[t], out=d_gates[H : 2 * H])  # δf
            np.multiply(dc_total, i, out=d_gates[2 * H : 3 * H])  # δg
            np.multiply(dh, tanh_c[t], out=d_gates[3 * H :])  # δo
            for block in sigmoid_blocks:
                self._gate_backward(a[t][block], g_t[block], d_gates[block], out=da_t[block])
            self._f_backward(
                a[t][2 * H : 3 * H], g, d_gates[2 * H : 3 * H], out=da_t[2 * H : 3 * H]
            )
            if m is None:
                np.matmul(W_hh_T, da_t, out=dh)
                np.multiply(dc_total, f, out=dc)
            else:  # a padded step passes δh and δc on unchanged and contributes nothing
                real = m[t][None, :]
                da_t[:, ~m[t]] = 0
                np.matmul(W_hh_T, da_t, out=dh_next)
                np.copyto(dh, dh_next, where=real)
                np.copyto(dc, dc_total * f, where=real)
            if self._cut(t, T):
                dh.fill(0)
                dc.fill(0)
        # ∂L/∂W_ih = Σ_t δa_t x_t, ∂L/∂W_hh = Σ_t δa_t h_{t-1}ᵀ, ∂L/∂b = Σ_t δa_t 1,
        # ∂L/∂x_t = (W_ihᵀ δa_t)ᵀ: units-major products, no transposed copy of δa
        grads = self.grads
        np.sum(np.matmul(da, xs), axis=0, out=grads["W_ih" + suffix])
        np.sum(np.matmul(da, h[:-1].transpose(0, 2, 1)), axis=0, out=grads["W_hh" + suffix])
        if self.use_bias:
            np.sum(np.matmul(da, np.ones(n, dtype=self.dtype)), axis=0, out=grads["b_ih" + suffix])
            grads["b_hh" + suffix][...] = grads["b_ih" + suffix]
        dx = np.matmul(self.params["W_ih" + suffix].T, da).transpose(0, 2, 1)  # (T, n, D)
        kept = None if keep is None else keep.transpose(0, 2, 1)
        return dx, (dh.T.copy(), dc.T.copy()), kept


@_LAYERS.register("GRU")
class GRU(_Recurrent):
    """Gated recurrent unit (Cho et al. 2014), in PyTorch's form and gate order r, z, n::

        r = σ(x W_irᵀ + b_ir + h_{t-1} W_hrᵀ + b_hr)
        z = σ(x W_izᵀ + b_iz + h_{t-1} W_hzᵀ + b_hz)
        n = tanh(x W_inᵀ + b_in + r ⊙ (h_{t-1} W_hnᵀ + b_hn))
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

    The reset gate r and the update gate z are valves with values in [0, 1]
    (``gate_activation``); z interpolates between the old state and the candidate n, a path
    along which the gradient passes unchanged while z stays near 1.

    Backward, with ``δh`` arriving: ``δn = δh ⊙ (1 - z)``, ``δz = δh ⊙ (h_{t-1} - n)``,
    ``δa_n = δn ⊙ tanh'``, ``δr = δa_n ⊙ (h_{t-1} W_hnᵀ + b_hn)``, and
    ``δh_{t-1} = δh ⊙ z + [δa_r, δa_z, δa_n ⊙ r] W_hh``.

    Parameters
    ----------
    units : int
    activation : str, default="tanh"
        The candidate's activation.
    gate_activation : str, default="sigmoid"
        An activation with values in [0, 1].
    return_sequences, bidirectional, use_bias, truncate, clip_norm, mask_value, initializer,
    recurrent_initializer
        See :mod:`sigmanet.recurrent`.
    """

    n_gates = 3
    gate_activation: Any
    _gate: Any
    _gate_backward: Any

    def __init__(
        self, units: int, activation: Any = "tanh", gate_activation: Any = "sigmoid", **options: Any
    ) -> None:
        super().__init__(units, **options)
        self.activation = _activations.get(activation)
        self.gate_activation = check_gate_activation(gate_activation)
        self._f, self._f_backward = self.activation.kernels()
        self._gate, self._gate_backward = _gate_kernels(self.gate_activation)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "activation": self.activation.get_config(),
            "gate_activation": self.gate_activation.get_config(),
        }

    def gate_values(self, x: Any, **forward_options: Any) -> dict[str, np.ndarray]:
        """The gates at every step for ``x``: ``{"reset", "update"}``, as in
        :meth:`LSTM.gate_values` (shape (directions, n, T, units))."""
        return _gate_values(self, x, ("reset", "update"), forward_options)

    def _run(
        self, xs: np.ndarray, m: np.ndarray | None, start: tuple[np.ndarray, ...], suffix: str
    ) -> dict[str, Any]:
        T, n, _ = xs.shape
        H = self.units
        ax = self._preactivation_input(xs, suffix)  # (T, n, 3H): x W_ihᵀ + b_ih
        ah = np.empty_like(ax)  # h W_hhᵀ + b_hh
        rz = np.empty((T, n, 2 * H), dtype=self.dtype)
        a_n = np.empty((T, n, H), dtype=self.dtype)
        cand = np.empty((T, n, H), dtype=self.dtype)
        h = np.empty((T + 1, n, H), dtype=self.dtype)
        h[0] = start[0]
        W_hh_T = self.params["W_hh" + suffix].T
        b_hh = self.params.get("b_hh" + suffix)
        for t in range(T):
            np.matmul(h[t], W_hh_T, out=ah[t])
            if b_hh is not None:
                ah[t] += b_hh
            self._gate(ax[t][:, : 2 * H] + ah[t][:, : 2 * H], out=rz[t])
            r, z = rz[t][:, :H], rz[t][:, H:]
            np.add(ax[t][:, 2 * H :], r * ah[t][:, 2 * H :], out=a_n[t])
            self._f(a_n[t], out=cand[t])
            h_new = cand[t] + z * (h[t] - cand[t])
            h[t + 1] = _carry(None if m is None else m[t], h_new, h[t])
        return {"ax": ax, "ah": ah, "rz": rz, "a_n": a_n, "cand": cand, "h": h}

    def _run_backward(
        self,
        xs: np.ndarray,
        m: np.ndarray | None,
        run: dict[str, Any],
        dh_out: np.ndarray,
        suffix: str,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...], np.ndarray | None]:
        T, n, _ = xs.shape
        H = self.units
        ax, ah, rz, a_n, cand, h = (
            run["ax"],
            run["ah"],
            run["rz"],
            run["a_n"],
            run["cand"],
            run["h"],
        )
        W_hh = self.params["W_hh" + suffix]
        da_in = np.empty_like(ax)
        da_hid = np.empty_like(ax)
        d_rz = np.empty((n, 2 * H), dtype=self.dtype)
        dh = np.zeros((n, H), dtype=self.dtype)
        keep = np.empty_like(dh_out) if self.keep_state_gradients else None
        for t in range(T - 1, -1, -1):
            dh = dh + dh_out[t]
            if keep is not None:
                keep[t] = dh
            r, z = rz[t][:, :H], rz[t][:, H:]
            dn = dh * (1 - z)
            self._f_backward(a_n[t], cand[t], dn, out=da_in[t][:, 2 * H :])
            d_rz[:, :H] = da_in[t][:, 2 * H :] * ah[t][:, 2 * H :]  # δr
            d_rz[:, H:] = dh * (h[t] - cand[t])  # δz
            pre_rz = ax[t][:, : 2 * H] + ah[t][:, : 2 * H]
            self._gate_backward(pre_rz, rz[t], d_rz, out=da_in[t][:, : 2 * H])
            da_hid[t][:, : 2 * H] = da_in[t][:, : 2 * H]
            np.multiply(da_in[t][:, 2 * H :], r, out=da_hid[t][:, 2 * H :])
            new_dh = dh * z + da_hid[t] @ W_hh
            if m is not None:
                da_in[t][~m[t]] = 0
                da_hid[t][~m[t]] = 0
                new_dh = np.where(m[t][:, None], new_dh, dh)
            dh = new_dh
            if self._cut(t, T):
                dh = np.zeros_like(dh)
        dx = self._accumulate(suffix, xs, h[:-1], da_in, da_hid)
        return dx, (dh,), keep


# Built-ins of the layer registry, like those of sigmanet.layers (which seals it too).
_LAYERS.seal()
