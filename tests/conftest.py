"""Fixtures shared by every test directory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

#: Debian's Chromium; Playwright's own browser download needs a network the tests do not have.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def blas_thread_counts() -> Callable[[], list[int]]:
    """A function giving the thread count of each loaded BLAS library, as threadpoolctl sees it."""
    from threadpoolctl import threadpool_info

    def counts() -> list[int]:
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    return counts


def _unavailable(reason: str) -> None:
    # CI installs Chromium (.ci/run): there a missing browser is a failure, never a skip
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; the browser tests must run in CI.")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Playwright, shared by a module's tests."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A Dask client on two in-process workers, one thread each, no dashboard, loopback only.

    One cluster per test module, always shut down (asserted).
    """
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c
    assert cluster.status.name == "closed"


# -- scikit-learn's own test modules, run on sigmanet (see estimators/sklearn_suite.py) ----------
# These hooks live in the root conftest so that pytest-xdist's controller, which loads only
# this one, gathers the workers' tables and prints the summary.

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
