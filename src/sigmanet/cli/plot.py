"""``sigmanet plot``: figures of activations, loss curves, decision regions, gradients."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np

from sigmanet.cli._command import CONTEXT_SETTINGS, examples, run
from sigmanet.cli._data import (
    _input_columns,
    parse_target,
    plan_training_data,
    prepare_inputs,
    raw_inputs,
    read_for_model,
    read_table,
)
from sigmanet.cli._errors import CommandError, UsageError
from sigmanet.cli._files import _refuse_overwriting_inputs
from sigmanet.cli._models import _estimator_classes, _is_classifier, _label_kind, _load_for_data
from sigmanet.cli._output import _console
from sigmanet.cli._types import DerivativeOrders, NameList


def _output_path(text: str) -> Path:
    from sigmanet.plotting import FIGURE_FORMATS

    path = Path(text)
    if path.suffix.lower() not in FIGURE_FORMATS:
        raise UsageError(f"--output must end in {', '.join(FIGURE_FORMATS)}; got {text!r}")
    if not path.resolve().parent.is_dir():
        raise CommandError(f"cannot write {text}: its directory does not exist")
    return path


def _save(figure: Any, path: Path, stderr: Any) -> None:
    import tempfile

    from sigmanet.persistence import write_atomically
    from sigmanet.plotting import save_figure

    try:
        # drawn aside, then written as the model files are: an existing picture is replaced
        # whole or not at all
        with tempfile.TemporaryDirectory() as scratch:
            drawn = save_figure(figure, Path(scratch) / f"figure{path.suffix}")
            write_atomically(path, drawn.read_bytes(), overwrite=True)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror or error}") from error
    print(f"wrote {path}", file=stderr)


def cmd_plot(args: Any, stdout: Any, stderr: Any) -> int:
    read = {"model file": getattr(args, "model", None), "data file": getattr(args, "data", None)}
    _refuse_overwriting_inputs(
        "--output", args.output, {role: path for role, path in read.items() if path}
    )
    output = _output_path(args.output)
    try:
        from sigmanet import plotting
    except ImportError as error:  # pragma: no cover - only without matplotlib
        raise CommandError(str(error)) from error
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:  # pragma: no cover
        raise CommandError('plotting needs matplotlib: pip install "sigmanet[plot]"') from error

    if args.plot == "activations":
        from sigmanet import activations

        known = set(activations.names())
        unknown = [name for name in args.names if name not in known]
        if unknown:
            raise UsageError(
                f"unknown activation(s) {', '.join(unknown)}; available: {', '.join(sorted(known))}"
            )
        figure = plotting.plot_activations(args.names, derivatives=args.derivatives)
    elif args.plot == "loss":
        _, inputs = _load_for_data(args.model)
        figure = plotting.plot_loss_curve(inputs.estimator, log_scale=args.log)
    elif args.plot == "boundary":
        model, inputs = _load_for_data(args.model)
        if not _is_classifier(model):
            raise CommandError(f"{args.model}: a decision boundary needs a classifier")
        table = read_for_model(args.data, model, inputs, args.target)
        features = _input_columns(model, inputs, table, args.target)
        if len(features) != 2:
            raise CommandError(
                f"{args.model}: the model has {len(features)} input columns; a decision "
                "boundary needs a model trained on exactly 2"
            )
        if inputs.categories:
            raise CommandError(
                f"{args.model}: the model's inputs include one-hot columns; plot boundary needs "
                "a model trained on two numeric columns"
            )
        X, rows = prepare_inputs(table, model, inputs, args.target, drop_incomplete=True)
        y, missing = parse_target(table, args.target, _label_kind(model))
        keep = ~missing[rows]
        # the whole pipeline is drawn, so the axes are in the data's own units
        figure = plotting.plot_decision_boundary(
            model,
            X[keep],
            y[rows][keep],
            feature_names=features,
            name=type(inputs.estimator).__name__,
        )
    elif args.plot == "gradients-through-time":
        figure = _through_time_figure(args, stdout)
    else:  # gradient-flow
        figure = _gradient_flow_figure(args, stdout, stderr)
    # checked once the figure's own arguments are, so that their errors come first
    if output.exists() and not args.force:
        raise CommandError(f"{output} already exists; pass --force to overwrite it")
    _save(figure, output, stderr)
    return 0


def _gradient_flow_data(args: Any) -> tuple[np.ndarray, np.ndarray, str]:
    from sigmanet.preprocessing import StableStandardScaler

    if args.data is None:
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        name = "scikit-learn digits"
    else:
        if args.target is None:
            raise UsageError("--data needs --target COLUMN")
        table = read_table(args.data, required={"target column": [args.target]})
        plan = plan_training_data(table, args.target, [], False, "none", True)
        X = raw_inputs(table, plan.columns, plan.features, (), plan.rows)
        y = plan.y[plan.rows]
        name = args.data
    return StableStandardScaler().fit_transform(X), y, name


def _gradient_flow_figure(args: Any, stdout: Any, stderr: Any) -> Any:
    from sigmanet import plotting
    from sigmanet.diagnostics import GradientFlowRecorder

    X, y, name = _gradient_flow_data(args)
    cls = _estimator_classes()["MLPClassifier"]
    recorders = {}
    for activation in ("sigmoid", "relu"):
        recorder = GradientFlowRecorder()
        model = cls(
            hidden_layer_sizes=(args.width,) * args.depth,
            activation=activation,
            alpha=0.0,
            max_iter=args.epochs,
            random_state=args.random_state,
        )
        with warnings.catch_warnings():
            # a few epochs cannot converge, and that is not the point here
            warnings.simplefilter("ignore")
            model.fit(X, y, callbacks=[recorder])
        recorders[activation] = recorder
    console = _console(stdout)
    console.print(
        f"mean |dL/dW| per layer, {args.depth} hidden layers of {args.width}, "
        f"{args.epochs} epoch(s) on {name} (standardised):"
    )
    for activation, recorder in recorders.items():
        mean = recorder.history.mean(axis=0)
        ratio = mean[0] / mean[-1] if mean[-1] > 0 else float("nan")
        values = "  ".join(f"{value:.2e}" for value in mean)
        console.print(f"  {activation:8s} {values}   first/last = {ratio:.3g}")
    return plotting.plot_gradient_flow(
        recorders,
        title=f"gradient flow: {args.depth}×{args.width} sigmoid vs relu on {name}",
    )


def _through_time_figure(args: Any, stdout: Any) -> Any:
    from sigmanet import plotting
    from sigmanet.diagnostics import gradients_through_time

    try:
        norms = gradients_through_time(
            args.cells, steps=args.steps, units=args.units, random_state=args.random_state
        )
    except ValueError as error:
        raise CommandError(f"--cells: {error}") from error
    console = _console(stdout)
    console.print(f"‖dL/dh_t‖ with the loss at step {args.steps}, {args.units} units:")
    marks = sorted({0, min(10, args.steps - 1), min(50, args.steps - 1), args.steps - 1})
    console.print("  steps back " + "  ".join(f"{back:>8d}" for back in marks))
    for cell, curve in norms.items():
        values = "  ".join(f"{curve[args.steps - 1 - back]:8.1e}" for back in marks)
        console.print(f"  {cell:<10} {values}")
    return plotting.plot_gradients_through_time(
        norms, title=f"gradients through time over {args.steps} steps"
    )


def _output_option(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option("--force", is_flag=True, help="overwrite an existing FILE")(function)
    return click.option(
        "--output", required=True, metavar="FILE", help="image file: .png, .svg or .pdf"
    )(function)


def _figure(name: str, options: dict[str, Any]) -> int:
    return run(cmd_plot, {**options, "plot": name})


@click.group(
    "plot",
    context_settings=CONTEXT_SETTINGS,
    no_args_is_help=False,
    short_help="draw a figure (needs matplotlib)",
    epilog=examples(
        """examples:
  sigmanet plot activations --names sigmoid,tanh,relu --output activations.png
  sigmanet plot loss iris.safetensors --output loss.svg
  sigmanet plot boundary model.safetensors two_features.csv --target label --output regions.png
  sigmanet plot gradient-flow --output gradient_flow.png
  sigmanet plot gradients-through-time --output through_time.png"""
    ),
)
def command() -> None:
    """Draw a figure to a .png, .svg or .pdf file (an existing one is replaced only with
    --force)."""


@command.command(
    "activations",
    context_settings=CONTEXT_SETTINGS,
    short_help="activation functions and derivatives",
    epilog=examples(
        """example:
  sigmanet plot activations --names sigmoid,tanh --derivatives 0,1 --output activations.svg"""
    ),
)
@click.option(
    "--names",
    type=NameList(),
    default="sigmoid,tanh,relu",
    help="activations (default sigmoid,tanh,relu)",
)
@click.option(
    "--derivatives",
    type=DerivativeOrders(),
    default="0,1,2",
    help="orders to draw (default 0,1,2)",
)
@_output_option
def activations_command(**options: Any) -> int:
    """f, f' and f'' of registered activations."""
    return _figure("activations", options)


@command.command(
    "loss",
    context_settings=CONTEXT_SETTINGS,
    short_help="training/validation loss curves",
    epilog=examples(
        """example:
  sigmanet plot loss iris.safetensors --output loss.png"""
    ),
)
@click.argument("model", metavar="MODEL")
@click.option("--log", is_flag=True, help="logarithmic loss axis")
@_output_option
def loss_command(**options: Any) -> int:
    """The loss per epoch recorded in the model file MODEL."""
    return _figure("loss", options)


@command.command(
    "boundary",
    context_settings=CONTEXT_SETTINGS,
    short_help="decision regions of a 2-feature classifier",
    epilog=examples(
        """example:
  sigmanet plot boundary model.safetensors two_features.csv --target label --output regions.png"""
    ),
)
@click.argument("model", metavar="MODEL")
@click.argument("data", metavar="DATA")
@click.option("--target", required=True, metavar="COLUMN", help="the class column of DATA")
@_output_option
def boundary_command(**options: Any) -> int:
    """Decision regions of a classifier trained on two numeric columns, with the rows of DATA."""
    return _figure("boundary", options)


@command.command(
    "gradient-flow",
    context_settings=CONTEXT_SETTINGS,
    short_help="vanishing gradients: deep sigmoid vs relu",
    epilog=examples(
        """example:
  sigmanet plot gradient-flow --depth 6 --width 32 --epochs 3 --output gradient_flow.png
  sigmanet plot gradient-flow --data cancer.csv --target diagnosis --output flow.svg"""
    ),
)
@click.option("--data", metavar="DATA", help="CSV file (default: scikit-learn digits)")
@click.option("--target", metavar="COLUMN", help="class column of DATA")
@click.option(
    "--depth", type=click.IntRange(min=1), default=6, metavar="N", help="hidden layers (default 6)"
)
@click.option(
    "--width",
    type=click.IntRange(min=1),
    default=32,
    metavar="N",
    help="units per hidden layer (default 32)",
)
@click.option(
    "--epochs", type=click.IntRange(min=1), default=3, metavar="N", help="epochs (default 3)"
)
@click.option("--random-state", type=int, default=0, metavar="SEED", help="seed (default 0)")
@_output_option
def gradient_flow_command(**options: Any) -> int:
    """Train the same deep network with sigmoid and with relu hidden layers for a few epochs,
    recording mean |dL/dW| per layer."""
    return _figure("gradient-flow", options)


@command.command(
    "gradients-through-time",
    context_settings=CONTEXT_SETTINGS,
    short_help="vanishing gradients through time: tanh RNN vs LSTM",
    epilog=examples(
        """example:
  sigmanet plot gradients-through-time --steps 100 --output through_time.png
  sigmanet plot gradients-through-time --cells rnn,lstm,gru --output through_time.svg"""
    ),
)
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=100,
    metavar="T",
    help="time steps (default 100)",
)
@click.option(
    "--units", type=click.IntRange(min=1), default=32, metavar="N", help="state width (default 32)"
)
@click.option(
    "--cells",
    type=NameList(),
    default="rnn,lstm",
    help="cells among rnn, lstm, gru (default rnn,lstm)",
)
@click.option("--random-state", type=int, default=0, metavar="SEED", help="seed (default 0)")
@_output_option
def gradients_through_time_command(**options: Any) -> int:
    """The norm of dL/dh_t against the steps between h_t and the loss, for a freshly
    initialised tanh RNN and LSTM on the same random sequences."""
    return _figure("gradients-through-time", options)
