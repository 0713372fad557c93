"""Recurrent sequence classifiers and regressors with scikit-learn's interface.

``RNNClassifier`` and ``RNNRegressor`` run one or more recurrent layers (LSTM, GRU or a tanh
RNN, see :mod:`sigmanet.layers.recurrent`) over each series and put a Dense head on the last state.
They take input the way time-series libraries pass it:

* 3-D arrays of shape ``(n_cases, n_channels, n_timepoints)``, the layout of aeon and sktime;
* 2-D arrays of shape ``(n_cases, n_timepoints)``, univariate series (a table whose columns are
  the time points; scikit-learn's rule then holds: predict needs the same number of columns);
* a list of ``(n_channels, n_timepoints_i)`` arrays (or 1-D arrays for univariate series) of
  unequal lengths, as aeon passes them. They are padded at the end, and the padding neither
  changes the state nor receives gradient, so each series is read up to its own last point.

The training machinery (solvers, schedules, early stopping, callbacks, ``class_weight``,
``verbose``, ``partial_fit``, the warm-start rules and the counting of ``n_iter_``) is the MLPs',
with the same meanings. The recurrent layers start from their own initialisation (see
:mod:`sigmanet.layers.recurrent`); there is no ``weight_init``. Series are dense: sparse input is
refused.

``normalize="series"`` standardises every series on its own before the network reads it, the
z-normalisation of the UCR time-series archive (Dau et al., "The UCR time series archive",
IEEE/CAA Journal of Automatica Sinica 6(6), 2019): each channel of each series becomes
``z_t = (x_t - μ) / σ``, with μ and σ the mean and the (population) standard deviation of that
channel over the series' own time points (padding excluded); a constant channel becomes 0.
It is part of the model: fit, predict and ``validation_data`` all apply it, and a saved model
keeps it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from sigmanet.constraints import Options
from sigmanet.estimators._base import BaseNetworkEstimator
from sigmanet.estimators._parameters import (
    BOOLEAN,
    CLASS_WEIGHT,
    POSITIVE,
    POSITIVE_INT,
    TRAINING_CONSTRAINTS,
)
from sigmanet.estimators.mlp import MLPClassifier, MLPRegressor, _stochastic_solver
from sigmanet.layers import Dense, Layer
from sigmanet.layers.recurrent import GRU, LSTM, SimpleRNN

__all__ = ["RNNClassifier", "RNNRegressor"]

CELLS = {"lstm": LSTM, "gru": GRU, "rnn": SimpleRNN}
_FLOAT_DTYPES = (np.float64, np.float32)


def _series_list(X: list[Any] | tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Unequal-length series, padded with NaN to ``(n, T_max, n_channels)``, and their lengths."""
    if len(X) == 0:
        raise ValueError("X is an empty list: at least one series is needed.")
    series = []
    for index, item in enumerate(X):
        array = np.asarray(item)
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2:
            raise ValueError(
                f"X[{index}] has shape {array.shape}; each series in a list must be 2-D "
                "(n_channels, n_timepoints) or 1-D (n_timepoints,)."
            )
        array = check_array(array, dtype=_FLOAT_DTYPES, input_name=f"X[{index}]")
        series.append(array)
    channels = {s.shape[0] for s in series}
    if len(channels) > 1:
        raise ValueError(
            f"the series in X have different numbers of channels ({sorted(channels)}); every "
            "series needs the same channels."
        )
    dtype = np.result_type(*series)
    lengths = np.array([s.shape[1] for s in series])
    padded = np.full((len(series), int(lengths.max()), series[0].shape[0]), np.nan, dtype=dtype)
    for index, s in enumerate(series):
        padded[index, : s.shape[1]] = s.T
    return padded, lengths


def _standardise_series(X: np.ndarray) -> np.ndarray:
    """Each channel of each series of ``X`` ``(n, T, n_channels)`` (padding as NaN) as
    ``(x_t - μ) / σ`` over its own time points; 0 where σ is 0. Same dtype as ``X``.

    The series is first divided by its largest magnitude (z is unchanged by a positive scale):
    the squares then cannot overflow, even for values near the dtype's limit, and a constant
    channel becomes exactly ±1 and then exactly 0.
    """
    scale = np.nanmax(np.abs(X), axis=1, keepdims=True)
    scaled = X / np.where(scale > 0, scale, 1).astype(X.dtype)
    centred = scaled - np.nanmean(scaled, axis=1, keepdims=True)
    std = np.sqrt(np.nanmean(centred * centred, axis=1, keepdims=True))
    return centred / np.where(std > 0, std, 1).astype(X.dtype)


def _rows_of_equal_length(X: list[Any] | tuple[Any, ...]) -> bool:
    """Whether a list is a table (rows of numbers, all as long): univariate equal-length series,
    which are read as 2-D input, as scikit-learn reads a list of lists."""
    return len(X) == 0 or (
        all(np.ndim(row) == 1 for row in X) and len({len(row) for row in X}) == 1
    )


class _RNNMixin(BaseNetworkEstimator):
    """What the classifier and the regressor share: the input layouts and the network."""

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **TRAINING_CONSTRAINTS,
        "cell": [Options(*sorted(CELLS))],
        "hidden_size": [POSITIVE_INT],
        "num_layers": [POSITIVE_INT],
        "bidirectional": [BOOLEAN],
        "truncate": [POSITIVE_INT, None],
        "clip_norm": [POSITIVE, None],
        "normalize": [Options("series"), None],
    }

    def _architecture(self) -> dict[str, Any]:
        # truncate and clip_norm are options of the layers too: a warm start keeps the layers
        return {
            "cell": self.cell,
            "hidden_size": int(self.hidden_size),
            "num_layers": int(self.num_layers),
            "bidirectional": bool(self.bidirectional),
            "truncate": self.truncate,
            "clip_norm": self.clip_norm,
        }

    def _build_layers(self, n_features: int, n_outputs: int) -> list[Layer]:
        cell = CELLS[self.cell]
        layers: list[Layer] = []
        for index in range(self.num_layers):
            layers.append(
                cell(
                    int(self.hidden_size),
                    return_sequences=index < self.num_layers - 1,
                    bidirectional=bool(self.bidirectional),
                    truncate=self.truncate,
                    clip_norm=self.clip_norm,
                    # padding travels as NaN from layer to layer (see _sequences)
                    mask_value=np.nan,
                )
            )
        layers.append(Dense(n_outputs))
        return layers

    # -- input ---------------------------------------------------------------------------------
    def _sequences(self, X: Any, y: Any = None, *, reset: bool) -> tuple[np.ndarray, Any]:
        """X as ``(n, T, n_channels)`` (padding as NaN), validated, and y as given."""
        if isinstance(X, list | tuple) and not _rows_of_equal_length(X):
            Xs, _ = _series_list(X)
            table = False
        elif not hasattr(X, "columns") and np.asarray(X).ndim == 3:
            Xs = check_array(X, dtype=_FLOAT_DTYPES, allow_nd=True).transpose(0, 2, 1)
            if Xs.shape[1] == 0:
                raise ValueError(f"X has no time points (shape {np.shape(X)}).")
            table = False
        else:
            # a table whose columns are time points: scikit-learn's validation and messages
            if y is None:
                X2 = validate_data(self, X, reset=reset, dtype=_FLOAT_DTYPES)
            else:
                X2, y = validate_data(
                    self,
                    X,
                    y,
                    reset=reset,
                    dtype=_FLOAT_DTYPES,
                    multi_output=True,
                    y_numeric=not self._is_classifier_model(),
                )
            Xs = X2[:, :, None]
            table = True
        if y is not None:
            check_consistent_length(Xs, y)
            if not table:
                y = check_array(
                    y,
                    ensure_2d=False,
                    dtype=None if self._is_classifier_model() else _FLOAT_DTYPES,
                    input_name="y",
                )
        if reset:
            self.n_channels_ = int(Xs.shape[2])
            if not table:
                for attribute in ("n_features_in_", "feature_names_in_"):
                    self.__dict__.pop(attribute, None)
        elif Xs.shape[2] != self.n_channels_:
            raise ValueError(
                f"X has {Xs.shape[2]} channel(s), but {type(self).__name__} was fitted with "
                f"{self.n_channels_}."
            )
        if self.normalize == "series":
            Xs = _standardise_series(Xs)
        return np.ascontiguousarray(Xs), y

    def _validate_X_y(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        return self._sequences(X, y, reset=reset)

    def _unscanned_input(self, X: Any) -> tuple[np.ndarray, bool]:
        # sequences are checked as a whole (NaN is padding): no kernel scans them
        return self._input(X), True

    def _input(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "network_")
        Xs, _ = self._sequences(X, reset=False)
        if Xs.dtype == self.network_.dtype:
            return Xs
        with np.errstate(over="ignore"):
            cast = Xs.astype(self.network_.dtype)
        if np.isinf(cast).any():  # NaN is padding; the validated values were finite
            raise ValueError(
                f"X holds values beyond the range of {self.network_.dtype.name}, the dtype "
                f"this model computes in (largest magnitude {float(np.nanmax(np.abs(Xs))):.3g})."
            )
        return cast

    # The MLPs' transform() maps to a hidden layer's activations; a sequence model has no such
    # table of hidden units, so the method is hidden (hasattr is False).
    transform = available_if(lambda self: False)(BaseNetworkEstimator.transform)

    def _publish_attributes(self) -> None:
        super()._publish_attributes()
        # as scikit-learn's MLPs count them: the input, each recurrent layer, the output
        self.n_layers_ = int(self.num_layers) + 2

    # -- persistence -------------------------------------------------------------------------
    def _input_width(self, meta: dict[str, Any]) -> int:
        return int(meta["n_channels_"])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        # a series is dense: scipy.sparse has no 3-D arrays, and a sparse table is refused
        # with scikit-learn's message (the MLPs' sparse input does not carry over)
        tags.input_tags.sparse = False
        return tags


_COMMON_DOC = """
    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}, default="lstm"
        The recurrent cell ("rnn": Elman's tanh RNN).
    hidden_size : int, default=32
        Width of each recurrent layer's state.
    num_layers : int, default=1
        Stacked recurrent layers; each feeds its whole sequence of states to the next.
    bidirectional : bool, default=False
        Each layer also reads the series backwards; the two states are concatenated.
    truncate : int or None, default=None
        Truncated backpropagation through time: the gradient crosses at most this many steps.
    clip_norm : float or None, default=None
        Rescale each recurrent layer's gradient to this L2 norm when it is larger.
    normalize : {"series"} or None, default=None
        ``"series"``: standardise each channel of each series over its own time points,
        ``(x_t - mean) / std`` (0 for a constant channel), in fit and predict alike; the
        convention of the UCR archive. None: the values as given.
    solver, alpha, batch_size, learning_rate, learning_rate_init, power_t, max_iter, shuffle,
    random_state, tol, verbose, warm_start, momentum, nesterovs_momentum, early_stopping,
    validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change, max_fun, blas_threads
        As in :class:`sigmanet.MLPClassifier` (``alpha`` penalises ``W_ih``, ``W_hh`` and the
        head's ``W``).
"""


def _join_doc(head: str | None, parameters: str) -> str:
    """A class docstring followed by the parameter section the two estimators share."""
    return (head or "").rstrip() + "\n\n" + parameters.strip("\n") + "\n"


class RNNClassifier(ClassifierMixin, _RNNMixin):
    """Recurrent-network classifier of time series: recurrent layers, then a Dense head.

    The head gives logits from the last state (both directions' when bidirectional): sigmoid
    cross-entropy for two classes, softmax cross-entropy for more, as in
    :class:`sigmanet.MLPClassifier`.

    X is 3-D ``(n_cases, n_channels, n_timepoints)`` (aeon's and sktime's layout), 2-D
    ``(n_cases, n_timepoints)`` for univariate series, or a list of ``(n_channels,
    n_timepoints_i)`` arrays of unequal lengths.
    """

    __doc__ = (
        _join_doc(__doc__, _COMMON_DOC)
        + """    class_weight : dict, "balanced" or None, default=None

    Attributes
    ----------
    classes_, n_channels_, n_features_in_ (2-D input only), network_, loss_curve_, n_iter_,
    t_, best_loss_, validation_scores_, best_validation_score_

    Examples
    --------
    >>> import numpy as np
    >>> from sigmanet import RNNClassifier
    >>> t = np.linspace(0, 2 * np.pi, 20)
    >>> X = np.stack([np.sin(t + p) for p in np.r_[np.zeros(20), np.full(20, np.pi)]])
    >>> y = np.r_[np.zeros(20), np.ones(20)]
    >>> clf = RNNClassifier(hidden_size=8, random_state=0).fit(X, y)
    >>> clf.score(X, y)
    1.0
    """
    )

    def __init__(
        self,
        cell: str = "lstm",
        hidden_size: int = 32,
        num_layers: int = 1,
        *,
        bidirectional: bool = False,
        truncate: int | None = None,
        clip_norm: float | None = None,
        normalize: str | None = None,
        solver: str = "adam",
        alpha: float = 0.0,
        batch_size: Any = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.01,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        class_weight: Any = None,
        blas_threads: Any = "auto",
    ) -> None:
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.truncate = truncate
        self.clip_norm = clip_norm
        self.normalize = normalize
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.class_weight = class_weight
        self.blas_threads = blas_threads

    #: The loss of the head (fixed): cross-entropy from the logits.
    loss = "log_loss"

    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        callbacks: Any = None,
        validation_data: Any = None,
    ) -> RNNClassifier:
        """Fit the network to series ``X`` and labels ``y``.

        Parameters
        ----------
        X : array of shape (n_cases, n_channels, n_timepoints) or (n_cases, n_timepoints), or
            a list of (n_channels, n_timepoints_i) arrays
        y : array-like of shape (n_cases,)
        sample_weight : array-like of shape (n_cases,), optional
        callbacks : list of sigmanet.training.Callback, optional
        validation_data : (X_val, y_val), optional
            Scored every epoch (``validation_scores_``, ``validation_loss_curve_``).

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, callbacks=callbacks, validation_data=validation_data)

    @available_if(_stochastic_solver)
    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None):
        """One epoch over ``(X, y)`` from the current weights; ``classes`` on the first call.

        Only for the stochastic solvers (the attribute does not exist with ``"lbfgs"``).
        """
        return MLPClassifier.partial_fit(self, X, y, classes, sample_weight)

    # The output layer is the MLP classifier's: the same targets, losses and predictions.
    _encode_targets = MLPClassifier._encode_targets
    _check_warm_start_targets = MLPClassifier._check_warm_start_targets
    _output_loss = MLPClassifier._output_loss
    _score_network = MLPClassifier._score_network
    _labels = MLPClassifier._labels
    decision_function = MLPClassifier.decision_function
    predict = MLPClassifier.predict
    predict_proba = MLPClassifier.__dict__["predict_proba"]
    predict_log_proba = MLPClassifier.__dict__["predict_log_proba"]
    _has_proba = MLPClassifier._has_proba
    _restore_extra_state_labels = MLPClassifier._restore_extra_state

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **_RNNMixin._parameter_constraints,
        "class_weight": CLASS_WEIGHT,
    }

    def _publish_attributes(self) -> None:
        super()._publish_attributes()
        self.out_activation_ = "logistic" if len(self.classes_) <= 2 else "softmax"

    def _extra_state(self) -> dict[str, Any]:
        return {**MLPClassifier._extra_state(self), "n_channels_": self.n_channels_}

    def _restore_extra_state(self, meta: dict[str, Any]) -> None:
        self._restore_extra_state_labels(meta)
        self.n_channels_ = int(meta["n_channels_"])


class RNNRegressor(RegressorMixin, _RNNMixin):
    """Recurrent-network regressor of time series: recurrent layers, then a linear head.

    The loss is the squared error ``½ Σ (ŷ - y)²``. X as for :class:`RNNClassifier`; y has
    shape (n_cases,) or (n_cases, n_outputs).
    """

    __doc__ = _join_doc(__doc__, _COMMON_DOC)

    def __init__(
        self,
        cell: str = "lstm",
        hidden_size: int = 32,
        num_layers: int = 1,
        *,
        bidirectional: bool = False,
        truncate: int | None = None,
        clip_norm: float | None = None,
        normalize: str | None = None,
        solver: str = "adam",
        alpha: float = 0.0,
        batch_size: Any = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.01,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        blas_threads: Any = "auto",
    ) -> None:
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.truncate = truncate
        self.clip_norm = clip_norm
        self.normalize = normalize
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.blas_threads = blas_threads

    #: The loss of the head (fixed): the squared error.
    loss = "squared_error"

    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        callbacks: Any = None,
        validation_data: Any = None,
    ) -> RNNRegressor:
        """Fit the network to series ``X`` and targets ``y`` of shape (n_cases,) or
        (n_cases, n_outputs); the arguments are those of :meth:`RNNClassifier.fit`."""
        return self._fit(X, y, sample_weight, callbacks=callbacks, validation_data=validation_data)

    @available_if(_stochastic_solver)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> RNNRegressor:
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state.

        Only for the stochastic solvers (the attribute does not exist with ``"lbfgs"``).
        """
        return self._fit(X, y, sample_weight, incremental=True)

    # The output layer is the MLP regressor's.
    _encode_targets = MLPRegressor._encode_targets
    _output_loss = MLPRegressor._output_loss
    _score_network = MLPRegressor._score_network
    _inverse_link = MLPRegressor._inverse_link
    predict = MLPRegressor.predict

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _publish_attributes(self) -> None:
        super()._publish_attributes()
        self.out_activation_ = "identity"

    def _extra_state(self) -> dict[str, Any]:
        return {"n_channels_": self.n_channels_}

    def _restore_extra_state(self, meta: dict[str, Any]) -> None:
        self.n_channels_ = int(meta["n_channels_"])
