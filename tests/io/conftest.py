"""Fixtures of the model-file tests."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
from model_file_cases import (
    FakeClassifier,
    fitted_fake,
)

from sigmanet.io import (
    save,
    sigmanet_steps,
)


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, type]:
    registry: dict[str, type] = {"FakeClassifier": FakeClassifier}
    monkeypatch.setattr(sigmanet_steps, "estimator_classes", lambda: dict(registry))
    return registry


@pytest.fixture
def valid_bytes(tmp_path: pathlib.Path, fake_registry: Any) -> bytes:
    return save(fitted_fake(), tmp_path / "valid.safetensors").read_bytes()
