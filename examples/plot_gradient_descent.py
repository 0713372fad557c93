"""
Batch, stochastic and mini-batch gradient descent
=================================================

The three forms of gradient descent differ only in how many samples estimate each step's
gradient. :class:`sigmanet.LogisticRegression` offers all three as solvers: ``"gd"`` (batch, with
a backtracking line search), ``"sgd"`` (one sample per step, by default with the annealed step
``4/(1 + epoch + i) + 0.01``) and ``"minibatch"``. Here they fit the same problem, and the
loss per epoch shows the trade-off: batch descent is smooth, stochastic descent gets far in its
first epoch because it takes ``m`` steps in it.
"""

import warnings

import numpy as np
from matplotlib.figure import Figure
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sigmanet import LogisticRegression
from sigmanet.schedules import Annealed

# Each model gets a fixed budget of iterations on purpose, so the comparison is fair; a fit
# that has not fully converged within it is expected here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_breast_cancer(return_X_y=True)
X = StandardScaler().fit_transform(X)

solvers = {
    "batch (gd, line search)": LogisticRegression(solver="gd", max_iter=30, tol=0),
    "stochastic (sgd, annealed step)": LogisticRegression(
        solver="sgd", max_iter=30, tol=0, random_state=0
    ),
    "mini-batch of 32": LogisticRegression(
        solver="minibatch", batch_size=32, max_iter=30, tol=0, random_state=0
    ),
}
figure = Figure(figsize=(6.4, 4.0), layout="constrained")
axes = figure.add_subplot()
for label, model in solvers.items():
    model.fit(X, y)
    axes.plot(np.arange(1, len(model.loss_curve_) + 1), model.loss_curve_, label=label)
    print(f"{label:32s} final loss {model.loss_curve_[-1]:.4f}  accuracy {model.score(X, y):.3f}")
axes.set(xlabel="epoch", ylabel="mean log loss", yscale="log", title="one problem, three forms")
axes.legend()

# %%
# The annealed step itself: it falls within each epoch (``i`` counts the samples) and restarts
# a little lower at the start of the next.
schedule = Annealed()
m = 20
steps = [schedule(epoch, i, epoch * m + i) for epoch in range(3) for i in range(m)]
step_figure = Figure(figsize=(6.4, 3.0), layout="constrained")
step_axes = step_figure.add_subplot()
step_axes.plot(steps, marker=".")
step_axes.set(xlabel="step (3 epochs of 20 samples)", ylabel="α", title=repr(schedule))
