"""Model files written by earlier releases keep loading and computing the same outputs."""

from __future__ import annotations

import json
import math
import pathlib
from typing import Any

import numpy as np
import pytest

from sigmanet.io import (
    load,
    read_metadata,
)

# --------------------------------------------------------------------------------------------
# Files written by an earlier release keep loading and computing the same outputs
# --------------------------------------------------------------------------------------------


FORMAT_V1 = pathlib.Path(__file__).parent.parent / "data" / "format_v1"


_V1_EXPECTED = json.loads((FORMAT_V1 / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(_V1_EXPECTED["models"]))
def test_format_1_files_load_and_predict_as_when_saved(name: str) -> None:
    path = FORMAT_V1 / f"{name}.safetensors"
    assert read_metadata(path)["format_version"] == 1
    model = load(path)
    X = np.asarray(_V1_EXPECTED["X"], dtype=model.dtype_)
    outputs = _V1_EXPECTED["models"][name]
    assert "predict" in outputs
    for method, spec in outputs.items():
        actual = getattr(model, method)(X)
        expected = np.asarray(spec["values"], dtype=np.dtype(spec["dtype"]))
        assert actual.dtype == expected.dtype, method
        assert np.array_equal(actual, expected), method


FORMAT_V2 = pathlib.Path(__file__).parent.parent / "data" / "format_v2"


_V2_EXPECTED = json.loads((FORMAT_V2 / "expected.json").read_text())


def _fixture_input(spec: dict[str, Any]) -> np.ndarray:
    if spec["dtype"] != "object":
        return np.asarray(spec["values"], dtype=np.dtype(spec["dtype"]))
    rows = [[math.nan if cell is None else cell for cell in row] for row in spec["values"]]
    table = np.empty((len(rows), len(rows[0])), dtype=object)
    table[:] = rows
    return table


@pytest.mark.parametrize("name", sorted(_V2_EXPECTED))
def test_format_2_files_load_and_predict_bit_identically(name: str) -> None:
    path = FORMAT_V2 / f"{name}.safetensors"
    assert read_metadata(path)["format_version"] == 2
    model = load(path)
    X = _fixture_input(_V2_EXPECTED[name]["input"])
    outputs = _V2_EXPECTED[name]["outputs"]
    assert "predict" in outputs
    for method, spec in outputs.items():
        actual = getattr(model, method)(X)
        expected = np.asarray(spec["values"], dtype=np.dtype(spec["dtype"]))
        assert actual.dtype == expected.dtype, method
        assert actual.shape == expected.shape, method
        assert actual.tobytes() == expected.tobytes(), method
