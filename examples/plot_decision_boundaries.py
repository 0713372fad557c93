"""
Decision boundaries of each activation
======================================

The same small network (two hidden layers of 16 units) on the two-moons problem, with a
different hidden activation each time. Sigmoid units give smooth, slowly learnt boundaries;
the ReLU family gives piecewise-linear ones; maxout learns its own piecewise-linear units.
:func:`sigmanet.plotting.plot_decision_boundary` draws the probability of the second class and
the ``p = 0.5`` boundary.
"""

import warnings

from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning

from sigmanet import MLPClassifier
from sigmanet.plotting import plot_decision_boundary

# Each model gets a fixed budget of iterations on purpose, so the comparison is fair; a fit
# that has not fully converged within it is expected here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_moons(n_samples=300, noise=0.25, random_state=0)

figures = []
for activation in ("sigmoid", "tanh", "relu", "gelu", "maxout"):
    model = MLPClassifier(
        (16, 16), activation=activation, solver="lbfgs", max_iter=300, random_state=0
    ).fit(X, y)
    print(f"{activation:8s} training accuracy {model.score(X, y):.3f}")
    figures.append(plot_decision_boundary(model, X, y, resolution=120, name=activation))
