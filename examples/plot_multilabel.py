"""
Independent sigmoids or one softmax on a multi-label problem
============================================================

When a sample can carry several labels at once, each label is its own yes/no question: one
sigmoid per label with the sigmoid cross-entropy from logits. A softmax makes the labels
compete for one unit of probability, which is right for exclusive classes and wrong here.

:class:`sigmanet.MLPClassifier` trains independent sigmoid outputs when ``y`` is an indicator
matrix. For the softmax we train :class:`sigmanet.SoftmaxRegression` on one label per sample
(the first one present) and predict the labels whose probability passes a threshold.
"""

import warnings

import numpy as np
from matplotlib.figure import Figure
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sigmanet import MLPClassifier, SoftmaxRegression

# Each model gets a fixed budget of iterations on purpose, so the comparison is fair; a fit
# that has not fully converged within it is expected here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, Y = make_multilabel_classification(
    n_samples=600, n_features=12, n_classes=4, n_labels=2, allow_unlabeled=False, random_state=0
)
X = StandardScaler().fit_transform(X)
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, random_state=0)
print("labels per sample:", np.bincount(Y.sum(axis=1)))

sigmoids = MLPClassifier(
    hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=400, random_state=0
).fit(X_train, Y_train)
P_sigmoid = sigmoids.predict_proba(X_test)

softmax = SoftmaxRegression().fit(X_train, Y_train.argmax(axis=1))
P_softmax = softmax.predict_proba(X_test)

# %%
# The sigmoids' probabilities are separate answers (their sum is the expected number of
# labels); the softmax's always sum to 1, so two true labels must share it.
print("row sums, sigmoids:", np.round(P_sigmoid[:5].sum(axis=1), 2))
print("row sums, softmax: ", np.round(P_softmax[:5].sum(axis=1), 2))
scores = {
    "independent sigmoids": f1_score(Y_test, P_sigmoid >= 0.5, average="samples"),
    "softmax, p ≥ 0.5": f1_score(Y_test, P_softmax >= 0.5, average="samples"),
    "softmax, p ≥ 0.25": f1_score(Y_test, P_softmax >= 0.25, average="samples"),
}
for name, score in scores.items():
    print(f"{name:22s} F1 (per sample) = {score:.3f}")

figure = Figure(figsize=(7.5, 3.2), layout="constrained")
left, right = figure.subplots(1, 2)
bins = np.linspace(0.0, 4.0, 33)
left.hist(P_sigmoid.sum(axis=1), bins=bins, alpha=0.7, label="sigmoids")
left.hist(P_softmax.sum(axis=1), bins=bins, alpha=0.7, label="softmax")
left.set(xlabel="sum of the label probabilities", ylabel="test samples")
left.legend()
right.barh(list(scores), list(scores.values()), color=["C0", "C1", "C1"])
right.set(xlabel="F1 per sample (test)", xlim=(0, 1))
