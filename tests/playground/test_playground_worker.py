"""The training thread and the board of frames, without a server."""

from __future__ import annotations

import json
import time

import pytest

from sigmanet.playground import Config, Session
from sigmanet.playground.worker import FrameBoard, Worker


@pytest.fixture
def worker():
    thread = Worker(Session(Config(n_samples=100, speed=5)), FrameBoard())
    thread.start()
    yield thread
    thread.stop(timeout=5)
    assert not thread.is_alive()


def frames_until(board: FrameBoard, predicate, after: int = 0, limit: int = 2000):
    """The first frame meeting ``predicate`` (waiting up to 10 s for each), and its number."""
    for _ in range(limit):
        after, text = board.wait(after, timeout=10)
        assert text is not None, "no frame came"
        frame = json.loads(text)
        if predicate(frame):
            return after, frame
    raise AssertionError("no frame met the condition")


def test_the_board_keeps_the_newest_frame_and_wakes_waiters_on_close():
    board = FrameBoard()
    assert board.wait(0, timeout=0.01) == (0, None)
    board.publish("a")
    board.publish("b")
    assert board.wait(0, timeout=1) == (2, "b")
    assert board.wait(2, timeout=0.01) == (2, None)
    board.close()
    assert board.wait(2, timeout=5) == (2, None)


def test_play_pause_and_step(worker):
    board = worker.board
    number, _ = frames_until(board, lambda f: True)
    worker.call("play")
    number, frame = frames_until(board, lambda f: f["epoch"] >= 3, number)
    assert frame["state"] == "playing"
    worker.call("pause")
    epoch, updates = worker.call("call", lambda s: (s.epoch, s.updates))
    number, frame = frames_until(board, lambda f: f["state"] == "paused", number)
    # paused: nothing trains while no control arrives
    board.wait(number, timeout=0.3)
    assert worker.call("call", lambda s: (s.epoch, s.updates)) == (epoch, updates)
    worker.call("step")
    assert worker.call("call", lambda s: s.updates) == updates + 1
    _, frame = frames_until(board, lambda f: f["step"] is not None, number)
    assert frame["updates"] == updates + 1 and frame["state"] == "paused"


def test_a_bad_control_fails_alone(worker):
    with pytest.raises(ValueError, match="noise"):
        worker.call("configure", {"noise": 5})
    with pytest.raises(ValueError, match="Unknown action"):
        worker.call("dance")
    assert worker.call("call", lambda s: s.config.noise) == 0.0


def test_an_unexpected_error_in_training_pauses_with_a_message(worker):
    def broken() -> bool:
        raise RuntimeError("out of cheese")

    worker.call("call", lambda s: setattr(s, "train_epoch", broken))
    worker.call("play")
    _, frame = frames_until(worker.board, lambda f: f["message"] is not None)
    assert frame["message"] == "Training stopped: RuntimeError: out of cheese"
    assert frame["state"] == "paused"
    assert worker.is_alive()


def test_stop_fails_waiting_controls_instead_of_hanging():
    thread = Worker(Session(Config(n_samples=40)), FrameBoard())
    thread.stop()
    future = thread.submit("play")
    with pytest.raises(RuntimeError, match="shutting down"):
        future.result(timeout=1)


def test_a_frame_that_cannot_be_drawn_pauses_and_keeps_the_worker(worker, capsys):
    original = worker.session.frame

    def broken() -> dict:
        raise KeyError("no such unit")

    worker.call("call", lambda s: setattr(s, "frame", broken))
    worker.call("play")
    for _ in range(200):
        if not worker.call("call", lambda s: s.playing):
            break
        time.sleep(0.02)
    assert worker.call("call", lambda s: s.playing) is False
    assert "KeyError: 'no such unit'" in capsys.readouterr().err
    worker.call("call", lambda s: setattr(s, "frame", original))
    worker.call("step")  # the thread still serves
    assert worker.call("call", lambda s: s.updates) >= 1
