"""Tests of sigmanet.io.values: Python values as strict JSON and back."""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from model_file_cases import (
    same_value,
)

from sigmanet.exceptions import ModelFileError
from sigmanet.io import (
    container,
    values,
)

# --------------------------------------------------------------------------------------------
# A small estimator following the _get_state/_set_state protocol, independent of the real ones
# --------------------------------------------------------------------------------------------


def json_round_trip(value: Any) -> Any:
    text = json.dumps(values.encode(value, "value"), allow_nan=False)
    return values.decode(container.parse_json(text, "value"), "value")


# --------------------------------------------------------------------------------------------
# The value encoding
# --------------------------------------------------------------------------------------------


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
    | st.sampled_from(["$float", "$tuple", "$dict", "$array", "$", "nan", "inf"])
)


hashables = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=4), st.tuples, max_leaves=4
)


json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=5), children, max_size=4)
        | st.dictionaries(hashables, children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_encoding_round_trips_every_json_like_value(value: Any) -> None:
    assert same_value(json_round_trip(value), value)


@settings(max_examples=1000, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_floats_round_trip_bit_for_bit(value: float) -> None:
    back = json_round_trip(value)
    assert type(back) is float
    if math.isnan(value):
        assert math.isnan(back)
    else:
        assert struct.pack("<d", back) == struct.pack("<d", value)


@settings(max_examples=300, deadline=None)
@given(st.floats(width=32, allow_nan=False))
def test_float32_scalars_round_trip_exactly(value: float) -> None:
    back = json_round_trip(np.float32(value))
    assert np.float32(back) == np.float32(value)


def test_encoded_document_is_strict_json() -> None:
    encoded = values.encode({"a": math.inf, "b": (1, 2), 3: [math.nan]}, "value")
    text = json.dumps(encoded, allow_nan=False)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {
        "$dict": [["a", {"$float": "inf"}], ["b", {"$tuple": [1, 2]}], [3, [{"$float": "nan"}]]]
    }


def test_tuple_and_int_keyed_dict_keep_their_types() -> None:
    assert json_round_trip((10, 5)) == (10, 5)
    assert type(json_round_trip((10, 5))) is tuple
    weights = {0: 1.0, 1: 3.5, "b": 2.0}
    back = json_round_trip(weights)
    assert back == weights
    assert [type(k) for k in back] == [int, int, str]


def test_numpy_scalars_become_python_values() -> None:
    back = json_round_trip([np.int64(3), np.float64(0.1), np.bool_(True), np.str_("x")])
    assert same_value(back, [3, 0.1, True, "x"])


@pytest.mark.parametrize(
    "array",
    [
        np.array(["cat", "dog", "emu"]),
        np.array(["a", "bb"], dtype="<U10"),
        np.array(["x", "yz"], dtype=object),
        np.array([0, 3, 7], dtype=np.int64),
        np.array([0, 255], dtype=np.uint8),
        np.array([2**64 - 1], dtype=np.uint64),
        np.array([-1.5, 2.25], dtype=np.float32),
        np.array([[np.nan, np.inf], [-np.inf, -0.0]]),
        np.array([True, False]),
        np.zeros((0, 3)),
        np.array(4.5),
        np.arange(24, dtype=np.int16).reshape(2, 3, 4),
    ],
    ids=lambda a: f"{a.dtype}-{a.shape}",
)
def test_arrays_in_state_keep_dtype_shape_and_values(array: np.ndarray) -> None:
    back = json_round_trip(array)
    assert isinstance(back, np.ndarray)
    assert back.dtype == array.dtype
    assert back.shape == array.shape
    assert same_value(back, array)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (lambda x: x, "function"),
        (object(), "object"),
        ({1, 2}, "set"),
        (np.array([1 + 2j]), "complex"),
        (np.array([None, 1], dtype=object), "object array"),
        (np.datetime64("2020-01-01"), "datetime64"),
        (b"bytes", "bytes"),
    ],
)
def test_values_json_cannot_hold_are_refused(value: Any, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as info:
        values.encode({"inner": [value]}, "parameter 'p'")
    assert "parameter 'p'['inner'][0]" in str(info.value)


@pytest.mark.parametrize(
    "document",
    [
        {"$float": "NaN"},
        {"$float": 1.0},
        {"$float": "nan", "x": 1},
        {"$unknown": 1},
        {"$tuple": {"a": 1}},
        {"$dict": [[1]]},
        {"$dict": [[[1, 2], 3]]},
        {"$dict": [[1, 2], [1, 3]]},
        {"$array": {"dtype": "float64", "shape": [2], "data": [1.0]}},
        {"$array": {"dtype": "complex128", "shape": [1], "data": [1.0]}},
        {"$array": {"dtype": "int8", "shape": [1], "data": [300]}},
        {"$array": {"dtype": "int8", "shape": [1], "data": [1.5]}},
        {"$array": {"dtype": "bool", "shape": [1], "data": [1]}},
        {"$array": {"dtype": "<U2", "shape": [1], "data": ["abc"]}},
        {"$array": {"dtype": "object", "shape": [1], "data": [1]}},
        {"$array": {"dtype": "float16", "shape": [1], "data": [1e300]}},
        {"$array": {"dtype": "float64", "shape": [-1], "data": []}},
        {"$array": {"dtype": "float64", "shape": [1], "data": ["x"]}},
        {"$array": {"dtype": "O", "shape": [1], "data": ["x"]}},
        {"$array": {"dtype": "float64", "shape": [1]}},
    ],
)
def test_malformed_tagged_values_raise_model_file_error(document: Any) -> None:
    with pytest.raises(ModelFileError):
        values.decode(document, "state")
