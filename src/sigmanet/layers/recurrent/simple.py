"""Elman's recurrent layer, ``SimpleRNN``: one activation of the affine map of input and state."""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet import activations as _activations
from sigmanet.layers.base import REGISTRY
from sigmanet.layers.recurrent.base import _Recurrent

__all__ = ["SimpleRNN"]


@REGISTRY.register("SimpleRNN")
class SimpleRNN(_Recurrent):
    """Elman's recurrent layer: ``h_t = g(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)``.

    Backward: ``δa_t = δh_t ⊙ g'(a_t)`` and ``δh_{t-1} += δa_t W_hh``. Through T steps the
    gradient is multiplied by T Jacobians ``diag(g'(a_t)) W_hh``, which is why it vanishes or
    explodes over long spans; ``g = tanh`` keeps the state in (-1, 1), whereas with ReLU and a
    recurrent matrix of spectral radius above 1 the state grows without bound.

    With tanh (the default) and numba installed, the loop over the steps runs compiled
    (``sigmanet.layers.recurrent._compiled_simple``), one call per pass, in the NumPy
    loop's arithmetic; ``layer.engine = "numpy"`` selects the NumPy loop, the reference,
    which masked steps, the other activations and large float64 steps (see
    ``sigmanet.layers.recurrent.base.FLOAT64_COMPILED_ELEMENTS``) also take.

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

    _compiled_module = "_compiled_simple"

    def __init__(self, units: int, activation: Any = "tanh", **options: Any) -> None:
        super().__init__(units, **options)
        self.activation = _activations.get(activation)
        self._f, self._f_backward = self.activation.kernels()
        # tanh: the loops run compiled
        self._fused = self.activation == _activations.get("tanh")

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
        loops = self._compiled_loops(n) if steps_mask is None else None
        if loops is not None:
            loops.simple_forward(
                a, W_hh, h, recurrent, reverse, self._constants()[1], self._gemm_address()
            )
            run.update(a=a, h=h)
            return run
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
        loops = self._compiled_loops(n) if steps_mask is None and keep is None else None
        if loops is not None:
            by_gate = self._scratch("da_by_gate", (H, T, n))
            run["da_by_gate"] = (by_gate, by_gate)
            loops.simple_backward(
                h,
                run["W_hh"],
                self._scratch("no_output", (0, H, n)) if dh_out is None else dh_out,
                dh,
                da,
                by_gate,
                reverse,
                self.truncate or 0,
                self._constants()[0],
                self._gemm_address(),
            )
            return da, da, (dh,), keep
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
