"""Fixtures of the playground tests: a running server on a free port, a headless browser."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sigmanet.playground import Playground


def playground_threads() -> list[threading.Thread]:
    """Threads of the playground still alive: the worker, the server and its handlers."""
    return [
        thread
        for thread in threading.enumerate()
        if thread.name.startswith("sigmanet-playground") or "process_request" in thread.name
    ]


@pytest.fixture
def playground() -> Iterator[Playground]:
    """A started playground; stopped afterwards, and no thread of it may outlive the test."""
    server = Playground().start()
    try:
        yield server
    finally:
        server.stop(timeout=5)
        deadline = time.monotonic() + 5
        while playground_threads() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert playground_threads() == [], "the playground left threads running"


@pytest.fixture
def leftover_threads() -> Callable[[], list[threading.Thread]]:
    """A function listing the playground's threads still alive."""
    return playground_threads


@pytest.fixture
def page(browser: Any, playground: Playground) -> Iterator[Any]:
    """A fresh page; the JavaScript errors and console errors it produced are in page.errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    tab.on(
        "console",
        lambda message: (
            errors.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    tab.errors = errors
    try:
        yield tab
    finally:
        context.close()
