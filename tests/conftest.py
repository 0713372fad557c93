"""Fixtures shared by every test directory."""

from __future__ import annotations

from collections.abc import Callable

import pytest


@pytest.fixture
def blas_thread_counts() -> Callable[[], list[int]]:
    """A function giving the thread count of each loaded BLAS library, as threadpoolctl sees it."""
    from threadpoolctl import threadpool_info

    def counts() -> list[int]:
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    return counts
