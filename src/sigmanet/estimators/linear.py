r"""Logistic and softmax regression: the sigmoid model, with scikit-learn's interface.

Both are a network with no hidden layer, one :class:`~sigmanet.layers.Dense` layer computing the
logits ``z = X Wᵀ + b``, trained on the cross-entropy from logits plus an L2 penalty. The
objective, for sample weights ``s_i`` (1 without ``sample_weight``), ``S = Σ s_i``, is

.. math:: J(W, b) = \frac{1}{S} \sum_i s_i\, \ell_i(W, b) + \frac{1}{2 C S} \lVert W \rVert_F^2,

which has the minimiser of scikit-learn's ``C Σ s_i ℓ_i + ½‖W‖²``: ``C`` means what it means
in ``sklearn.linear_model.LogisticRegression`` (smaller is stronger regularisation) and the
intercepts are not penalised. Every solver minimises this same ``J``:

===============  ==============================================================================
``"lbfgs"``      scipy's L-BFGS-B with the analytic gradient
                 (:func:`~sigmanet.training.train_lbfgs`), the default.
``"gd"``         batch gradient descent, ``θ ← θ - η ∇J``, with η from a backtracking (Armijo)
                 line search or fixed (:func:`~sigmanet.line_search.train_line_search`).
``"sgd"``        stochastic gradient descent, one sample per step, by default with the annealed
                 step ``η = 4 / (1 + epoch + i) + 0.01`` of *Machine Learning in Action*.
``"minibatch"``  mini-batch gradient descent, ``batch_size`` samples per step.
``"adam"``       Adam (Kingma & Ba 2015) on mini-batches.
===============  ==============================================================================

The stochastic solvers use an unbiased estimate of ``∇J`` at every step (the penalty's gradient
``W / (C S)`` in full, and the batch's data gradient weighted as :func:`sigmanet.training.train`
documents), so with a decaying learning rate they converge to the L-BFGS solution. They also
have ``partial_fit``: one epoch over the rows of each call, continuing from the last, which
:func:`sigmanet.dask.fit_stochastic` runs on the blocks of a Dask array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet import activations as _activations
from sigmanet import losses as _losses
from sigmanet._array_api import array_namespace
from sigmanet.estimators import _linear_array_api as _xp_fit
from sigmanet.estimators._linear_base import _LinearClassifier
from sigmanet.estimators._linear_solvers import DEFAULT_BATCH_SIZE as DEFAULT_BATCH_SIZE
from sigmanet.estimators._linear_solvers import DEFAULT_LEARNING_RATES as DEFAULT_LEARNING_RATES
from sigmanet.estimators._linear_solvers import DEFAULT_STEPS as DEFAULT_STEPS
from sigmanet.estimators._linear_solvers import OPTIMIZERS as OPTIMIZERS
from sigmanet.estimators._linear_solvers import PENALTIES as PENALTIES
from sigmanet.estimators._linear_solvers import SOLVERS as SOLVERS

__all__ = ["LogisticRegression", "SoftmaxRegression"]

# --------------------------------------------------------------------------------------------
# The two models
# --------------------------------------------------------------------------------------------

_PARAMETERS_DOC = """
    Parameters
    ----------
    penalty : {"l2", None}, default="l2"
        ``"l2"`` adds ``‖W‖² / (2 C S)`` to the mean loss (scikit-learn's ``C``); ``None``
        fits the unpenalised maximum-likelihood model (which does not exist for separable data:
        the weights then grow until ``max_iter``).
    C : float, default=1.0
        Inverse regularisation strength, > 0; ``numpy.inf`` fits without a penalty (the same
        as ``penalty=None``).
    fit_intercept : bool, default=True
        Learn an (unpenalised) intercept per output.
    class_weight : dict, "balanced" or None, default=None
        Weights per class multiplying ``sample_weight``; ``"balanced"`` uses
        ``n_samples / (n_classes · bincount(y))``.
    solver : {"lbfgs", "gd", "sgd", "minibatch", "adam"}, default="lbfgs"
        See the module docstring. All minimise the same objective.
    max_iter : int, default=100
        Iterations for ``"lbfgs"`` and ``"gd"``, epochs for the stochastic solvers; 0 leaves
        the starting point (zeros) and warns that the fit did not converge.
    tol : float or None, default=1e-4
        ``"lbfgs"``, ``"gd"``: stop when ``max |∂J/∂θ| <= tol``. Stochastic solvers: stop when
        the epoch's training loss has not improved by ``tol`` for ``n_iter_no_change`` epochs in a
        row; ``None`` runs all ``max_iter`` epochs (and never warns).
    learning_rate : str or None, default=None
        How the step η evolves, as in the MLPs. For ``"gd"``: ``"backtracking"`` (an Armijo
        line search, the default) or ``"constant"`` (the fixed step ``learning_rate_init``).
        For the stochastic solvers: ``"constant"`` or a schedule name of
        :mod:`sigmanet.schedules` (``"annealed"``, ``"invscaling"``, ``"adaptive"``,
        ``"step"``, ``"exponential"``, ``"cosine"``). ``None``: ``"annealed"``
        (4/(1+epoch+i)+0.01) for ``"sgd"``, ``"constant"`` for ``"minibatch"`` and ``"adam"``,
        and ``"constant"`` for every solver when ``learning_rate_init`` is given. Ignored by
        ``"lbfgs"``. Deprecated (a FutureWarning says what to write instead): a
        number, meaning ``learning_rate="constant", learning_rate_init=<number>``, and a dict
        ``{"name": <schedule>, **params}``, meaning ``learning_rate=<schedule>,
        learning_rate_params=params``.
    learning_rate_init : float or None, default=None
        The step η of ``"constant"``, or the initial step of a schedule that takes one.
        ``None``: 0.1 for ``"minibatch"``, 0.01 for ``"adam"`` and ``"sgd"``, the schedule's
        own default for a schedule; ``"gd"`` with ``"constant"`` needs it.
    learning_rate_params : dict or None, default=None
        The schedule's other parameters, e.g. ``{"a": 1.0, "b": 10.0, "c": 0.0}`` for
        ``"annealed"`` or ``{"gamma": 0.998}`` for ``"exponential"``.
    batch_size : int or None, default=None
        Samples per step for ``"minibatch"`` and ``"adam"`` (None: 32). ``"sgd"`` always uses
        one sample, ``"lbfgs"`` and ``"gd"`` all of them.
    shuffle : bool, default=True
        Reshuffle the samples every epoch (stochastic solvers).
    n_iter_no_change : int, default=5
        Epochs without improvement before a stochastic solver stops (see ``tol``); noisy
        problems (unscaled data, extreme weights) may need more.
    warm_start : bool, default=False
        Start from the previous fit's weights (same classes and ``fit_intercept`` required;
        otherwise a ValueError, as scikit-learn refuses a warm start it cannot honour).
    random_state : int, numpy Generator or None, default=None
        Seeds the shuffling.
    verbose : int or "progress", default=0
        Print progress: per iteration to stderr (``"lbfgs"``, ``"gd"``), per epoch
        scikit-learn's ``Iteration n, loss = ...`` line to stdout (stochastic solvers), or
        with ``"progress"`` a progress bar on stderr.
"""

_ATTRIBUTES_DOC = """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels; in the namespace of an array-API ``y`` (see the property).
    coef_ : ndarray of shape ({shape})
        The weights ``w`` of the logits ``X w + b``.
    intercept_ : ndarray of shape ({short})
        The intercepts ``b``.
    n_iter_ : ndarray of shape (1,)
        Iterations (``"lbfgs"``, ``"gd"``) or epochs run by the last fit, in an array of one
        entry (one optimisation problem) as scikit-learn's.
    loss_curve_ : list of float
        The objective ``J`` after each iteration (``"lbfgs"``, ``"gd"``), or the average over
        each epoch's batches of the batch objective (stochastic solvers).
    loss_ : float
        The last entry of ``loss_curve_``.
    t_ : int
        Samples seen by a stochastic solver.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When fitted on a DataFrame with string column names.
    n_outputs_ : int
        Columns of ``coef_``'s transpose: logits computed.
    dtype_ : numpy dtype
        float32 or float64, the dtype the model computes in.
    network_ : sigmanet.network.Sequential
        The underlying one-layer network.
"""


class LogisticRegression(_LinearClassifier):
    __doc__ = (
        r"""Logistic regression: ``P(y = 1 | x) = σ(x·w + b)``, trained on the log loss.

    The model of Cox (1958). For two classes the loss per sample is the cross-entropy of the logit
    ``z = x·w + b``, ``ℓ = max(z, 0) - z y + log1p(e^(-|z|))`` (never ``log(σ(z))`` computed
    naively), and its gradient the vectorised form ``∇w = (1/m) Xᵀ(σ(Xw + b) - y)`` (derived in
    the documentation's theory page on logistic regression).

    With K > 2 classes it fits one sigmoid per class, one-vs-rest: K independent logistic
    regressions of "class k" against the rest, trained jointly on the one-hot targets with the
    binary cross-entropy summed over the K outputs (the problems decouple, so this is exactly
    one-vs-rest with the same ``C`` per problem, as ``OneVsRestClassifier(LogisticRegression())``
    in scikit-learn). ``predict_proba`` normalises the K sigmoids per row as scikit-learn's
    one-vs-rest does. For the multinomial model, see :class:`SoftmaxRegression`.
    """
        + _PARAMETERS_DOC
        + _ATTRIBUTES_DOC.format(
            shape="1, n_features) for two classes, else (n_classes, n_features",
            short="1,) or (n_classes,",
        )
        + r"""
    Differences from ``sklearn.linear_model.LogisticRegression``: no ``l1``/``elasticnet``
    penalty, no ``dual``, ``intercept_scaling``, ``n_jobs`` or ``l1_ratio``; the multiclass
    model is one-vs-rest (scikit-learn's is multinomial: use :class:`SoftmaxRegression`);
    :meth:`sparsify` changes only how ``coef_`` is shown; more solvers.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sigmanet import LogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0)).fit(X, y)
    >>> model.score(X, y) > 0.95
    True
    """
    )

    def _encode_targets(self, y: Any, first: bool, classes: Any = None) -> np.ndarray:
        index = self._class_indices(y, first, classes)
        n_classes = len(self._classes)
        if n_classes == 2:
            return (index == 1).astype(np.float64)[:, None]
        one_hot = np.zeros((len(index), n_classes))
        one_hot[np.arange(len(index)), index] = 1.0
        return one_hot

    def _n_outputs_for(self, n_classes: int) -> int:
        return 1 if n_classes == 2 else n_classes

    def _output_loss(self) -> Any:
        return _losses.get("binary_cross_entropy_with_logits")

    def _log_proba(self, z: np.ndarray) -> np.ndarray:
        if not isinstance(z, np.ndarray):  # array-API logits, in their namespace
            xp = array_namespace(z)
            if z.shape[1] == 1:
                return xp.concat([_xp_fit.log_sigmoid(xp, -z), _xp_fit.log_sigmoid(xp, z)], axis=1)
            return _xp_fit.log_softmax(xp, _xp_fit.log_sigmoid(xp, z))
        if z.shape[1] == 1:
            return np.column_stack(
                [_activations.log_sigmoid(-z[:, 0]), _activations.log_sigmoid(z[:, 0])]
            )
        # p_k = σ(z_k) / Σ_j σ(z_j), i.e. log p = log_softmax(log σ(z)): stable for any logits.
        return _activations.log_softmax(_activations.log_sigmoid(z), axis=1)


class SoftmaxRegression(_LinearClassifier):
    __doc__ = (
        r"""Softmax (multinomial logistic) regression: ``P(y = k | x) = softmax(x Wᵀ + b)_k``.

    One linear output per class; the loss per sample is the cross-entropy from the logits,
    ``ℓ = logsumexp(z) - z_y`` (gradient ``softmax(z) - onehot(y)``), so the K classes share one
    normalisation, unlike the K independent sigmoids of :class:`LogisticRegression`.

    Adding the same vector to every row of ``coef_`` (or the same number to every intercept)
    changes no probability. The penalty picks the rows that sum to zero, and after every fit
    the parameters are centred, ``coef_.sum(axis=0) = 0`` and ``intercept_.sum() = 0``, which
    makes the (unpenalised) intercepts unique too, as in scikit-learn.

    Two classes also get two outputs (K = 2), so ``coef_[0] = -coef_[1]``; the model equals
    :class:`LogisticRegression` with ``2 C`` and ``coef = coef_[1] - coef_[0]``, and
    ``decision_function`` returns the log-odds ``z₁ - z₀``, shape (n_samples,), as
    scikit-learn does for binary problems.
    """
        + _PARAMETERS_DOC
        + _ATTRIBUTES_DOC.format(shape="n_classes, n_features", short="n_classes,")
        + r"""
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sigmanet import SoftmaxRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> model = SoftmaxRegression(C=10.0, max_iter=500).fit(X, y)
    >>> model.predict_proba(X[:1]).sum().round(6)
    np.float64(1.0)
    """
    )

    def _encode_targets(self, y: Any, first: bool, classes: Any = None) -> np.ndarray:
        return self._class_indices(y, first, classes).astype(np.intp)

    def _centre(self) -> None:
        # softmax(z + c) = softmax(z): subtracting the mean row changes no prediction and can
        # only lower ‖W‖², so the centred parameters are the unique minimiser (Adam's
        # per-coordinate steps, unlike gradient descent's, drift along the flat direction).
        dense = self._dense
        W = dense.params["W"]
        W -= W.mean(axis=1, keepdims=True)
        if "b" in dense.params:
            b = dense.params["b"]
            b -= b.mean()

    def _n_outputs_for(self, n_classes: int) -> int:
        return n_classes

    def _output_loss(self) -> Any:
        return _losses.get("softmax_cross_entropy_with_logits")

    def _log_proba(self, z: np.ndarray) -> np.ndarray:
        if not isinstance(z, np.ndarray):  # array-API logits, in their namespace
            return _xp_fit.log_softmax(array_namespace(z), z)
        return _activations.log_softmax(z, axis=1)
