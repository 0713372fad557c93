"""Weight initializers, seeded through :class:`numpy.random.Generator`.

Each initializer draws a ``(fan_in, fan_out)`` matrix whose variance keeps the signal's scale
through a layer. With ``fan_in`` inputs and ``fan_out`` outputs:

======================  ========================================  ============================
name                    distribution                              reference
======================  ========================================  ============================
glorot_uniform          U(-a, a), a = sqrt(6 / (fan_in+fan_out))  Glorot & Bengio 2010
glorot_uniform_sigmoid  U(-a, a), a = sqrt(2 / (fan_in+fan_out))  scikit-learn's MLP, logistic
glorot_normal           N(0, 2 / (fan_in + fan_out))              Glorot & Bengio 2010
he_uniform              U(-a, a), a = sqrt(6 / fan_in)            He et al. 2015
he_normal               N(0, 2 / fan_in)                          He et al. 2015
lecun_uniform           U(-a, a), a = sqrt(3 / fan_in)            LeCun et al. 1998
lecun_normal            N(0, 1 / fan_in)                          LeCun et al. 1998 (for SELU)
orthogonal              Q of the QR factorisation of a Gaussian   Saxe et al. 2014
zeros                   0                                         (biases; linear models)
======================  ========================================  ============================

Glorot suits sigmoid/tanh, He suits the ReLU family, LeCun normal suits SELU. Orthogonal
matrices suit the recurrent weights of RNNs: every singular value is 1, so repeated
multiplication through time neither shrinks nor grows the state at the start.

Every initializer takes an optional ``shape``: the array drawn, ``(fan_in, fan_out)`` by
default. A bias drawn with ``shape=(fan_out,)`` and the fans of its weight matrix gets the
weights' distribution, as scikit-learn's MLP initialises its intercepts (``orthogonal``, which
only has matrices to give, refuses a shape of fewer than two axes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sigmanet import activations
from sigmanet.registry import Registry

Initializer = Callable[..., np.ndarray]

#: Every initializer by name (names are case-sensitive, as in the table above).
REGISTRY: Registry[Initializer] = Registry("initializer", case_sensitive=True)


def _uniform(limit: float, shape: tuple[int, ...], rng: np.random.Generator, dtype: Any):
    return rng.uniform(-limit, limit, size=shape).astype(dtype, copy=False)


def _normal(std: float, shape: tuple[int, ...], rng: np.random.Generator, dtype: Any):
    return (rng.standard_normal(size=shape) * std).astype(dtype, copy=False)


@REGISTRY.register("glorot_uniform", aliases=("xavier_uniform",))
def glorot_uniform(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: Any = np.float64,
    shape: tuple[int, ...] | None = None,
):
    """U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    return _uniform(np.sqrt(6.0 / (fan_in + fan_out)), shape or (fan_in, fan_out), rng, dtype)


@REGISTRY.register("glorot_uniform_sigmoid")
def glorot_uniform_sigmoid(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: Any = np.float64,
    shape: tuple[int, ...] | None = None,
):
    """U(-a, a) with a = sqrt(2 / (fan_in + fan_out)): the bound scikit-learn's MLP draws its
    weights and intercepts from with the logistic activation (Glorot's bound, a third of the
    variance)."""
    return _uniform(np.sqrt(2.0 / (fan_in + fan_out)), shape or (fan_in, fan_out), rng, dtype)


@REGISTRY.register("glorot_normal", aliases=("xavier_normal",))
def glorot_normal(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: Any = np.float64,
    shape: tuple[int, ...] | None = None,
):
    """N(0, σ²) with σ² = 2 / (fan_in + fan_out) (Glorot & Bengio 2010)."""
    return _normal(np.sqrt(2.0 / (fan_in + fan_out)), shape or (fan_in, fan_out), rng, dtype)


@REGISTRY.register("he_uniform")
def he_uniform(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: Any = np.float64,
    shape: tuple[int, ...] | None = None,
):
    """U(-a, a) with a = sqrt(6 / fan_in) (He et al. 2015)."""
    return _uniform(np.sqrt(6.0 / fan_in), shape or (fan_in, fan_out), rng, dtype)


@REGISTRY.register("he_normal")
def he_normal(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: Any = np.float64,
    shape: tuple[int, ...] | None = None,
):
    """N(0, σ²) with σ² = 2 / fan_in (He et al. 2015)."""
    return _normal(np.sqrt(2.0 / fan_in), shape or (fan_in, fan_out), rng, dtype)


@REGISTRY.register("lecun_uniform")
def lecun_uniform(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: Any = np.float64,
    shape: tuple[int, ...] | None = None,
):
    """U(-a, a) with a = sqrt(3 / fan_in) (LeCun et al. 1998)."""
    return _uniform(np.sqrt(3.0 / fan_in), shape or (fan_in, fan_out), rng, dtype)


@REGISTRY.register("lecun_normal")
def lecun_normal(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: Any = np.float64,
    shape: tuple[int, ...] | None = None,
):
    """N(0, σ²) with σ² = 1 / fan_in (LeCun et al. 1998); the initializer SELU assumes."""
    return _normal(np.sqrt(1.0 / fan_in), shape or (fan_in, fan_out), rng, dtype)


@REGISTRY.register("orthogonal")
def orthogonal(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: Any = np.float64,
    shape: tuple[int, ...] | None = None,
):
    """A (semi-)orthogonal matrix: orthonormal columns (or rows, if it has more columns).

    ``Q`` of the QR factorisation of a standard Gaussian matrix, with the signs of ``R``'s
    diagonal moved into ``Q`` so that ``Q`` is uniformly distributed over the orthogonal
    matrices (Mezzadri 2007); Saxe et al. (2014) for its use as an initialisation. The fans
    do not scale it. A ``shape`` of more than two axes is drawn as the matrix
    ``(prod(shape[:-1]), shape[-1])``; one of fewer axes (a bias) has no orthogonality to
    give and is refused.
    """
    shape = (fan_in, fan_out) if shape is None else tuple(int(n) for n in shape)
    if len(shape) < 2:
        raise ValueError(
            f"the orthogonal initializer draws matrices; got shape={shape}. Initialise biases "
            "with another initializer (e.g. zeros)."
        )
    n_rows, n_cols = int(np.prod(shape[:-1])), shape[-1]
    rows, cols = max(n_rows, n_cols), min(n_rows, n_cols)
    q, r = np.linalg.qr(rng.standard_normal(size=(rows, cols)))
    q *= np.sign(np.diag(r))  # a zero diagonal entry has probability 0
    if n_rows < n_cols:
        q = q.T
    return np.ascontiguousarray(q.reshape(shape), dtype=dtype)


@REGISTRY.register("zeros")
def zeros(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: Any = np.float64,
    shape: tuple[int, ...] | None = None,
):
    """All zeros: the starting point of convex models, where symmetry does no harm."""
    return np.zeros(shape or (fan_in, fan_out), dtype=dtype)


REGISTRY.seal()


def names() -> list[str]:
    """The registered initializer names, sorted."""
    return REGISTRY.names(aliases=True)


def get(name: str | Initializer) -> Initializer:
    """Return the initializer called ``name`` (a callable is returned unchanged)."""
    if callable(name):
        return name
    return REGISTRY.get(name)


#: The initializers of the layers that stand where an activation would (``activation=``
#: names in the estimators) but are not registered activations.
LAYER_DEFAULTS = {"prelu": "he_uniform", "maxout": "he_uniform"}


def default_for(activation_name: str) -> str:
    """The initializer that suits an activation: the one it was registered with (He for the
    ReLU family, LeCun normal for SELU, Glorot otherwise); see ``LAYER_DEFAULTS`` for
    prelu and maxout."""
    if activation_name in LAYER_DEFAULTS:
        return LAYER_DEFAULTS[activation_name]
    if activation_name not in activations.REGISTRY:
        return "glorot_uniform"
    initializer = activations.REGISTRY.entry(activation_name).metadata.get("initializer")
    return "glorot_uniform" if initializer is None else str(initializer)
