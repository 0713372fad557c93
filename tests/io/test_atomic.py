"""Tests of sigmanet.io.atomic: files written whole or not at all, stale temporaries removed."""

from __future__ import annotations

import os
import pathlib
from typing import Any

import numpy as np
import pytest
from model_file_cases import (
    X_REAL,
    Y_CASES,
    dead_pid,
    edit_document,
    expect_error,
    fit_quietly,
    fitted_fake,
    fitted_real,
    real_class,
    temporaries,
)

from sigmanet.io import (
    atomic,
    load,
    model_file,
    save,
)

# --------------------------------------------------------------------------------------------
# Overwriting and atomic writes
# --------------------------------------------------------------------------------------------


def test_save_refuses_to_overwrite(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError) as info:
        save(fitted_fake(), path)
    assert str(path) in str(info.value)
    assert "overwrite=True" in str(info.value)
    assert path.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


def test_save_overwrites_when_asked(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    path = tmp_path / "m.safetensors"
    save(fitted_fake(random_state=1), path)
    second = fitted_fake(random_state=2)
    save(second, path, overwrite=True)
    assert np.array_equal(load(path).coef_, second.coef_)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


def test_new_file_permissions_follow_the_umask(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    old = os.umask(0o022)
    try:
        path = save(fitted_fake(), tmp_path / "m")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt])
@pytest.mark.parametrize("overwrite", [False, True])
def test_failed_write_leaves_no_temp_file_and_old_file_intact(
    tmp_path: pathlib.Path,
    fake_registry: Any,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
    overwrite: bool,
) -> None:
    path = tmp_path / "m.safetensors"
    old = fitted_fake(random_state=1)
    save(old, path)
    old_bytes = path.read_bytes()
    written: list[int] = []

    def half_then_fail(fd: int, data: bytes) -> None:
        written.append(os.write(fd, data[: len(data) // 2]))
        raise error

    monkeypatch.setattr(atomic, "_write_fully", half_then_fail)
    target = path if overwrite else tmp_path / "new.safetensors"
    with pytest.raises(type(error) if isinstance(error, BaseException) else error):
        save(fitted_fake(random_state=2), target, overwrite=overwrite)
    assert written and written[0] > 0  # the failure really happened mid-way
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]
    assert path.read_bytes() == old_bytes


def test_failed_fsync_leaves_no_temp_file(
    tmp_path: pathlib.Path, fake_registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output"):
        save(fitted_fake(), tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def test_file_created_concurrently_is_not_clobbered(
    tmp_path: pathlib.Path, fake_registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.safetensors"
    real_serialize = model_file._serialize

    def serialize_while_another_process_writes(estimator: Any) -> bytes:
        data = real_serialize(estimator)
        path.write_bytes(b"theirs")
        return data

    monkeypatch.setattr(model_file, "_serialize", serialize_while_another_process_writes)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save(fitted_fake(), path)
    assert path.read_bytes() == b"theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


@pytest.mark.parametrize("other_exists", [False, True])
def test_no_clobber_without_hard_links(
    tmp_path: pathlib.Path,
    fake_registry: Any,
    monkeypatch: pytest.MonkeyPatch,
    other_exists: bool,
) -> None:
    def no_links(src: Any, dst: Any) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(atomic.os, "link", no_links)
    path = tmp_path / "m.safetensors"
    est = fitted_fake()
    if other_exists:
        real_serialize = model_file._serialize

        def serialize_then_race(estimator: Any) -> bytes:
            data = real_serialize(estimator)
            path.write_bytes(b"theirs")
            return data

        monkeypatch.setattr(model_file, "_serialize", serialize_then_race)
        with pytest.raises(FileExistsError):
            save(est, path)
        assert path.read_bytes() == b"theirs"
    else:
        save(est, path)
        assert np.array_equal(load(path).coef_, est.coef_)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


# --------------------------------------------------------------------------------------------
# Killed saves: the old file intact, their temporary files cleaned up by the next save
# --------------------------------------------------------------------------------------------


_KILLED_SAVER = """
import sys, time
import numpy as np
import sigmanet
from sigmanet.io import atomic

X = np.random.default_rng(0).normal(size=(20, 30))
model = sigmanet.MLPRegressor(hidden_layer_sizes=(900, 900), max_iter=1, random_state=0)
model.fit(X, X[:, 0])
write = atomic._write_fully

def write_then_stall(fd, data):
    write(fd, data[: len(data) // 3])
    print("writing", len(data), flush=True)
    time.sleep(120)

atomic._write_fully = write_then_stall
sigmanet.save(model, sys.argv[1], overwrite=True)
"""


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGKILL"), reason="needs SIGKILL")
def test_save_killed_mid_write_leaves_old_file_and_next_save_cleans_up(
    tmp_path: pathlib.Path,
) -> None:
    import signal
    import subprocess
    import sys

    path = tmp_path / "model.safetensors"
    old = fitted_real("LogisticRegression", {}, "binary-strings", np.float64)
    save(old, path)
    old_bytes = path.read_bytes()

    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_SAVER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line.startswith("writing"), line
        total = int(line.split()[1])
        assert total > 5_000_000  # a large-ish model: several MB
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        if child.stdout:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    # The old file is untouched and loads; the killed save's partial temporary is left.
    assert path.read_bytes() == old_bytes
    assert np.array_equal(load(path).predict_proba(X_REAL), old.predict_proba(X_REAL))
    left = temporaries(tmp_path)
    assert len(left) == 1 and f".{child.pid}." in left[0]
    assert 0 < (tmp_path / left[0]).stat().st_size < total

    # A save to another name leaves it; the next save to the same name removes it.
    save(old, tmp_path / "other.safetensors")
    assert temporaries(tmp_path) == left
    new = fitted_real("SoftmaxRegression", {}, "multiclass-strings", np.float32)
    save(new, path, overwrite=True)
    assert temporaries(tmp_path) == []
    assert np.array_equal(load(path).predict_proba(X_REAL), new.predict_proba(X_REAL))


def test_next_save_removes_only_temporaries_of_dead_processes(
    tmp_path: pathlib.Path, fake_registry: Any
) -> None:
    target = "m.safetensors"
    stale = f".{target}.{dead_pid()}.0123abcd.sigmanet-tmp"
    running = f".{target}.{os.getppid()}.0123abcd.sigmanet-tmp"  # a save in progress
    own = f".{target}.{os.getpid()}.0123abcd.sigmanet-tmp"
    other_target = f".other.{dead_pid()}.0123abcd.sigmanet-tmp"
    not_ours = f".{target}.{dead_pid()}.tmp"
    for name in (stale, running, own, other_target, not_ours):
        (tmp_path / name).write_bytes(b"partial")
    save(fitted_fake(), tmp_path / target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target, running, own, other_target, not_ours]
    )


def test_failed_save_leaves_its_temporary_named_for_cleanup(
    tmp_path: pathlib.Path, fake_registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def fail(fd: int, data: bytes) -> None:
        seen.extend(temporaries(tmp_path))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "_write_fully", fail)
    with pytest.raises(OSError, match="No space"):
        save(fitted_fake(), tmp_path / "m.safetensors")
    assert len(seen) == 1 and seen[0].startswith(f".m.safetensors.{os.getpid()}.")
    assert list(tmp_path.iterdir()) == []


def test_loading_a_function_name_is_refused(tmp_path: pathlib.Path) -> None:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    model = TransformedTargetRegressor(
        regressor=real_class("MLPRegressor")(hidden_layer_sizes=(2,), max_iter=3),
        transformer=StandardScaler(),
    )
    valid = save(fit_quietly(model, X_REAL, Y_CASES["regression"]), tmp_path / "m").read_bytes()
    edited = edit_document(valid, lambda d: d["params"].__setitem__("inverse_func", "exec"))
    expect_error(tmp_path, edited, "only with inverse_func=None")
