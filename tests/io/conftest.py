"""Fixtures of the model-file tests."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from model_file_cases import (
    FakeClassifier,
    fitted_fake,
)

from sigmanet.io import (
    save,
    sigmanet_steps,
    steps,
)


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, type]]:
    """FakeClassifier as a sigmanet estimator: the one format 1 knows, and a step of format 2."""
    registry: dict[str, type] = {"FakeClassifier": FakeClassifier}
    monkeypatch.setattr(sigmanet_steps, "estimator_classes", lambda: dict(registry))
    steps.register_step(FakeClassifier, sigmanet_steps.EstimatorStateCodec())
    yield registry
    steps.REGISTRY.unregister("FakeClassifier")


@pytest.fixture
def valid_bytes(tmp_path: pathlib.Path, fake_registry: Any) -> bytes:
    return save(fitted_fake(), tmp_path / "valid.safetensors").read_bytes()
