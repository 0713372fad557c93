"""sigmanet's benchmark suite: the same work by sigmanet, scikit-learn and PyTorch in one run.

Run with ``make bench`` (or ``python benchmarks/run.py``). Every row compares peers measured in
this process, on this machine, on seeded synthetic data, and reports the result each reached
(loss, accuracy) beside the time, so that speed cannot come from doing less work. Nothing here
is asserted: these are measurements, printed as one table.

Workloads
---------
1. MLP classifier 100 → 256 → 128 → 10, ReLU, Adam (lr 1e-3), 20,000 samples, float32,
   5 epochs, batch sizes 32 and 256, shuffling, no early stopping. sigmanet runs twice, on its
   compiled engine (``engine="auto"``, numba) and on its NumPy path (``engine="numpy"``);
   besides scikit-learn and PyTorch, ``plain_numpy_mlp.py`` runs the same training as one plain
   NumPy loop. The candidates run interleaved (one round of each, ``--repeat`` rounds) and the
   table gives medians with the range over the rounds.
2. The matmul floor: the time of the 8 matrix products a step needs (forward 3, weight
   gradients 3, input gradients 2) and nothing else, NumPy on one thread, over the same epochs;
   no implementation on the same BLAS beats it. Reported as a fraction of each fit's time.
   Also the cold compile time of the engine (an empty on-disk cache) and its warm first call,
   each in a fresh process.
3. Binary logistic regression, 200,000 × 100, float32 and float64, L-BFGS, against
   scikit-learn's ``LogisticRegression`` to the same final loss, the two fits interleaved; and
   one full-batch gradient evaluation beside the time to read X once (the fastest single pass
   over X).
4. ``predict_proba`` of a trained 100-256-128-10 MLP, 50,000 rows, float32: sigmanet (compiled,
   and its NumPy path), scikit-learn, and the floor: the three forward products alone, over all
   rows at once and in the kernel's row blocks, interleaved.
5. Peak memory during ``fit`` beside the size of the data, per epoch (tracemalloc).
6. (Only with ``--only 6``.) Where a second BLAS thread starts to pay: the MLP of workload 1
   and wider ones (512-512, 1024-1024), 8,192 samples, 2 epochs, at several batch sizes, on
   ``blas_threads=1`` against ``2``, compiled engine and NumPy path, the four interleaved. The
   size of a step's largest product (batch × largest weight matrix) is what
   ``blas_threads="auto"`` decides on (:mod:`sigmanet._threads`).

Every candidate runs on one BLAS thread (every BLAS pool in the process, and PyTorch's own
threads): with two, timings on a loaded 2-core machine swing by 5–20×. ``--threads N`` changes
that for the whole run.

Options: ``--quick`` runs smaller sizes (a smoke test of the script itself); ``--repeat N``
takes N rounds (default 3; 1 with ``--quick``), interleaved, and reports their median (at least 5
rounds for workload 4; workload 3's single gradient evaluation and read of X: the best of at
least 5); ``--only 3,4`` runs only the workloads listed
(workload 2's matmul floor is measured with workload 1, its compile times on their own).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
import warnings
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

import plain_numpy_mlp
import sigmanet
from sigmanet import losses
from sigmanet.training import FullBatchObjective

try:  # PyTorch is an optional peer: the rows are skipped when it is absent.
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

ROWS: list[tuple[str, str, str, str]] = []


def row(workload: str, measure: str, value: str, note: str = "") -> None:
    ROWS.append((workload, measure, value, note))
    print(f"  {workload:<34} {measure:<40} {value:>14}  {note}", flush=True)


def best_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def classification_data(n: int, d: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    W = rng.standard_normal((d, k))
    y = np.argmax(X @ W + 2.0 * rng.standard_normal((n, k)), axis=1)
    return X, y


# -- workload 1 and 2: the MLP -------------------------------------------------------------------
HIDDEN = (256, 128)
EPOCHS = 5


def mlp_params(batch_size: int) -> dict[str, Any]:
    # tol=0 with a patience beyond the epoch count: every library runs exactly EPOCHS epochs.
    return {
        "hidden_layer_sizes": HIDDEN,
        "activation": "relu",
        "solver": "adam",
        "learning_rate_init": 1e-3,
        "alpha": 1e-4,
        "batch_size": batch_size,
        "max_iter": EPOCHS,
        "shuffle": True,
        "tol": 0.0,
        "n_iter_no_change": 10 * EPOCHS,
        "random_state": 0,
    }


def fit_sklearn_mlp(X, y, batch_size):
    model = SkMLPClassifier(**mlp_params(batch_size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model


def fit_sigmanet_mlp(X, y, batch_size, engine="auto"):
    model = sigmanet.MLPClassifier(**mlp_params(batch_size), engine=engine)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model


def fit_torch_mlp(X, y, batch_size):
    torch.manual_seed(0)
    n, d = X.shape
    k = int(y.max()) + 1
    widths = [d, *HIDDEN, k]
    modules: list[Any] = []
    for i, (fan_in, fan_out) in enumerate(pairwise(widths)):
        modules.append(torch.nn.Linear(fan_in, fan_out))
        if i < len(widths) - 2:
            modules.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*modules)
    weights = [m.weight for m in net if isinstance(m, torch.nn.Linear)]
    biases = [m.bias for m in net if isinstance(m, torch.nn.Linear)]
    # scikit-learn's alpha adds (alpha / m) W to the weight gradient: the same as weight decay
    # alpha / m on the weights only.
    optimizer = torch.optim.Adam(
        [
            {"params": weights, "weight_decay": 1e-4 / batch_size},
            {"params": biases, "weight_decay": 0.0},
        ],
        lr=1e-3,
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(np.int64))
    generator = torch.Generator().manual_seed(0)
    losses_per_epoch = []
    for _ in range(EPOCHS):
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(net(Xt[index]), yt[index])
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(index)
        losses_per_epoch.append(total / n)
    with torch.no_grad():
        accuracy = float((net(Xt).argmax(dim=1) == yt).float().mean())
    return losses_per_epoch[-1], accuracy


def matmul_floor(batch_size: int, n_samples: int, dtype: Any) -> Callable[[], None]:
    """The matrix products of workload 1's epochs, done by bare NumPy: a function to time.

    Per step: three forward products, three weight gradients, and the input gradients of the
    two upper layers (the first layer's input gradient is never needed).
    """
    rng = np.random.default_rng(0)
    widths = [100, *HIDDEN, 10]
    shapes = list(pairwise(widths))
    mats = [
        (
            rng.standard_normal((batch_size, i)).astype(dtype),
            rng.standard_normal((i, o)).astype(dtype),
            rng.standard_normal((batch_size, o)).astype(dtype),
            np.empty((batch_size, o), dtype),
            np.empty((i, o), dtype),
            np.empty((batch_size, i), dtype),
        )
        for i, o in shapes
    ]
    steps = -(-n_samples // batch_size)

    def epochs() -> None:
        for _ in range(EPOCHS):
            for _ in range(steps):
                for layer, (x, w, g, z, dw, dx) in enumerate(mats):
                    np.matmul(x, w, out=z)  # forward
                    np.matmul(x.T, g, out=dw)  # weight gradient
                    if layer:
                        np.matmul(g, w.T, out=dx)  # input gradient

    return epochs


def interleaved(candidates: dict[str, Callable[[], Any]], repeat: int):
    """Run every candidate once per round, ``repeat`` rounds: {name: (times, last result)}."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for name, fn in candidates.items():
            start = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - start)
    return {name: (times[name], results[name]) for name in candidates}


def spread(times: list[float]) -> str:
    return f"median of {len(times)}, range {min(times):.2f}-{max(times):.2f}"


def workload_mlp(n_samples: int, repeat: int) -> None:
    X, y = classification_data(n_samples, 100, 10)
    n_weights = sum(i * o for i, o in zip([100, *HIDDEN], [*HIDDEN, 10], strict=True))
    print(f"\n[1, 2] MLP 100-256-128-10 relu adam, {n_samples} samples float32, {EPOCHS} epochs")
    fit_sigmanet_mlp(X[:256], y[:256], 32)  # loads (or compiles) the engine outside the timing
    for batch_size in (32, 256):
        name = f"1. MLP fit, batch {batch_size}"
        candidates: dict[str, Callable[[], Any]] = {
            "compiled": lambda b=batch_size: fit_sigmanet_mlp(X, y, b),
            "numpy": lambda b=batch_size: fit_sigmanet_mlp(X, y, b, engine="numpy"),
            "sklearn": lambda b=batch_size: fit_sklearn_mlp(X, y, b),
            "plain": lambda b=batch_size: plain_numpy_mlp.fit(X, y, HIDDEN, b, EPOCHS),
            "floor": matmul_floor(batch_size, n_samples, np.float32),
        }
        if torch is not None:
            candidates["torch"] = lambda b=batch_size: fit_torch_mlp(X, y, b)
        runs = interleaved(candidates, repeat)
        median = {key: statistics.median(times) for key, (times, _) in runs.items()}
        compiled, numpy_path = runs["compiled"][1], runs["numpy"][1]
        sk = runs["sklearn"][1]
        assert compiled.engine_ == "compiled" and numpy_path.engine_ == "numpy"

        def fitted(key: str, label: str, note: str, name=name, median=median, runs=runs) -> None:
            row(name, label, f"{median[key]:.2f}", f"{note}; {spread(runs[key][0])}")

        for key, label, model in (
            ("compiled", "sigmanet compiled engine (s)", compiled),
            ("numpy", "sigmanet NumPy path (s)", numpy_path),
            ("sklearn", "scikit-learn (s)", sk),
        ):
            fitted(key, label, f"loss {model.loss_curve_[-1]:.4f} acc {model.score(X, y):.4f}")
        plain_loss, plain_acc = runs["plain"][1]
        fitted("plain", "plain NumPy loop (s)", f"loss {plain_loss:.4f} acc {plain_acc:.4f}")
        if torch is not None:
            pt_loss, pt_acc = runs["torch"][1]
            fitted(
                "torch",
                f"PyTorch {torch.__version__} CPU eager (s)",
                f"loss {pt_loss:.4f} acc {pt_acc:.4f}",
            )
        row(
            name,
            "matmul floor (s)",
            f"{median['floor']:.2f}",
            f"8 products a step, NumPy; {spread(runs['floor'][0])}",
        )
        row(
            name,
            "compiled engine vs scikit-learn",
            f"{median['sklearn'] / median['compiled']:.2f}x",
        )
        row(name, "NumPy path vs scikit-learn", f"{median['sklearn'] / median['numpy']:.2f}x")
        row(name, "plain NumPy loop vs scikit-learn", f"{median['sklearn'] / median['plain']:.2f}x")
        if torch is not None:
            row(name, "compiled engine vs PyTorch", f"{median['torch'] / median['compiled']:.2f}x")
        for key, label in (
            ("compiled", "compiled engine"),
            ("numpy", "NumPy path"),
            ("sklearn", "scikit-learn"),
            ("plain", "plain NumPy loop"),
        ):
            row(name, f"floor / {label} time", f"{median['floor'] / median[key]:.0%}")
        row(
            name,
            "compiled vs NumPy path, final loss",
            f"{compiled.loss_curve_[-1]:.10f}",
            f"NumPy path {numpy_path.loss_curve_[-1]:.10f}",
        )
        flops = 6.0 * n_weights * n_samples * EPOCHS
        name2 = f"2. matmul throughput, batch {batch_size}"
        row(name2, "compiled engine (GFLOP/s)", f"{flops / median['compiled'] / 1e9:.1f}")
        row(name2, "matmul floor (GFLOP/s)", f"{flops / median['floor'] / 1e9:.1f}")


COMPILE_PROBE = """
import time
t0 = time.perf_counter()
import numpy as np
import sigmanet
t1 = time.perf_counter()
X = np.random.default_rng(0).standard_normal((256, 100)).astype({dtype})
y = np.arange(256) % 10
model = sigmanet.MLPClassifier((256, 128), max_iter=1, batch_size=32, engine="compiled",
                               random_state=0)
import warnings
warnings.simplefilter("ignore")
start = time.perf_counter(); model.fit(X, y); first = time.perf_counter() - start
start = time.perf_counter(); model.fit(X, y); second = time.perf_counter() - start
print(t1 - t0, first, second)
"""


def workload_compile() -> None:
    """Cold compile (empty cache) and warm first call, each in a fresh process, per dtype."""
    print("\n[2] compile time of the engine (fresh processes)")
    for dtype in ("np.float32", "np.float64"):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            figures = []
            for _ in range(2):  # the first run compiles into the empty cache, the second loads
                out = subprocess.run(
                    [sys.executable, "-c", textwrap.dedent(COMPILE_PROBE.format(dtype=dtype))],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                )
                figures.append([float(v) for v in out.stdout.split()])
        (_, cold, again), (imported, warm, _) = figures
        label = f"2. engine compile, {dtype[3:]}"
        row(
            label,
            "first fit, cold cache (s)",
            f"{cold:.2f}",
            f"a 1-epoch fit then takes {again:.3f} s",
        )
        row(
            label,
            "first fit, warm cache (s)",
            f"{warm:.2f}",
            f"import sigmanet {imported:.2f} s (compiles nothing)",
        )


# -- workload 3: logistic regression ---------------------------------------------------------------
def logistic_objective(model: Any, X: np.ndarray, y: np.ndarray, C: float) -> float:
    """scikit-learn's objective divided by n: mean log loss + ‖w‖² / (2 C n), in float64."""
    z = X.astype(np.float64) @ model.coef_.ravel().astype(np.float64) + float(model.intercept_[0])
    log_loss = losses.binary_cross_entropy_with_logits(y.astype(np.float64), z)
    w = model.coef_.astype(np.float64).ravel()
    return float(log_loss + w @ w / (2 * C * len(y)))


def gradient_and_read_times(network: Any, X: np.ndarray, y: np.ndarray, repeat: int):
    """Best time of one full-batch gradient evaluation, and of one memory-bound pass over X.

    The gradient is the one L-BFGS evaluates (``FullBatchObjective``, unpenalised). Reading X
    once is timed as the faster of two single passes, ``X @ v`` and a column sum: the memory
    bound is what the fastest full read costs, not what one particular reduction costs.
    """
    objective = FullBatchObjective(
        network, losses.get("binary_cross_entropy_with_logits"), X, y.astype(X.dtype)[:, None]
    )
    objective()
    t_grad, _ = best_time(objective, repeat)
    vector = np.ones(X.shape[1], X.dtype)
    rows_out = np.empty(X.shape[0], X.dtype)
    column_sums = np.empty(X.shape[1], X.dtype)
    t_gemv, _ = best_time(lambda: np.matmul(X, vector, out=rows_out), repeat)
    t_sum, _ = best_time(lambda: np.sum(X, axis=0, out=column_sums), repeat)
    return t_grad, min(t_gemv, t_sum)


def workload_logistic(n_samples: int, repeat: int) -> None:
    rng = np.random.default_rng(1)
    X64 = rng.standard_normal((n_samples, 100))
    w_true = rng.standard_normal(100) / 5
    y = (rng.random(n_samples) < 1 / (1 + np.exp(-(X64 @ w_true)))).astype(int)
    print(f"\n[3] binary logistic regression {n_samples} x 100, L-BFGS, C=1")
    for dtype in (np.float64, np.float32):
        X = X64.astype(dtype)
        label = f"3. logistic L-BFGS {np.dtype(dtype).name}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            sigmanet.LogisticRegression(max_iter=1).fit(X[:100], y[:100])  # loads the kernel
            runs = interleaved(
                {
                    "sklearn": lambda X=X: SkLogisticRegression(max_iter=1000).fit(X, y),
                    "sigmanet": lambda X=X: sigmanet.LogisticRegression(max_iter=1000).fit(X, y),
                },
                repeat,
            )
        (sk_times, sk), (sn_times, sn) = runs["sklearn"], runs["sigmanet"]
        t_sk, t_sn = statistics.median(sk_times), statistics.median(sn_times)
        j_sk = logistic_objective(sk, X, y, 1.0)
        j_sn = logistic_objective(sn, X, y, 1.0)
        row(
            label,
            "scikit-learn time (s)",
            f"{t_sk:.3f}",
            f"objective {j_sk:.9f}; {spread(sk_times)}",
        )
        row(label, "sigmanet time (s)", f"{t_sn:.3f}", f"objective {j_sn:.9f}; {spread(sn_times)}")
        row(
            label,
            "speed-up vs scikit-learn",
            f"{t_sk / t_sn:.2f}x",
            f"|Δ objective| {abs(j_sk - j_sn):.1e}",
        )
        t_grad, t_read = gradient_and_read_times(sn.network_, X, y, max(repeat, 5))
        row(label, "one gradient evaluation (ms)", f"{t_grad * 1e3:.2f}")
        row(label, "read X once (ms)", f"{t_read * 1e3:.2f}", f"X is {X.nbytes / 2**20:.0f} MiB")
        row(label, "gradient / (2 x read X)", f"{t_grad / (2 * t_read):.2f}")


# -- workload 4: predict_proba ---------------------------------------------------------------------
def forward_floor(weights: list[np.ndarray], X: np.ndarray, block: int | None):
    """The 3 forward products alone (no bias, activation or softmax), NumPy: a function to time.

    ``block=None``: one product per layer over all rows, as scikit-learn multiplies; else
    ``block`` rows at a time into buffers allocated once, as sigmanet's kernel multiplies.
    """
    if block is None:

        def whole() -> np.ndarray:
            a = X
            for w in weights:
                a = a @ w
            return a

        return whole
    buffers = [np.empty((block, w.shape[1]), X.dtype) for w in weights]

    def blocked() -> None:
        for start in range(0, X.shape[0], block):
            a = X[start : start + block]
            for w, buffer in zip(weights, buffers, strict=True):
                z = buffer[: a.shape[0]]
                np.matmul(a, w, out=z)
                a = z

    return blocked


def workload_predict(n_samples: int, repeat: int) -> None:
    from sigmanet.engine._full_batch import BLOCK_ROWS

    X, y = classification_data(n_samples, 100, 10, seed=2)
    print(f"\n[4] predict_proba of a trained 100-256-128-10 MLP, {n_samples} samples float32")
    sn = fit_sigmanet_mlp(X[:2000], y[:2000], 256)
    sk = fit_sklearn_mlp(X[:2000], y[:2000], 256)
    numpy_path = fit_sigmanet_mlp(X[:2000], y[:2000], 256, engine="numpy")
    weights = [np.ascontiguousarray(w) for w in sn.coefs_]
    sn.predict_proba(X[:10])  # loads (or compiles) the kernel outside the timing
    runs = interleaved(
        {
            "sigmanet": lambda: sn.predict_proba(X),
            "numpy": lambda: numpy_path.predict_proba(X),
            "sklearn": lambda: sk.predict_proba(X),
            "floor": forward_floor(weights, X, None),
            "floor_blocked": forward_floor(weights, X, BLOCK_ROWS),
        },
        max(repeat, 5),
    )
    median = {key: statistics.median(times) for key, (times, _) in runs.items()}
    name = "4. predict_proba"
    for key, label, note in (
        ("sigmanet", "sigmanet compiled (ms)", f"dtype {runs['sigmanet'][1].dtype}"),
        ("numpy", "sigmanet NumPy path (ms)", f"dtype {runs['numpy'][1].dtype}"),
        ("sklearn", "scikit-learn (ms)", f"dtype {runs['sklearn'][1].dtype}"),
        ("floor", "floor: 3 products, all rows (ms)", "NumPy, no bias/activation/softmax"),
        ("floor_blocked", f"floor: 3 products, {BLOCK_ROWS}-row blocks (ms)", "NumPy"),
    ):
        row(name, label, f"{median[key] * 1e3:.1f}", f"{note}; {spread(runs[key][0])} s")
    row(name, "sigmanet (samples/s)", f"{n_samples / median['sigmanet']:,.0f}")
    row(name, "scikit-learn (samples/s)", f"{n_samples / median['sklearn']:,.0f}")
    row(name, "speed-up vs scikit-learn", f"{median['sklearn'] / median['sigmanet']:.2f}x")
    row(name, "NumPy path vs scikit-learn", f"{median['sklearn'] / median['numpy']:.2f}x")
    for key, label in (("floor", "all rows"), ("floor_blocked", "blocked")):
        row(name, f"sigmanet / floor ({label})", f"{median['sigmanet'] / median[key]:.2f}")
    # the two sigmanet models are fitted alike (same seed, same data) on different engines
    p_sn, p_np = runs["sigmanet"][1], runs["numpy"][1]
    row(name, "compiled vs NumPy path, max |Δp|", f"{np.max(np.abs(p_sn - p_np)):.1e}")


# -- workload 6: one BLAS thread or two -----------------------------------------------------------
THREAD_CASES = (
    ((256, 128), 128),
    ((256, 128), 256),
    ((256, 128), 1024),
    ((256, 128), 4096),
    ((512, 512), 256),
    ((512, 512), 1024),
    ((1024, 1024), 256),
    ((1024, 1024), 1024),
    ((1024, 1024), 4096),
)


def workload_threads(n_samples: int, repeat: int) -> None:
    """One BLAS thread against two, per engine, at products of growing size."""
    X, y = classification_data(n_samples, 100, 10)
    print(f"\n[6] blas_threads 1 vs 2, {n_samples} samples float32, 2 epochs, interleaved")
    print(f"    load average before: {os.getloadavg()}")

    def fit(hidden, batch_size, engine, threads):
        params = {**mlp_params(batch_size), "hidden_layer_sizes": hidden, "max_iter": 2}
        model = sigmanet.MLPClassifier(**params, engine=engine, blas_threads=threads)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        return model

    for hidden, batch_size in THREAD_CASES:
        widths = [100, *hidden, 10]
        largest = max(i * o for i, o in pairwise(widths))
        fit(hidden, batch_size, "auto", 1)  # the engine's compilation stays out of the timing
        candidates = {
            f"{engine} {threads}": lambda e=engine, t=threads, h=hidden, b=batch_size: fit(
                h, b, e, t
            )
            for engine in ("auto", "numpy")
            for threads in (1, 2)
        }
        median = {
            name: statistics.median(times)
            for name, (times, _) in interleaved(candidates, repeat).items()
        }
        label = f"6. {'-'.join(map(str, widths))}, batch {batch_size}"
        product = f"largest product {batch_size * largest / 1e6:.1f}M"
        for engine, title in (("auto", "compiled engine"), ("numpy", "NumPy path")):
            one, two = median[f"{engine} 1"], median[f"{engine} 2"]
            row(
                label,
                f"{title}, 1 / 2 threads (s)",
                f"{one:.2f} / {two:.2f}",
                f"{product}; 2 threads {one / two:.2f}x",
            )
    print(f"    load average after: {os.getloadavg()}")


# -- workload 5: memory ----------------------------------------------------------------------------
def workload_memory(n_samples: int) -> None:
    from sigmanet.training import Callback

    X, y = classification_data(n_samples, 100, 10, seed=3)

    class EpochMemory(Callback):
        def __init__(self) -> None:
            self.peaks: list[int] = []

        def on_epoch_end(self, network, logs):
            self.peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.reset_peak()

    print(f"\n[5] memory during fit, {n_samples} samples float32, batch 32")
    probe = EpochMemory()
    model = sigmanet.MLPClassifier(**mlp_params(32))
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y, callbacks=[probe])
    finally:
        tracemalloc.stop()
    data = X.nbytes + y.nbytes
    row("5. memory", "data size (MiB)", f"{data / 2**20:.2f}")
    row(
        "5. memory",
        "peak traced, epoch 1 (MiB)",
        f"{probe.peaks[0] / 2**20:.2f}",
        "set-up: shuffle buffer, parameters, optimizer state",
    )
    later = probe.peaks[1:]
    row(
        "5. memory",
        f"peak traced, epochs 2-{len(probe.peaks)} (MiB)",
        " / ".join(f"{p / 2**20:.2f}" for p in later),
    )
    row("5. memory", "growth epoch 2 -> last (KiB)", f"{(later[-1] - later[0]) / 1024:.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    parser.add_argument("--repeat", type=int, default=None, help="rounds of timings")
    parser.add_argument("--threads", type=int, default=1, help="BLAS (and PyTorch) threads")
    parser.add_argument("--skip-compile", action="store_true", help="skip the compile timing")
    parser.add_argument(
        "--only",
        default="1,2,3,4,5",
        help="the workloads to run, comma-separated (e.g. --only 3,4); default all",
    )
    args = parser.parse_args(argv)
    import scipy.linalg.cython_blas  # noqa: F401  (scipy's BLAS, the engine's, is limited too)
    from threadpoolctl import threadpool_limits

    limits = threadpool_limits(limits=args.threads, user_api="blas")
    if torch is not None:
        torch.set_num_threads(args.threads)
    repeat = args.repeat or (1 if args.quick else 3)
    scale = 10 if args.quick else 1
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads, "
            f"{i.get('architecture')})"
            for i in threadpool_info()
        )
    except ImportError:  # pragma: no cover
        blas = "unknown"
    import sklearn

    print(
        f"sigmanet {sigmanet.__version__} | scikit-learn {sklearn.__version__} | "
        f"NumPy {np.__version__} | PyTorch {torch.__version__ if torch else 'not installed'}"
    )
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
        f"BLAS: {blas}"
    )
    only = {int(w) for w in args.only.split(",")}
    if 1 in only:
        workload_mlp(20_000 // scale, repeat)
    if 2 in only and not args.skip_compile:
        workload_compile()
    if 3 in only:
        workload_logistic(200_000 // scale, repeat)
    if 4 in only:
        workload_predict(50_000 // scale, repeat)
    if 5 in only:
        workload_memory(20_000 // scale)
    if 6 in only:
        workload_threads(8192 // scale, repeat)
    print("\n| workload | measure | value | note |\n|---|---|---|---|")
    for workload, measure, value, note in ROWS:
        print(f"| {workload} | {measure} | {value} | {note} |")
    limits.restore_original_limits()
    return 0


if __name__ == "__main__":
    sys.exit(main())
