"""Fit the coefficients of ``sigmanet._numerics.rational_tanh``: tanh x ≈ x P(x²) / Q(x²).

Run with NumPy alone (a few seconds)::

    python tests/data/make_tanh_rational.py

``P`` and ``Q`` have degree 4 in ``s = x²`` and ``Q(0) = 1``. They minimise the largest relative
error of ``x P(s) / Q(s)`` against tanh x over ``0 < x ≤ 9.1`` (beyond, the kernels return
±1, where float32 tanh rounds to ±1), on a dense grid, by Lawson's algorithm: weighted least
squares of the linearised error ``(P - f Q) / (f Q)`` (``f = tanh x / x``, ``Q`` from the
previous iterate), the weights multiplied each round by the error, so that they concentrate
where the error peaks (C. L. Lawson, *Contributions to the theory of linear least maximum
approximation*, PhD thesis, UCLA, 1961; J. R. Rice and K. H. Usow, "The Lawson algorithm and
extensions", Math. Comp. 22, 1968). The best iterate is printed as the module's literals,
with its largest relative error (about 2.5e-8, below half a float32 ulp).
"""

from __future__ import annotations

import numpy as np

DEGREE = 4
SATURATED = 9.1
ROUNDS = 200


def grid() -> np.ndarray:
    """Dense in (0, 9.1], and geometric towards 0 (where tanh x / x → 1)."""
    return np.unique(
        np.concatenate([np.linspace(0, SATURATED, 200_001)[1:], np.geomspace(1e-6, 1, 20_000)])
    )


def relative_error(P: np.ndarray, Q: np.ndarray, x: np.ndarray) -> np.ndarray:
    s = x * x
    value = x * np.polynomial.polynomial.polyval(s, P) / np.polynomial.polynomial.polyval(s, Q)
    return value / np.tanh(x) - 1


def fit(degree: int = DEGREE, rounds: int = ROUNDS) -> tuple[float, np.ndarray, np.ndarray]:
    """The largest relative error and (P, Q), lowest power first, of the best iterate."""
    x = grid()
    s = x * x
    f = np.tanh(x) / x
    powers = np.vander(s, degree + 1, increasing=True)
    # unknowns p_0..p_d, q_1..q_d:  P(s) - f (Q(s) - 1) = f
    A = np.concatenate([powers, -f[:, None] * powers[:, 1:]], axis=1)
    weight = np.ones_like(x)
    denominator = np.ones_like(x)
    best = (np.inf, np.zeros(degree + 1), np.zeros(degree + 1))
    for _ in range(rounds):
        scale = np.sqrt(weight) / (f * denominator)
        coefficients = np.linalg.lstsq(A * scale[:, None], f * scale, rcond=None)[0]
        P, Q = coefficients[: degree + 1], np.r_[1.0, coefficients[degree + 1 :]]
        denominator = np.polynomial.polynomial.polyval(s, Q)
        error = np.abs(relative_error(P, Q, x))
        if error.max() < best[0]:
            best = (float(error.max()), P, Q)
        weight *= error / error.max() + 1e-3
        weight /= weight.mean()
    return best


def main() -> None:
    largest, P, Q = fit()
    print(f"largest relative error {largest:.3e}")
    print("_P = (" + ", ".join(repr(float(v)) for v in P) + ")")
    print("_Q = (" + ", ".join(repr(float(v)) for v in Q) + ")")


if __name__ == "__main__":
    main()
