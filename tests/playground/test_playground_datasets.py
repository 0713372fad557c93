"""The playground's data sets, features and CSV upload."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigmanet.playground import datasets


@pytest.mark.parametrize("name", list(datasets.DATASETS))
@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_every_data_set_lies_in_the_square_with_its_classes(name, noise):
    X, y = datasets.make_dataset(name, 300, noise, seed=3)
    assert X.shape == (300, 2) and y.shape == (300,)
    assert np.all(np.abs(X) <= datasets.DOMAIN)
    expected = {0, 1, 2} if name == "three_class" else {0, 1}
    assert set(np.unique(y).tolist()) == expected
    X_again, y_again = datasets.make_dataset(name, 300, noise, seed=3)
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    X_other, _ = datasets.make_dataset(name, 300, noise, seed=4)
    assert not np.array_equal(X, X_other)


def test_circle_puts_class_1_inside_and_class_0_outside_without_noise():
    X, y = datasets.make_dataset("circle", 400, 0.0, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius[y == 1].max() <= 2.5
    assert radius[y == 0].min() >= 3.5


def test_xor_labels_follow_the_sign_of_x1_x2_without_noise():
    X, y = datasets.make_dataset("xor", 400, 0.0, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))


def test_unknown_data_set_is_named_in_the_error():
    with pytest.raises(ValueError, match=r"Unknown data set 'wave'.*circle"):
        datasets.make_dataset("wave", 10, 0.0, 0)


def test_split_is_a_partition_with_the_requested_share():
    train, test = datasets.split(200, 0.3, seed=1)
    assert train.size == 60 and test.size == 140
    assert np.intersect1d(train, test).size == 0
    np.testing.assert_array_equal(np.union1d(train, test), np.arange(200))


def test_features_are_computed_from_the_points():
    X = np.array([[1.0, 2.0], [-3.0, 0.5]])
    got = datasets.features(X, ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin(x1)", "sin(x2)"])
    a, b = X[:, 0], X[:, 1]
    expected = np.column_stack([a, b, a**2, b**2, a * b, np.sin(a), np.sin(b)])
    np.testing.assert_array_equal(got, expected)


def test_parse_csv_reads_rows_with_or_without_a_header():
    text = "x1,x2,label\n1,2,0\n-1,0.5,1\n3,-4,1\n0,0,0\n"
    X, y, is_train = datasets.parse_csv(text)
    np.testing.assert_array_equal(X, [[1, 2], [-1, 0.5], [3, -4], [0, 0]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert is_train is None
    X2, y2, _ = datasets.parse_csv(text.split("\n", 1)[1].replace("\n", "\r\n"))
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


def test_parse_csv_takes_a_split_column():
    text = "x1,x2,label,split\n1,2,0,train\n-1,0.5,1,test\n3,-4,1,train\n0,0,0,train\n"
    _, _, is_train = datasets.parse_csv(text)
    np.testing.assert_array_equal(is_train, [True, False, True, True])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,0\n1,2,1\n", "at least 4 data rows"),
        ("1,2,0\n1,2,1\n3,4,0\n5,6\n", "Line 4: expected 3 comma-separated values"),
        ("1,2\n1,2,1\n3,4,0\n5,6,1\n", r"Line 1: expected 3 .*\(x1,x2,label\) or 4"),
        ("1,2,0,train\n1,2,1,test\n3,4,0,dev\n5,6,1,train\n", "Line 3: the split must be"),
        ("1,2,0,train\n1,2,1,train\n3,4,0,train\n5,6,1,train\n", "one train row and one test"),
        ("a,b,c\n1,2,0\n1,x,1\n3,4,0\n5,6,1\n", "Line 3: x2 must be a finite number; got 'x'"),
        ("1,2,0\n1,nan,1\n3,4,0\n5,6,1\n", "Line 2: x2 must be a finite number"),
        ("1,2,0\n1,9,1\n3,4,0\n5,6,1\n", r"Line 2: x2 = 9.0 lies outside \[-6, 6\]"),
        ("1,2,0\n1,2,7\n3,4,0\n5,6,1\n", "Line 2: the label must be 0, 1 or 2; got '7'"),
        ("1,2,0\n1,2,0\n3,4,0\n5,6,0\n", r"found \[0\]"),
        ("1,2,0\n1,2,2\n3,4,0\n5,6,2\n", r"found \[0, 2\]"),
    ],
)
def test_parse_csv_names_the_problem_and_its_line(text, message):
    with pytest.raises(ValueError, match=message):
        datasets.parse_csv(text)


def test_parse_csv_refuses_too_many_rows():
    text = "1,1,0\n" * (datasets.MAX_UPLOAD_ROWS + 1)
    with pytest.raises(ValueError, match="at most 5000"):
        datasets.parse_csv(text)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(
            st.lists(st.sampled_from(["0", "1", "2", "-6", "6.5", "1e3", "nan", "x", "", "train"])),
            max_size=8,
        ).map(lambda rows: "\n".join(",".join(row) for row in rows)),
    )
)
def test_parse_csv_either_reads_valid_data_or_raises_a_value_error(text):
    try:
        X, y, is_train = datasets.parse_csv(text)
    except ValueError as error:
        assert str(error)
        return
    assert X.shape == (y.size, 2) and np.all(np.abs(X) <= datasets.DOMAIN)
    assert set(np.unique(y).tolist()) in ({0, 1}, {0, 1, 2})
    assert is_train is None or is_train.shape == y.shape
