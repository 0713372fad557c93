"""Test accuracy of RNNClassifier (LSTM, GRU) against 1-NN DTW on two UCR data sets.

GunPoint and ItalyPowerDemand ship inside aeon and load offline; each has a fixed train/test
split, used as it is. Every series is standardised on its own (mean 0, standard deviation 1
over its time points) before any model sees it. The peers, measured in the same run:

* aeon's ``KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1)``, the standard
  baseline of time-series classification (full-window DTW);
* sigmanet's ``RNNClassifier`` with an LSTM and with a GRU, one fixed configuration for both
  data sets (below): 32 hidden units, Adam at 0.003, batches of 10, gradient-norm clipping at 1,
  200 epochs with no early stop (tol=0).

Needs the ``bench`` extra (``pip install -e ".[bench]"``, which brings aeon). Run:
``python benchmarks/time_series_accuracy.py [--seeds 0 1 2]``; with several seeds the RNN rows
show the mean and the range of the test accuracy. One BLAS thread throughout.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from sigmanet import RNNClassifier

RNN_PARAMS = {
    "hidden_size": 32,
    "learning_rate_init": 0.003,
    "batch_size": 10,
    "clip_norm": 1.0,
    "max_iter": 200,
    "tol": 0.0,
    "n_iter_no_change": 1000,
}
DATA_SETS = ("GunPoint", "ItalyPowerDemand")


def standardise(X: np.ndarray) -> np.ndarray:
    mean = X.mean(axis=2, keepdims=True)
    std = X.std(axis=2, keepdims=True)
    return (X - mean) / np.where(std > 0, std, 1.0)


def main() -> None:
    from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
    from aeon.datasets import load_classification

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    print(f"{'data set':<18} {'model':<22} {'test accuracy':>16} {'fit seconds':>12}")
    with threadpool_limits(1):
        for name in DATA_SETS:
            X, y = load_classification(name, split="train")
            X_test, y_test = load_classification(name, split="test")
            X, X_test = standardise(X), standardise(X_test)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # numba's type-safety notes from aeon's DTW
                knn = KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1).fit(X, y)
                accuracy = float(np.mean(knn.predict(X_test) == y_test))
            seconds = time.perf_counter() - start
            print(f"{name:<18} {'1-NN DTW (aeon)':<22} {accuracy:>16.4f} {seconds:>12.1f}")
            for cell in ("lstm", "gru"):
                scores, seconds = [], 0.0
                for seed in args.seeds:
                    start = time.perf_counter()
                    model = RNNClassifier(cell, random_state=seed, **RNN_PARAMS)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # max_iter is reached on purpose
                        model.fit(X, y)
                    scores.append(model.score(X_test, y_test))
                    seconds += time.perf_counter() - start
                label = f"RNNClassifier {cell.upper()}"
                if len(scores) == 1:
                    shown = f"{scores[0]:.4f}"
                else:
                    shown = f"{np.mean(scores):.4f} [{min(scores):.3f}, {max(scores):.3f}]"
                print(f"{name:<18} {label:<22} {shown:>16} {seconds / len(scores):>12.1f}")


if __name__ == "__main__":
    main()
