"""Pictures: activation curves, loss curves, decision boundaries, gradient flow (through
depth, and through time in recurrent networks).

The only sigmanet module that imports matplotlib (the optional ``plot`` extra:
``pip install "sigmanet[plot]"``), and only inside the functions, so ``import sigmanet`` never
pays for it. Every function returns a :class:`matplotlib.figure.Figure` built without
``pyplot``: no global figure registry, no GUI backend, nothing to close, safe on a headless
server. Save one with :func:`save_figure` (or ``figure.savefig``); in Jupyter it displays
itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "FIGURE_FORMATS",
    "plot_activations",
    "plot_decision_boundary",
    "plot_gradient_flow",
    "plot_gradients_through_time",
    "plot_loss_curve",
    "save_figure",
]

#: File extensions :func:`save_figure` writes.
FIGURE_FORMATS = (".png", ".svg", ".pdf")

_ORDER_LABELS = {0: "f(x)", 1: "f'(x)", 2: "f''(x)"}
_ORDER_TITLES = {0: "activation", 1: "first derivative", 2: "second derivative"}


def _new_figure(n_axes: int, width: float = 4.6, height: float = 3.8) -> tuple[Figure, list[Axes]]:
    try:
        from matplotlib.figure import Figure
    except ImportError as error:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            'Plotting needs matplotlib: pip install "sigmanet[plot]" (or pip install matplotlib).'
        ) from error
    figure = Figure(figsize=(width * n_axes, height), layout="constrained")
    axes = [figure.add_subplot(1, n_axes, index + 1) for index in range(n_axes)]
    return figure, axes


def save_figure(figure: Figure, path: str | Path, *, dpi: int = 120) -> Path:
    """Write ``figure`` to ``path``; the extension (.png, .svg, .pdf) chooses the format.

    Raises
    ------
    ValueError
        If the extension is not one of :data:`FIGURE_FORMATS`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FIGURE_FORMATS:
        raise ValueError(
            f"cannot tell the image format of {str(path)!r}: the file name must end in "
            f"{', '.join(FIGURE_FORMATS)}."
        )
    figure.savefig(path, format=suffix[1:], dpi=dpi)
    return path


# -- activations ----------------------------------------------------------------------------


def _derivative_values(activation: Any, order: int, x: np.ndarray) -> np.ndarray | None:
    """f, f' or f'' of ``activation`` on ``x``; None when that derivative is not provided."""
    method = {0: "__call__", 1: "derivative", 2: "second_derivative"}[order]
    function = getattr(activation, method, None)
    if function is None:
        return None
    try:
        return np.asarray(function(x), dtype=np.float64)
    except NotImplementedError:
        return None


def plot_activations(
    names: Sequence[str] | str = ("sigmoid", "tanh", "relu"),
    x: Any = None,
    derivatives: Sequence[int] = (0, 1, 2),
) -> Figure:
    """Plot f, f' and f'' of registered activations, one panel per derivative order.

    When ``"sigmoid"`` is among ``names`` and the first derivative is drawn, its maximum
    ``σ'(0) = 0.25`` is marked: every sigmoid layer multiplies the backpropagated gradient by
    at most a quarter, which is why deep sigmoid networks lose their gradient.

    Parameters
    ----------
    names : str or sequence of str
        Registered elementwise activations (see :func:`sigmanet.activations.names`); a single
        string may list several separated by commas.
    x : array of shape (n_points,), optional
        Where to evaluate; default 601 points on [-6, 6].
    derivatives : sequence of {0, 1, 2}
        Which orders to draw: 0 is f, 1 is f', 2 is f''. A derivative an activation does not
        provide is left out of that panel.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per entry of ``derivatives``.

    Raises
    ------
    ValueError
        For an unknown or non-elementwise activation (softmax), bad orders, or bad ``x``.
    """
    from sigmanet import activations as _activations

    if isinstance(names, str):
        names = [part.strip() for part in names.split(",") if part.strip()]
    names = list(names)
    if not names:
        raise ValueError("names must list at least one activation.")
    orders = list(derivatives)
    if (
        not orders
        or any(order not in (0, 1, 2) for order in orders)
        or len(set(orders)) != len(orders)
    ):
        raise ValueError(f"derivatives must be distinct values among 0, 1, 2; got {derivatives!r}.")
    if x is None:
        x = np.linspace(-6.0, 6.0, 601)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)):
        raise ValueError("x must be a 1-D array of at least 2 finite numbers.")
    x = np.sort(x)

    # get() refuses unknown names and non-elementwise ones (softmax) with a clear message
    functions = {name: _activations.get(name) for name in names}

    figure, axes = _new_figure(len(orders))
    for ax, order in zip(axes, orders, strict=True):
        missing = []
        for name, activation in functions.items():
            values = _derivative_values(activation, order, x)
            if values is None:
                missing.append(name)
                continue
            ax.plot(x, values, label=name, linewidth=1.8)
        if order == 1 and "sigmoid" in functions:
            peak = float(np.asarray(functions["sigmoid"].derivative(np.zeros(1)))[0])
            ax.plot([0.0], [peak], marker="o", color="black", zorder=5)
            ax.annotate(
                f"max σ'(0) = {peak:g}: each sigmoid layer\nscales the gradient by σ' ≤ {peak:g}",
                xy=(0.0, peak),
                xytext=(0.35, 0.75),
                textcoords="axes fraction",
                arrowprops={"arrowstyle": "->", "color": "black"},
                fontsize=8,
            )
        title = _ORDER_TITLES[order]
        if missing:
            title += f"\n(not provided: {', '.join(missing)})"
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("x")
        ax.set_ylabel(_ORDER_LABELS[order])
        ax.axhline(0.0, color="grey", linewidth=0.6)
        ax.axvline(0.0, color="grey", linewidth=0.6)
        ax.grid(True, alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    return figure


# -- training curves ------------------------------------------------------------------------


def plot_loss_curve(estimator: Any, *, log_scale: bool = False) -> Figure:
    """Plot a fitted estimator's training loss and, when recorded, its validation curves.

    Draws ``loss_curve_`` and ``validation_loss_curve_`` against the epoch (for L-BFGS fits,
    the iteration); ``validation_scores_`` (recorded with ``early_stopping=True``) goes in a
    second panel.

    Parameters
    ----------
    estimator : fitted sigmanet estimator
        Anything with a non-empty ``loss_curve_``.
    log_scale : bool
        Logarithmic loss axis.

    Raises
    ------
    ValueError
        If the estimator has no loss curve (not fitted).
    """
    loss = list(getattr(estimator, "loss_curve_", None) or [])
    if not loss:
        raise ValueError(
            f"{type(estimator).__name__} has no loss_curve_: fit it first (an L-BFGS fit that "
            "stopped at once records none)."
        )
    validation_loss = list(getattr(estimator, "validation_loss_curve_", None) or [])
    scores = list(getattr(estimator, "validation_scores_", None) or [])
    lbfgs = getattr(estimator, "solver", None) == "lbfgs"
    step = "iteration" if lbfgs else "epoch"

    figure, axes = _new_figure(2 if scores else 1, width=5.5)
    ax = axes[0]
    ax.plot(np.arange(1, len(loss) + 1), loss, label="training loss", linewidth=1.8)
    if validation_loss:
        ax.plot(
            np.arange(1, len(validation_loss) + 1),
            validation_loss,
            label="validation loss",
            linewidth=1.8,
        )
    if log_scale and min(loss + validation_loss) > 0:
        ax.set_yscale("log")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(step)
    ax.set_ylabel("loss")
    ax.set_title(f"{type(estimator).__name__}: loss per {step}", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    if scores:
        score_ax = axes[1]
        score_ax.plot(np.arange(1, len(scores) + 1), scores, color="tab:green", linewidth=1.8)
        best = int(np.argmax(scores))
        score_ax.plot([best + 1], [scores[best]], marker="o", color="black")
        score_ax.set_xlabel(step)
        score_ax.set_ylabel("validation score")
        score_ax.set_title(f"validation score (best {scores[best]:.4g})", fontsize=10)
        score_ax.grid(True, alpha=0.3)
    return figure


# -- decision boundary ----------------------------------------------------------------------


def plot_decision_boundary(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    resolution: int = 200,
    feature_names: Sequence[str] | None = None,
    name: str | None = None,
) -> Figure:
    """Plot a fitted classifier's decision regions over two features, with the samples.

    Binary classifiers with ``predict_proba`` are shown as the probability of the second
    class, with the ``p = 0.5`` boundary drawn; other classifiers as their predicted regions.

    Parameters
    ----------
    estimator : fitted classifier
        Trained on exactly these two features (``n_features_in_ == 2``).
    X : array of shape (n_samples, 2)
    y : array of shape (n_samples,)
        True labels, drawn as the points' colours.
    resolution : int
        Grid points per axis.
    feature_names : (str, str), optional
        Axis labels.
    name : str, optional
        The model's name in the title (default: the estimator's class name).

    Raises
    ------
    ValueError
        If ``X`` does not have two columns, the lengths differ, or the estimator is not a
        fitted classifier on two features.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"X must have exactly 2 feature columns to draw a decision boundary; got shape "
            f"{X.shape}."
        )
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X; got {y.shape}.")
    if X.shape[0] == 0 or not np.all(np.isfinite(X)):
        raise ValueError("X must hold at least one sample of finite numbers.")
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise ValueError(
            f"{type(estimator).__name__} is not a fitted classifier (it has no classes_)."
        )
    n_features = getattr(estimator, "n_features_in_", 2)
    if n_features != 2:
        raise ValueError(
            f"the model was trained on {n_features} features; a decision boundary needs a model "
            "trained on exactly 2."
        )
    resolution = int(resolution)
    if resolution < 2:
        raise ValueError(f"resolution must be >= 2; got {resolution}.")

    low, high = X.min(axis=0), X.max(axis=0)
    pad = np.where(high > low, 0.05 * (high - low), 1.0)
    grid_x, grid_y = np.meshgrid(
        np.linspace(low[0] - pad[0], high[0] + pad[0], resolution),
        np.linspace(low[1] - pad[1], high[1] + pad[1], resolution),
    )
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    classes = np.asarray(classes)
    n_classes = len(classes)
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    if n_classes == 2:
        colours = [colormaps["coolwarm"](0.0), colormaps["coolwarm"](1.0)]
    else:
        colours = [colormaps["tab10"](k % 10) for k in range(n_classes)]

    figure, (ax,) = _new_figure(1, width=5.5, height=4.6)
    if n_classes == 2 and hasattr(estimator, "predict_proba"):
        proba = np.asarray(estimator.predict_proba(grid))[:, 1].reshape(grid_x.shape)
        filled = ax.contourf(
            grid_x, grid_y, proba, levels=np.linspace(0.0, 1.0, 11), cmap="coolwarm", alpha=0.6
        )
        if proba.min() < 0.5 < proba.max():
            ax.contour(grid_x, grid_y, proba, levels=[0.5], colors="black", linewidths=1.2)
        figure.colorbar(filled, ax=ax, label=f"P(y = {classes[1]})")
    else:
        predicted = np.asarray(estimator.predict(grid))
        index = _class_index(predicted, classes).reshape(grid_x.shape)
        ax.contourf(
            grid_x,
            grid_y,
            index,
            levels=np.arange(n_classes + 1) - 0.5,
            cmap=ListedColormap(colours),
            alpha=0.45,
        )
    known = np.isin(y, classes)
    true_index = np.full(y.shape, -1)
    true_index[known] = _class_index(y[known], classes)
    for k, label in enumerate(classes):
        members = true_index == k
        if not members.any():
            continue
        ax.scatter(
            X[members, 0],
            X[members, 1],
            color=colours[k],
            edgecolors="black",
            linewidths=0.5,
            s=22,
            label=str(label),
        )
    if (~known).any():
        ax.scatter(
            X[~known, 0], X[~known, 1], marker="x", color="black", s=22, label="unknown class"
        )
    names = list(feature_names) if feature_names is not None else ["feature 0", "feature 1"]
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    accuracy = float(np.mean(np.asarray(estimator.predict(X)) == y))
    ax.set_title(
        f"{name or type(estimator).__name__}: decision regions (accuracy {accuracy:.3f})",
        fontsize=10,
    )
    ax.legend(fontsize=8, title="class", title_fontsize=8)
    return figure


def _class_index(labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Position of each label in ``classes`` (which need not be sorted)."""
    order = np.argsort(classes, kind="stable")
    positions = np.searchsorted(classes[order], labels)
    return order[np.clip(positions, 0, len(classes) - 1)]


# -- gradient flow --------------------------------------------------------------------------


def _gradient_series(value: Any, label: str) -> tuple[np.ndarray, list[str]]:
    history = getattr(value, "history", value)
    names = list(getattr(value, "layer_names", []) or [])
    history = np.asarray(history, dtype=np.float64)
    if history.ndim == 1:
        history = history.reshape(1, -1)
    if history.ndim != 2 or history.shape[0] == 0 or history.shape[1] == 0:
        raise ValueError(
            f"gradient history {label!r} must be a recorder that has seen at least one epoch or "
            f"an array of shape (n_epochs, n_layers); got shape {history.shape}."
        )
    if not names or len(names) != history.shape[1]:
        names = [f"W{index}" for index in range(1, history.shape[1] + 1)]
    return history, names


def plot_gradient_flow(
    recorder_or_history: Any,
    *,
    labels: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Plot the mean absolute weight gradient per layer, and first/last layer ratio per epoch.

    Left panel: for each series, ``mean |∂L/∂W[l]|`` averaged over the recorded epochs,
    against the layer ``l`` (logarithmic axis). Right panel: the ratio of the first layer's to
    the last layer's value, epoch by epoch. A deep sigmoid network's curve falls by orders of
    magnitude towards the input; a ReLU network's stays level.

    Parameters
    ----------
    recorder_or_history : GradientFlowRecorder, array, or mapping of label to either
        A :class:`sigmanet.diagnostics.GradientFlowRecorder` (or its ``history`` array of
        shape (n_epochs, n_weight_layers)); a mapping such as ``{"sigmoid": r1, "relu": r2}``
        draws one line per entry.
    labels : sequence of str, optional
        Legend labels when a list of recorders/arrays is given instead of a mapping.
    title : str, optional
        Figure title.

    Raises
    ------
    ValueError
        If a history is empty or not 2-D.
    """
    if isinstance(recorder_or_history, Mapping):
        items = list(recorder_or_history.items())
    elif (
        isinstance(recorder_or_history, list | tuple)
        and recorder_or_history
        and not np.isscalar(recorder_or_history[0])
        and (hasattr(recorder_or_history[0], "history") or np.ndim(recorder_or_history[0]) == 2)
    ):
        names = (
            list(labels)
            if labels is not None
            else [f"run {index + 1}" for index in range(len(recorder_or_history))]
        )
        if len(names) != len(recorder_or_history):
            raise ValueError("labels must have one entry per recorder.")
        items = list(zip(names, recorder_or_history, strict=True))
    else:
        label = labels[0] if labels else "network"
        items = [(label, recorder_or_history)]
    if not items:
        raise ValueError("nothing to plot: no gradient histories given.")

    figure, (layer_ax, ratio_ax) = _new_figure(2, width=5.2)
    from matplotlib.ticker import MaxNLocator

    longest: list[str] = []
    for label, value in items:
        history, layer_names = _gradient_series(value, str(label))
        if len(layer_names) > len(longest):
            longest = layer_names
        mean = history.mean(axis=0)
        layers = np.arange(1, history.shape[1] + 1)
        positive = mean > 0
        layer_ax.plot(layers[positive], mean[positive], marker="o", label=str(label))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = history[:, 0] / history[:, -1]
        keep = np.isfinite(ratio) & (ratio > 0)
        epochs = np.arange(1, history.shape[0] + 1)
        ratio_ax.plot(epochs[keep], ratio[keep], marker=".", label=str(label))
    layer_ax.set_yscale("log")
    layer_ax.set_xticks(np.arange(1, len(longest) + 1))
    layer_ax.set_xticklabels([name.split(" ")[0] for name in longest])
    layer_ax.set_xlabel("weight matrix (input → output)")
    layer_ax.set_ylabel("mean |∂L/∂W|")
    layer_ax.set_title("gradient size per layer", fontsize=10)
    layer_ax.grid(True, which="both", alpha=0.3)
    layer_ax.legend(fontsize=8)
    if any(np.size(line.get_xdata()) for line in ratio_ax.lines):
        ratio_ax.set_yscale("log")
    ratio_ax.axhline(1.0, color="grey", linewidth=0.6)
    ratio_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ratio_ax.set_xlabel("epoch")
    ratio_ax.set_ylabel("first layer / last layer")
    ratio_ax.set_title("vanishing-gradient ratio", fontsize=10)
    ratio_ax.grid(True, which="both", alpha=0.3)
    ratio_ax.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    return figure


# -- gradients through time -----------------------------------------------------------------


def plot_gradients_through_time(
    norms: Mapping[str, Any] | None = None, *, title: str | None = None, **options: Any
) -> Figure:
    """Plot ``‖∂L/∂h_t‖`` against the number of steps between step t and the loss.

    One line per cell, on a logarithmic axis: how much of the loss's gradient reaches a state
    that many steps back. A tanh RNN's line falls by orders of magnitude within tens of steps
    (the gradient is multiplied by ``diag(tanh'(a_t)) W_hh`` at every step); an LSTM's falls far
    more slowly, because its cell carries the gradient additively.

    Parameters
    ----------
    norms : mapping of label to array of shape (T,), optional
        As returned by :func:`sigmanet.diagnostics.gradients_through_time` (entry t for step
        t, the loss at the last step). Computed with ``**options`` when omitted.
    title : str, optional
    **options
        Passed to :func:`sigmanet.diagnostics.gradients_through_time` when ``norms`` is None
        (``cells``, ``steps``, ``units``, ``random_state``, ...).

    Raises
    ------
    ValueError
        If a curve is empty or not 1-D.
    """
    if norms is None:
        from sigmanet.diagnostics import gradients_through_time

        norms = gradients_through_time(**options)
    elif options:
        raise ValueError(f"options {sorted(options)} are only used when norms is not given.")
    if not norms:
        raise ValueError("nothing to plot: no gradient norms given.")
    figure, (ax,) = _new_figure(1, width=6.0)
    names = {"rnn": "tanh RNN", "lstm": "LSTM", "gru": "GRU"}
    for label, values in norms.items():
        curve = np.asarray(values, dtype=np.float64)
        if curve.ndim != 1 or curve.size == 0:
            raise ValueError(
                f"the norms of {label!r} must be a non-empty 1-D array; got shape {curve.shape}."
            )
        back = np.arange(curve.size)[::-1]  # steps between state t and the loss at the end
        positive = curve > 0
        ax.plot(back[positive], curve[positive], label=names.get(str(label), str(label)))
    ax.set_yscale("log")
    ax.set_xlabel("steps back from the loss (T - t)")
    ax.set_ylabel("‖∂L/∂h_t‖")
    ax.set_title(title or "gradients through time", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return figure
