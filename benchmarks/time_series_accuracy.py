"""Test accuracy of RNNClassifier (LSTM, GRU) against 1-NN DTW on two UCR data sets.

GunPoint and ItalyPowerDemand ship inside aeon and load offline; each has a fixed train/test
split, used as it is. Every series is standardised on its own (mean 0, standard deviation 1
over its time points; what ``RNNClassifier(normalize="series")`` does, done here once so that
the DTW baseline reads the same series) before any model sees it, and the RNNs compute in
float32. The peers, measured in the same run:

* aeon's ``KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1)``, the standard
  baseline of time-series classification (full-window DTW);
* sigmanet's ``RNNClassifier`` with an LSTM and with a GRU, one configuration for both cells
  and both data sets (``RNN_PARAMS`` below).

How that configuration was chosen, without looking at a test set: ``--select`` runs
stratified k-fold cross-validation on each training set (the test sets are not loaded) for
every candidate in ``CANDIDATES``, both cells, and prints each candidate's mean validation
accuracy per data set and over all; the candidate with the best overall mean is
``RNN_PARAMS`` (a tie is broken, and explained, beside ``CHOSEN``).

Needs the ``bench`` extra (``pip install -e ".[bench]"``, which brings aeon). Run:
``python benchmarks/time_series_accuracy.py [--random-states 0 1 2]`` for the test table (with
several random states the RNN rows show the mean ± standard deviation and the range), or
``python benchmarks/time_series_accuracy.py --select [--folds 3] [--data GunPoint]
[--candidates NAME ...]`` for the selection (it also prints each candidate's mean final
training loss, which tells an unconverged fit from an overfitted one). ``--jobs N`` runs N fits
at once, each in its own process with one BLAS thread; the figures do not depend on it (every
fit is seeded). On an unloaded machine the test table over five random states takes about 11
minutes with one job (about 47 s per GunPoint fit, 15 s per ItalyPowerDemand fit).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from sigmanet import RNNClassifier
from sigmanet.training import Callback, EarlyStopping

#: What every candidate shares: batches of 10, gradient-norm clipping at 1, 200 epochs with
#: no early stop (tol=0: the fit runs its epochs).
COMMON = {
    "batch_size": 10,
    "clip_norm": 1.0,
    "max_iter": 200,
    "tol": 0.0,
    "n_iter_no_change": 1000,
}
#: Not an estimator parameter: the fit gets an ``EarlyStopping(monitor="loss",
#: patience=numpy.inf)`` callback, which never stops the fit and copies back, at its end, the
#: weights of the epoch whose mean training loss was the lowest.
KEEP_LOWEST_LOSS = "keep the lowest-loss epoch"
CANDIDATES = {
    "h32 adam 0.003 constant": {"hidden_size": 32, "learning_rate_init": 0.003},
    "h32 adam 0.003 cosine": {
        "hidden_size": 32,
        "learning_rate_init": 0.003,
        "learning_rate": "cosine",
    },
    "h64 adam 0.003 cosine": {
        "hidden_size": 64,
        "learning_rate_init": 0.003,
        "learning_rate": "cosine",
    },
    "h32 adam 0.01 cosine": {
        "hidden_size": 32,
        "learning_rate_init": 0.01,
        "learning_rate": "cosine",
    },
    # reads each series both ways: the backward state's last step has just seen the start
    "h32 bidirectional adam 0.003 cosine": {
        "hidden_size": 32,
        "bidirectional": True,
        "learning_rate_init": 0.003,
        "learning_rate": "cosine",
    },
    # smaller steps against the loss spikes of Adam
    "h32 adam 0.001 cosine": {
        "hidden_size": 32,
        "learning_rate_init": 0.001,
        "learning_rate": "cosine",
    },
    # fewer, less noisy steps per epoch for the same cost: batches of 25 over 400 epochs
    "h32 adam 0.003 cosine batch 25 400 epochs": {
        "hidden_size": 32,
        "learning_rate_init": 0.003,
        "learning_rate": "cosine",
        "batch_size": 25,
        "max_iter": 400,
    },
    # Adam's loss spikes late in a fit: keep the weights of the epoch with the lowest training
    # loss (an EarlyStopping callback that never stops; training data only)
    "h32 adam 0.003 cosine lowest loss": {
        "hidden_size": 32,
        "learning_rate_init": 0.003,
        "learning_rate": "cosine",
        KEEP_LOWEST_LOSS: True,
    },
    # smaller steps against the spikes, with the epochs to converge at that step
    "h32 adam 0.001 cosine 400 epochs": {
        "hidden_size": 32,
        "learning_rate_init": 0.001,
        "learning_rate": "cosine",
        "max_iter": 400,
    },
    "h32 adam 0.001 cosine 400 epochs lowest loss": {
        "hidden_size": 32,
        "learning_rate_init": 0.001,
        "learning_rate": "cosine",
        "max_iter": 400,
        KEEP_LOWEST_LOSS: True,
    },
}
#: The candidate chosen on the training sets. With seed 0 (3 folds) the mean validation
#: accuracy over both data sets and both cells was: constant 0.9435, cosine 0.9495, 64 units
#: 0.9320, Adam at 0.01 0.9190, bidirectional 0.9335, Adam at 0.001 0.8755 (its GRU on GunPoint
#: still at a training loss of 0.44 after 200 epochs), batches of 25 over 400 epochs 0.9119.
#: Measured again on the current code, cosine gives 0.9446 and "lowest loss" 0.9446, equal in
#: every cell (the kept epoch changed one cell's loss, not its accuracy). The tie goes to
#: "lowest loss": on the full GunPoint training set the GRU with seed 1 reaches a training loss
#: of 0.060 at epoch 127 and ends at 0.268 (training accuracy 0.92) after Adam's loss spikes,
#: the failure that keeping the lowest-loss epoch undoes; it changes nothing when the loss
#: does not rise. (A cross-validation over random states 0-2 did not finish in the time available.)
CHOSEN = "h32 adam 0.003 cosine lowest loss"
RNN_PARAMS = {**COMMON, **CANDIDATES[CHOSEN]}
DATA_SETS = ("GunPoint", "ItalyPowerDemand")
CELLS = ("lstm", "gru")


def standardise(X: np.ndarray) -> np.ndarray:
    mean = X.mean(axis=2, keepdims=True)
    std = X.std(axis=2, keepdims=True)
    return (X - mean) / np.where(std > 0, std, 1.0)


def load(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    from aeon.datasets import load_classification

    X, y = load_classification(name, split=split)
    return standardise(X).astype(np.float32), y


class _LastWeights(Callback):
    """A copy of the parameters as the last epoch left them (before any restore)."""

    params: list[np.ndarray] | None = None

    def on_train_end(self, network, history) -> None:
        self.params = [p.copy() for p in network.parameters()]


def fit_score(
    cell: str, params: dict, seed: int, X: np.ndarray, y: np.ndarray, X_eval, y_eval
) -> tuple[float, float, float, float]:
    """Accuracy on ``(X_eval, y_eval)``, the training loss of the kept epoch (the last, or the
    lowest with ``KEEP_LOWEST_LOSS``), the fit's seconds (one BLAS thread, in whichever
    process runs it) and the accuracy of the last epoch's weights (the same fit; equal to the
    first unless ``KEEP_LOWEST_LOSS`` kept an earlier epoch)."""
    params = dict(params)
    last = _LastWeights()
    callbacks: list[Callback] = []
    if params.pop(KEEP_LOWEST_LOSS, False):
        # _LastWeights hears the end of training before the rule restores its epoch
        callbacks = [last, EarlyStopping(monitor="loss", patience=np.inf)]
    with threadpool_limits(1):
        model = RNNClassifier(cell, random_state=seed, **params)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # max_iter is reached on purpose
            model.fit(X, y, callbacks=callbacks)
        seconds = time.perf_counter() - start
        score = float(model.score(X_eval, y_eval))
        if last.params is None:
            return score, float(model.loss_curve_[-1]), seconds, score
        for p, saved in zip(model.network_.parameters(), last.params, strict=True):
            np.copyto(p, saved)
        score_last = float(model.score(X_eval, y_eval))
        return score, float(min(model.loss_curve_)), seconds, score_last


def run(tasks: list, jobs: int) -> list:
    """The fits, ``jobs`` at a time in separate processes (each fit is independent)."""
    if jobs == 1:
        return [fit_score(*task) for task in tasks]
    return Parallel(n_jobs=jobs)(delayed(fit_score)(*task) for task in tasks)


def select(
    data_sets: list[str], folds: int, random_states: list[int], names: list[str], jobs: int
) -> None:
    """Cross-validated accuracy of the candidates on the training sets only: for each seed its
    own shuffled folds and the networks' initialisation and batch order from that seed."""
    print(
        f"{folds}-fold stratified cross-validation on the training sets, "
        f"random states {random_states}"
    )
    keys, tasks = [], []
    for data in data_sets:
        X, y = load(data, "train")
        for seed in random_states:
            folder = StratifiedKFold(folds, shuffle=True, random_state=seed)
            for name in names:
                params = {**COMMON, **CANDIDATES[name]}
                for cell in CELLS:
                    for fit, val in folder.split(X, y):
                        keys.append((name, data, cell, seed))
                        tasks.append((cell, params, seed, X[fit], y[fit], X[val], y[val]))
    results: dict[tuple, list] = {}
    for key, result in zip(keys, run(tasks, jobs), strict=True):
        results.setdefault(key, []).append(result)
    # per candidate, data set and cell: the mean over random states and folds, and the lowest of the
    # random states' fold means (one whose fits fail shows there)
    header = f"{'candidate':<44} {'data set':<17} {'cell':<5} {'mean accuracy':>13}"
    print(f"{header} {'worst seed':>10} {'final loss':>10} {'s per fit':>9}")
    groups: dict[tuple, list] = {}
    for (name, data, cell, _seed), fold_results in results.items():
        groups.setdefault((name, data, cell), []).append(np.array(fold_results))
    overall: dict[str, list[float]] = {name: [] for name in names}
    for (name, data, cell), per_seed in groups.items():
        scores, losses, seconds, _ = np.concatenate(per_seed).T
        worst = min(float(np.mean(r[:, 0])) for r in per_seed)
        overall[name].append(float(np.mean(scores)))
        print(
            f"{name:<44} {data:<17} {cell:<5} {np.mean(scores):>13.4f} {worst:>10.4f} "
            f"{np.mean(losses):>10.4f} {np.mean(seconds):>9.0f}"
        )
    print("mean over data sets and cells:")
    for name, values in overall.items():
        print(f"  {name:<44} {np.mean(values):.4f}")


def test_table(data_sets: list[str], random_states: list[int], params: dict, jobs: int) -> None:
    from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

    print(f"RNN configuration: {params}")
    keys, tasks, baseline = [], [], {}
    for name in data_sets:
        X, y = load(name, "train")
        X_test, y_test = load(name, "test")
        start = time.perf_counter()
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numba's type-safety notes from aeon's DTW
            knn = KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1)
            knn.fit(X.astype(np.float64), y)
            accuracy = float(np.mean(knn.predict(X_test.astype(np.float64)) == y_test))
        baseline[name] = (accuracy, time.perf_counter() - start)
        for cell in CELLS:
            for seed in random_states:
                keys.append((name, cell))
                tasks.append((cell, params, seed, X, y, X_test, y_test))
    results: dict[tuple, list] = {}
    for key, result in zip(keys, run(tasks, jobs), strict=True):
        results.setdefault(key, []).append(result)
    print(f"{'data set':<18} {'model':<22} {'test accuracy':>32} {'fit seconds':>12}")
    for name in data_sets:
        accuracy, seconds = baseline[name]
        print(f"{name:<18} {'1-NN DTW (aeon)':<22} {accuracy:>32.4f} {seconds:>12.1f}")
        for cell in CELLS:
            scores, losses, seconds, last = (
                list(v) for v in zip(*results[name, cell], strict=True)
            )
            label = f"RNNClassifier {cell.upper()}"
            if len(scores) == 1:
                shown = f"{scores[0]:.4f}"
            else:
                shown = (
                    f"{np.mean(scores):.4f} ± {np.std(scores, ddof=1):.4f} "
                    f"[{min(scores):.3f}, {max(scores):.3f}]"
                )
            print(f"{name:<18} {label:<22} {shown:>32} {np.mean(seconds):>12.1f}")
            print(
                "    per seed "
                f"{dict(zip(random_states, np.round(scores, 4).tolist(), strict=True))}"
            )
            print(
                "    training loss of the kept epoch per seed "
                f"{dict(zip(random_states, np.round(losses, 4).tolist(), strict=True))}"
            )
            if KEEP_LOWEST_LOSS in params:
                print(
                    "    per seed with the last epoch's weights instead "
                    f"{dict(zip(random_states, np.round(last, 4).tolist(), strict=True))}, mean "
                    f"{np.mean(last):.4f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random-states", type=int, nargs="+", default=[0])
    parser.add_argument("--select", action="store_true", help="cross-validate the candidates")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument(
        "--jobs", type=int, default=1, help="fits run at once, each in its own process"
    )
    parser.add_argument("--data", nargs="+", default=list(DATA_SETS), choices=DATA_SETS)
    parser.add_argument(
        "--candidates",
        nargs="+",
        default=list(CANDIDATES),
        choices=list(CANDIDATES),
        help="--select: the candidates to cross-validate; otherwise the first one's test table "
        "(default: the chosen one)",
    )
    args = parser.parse_args()
    if args.select:
        select(args.data, args.folds, args.random_states, args.candidates, args.jobs)
    else:
        chosen = CHOSEN if args.candidates == list(CANDIDATES) else args.candidates[0]
        test_table(args.data, args.random_states, {**COMMON, **CANDIDATES[chosen]}, args.jobs)


if __name__ == "__main__":
    main()
