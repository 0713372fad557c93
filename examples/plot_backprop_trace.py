"""
One backpropagation step, reproduced
====================================

Mazur (2015) computes one training step of a 2-2-2 sigmoid network by hand: inputs 0.05 and
0.10, targets 0.01 and 0.99, weights 0.15 to 0.55, biases 0.35 and 0.60, squared error,
learning rate 0.5. :func:`sigmanet.diagnostics.trace_backprop` records the same step from the
library's own :class:`~sigmanet.network.Sequential`, the forward and backward pass training
uses, so every intermediate value can be compared with the published ones. ``sigmanet trace``
prints it from the command line.
"""

import numpy as np
from matplotlib.figure import Figure

from sigmanet.diagnostics import trace_backprop

trace = trace_backprop(
    [0.05, 0.10],
    [0.01, 0.99],
    weights=[[[0.15, 0.25], [0.20, 0.30]], [[0.40, 0.50], [0.45, 0.55]]],
    biases=[[0.35, 0.35], [0.60, 0.60]],
    learning_rate=0.5,
)
hidden, output = trace.layers
print(f"hidden outputs  a[1] = {hidden.a[0]}")
print(f"network output  ŷ    = {trace.output[0]}")
print(f"total error     L    = {trace.loss:.9f}   (published: 0.298371109)")
print(f"delta rule      δ    = {trace.delta[0]}")
print(f"updated w5 = {output.W_new[0, 0]:.8f}   (published: 0.35891648)")
print(f"updated w1 = {hidden.W_new[0, 0]:.8f}   (published: 0.14978072)")

# %%
# The step lowers the error; 1,000 such steps drive it close to zero.
after = trace
errors = [trace.loss]
for _ in range(1000):
    after = trace_backprop(
        trace.x,
        trace.y,
        weights=[step.W_new for step in after.layers],
        biases=[step.b_new for step in after.layers],
        learning_rate=0.5,
    )
    errors.append(after.loss)
print(f"error after 1000 steps: {errors[-1]:.6f}")
figure = Figure(figsize=(6.0, 3.2), layout="constrained")
axes = figure.add_subplot()
axes.semilogy(np.arange(len(errors)), errors)
axes.set(xlabel="step", ylabel="total error L", title="gradient descent on the worked example")
