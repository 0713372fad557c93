"""Reading a large CSV file: ``sigmanet train`` against pyarrow's and pandas' readers alone.

Writes a seeded CSV file of 1,000,000 rows × 50 columns (49 float features with six
decimals and a 0/1 target ``y`` drawn from a logistic model; about 477 MB) in a temporary
directory, deleted afterwards, then runs each measurement in a fresh process, so that its peak
resident set size (``ru_maxrss``) is its own:

* ``pyarrow``: ``pyarrow.csv.read_csv`` of the whole file, alone;
* ``pandas``: ``pandas.read_csv`` of the whole file, alone;
* ``pyarrow + fit``: pyarrow's read, the 49 features as one float64 array, and the fit of the
  model ``train`` fits (``LogisticRegression(random_state=0)``), the read and the fit timed
  apart (each run's times include its imports);
* ``sigmanet train``: the command ``sigmanet train FILE --target y --model logistic
  --validation-fraction 0 --random-state 0``, end to end (start-up, header check, reading,
  analysis of every column, the fit, the metrics), wall time from outside.

The targets: ``train`` within 2× of pyarrow's read plus the fit, and within 2× of pyarrow's
peak memory. Each process's CPU time (user + system) is shown beside its wall time: on a
loaded machine the wall times of runs minutes apart swing by 2× or more, CPU time much less.
The time ratio is given twice: against pyarrow's read alone plus the fit, and against the
read and the fit done in one process (the ``pyarrow + fit`` run, the same moment's load).
Nothing is asserted; run ``python benchmarks/load_csv.py`` (``--rows N`` for a smaller file,
``--repeat N`` for the median of N interleaved runs of each).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

FEATURES = 49
CHUNK = 100_000


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _write(path: str, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as csv

    rng = np.random.default_rng(0)
    coef = rng.normal(size=FEATURES) / np.sqrt(FEATURES)
    names = [f"x{i}" for i in range(FEATURES)]
    schema = pa.schema([(name, pa.float64()) for name in names] + [("y", pa.int64())])
    options = csv.WriteOptions(quoting_style="none")
    with csv.CSVWriter(path, schema, write_options=options) as writer:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            X = np.round(rng.normal(size=(n, FEATURES)), 6)
            y = (rng.random(n) < 1 / (1 + np.exp(-(X @ coef)))).astype(np.int64)
            columns = [pa.array(X[:, i]) for i in range(FEATURES)] + [pa.array(y)]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))


def _child(mode: str, path: str) -> None:
    result: dict[str, float] = {}
    start = time.perf_counter()
    if mode == "pyarrow":
        import pyarrow.csv as csv

        table = csv.read_csv(path)
        result["rows"] = table.num_rows
    elif mode == "pandas":
        import pandas

        frame = pandas.read_csv(path)
        result["rows"] = len(frame)
    elif mode == "fit":
        import numpy as np
        import pyarrow.csv as csv

        from sigmanet import LogisticRegression

        table = csv.read_csv(path)
        X = np.column_stack([table.column(f"x{i}").to_numpy() for i in range(FEATURES)])
        y = table.column("y").to_numpy()
        del table
        result["read_s"] = time.perf_counter() - start
        fit_start = time.perf_counter()
        LogisticRegression(random_state=0).fit(X, y)
        result["fit_s"] = time.perf_counter() - fit_start
        result["rows"] = len(y)
    result["seconds"] = time.perf_counter() - start
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))


def _run(argv: list[str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak resident MB of a child process, and its stdout."""
    start = time.perf_counter()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        assert child.stdout is not None and child.stderr is not None
        out, err = child.stdout.read().decode(), child.stderr.read().decode()
    if status != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{out}\n{err}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"))
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    sigmanet = os.path.join(os.path.dirname(sys.executable), "sigmanet")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "large.csv")
        start = time.perf_counter()
        _write(path, args.rows)
        print(
            f"{args.rows:,} rows x {FEATURES + 1} columns, {os.path.getsize(path) / 1e6:,.0f} MB "
            f"(written in {time.perf_counter() - start:.0f} s)",
            flush=True,
        )
        train = [sigmanet, "train", path, "--target", "y", "--model", "logistic"]
        train += ["--validation-fraction", "0", "--random-state", "0"]
        runs: dict[str, list[tuple[float, float, float, dict]]] = {}
        for _ in range(args.repeat):  # interleaved, so that load changes hit each alike
            for mode in ("pyarrow", "pandas", "fit", "train"):
                child = [sys.executable, __file__, "--child", mode, path]
                argv = train if mode == "train" else child
                seconds, cpu, peak, out = _run(argv)
                inner = json.loads(out.strip().splitlines()[-1]) if mode != "train" else {}
                runs.setdefault(mode, []).append((seconds, cpu, peak, inner))
    median = {
        mode: tuple(statistics.median(run[i] for run in found) for i in range(3))
        for mode, found in runs.items()
    }
    fit_s = statistics.median(run[3]["fit_s"] for run in runs["fit"])
    read_s = statistics.median(run[3]["read_s"] for run in runs["fit"])
    print(f"{'what':<40} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    labels = {
        "pyarrow": "pyarrow.csv.read_csv alone",
        "pandas": "pandas.read_csv alone",
        "fit": f"pyarrow + fit (read {read_s:.1f} s, fit {fit_s:.1f} s)",
        "train": "sigmanet train",
    }
    for mode, (seconds, cpu, peak) in median.items():
        print(f"{labels[mode]:<40} {seconds:>8.1f} {cpu:>8.1f} {peak:>8.0f}")
    train_s = median["train"][0]
    print(
        f"train / (pyarrow read alone + fit) = {train_s / (median['pyarrow'][0] + fit_s):.2f}; "
        f"train / (read + fit in one process) = {train_s / (read_s + fit_s):.2f} (target <= 2)"
    )
    memory = median["train"][2] / median["pyarrow"][2]
    print(f"train peak / pyarrow peak = {memory:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
