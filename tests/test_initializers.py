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
