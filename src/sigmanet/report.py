"""Training reports: one self-contained HTML file that describes a fitted model and its run.

:func:`write_report` (and ``sigmanet train ... --report report.html``) writes a single HTML
file that opens in any browser without a network: no script, stylesheet, font or image is
fetched from anywhere. It shows

* the data: rows, features, per-feature statistics, the classes or the target's range;
* the model: its class, parameters, layer shapes and parameter count;
* the loss curve, with the validation loss and score when they were recorded;
* metrics on the held-out data (or the training data) and, for classifiers, the confusion
  matrix (for multi-label classifiers, subset accuracy, Hamming loss and per-sample F1);
* the gradient flow, when a :class:`~sigmanet.diagnostics.GradientFlowRecorder` watched the
  fit;
* the decision regions, for a classifier of two features.

The figures are inline SVG drawn here (no plotting library needed), and the configuration,
history, metrics and library versions are embedded as one JSON block,
``<script type="application/json" id="sigmanet-run">``, so the run is machine-readable. The
output is deterministic: the same fitted model and data give the same bytes (no time stamps,
no random identifiers, numbers printed with fixed precision).
"""

from __future__ import annotations

import html
import json
import math
import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sigmanet.io.atomic import write_atomically

__all__ = ["build_report", "write_report"]

#: The id of the embedded JSON block.
RUN_DATA_ID = "sigmanet-run"

_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2")
_LIGHT = ("#c6dbef", "#fcbba1", "#c7e9c0", "#fdd0a2", "#dadaeb", "#d9c3b8", "#f7c6e4")
_MAX_FEATURE_ROWS = 50
_MAX_POINTS = 400
_GRID = 60


# -- small helpers -----------------------------------------------------------------------------


def _number(value: float, digits: int = 6) -> str:
    """A float as text with ``digits`` significant digits, the same on every platform."""
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return f"{value:.{digits}g}"


def _jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays made plain, and non-finite floats as null."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    return repr(value)


def _versions() -> dict[str, str]:
    import scipy
    import sklearn

    from sigmanet._version import __version__

    return {
        "sigmanet": __version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
    }


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    attr = f' class="{cls}"' if cls else ""
    thead = f"<thead><tr>{head}</tr></thead>" if any(header) else ""
    return f"<table{attr}>{thead}<tbody>{body}</tbody></table>"


# -- SVG figures -------------------------------------------------------------------------------

_W, _H = 560, 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 150, 28, 44


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    step = (high - low) / (count - 1)
    return [low + index * step for index in range(count)]


def _svg_open(title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{html.escape(title)}">'
        f'<text x="{_W / 2:.0f}" y="16" text-anchor="middle" class="title">'
        f"{html.escape(title)}</text>"
    )


def _svg_lines(
    series: Sequence[tuple[str, Sequence[float]]],
    title: str,
    xlabel: str,
    ylabel: str,
    *,
    log_y: bool = False,
) -> str:
    """A line chart of each ``(name, values)`` against 1, 2, …; ``log_y`` plots log10 values."""
    cleaned = []
    for name, values in series:
        ys = np.asarray(values, dtype=np.float64)
        if log_y:
            with np.errstate(divide="ignore", invalid="ignore"):
                ys = np.where(ys > 0, np.log10(np.where(ys > 0, ys, 1.0)), np.nan)
        cleaned.append((name, ys))
    finite = np.concatenate([ys[np.isfinite(ys)] for _, ys in cleaned] or [np.zeros(0)])
    n = max((ys.size for _, ys in cleaned), default=0)
    parts = [_svg_open(title)]
    if finite.size == 0 or n == 0:
        parts.append(f'<text x="{_W / 2:.0f}" y="{_H / 2:.0f}" text-anchor="middle">no data</text>')
        return "".join(parts) + "</svg>"
    low, high = float(finite.min()), float(finite.max())
    if high - low < 1e-12 * max(1.0, abs(high)):
        low, high = low - 0.5, high + 0.5
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def px(index: int) -> float:
        return _LEFT + (plot_w * index / (n - 1) if n > 1 else plot_w / 2)

    def py(value: float) -> float:
        return _TOP + plot_h * (1.0 - (value - low) / (high - low))

    parts.append(f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" class="frame"/>')
    for tick in _ticks(low, high):
        label = _number(10.0**tick, 3) if log_y else _number(tick, 4)
        parts.append(
            f'<line x1="{_LEFT - 4}" x2="{_LEFT + plot_w}" y1="{py(tick):.1f}" '
            f'y2="{py(tick):.1f}" class="grid"/>'
            f'<text x="{_LEFT - 6}" y="{py(tick) + 4:.1f}" text-anchor="end">{label}</text>'
        )
    for index in sorted({0, (n - 1) // 2, n - 1}):
        parts.append(
            f'<text x="{px(index):.1f}" y="{_TOP + plot_h + 16}" text-anchor="middle">'
            f"{index + 1}</text>"
        )
    parts.append(
        f'<text x="{_LEFT + plot_w / 2:.0f}" y="{_H - 8}" text-anchor="middle">'
        f"{html.escape(xlabel)}</text>"
        f'<text x="14" y="{_TOP + plot_h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {_TOP + plot_h / 2:.0f})">{html.escape(ylabel)}</text>'
    )
    for number, (name, ys) in enumerate(cleaned):
        color = _PALETTE[number % len(_PALETTE)]
        points = [
            (px(index), py(float(value))) for index, value in enumerate(ys) if math.isfinite(value)
        ]
        if len(points) == 1:
            parts.append(
                f'<circle cx="{points[0][0]:.1f}" cy="{points[0][1]:.1f}" r="3" fill="{color}"/>'
            )
        elif points:
            text = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{text}" fill="none" stroke="{color}" stroke-width="1.8"/>'
            )
        y_legend = _TOP + 14 + 18 * number
        parts.append(
            f'<line x1="{_W - _RIGHT + 12}" x2="{_W - _RIGHT + 32}" y1="{y_legend - 4}" '
            f'y2="{y_legend - 4}" stroke="{color}" stroke-width="2"/>'
            f'<text x="{_W - _RIGHT + 38}" y="{y_legend}">{html.escape(name)}</text>'
        )
    return "".join(parts) + "</svg>"


def _svg_regions(estimator: Any, X: np.ndarray, y: np.ndarray, names: Sequence[str]) -> str:
    """The predicted class over a grid covering two features, with the samples on top."""
    classes = list(np.asarray(estimator.classes_).tolist())
    span = np.ptp(X, axis=0)
    margin = np.where(span > 0, 0.05 * span, 0.5)
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs = np.linspace(low[0], high[0], _GRID)
    ys = np.linspace(low[1], high[1], _GRID)
    grid = np.array([[x, y_] for y_ in ys for x in xs], dtype=X.dtype)
    predicted = np.asarray(estimator.predict(grid)).reshape(_GRID, _GRID)
    index_of = {label: position for position, label in enumerate(classes)}
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    cell_w, cell_h = plot_w / _GRID, plot_h / _GRID
    parts = [_svg_open("decision regions (predicted class)"), '<g shape-rendering="crispEdges">']
    for row in range(_GRID):
        y_px = _TOP + plot_h - (row + 1) * cell_h
        start = 0
        for column in range(1, _GRID + 1):
            if column == _GRID or predicted[row, column] != predicted[row, start]:
                color = _LIGHT[index_of.get(predicted[row, start], 0) % len(_LIGHT)]
                parts.append(
                    f'<rect x="{_LEFT + start * cell_w:.1f}" y="{y_px:.1f}" '
                    f'width="{(column - start) * cell_w + 0.3:.1f}" height="{cell_h + 0.3:.1f}" '
                    f'fill="{color}"/>'
                )
                start = column
    parts.append("</g>")
    step = max(1, math.ceil(X.shape[0] / _MAX_POINTS))
    for point, label in zip(X[::step], y[::step], strict=True):
        cx = _LEFT + plot_w * (point[0] - low[0]) / (high[0] - low[0])
        cy = _TOP + plot_h * (1.0 - (point[1] - low[1]) / (high[1] - low[1]))
        color = _PALETTE[index_of.get(label, 0) % len(_PALETTE)]
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2.6" fill="{color}" class="point"/>')
    parts.append(
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" class="frame"/>'
        f'<text x="{_LEFT + plot_w / 2:.0f}" y="{_H - 8}" text-anchor="middle">'
        f"{html.escape(names[0])} ({_number(low[0], 3)} to {_number(high[0], 3)})</text>"
        f'<text x="14" y="{_TOP + plot_h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {_TOP + plot_h / 2:.0f})">'
        f"{html.escape(names[1])} ({_number(low[1], 3)} to {_number(high[1], 3)})</text>"
    )
    for number, label in enumerate(classes[: len(_PALETTE)]):
        y_legend = _TOP + 14 + 18 * number
        parts.append(
            f'<circle cx="{_W - _RIGHT + 20}" cy="{y_legend - 4}" r="4" '
            f'fill="{_PALETTE[number]}"/>'
            f'<text x="{_W - _RIGHT + 32}" y="{y_legend}">class {html.escape(str(label))}</text>'
        )
    return "".join(parts) + "</svg>"


# -- the sections ------------------------------------------------------------------------------


def _is_classifier(estimator: Any) -> bool:
    return getattr(estimator, "_estimator_type", None) == "classifier" or hasattr(
        estimator, "classes_"
    )


def _data_section(
    X: np.ndarray, y: np.ndarray, X_val: np.ndarray | None, names: Sequence[str], classifier: bool
) -> tuple[str, dict[str, Any]]:
    summary: dict[str, Any] = {
        "training_rows": int(X.shape[0]),
        "validation_rows": 0 if X_val is None else int(X_val.shape[0]),
        "features": int(X.shape[1]),
        "dtype": str(X.dtype),
    }
    rows = [
        ("training rows", summary["training_rows"]),
        ("validation rows", summary["validation_rows"]),
        ("features", summary["features"]),
        ("dtype", summary["dtype"]),
    ]
    if classifier and y.ndim == 2:
        summary["label_counts"] = [int(count) for count in np.sum(y != 0, axis=0)]
        rows.append(
            (
                "labels (training samples with each)",
                ", ".join(
                    f"{index}: {count}" for index, count in enumerate(summary["label_counts"])
                ),
            )
        )
    elif classifier:
        labels, counts = np.unique(y, return_counts=True)
        summary["class_counts"] = {
            str(label): int(count) for label, count in zip(labels, counts, strict=True)
        }
        rows.append(
            (
                "classes (training counts)",
                ", ".join(f"{label}: {count}" for label, count in summary["class_counts"].items()),
            )
        )
    else:
        target = np.asarray(y, dtype=np.float64)
        summary["target"] = {
            "min": float(np.min(target)),
            "mean": float(np.mean(target)),
            "max": float(np.max(target)),
        }
        rows.append(
            (
                "target min / mean / max",
                " / ".join(_number(value, 4) for value in summary["target"].values()),
            )
        )
    stats = []
    values = np.asarray(X, dtype=np.float64)
    for column, name in enumerate(names[:_MAX_FEATURE_ROWS]):
        col = values[:, column]
        stats.append(
            (name, *(_number(float(f(col)), 4) for f in (np.min, np.mean, np.std, np.max)))
        )
    note = ""
    if len(names) > _MAX_FEATURE_ROWS:
        note = f"<p>The first {_MAX_FEATURE_ROWS} of {len(names)} features.</p>"
    body = (
        _table(("", ""), rows, "facts")
        + "<h3>Features (training rows)</h3>"
        + note
        + _table(("feature", "min", "mean", "std", "max"), stats)
    )
    return body, summary


def _model_section(estimator: Any) -> tuple[str, dict[str, Any]]:
    params = _jsonable(estimator.get_params(deep=False)) if hasattr(estimator, "get_params") else {}
    shapes: list[list[int]] = []
    n_parameters = 0
    coefs = getattr(estimator, "coefs_", None)
    if coefs is not None:
        for weight, bias in zip(coefs, estimator.intercepts_, strict=True):
            shapes.append(list(np.shape(weight)))
            n_parameters += int(np.size(weight) + np.size(bias))
    elif hasattr(estimator, "coef_"):
        shapes.append(list(np.shape(estimator.coef_)))
        n_parameters = int(np.size(estimator.coef_) + np.size(getattr(estimator, "intercept_", 0)))
    model = {
        "class": type(estimator).__name__,
        "parameters": params,
        "weight_shapes": shapes,
        "n_parameters": n_parameters,
        "n_iter": _jsonable(getattr(estimator, "n_iter_", None)),
    }
    rows = [
        ("estimator", model["class"]),
        ("weight matrices", ", ".join("×".join(map(str, shape)) for shape in shapes) or "n/a"),
        ("trainable parameters", n_parameters),
        ("iterations (epochs)", model["n_iter"]),
    ]
    param_rows = [(key, json.dumps(value)) for key, value in sorted(params.items())]
    body = (
        _table(("", ""), rows, "facts")
        + "<h3>Parameters</h3>"
        + _table(("parameter", "value"), param_rows)
    )
    return body, model


def _metrics_section(
    estimator: Any, X: np.ndarray, y: np.ndarray, where: str, classifier: bool
) -> tuple[str, dict[str, Any]]:
    from sklearn import metrics

    predicted = np.asarray(estimator.predict(X))
    result: dict[str, Any] = {"evaluated_on": where, "samples": len(y)}
    multilabel = classifier and np.ndim(y) == 2
    if multilabel:
        # one yes/no question per label: no single confusion matrix
        result["subset_accuracy"] = float(metrics.accuracy_score(y, predicted))
        result["hamming_loss"] = float(metrics.hamming_loss(y, predicted))
        result["f1_samples"] = float(
            metrics.f1_score(y, predicted, average="samples", zero_division=0)
        )
    elif classifier:
        classes = np.asarray(estimator.classes_)
        result["accuracy"] = float(metrics.accuracy_score(y, predicted))
        if hasattr(estimator, "predict_proba"):
            proba = estimator.predict_proba(X)
            result["log_loss"] = float(metrics.log_loss(y, proba, labels=classes))
        for name, scorer in (
            ("precision_macro", metrics.precision_score),
            ("recall_macro", metrics.recall_score),
            ("f1_macro", metrics.f1_score),
        ):
            result[name] = float(
                scorer(y, predicted, labels=classes, average="macro", zero_division=0)
            )
        matrix = metrics.confusion_matrix(y, predicted, labels=classes)
        result["confusion_matrix"] = matrix.tolist()
        result["classes"] = _jsonable(classes)
    else:
        result["r2"] = float(metrics.r2_score(y, predicted)) if len(y) >= 2 else None
        result["mae"] = float(metrics.mean_absolute_error(y, predicted))
        result["rmse"] = float(math.sqrt(metrics.mean_squared_error(y, predicted)))
    rows = [
        (key.replace("_", " "), _number(value) if isinstance(value, float) else value)
        for key, value in result.items()
        if key not in ("confusion_matrix", "classes")
    ]
    body = _table(("metric", "value"), rows, "facts")
    if classifier and not multilabel:
        labels = [str(label) for label in result["classes"]]
        total = max(1, int(np.max(matrix)))
        head = "".join(f"<th>{html.escape(label)}</th>" for label in labels)
        cells = ""
        for label, counts in zip(labels, matrix, strict=True):
            tds = "".join(
                f'<td style="background:rgba(31,119,180,{0.08 + 0.6 * count / total:.3f})">'
                f"{int(count)}</td>"
                for count in counts
            )
            cells += f"<tr><th>{html.escape(label)}</th>{tds}</tr>"
        body += (
            "<h3>Confusion matrix</h3><p>Rows: true class; columns: predicted class.</p>"
            f'<table class="confusion"><thead><tr><th></th>{head}</tr></thead>'
            f"<tbody>{cells}</tbody></table>"
        )
    return body, result


# -- the report --------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:980px;
color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ddd;padding:.25em .6em;
text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}
table.facts td:first-child{text-align:left;font-weight:600}
svg{display:block;margin:.6em 0;font-size:11px}svg .title{font-size:13px;font-weight:600}
svg .frame{fill:none;stroke:#888}svg .grid{stroke:#e4e4e4}svg .point{stroke:#fff;stroke-width:.5}
footer{margin-top:2em;color:#666;font-size:.9em}
"""


def build_report(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    X_val: Any = None,
    y_val: Any = None,
    feature_names: Sequence[str] | None = None,
    title: str | None = None,
    config: Mapping[str, Any] | None = None,
    gradient_flow: Any = None,
) -> str:
    """The HTML text of a training report for a fitted ``estimator``.

    Parameters
    ----------
    estimator : fitted sigmanet (or scikit-learn) estimator
        Its ``loss_curve_``, ``validation_loss_curve_`` and ``validation_scores_`` are drawn
        when present.
    X, y : array_like of shape (n_samples, n_features) and (n_samples,)
        The training data (summarised; metrics are computed on it when there is no
        validation data).
    X_val, y_val : array_like, optional
        Held-out data: the metrics and the confusion matrix are computed on it.
    feature_names : sequence of str, optional
        One name per column of ``X``; default ``x0, x1, …``.
    title : str, optional
        The page title; default ``"sigmanet training report: <estimator class>"``.
    config : mapping, optional
        Anything else that describes the run (a command line, a data file's name); embedded
        in the JSON block as ``"config"`` beside the estimator's parameters.
    gradient_flow : GradientFlowRecorder, optional
        A recorder that watched the fit: its per-epoch mean ``|∂L/∂W|`` is drawn per layer.

    Returns
    -------
    str
        A complete HTML document with inline SVG figures and the run as embedded JSON.

    Examples
    --------
    >>> import numpy as np
    >>> from sigmanet import LogisticRegression
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> page = build_report(LogisticRegression().fit(X, y), X, y)
    >>> page.startswith("<!DOCTYPE html>"), 'id="sigmanet-run"' in page
    (True, True)
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n_samples, n_features); got shape {X.shape}.")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y must have the same number of rows; got {X.shape[0]} and {y.shape[0]}."
        )
    if (X_val is None) != (y_val is None):
        raise ValueError("Give both X_val and y_val, or neither.")
    X_val_arr = None if X_val is None else np.asarray(X_val)
    y_val_arr = None if y_val is None else np.asarray(y_val)
    if X_val_arr is not None and X_val_arr.shape[0] == 0:
        X_val_arr = y_val_arr = None
    names = [str(name) for name in feature_names] if feature_names is not None else None
    if names is None:
        names = [f"x{index}" for index in range(X.shape[1])]
    if len(names) != X.shape[1]:
        raise ValueError(f"feature_names has {len(names)} names but X has {X.shape[1]} columns.")
    classifier = _is_classifier(estimator)
    title = title or f"sigmanet training report: {type(estimator).__name__}"

    data_html, data_summary = _data_section(X, y, X_val_arr, names, classifier)
    # a wrapper such as TransformedTargetRegressor predicts; the model it wraps has the history
    inner = getattr(estimator, "regressor_", estimator)
    model_html, model_summary = _model_section(inner)
    if X_val_arr is not None and y_val_arr is not None:
        metrics_html, metrics = _metrics_section(
            estimator, X_val_arr, y_val_arr, "validation data", classifier
        )
    else:
        metrics_html, metrics = _metrics_section(estimator, X, y, "training data", classifier)

    history = {
        key: _jsonable(list(getattr(inner, attribute)))
        for key, attribute in (
            ("loss_curve", "loss_curve_"),
            ("validation_loss_curve", "validation_loss_curve_"),
            ("validation_scores", "validation_scores_"),
        )
        if getattr(inner, attribute, None) is not None
    }
    figures = []
    losses = [
        (label, history[key])
        for label, key in (
            ("training loss", "loss_curve"),
            ("validation loss", "validation_loss_curve"),
        )
        if history.get(key)
    ]
    if losses:
        figures.append(
            _svg_lines(
                [(label, [np.nan if v is None else v for v in values]) for label, values in losses],
                "loss per epoch",
                "epoch",
                "loss",
            )
        )
    if history.get("validation_scores"):
        figures.append(
            _svg_lines(
                [
                    (
                        "validation score",
                        [np.nan if v is None else v for v in history["validation_scores"]],
                    )
                ],
                "validation score per epoch",
                "epoch",
                "score",
            )
        )
    curves_html = "".join(figures) or "<p>This estimator recorded no loss curve.</p>"

    sections = [
        ("Data", data_html),
        ("Model", model_html),
        ("Loss and validation curves", curves_html),
        (f"Metrics ({metrics['evaluated_on']})", metrics_html),
    ]
    if gradient_flow is not None and int(getattr(gradient_flow, "n_epochs", 0)):
        flow = np.asarray(gradient_flow.history)
        history["gradient_flow"] = {
            "layers": list(gradient_flow.layer_names),
            "mean_abs_gradient": _jsonable(flow),
        }
        sections.append(
            (
                "Gradient flow",
                "<p>Mean |∂L/∂W| of each weight matrix per epoch (log scale). Layers far below "
                "the last one learn slowly: the vanishing gradient.</p>"
                + _svg_lines(
                    list(zip(gradient_flow.layer_names, flow.T, strict=True)),
                    "gradient flow",
                    "epoch",
                    "mean |∂L/∂W|",
                    log_y=True,
                ),
            )
        )
    if classifier and y.ndim == 1 and X.shape[1] == 2:
        sections.append(("Decision regions", _svg_regions(estimator, X, y, names)))

    run = {
        "title": title,
        "config": _jsonable(dict(config or {})),
        "data": data_summary,
        "model": model_summary,
        "history": history,
        "metrics": metrics,
        "versions": _versions(),
    }
    # "</" cannot end the script element early once written as "<\/" (still the same JSON)
    payload = json.dumps(run, sort_keys=True, ensure_ascii=False, allow_nan=False)
    payload = payload.replace("</", "<\\/")
    body = "".join(
        f'<section id="{html.escape(name.split()[0].lower())}"><h2>{html.escape(name)}</h2>'
        f"{content}</section>"
        for name, content in sections
    )
    versions = ", ".join(f"{name} {version}" for name, version in run["versions"].items())
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>"
        f"<h1>{html.escape(title)}</h1>{body}"
        f"<footer>Made by {html.escape(versions)}. The run as JSON is embedded in this page "
        f"(element <code>#{RUN_DATA_ID}</code>).</footer>\n"
        f'<script type="application/json" id="{RUN_DATA_ID}">{payload}</script>\n'
        "</body></html>\n"
    )


def write_report(
    path: str | os.PathLike[str],
    estimator: Any,
    X: Any,
    y: Any,
    *,
    overwrite: bool = False,
    **options: Any,
) -> Path:
    """Write :func:`build_report`'s page to ``path`` and return the path.

    The file is written whole or not at all, as model files are
    (:func:`sigmanet.io.atomic.write_atomically`), so a reader never sees half a report. An
    existing file is replaced only with ``overwrite=True``. ``options`` are those of
    :func:`build_report`.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is false.
    IsADirectoryError
        If ``path`` is a directory.
    FileNotFoundError
        If the directory of ``path`` does not exist.
    """
    data = build_report(estimator, X, y, **options).encode("utf-8")
    return write_atomically(path, data, overwrite=overwrite)
