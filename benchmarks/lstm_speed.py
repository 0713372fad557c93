"""Forward + backward of one LSTM (or GRU) layer: sigmanet against PyTorch CPU, in one process.

The workload: a batch of 64 sequences of 100 steps with 32 features, 64 hidden units, float32
(or float64), every step's output returned (``return_sequences=True``, as ``nn.LSTM`` and
``nn.GRU`` always do), and the
gradient of ``L = Σ output ⊙ R`` for a fixed random R: one forward and one backward pass, with
the gradients of the input and of every weight. Both libraries get the same weights, and their
outputs and gradients are compared before anything is timed.

Rules: one BLAS thread for every library (``threadpool_limits(1)`` and
``torch.set_num_threads(1)``), the candidates interleaved round by round so that a change in
the machine's load hits both alike, and the median of the rounds reported with the spread
(the fastest and slowest round). The last row times the matrix products alone that one pass
needs (the input projection of all steps, the per-step recurrent product and their three
counterparts in backward): the floor under any implementation that keeps NumPy's BLAS.

The second row is sigmanet's NumPy loop (``layer.engine = "numpy"``), what runs without numba.

Run: ``python benchmarks/lstm_speed.py [--cell lstm|gru] [--dtype float32|float64] [--rounds N]
[--clock wall|cpu]``. PyTorch is optional (``torch==2.13.0``, CPU build); without it only
sigmanet's rows print.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

# sigmanet's compiled loops call scipy's BLAS, a second pool beside NumPy's: loaded before the
# thread limit is set, so that the limit reaches it too
import scipy.linalg.cython_blas  # noqa: F401
from threadpoolctl import threadpool_limits

from sigmanet.recurrent import GRU, LSTM

try:
    import torch
except ImportError:  # pragma: no cover - PyTorch is an optional peer
    torch = None

BATCH, STEPS, FEATURES, HIDDEN = 64, 100, 32, 64
CELLS = {"lstm": LSTM, "gru": GRU}


def make_sigmanet(
    cell: str, x: np.ndarray, probe: np.ndarray, engine: str = "auto"
) -> tuple[LSTM | GRU, Callable[[], np.ndarray]]:
    layer = CELLS[cell](HIDDEN, return_sequences=True)
    layer.build(FEATURES, np.random.default_rng(0), x.dtype)
    layer.engine = engine

    def step() -> np.ndarray:
        layer.forward(x, training=True)
        return layer.backward(probe)

    return layer, step


def make_torch(layer: LSTM | GRU, x: np.ndarray, probe: np.ndarray) -> Callable[[], object]:
    torch_cell = torch.nn.LSTM if isinstance(layer, LSTM) else torch.nn.GRU
    module = torch_cell(FEATURES, HIDDEN, batch_first=True)
    if x.dtype == np.float64:
        module = module.double()
    with torch.no_grad():
        for name, value in module.named_parameters():
            kind, which = name.split("_")[:2]
            ours = ("W_" if kind == "weight" else "b_") + which
            value.copy_(torch.from_numpy(layer.params[ours]))
    x_t = torch.from_numpy(x).requires_grad_()
    probe_t = torch.from_numpy(probe)

    def step() -> object:
        module.zero_grad(set_to_none=True)
        x_t.grad = None
        output, _ = module(x_t)
        (output * probe_t).sum().backward()
        return module, x_t

    return step


def make_floor(layer: LSTM | GRU, x: np.ndarray) -> Callable[[], None]:
    """The products of one forward and backward pass, alone, into preallocated arrays."""
    W_ih, W_hh = layer.params["W_ih"], layer.params["W_hh"]
    G, dtype = W_hh.shape[0], x.dtype  # G: the gates' rows, 4H (LSTM) or 3H (GRU)
    xs = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(STEPS * BATCH, FEATURES)
    proj = np.empty((STEPS * BATCH, G), dtype)
    h = np.ones((BATCH, HIDDEN), dtype)
    gate = np.empty((BATCH, G), dtype)
    da = np.ones((STEPS * BATCH, G), dtype)
    hs = np.ones((STEPS * BATCH, HIDDEN), dtype)
    dh = np.empty((BATCH, HIDDEN), dtype)
    g_ih = np.empty_like(W_ih)
    g_hh = np.empty_like(W_hh)
    dx = np.empty((STEPS * BATCH, FEATURES), dtype)
    W_hh_T = W_hh.T

    def step() -> None:
        np.matmul(xs, W_ih.T, out=proj)
        for _ in range(STEPS):
            np.matmul(h, W_hh_T, out=gate)
        for t in range(STEPS):
            np.matmul(da[t * BATCH : (t + 1) * BATCH], W_hh, out=dh)
        np.matmul(da.T, xs, out=g_ih)
        np.matmul(da.T, hs, out=g_hh)
        np.matmul(da, W_ih, out=dx)

    return step


def check_agreement(layer: LSTM | GRU, sigmanet_step, torch_step) -> float:
    """The largest difference of any gradient, relative to that gradient's largest entry."""
    grad_x = sigmanet_step()
    module, x_t = torch_step()
    pairs = [(grad_x, x_t.grad.numpy())]
    for name, value in module.named_parameters():
        kind, which = name.split("_")[:2]
        ours = ("W_" if kind == "weight" else "b_") + which
        pairs.append((layer.grads[ours], value.grad.numpy()))
    return max(float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", choices=tuple(CELLS), default="lstm")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time, or the process's CPU time (steadier on a loaded machine: time spent "
        "waiting for a core is not counted; every candidate runs on one thread)",
    )
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    rng = np.random.default_rng(1)
    x = rng.standard_normal((BATCH, STEPS, FEATURES)).astype(args.dtype)
    probe = rng.standard_normal((BATCH, STEPS, HIDDEN)).astype(args.dtype)
    layer, sigmanet_step = make_sigmanet(args.cell, x, probe)
    candidates: dict[str, Callable[[], object]] = {"sigmanet": sigmanet_step}
    # the NumPy loop, the reference the compiled loops must agree with (and what runs without
    # numba)
    candidates["sigmanet numpy"] = make_sigmanet(args.cell, x, probe, engine="numpy")[1]
    if torch is not None:
        torch.set_num_threads(1)
        candidates["pytorch"] = make_torch(layer, x, probe)
    candidates["matmul floor"] = make_floor(layer, x)

    print(
        f"{args.cell.upper()} forward+backward: batch {BATCH}, {STEPS} steps, {FEATURES} "
        f"inputs, {HIDDEN} hidden, {args.dtype}, one BLAS thread; median of {args.rounds} "
        f"interleaved rounds, {args.clock} time"
    )
    print(
        f"numpy {np.__version__}"
        + (f", torch {torch.__version__}" if torch else "")
        + f", {platform.processor() or platform.machine()}"
    )
    times: dict[str, list[float]] = {name: [] for name in candidates}
    with threadpool_limits(1):
        if torch is not None:
            print(
                f"gradients, sigmanet against pytorch: max |difference| / max |gradient| = "
                f"{check_agreement(layer, sigmanet_step, candidates['pytorch']):.2e}"
            )
        for step in candidates.values():  # warm-up
            step()
        for _ in range(args.rounds):
            for name, step in candidates.items():
                start = clock()
                step()
                times[name].append(clock() - start)
    reference = statistics.median(times["pytorch"]) if torch is not None else None
    for name, values in times.items():
        median = statistics.median(values)
        ratio = f"  {median / reference:5.2f}x PyTorch" if reference else ""
        print(
            f"  {name:<16} {1e3 * median:8.1f} ms  (min {1e3 * min(values):.1f}, "
            f"max {1e3 * max(values):.1f}){ratio}"
        )


if __name__ == "__main__":
    main()
