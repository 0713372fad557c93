"""Exact float64 products and sums: a value carried as an unevaluated sum ``hi + lo``.

Used where a formula's rounding error is amplified later (an exponential of a large argument
multiplies an absolute error in its argument by the argument itself). References: T. J.
Dekker, "A floating-point technique for extending the available precision", Numerische
Mathematik 18 (1971); D. E. Knuth, The Art of Computer Programming, vol. 2, §4.2.2.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: 2**27 + 1, Veltkamp's splitting constant for float64.
SPLITTER = 134217729.0


def split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp split of float64 ``a`` into a 26-bit head and the exact remainder."""
    c = SPLITTER * a
    head = c - (c - a)
    return head, a - head


def two_prod(a: Any, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's exact product: a·b = p + err (for abs(a·b) well inside the float64 range)."""
    p = a * b
    a_hi, a_lo = split(np.asarray(a, dtype=np.float64))
    b_hi, b_lo = split(b)
    err = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return p, err


def two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's exact sum: a + b = s + err."""
    s = a + b
    bb = s - a
    err = (a - (s - bb)) + (b - bb)
    return s, err


def exp_neg_half_square(a: np.ndarray) -> np.ndarray:
    """exp(-a²/2) for float64 0 ≤ a ≤ 40, accurate to a few ulps.

    Rounding a² costs a relative error of a²·2⁻⁵³ ≈ 1e-13 at a = 37; splitting a = hi + lo
    makes hi² exact, and the small rest goes into a second exp.
    """
    hi, lo = split(a)
    return np.exp(-0.5 * (hi * hi)) * np.exp(-(hi * lo + 0.5 * (lo * lo)))
