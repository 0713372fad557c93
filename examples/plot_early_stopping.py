"""
Early stopping and validation curves
====================================

With ``early_stopping=True`` an MLP holds out ``validation_fraction`` of the training data,
scores it after every epoch (``validation_scores_``, and the validation loss in
``validation_loss_curve_``), stops when the score has not improved for ``n_iter_no_change``
epochs, and restores the best weights. ``validation_data=(X_val, y_val)`` records the same
curves on data you choose, without stopping.
"""

import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sigmanet import MLPClassifier
from sigmanet.plotting import plot_loss_curve

# The second model runs a fixed number of epochs on purpose, to show overfitting.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

model = MLPClassifier(
    hidden_layer_sizes=(64,),
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=5,
    max_iter=200,
    random_state=0,
).fit(X_train, y_train)
print(f"stopped after {model.n_iter_} epochs; best validation score", model.best_validation_score_)
print(f"held-out accuracy {model.score(X_test, y_test):.3f}")
figure = plot_loss_curve(model)

# %%
# A wide network trained without early stopping on a small training set: the validation loss
# turns upwards while the training loss keeps falling, the sign of overfitting.
overfit = MLPClassifier(
    hidden_layer_sizes=(256,),
    learning_rate_init=0.01,
    max_iter=60,
    tol=0,
    n_iter_no_change=60,
    random_state=0,
).fit(X_train[:300], y_train[:300], validation_data=(X_test, y_test))
curve = overfit.validation_loss_curve_
best = min(range(len(curve)), key=curve.__getitem__)
print(f"validation loss lowest at epoch {best + 1} of {len(curve)}")
overfit_figure = plot_loss_curve(overfit, log_scale=True)
