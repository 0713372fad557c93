"""The LSTM: long short-term memory, with input, forget and output gates and a cell."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from sigmanet import activations as _activations
from sigmanet.layers.base import REGISTRY
from sigmanet.layers.recurrent.base import _Recurrent
from sigmanet.layers.recurrent.gates import _gate_kernels, _gate_values, check_gate_activation

__all__ = ["LSTM"]


@REGISTRY.register("LSTM")
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
    _compiled_module = "_compiled"
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
        # sigmoid gates and tanh: one tanh gives every gate, and the loops run compiled
        self._fused = bool(
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
        # the gates i, f, o, g after their activations, and their derivatives at a_t
        gates = self._work("gates" + suffix, (T, 4 * H, n), training)
        slopes = self._work("slopes" + suffix, (T, 4 * H, n), training)
        h = self._states(T, n, start[0], reverse, training, "h" + suffix)
        c = self._work("c" + suffix, (T + 1, H, n), training)
        np.copyto(c[T if reverse else 0], start[1].T)
        tanh_c = self._work("tanh_c" + suffix, (T, H, n), training)
        loops = self._compiled_loops(n) if steps_mask is None else None
        if loops is not None:
            # Each step's inputs, bias and previous state side by side, [x_t, 1, h_{t-1}]:
            # the step's pre-activations are one product with [W_ih | b | W_hh] (no product of
            # all steps' inputs beforehand), and the weights' gradients read the same rows.
            width_x = x_time.shape[2]
            W = self._scratch("W_cat" + suffix, (4 * H, width_x + H))
            np.copyto(W[:, :width_x], run["W_in"])
            np.copyto(W[:, width_x:], run["W_rec"])
            rows = self._work("rows" + suffix, (T, n, width_x + H), training)
            np.copyto(rows[:, :, :width_x], x_time)
            np.copyto(rows[T - 1 if reverse else 0, :, width_x:], start[0])
            loops.lstm_forward(
                W,
                rows,
                width_x,
                h,
                c,
                gates,
                slopes,
                tanh_c,
                self._scratch("pre", (4 * H, n)),
                reverse,
                *self._constants(),
                self._gemm_address(),
            )
            run.update(gates=gates, slopes=slopes, h=h, c=c, tanh_c=tanh_c, rows=rows)
            return run
        a = self._project(x_time, run["W_in"], "a" + suffix, training)  # a_t, step by step
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
        loops = self._compiled_loops(n) if steps_mask is None and keep is None else None
        if loops is not None:
            by_gate = self._scratch("da_by_gate", (G, T, n))
            run["da_by_gate"] = (by_gate, by_gate)
            loops.lstm_backward(
                gates,
                slopes,
                c,
                tanh_c,
                run["W_hh"],
                self._scratch("no_output", (0, H, n)) if dh_out is None else dh_out,
                dh,
                dc,
                da,
                by_gate,
                reverse,
                self.truncate or 0,
                self._constants()[0],
                self._gemm_address(),
            )
            return da, da, (dh, dc), keep
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
