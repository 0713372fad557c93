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
