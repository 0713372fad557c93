"""The version of sigmanet is defined once, in sigmanet._version, and read from there."""

from __future__ import annotations

import importlib.metadata
import pathlib

import pytest

import sigmanet
from sigmanet import _version
from sigmanet.io import read_metadata, save


def test_the_package_and_its_installed_metadata_take_the_version_from_one_module() -> None:
    assert sigmanet.__version__ == _version.__version__
    assert importlib.metadata.version("sigmanet") == _version.__version__


def test_a_model_file_records_the_version_of_the_version_module(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = sigmanet.LogisticRegression(max_iter=5).fit([[0.0], [1.0]], [0, 1])
    monkeypatch.setattr(_version, "__version__", "9.8.7")
    path = save(model, tmp_path / "m.safetensors")
    assert read_metadata(path)["sigmanet_version"] == "9.8.7"
