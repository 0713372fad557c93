"""Test accuracy of RNNClassifier (LSTM, GRU) against 1-NN DTW on two UCR data sets.

GunPoint and ItalyPowerDemand ship inside aeon and load offline; each has a fixed train/test
split, used as it is. Every series is standardised on its own (mean 0, standard deviation 1
over its time points; what ``RNNClassifier(normalize="series")`` does, done here once so that
the DTW baseline reads the same series) before any model sees it, and the RNNs compute in
float32. The peers, measured in the same run:

* aeon's ``KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1)``, the standard
  baseline of time-series classification (full-window DTW);
* sigmanet's ``RNNClassifier`` with an LSTM and with a GRU, each data set and cell with the
  configuration chosen for it on its training set (``CHOSEN`` below).

How those configurations were chosen, without looking at a test set (the usual practice of
time-series classification, tuning on each data set's training data): ``--select`` runs
stratified k-fold cross-validation on each training set (the test sets are not loaded) for
every candidate in ``CANDIDATES`` and both cells, and prints each candidate's mean validation
accuracy per data set and cell, and over all of them; for each data set and cell the candidate
with the best mean over folds and random states is chosen, a tie going to the earlier one in
``CANDIDATES`` (``choose``).

Needs the ``bench`` extra (``pip install -e ".[bench]"``, which brings aeon). Run:
``python benchmarks/time_series_accuracy.py [--random-states 0 1 2]`` for the test table (with
several random states the RNN rows show the mean ± standard deviation and the range, and the
accuracy of those networks together, the mean of their probabilities), or
``python benchmarks/time_series_accuracy.py --select [--folds 3] [--data GunPoint]
[--candidates NAME ...]`` for the selection (it also prints each candidate's mean final
training loss, which tells an unconverged fit from an overfitted one). ``--jobs N`` runs N fits
at once, each in its own process with one BLAS thread; the figures do not depend on it (every
fit is seeded). With the GRU's compiled loops, the test table over five random states took
38 s with two jobs on a 2-core machine (load average 0.5-1.1): per fit about 5 s for the
GunPoint LSTM, 3 s for its GRU, under 1 s on ItalyPowerDemand; the selection over random
states 0-2, 2 min 8 s (on the NumPy loop, 2 min 23 s and 25 min on a shared machine).
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
#: The candidates of the selection. Their order is its tie rule, fixed before any per-cell
#: result was seen: between equal mean validation accuracies the earlier candidate wins. First
#: the configuration chosen before the per-cell selection, then its variants at 200 epochs, then
#: the 400-epoch ones (twice the cost for the same accuracy loses). Dropped after the earlier
#: cross-validation over both data sets and cells (random state 0, 3 folds), where they were
#: clearly behind: Adam at 0.001 over 200 epochs (mean validation accuracy 0.8755, its GRU on
#: GunPoint still at a training loss of 0.44) and batches of 25 over 400 epochs (0.9119).
CANDIDATES = {
    # Adam's loss spikes late in a fit: keep the weights of the epoch with the lowest training
    # loss (an EarlyStopping callback that never stops; training data only)
    "h32 adam 0.003 cosine lowest loss": {
        "hidden_size": 32,
        "learning_rate_init": 0.003,
        "learning_rate": "cosine",
        KEEP_LOWEST_LOSS: True,
    },
    "h32 adam 0.003 cosine": {
        "hidden_size": 32,
        "learning_rate_init": 0.003,
        "learning_rate": "cosine",
    },
    "h32 adam 0.003 constant": {"hidden_size": 32, "learning_rate_init": 0.003},
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
    # smaller steps against the spikes, with the epochs to converge at that step
    "h32 adam 0.001 cosine 400 epochs lowest loss": {
        "hidden_size": 32,
        "learning_rate_init": 0.001,
        "learning_rate": "cosine",
        "max_iter": 400,
        KEEP_LOWEST_LOSS: True,
    },
    "h32 adam 0.001 cosine 400 epochs": {
        "hidden_size": 32,
        "learning_rate_init": 0.001,
        "learning_rate": "cosine",
        "max_iter": 400,
    },
}
#: The candidate chosen for each data set and cell on its training set (``--select``).
#: The selection run, decided before its first run: every candidate above, 3 stratified folds
#: of each training set, random states 0, 1 and 2 (each with its own folds; 216 fits, the
#: "lowest loss" candidates reading their twin's fit). Mean validation accuracy over the 9
#: folds, in the order of ``CANDIDATES`` (lowest loss, cosine, constant, 64 units, Adam at
#: 0.01, bidirectional, Adam at 0.001 over 400 epochs with the lowest loss, the same without):
#:   GunPoint LSTM          0.9534 0.9534 0.7737 0.8668 0.8068 0.9342 0.9534 0.9604
#:   GunPoint GRU           0.8272 0.8272 0.8284 0.8868 0.9203 0.9073 0.8472 0.8538
#:   ItalyPowerDemand LSTM  0.9212 0.9212 0.9260 0.9308 0.9458 0.9260 0.9115 0.9115
#:   ItalyPowerDemand GRU   0.9510 0.9561 0.9609 0.9460 0.9607 0.9409 0.9460 0.9460
#: This is the third run of the unchanged selection. The recurrent loops' float32 arithmetic
#: changed twice since the first (the GRU's compiled loop with the rational tanh; then the
#: fitted tanh of degree 4 over 4 and the LSTM's products through NumPy's gemm), and over 200
#: epochs last-bit differences make different fits, so the table no longer described the
#: code each time. The second run chose Adam at 0.001 over 400 epochs with the lowest loss for
#: the GunPoint LSTM and the cosine schedule for the ItalyPowerDemand GRU; the first had chosen
#: the bidirectional candidate and Adam at 0.01 for the two GRU cells.
CHOSEN = {
    ("GunPoint", "lstm"): "h32 adam 0.001 cosine 400 epochs",
    ("GunPoint", "gru"): "h32 adam 0.01 cosine",
    ("ItalyPowerDemand", "lstm"): "h32 adam 0.01 cosine",
    ("ItalyPowerDemand", "gru"): "h32 adam 0.003 constant",
}
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
    cell: str,
    params: dict,
    seed: int,
    X: np.ndarray,
    y: np.ndarray,
    X_eval,
    y_eval,
    probabilities: bool = False,
) -> tuple:
    """Accuracy on ``(X_eval, y_eval)``, the training loss of the kept epoch (the last, or the
    lowest with ``KEEP_LOWEST_LOSS``), the fit's seconds (one BLAS thread, in whichever
    process runs it), and the accuracy and training loss of the last epoch's weights (the same
    fit; equal to the first two unless ``KEEP_LOWEST_LOSS`` kept an earlier epoch); with
    ``probabilities``, the kept weights' ``predict_proba(X_eval)`` too, last."""
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
        kept = (model.predict_proba(X_eval),) if probabilities else ()
        loss_last = float(model.loss_curve_[-1])
        if last.params is None:
            return (score, loss_last, seconds, score, loss_last, *kept)
        for p, saved in zip(model.network_.parameters(), last.params, strict=True):
            np.copyto(p, saved)
        score_last = float(model.score(X_eval, y_eval))
        return (score, float(min(model.loss_curve_)), seconds, score_last, loss_last, *kept)


def run(tasks: list, jobs: int) -> list:
    """The fits, ``jobs`` at a time in separate processes (each fit is independent)."""
    if jobs == 1:
        return [fit_score(*task) for task in tasks]
    # verbose: joblib's progress on stderr, for runs of an hour
    return Parallel(n_jobs=jobs, verbose=5)(delayed(fit_score)(*task) for task in tasks)


def shared_fits(names: list[str]) -> dict[str, list[str]]:
    """The fits the candidates need: each candidate with ``KEEP_LOWEST_LOSS`` shares its fit
    with the candidate of the same parameters without it, whose result is that fit's last
    epoch (the never-stopping callback only watches the loss; ``fit_score`` returns both).
    Maps the candidate that is fitted to the candidates that read its fit."""

    def plain(name: str) -> tuple:
        return tuple(sorted((k, v) for k, v in CANDIDATES[name].items() if k != KEEP_LOWEST_LOSS))

    fits: dict[tuple, list[str]] = {}
    for name in names:
        fits.setdefault(plain(name), []).append(name)
    # the fitted one is the member with the callback, when there is one
    return {
        next((n for n in group if KEEP_LOWEST_LOSS in CANDIDATES[n]), group[0]): group
        for group in fits.values()
    }


def choose(means: dict[tuple[str, str, str], float]) -> dict[tuple[str, str], str]:
    """For each (data set, cell), the candidate with the highest mean validation accuracy;
    between equal means (to 1e-9, rounding of the mean) the earlier one in ``CANDIDATES``."""
    order = list(CANDIDATES)
    chosen: dict[tuple[str, str], str] = {}
    for name, data, cell in sorted(means, key=lambda key: order.index(key[0])):
        best = chosen.get((data, cell))
        if best is None or means[name, data, cell] > means[best, data, cell] + 1e-9:
            chosen[data, cell] = name
    return chosen


def select(
    data_sets: list[str], folds: int, random_states: list[int], names: list[str], jobs: int
) -> None:
    """Cross-validated accuracy of the candidates on the training sets only: for each random
    state its own shuffled folds and the networks' initialisation and batch order from it;
    then the choice for each data set and cell (``choose``)."""
    print(
        f"{folds}-fold stratified cross-validation on the training sets, "
        f"random states {random_states}"
    )
    fits = shared_fits(names)
    keys, tasks = [], []
    for data in data_sets:
        X, y = load(data, "train")
        for seed in random_states:
            folder = StratifiedKFold(folds, shuffle=True, random_state=seed)
            for fitted in fits:
                params = {**COMMON, **CANDIDATES[fitted]}
                for cell in CELLS:
                    for fit, val in folder.split(X, y):
                        keys.append((fitted, data, cell, seed))
                        tasks.append((cell, params, seed, X[fit], y[fit], X[val], y[val]))
    results: dict[tuple, list] = {}
    for (fitted, data, cell, seed), result in zip(keys, run(tasks, jobs), strict=True):
        score, loss, seconds, score_last, loss_last = result
        for name in fits[fitted]:
            kept = KEEP_LOWEST_LOSS in CANDIDATES[name]
            row = (score, loss, seconds) if kept else (score_last, loss_last, seconds)
            results.setdefault((name, data, cell, seed), []).append(row)
    # per candidate, data set and cell: the mean over random states and folds, and the lowest
    # of the random states' fold means (one whose fits fail shows there)
    header = f"{'candidate':<44} {'data set':<17} {'cell':<5} {'mean accuracy':>13}"
    print(f"{header} {'worst state':>11} {'final loss':>10} {'s per fit':>9}")
    groups: dict[tuple, list] = {}
    for (name, data, cell, _seed), fold_results in results.items():
        groups.setdefault((name, data, cell), []).append(np.array(fold_results))
    means: dict[tuple[str, str, str], float] = {}
    for (name, data, cell), per_seed in sorted(
        groups.items(), key=lambda item: (item[0][1], item[0][2], names.index(item[0][0]))
    ):
        scores, losses, seconds = np.concatenate(per_seed).T
        worst = min(float(np.mean(r[:, 0])) for r in per_seed)
        means[name, data, cell] = float(np.mean(scores))
        print(
            f"{name:<44} {data:<17} {cell:<5} {np.mean(scores):>13.4f} {worst:>11.4f} "
            f"{np.mean(losses):>10.4f} {np.mean(seconds):>9.0f}"
        )
    print("mean over data sets and cells:")
    for name in names:
        values = [v for (n, _, _), v in means.items() if n == name]
        print(f"  {name:<44} {np.mean(values):.4f}")
    print("chosen for each data set and cell (ties to the earlier candidate in CANDIDATES):")
    for (data, cell), name in sorted(choose(means).items()):
        print(f"  {data:<17} {cell:<5} {name:<44} {means[name, data, cell]:.4f}")


def test_table(
    data_sets: list[str], random_states: list[int], chosen: dict[tuple[str, str], str], jobs: int
) -> None:
    """Test accuracy of 1-NN DTW and of each cell with its candidate ``chosen[data, cell]``."""
    from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

    keys, tasks, baseline, labels = [], [], {}, {}
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
            params = {**COMMON, **CANDIDATES[chosen[name, cell]]}
            for seed in random_states:
                keys.append((name, cell))
                tasks.append((cell, params, seed, X, y, X_test, y_test, True))
        labels[name] = (np.unique(y), y_test)
    results: dict[tuple, list] = {}
    for key, result in zip(keys, run(tasks, jobs), strict=True):
        results.setdefault(key, []).append(result)
    print(f"{'data set':<18} {'model':<22} {'test accuracy':>32} {'fit seconds':>12}")
    for name in data_sets:
        accuracy, seconds = baseline[name]
        print(f"{name:<18} {'1-NN DTW (aeon)':<22} {accuracy:>32.4f} {seconds:>12.1f}")
        for cell in CELLS:
            scores, losses, seconds, last, _, probabilities = (
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
            print(f"    candidate: {chosen[name, cell]}")
            print(
                "    per random state "
                f"{dict(zip(random_states, np.round(scores, 4).tolist(), strict=True))}"
            )
            print(
                "    training loss of the kept epoch per random state "
                f"{dict(zip(random_states, np.round(losses, 4).tolist(), strict=True))}"
            )
            if KEEP_LOWEST_LOSS in CANDIDATES[chosen[name, cell]]:
                print(
                    "    per random state with the last epoch's weights instead "
                    f"{dict(zip(random_states, np.round(last, 4).tolist(), strict=True))}, mean "
                    f"{np.mean(last):.4f}"
                )
            if len(scores) > 1:
                # the networks of all the random states as one classifier: the mean of their
                # probabilities (an ensemble, which averages out the spread between them)
                classes, y_test = labels[name]
                voted = classes[np.argmax(np.mean(probabilities, axis=0), axis=1)]
                print(
                    f"    ensemble of the {len(scores)} networks (mean probability): "
                    f"{np.mean(voted == y_test):.4f}"
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
        "for every cell (default: CHOSEN, each cell's own)",
    )
    args = parser.parse_args()
    if args.select:
        select(args.data, args.folds, args.random_states, args.candidates, args.jobs)
    else:
        chosen = CHOSEN
        if args.candidates != list(CANDIDATES):
            chosen = dict.fromkeys(CHOSEN, args.candidates[0])
        test_table(args.data, args.random_states, chosen, args.jobs)


if __name__ == "__main__":
    main()
