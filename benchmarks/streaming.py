"""Peak memory and throughput of training from Parquet: streamed against loaded whole.

Writes two Parquet files (and the same rows as CSV) of the same columns (20 float64 features,
a 3-class label; row groups of 65,536 rows), one 4× the other, then runs each measurement in
a fresh process so that its peak resident set size (``ru_maxrss``) is its own:

* ``stream``: :func:`sigmanet.streaming.fit_parquet`, one epoch, with ``pre_buffer`` off and on;
* ``stream-csv``: :func:`sigmanet.streaming.fit_csv` on the same rows written as CSV, one epoch;
* ``load``: ``pyarrow.parquet.read_table`` of the whole file into one NumPy array, then the same
  one-epoch ``partial_fit`` in memory.

The model is ``MLPClassifier(hidden_layer_sizes=(32,))``. "baseline" is the resident size after
the imports, before any data. Nothing is asserted; run ``python benchmarks/streaming.py`` (add
``--rows N`` for the smaller file's rows, default 500,000).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

FEATURES = 20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _write(path: str, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    coef = rng.normal(size=FEATURES)
    with pq.ParquetWriter(path, schema=_schema(pa)) as writer:
        for start in range(0, rows, 65536):
            n = min(65536, rows - start)
            X = rng.normal(size=(n, FEATURES))
            score = X @ coef + rng.normal(size=n)
            label = np.digitize(score, [-1.0, 1.0])
            columns = {f"x{i}": X[:, i] for i in range(FEATURES)}
            writer.write_table(pa.table({**columns, "label": label}, schema=_schema(pa)))


def _write_csv(path: str) -> None:
    """The Parquet file's rows as CSV beside it, one row group at a time."""
    import pyarrow.csv as csv
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    with csv.CSVWriter(path[: -len(".parquet")] + ".csv", source.schema_arrow) as writer:
        for group in range(source.num_row_groups):
            writer.write_table(source.read_row_group(group))


def _schema(pa):  # type: ignore[no-untyped-def]
    return pa.schema([(f"x{i}", pa.float64()) for i in range(FEATURES)] + [("label", pa.int64())])


def _child(mode: str, path: str, pre_buffer: bool) -> None:
    import numpy as np
    import pyarrow.parquet as pq

    from sigmanet import MLPClassifier
    from sigmanet.streaming import fit_csv, fit_parquet

    baseline = _peak_mb()
    model = MLPClassifier(hidden_layer_sizes=(32,), random_state=0)
    start = time.perf_counter()
    if mode == "stream":
        _, report = fit_parquet(model, path, "label", pre_buffer=pre_buffer, random_state=0)
        rows = report.rows
        train_seconds = report.seconds
    elif mode == "stream-csv":
        _, report = fit_csv(model, path[: -len(".parquet")] + ".csv", "label", random_state=0)
        rows = report.rows
        train_seconds = report.seconds
    else:
        table = pq.read_table(path)
        X = np.column_stack([table.column(f"x{i}").to_numpy() for i in range(FEATURES)])
        y = table.column("label").to_numpy()
        del table
        rows = len(y)
        mean, std = X.mean(axis=0), X.std(axis=0)
        X -= mean
        X /= std
        fit_start = time.perf_counter()
        model.partial_fit(X, y, classes=np.unique(y))
        train_seconds = time.perf_counter() - fit_start
    total = time.perf_counter() - start
    print(
        json.dumps(
            {
                "baseline_mb": round(baseline),
                "peak_mb": round(_peak_mb()),
                "rows": rows,
                "seconds": round(total, 2),
                "rows_per_s": round(rows / train_seconds),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "PRE_BUFFER"))
    args = parser.parse_args()
    if args.child:
        mode, path, pre_buffer = args.child
        _child(mode, path, pre_buffer == "1")
        return
    with tempfile.TemporaryDirectory() as folder:
        print(
            f"{'rows':>10} {'file MB':>8} {'how':<27} {'baseline MB':>11} {'peak MB':>8} "
            f"{'rows/s':>9}"
        )
        for rows in (args.rows, 4 * args.rows):
            path = os.path.join(folder, f"data_{rows}.parquet")
            _write(path, rows)
            _write_csv(path)
            size = os.path.getsize(path) / 2**20
            csv_size = os.path.getsize(path[: -len(".parquet")] + ".csv") / 2**20
            modes = (("stream", "0"), ("stream", "1"), ("stream-csv", "0"), ("load", "0"))
            for mode, pre_buffer in modes:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", mode, path, pre_buffer],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                result = json.loads(out.strip().splitlines()[-1])
                how = f"{mode}" + (f" (pre_buffer={pre_buffer == '1'})" if mode == "stream" else "")
                print(
                    f"{rows:>10} {csv_size if mode == 'stream-csv' else size:>8.0f} {how:<27} "
                    f"{result['baseline_mb']:>11} "
                    f"{result['peak_mb']:>8} {result['rows_per_s']:>9}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
