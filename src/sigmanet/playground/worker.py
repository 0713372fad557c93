"""The training thread: the only thread that touches the :class:`Session`.

Controls arrive on a queue (each with a future for its answer); frames leave through a
:class:`FrameBoard` that keeps only the newest one, so a slow page skips frames instead of
queueing them. While playing the worker trains epoch after epoch at the chosen speed and
publishes a frame at most every ``frame_interval`` seconds (about 20 a second).
"""

from __future__ import annotations

import json
import math
import queue
import threading
import time
import traceback
from concurrent.futures import Future
from typing import Any

from sigmanet.playground.session import Session

__all__ = ["EPOCHS_PER_SECOND", "FrameBoard", "Worker"]

#: Speed 1…5 → the most epochs trained per second (None: as fast as it goes).
EPOCHS_PER_SECOND: dict[int, float | None] = {1: 2.0, 2: 8.0, 3: 30.0, 4: 100.0, 5: None}


class FrameBoard:
    """The newest frame, numbered, with a condition to wait for the next one."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._frame: str | None = None
        self._number = 0
        self.closed = False

    def publish(self, frame: str) -> None:
        with self._condition:
            self._frame = frame
            self._number += 1
            self._condition.notify_all()

    def close(self) -> None:
        """Wake every waiter for good (the server is stopping)."""
        with self._condition:
            self.closed = True
            self._condition.notify_all()

    def wait(self, after: int, timeout: float) -> tuple[int, str | None]:
        """The first frame numbered above ``after``, or ``(after, None)`` on timeout or close."""
        with self._condition:
            self._condition.wait_for(lambda: self.closed or self._number > after, timeout=timeout)
            if self.closed or self._number <= after:
                return after, None
            return self._number, self._frame


class Worker(threading.Thread):
    """Runs a :class:`Session`: applies controls, trains, publishes frames.

    Parameters
    ----------
    session : Session
    board : FrameBoard
    frame_interval : float
        Least seconds between two frames while playing.
    """

    def __init__(self, session: Session, board: FrameBoard, frame_interval: float = 0.05):
        super().__init__(name="sigmanet-playground-worker", daemon=True)
        self.session = session
        self.board = board
        self.frame_interval = frame_interval
        self._commands: queue.Queue[tuple[str, Any, Future[Any]] | None] = queue.Queue()
        self._stopping = threading.Event()

    def submit(self, action: str, payload: Any = None) -> Future[Any]:
        """Queue a control; the future holds its result (or its exception)."""
        future: Future[Any] = Future()
        if self._stopping.is_set():
            future.set_exception(RuntimeError("The playground is shutting down."))
            return future
        self._commands.put((action, payload, future))
        return future

    def call(self, action: str, payload: Any = None, timeout: float = 30.0) -> Any:
        """Submit and wait for the result."""
        return self.submit(action, payload).result(timeout=timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the current epoch, then end the thread."""
        self._stopping.set()
        self._commands.put(None)
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    # -- the loop -----------------------------------------------------------------------------
    def run(self) -> None:
        self._publish()
        last_frame = time.monotonic()
        next_epoch = 0.0
        while not self._stopping.is_set():
            session = self.session
            wait = 0.0 if session.playing else 0.25
            if session.playing:
                rate = EPOCHS_PER_SECOND[session.config.speed]
                wait = max(0.0, next_epoch - time.monotonic()) if rate else 0.0
            handled = self._handle_commands(wait)
            if self._stopping.is_set():
                break
            now = time.monotonic()
            if session.playing and now >= next_epoch:
                rate = EPOCHS_PER_SECOND[session.config.speed]
                try:
                    session.train_epoch()
                except Exception as error:  # keep serving: the page says what went wrong
                    session.playing = False
                    session.message = f"Training stopped: {type(error).__name__}: {error}"
                next_epoch = now + (1.0 / rate if rate else 0.0)
                if not session.playing:  # it diverged: show it at once
                    handled = True
            if handled or (session.playing and now - last_frame >= self.frame_interval):
                self._publish()
                last_frame = time.monotonic()
        # a last drain, so no caller waits for a future that will never be set
        self._fail_pending()

    def _handle_commands(self, wait: float) -> bool:
        handled = False
        try:
            item = self._commands.get(timeout=wait) if wait > 0 else self._commands.get_nowait()
        except queue.Empty:
            return False
        while item is not None:
            action, payload, future = item
            try:
                future.set_result(self._apply(action, payload))
            except Exception as error:  # the page gets the message; the worker lives on
                future.set_exception(error)
            handled = True
            try:
                item = self._commands.get_nowait()
            except queue.Empty:
                break
        return handled

    def _fail_pending(self) -> None:
        while True:
            try:
                item = self._commands.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                item[2].set_exception(RuntimeError("The playground is shutting down."))

    def _apply(self, action: str, payload: Any) -> Any:
        session = self.session
        if action == "play":
            session.message = None
            session.playing = True
        elif action == "pause":
            session.playing = False
        elif action == "step":
            session.playing = False
            session.message = None
            session.step()
        elif action == "reset":
            session.reset()
        elif action == "regenerate":
            session.regenerate()
        elif action == "configure":
            session.configure(payload)
        elif action == "upload":
            session.set_upload(*payload)
        elif action == "compare_activations":
            session.playing = False
            session.compare_activations()
        elif action == "compare_descent":
            session.playing = False
            session.compare_descent()
        elif action == "call":
            return payload(session)  # a read-only look, run on this thread (exports)
        else:
            raise ValueError(f"Unknown action {action!r}.")
        return None

    def _publish(self) -> None:
        try:
            frame = self.session.frame()
        except Exception:  # a bug: keep the thread (and the last frame), pause, tell the terminal
            if self.session.playing:
                self.session.playing = False
                traceback.print_exc()
            return
        try:
            text = json.dumps(frame, allow_nan=False, separators=(",", ":"))
        except ValueError:  # a non-finite number slipped in (parameters blown up mid-step)
            text = json.dumps(_finite_only(frame), allow_nan=False, separators=(",", ":"))
        self.board.publish(text)


def _finite_only(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite_only(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_only(item) for item in value]
    return value
