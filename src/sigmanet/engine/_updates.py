"""The optimizers' steps over the flat parameter vector, compiled (numba), one per optimizer.

Each repeats its NumPy optimizer's update (:mod:`sigmanet.optimizers`) in the same order of
operations and in the parameters' dtype; ``h`` holds the hyper-parameters in that dtype (as
the NumPy update casts them) and ``h64`` the float64 ones. They share one signature
``(lr, t, p, g, s1, s2, h, h64, c)`` so that a generated epoch calls whichever it needs, and
each compiles only when a fit uses it.
"""

from __future__ import annotations

import math

import numpy as np

from sigmanet._numerics.jit import helper
from sigmanet.engine._activations import _cast


@helper
def count_overflows(g, begin, end):
    """How many finite gradients in ``g[begin:end]`` have an infinite square (the adaptive
    methods refuse such a step).

    Counts instead of returning at the first one, with ``&`` rather than ``and``: a loop
    without an early exit or a branch vectorises, and nearly every step has to look at every
    element anyway.
    """
    count = 0
    part = g[begin:end]
    for i in range(part.shape[0]):
        v = part[i]
        count += (abs(v) < np.inf) & (v * v == np.inf)
    return count


@helper
def add_penalty(g, p, begin, end, scale):
    """g ← g + λ' θ over ``begin:end`` (the L2 term's gradient, λ' in the dtype), and the
    count of :func:`count_overflows` over the result, in the same pass."""
    count = 0
    # slices indexed from 0: indices numba knows are not negative, so the loop vectorises
    g_part, p_part = g[begin:end], p[begin:end]
    for i in range(g_part.shape[0]):
        v = g_part[i] + p_part[i] * scale
        g_part[i] = v
        count += (abs(v) < np.inf) & (v * v == np.inf)
    return count


@helper
def sgd(lr, t, p, g, s1, s2, h, h64, c):
    """θ ← θ - η g; with momentum μ, v ← μ v - η g and θ ← θ + v (Nesterov: θ + μ v - η g)."""
    n = p.shape[0]
    rate = _cast(lr, c)
    mu = h[0]
    if h[0] == 0:
        for i in range(n):
            p[i] = p[i] - g[i] * rate
    elif h[1] != 0:  # Nesterov
        for i in range(n):
            scaled = g[i] * rate
            v = s1[i] * mu - scaled
            s1[i] = v
            p[i] = p[i] + (v * mu - scaled)
    else:
        for i in range(n):
            v = s1[i] * mu - g[i] * rate
            s1[i] = v
            p[i] = p[i] + v


@helper
def adam(lr, t, p, g, s1, s2, h, h64, c):
    """Adam (Kingma & Ba, 2015); AdamW's decoupled decay θ ← θ (1 - η λ) first when λ > 0.

    m ← β₁ m + (1-β₁) g, v ← β₂ v + (1-β₂) g², θ ← θ - η̂ m / (√v + ε) with
    η̂ = η √(1-β₂ᵗ) / (1-β₁ᵗ).
    """
    n = p.shape[0]
    b1, b2 = h[0], h[1]
    one_minus_b1, one_minus_b2, eps = h[2], h[3], h[4]
    if h64[2] != 0:
        keep = _cast(1.0 - lr * h64[2], c)
        for i in range(n):
            p[i] = p[i] * keep
    # (η·√(1-β₂ᵗ)) / (1-β₁ᵗ) in float64, as the NumPy optimizer forms it
    step_rate = lr * math.sqrt(1.0 - math.pow(h64[1], t)) / (1.0 - math.pow(h64[0], t))
    negative_rate = _cast(-step_rate, c)
    for i in range(n):
        gi = g[i]
        m = s1[i] * b1 + gi * one_minus_b1
        s1[i] = m
        v = s2[i] * b2 + (gi * gi) * one_minus_b2
        s2[i] = v
        p[i] = p[i] + (m * negative_rate) / (np.sqrt(v) + eps)


@helper
def rmsprop(lr, t, p, g, s1, s2, h, h64, c):
    """v ← ρ v + (1-ρ) g²; θ ← θ - η g / (√v + ε) (with momentum μ on that step)."""
    n = p.shape[0]
    rho, one_minus_rho, eps, mu = h[0], h[1], h[2], h[3]
    rate = _cast(lr, c)
    for i in range(n):
        gi = g[i]
        v = s1[i] * rho + (gi * gi) * one_minus_rho
        s1[i] = v
        work = gi / (np.sqrt(v) + eps)
        if mu > 0:
            b = s2[i] * mu + work
            s2[i] = b
            work = b * rate
        else:
            work = work * rate
        p[i] = p[i] - work


@helper
def adagrad(lr, t, p, g, s1, s2, h, h64, c):
    """a ← a + g²; θ ← θ - η g / (√a + ε)."""
    n = p.shape[0]
    eps = h[0]
    rate = _cast(lr, c)
    for i in range(n):
        gi = g[i]
        a = s1[i] + gi * gi
        s1[i] = a
        p[i] = p[i] - (gi / (np.sqrt(a) + eps)) * rate
