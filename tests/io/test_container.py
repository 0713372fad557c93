"""Tests of sigmanet.io.container: every bad file is a ModelFileError, every byte verified."""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from model_file_cases import (
    X_REAL,
    Y_CASES,
    FakeClassifier,
    edit_document,
    edit_header,
    expect_error,
    fit_quietly,
    join_file,
    load_or_model_file_error,
    mutations,
    real_class,
    set_field,
    set_key,
    split_file,
)

from sigmanet.exceptions import ModelFileError
from sigmanet.io import FORMAT_VERSION, load, read_metadata, save, sigmanet_steps, steps

# --------------------------------------------------------------------------------------------
# Bad files: every one raises ModelFileError saying what is wrong
# --------------------------------------------------------------------------------------------


def test_valid_bytes_helpers_round_trip(tmp_path: pathlib.Path, valid_bytes: bytes) -> None:
    path = tmp_path / "again"
    path.write_bytes(edit_document(valid_bytes, lambda d: None))
    assert isinstance(load(path), FakeClassifier)


def test_missing_file(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    with pytest.raises(ModelFileError, match="does not exist") as info:
        load(tmp_path / "nope.safetensors")
    assert isinstance(info.value.__cause__, FileNotFoundError)
    with pytest.raises(ModelFileError, match="does not exist"):
        read_metadata(tmp_path / "nope.safetensors")


def test_directory_instead_of_file(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    with pytest.raises(ModelFileError, match="directory"):
        load(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="not a regular file"):
        load(fifo)
    with pytest.raises(ModelFileError, match="not a regular file"):
        read_metadata(fifo)


def test_unreadable_file(
    tmp_path: pathlib.Path, valid_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m"
    path.write_bytes(valid_bytes)

    def denied(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("builtins.open", denied)
    with pytest.raises(ModelFileError, match="Permission denied"):
        load(path)


def test_load_path_type_error(fake_registry: Any) -> None:
    with pytest.raises(TypeError, match="path"):
        load(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        pytest.param(lambda data: b"", "is empty", id="empty"),
        pytest.param(lambda data: data[:5], "too short", id="short"),
        pytest.param(lambda data: data[:8], "truncated", id="length-only"),
        pytest.param(lambda data: data[:100], "truncated", id="truncated-header"),
        pytest.param(lambda data: data[:-1], "outside|gap", id="truncated-data"),
        pytest.param(lambda data: data + b"\0", "trailing bytes", id="trailing-byte"),
        pytest.param(lambda data: data + data, "trailing bytes", id="concatenated"),
        pytest.param(
            lambda data: (10**9).to_bytes(8, "little") + data[8:],
            "more than",
            id="oversized-header",
        ),
        pytest.param(
            lambda data: (2**64 - 1).to_bytes(8, "little") + data[8:], "more than", id="huge-length"
        ),
        pytest.param(
            lambda data: (0).to_bytes(8, "little") + data[8:], "header length", id="zero-length"
        ),
        pytest.param(lambda data: join_file(b"not json at all", b""), "start with", id="not-json"),
        pytest.param(lambda data: join_file(b"{not json}", b""), "not valid JSON", id="bad-json"),
        pytest.param(
            lambda data: join_file(b'{"a": "\xff"}', b""), "not valid JSON", id="not-utf8"
        ),
        pytest.param(
            lambda data: join_file(b"{" * 10 + b"}" * 10, b""),
            "not valid JSON",
            id="deep-not-object",
        ),
        pytest.param(
            lambda data: join_file(b'{"x": NaN}', b""), "not valid JSON", id="nan-constant"
        ),
        pytest.param(
            lambda data: join_file(b"[" + b"[" * 100_000, b""), "start with", id="deep-nesting"
        ),
        pytest.param(lambda data: join_file(b"{}", b""), "not a sigmanet model", id="no-metadata"),
        pytest.param(
            lambda data: join_file({"__metadata__": {"format": "pt"}}, b""),
            "not a sigmanet",
            id="foreign-metadata",
        ),
        pytest.param(
            lambda data: join_file({"__metadata__": "x"}, b""),
            "not a sigmanet",
            id="metadata-not-object",
        ),
        pytest.param(
            lambda data: join_file({"__metadata__": {"sigmanet": 1}}, b""),
            "must be strings",
            id="metadata-not-string",
        ),
        pytest.param(
            lambda data: join_file({"__metadata__": {"sigmanet": "{" * 100_000}}, b""),
            "not valid JSON",
            id="document-deep",
        ),
        pytest.param(
            lambda data: join_file({"__metadata__": {"sigmanet": "[1, 2]"}}, b""),
            "not a JSON object",
            id="document-not-object",
        ),
    ],
)
def test_broken_framing(
    tmp_path: pathlib.Path, valid_bytes: bytes, make: Any, pattern: str
) -> None:
    expect_error(tmp_path, make(valid_bytes), pattern)


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        pytest.param(
            set_field("data_offsets", [0, 10**6]),
            "outside",
            id="offset-past-end",
        ),
        pytest.param(
            set_field("data_offsets", [-8, 88]),
            "outside",
            id="negative-offset",
        ),
        pytest.param(
            set_field("data_offsets", [8, 0]),
            "outside",
            id="reversed-offsets",
        ),
        pytest.param(
            set_field("data_offsets", "0-96"),
            "outside",
            id="offsets-not-list",
        ),
        pytest.param(
            set_field("shape", [4, 2]),
            "needs",
            id="shape-mismatch",
        ),
        pytest.param(
            set_field("shape", [4, -3]),
            "shape",
            id="negative-dim",
        ),
        pytest.param(
            set_field("shape", [1] * 40),
            "shape",
            id="too-many-dims",
        ),
        pytest.param(
            set_field("shape", [4, 3.0]),
            "shape",
            id="float-dim",
        ),
        pytest.param(
            set_field("dtype", "F16"),
            "needs",
            id="dtype-size-mismatch",
        ),
        pytest.param(
            set_field("dtype", "BF16"),
            "unsupported dtype",
            id="bf16",
        ),
        pytest.param(
            set_field("dtype", "C64"),
            "unsupported dtype",
            id="complex",
        ),
        pytest.param(set_field("extra", 1), "exactly", id="extra-field"),
        pytest.param(
            edit_header(lambda h: h.__setitem__("extra", [1, 2])), "exactly", id="entry-not-object"
        ),
        pytest.param(
            edit_header(lambda h: h.__setitem__("dup", dict(h["coef_"]))), "overlaps", id="overlap"
        ),
        pytest.param(
            edit_header(
                lambda h: (
                    h.__setitem__("gap", {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]})
                    or h["coef_"].__setitem__(
                        "data_offsets",
                        [h["coef_"]["data_offsets"][0] + 1, h["coef_"]["data_offsets"][1] + 1],
                    )
                )
            ),
            "outside|gap|overlaps",
            id="shifted",
        ),
    ],
)
def test_inconsistent_tensor_table(
    tmp_path: pathlib.Path, valid_bytes: bytes, make: Any, pattern: str
) -> None:
    expect_error(tmp_path, make(valid_bytes), pattern)


def test_duplicate_keys_in_header_are_refused(tmp_path: pathlib.Path, valid_bytes: bytes) -> None:
    header, body = split_file(valid_bytes)
    raw = json.dumps(header)
    entry = json.dumps({"coef_": header["coef_"]})[1:-1]
    expect_error(tmp_path, join_file(("{" + entry + ", " + raw[1:]).encode(), body), "duplicate")


def test_tensor_checksum_detects_flipped_bits(tmp_path: pathlib.Path, valid_bytes: bytes) -> None:
    for position in (len(valid_bytes) - 1, len(valid_bytes) - 40):
        data = bytearray(valid_bytes)
        data[position] ^= 0x01
        expect_error(tmp_path, bytes(data), "SHA-256")


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        pytest.param(set_key("class", "os.system"), "not one sigmanet can build", id="os.system"),
        pytest.param(
            set_key("class", "LinearRegression"),
            "not one sigmanet can build",
            id="not-in-allow-list",
        ),
        pytest.param(
            set_key("class", "builtins.eval"), "not one sigmanet can build", id="builtins.eval"
        ),
        pytest.param(
            set_key("class", ["FakeClassifier"]), "not one sigmanet can build", id="class-not-str"
        ),
        pytest.param(set_key("format_version", 3), "newer|format 3.*Upgrade", id="newer-format"),
        pytest.param(set_key("format_version", 0), "positive integer", id="format-zero"),
        pytest.param(set_key("format_version", True), "positive integer", id="format-bool"),
        pytest.param(set_key("format_version", "1"), "positive integer", id="format-str"),
        pytest.param(set_key("sigmanet_version", 1), "sigmanet_version", id="version-not-str"),
        pytest.param(lambda d: d.pop("params"), "lacks", id="no-params"),
        pytest.param(lambda d: d.pop("tensors"), "lacks", id="no-tensors"),
        pytest.param(set_key("params", [1]), "params", id="params-list"),
        pytest.param(set_key("params", {"$tuple": [1]}), "params", id="params-tagged"),
        pytest.param(set_key("tensors", []), "tensors", id="tensors-list"),
        pytest.param(lambda d: d["tensors"].pop("coef_"), "lists tensors", id="tensor-undescribed"),
        pytest.param(
            lambda d: d["tensors"]["coef_"].__setitem__("shape", [3, 4]),
            "described",
            id="described-shape",
        ),
        pytest.param(
            lambda d: d["tensors"]["coef_"].__setitem__("dtype", "float32"),
            "described",
            id="described-dtype",
        ),
        pytest.param(lambda d: d["tensors"]["coef_"].pop("sha256"), "described", id="no-checksum"),
        pytest.param(
            lambda d: d["tensors"]["coef_"].__setitem__("sha256", "0" * 64),
            "SHA-256",
            id="wrong-checksum",
        ),
        pytest.param(
            lambda d: d["params"].__setitem__("no_such_param", 1),
            "no hyper-parameter",
            id="unknown-param",
        ),
        pytest.param(
            lambda d: d["params"].__setitem__("alpha", {"$bogus": 1}),
            "unknown tagged",
            id="bad-tag",
        ),
        pytest.param(
            lambda d: d["state"].__setitem__("classes_", ["a"]),
            "rejected the stored fitted",
            id="state-rejected",
        ),
        pytest.param(
            lambda d: d["state"].pop("n_features_in_"),
            "rejected the stored fitted",
            id="state-missing-key",
        ),
        pytest.param(set_key("state", None), "rejected the stored fitted", id="state-none"),
    ],
)
def test_bad_description(
    tmp_path: pathlib.Path, valid_bytes: bytes, edit: Any, pattern: str
) -> None:
    expect_error(tmp_path, edit_document(valid_bytes, edit), pattern)


def test_class_rejecting_parameters(
    tmp_path: pathlib.Path, valid_bytes: bytes, fake_registry: dict[str, type]
) -> None:
    class Strict(FakeClassifier):
        def __init__(self, **kwargs: Any) -> None:
            if kwargs.get("alpha", 0) < 0:
                raise ValueError("alpha must be >= 0")
            super().__init__(**kwargs)

        @classmethod
        def _get_param_names(cls) -> list[str]:
            return FakeClassifier._get_param_names()

    steps.REGISTRY.register(
        "FakeClassifier", Strict, overwrite=True, codec=sigmanet_steps.EstimatorStateCodec()
    )
    edited = edit_document(valid_bytes, lambda d: d["params"].__setitem__("alpha", -1.0))
    expect_error(tmp_path, edited, "rejected the stored hyper-parameters: alpha")


def test_newer_format_message_names_both_versions(
    tmp_path: pathlib.Path, valid_bytes: bytes
) -> None:
    path = tmp_path / "future"
    path.write_bytes(edit_document(valid_bytes, set_key("format_version", 7)))
    with pytest.raises(ModelFileError) as info:
        read_metadata(path)
    message = str(info.value)
    assert "format 7" in message and f"format {FORMAT_VERSION} and older" in message


def test_read_metadata_validates_framing_too(tmp_path: pathlib.Path, valid_bytes: bytes) -> None:
    path = tmp_path / "m"
    for data in (valid_bytes[:-1], valid_bytes + b"x", b"", b"1234567"):
        path.write_bytes(data)
        with pytest.raises(ModelFileError):
            read_metadata(path)


def test_model_file_error_is_a_value_error(tmp_path: pathlib.Path, fake_registry: Any) -> None:
    with pytest.raises(ValueError):
        load(tmp_path / "missing")


# --------------------------------------------------------------------------------------------
# Fuzzing: whatever the bytes, load raises ModelFileError or returns an estimator
# --------------------------------------------------------------------------------------------


_FUZZ_DIR: dict[str, pathlib.Path] = {}


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=600))
def test_fuzz_random_bytes(tmp_path: pathlib.Path, fake_registry: Any, data: bytes) -> None:
    assert load_or_model_file_error(tmp_path / "fuzz", data) is None


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_fuzz_mutated_valid_file(
    tmp_path: pathlib.Path, valid_bytes: bytes, data: st.DataObject
) -> None:
    mutated = data.draw(mutations(valid_bytes))
    assume(mutated != valid_bytes)
    result = load_or_model_file_error(tmp_path / "fuzz", mutated)
    assert result is None or isinstance(result, FakeClassifier)


# --------------------------------------------------------------------------------------------
# Every byte verified
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_model_file(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = fit_quietly(
        make_pipeline(StandardScaler(), real_class("LogisticRegression")(max_iter=5)),
        X_REAL[:, :2],
        Y_CASES["bools"],
    )
    return save(model, tmp_path_factory.mktemp("small") / "m").read_bytes()


class EditedFile:
    """One file on disk, edited in place (rewriting a whole file per edit is slow on a busy
    disk): ``outcome`` loads it with one edit applied, then restores it."""

    def __init__(self, path: pathlib.Path, data: bytes) -> None:
        self.path, self.data = path, data
        path.write_bytes(data)
        self.fd = os.open(path, os.O_RDWR)

    def close(self) -> None:
        os.close(self.fd)

    def load_result(self) -> str:
        try:
            load(self.path)
        except ModelFileError:
            return "ModelFileError"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return "loaded"

    def outcome(self, position: int, replacement: bytes, length: int | None = None) -> str:
        """Load with ``data[position:]`` replaced by ``replacement`` (of the same length, unless
        ``length`` gives the whole new file length), then restore ``data``."""
        os.pwrite(self.fd, replacement, position)
        if length is not None:
            os.ftruncate(self.fd, length)
        try:
            return self.load_result()
        finally:
            os.pwrite(self.fd, self.data, 0)
            os.ftruncate(self.fd, len(self.data))


@pytest.mark.parametrize("mask", [0x01, 0x20, 0xFF])
def test_changing_any_byte_is_a_model_file_error(
    tmp_path: pathlib.Path, small_model_file: bytes, mask: int
) -> None:
    data = small_model_file
    edited = EditedFile(tmp_path / "m", data)
    try:
        assert edited.load_result() == "loaded"
        others: dict[int, str] = {}
        for position in range(len(data)):
            result = edited.outcome(position, bytes([data[position] ^ mask]))
            if result != "ModelFileError":
                others[position] = result
        assert edited.load_result() == "loaded"
    finally:
        edited.close()
    assert others == {}, f"{len(others)} of {len(data)} changed bytes: {others}"


def test_truncating_extending_or_inserting_is_a_model_file_error(
    tmp_path: pathlib.Path, small_model_file: bytes
) -> None:
    data = small_model_file
    header_end = 8 + int.from_bytes(data[:8], "little")
    edited = EditedFile(tmp_path / "m", data)
    others = {}
    try:
        for length in range(len(data)):
            result = edited.outcome(0, b"", length)
            if result != "ModelFileError":
                others[f"truncated to {length}"] = result
        for extra in (b"\0", b" ", b"\n", data):
            result = edited.outcome(len(data), extra)
            if result != "ModelFileError":
                others[f"appended {extra[:8]!r}"] = result
        for position in (9, header_end // 2, header_end - 1, header_end, len(data) - 1):
            inserted = data[:position] + b" " + data[position:]
            removed = data[:position] + data[position + 1 :]
            for name, new in (("inserted", inserted), ("removed", removed)):
                result = edited.outcome(0, new, len(new))
                if result != "ModelFileError":
                    others[f"{name} at {position}"] = result
        # Same length, same JSON meaning, other bytes: key order and whitespace.
        header = json.loads(data[8:header_end])
        reordered = dict(reversed(list(header.items())))
        text = json.dumps(reordered, separators=(",", ":")).encode()
        text += b" " * (header_end - 8 - len(text))
        padding = len(text) - len(text.rstrip(b" "))
        assert len(text) == header_end - 8 and text != data[8:header_end]
        same_meaning = {"reordered": text}
        for blank in (b"\t", b"\n", b"\r"):
            same_meaning[f"{blank!r} before the first key"] = (
                b"{" + blank + data[9 : header_end - 1] if padding else None
            )
        for name, new_header in same_meaning.items():
            if new_header is not None:
                result = edited.outcome(8, new_header)
                if result != "ModelFileError":
                    others[name] = result
    finally:
        edited.close()
    assert others == {}


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_fuzz_mutated_pipeline_file(
    tmp_path: pathlib.Path, small_model_file: bytes, data: st.DataObject
) -> None:
    mutated = data.draw(mutations(small_model_file))
    assume(mutated != small_model_file)
    assert load_or_model_file_error(tmp_path / "fuzz", mutated) is None
