"""Initializers: the variances their papers prescribe, seeding, dtypes."""

import numpy as np
import pytest

from sigmanet import initializers

EXPECTED_VARIANCE = {
    "glorot_uniform": lambda i, o: 2 / (i + o),
    "glorot_normal": lambda i, o: 2 / (i + o),
    "he_uniform": lambda i, o: 2 / i,
    "he_normal": lambda i, o: 2 / i,
    "lecun_uniform": lambda i, o: 1 / i,
    "lecun_normal": lambda i, o: 1 / i,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_VARIANCE))
def test_variance_matches_the_paper(name):
    fan_in, fan_out = 400, 300
    w = initializers.get(name)(fan_in, fan_out, np.random.default_rng(0), np.float64)
    assert w.shape == (fan_in, fan_out)
    np.testing.assert_allclose(w.var(), EXPECTED_VARIANCE[name](fan_in, fan_out), rtol=0.03)
    assert abs(w.mean()) < 0.01


@pytest.mark.parametrize("name", initializers.names())
def test_seeded_and_dtype_preserving(name):
    init = initializers.get(name)
    a = init(5, 4, np.random.default_rng(7), np.float32)
    b = init(5, 4, np.random.default_rng(7), np.float32)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, b)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"Valid names: .*glorot_uniform.*he_normal"):
        initializers.get("glorot")


def test_default_for_activation_families():
    assert initializers.default_for("relu") == "he_uniform"
    assert initializers.default_for("selu") == "lecun_normal"
    assert initializers.default_for("sigmoid") == "glorot_uniform"


@pytest.mark.parametrize(("fan_in", "fan_out"), [(6, 6), (8, 3), (3, 8)])
def test_orthogonal_has_orthonormal_columns_or_rows(fan_in, fan_out):
    w = initializers.orthogonal(fan_in, fan_out, np.random.default_rng(0))
    assert w.shape == (fan_in, fan_out)
    gram = w.T @ w if fan_in >= fan_out else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(fan_in, fan_out)), atol=1e-12)
    # a square orthogonal matrix keeps every vector's norm: no growth or decay through time
    if fan_in == fan_out:
        v = np.random.default_rng(1).standard_normal(fan_in)
        np.testing.assert_allclose(
            np.linalg.norm(np.linalg.matrix_power(w, 50) @ v), np.linalg.norm(v)
        )


@pytest.mark.parametrize("name", initializers.names())
def test_shape_is_the_array_drawn(name):
    init = initializers.get(name)
    w = init(5, 4, np.random.default_rng(7), np.float32, shape=(3, 2, 4))
    assert w.shape == (3, 2, 4)
    assert w.dtype == np.float32
    if name != "orthogonal":  # a bias: the distribution of its weight matrix's fans
        b = init(5, 4, np.random.default_rng(7), np.float64, shape=(4,))
        assert b.shape == (4,)


def test_orthogonal_shape_is_a_flattened_matrix_and_refuses_a_vector():
    w = initializers.orthogonal(1, 1, np.random.default_rng(0), shape=(2, 3, 4))
    flat = w.reshape(6, 4)
    np.testing.assert_allclose(flat.T @ flat, np.eye(4), atol=1e-12)
    # a legacy RandomState (scikit-learn's stream) draws the same kind of matrix
    square = initializers.orthogonal(5, 5, np.random.RandomState(0))
    np.testing.assert_allclose(square.T @ square, np.eye(5), atol=1e-12)
    with pytest.raises(ValueError, match=r"orthogonal initializer draws matrices.*shape=\(4,\)"):
        initializers.orthogonal(5, 4, np.random.default_rng(0), shape=(4,))
