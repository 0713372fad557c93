"""
Activations and their derivatives
=================================

Every activation in :mod:`sigmanet.activations` comes with its first and second derivative
with respect to the input, computed exactly (not by finite differences).
:func:`sigmanet.plotting.plot_activations` draws ``f``, ``f'`` and ``f''``; the sigmoid's
maximum slope ``σ'(0) = 0.25`` is marked.
"""

import numpy as np

from sigmanet import activations, gradcheck
from sigmanet.plotting import plot_activations

figure = plot_activations(["sigmoid", "tanh", "softplus", "relu", "gelu"], derivatives=(0, 1, 2))

# %%
# The derivatives are ordinary functions, so the identities of the theory pages can be checked
# directly: ``σ' = σ(1 - σ)`` and the derivative of softplus is the sigmoid.
x = np.linspace(-6.0, 6.0, 13)
s = activations.sigmoid(x)
print("max |σ' - σ(1-σ)| =", np.max(np.abs(activations.sigmoid_derivative(x) - s * (1 - s))))
print("softplus' == σ:", np.array_equal(activations.softplus_derivative(x), s))
print("largest σ' =", activations.sigmoid_derivative(0.0))

# %%
# And they agree with central differences, to the tolerances of the numerics page.
for name in ("sigmoid", "tanh", "softplus", "mish"):
    results = gradcheck.check_activation(name)
    print(f"{name:9s}", all(result.passed for result in results))
