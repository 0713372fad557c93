"""Same settings, statistically the same results: sigmanet's MLPs against scikit-learn's over seeds.

The set-up is that of scikit-learn's ``test_partial_fit_regression`` (its own MLP test
module): ``make_regression(n_samples=200, n_features=10, bias=20, noise=100,
random_state=7)`` with ``y`` standardised, ``MLPRegressor(solver="sgd", activation="relu",
learning_rate_init=0.01, batch_size=200, momentum=m)`` and 100 calls of ``partial_fit``, for
``m`` in (0, 0.9); and that of its ``test_partial_fit_classification`` (the 3-class digits,
``MLPClassifier(solver="sgd", alpha=1e-5, learning_rate_init=0.2)``, 100 ``partial_fit``
calls). Each is run for ``random_state`` 0..N-1 (N = 100 by default) by scikit-learn's MLP,
by sigmanet's with its default initialisation (``weight_init="sklearn"``: scikit-learn's
bounds for weights and biases, drawn from the same ``RandomState``) and by sigmanet's with
``weight_init="glorot_uniform"`` (Glorot weights, zero biases). The table gives the mean
training-set R² or accuracy, its standard deviation over seeds, and the share of seeds that
pass the scikit-learn test's threshold (R² > 0.65, accuracy > 0.95).

Run: ``.venv/bin/python benchmarks/initialization_vs_sklearn.py [--seeds N]``. Nothing is
asserted; this is a measurement.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn import neural_network
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler, scale

import sigmanet


def regression_data() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_regression(n_samples=200, n_features=10, bias=20.0, noise=100.0, random_state=7)
    return X, scale(y)


def classification_data() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(n_class=3, return_X_y=True)
    return MinMaxScaler().fit_transform(X[:200]), y[:200]


def partial_fit_regression(cls: Any, seed: int, momentum: float, **extra: Any) -> float:
    X, y = regression_data()
    model = cls(
        solver="sgd",
        activation="relu",
        learning_rate_init=0.01,
        random_state=seed,
        batch_size=X.shape[0],
        momentum=momentum,
        **extra,
    )
    for _ in range(100):
        model.partial_fit(X, y)
    return float(model.score(X, y))


def partial_fit_classification(cls: Any, seed: int, **extra: Any) -> float:
    X, y = classification_data()
    model = cls(solver="sgd", random_state=seed, alpha=1e-5, learning_rate_init=0.2, **extra)
    for _ in range(100):
        model.partial_fit(X, y, classes=np.unique(y))
    return float(model.score(X, y))


def summarise(scores: list[float], threshold: float) -> str:
    values = np.asarray(scores)
    return (
        f"{values.mean():.4f} ± {values.std():.4f}  "
        f"(> {threshold}: {np.mean(values > threshold):.0%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="random_state 0..N-1")
    seeds = range(parser.parse_args().seeds)
    peers: list[tuple[str, Callable[..., Any], Callable[..., Any], dict[str, Any]]] = [
        ("scikit-learn", neural_network.MLPRegressor, neural_network.MLPClassifier, {}),
        ("sigmanet (default)", sigmanet.MLPRegressor, sigmanet.MLPClassifier, {}),
        (
            "sigmanet, weight_init='glorot_uniform'",
            sigmanet.MLPRegressor,
            sigmanet.MLPClassifier,
            {"weight_init": "glorot_uniform"},
        ),
    ]
    print(f"{len(seeds)} seeds; mean ± standard deviation over seeds (share above the threshold)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for momentum in (0.0, 0.9):
            print(f"\ntest_partial_fit_regression set-up, momentum={momentum}: training R²")
            for name, regressor, _, extra in peers:
                scores = [partial_fit_regression(regressor, s, momentum, **extra) for s in seeds]
                print(f"  {name:<40} {summarise(scores, 0.65)}")
        print("\ntest_partial_fit_classification set-up (3-class digits): training accuracy")
        for name, _, classifier, extra in peers:
            scores = [partial_fit_classification(classifier, s, **extra) for s in seeds]
            print(f"  {name:<40} {summarise(scores, 0.95)}")


if __name__ == "__main__":
    main()
