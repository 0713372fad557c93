"""Diagnostics: watch gradients flow, and trace one backpropagation step by hand.

Two tools for seeing what backpropagation does:

* :class:`GradientFlowRecorder`, a training callback that records, epoch by epoch, the mean
  absolute gradient ``mean |∂L/∂W[l]|`` of every weight matrix. In a deep sigmoid network the
  first layers' gradients are orders of magnitude smaller than the last layer's, because each
  layer multiplies the backpropagated error by ``σ'(z) ≤ 0.25`` (the vanishing-gradient
  problem); with ReLU, whose derivative is 1 on the active side, they stay comparable.
* :func:`gradients_through_time` and :func:`recurrent_state_growth`, the two arguments about
  recurrent networks made measurable: the norm of ``∂L/∂h_t`` falls off with the distance
  from the loss far sooner in a tanh RNN than in an LSTM, whose additive cell carries it; and a
  ReLU RNN whose recurrent matrix has spectral radius above 1 has a state that grows without
  bound, while tanh keeps every unit in (-1, 1).
* :func:`trace_backprop`, one forward and one backward pass of a tiny network, recorded from
  :class:`sigmanet.network.Sequential` itself (the backpropagation the library trains with),
  so every intermediate (``z``, ``a``, ``dz``, ``dW``, ``db``) can be printed and checked by
  hand against a textbook's worked example. ``sigmanet trace`` prints it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sigmanet import losses as _losses
from sigmanet._arrays import as_float_array
from sigmanet.layers import Activation, Dense
from sigmanet.network import Sequential
from sigmanet.optimizers import GradientDescent
from sigmanet.training import Callback, History

__all__ = [
    "BackpropTrace",
    "GradientFlowRecorder",
    "LayerStep",
    "gradients_through_time",
    "recurrent_state_growth",
    "state_gradient_norms",
    "trace_backprop",
]


class GradientFlowRecorder(Callback):
    """Record the mean absolute gradient of each weight matrix, per epoch.

    For weight matrix ``W[l]`` and epoch ``e`` the recorded value is the mean, over the
    batches of that epoch, of ``mean(|∂L/∂W[l]|)`` taken right after the batch's backward
    pass. The gradient is the one the optimizer receives, so it includes the L2 penalty term
    ``(alpha/m) W`` when ``alpha > 0``; use ``alpha=0`` to see the data gradient alone.

    It needs a solver that calls batch hooks (``sgd``, ``adam`` and the other stochastic
    solvers); a full-batch L-BFGS fit records nothing.

    Parameters
    ----------
    accumulate : bool
        If false (default) every training run (every ``fit``) starts a fresh record. If true,
        successive runs on a network of the same shape append to the record, which is what
        ``partial_fit`` loops want (each call is one short training run).

    Attributes
    ----------
    layer_names : list of str
        One name per weight matrix the layers declare
        (:meth:`~sigmanet.layers.Layer.weight_names`), first to last: ``"W1 (64→32)"`` and
        so on; a layer with several, such as a recurrent one, gives ``"W1:W_ih (8→16)"``,
        ``"W1:W_hh (8→16)"``.
    history : ndarray of shape (n_epochs, n_weight_layers)
        ``history[e, l]`` is the mean |∂L/∂W| of weight matrix ``l`` in epoch ``e`` (float64).

    Examples
    --------
    Five sigmoid layers: the first layer's gradient is about a thousandth of the last's.

    >>> import numpy as np
    >>> from sigmanet import MLPClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 8))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> recorder = GradientFlowRecorder()
    >>> clf = MLPClassifier((16,) * 5, activation="sigmoid", max_iter=3, tol=10.0,
    ...                     n_iter_no_change=1, random_state=0)  # a few epochs suffice
    >>> clf = clf.fit(X, y, callbacks=[recorder])
    >>> recorder.history.shape                  # (epochs, weight matrices)
    (3, 6)
    >>> bool(np.all(recorder.ratio() < 0.01))   # first layer / last layer
    True
    """

    def __init__(self, accumulate: bool = False) -> None:
        self.accumulate = bool(accumulate)
        self.layer_names: list[str] = []
        self._shapes: list[tuple[int, ...]] = []
        self._rows: list[np.ndarray] = []
        self._sums: np.ndarray = np.zeros(0)
        self._batches = 0

    def reset(self) -> None:
        """Forget everything recorded so far."""
        self.layer_names = []
        self._shapes = []
        self._rows = []
        self._sums = np.zeros(0)
        self._batches = 0

    @property
    def history(self) -> np.ndarray:
        """Array of shape (n_epochs, n_weight_layers); empty rows before any epoch ends."""
        if not self._rows:
            return np.zeros((0, len(self.layer_names)))
        return np.vstack(self._rows)

    @property
    def n_epochs(self) -> int:
        """The number of epochs recorded."""
        return len(self._rows)

    def ratio(self, numerator: int = 0, denominator: int = -1) -> np.ndarray:
        """Per-epoch ratio ``history[:, numerator] / history[:, denominator]``.

        The default, first layer over last layer, is the vanishing-gradient figure: far below
        1 for deep sigmoid stacks, near 1 for ReLU.
        """
        history = self.history
        if history.shape[0] == 0:
            raise ValueError("Nothing recorded yet: train with this recorder first.")
        with np.errstate(divide="ignore", invalid="ignore"):
            return history[:, numerator] / history[:, denominator]

    # -- callback hooks ---------------------------------------------------------------------
    def on_train_begin(self, network: Sequential) -> None:
        # one column per weight matrix, in the order of network.weight_gradients()
        weighted = [layer for layer in network.layers if layer.weight_names()]
        if not weighted:
            raise ValueError(
                "GradientFlowRecorder needs a network with at least one layer that has weight "
                "matrices (Dense, Maxout, a recurrent layer, ...)."
            )
        shapes = [w.shape for w in network.weight_matrices()]
        if not (self.accumulate and shapes == self._shapes):
            self.reset()
            self._shapes = shapes
            self.layer_names = [
                f"W{index}{'' if len(names) == 1 else ':' + name} "
                f"({layer.input_dim}→{layer.output_dim})"
                for index, layer in enumerate(weighted, start=1)
                for names in [layer.weight_names()]
                for name in names
            ]
        self._sums = np.zeros(len(shapes))
        self._batches = 0

    def on_batch_end(self, network: Sequential, logs: dict[str, Any]) -> None:
        for index, grad in enumerate(network.weight_gradients()):
            # float64 accumulation: float32 means of tiny gradients would lose digits.
            self._sums[index] += float(np.mean(np.abs(grad), dtype=np.float64))
        self._batches += 1

    def on_epoch_end(self, network: Sequential, logs: dict[str, Any]) -> bool:
        if self._batches:
            self._rows.append(self._sums / self._batches)
        self._sums = np.zeros(len(self._shapes))
        self._batches = 0
        return False

    def on_train_end(self, network: Sequential, history: History) -> None:
        self._batches = 0

    def __repr__(self) -> str:
        return f"GradientFlowRecorder(layers={len(self.layer_names)}, epochs={self.n_epochs})"


# -- one backpropagation step, by hand ------------------------------------------------------


@dataclass(frozen=True)
class LayerStep:
    """Everything one layer computes in a forward and backward pass.

    Rows are samples (shapes with ``m`` samples); ``l`` is ``index``.

    Attributes
    ----------
    index : int
        The layer number ``l``, starting at 1 for the first hidden layer.
    activation : str
        Name of ``g`` in ``a[l] = g(z[l])``.
    W : ndarray of shape (fan_in, fan_out)
    b : ndarray of shape (fan_out,)
    a_prev : ndarray of shape (m, fan_in)
        ``a[l-1]``, the layer's input (``a[0] = x``).
    z : ndarray of shape (m, fan_out)
        ``z[l] = a[l-1] W[l] + b[l]``.
    a : ndarray of shape (m, fan_out)
        ``a[l] = g(z[l])``.
    g_prime : ndarray of shape (m, fan_out)
        ``g'(z[l])``.
    dz : ndarray of shape (m, fan_out)
        ``∂ℓ/∂z[l]`` per sample: ``(ŷ - y) ⊙ g'(z[L])`` at the output (squared error),
        ``(dz[l+1] W[l+1]ᵀ) ⊙ g'(z[l])`` below it.
    dW : ndarray of shape (fan_in, fan_out)
        ``∂L/∂W[l] = a[l-1]ᵀ dz[l] / m``.
    db : ndarray of shape (fan_out,)
        ``∂L/∂b[l] = Σ_rows dz[l] / m``.
    W_new, b_new : ndarray
        After one gradient-descent step, ``W - η dW`` and ``b - η db``.
    """

    index: int
    activation: str
    W: np.ndarray
    b: np.ndarray
    a_prev: np.ndarray
    z: np.ndarray
    a: np.ndarray
    g_prime: np.ndarray
    dz: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    W_new: np.ndarray
    b_new: np.ndarray


@dataclass(frozen=True)
class BackpropTrace:
    """One forward and backward pass, as returned by :func:`trace_backprop`.

    Attributes
    ----------
    x : ndarray of shape (m, n_inputs)
    y : ndarray of shape (m, n_outputs)
    output : ndarray of shape (m, n_outputs)
        The prediction ``ŷ = a[L]``.
    loss : float
        The batch loss ``L`` (mean over the m samples).
    loss_name : str
        ``"squared_error"`` (``ℓ = ½ Σ (ŷ - y)²``) or ``"log_loss"``.
    learning_rate : float
        ``η`` of the update ``W ← W - η ∂L/∂W``.
    layers : tuple of LayerStep
        First hidden layer to output layer.
    """

    x: np.ndarray
    y: np.ndarray
    output: np.ndarray
    loss: float
    loss_name: str
    learning_rate: float
    layers: tuple[LayerStep, ...]

    @property
    def delta(self) -> np.ndarray:
        """The output error of the delta rule, ``δ = (y - ŷ) σ'(z)``, i.e. ``-dz[L]``.

        With it the update is ``Δw_ij = η δ_j x_i`` (``x_i`` being the input of the
        output layer), the same step as ``-η ∂L/∂W``.
        """
        return -self.layers[-1].dz

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Widths from input to output, e.g. ``(2, 3, 1)``."""
        return (self.x.shape[1], *(step.W.shape[1] for step in self.layers))


_TRACE_LOSSES = ("squared_error", "log_loss")


def _as_2d(value: Any, name: str, width: int | None) -> np.ndarray:
    array = as_float_array(value, name).astype(np.float64)
    if array.ndim == 0:
        array = array.reshape(1, 1)
    elif array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(
            f"{name} must be a vector or an (m, n) matrix with m >= 1; got shape {np.shape(value)}."
        )
    if width is not None and array.shape[1] != width:
        raise ValueError(f"{name} must have {width} columns; got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite numbers.")
    return array


def trace_backprop(
    x: Any = None,
    y: Any = None,
    *,
    layer_sizes: Sequence[int] = (2, 3, 1),
    weights: Sequence[Any] | None = None,
    biases: Sequence[Any] | None = None,
    activation: str = "sigmoid",
    output_activation: str | None = None,
    loss: str = "squared_error",
    learning_rate: float = 0.5,
    random_state: Any = 0,
) -> BackpropTrace:
    """One forward and backward pass of a tiny fully connected network, step by step.

    Forward, for ``l = 1 … L`` with ``a[0] = x``::

        z[l] = a[l-1] W[l] + b[l]        a[l] = g(z[l])

    Backward, the delta rule of Rumelhart, Hinton & Williams (1986): with squared error
    ``ℓ = ½ Σ (ŷ - y)²`` the output error is ``δ = (y - ŷ) σ'(z[L])``, so
    ``dz[L] = ∂ℓ/∂z[L] = (ŷ - y) ⊙ g'(z[L]) = -δ`` (with ``loss="log_loss"`` and a sigmoid
    output the fused form ``dz[L] = ŷ - y``); then::

        dz[l] = (dz[l+1] W[l+1]ᵀ) ⊙ g'(z[l])
        dW[l] = a[l-1]ᵀ dz[l] / m        db[l] = Σ_rows dz[l] / m

    and one gradient-descent step ``W ← W - η dW`` (the update ``Δw_ij = η δ_j x_i``).

    Nothing here is a second copy of backpropagation: the network is a
    :class:`~sigmanet.network.Sequential` of :class:`~sigmanet.layers.Dense` and
    :class:`~sigmanet.layers.Activation` layers, the values are recorded from its
    ``forward`` and ``backward`` (their ``record`` argument), the loss and its gradient come
    from :mod:`sigmanet.losses`, and the step is taken by
    :class:`~sigmanet.optimizers.GradientDescent`. The tests check the result against a
    plain NumPy oracle, against central differences and against the worked example of
    Mazur (2015).

    Parameters
    ----------
    x : array of shape (n_inputs,) or (m, n_inputs), optional
        The input(s). Default ``[1.0, 0.5]`` (for 2 inputs) or ones.
    y : array of shape (n_outputs,) or (m, n_outputs), optional
        The target(s). Default 1 for every output.
    layer_sizes : sequence of int
        Widths from input to output, default ``(2, 3, 1)``. Ignored when ``weights`` is given.
    weights, biases : sequence of arrays, optional
        ``W[l]`` of shape (fan_in, fan_out) and ``b[l]`` of shape (fan_out,). By default drawn
        from ``random_state`` uniformly in [-1, 1] and rounded to 2 decimals (so the printed
        numbers are exactly the ones used), biases 0.
    activation : str
        A registered activation name (see :func:`sigmanet.activations.names`) for the hidden
        layers.
    output_activation : str, optional
        For the output layer; default ``activation``.
    loss : {"squared_error", "log_loss"}
        ``log_loss`` (binary cross-entropy) requires a sigmoid output and targets in [0, 1].
    learning_rate : float
        ``η`` of the update.
    random_state : int, Generator or None
        Seed of the default weights.

    Returns
    -------
    BackpropTrace

    References
    ----------
    Rumelhart, D. E., Hinton, G. E. & Williams, R. J. (1986). Learning representations by
    back-propagating errors. *Nature* 323, 533–536.

    Mazur, M. (2015). A Step by Step Backpropagation Example. The 2-2-2 sigmoid network
    reproduced in the examples below.

    Examples
    --------
    The worked example: inputs 0.05 and 0.10, targets 0.01 and 0.99, learning rate 0.5.

    >>> trace = trace_backprop(
    ...     [0.05, 0.10], [0.01, 0.99],
    ...     weights=[[[0.15, 0.25], [0.20, 0.30]], [[0.40, 0.50], [0.45, 0.55]]],
    ...     biases=[[0.35, 0.35], [0.60, 0.60]], learning_rate=0.5)
    >>> round(trace.loss, 9)
    0.298371109
    >>> round(float(trace.layers[1].W_new[0, 0]), 8)   # w5
    0.35891648
    >>> round(float(trace.layers[0].W_new[0, 0]), 8)   # w1
    0.14978072
    """
    from sigmanet import activations as _activations

    if loss not in _TRACE_LOSSES:
        raise ValueError(f"loss must be one of {', '.join(_TRACE_LOSSES)}; got {loss!r}.")
    learning_rate = float(learning_rate)
    if not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be a positive number; got {learning_rate!r}.")
    output_activation = activation if output_activation is None else output_activation
    if loss == "log_loss" and output_activation != "sigmoid":
        raise ValueError(
            "loss='log_loss' is binary cross-entropy of a sigmoid output; got "
            f"output_activation={output_activation!r}."
        )

    if weights is None:
        sizes = [int(s) for s in layer_sizes]
        if len(sizes) < 2 or any(s < 1 for s in sizes) or list(layer_sizes) != sizes:
            raise ValueError(
                "layer_sizes must be at least two positive integers (inputs, ..., outputs); "
                f"got {tuple(layer_sizes)!r}."
            )
        rng = np.random.default_rng(random_state)
        Ws = [
            np.round(rng.uniform(-1.0, 1.0, size=(a, b)), 2) for a, b in itertools.pairwise(sizes)
        ]
    else:
        Ws = [as_float_array(w, f"weights[{i}]").astype(np.float64) for i, w in enumerate(weights)]
        if not Ws:
            raise ValueError("weights must hold at least one matrix.")
        for i, w in enumerate(Ws):
            if w.ndim != 2:
                raise ValueError(
                    f"weights[{i}] must be a (fan_in, fan_out) matrix; got shape {w.shape}."
                )
            if i and w.shape[0] != Ws[i - 1].shape[1]:
                raise ValueError(
                    f"weights[{i}] has {w.shape[0]} rows but weights[{i - 1}] has "
                    f"{Ws[i - 1].shape[1]} columns; they must match."
                )
        sizes = [Ws[0].shape[0], *(w.shape[1] for w in Ws)]
    if biases is None:
        bs = [np.zeros(w.shape[1]) for w in Ws]
    else:
        if len(biases) != len(Ws):
            raise ValueError(
                f"biases must hold {len(Ws)} vectors, one per weight matrix; got {len(biases)}."
            )
        bs = [
            as_float_array(b, f"biases[{i}]").astype(np.float64).reshape(-1)
            for i, b in enumerate(biases)
        ]
        for i, (b, w) in enumerate(zip(bs, Ws, strict=True)):
            if b.shape != (w.shape[1],):
                raise ValueError(f"biases[{i}] must have shape ({w.shape[1]},); got {b.shape}.")

    if x is None:
        x = [1.0, 0.5] if sizes[0] == 2 else np.ones(sizes[0])
    if y is None:
        y = np.ones(sizes[-1])
    X = _as_2d(x, "x", sizes[0])
    Y = _as_2d(y, "y", sizes[-1])
    if Y.shape[0] != X.shape[0]:
        raise ValueError(
            f"x and y must have the same number of rows; got {X.shape[0]} and {Y.shape[0]}."
        )
    if loss == "log_loss" and np.any((Y < 0) | (Y > 1)):
        # -(y log p + (1 - y) log(1 - p)) is a cross-entropy only for a target probability y;
        # outside [0, 1] it has no minimum, so a step "improves" it without bound.
        bad = float(Y[(Y < 0) | (Y > 1)][0])
        raise ValueError(
            f"y must be in [0, 1] for loss='log_loss' (the target is a probability); got {bad:g}. "
            "The squared error (squared_error) takes any target."
        )
    m = X.shape[0]
    names = [activation] * (len(Ws) - 1) + [output_activation]
    funcs = [_activations.get(name) for name in names]

    # The network the library trains: Dense and Activation layers in a Sequential. With the
    # log loss the sigmoid is fused into the loss (cross-entropy from logits), as in training.
    layers: list[Any] = []
    for index, W in enumerate(Ws):
        layers.append(Dense(W.shape[1]))
        if index < len(Ws) - 1 or loss == "squared_error":
            layers.append(Activation(names[index]))
    net = Sequential(layers).build(sizes[0], random_state=0)
    dense = [layer for layer in net.layers if layer.weight_names()]
    for layer, W, b in zip(dense, Ws, bs, strict=True):
        layer.params["W"][...] = W
        layer.params["b"][...] = b
    positions = [net.layers.index(layer) for layer in dense]

    outputs: list[np.ndarray] = []
    last = net.forward(X, training=True, record=outputs)
    if loss == "squared_error":
        criterion = _losses.get("squared_error")
        output = last
    else:
        criterion = _losses.get("binary_cross_entropy_with_logits")
        output = np.asarray(_activations.sigmoid(last), dtype=np.float64)
    value, grad_output = criterion.value_and_gradient(Y, last)
    received: list[np.ndarray] = []
    net.backward(grad_output, need_input_grad=True, record=received)
    received.reverse()  # recorded last layer first

    steps = []
    for layer_index, (layer, at) in enumerate(zip(dense, positions, strict=True)):
        z = outputs[at]
        a = output if layer_index == len(dense) - 1 else outputs[at + 1]
        a_prev = X if at == 0 else outputs[at - 1]
        steps.append(
            LayerStep(
                index=layer_index + 1,
                activation=names[layer_index],
                W=Ws[layer_index],
                b=bs[layer_index],
                a_prev=a_prev,
                z=z,
                a=a,
                g_prime=np.asarray(funcs[layer_index].derivative(z), dtype=np.float64),
                # the loss's gradient is that of the mean over the m rows; per sample is m times
                dz=received[at] * m,
                dW=layer.grads["W"].copy(),
                db=layer.grads["b"].copy(),
                W_new=np.empty(0),
                b_new=np.empty(0),
            )
        )
    # the step W ← W - η dW, by the optimizer the training loop uses
    GradientDescent(learning_rate).step(net.parameters(), net.gradients())
    steps = [
        replace(step, W_new=layer.params["W"].copy(), b_new=layer.params["b"].copy())
        for step, layer in zip(steps, dense, strict=True)
    ]
    return BackpropTrace(
        x=X,
        y=Y,
        output=output,
        loss=float(value),
        loss_name=loss,
        learning_rate=learning_rate,
        layers=tuple(steps),
    )


# -- recurrent networks: gradients through time, and the state under ReLU or tanh ---------------


def state_gradient_norms(layer: Any, x: Any, **forward_options: Any) -> np.ndarray:
    """``‖∂L/∂h_t‖`` for every step t of a built recurrent layer, with L its last output's sum.

    The loss sits at the last step, so step t is ``T - 1 - t`` steps away from it: the
    returned curve is how much of the gradient survives that many steps back through time.

    Parameters
    ----------
    layer : sigmanet.layers.recurrent.SimpleRNN, LSTM or GRU
        A built layer (its first direction is measured).
    x : array of shape (n, T, n_features)
    **forward_options
        Passed to ``layer.forward`` (``lengths``, ``initial_state``, ...).

    Returns
    -------
    ndarray of shape (T,)
        The mean over the samples of ``‖∂L/∂h_t‖₂``, ``L = Σ_samples Σ_units h_T / n``.
    """
    keep = layer.keep_state_gradients
    layer.keep_state_gradients = True
    try:
        output = layer.forward(x, **forward_options)
        grad = np.zeros_like(output)
        n = output.shape[0]
        if output.ndim == 3:
            grad[:, -1, : layer.units] = 1.0 / n
        else:
            grad[:, : layer.units] = 1.0 / n
        layer.backward(grad)
        norms = np.linalg.norm(layer.state_gradients[0], axis=2)  # (T, n)
    finally:
        layer.keep_state_gradients = keep
    return norms.mean(axis=1)


def gradients_through_time(
    cells: Sequence[str] = ("rnn", "lstm"),
    *,
    steps: int = 100,
    units: int = 32,
    n_features: int = 8,
    n_samples: int = 16,
    random_state: Any = 0,
) -> dict[str, np.ndarray]:
    """:func:`state_gradient_norms` of freshly initialised cells on one shared random task.

    Every cell ("rnn": tanh SimpleRNN, "lstm", "gru") gets the same standard-normal input
    sequence and its default initialisation from the same seed (Glorot input weights,
    orthogonal recurrent weights, the LSTM's forget bias 1).

    Returns
    -------
    dict of cell name to ndarray of shape (steps,)
    """
    from sigmanet.layers.recurrent import GRU, LSTM, SimpleRNN

    makers: dict[str, Any] = {"rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}
    unknown = [cell for cell in cells if cell not in makers]
    if unknown:
        raise ValueError(f"unknown cell(s) {unknown}; choose from {sorted(makers)}.")
    for name, value in (
        ("steps", steps),
        ("units", units),
        ("n_features", n_features),
        ("n_samples", n_samples),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    rng = np.random.default_rng(random_state)
    x = rng.standard_normal((n_samples, steps, n_features))
    weight_seed = int(rng.integers(2**32))
    result = {}
    for cell in cells:
        layer = makers[cell](units)
        layer.build(n_features, np.random.default_rng(weight_seed))
        result[cell] = state_gradient_norms(layer, x)
    return result


def recurrent_state_growth(
    activation: str = "relu",
    *,
    spectral_radius: float = 1.5,
    steps: int = 100,
    units: int = 16,
    random_state: Any = 0,
) -> np.ndarray:
    """``max_j |h_t,j|`` for t = 1..steps of a SimpleRNN whose ``W_hh`` has the given spectral
    radius, driven by a constant input of ones.

    ``W_hh`` is a matrix of non-negative entries scaled so that its largest eigenvalue is
    ``spectral_radius`` (by Perron–Frobenius that eigenvalue is real, with a positive
    eigenvector); the input weights are non-negative too. The state then stays positive, where
    ReLU is the identity, so ``h_t = W_hh h_{t-1} + W_ih x`` grows like ``ρ^t`` for ρ > 1; tanh
    bounds every unit to (-1, 1) whatever the matrix.

    Returns
    -------
    ndarray of shape (steps,)
    """
    from sigmanet.layers.recurrent import SimpleRNN

    if not (
        isinstance(spectral_radius, int | float)
        and np.isfinite(spectral_radius)
        and spectral_radius > 0
    ):
        raise ValueError(f"spectral_radius must be a finite number > 0; got {spectral_radius!r}.")
    rng = np.random.default_rng(random_state)
    layer = SimpleRNN(units, activation=activation, return_sequences=True, use_bias=False)
    layer.build(1, rng)
    W_hh = np.abs(rng.standard_normal((units, units)))
    W_hh *= spectral_radius / np.max(np.abs(np.linalg.eigvals(W_hh)))
    layer.params["W_hh"][...] = W_hh
    layer.params["W_ih"][...] = np.abs(layer.params["W_ih"])
    with np.errstate(over="ignore", invalid="ignore"):  # overflow to inf is the point made
        states = layer.forward(np.ones((1, steps, 1)))
    return np.max(np.abs(states[0]), axis=1)
