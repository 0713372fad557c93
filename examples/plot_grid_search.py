"""
A pipeline with a grid search
=============================

sigmanet's estimators follow scikit-learn's rules, so they go into pipelines and grid searches
unchanged. Here a :class:`~sklearn.preprocessing.StandardScaler` and an
:class:`sigmanet.MLPClassifier` are tuned together over the activation and the L2 penalty
``alpha`` with 3-fold cross-validation.
"""

import warnings

import numpy as np
from matplotlib.figure import Figure
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sigmanet import MLPClassifier

# Each model gets a fixed budget of iterations on purpose, so the comparison is fair; a fit
# that has not fully converged within it is expected here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_breast_cancer(return_X_y=True)
pipeline = make_pipeline(
    StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0)
)
grid = {
    "mlpclassifier__activation": ["sigmoid", "tanh", "relu", "gelu"],
    "mlpclassifier__alpha": [1e-4, 1e-2, 1.0, 10.0],
}
search = GridSearchCV(pipeline, grid, cv=3).fit(X, y)
print("best:", search.best_params_, f"cross-validated accuracy {search.best_score_:.3f}")

# %%
# Mean cross-validated accuracy of each combination.
scores = np.asarray(search.cv_results_["mean_test_score"]).reshape(4, 4)
figure = Figure(figsize=(5.2, 3.8), layout="constrained")
axes = figure.add_subplot()
image = axes.imshow(scores, cmap="viridis")
axes.set_xticks(range(4), [str(a) for a in grid["mlpclassifier__alpha"]])
axes.set_yticks(range(4), grid["mlpclassifier__activation"])
axes.set(xlabel="alpha", ylabel="activation", title="3-fold accuracy")
for (row, column), value in np.ndenumerate(scores):
    axes.text(column, row, f"{value:.3f}", ha="center", va="center", color="w", fontsize=8)
figure.colorbar(image)
