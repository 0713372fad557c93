"""What SimpleRNN, LSTM and GRU share: the unrolled loop over the steps, masks and lengths,
initial states, the reverse direction, truncated backpropagation through time, gradient
clipping, and the buffers a training pass reuses.

The formulas, the parameter layout and the options are set out in
:mod:`sigmanet.layers.recurrent`.
"""

from __future__ import annotations

import importlib
import math
import numbers
from typing import Any

import numpy as np

from sigmanet import initializers as _initializers
from sigmanet._arrays import as_float_array
from sigmanet.layers.base import Layer


def _take_rows(array: np.ndarray, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``array[rows]`` into ``out``; mode="clip" because np.take's default copies ``out``."""
    return np.take(array, rows, axis=0, out=out, mode="clip")


#: The largest float64 step (sequences × units) the loops run compiled. numba's float64 tanh
#: is the C library's, one element at a time, where NumPy's loop is vectorised; beyond about
#: this size the NumPy loop's per-call overhead no longer outweighs that. Forward and backward
#: over 100 steps, 32 inputs, one thread, medians of 5 interleaved rounds on a loaded machine:
#: at 8 × 16 the compiled LSTM, GRU and SimpleRNN took 0.31×, 0.23× and 0.46× the NumPy loop's
#: time, at 16 × 32 1.06×, 0.45× and 0.43×, at 32 × 32 1.28×, 1.09× and 1.18×, at 64 × 64
#: 1.56×, 1.51× and 1.53×. float32 runs compiled at every size: its tanh is a rational
#: function that vectorises.
FLOAT64_COMPILED_ELEMENTS = 512

#: The compiled loops' modules imported so far, by name; False where the import failed.
_compiled_modules: dict[str, Any] = {}


def _load_compiled(module: str) -> Any:
    """``sigmanet.layers.recurrent.<module>``, imported on first use; None when numba is
    missing (the module imports numba), where the NumPy loop runs."""
    if module not in _compiled_modules:
        loaded: Any
        try:
            loaded = importlib.import_module(f"sigmanet.layers.recurrent.{module}")
        except ImportError:
            loaded = False
        _compiled_modules[module] = loaded
    return _compiled_modules[module] or None


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
    #: The module of the cell's compiled loops (numba), None for a cell without them.
    _compiled_module: str | None = None
    #: Whether the cell's activations are those its compiled loops implement (set by the cell).
    _fused: bool = False
    #: Set in ``__init__``; here for layers pickled before SimpleRNN and GRU had it.
    engine: str = "auto"
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
        #: "auto": the loop over the steps runs compiled where the cell has compiled loops for
        #: its activations, numba is installed and no step is masked; "numpy": always the
        #: NumPy loop, the reference.
        self.engine: str = "auto"

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

    def _compiled_loops(self, rows: int) -> Any:
        """The cell's compiled loops (a module of numba kernels) for a pass over ``rows``
        sequences, or None where the NumPy loop runs: ``engine="numpy"``, numba missing, a cell
        without compiled loops for its activations (``_fused``), a dtype other than float32
        and float64, or float64 steps of more than :data:`FLOAT64_COMPILED_ELEMENTS`."""
        if self.engine not in ("auto", "numpy"):
            raise ValueError(
                f"engine must be 'auto' (compiled loops when numba is installed) or 'numpy' "
                f"(the reference loop); got {self.engine!r}."
            )
        if self.engine == "numpy" or not self._fused or self._compiled_module is None:
            return None
        if self.dtype.kind != "f" or self.dtype.itemsize not in (4, 8):
            return None
        if self.dtype.itemsize == 8 and rows * self.units > FLOAT64_COMPILED_ELEMENTS:
            return None
        return _load_compiled(self._compiled_module)

    def _constants(self) -> tuple[np.ndarray, bool]:
        """½, ¼ and 1 in the layer's dtype, for the compiled loops, and whether their tanh is
        the rational one (float32)."""
        constants = self._scratch("constants", (3,))
        constants[:] = (0.5, 0.25, 1.0)
        return constants, self.dtype == np.float32

    def _gemm_address(self) -> int:
        """The address of NumPy's ``gemm`` for the layer's dtype (0: a BLAS the engine does not
        know), for the compiled loops' per-step products: on the LSTM's (256 × 64) by (64 × 64)
        step of the backward pass in float32, 100 steps took 2.9 ms through it against 3.7 ms
        through numba's ``np.dot`` (scipy's BLAS), one thread. Imported here, as
        ``sigmanet.engine._blas`` imports numba."""
        from sigmanet.engine._blas import gemm_address

        return gemm_address(self.dtype)

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
                columns = slice(direction * H, (direction + 1) * H)
                rows = run.get("rows")
                if rows is not None:
                    # The rows [x_t, 1, h_{t-1}] of a compiled loop (see ``lstm_forward``)
                    # hold every state but the last in the output's order already: copied
                    # from them, rows of H values, instead of transposing (H, n) blocks
                    # (0.12 ms against 0.41 for 64 sequences of 100 steps and 64 units).
                    states = rows[:, :, rows.shape[2] - H :]  # h_{t-1} by time, (T, n, H)
                    if direction == 1:
                        np.copyto(output[:, 1:, columns], states[:-1].transpose(1, 0, 2))
                        np.copyto(output[:, 0, columns], run["h"][0, :H].T)
                    else:
                        np.copyto(output[:, :-1, columns], states[1:].transpose(1, 0, 2))
                        np.copyto(output[:, -1, columns], run["h"][-1, :H].T)
                    continue
                h = run["h"][:, :H]
                after = h[:-1] if direction == 1 else h[1:]  # the state after each step
                np.copyto(output[:, :, columns], after.transpose(2, 0, 1))
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
                suffix,
                x_time,
                self._previous_states(run["h"], reverse),
                da_input,
                da_hidden,
                run.pop("da_by_gate", None),
                run.get("rows"),
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
        by_gate: tuple[np.ndarray, np.ndarray] | None = None,
        rows: np.ndarray | None = None,
    ) -> None:
        """Fill the parameter gradients from every step's pre-activation gradients at once.

        ``da_input`` (T, G·H, n) is ∂L/∂(W_ih x + b_ih), ``da_hidden`` ∂L/∂(W_hh h + b_hh)
        (the same array except in the GRU); ``h_prev`` (T, H + 1, n) holds h_{t-1} and the
        row of ones: ∂L/∂W_ih = Σ_t δa_t x_t, ∂L/∂W_hh = Σ_t δa_t h_{t-1}ᵀ, ∂L/∂b = Σ_t δa_t 1,
        as batched products, summed over the steps by a product with a vector of ones.
        ``by_gate``, when given, holds ``da_input`` and ``da_hidden`` gate row first, each
        (G·H, T, n) (the compiled loops write them so): each sum over the steps is then one
        product, ``[δa_1 … δa_T] [x_1 … x_T]ᵀ``, and where ``da_input`` is ``da_hidden``
        (LSTM, SimpleRNN) both sums are one product with the rows [x_t, 1, h_{t-1}]
        ((T, n, width), given as ``rows`` where the forward loop wrote them, see
        ``lstm_forward``).
        """
        T, G, n = da_input.shape
        D, H = self.input_dim, self.units
        width_x = x_time.shape[2]  # n_features, and the ones column with a bias
        separate = da_hidden is not da_input  # the GRU's two δa
        width_h = H + (self.use_bias and separate)
        from_x = self._scratch("grad_from_x", (G, width_x))
        from_h = self._scratch("grad_from_h", (G, width_h))
        if by_gate is not None and not separate:
            # One δa for both (LSTM, SimpleRNN): one product with the steps' rows [x_t, 1,
            # h_{t-1}] side by side, [δa_1 … δa_T] [z_1 … z_T]ᵀ: K = T·n is long, and one
            # product of 33 + 64 columns took 4.1 ms where the two took 4.7 (float32, LSTM
            # of 64 units, batch 64, 100 steps, one thread).
            rows_xh = rows
            if rows_xh is None:
                rows_xh = self._scratch("steps_by_row", (T, n, width_x + width_h))
                np.copyto(rows_xh[:, :, :width_x], x_time)
                np.copyto(rows_xh[:, :, width_x:], h_prev[:, :width_h].transpose(0, 2, 1))
            from_xh = self._scratch("grad_from_xh", (G, width_x + width_h))
            np.matmul(by_gate[0].reshape(G, T * n), rows_xh.reshape(T * n, -1), out=from_xh)
            # into contiguous arrays: np.take (below) copies a strided input
            np.copyto(from_x, from_xh[:, :width_x])
            np.copyto(from_h, from_xh[:, width_x:])
        elif by_gate is not None:
            input_steps, hidden_steps = (part.reshape(G, T * n) for part in by_gate)
            np.matmul(input_steps, x_time.reshape(T * n, width_x), out=from_x)
            states = self._scratch("states_by_row", (T, n, width_h))
            np.copyto(states, h_prev[:, :width_h].transpose(0, 2, 1))
            np.matmul(hidden_steps, states.reshape(T * n, width_h), out=from_h)
        else:
            ones = self._buffers.get("ones_steps", (T,), self.dtype, fill=1)
            per_step = self._scratch("grad_per_step_x", (T, G, width_x))
            np.matmul(da_input, x_time, out=per_step)
            np.matmul(ones, per_step.reshape(T, -1), out=from_x.reshape(-1))
            per_step = self._scratch("grad_per_step_h", (T, G, width_h))
            np.matmul(da_hidden, h_prev[:, :width_h].transpose(0, 2, 1), out=per_step)
            np.matmul(ones, per_step.reshape(T, -1), out=from_h.reshape(-1))
        width = width_h
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
