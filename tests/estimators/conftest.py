"""Small data sets shared by the estimator tests (deterministic, standardised, fast to fit)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_classification, make_regression
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="session")
def binary_data() -> tuple[np.ndarray, np.ndarray]:
    """Two well-separated Gaussian blobs: (X of shape (120, 2), y in {0, 1})."""
    X, y = make_blobs(
        n_samples=120, centers=[[-2.0, -2.0], [2.0, 2.0]], cluster_std=0.8, random_state=0
    )
    return X, y


@pytest.fixture(scope="session")
def multiclass_data() -> tuple[np.ndarray, np.ndarray]:
    """A three-class problem that needs a hidden layer to fit well: (150, 5), y in {0, 1, 2}."""
    X, y = make_classification(
        n_samples=150,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def separable_multiclass_data() -> tuple[np.ndarray, np.ndarray]:
    """Three well-separated blobs: (X of shape (150, 2), y in {0, 1, 2})."""
    X, y = make_blobs(
        n_samples=150,
        centers=[[-3.0, -3.0], [3.0, 3.0], [3.0, -3.0]],
        cluster_std=0.6,
        random_state=0,
    )
    return X, y


@pytest.fixture(scope="session")
def regression_data() -> tuple[np.ndarray, np.ndarray]:
    """A smooth nonlinear target: X of shape (160, 3), y = sin(x0) + x1 x2 / 2 + 0.3 x2."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-2.0, 2.0, size=(160, 3))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2] + 0.3 * X[:, 2]
    return X, y


@pytest.fixture(scope="session")
def multioutput_regression_data() -> tuple[np.ndarray, np.ndarray]:
    """Two targets from a linear model with noise: X (120, 4), Y (120, 2), both standardised."""
    X, Y = make_regression(n_samples=120, n_features=4, n_targets=2, noise=1.0, random_state=0)
    return StandardScaler().fit_transform(X), StandardScaler().fit_transform(Y)


# -- scikit-learn's own test modules, run on sigmanet (see sklearn_suite.py) ---------------------

_SUITE_KEY = pytest.StashKey[dict[str, str]]()
_REASONS_KEY = pytest.StashKey[dict[str, dict[str, dict[str, int]]]]()


def pytest_configure(config: pytest.Config) -> None:
    # markers scikit-learn's test modules use (its conftest registers them the same way)
    config.addinivalue_line("markers", "thread_unsafe: scikit-learn's marker, unused here")


def _deselection_reason(item: pytest.Item) -> str | None:
    module = getattr(item, "module", None)
    rule = getattr(module, "deselect", None)
    if rule is not None:
        return rule(item)
    table = getattr(module, "DESELECTED", {})
    return table.get(getattr(item, "originalname", item.name))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    suites: dict[str, str] = config.stash.setdefault(_SUITE_KEY, {})
    reasons: dict[str, dict[str, dict[str, int]]] = config.stash.setdefault(_REASONS_KEY, {})
    kept, dropped = [], []
    for item in items:
        label = getattr(getattr(item, "module", None), "SKLEARN_SUITE", None)
        if label is None:
            kept.append(item)
            continue
        suites[item.nodeid] = label
        reason = _deselection_reason(item)
        if reason is None:
            kept.append(item)
        else:
            dropped.append(item)
            tests = reasons.setdefault(label, {}).setdefault(reason, {})
            name = getattr(item, "originalname", item.name)
            tests[name] = tests.get(name, 0) + 1
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Under pytest-xdist the workers collect and the controller prints the summary: each worker
    # hands its table of suite tests and deselection reasons to the controller.
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["sklearn_suites"] = session.config.stash.get(_SUITE_KEY, {})
        workeroutput["sklearn_reasons"] = session.config.stash.get(_REASONS_KEY, {})


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the xdist controller: gather the workers' tables (every worker collects every test)."""
    output = getattr(node, "workeroutput", {})
    node.config.stash.setdefault(_SUITE_KEY, {}).update(output.get("sklearn_suites", {}))
    reasons = node.config.stash.setdefault(_REASONS_KEY, {})
    for label, table in output.get("sklearn_reasons", {}).items():
        reasons.setdefault(label, table)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    suites = config.stash.get(_SUITE_KEY, {})
    if not suites:
        return
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "deselected"):
        for report in terminalreporter.stats.get(outcome, []):
            label = suites.get(getattr(report, "nodeid", ""))
            if label is None:
                continue
            if outcome == "passed" and getattr(report, "when", "call") != "call":
                continue  # a test is counted once, at its call
            per_label = counts.setdefault(label, {})
            per_label[outcome] = per_label.get(outcome, 0) + 1
    reasons = config.stash.get(_REASONS_KEY, {})
    for label, per_label in counts.items():
        if "deselected" not in per_label and label in reasons:
            # under xdist the controller never sees the workers' deselections; count them here
            per_label["deselected"] = sum(sum(t.values()) for t in reasons[label].values())
    terminalreporter.section("scikit-learn's own tests on sigmanet")
    for label, per_label in counts.items():
        figures = ", ".join(f"{n} {outcome}" for outcome, n in per_label.items())
        terminalreporter.write_line(f"{label}: {figures}")
        for reason, tests in sorted(reasons.get(label, {}).items()):
            n = sum(tests.values())
            terminalreporter.write_line(f"    {n} deselected, {reason}: {', '.join(sorted(tests))}")
