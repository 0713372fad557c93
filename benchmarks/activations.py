"""Which activations ``engine="auto"`` should compile: the compiled engine against the NumPy path.

Run with ``python benchmarks/activations.py`` (``--quick`` for a smoke test of the script,
``--repeat N`` rounds, ``--only tanh,sigmoid`` some activations). For every activation the
engine computes, in float32 and float64, it times on one BLAS thread, the two engines of each
case interleaved (one round of each, ``--repeat`` rounds, medians):

1. ``epoch``: training of a 100 → 256 → 128 → 10 MLP (the activation after both hidden
   layers, softmax cross-entropy, Adam), 4,096 samples, 2 epochs, batch 32 and batch 256;
2. ``lbfgs``: 10 evaluations of the full-batch loss and gradient
   (:class:`~sigmanet.training.FullBatchObjective`, what L-BFGS calls) of the same network
   on 4,096 samples;
3. ``predict``: the softmax output of the same network for 20,000 rows, five times
   (:func:`sigmanet.engine.forward` against the NumPy path's ``predict`` and softmax, what
   ``predict_proba`` runs on either engine).

Every case is compiled and run once before it is timed. Each line gives the two medians, their
ratio (NumPy / compiled: above 1 means the engine is faster) and the range over the rounds.
An activation belongs in a path's list of :mod:`sigmanet.engine` when the ratio is above 1 in
every case of that path. Prediction is timed only for the activations the prediction kernel
computes (``sigmanet.engine._full_batch.PREDICTED_ACTIVATIONS``).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from sigmanet import activations, losses, optimizers
from sigmanet.engine import ACTIVATIONS, forward
from sigmanet.engine._full_batch import PREDICTED_ACTIVATIONS
from sigmanet.layers import Activation, Dense
from sigmanet.network import Sequential
from sigmanet.training import FullBatchObjective, train

SOFTMAX = "softmax_cross_entropy_with_logits"
HIDDEN = (256, 128)
N_FEATURES, N_CLASSES = 100, 10


def network(activation: str, dtype: Any) -> Sequential:
    layers: list[Any] = []
    for width in HIDDEN:
        layers += [Dense(width), Activation(activation)]
    return Sequential([*layers, Dense(N_CLASSES)]).build(N_FEATURES, random_state=0, dtype=dtype)


def data(n: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, N_FEATURES)).astype(dtype)
    y = np.argmax(X[:, :N_CLASSES] + rng.standard_normal((n, N_CLASSES)), axis=1)
    return X, y


def epoch_case(activation: str, dtype: Any, batch: int, n: int, engine: str) -> Callable[[], Any]:
    X, y = data(n, dtype)

    def run() -> Any:
        history = train(
            network(activation, dtype),
            losses.get(SOFTMAX),
            optimizers.Adam(1e-3),
            X,
            y,
            epochs=2,
            batch_size=batch,
            random_state=0,
            engine=engine,
        )
        assert history.engine == engine, (history.engine, engine)
        return history.loss[-1]

    return run


def lbfgs_case(activation: str, dtype: Any, n: int, engine: str) -> Callable[[], Any]:
    X, y = data(n, dtype)
    net = network(activation, dtype)
    objective = FullBatchObjective(net, losses.get(SOFTMAX), X, y, None, l2=1e-4, engine=engine)
    assert objective.engine == engine

    def run() -> Any:
        value = 0.0
        for _ in range(10):
            value = objective()
        return value

    return run


def predict_case(activation: str, dtype: Any, n: int, engine: str) -> Callable[[], Any]:
    X, _ = data(n, dtype)
    net = network(activation, dtype)

    def run() -> Any:
        for _ in range(5):
            if engine == "compiled":
                out = forward(net, X, "compiled", "softmax")
                assert out is not None, activation
            else:
                out = activations.softmax(net.predict(X), axis=1)
        return out

    return run


def measure(name: str, cases: dict[str, Callable[[], Any]], repeat: int) -> tuple[float, float]:
    for run in cases.values():  # compile, warm the caches
        run()
    times: dict[str, list[float]] = {engine: [] for engine in cases}
    for _ in range(repeat):
        for engine, run in cases.items():
            start = time.perf_counter()
            run()
            times[engine].append(time.perf_counter() - start)
    compiled, numpy_path = (statistics.median(times[e]) for e in ("compiled", "numpy"))
    ranges = ", ".join(f"{e} {min(t):.3f}-{max(t):.3f}" for e, t in times.items())
    print(
        f"{name:<34} compiled {compiled:7.3f} s  numpy {numpy_path:7.3f} s  "
        f"ratio {numpy_path / compiled:5.2f}  ({ranges})",
        flush=True,
    )
    return compiled, numpy_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--repeat", type=int, default=None, help="rounds of timings (3)")
    parser.add_argument("--only", default="", help="comma-separated activations")
    parser.add_argument("--paths", default="epoch,lbfgs,predict", help="comma-separated paths")
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 3)
    scale = 16 if args.quick else 1
    chosen = [a for a in args.only.split(",") if a] or list(ACTIVATIONS)
    paths = args.paths.split(",")
    warnings.simplefilter("ignore")
    engines = ("compiled", "numpy")
    with threadpool_limits(limits=1, user_api="blas"):
        for activation in chosen:
            for dtype in (np.float32, np.float64):
                kind = np.dtype(dtype).name
                if "epoch" in paths:
                    for batch in (32, 256):
                        cases = {
                            e: epoch_case(activation, dtype, batch, 4096 // scale, e)
                            for e in engines
                        }
                        measure(f"epoch {activation} {kind} b{batch}", cases, repeat)
                if "lbfgs" in paths:
                    cases = {e: lbfgs_case(activation, dtype, 4096 // scale, e) for e in engines}
                    measure(f"lbfgs {activation} {kind}", cases, repeat)
                if "predict" in paths and activation not in PREDICTED_ACTIVATIONS:
                    print(f"predict {activation} {kind}: not computed by the prediction kernel")
                elif "predict" in paths:
                    n = 20_000 // scale
                    cases = {e: predict_case(activation, dtype, n, e) for e in engines}
                    measure(f"predict {activation} {kind}", cases, repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
