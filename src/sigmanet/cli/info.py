"""``sigmanet info``: what a model file holds."""

from __future__ import annotations

from typing import Any

import click
import numpy as np

from sigmanet.cli._command import CONTEXT_SETTINGS, examples, run
from sigmanet.cli._data import _walk
from sigmanet.cli._models import _load_for_data, recorded_target
from sigmanet.cli._output import _console, _fmt


def _layer_rows(model: Any) -> list[tuple[str, str, str, str]]:
    network = getattr(model, "network_", None)
    rows: list[tuple[str, str, str, str]] = []
    if network is None:
        return rows
    for index, layer in enumerate(network.layers):
        config = layer.get_config()
        kind = type(layer).__name__
        if "activation" in config:
            activation = config["activation"]
            name = activation.get("name") if isinstance(activation, dict) else activation
            kind = f"{kind}({name})"
        shapes = ", ".join(f"{key} {tuple(value.shape)}" for key, value in layer.params.items())
        count = sum(int(value.size) for value in layer.params.values())
        rows.append(
            (
                str(index),
                kind,
                f"{layer.input_dim} → {layer.output_dim}",
                f"{shapes or '-'}" + (f"  [{count}]" if count else ""),
            )
        )
    return rows


def cmd_info(args: Any, stdout: Any, stderr: Any) -> int:
    from rich.table import Table as RichTable

    from sigmanet.persistence import read_metadata

    meta = read_metadata(args.model)
    model, inputs = _load_for_data(args.model)
    estimator = inputs.estimator
    console = _console(stdout)
    console.print(
        f"{type(estimator).__name__}  ({args.model}; written by sigmanet "
        f"{meta.get('sigmanet_version')}, format {meta.get('format_version')})"
    )

    summary = RichTable()
    summary.add_column("property")
    summary.add_column("value")
    summary.add_row("inputs (n_features_in_)", _fmt(getattr(estimator, "n_features_in_", None)))
    if hasattr(estimator, "n_channels_"):
        summary.add_row("channels per time step (n_channels_)", _fmt(estimator.n_channels_))
    if hasattr(estimator, "classes_"):
        classes = np.asarray(estimator.classes_).tolist()
        shown = ", ".join(map(str, classes[:12])) + (" ..." if len(classes) > 12 else "")
        summary.add_row("classes", f"{len(classes)}: {shown}")
    summary.add_row("dtype", str(getattr(estimator, "dtype_", "-")))
    network = getattr(estimator, "network_", None)
    if network is not None:
        total = sum(int(value.size) for layer in network.layers for value in layer.params.values())
        summary.add_row("parameters", str(total))
    params = estimator.get_params(deep=False)
    for name in (
        "hidden_layer_sizes",
        "activation",
        "cell",
        "hidden_size",
        "num_layers",
        "bidirectional",
        "solver",
        "alpha",
        "C",
        "batch_size",
        "learning_rate",
        "learning_rate_init",
        "loss",
        "dropout",
        "class_weight",
        "early_stopping",
        "n_iter_no_change",
        "tol",
        "max_iter",
    ):
        if name in params:
            summary.add_row(name, _fmt(params[name]))
    if "random_state" in params:
        seed = params["random_state"]
        summary.add_row(
            "seed (random_state)",
            "none recorded (not reproducible)" if seed is None else _fmt(seed),
        )
    target = recorded_target(model)
    if target is not None:
        summary.add_row("target column", target)
    console.print("model")
    console.print(summary)

    layers = _layer_rows(estimator)
    if layers:
        table = RichTable()
        console.print("layers")
        for heading in ("#", "layer", "width", "parameters"):
            table.add_column(heading)
        for row in layers:
            table.add_row(*row)
        console.print(table)

    history = RichTable()
    history.add_column("quantity")
    history.add_column("value")
    history.add_row("iterations (n_iter_)", _fmt(getattr(estimator, "n_iter_", None)))
    loss = [float(v) for v in (getattr(estimator, "loss_curve_", None) or [])]
    if loss:
        history.add_row(
            "training loss first / last / min", f"{loss[0]:.6g} / {loss[-1]:.6g} / {min(loss):.6g}"
        )
    val_loss = [float(v) for v in (getattr(estimator, "validation_loss_curve_", None) or [])]
    if val_loss:
        history.add_row("validation loss last / min", f"{val_loss[-1]:.6g} / {min(val_loss):.6g}")
    scores = [float(v) for v in (getattr(estimator, "validation_scores_", None) or [])]
    if scores:
        history.add_row("validation score last / best", f"{scores[-1]:.6g} / {max(scores):.6g}")
    console.print("training history" + (" (standardised target)" if inputs.scaled_target else ""))
    console.print(history)

    coefficients = _coefficients_table(model, estimator)
    if coefficients is not None:
        console.print(coefficients[0])
        console.print(coefficients[1])

    if model is not estimator:
        table = RichTable()
        console.print("preprocessing (stored in the model file)")
        table.add_column("setting")
        table.add_column("value")
        if inputs.columns is not None:
            table.add_row("input columns", ", ".join(inputs.columns))
        if inputs.categories:
            table.add_row(
                "one-hot",
                "; ".join(
                    f"{name}: {', '.join(values)}" for name, values in inputs.categories.items()
                ),
            )
        table.add_row("impute", _imputation(model))
        table.add_row(
            "standardize", ", ".join(inputs.standardized) if inputs.standardized else "no"
        )
        table.add_row("scale target", "yes" if inputs.scaled_target else "no")
        console.print(table)
    return 0


#: the most coefficients listed (the largest in absolute value first when there are more)
MAX_COEFFICIENTS = 50


def _feature_names(model: Any, estimator: Any) -> list[str]:
    """The names of the estimator's input features: after one-hot encoding, for a pipeline."""
    try:
        if model is not estimator and hasattr(model, "steps"):
            return [str(name) for name in model[:-1].get_feature_names_out()]
        names = getattr(estimator, "feature_names_in_", None)
        if names is not None:
            return [str(name) for name in names]
    except (AttributeError, ValueError):
        pass
    return [f"x{index}" for index in range(int(estimator.n_features_in_))]


def _coefficients_table(model: Any, estimator: Any) -> tuple[str, Any] | None:
    """A linear model's weights per input feature (one column per class beyond two)."""
    from rich.table import Table as RichTable

    coef = getattr(estimator, "coef_", None)
    if coef is None:
        return None
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    names = _feature_names(model, estimator)
    if len(names) != coef.shape[1]:
        names = [f"x{index}" for index in range(coef.shape[1])]
    classes = np.asarray(getattr(estimator, "classes_", [])).tolist()
    headings = (
        [f"class {label}" for label in classes]
        if coef.shape[0] == len(classes) and len(classes) > 2
        else [f"weight (towards {classes[-1]})" if classes else "weight"]
    )
    order = np.arange(coef.shape[1])
    title = "coefficients (the weights w of the logits x·w + b, on the model's inputs)"
    if coef.shape[1] > MAX_COEFFICIENTS:
        order = np.argsort(-np.abs(coef).max(axis=0), kind="stable")[:MAX_COEFFICIENTS]
        title += f"; the {MAX_COEFFICIENTS} largest of {coef.shape[1]}"
    table = RichTable()
    table.add_column("feature")
    for heading in headings:
        table.add_column(heading, justify="right")
    for index in order.tolist():
        table.add_row(names[index], *(_fmt(float(value)) for value in coef[:, index]))
    intercept = np.atleast_1d(np.asarray(getattr(estimator, "intercept_", []), dtype=np.float64))
    if intercept.size == coef.shape[0]:
        table.add_row("(intercept b)", *(_fmt(float(value)) for value in intercept))
    return title, table


def _imputation(model: Any) -> str:
    from sklearn.impute import SimpleImputer

    strategies = sorted({step.strategy for step in _walk(model) if isinstance(step, SimpleImputer)})
    return ", ".join(strategies) if strategies else "none (rows with missing values refused)"


@click.command(
    "info",
    context_settings=CONTEXT_SETTINGS,
    short_help="describe a saved model",
    epilog=examples(
        """example:
  sigmanet info iris.safetensors"""
    ),
)
@click.argument("model", metavar="MODEL")
def command(**options: Any) -> int:
    """Layers, shapes, parameters and training history of the model file MODEL."""
    return run(cmd_info, options)
