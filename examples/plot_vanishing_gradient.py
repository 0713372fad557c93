"""
The vanishing gradient: deep sigmoid against ReLU
=================================================

Each sigmoid layer multiplies the backpropagated error by ``σ'(z) ≤ 0.25``, so in a deep
sigmoid network the first layers receive a far smaller gradient than the last.
:class:`sigmanet.diagnostics.GradientFlowRecorder` records the mean ``|∂L/∂W|`` of every weight
matrix during a fit; the same network with ReLU keeps the layers level.
"""

import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sigmanet import MLPClassifier
from sigmanet.diagnostics import GradientFlowRecorder
from sigmanet.plotting import plot_gradient_flow

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)

recorders = {}
for activation in ("sigmoid", "relu"):
    recorder = GradientFlowRecorder()
    model = MLPClassifier((32,) * 6, activation=activation, max_iter=3, random_state=0)
    with warnings.catch_warnings():  # three epochs are enough to see the gradients
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, callbacks=[recorder])
    recorders[activation] = recorder
    ratio = recorder.ratio().mean()
    print(f"{activation:8s} first layer / last layer gradient: {ratio:.2e}")

figure = plot_gradient_flow(recorders, title="6 hidden layers of 32 units on digits")
