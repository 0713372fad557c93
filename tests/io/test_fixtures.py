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


def _assert_same_outputs(actual: np.ndarray, expected: np.ndarray, method: str) -> None:
    """Labels equal; floating outputs equal up to the rounding of this machine's BLAS.

    The weights load bit for bit, but the products that use them are computed by the BLAS of the
    machine that runs the test, and OpenBLAS chooses its kernels (and so the order of a dot
    product's additions) by CPU. On another CPU than the one that wrote the fixture an output can
    differ in its last bits (1 ulp was seen), so floats are compared to a few hundred ulps of
    their dtype relative to the largest output, which a wrong formula, a wrong weight or a lost
    dtype would all break by orders of magnitude.
    """
    assert actual.dtype == expected.dtype, method
    assert actual.shape == expected.shape, method
    if expected.dtype.kind != "f":
        assert np.array_equal(actual, expected), method
        return
    eps = float(np.finfo(expected.dtype).eps)
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1.0)
    np.testing.assert_allclose(
        actual, expected, rtol=256 * eps, atol=256 * eps * scale, err_msg=method
    )


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
        _assert_same_outputs(actual, expected, method)


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
def test_format_2_files_load_and_predict_as_when_saved(name: str) -> None:
    path = FORMAT_V2 / f"{name}.safetensors"
    assert read_metadata(path)["format_version"] == 2
    model = load(path)
    X = _fixture_input(_V2_EXPECTED[name]["input"])
    outputs = _V2_EXPECTED[name]["outputs"]
    assert "predict" in outputs
    for method, spec in outputs.items():
        actual = getattr(model, method)(X)
        expected = np.asarray(spec["values"], dtype=np.dtype(spec["dtype"]))
        _assert_same_outputs(actual, expected, method)
