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

As every layer does, a training pass (``forward(x, training=True)`` and ``backward``) writes
into arrays the layer keeps and reuses while the shapes repeat, so that in steady state it
allocates nothing; the array it returns is overwritten by the next training pass.

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


def _take_rows(array: np.ndarray, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``array[rows]`` into ``out``; mode="clip" because np.take's default copies ``out``."""
    return np.take(array, rows, axis=0, out=out, mode="clip")


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
    #: Whether the step adds b_hh itself (the GRU, where r multiplies it) rather than the
    #: inputs' product adding it once for all steps.
    _recurrent_bias_in_step = False
    #: The parameters' row of each row of the computation, when a cell reorders its gates
    #: (and the inverse permutation); None when it keeps the parameters' order.
    _rows: np.ndarray | None = None
    _rows_back: np.ndarray | None = None
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
        # a pass keeps about fifteen arrays per direction and twenty more, for each batch size
        # of an epoch
        self._buffers.capacity = 128

    def __getstate__(self) -> dict[str, Any]:
        # The reused arrays of the last passes are no part of the layer: a copy or a pickle
        # starts with none (and never with read-only ones, as a memory-mapped load would give).
        state = self.__dict__.copy()
        state["_buffers"] = type(self._buffers)(capacity=self._buffers.capacity)
        state["_cache"] = None
        return state

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
        self, x: np.ndarray, mask: Any, lengths: Any, training: bool = False
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
            # in training, into reused buffers: series without padding, the common case, then
            # cost no allocation
            is_value = self._mask_work("is_mask_value", x.shape, training)
            if math.isnan(self.mask_value):
                np.isnan(x, out=is_value)
            else:
                np.equal(x, self.mask_value, out=is_value)
            padded = np.all(is_value, axis=2, out=self._mask_work("padded", (n, T), training))
            if not padded.any():
                return x, None
            mask = ~padded
        if mask is None or mask.all():
            return x, None
        if not mask.any(axis=1).all():
            empty = int(np.argmin(mask.any(axis=1)))
            raise ValueError(f"sequence {empty} has no real step: every step is masked.")
        x = np.where(mask[:, :, None], x, 0).astype(self.dtype, copy=False)
        return x, np.ascontiguousarray(mask.T)

    def _initial_states(self, initial_state: Any, n: int) -> list[tuple[np.ndarray, ...]]:
        """Per direction, the starting ``(h0,)`` or ``(h0, c0)``, each of shape (n, units)."""
        shape_h = (n, self.units)
        if initial_state is None:
            zero = self._buffers.get("zero_state", shape_h, self.dtype, fill=0)
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

    # -- the layout of a pass ------------------------------------------------------------------
    # A pass runs units-major: per direction, pre-activations and gates of shape (T, G·units,
    # n) and states of shape (T + 1, units + 1, n) (the last row is ones, see below), so that
    # a step's slice [t] is one contiguous (G·units, n) block whose gates are contiguous row
    # blocks. NumPy's elementwise loops run several times slower on strided blocks (the gate
    # columns of an (n, G·units) layout, or a time slice of a (G·units, T, n) one), and the
    # per-step work is mostly such loops. The products over all steps are batched products
    # over the T blocks. States are stored by time for both directions: the forward direction
    # goes from h[t] to h[t + 1], the reverse one from h[t + 1] to h[t].
    # In training, every array comes from the layer's buffers and is reused by the next call
    # with the same shapes (no allocation in steady state); in inference, forward allocates.

    def _work(self, purpose: str, shape: tuple[int, ...], training: bool) -> np.ndarray:
        if training:
            return self._buffers.get(purpose, shape, self.dtype)
        return np.empty(shape, dtype=self.dtype)

    def _mask_work(self, purpose: str, shape: tuple[int, ...], training: bool) -> np.ndarray:
        if training:
            return self._buffers.get(purpose, shape, np.bool_)
        return np.empty(shape, dtype=np.bool_)

    def _scratch(self, purpose: str, shape: tuple[int, ...]) -> np.ndarray:
        return self._buffers.get(purpose, shape, self.dtype)

    @staticmethod
    def _steps(T: int, reverse: bool) -> range:
        """The time steps in processing order."""
        return range(T - 1, -1, -1) if reverse else range(T)

    @staticmethod
    def _ends(t: int, reverse: bool) -> tuple[int, int]:
        """The state indices before and after time step ``t``."""
        return (t + 1, t) if reverse else (t, t + 1)

    @staticmethod
    def _previous_states(h: np.ndarray, reverse: bool) -> np.ndarray:
        """h_prev(t) for every step, shape (T, units + 1, n) (a view of ``h``)."""
        return h[1:] if reverse else h[:-1]

    # A row of ones below the states and a column of ones beside the inputs carry the biases
    # through the matrix products: [W | b] [x; 1] = W x + b. The products then give the bias
    # gradients too, and no broadcast addition (which NumPy buffers) runs on a whole pass.

    def _inputs_by_time(self, x: np.ndarray, training: bool) -> np.ndarray:
        """``x`` as (T, n, n_features [+ 1]): each step's rows contiguous, and the ones column."""
        n, T, D = x.shape
        x_time = self._work("x_time", (T, n, D + self.use_bias), training)
        np.copyto(x_time[:, :, :D], x.transpose(1, 0, 2))
        if self.use_bias:
            x_time[:, :, D].fill(1)
        return x_time

    def _states(
        self, T: int, n: int, start: np.ndarray, reverse: bool, training: bool, purpose: str = "h"
    ) -> np.ndarray:
        """Room for the states h_0..h_T, (T + 1, units + 1, n) with the row of ones, and h_0."""
        H = self.units
        h = self._work(purpose, (T + 1, H + 1, n), training)
        h[:, H].fill(1)
        np.copyto(h[T if reverse else 0, :H], start.T)
        return h

    def _weights(
        self, suffix: str, rows: np.ndarray | None = None, halve: int = 0
    ) -> dict[str, Any]:
        """The weights as a pass uses them: ``W_ih`` and ``W_hh`` (with their rows in the order
        ``rows`` of the computation, when given), ``W_in`` = [W_ih | b] for the inputs' product
        (b = b_ih + b_hh, or b_ih when the cell adds b_hh in the step, see :class:`GRU`) and
        ``W_rec`` for the step's product; the first ``halve`` rows of the last two halved."""
        params = self.params
        G, D = params["W_ih" + suffix].shape
        H = self.units
        W_ih, W_hh = params["W_ih" + suffix], params["W_hh" + suffix]
        if rows is not None:
            W_ih = _take_rows(W_ih, rows, self._scratch("W_ih" + suffix, (G, D)))
            W_hh = _take_rows(W_hh, rows, self._scratch("W_hh" + suffix, (G, H)))
        W_in = self._scratch("W_in" + suffix, (G, D + self.use_bias))
        np.copyto(W_in[:, :D], W_ih)
        bias_in_step = self._recurrent_bias_in_step and self.use_bias
        W_rec = self._scratch("W_rec" + suffix, (G, H + bias_in_step))
        np.copyto(W_rec[:, :H], W_hh)
        if self.use_bias:
            b = self._scratch("bias", (G,))
            if bias_in_step:
                np.copyto(b, params["b_ih" + suffix])
                np.copyto(W_rec[:, H], params["b_hh" + suffix])
            else:  # both biases once for all steps, not once per step
                np.add(params["b_ih" + suffix], params["b_hh" + suffix], out=b)
            W_in[:, D] = (
                b if rows is None else _take_rows(b, rows, self._scratch("bias_rows", (G,)))
            )
        if halve:
            W_in[:halve] *= 0.5
            W_rec[:halve] *= 0.5
        return {"W_ih": W_ih, "W_hh": W_hh, "W_in": W_in, "W_rec": W_rec}

    def _project(
        self, x_time: np.ndarray, W_in: np.ndarray, purpose: str, training: bool
    ) -> np.ndarray:
        """``W_ih x_tᵀ + b`` for every step: one batched product, shape (T, G·units, n)."""
        T, n, _ = x_time.shape
        a = self._work(purpose, (T, W_in.shape[0], n), training)
        np.matmul(W_in, x_time.transpose(0, 2, 1), out=a)
        return a

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
            With True the output and every intermediate array live in buffers that the next
            training call with the same shapes reuses (the returned array is overwritten by
            it); with False they are allocated afresh. No dropout inside the cell.
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
        x, time_mask = self._resolve_mask(x, mask, lengths, training)
        n, T, _ = x.shape
        starts = self._initial_states(initial_state, n)
        x_time = self._inputs_by_time(x, training)
        steps_mask = None if time_mask is None else (~time_mask, time_mask)
        runs = [
            self._run(x_time, steps_mask, starts[direction], suffix, direction == 1, training)
            for direction, suffix in enumerate(self._suffixes())
        ]
        H = self.units
        if self.return_sequences:
            output = self._work("output", (n, T, H * self.directions), training)
            for direction, run in enumerate(runs):
                h = run["h"][:, :H]
                after = h[:-1] if direction == 1 else h[1:]  # the state after each step
                np.copyto(
                    output[:, :, direction * H : (direction + 1) * H], after.transpose(2, 0, 1)
                )
            if time_mask is not None:
                fill = 0.0 if self.mask_value is None else self.mask_value
                output[~time_mask.T] = fill
        else:
            output = self._work("output", (n, H * self.directions), training)
            for direction, run in enumerate(runs):
                last = run["h"][0, :H] if direction == 1 else run["h"][-1, :H]
                np.copyto(output[:, direction * H : (direction + 1) * H], last.T)
        self._cache = (x_time, steps_mask, runs, given_state, output)
        return output

    def _run(
        self,
        x_time: np.ndarray,
        steps_mask: tuple[np.ndarray, np.ndarray] | None,
        start: tuple[np.ndarray, ...],
        suffix: str,
        reverse: bool,
        training: bool,
    ) -> dict[str, Any]:
        """One direction's forward pass; returns its arrays (``"h"`` among them).

        ``steps_mask`` is None or the pair (padding, real) of (T, n) boolean arrays.
        """
        raise NotImplementedError

    # -- backward ---------------------------------------------------------------------------
    def _backward(self, grad_output: np.ndarray, need_input_grad: bool) -> np.ndarray | None:
        x_time, steps_mask, runs, given_state, _ = self._cache  # type: ignore[misc]
        if grad_output.dtype != self.dtype:
            grad_output = grad_output.astype(self.dtype)
        T, n, _ = x_time.shape
        H = self.units
        D = x_time.shape[2] - self.use_bias
        grad_x = self._scratch("grad_x", (T, D, n)) if need_input_grad else None
        initial_grads = []
        kept = []
        for direction, suffix in enumerate(self._suffixes()):
            reverse = direction == 1
            columns = slice(direction * H, (direction + 1) * H)
            dh_out = None
            dh_last = None
            if self.return_sequences:
                # ∂L/∂h_t from the output, (T, H, n) by time
                dh_out = self._scratch("dh_out", (T, H, n))
                np.copyto(dh_out, grad_output[:, :, columns].transpose(1, 2, 0))
                if steps_mask is not None:
                    np.copyto(dh_out, 0, where=steps_mask[0][:, None, :])
            else:
                dh_last = grad_output[:, columns].T
            run = runs[direction]
            da_input, da_hidden, d_start, dh_all = self._run_backward(
                run, steps_mask, dh_out, dh_last, suffix, reverse
            )
            self._accumulate(
                suffix, x_time, self._previous_states(run["h"], reverse), da_input, da_hidden
            )
            if grad_x is not None:
                # ∂L/∂x_t = W_ihᵀ δa_t, for every step at once
                W_ih_T = run["W_ih"].T
                if direction == 0:
                    np.matmul(W_ih_T, da_input, out=grad_x)
                else:
                    reverse_part = self._scratch("grad_x_reverse", grad_x.shape)
                    np.matmul(W_ih_T, da_input, out=reverse_part)
                    np.add(grad_x, reverse_part, out=grad_x)
            if given_state:
                initial_grads.append(tuple(d.T.copy() for d in d_start))
            if dh_all is not None:
                kept.append(dh_all.transpose(0, 2, 1).copy())
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
        if grad_x is None:
            return None
        grad_input = self._scratch("grad_input", (n, T, D))
        np.copyto(grad_input, grad_x.transpose(2, 0, 1))
        if steps_mask is not None:
            np.copyto(grad_input, 0, where=steps_mask[0].T[:, :, None])
        return grad_input

    def _clip_gradients(self) -> None:
        assert self.clip_norm is not None
        norm = math.sqrt(sum(float(np.vdot(g, g)) for g in self.grads.values()))
        if norm > self.clip_norm:
            scale = self.clip_norm / norm
            for g in self.grads.values():
                g *= scale  # a Python float keeps float32 float32

    def _cut(self, step: int, T: int) -> bool:
        """Whether truncation stops the gradient before the ``step``-th processed step."""
        return self.truncate is not None and (T - step) % self.truncate == 0

    def _accumulate(
        self,
        suffix: str,
        x_time: np.ndarray,
        h_prev: np.ndarray,
        da_input: np.ndarray,
        da_hidden: np.ndarray,
    ) -> None:
        """Fill the parameter gradients from every step's pre-activation gradients at once.

        ``da_input`` (T, G·H, n) is ∂L/∂(W_ih x + b_ih), ``da_hidden`` ∂L/∂(W_hh h + b_hh)
        (the same array except in the GRU); ``h_prev`` (T, H + 1, n) holds h_{t-1} and the
        row of ones: ∂L/∂W_ih = Σ_t δa_t x_t, ∂L/∂W_hh = Σ_t δa_t h_{t-1}ᵀ, ∂L/∂b = Σ_t δa_t 1,
        as batched products, summed over the steps by a product with a vector of ones.
        """
        T, G, _ = da_input.shape
        D, H = self.input_dim, self.units
        ones = self._buffers.get("ones_steps", (T,), self.dtype, fill=1)
        width = x_time.shape[2]  # n_features, and the ones column with a bias
        per_step = self._scratch("grad_per_step_x", (T, G, width))
        from_x = self._scratch("grad_from_x", (G, width))
        np.matmul(da_input, x_time, out=per_step)
        np.matmul(ones, per_step.reshape(T, -1), out=from_x.reshape(-1))
        width = H + (self.use_bias and da_hidden is not da_input)
        per_step = self._scratch("grad_per_step_h", (T, G, width))
        from_h = self._scratch("grad_from_h", (G, width))
        np.matmul(da_hidden, h_prev[:, :width].transpose(0, 2, 1), out=per_step)
        np.matmul(ones, per_step.reshape(T, -1), out=from_h.reshape(-1))
        rows = self._rows_back
        grads = self.grads
        pairs = [("W_ih", from_x[:, :D]), ("W_hh", from_h[:, :H])]
        if self.use_bias:
            pairs += [("b_ih", from_x[:, D]), ("b_hh", from_h[:, H] if width > H else from_x[:, D])]
        for name, values in pairs:
            if rows is None:
                np.copyto(grads[name + suffix], values)
            else:  # back to the parameters' row order
                _take_rows(values, rows, grads[name + suffix])

    def _run_backward(
        self,
        run: dict[str, Any],
        steps_mask: tuple[np.ndarray, np.ndarray] | None,
        dh_out: np.ndarray | None,
        dh_last: np.ndarray | None,
        suffix: str,
        reverse: bool,
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...], np.ndarray | None]:
        """One direction's backward pass through time.

        ``dh_out`` (T, H, n) is the output's gradient for every step's state, by time
        (``return_sequences``); otherwise ``dh_last`` (H, n) is that of the last state.
        Returns ∂L/∂(W_ih x + b_ih) and ∂L/∂(W_hh h + b_hh), each (T, G·H, n) by time, the
        initial state's gradients (each (H, n)) and, if kept, δh_t by time, (T, H, n).
        """
        raise NotImplementedError

    def _start_backward(
        self, dh_last: np.ndarray | None, T: int, n: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """δh before the last step (zero, or the last output's gradient) and the kept δh."""
        dh = self._scratch("dh", (self.units, n))
        if dh_last is None:
            dh.fill(0)
        else:
            np.copyto(dh, dh_last)
        keep = self._scratch("keep", (T, self.units, n)) if self.keep_state_gradients else None
        return dh, keep

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _gate_values(
    layer: Any,
    x: Any,
    names: tuple[str, ...],
    rows: tuple[int, ...],
    forward_options: dict[str, Any],
) -> dict[str, np.ndarray]:
    """The gates of the last forward pass, ``rows`` giving each name's block index."""
    layer.forward(x, **forward_options)
    runs = layer._cache[2]
    H = layer.units
    values = {}
    for name, index in zip(names, rows, strict=True):
        # (T, H, n) by time in both directions, as (n, T, H)
        blocks = [run["gates"][:, index * H : (index + 1) * H].transpose(2, 0, 1) for run in runs]
        values[name] = np.stack(blocks)
    return values


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
        self,
        x_time: np.ndarray,
        steps_mask: tuple[np.ndarray, np.ndarray] | None,
        start: tuple[np.ndarray, ...],
        suffix: str,
        reverse: bool,
        training: bool,
    ) -> dict[str, Any]:
        T, n, _ = x_time.shape
        H = self.units
        run = self._weights(suffix)
        a = self._project(x_time, run["W_in"], "a" + suffix, training)  # a_t, step by step
        h = self._states(T, n, start[0], reverse, training, "h" + suffix)
        recurrent = self._scratch("recurrent", (H, n))
        W_hh = run["W_rec"]
        for t in self._steps(T, reverse):
            before, after = self._ends(t, reverse)
            np.matmul(W_hh, h[before, :H], out=recurrent)
            np.add(a[t], recurrent, out=a[t])
            self._f(a[t], out=h[after, :H])
            if steps_mask is not None:  # a padded step carries the state over unchanged
                np.copyto(h[after, :H], h[before, :H], where=steps_mask[0][t])
        run.update(a=a, h=h)
        return run

    def _run_backward(
        self,
        run: dict[str, Any],
        steps_mask: tuple[np.ndarray, np.ndarray] | None,
        dh_out: np.ndarray | None,
        dh_last: np.ndarray | None,
        suffix: str,
        reverse: bool,
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...], np.ndarray | None]:
        a, h = run["a"], run["h"]
        T, H, n = a.shape
        W_hh_T = run["W_hh"].T
        da = self._scratch("da", (T, H, n))
        dh_next = self._scratch("dh_next", (H, n))
        dh, keep = self._start_backward(dh_last, T, n)
        for step, t in enumerate(reversed(self._steps(T, reverse))):
            _, after = self._ends(t, reverse)
            if dh_out is not None:
                np.add(dh, dh_out[t], out=dh)
            if keep is not None:
                keep[t] = dh
            # at a padded step h[after] is the carried state, not g(a_t); δa_t is zeroed there
            self._f_backward(a[t], h[after, :H], dh, out=da[t])
            if steps_mask is None:
                np.matmul(W_hh_T, da[t], out=dh)
            else:  # a padded step passes δh on unchanged and contributes nothing
                padding, real = steps_mask
                np.copyto(da[t], 0, where=padding[t])
                np.matmul(W_hh_T, da[t], out=dh_next)
                np.copyto(dh, dh_next, where=real[t])
            if self._cut(T - 1 - step, T):
                dh.fill(0)
        return da, da, (dh,), keep


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
        H = self.units
        # the gates are computed in the order i, f, o, g: row k of the computation is row
        # _rows[k] of the parameters, and row j of a parameter is row _rows_back[j]
        self._rows = np.r_[0 : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]
        self._rows_back = np.argsort(self._rows)
        self._fused: bool = bool(
            self.gate_activation == _activations.get("sigmoid")
            and self.activation == _activations.get("tanh")
        )

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
        return _gate_values(
            self, x, ("input", "forget", "cell", "output"), (0, 1, 3, 2), forward_options
        )

    def _initial_bias(self, dtype: np.dtype[Any]) -> np.ndarray:
        bias = np.zeros(4 * self.units, dtype=dtype)
        bias[self.units : 2 * self.units] = self.forget_bias
        return bias

    def _run(
        self,
        x_time: np.ndarray,
        steps_mask: tuple[np.ndarray, np.ndarray] | None,
        start: tuple[np.ndarray, ...],
        suffix: str,
        reverse: bool,
        training: bool,
    ) -> dict[str, Any]:
        T, n, _ = x_time.shape
        H = self.units
        # The gates are computed in the order i, f, o, g: with the three valves adjacent, each
        # activation is one call on one block. When they are sigmoids and the candidate is
        # tanh, their rows are halved, and one tanh call gives every gate: σ(a) = ½ + ½
        # tanh(a/2), and a/2 comes out of the products exactly (halving is exact in binary
        # floating point), so nothing is rounded differently.
        run = self._weights(suffix, self._rows, 3 * H if self._fused else 0)
        a = self._project(x_time, run["W_in"], "a" + suffix, training)  # a_t, step by step
        # the gates i, f, o, g after their activations, and their derivatives at a_t
        gates = self._work("gates" + suffix, (T, 4 * H, n), training)
        slopes = self._work("slopes" + suffix, (T, 4 * H, n), training)
        h = self._states(T, n, start[0], reverse, training, "h" + suffix)
        c = self._work("c" + suffix, (T + 1, H, n), training)
        np.copyto(c[T if reverse else 0], start[1].T)
        tanh_c = self._work("tanh_c" + suffix, (T, H, n), training)
        recurrent = self._scratch("recurrent", (4 * H, n))
        product = self._scratch("product", (H, n))
        W_hh = run["W_rec"]
        # NumPy's tanh itself where the activation is tanh: no argument checks on every step
        cell_output = np.tanh if self._fused else self._f
        if not self._fused:
            ones = self._buffers.get("ones_gates", (4 * H, n), self.dtype, fill=1)
        for t in self._steps(T, reverse):
            before, after = self._ends(t, reverse)
            a_t, g_t, s_t = a[t], gates[t], slopes[t]
            np.matmul(W_hh, h[before, :H], out=recurrent)
            np.add(a_t, recurrent, out=a_t)
            if self._fused:
                # σ = ½ + ½ tanh, σ' = ¼ (1 - tanh²), tanh' = 1 - tanh²
                np.tanh(a_t, out=g_t)
                np.square(g_t, out=s_t)
                np.subtract(1, s_t, out=s_t)
                np.multiply(s_t[: 3 * H], 0.25, out=s_t[: 3 * H])
                np.multiply(g_t[: 3 * H], 0.5, out=g_t[: 3 * H])
                np.add(g_t[: 3 * H], 0.5, out=g_t[: 3 * H])
            else:
                self._gate(a_t[: 3 * H], out=g_t[: 3 * H])
                self._f(a_t[3 * H :], out=g_t[3 * H :])
                self._gate_backward(a_t[: 3 * H], g_t[: 3 * H], ones[: 3 * H], out=s_t[: 3 * H])
                self._f_backward(a_t[3 * H :], g_t[3 * H :], ones[3 * H :], out=s_t[3 * H :])
            i, f, o, g = g_t[:H], g_t[H : 2 * H], g_t[2 * H : 3 * H], g_t[3 * H :]
            c_t, h_t, tanh_c_t = c[after], h[after, :H], tanh_c[t]
            np.multiply(f, c[before], out=c_t)
            np.multiply(i, g, out=product)
            np.add(c_t, product, out=c_t)
            cell_output(c_t, out=tanh_c_t)
            np.multiply(o, tanh_c_t, out=h_t)
            if steps_mask is not None:  # a padded step carries the state over unchanged
                padding = steps_mask[0][t]
                np.copyto(c_t, c[before], where=padding)
                np.copyto(h_t, h[before, :H], where=padding)
        run.update(gates=gates, slopes=slopes, h=h, c=c, tanh_c=tanh_c)
        return run

    def _run_backward(
        self,
        run: dict[str, Any],
        steps_mask: tuple[np.ndarray, np.ndarray] | None,
        dh_out: np.ndarray | None,
        dh_last: np.ndarray | None,
        suffix: str,
        reverse: bool,
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...], np.ndarray | None]:
        gates, slopes, c, tanh_c = run["gates"], run["slopes"], run["c"], run["tanh_c"]
        T, G, n = gates.shape
        H = self.units
        W_hh_T = run["W_hh"].T
        da = self._scratch("da", (T, G, n))
        d_gates = self._scratch("d_gates", (G, n))
        dc_total = self._scratch("dc_total", (H, n))
        dh_o = self._scratch("dh_o", (H, n))
        dh_next = self._scratch("dh_next", (H, n))
        dc = self._scratch("dc", (H, n))
        dc.fill(0)
        dh, keep = self._start_backward(dh_last, T, n)
        for step, t in enumerate(reversed(self._steps(T, reverse))):
            before, after = self._ends(t, reverse)
            if dh_out is not None:
                np.add(dh, dh_out[t], out=dh)
            if keep is not None:
                keep[t] = dh
            g_t, tanh_c_t = gates[t], tanh_c[t]
            i, f, o, g = g_t[:H], g_t[H : 2 * H], g_t[2 * H : 3 * H], g_t[3 * H :]
            # δc ← δc + δh ⊙ o ⊙ tanh'(c_t)  (at a padded step c[after] is the carried
            # cell, not c_t; every gradient computed there is discarded)
            np.multiply(dh, o, out=dh_o)
            self._f_backward(c[after], tanh_c_t, dh_o, out=dc_total)
            np.add(dc_total, dc, out=dc_total)
            np.multiply(dc_total, g, out=d_gates[:H])  # δi
            np.multiply(dc_total, c[before], out=d_gates[H : 2 * H])  # δf
            np.multiply(dh, tanh_c_t, out=d_gates[2 * H : 3 * H])  # δo
            np.multiply(dc_total, i, out=d_gates[3 * H :])  # δg
            np.multiply(d_gates, slopes[t], out=da[t])  # through each activation
            if steps_mask is None:
                np.matmul(W_hh_T, da[t], out=dh)
                np.multiply(dc_total, f, out=dc)
            else:  # a padded step passes δh and δc on unchanged and contributes nothing
                padding, real = steps_mask
                np.copyto(da[t], 0, where=padding[t])
                np.matmul(W_hh_T, da[t], out=dh_next)
                np.copyto(dh, dh_next, where=real[t])
                np.multiply(dc_total, f, out=dc_total)
                np.copyto(dc, dc_total, where=real[t])
            if self._cut(T - 1 - step, T):
                dh.fill(0)
                dc.fill(0)
        return da, da, (dh, dc), keep


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
    _recurrent_bias_in_step = True
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
        return _gate_values(self, x, ("reset", "update"), (0, 1), forward_options)

    def _run(
        self,
        x_time: np.ndarray,
        steps_mask: tuple[np.ndarray, np.ndarray] | None,
        start: tuple[np.ndarray, ...],
        suffix: str,
        reverse: bool,
        training: bool,
    ) -> dict[str, Any]:
        T, n, _ = x_time.shape
        H = self.units
        run = self._weights(suffix)
        # W_ih x + b_ih; its r and z rows become those gates' whole pre-activation, its n
        # rows that of the candidate
        ax = self._project(x_time, run["W_in"], "ax" + suffix, training)
        ah = self._work("ah" + suffix, (T, 3 * H, n), training)  # W_hh h + b_hh
        gates = self._work("gates" + suffix, (T, 3 * H, n), training)  # r, z, n
        h = self._states(T, n, start[0], reverse, training, "h" + suffix)
        scratch = self._scratch("product", (H, n))
        W_hh = run["W_rec"]  # [W_hh | b_hh]: the states' row of ones adds b_hh
        rows = W_hh.shape[1]
        for t in self._steps(T, reverse):
            before, after = self._ends(t, reverse)
            ax_t, ah_t, g_t = ax[t], ah[t], gates[t]
            np.matmul(W_hh, h[before, :rows], out=ah_t)
            np.add(ax_t[: 2 * H], ah_t[: 2 * H], out=ax_t[: 2 * H])
            self._gate(ax_t[: 2 * H], out=g_t[: 2 * H])
            r, z, cand = g_t[:H], g_t[H : 2 * H], g_t[2 * H :]
            np.multiply(r, ah_t[2 * H :], out=scratch)
            np.add(ax_t[2 * H :], scratch, out=ax_t[2 * H :])
            self._f(ax_t[2 * H :], out=cand)
            # h_t = n + z ⊙ (h_{t-1} - n)
            np.subtract(h[before, :H], cand, out=scratch)
            np.multiply(scratch, z, out=scratch)
            np.add(cand, scratch, out=h[after, :H])
            if steps_mask is not None:  # a padded step carries the state over unchanged
                np.copyto(h[after, :H], h[before, :H], where=steps_mask[0][t])
        run.update(ax=ax, ah=ah, gates=gates, h=h)
        return run

    def _run_backward(
        self,
        run: dict[str, Any],
        steps_mask: tuple[np.ndarray, np.ndarray] | None,
        dh_out: np.ndarray | None,
        dh_last: np.ndarray | None,
        suffix: str,
        reverse: bool,
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...], np.ndarray | None]:
        ax, ah, gates, h = run["ax"], run["ah"], run["gates"], run["h"]
        T, G, n = ax.shape
        H = self.units
        W_hh_T = run["W_hh"].T
        da_input = self._scratch("da", (T, G, n))
        da_hidden = self._scratch("da_hidden", (T, G, n))
        d_gates = self._scratch("d_gates", (2 * H, n))
        dh_next = self._scratch("dh_next", (H, n))
        scratch = self._scratch("product", (H, n))
        dh, keep = self._start_backward(dh_last, T, n)
        for step, t in enumerate(reversed(self._steps(T, reverse))):
            before, _ = self._ends(t, reverse)
            if dh_out is not None:
                np.add(dh, dh_out[t], out=dh)
            if keep is not None:
                keep[t] = dh
            ax_t, ah_t, g_t = ax[t], ah[t], gates[t]
            di_t, dh_t = da_input[t], da_hidden[t]
            r, z, cand = g_t[:H], g_t[H : 2 * H], g_t[2 * H :]
            np.subtract(1, z, out=scratch)
            np.multiply(scratch, dh, out=scratch)  # δn = δh ⊙ (1 - z)
            self._f_backward(ax_t[2 * H :], cand, scratch, out=di_t[2 * H :])
            np.multiply(di_t[2 * H :], ah_t[2 * H :], out=d_gates[:H])  # δr
            np.subtract(h[before, :H], cand, out=scratch)
            np.multiply(scratch, dh, out=d_gates[H:])  # δz
            self._gate_backward(ax_t[: 2 * H], g_t[: 2 * H], d_gates, out=di_t[: 2 * H])
            np.copyto(dh_t[: 2 * H], di_t[: 2 * H])
            np.multiply(di_t[2 * H :], r, out=dh_t[2 * H :])
            if steps_mask is not None:
                np.copyto(di_t, 0, where=steps_mask[0][t])
                np.copyto(dh_t, 0, where=steps_mask[0][t])
            # δh_{t-1} = δh ⊙ z + W_hhᵀ [δa_r, δa_z, δa_n ⊙ r]
            np.matmul(W_hh_T, dh_t, out=dh_next)
            np.multiply(dh, z, out=scratch)
            if steps_mask is None:
                np.add(scratch, dh_next, out=dh)
            else:  # a padded step passes δh on unchanged
                np.add(scratch, dh_next, out=scratch)
                np.copyto(dh, scratch, where=steps_mask[1][t])
            if self._cut(T - 1 - step, T):
                dh.fill(0)
        return da_input, da_hidden, (dh,), keep


# Built-ins of the layer registry, like those of sigmanet.layers (which seals it too).
_LAYERS.seal()
