"""The GRU: the gated recurrent unit, with reset and update gates."""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet import activations as _activations
from sigmanet.layers.base import REGISTRY
from sigmanet.layers.recurrent.base import _Recurrent
from sigmanet.layers.recurrent.gates import _gate_kernels, _gate_values, check_gate_activation

__all__ = ["GRU"]


@REGISTRY.register("GRU")
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

    With sigmoid gates and tanh (the defaults) and numba installed, the loop over the steps
    runs compiled (``sigmanet.layers.recurrent._compiled_gru``), one call per pass, in
    the NumPy loop's arithmetic; ``layer.engine = "numpy"`` selects the NumPy loop, the
    reference, which masked steps (and large float64 steps, see
    ``sigmanet.layers.recurrent.base.FLOAT64_COMPILED_ELEMENTS``) also take.

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
    _compiled_module = "_compiled_gru"
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
        # sigmoid gates and a tanh candidate: the loops run compiled
        self._fused = bool(
            self.gate_activation == _activations.get("sigmoid")
            and self.activation == _activations.get("tanh")
        )

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
        loops = self._compiled_loops(n) if steps_mask is None else None
        if loops is not None:
            loops.gru_forward(
                ax, ah, W_hh, h, gates, reverse, *self._constants(), self._gemm_address()
            )
            run.update(ax=ax, ah=ah, gates=gates, h=h)
            return run
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
        loops = self._compiled_loops(n) if steps_mask is None and keep is None else None
        if loops is not None:
            by_gate = self._scratch("da_by_gate", (2, G, T, n))
            run["da_by_gate"] = (by_gate[0], by_gate[1])
            loops.gru_backward(
                ah,
                gates,
                h,
                run["W_hh"],
                self._scratch("no_output", (0, H, n)) if dh_out is None else dh_out,
                dh,
                dh_next,
                da_input,
                da_hidden,
                by_gate,
                reverse,
                self.truncate or 0,
                self._constants()[0],
                self._gemm_address(),
            )
            return da_input, da_hidden, (dh,), keep
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
