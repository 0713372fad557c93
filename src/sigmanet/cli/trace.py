"""``sigmanet trace``: one backpropagation step of a tiny network, printed beside the formulas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import numpy as np

from sigmanet.cli._command import CONTEXT_SETTINGS, examples, run
from sigmanet.cli._errors import UsageError
from sigmanet.cli._types import FiniteFloat, FloatList, IntList, JSONValue


def _arr(values: np.ndarray, indent: int = 0) -> str:
    """An array for the trace: vectors as ``[a, b]``, matrices aligned row under row."""
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[0] == 1:
        values = values[0]
    if values.ndim <= 1:
        return "[" + ", ".join(f"{value:.6g}" for value in np.atleast_1d(values)) + "]"
    text = np.array2string(
        values, precision=6, separator=", ", floatmode="maxprec", max_line_width=100 - indent
    )
    return text.replace("\n", "\n" + " " * indent)


def _show(out: Any, prefix: str, values: np.ndarray, suffix: str = "") -> None:
    print(f"{prefix}{_arr(values, len(prefix))}{suffix}", file=out)


_TRACE_KEYS = (
    "x",
    "y",
    "weights",
    "biases",
    "activation",
    "output_activation",
    "loss",
    "learning_rate",
)


_TRACE_DEFAULTS = {"activation": "sigmoid", "loss": "squared_error", "learning_rate": 0.5}


def _trace_file(path: str) -> dict[str, Any]:
    """The values of ``trace --params FILE``: a JSON object with keys of :data:`_TRACE_KEYS`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read --params file {path}: {error.strerror or error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"--params file {path} is not valid JSON (line {error.lineno}, column "
            f"{error.colno}: {error.msg})."
        ) from None
    if not isinstance(document, dict):
        raise UsageError(f"--params file {path} must hold a JSON object {{...}} of named values.")
    unknown = sorted(set(document) - set(_TRACE_KEYS))
    if unknown:
        raise UsageError(
            f"--params file {path} has unknown key(s) {', '.join(map(repr, unknown))}; "
            f"valid keys: {', '.join(_TRACE_KEYS)}."
        )
    return document


def cmd_trace(args: Any, stdout: Any, stderr: Any) -> int:
    from sigmanet.diagnostics import trace_backprop

    # the file, then the options given on the command line over it, then the defaults
    values: dict[str, Any] = _trace_file(args.params) if args.params else {}
    for key in _TRACE_KEYS:
        given = getattr(args, key)
        if given is not None:
            values[key] = given
    for key, default in _TRACE_DEFAULTS.items():
        values.setdefault(key, default)
    explicit = "weights" in values
    if not explicit and "biases" in values:
        raise UsageError("biases were given without weights: give --weights too.")
    seed = 0 if args.seed is None else args.seed
    options = {
        "activation": values["activation"],
        "output_activation": values.get("output_activation"),
        "loss": values["loss"],
        "learning_rate": values["learning_rate"],
    }
    try:
        trace = trace_backprop(
            values.get("x"),
            values.get("y"),
            layer_sizes=args.sizes or (2, 3, 1),
            weights=values.get("weights"),
            biases=values.get("biases"),
            random_state=seed,
            **options,
        )
        after = trace_backprop(
            trace.x,
            trace.y,
            weights=[step.W_new for step in trace.layers],
            biases=[step.b_new for step in trace.layers],
            **options,
        )
    except (TypeError, ValueError) as error:
        raise UsageError(str(error)) from error
    out = stdout
    L = len(trace.layers)
    last = trace.layers[-1]
    sizes = "-".join(map(str, trace.layer_sizes))
    sigmoid_out = last.activation in ("sigmoid", "logistic")
    g_out = "σ" if sigmoid_out else "g"
    loss_text = "squared error" if trace.loss_name == "squared_error" else "log loss"
    samples = "one sample" if trace.x.shape[0] == 1 else f"{trace.x.shape[0]} samples"
    print(
        f"One forward and backward pass of a {sizes} network ({values['activation']} hidden, "
        f"{last.activation} output), {samples}, {loss_text}.",
        file=out,
    )
    print(
        f"x = {_arr(trace.x)}    y = {_arr(trace.y)}    η (learning rate) = "
        f"{trace.learning_rate:g}",
        file=out,
    )
    if explicit:
        print("Weights and biases as given.", file=out)
    else:
        print(
            f"Weights drawn with seed {seed} uniformly in [-1, 1], rounded to 2 decimals; "
            "biases 0.",
            file=out,
        )
    print(
        "Rows are samples: z = a W + b is the textbook column form W x + b, transposed.",
        file=out,
    )
    print("Recorded from the library's own forward and backward pass (Sequential).\n", file=out)

    sigmoid_formula = "      σ(z) = 1 / (1 + e^(-z))" if sigmoid_out else ""
    print(f"FORWARD   z[l] = a[l-1] W[l] + b[l]      a[l] = g(z[l]){sigmoid_formula}", file=out)
    pad = "    "
    for step in trace.layers:
        l = step.index
        print(f"  layer {l} ({step.W.shape[0]} → {step.W.shape[1]}, {step.activation})", file=out)
        _show(out, f"{pad}W[{l}] = ", step.W)
        _show(out, f"{pad}b[{l}] = ", step.b)
        _show(out, f"{pad}z[{l}] = a[{l - 1}] W[{l}] + b[{l}] = ", step.z)
        _show(out, f"{pad}a[{l}] = {step.activation}(z[{l}]) = ", step.a)
    _show(out, f"  output  ŷ = a[{L}] = ", trace.output)
    if trace.loss_name == "squared_error":
        mean = "" if trace.x.shape[0] == 1 else "(1/m) Σ_rows "
        print(f"  loss    L = {mean}½ Σ (ŷ - y)² = {trace.loss:.6g}\n", file=out)
    else:
        mean = "" if trace.x.shape[0] == 1 else "(1/m) Σ_rows "
        print(f"  loss    L = {mean}-(y log ŷ + (1 - y) log(1 - ŷ)) = {trace.loss:.6g}\n", file=out)

    # with m samples dz is per sample and the batch loss their mean: the sums carry 1/m
    per_m, rows = ("", "") if trace.x.shape[0] == 1 else (" / m", "Σ_rows ")
    print(
        f"BACKWARD  dz[l] = ∂ℓ/∂z[l]      dW[l] = a[l-1]ᵀ dz[l]{per_m}      "
        f"db[l] = {rows}dz[l]{per_m}",
        file=out,
    )
    print(f"  layer {L} (output)", file=out)
    if sigmoid_out:
        _show(out, f"{pad}σ'(z[{L}]) = σ(z)(1 - σ(z)) = a[{L}](1 - a[{L}]) = ", last.g_prime)
    else:
        _show(out, f"{pad}g'(z[{L}]) = ", last.g_prime)
    if trace.loss_name == "squared_error":
        _show(out, f"{pad}δ = (y - ŷ) {g_out}'(z[{L}]) = ", trace.delta, "      (the delta rule)")
        _show(out, f"{pad}dz[{L}] = (ŷ - y) {g_out}'(z[{L}]) = -δ = ", last.dz)
    else:
        _show(out, f"{pad}dz[{L}] = ŷ - y = ", last.dz, "      (sigmoid with log loss: σ' cancels)")
    for step in reversed(trace.layers):
        l = step.index
        if l != L:
            g = "σ" if step.activation in ("sigmoid", "logistic") else "g"
            print(f"  layer {l}", file=out)
            if g == "σ":
                _show(out, f"{pad}σ'(z[{l}]) = a[{l}](1 - a[{l}]) = ", step.g_prime)
            else:
                _show(out, f"{pad}g'(z[{l}]) = ", step.g_prime)
            _show(out, f"{pad}dz[{l}] = (dz[{l + 1}] W[{l + 1}]ᵀ) ⊙ {g}'(z[{l}]) = ", step.dz)
        _show(out, f"{pad}dW[{l}] = a[{l - 1}]ᵀ dz[{l}]{per_m} = ", step.dW)
        _show(out, f"{pad}db[{l}] = {rows}dz[{l}]{per_m} = ", step.db)
    _show(
        out,
        f"  output layer in the delta rule's form, Δw_ij = η δ_j x_i = -η dW[{L}] = ",
        -trace.learning_rate * last.dW,
        "\n",
    )

    print(f"UPDATE    W ← W - η dW      b ← b - η db      (η = {trace.learning_rate:g})", file=out)
    for step in trace.layers:
        _show(out, f"  W[{step.index}] = ", step.W_new)
        _show(out, f"  b[{step.index}] = ", step.b_new)
    print(f"  loss after the step: {after.loss:.6g} (before: {trace.loss:.6g})", file=out)
    return 0


@click.command(
    "trace",
    context_settings=CONTEXT_SETTINGS,
    short_help="one backpropagation step, printed",
    epilog=examples(
        """examples:
  sigmanet trace
  sigmanet trace --x 0.05,0.10 --y 0.01,0.99 --sizes 2,2,2 --learning-rate 0.5
  sigmanet trace --x 0.05,0.10 --y 0.01,0.99 --learning-rate 0.5 \\
      --weights '[[[0.15, 0.25], [0.20, 0.30]], [[0.40, 0.50], [0.45, 0.55]]]' \\
      --biases '[[0.35, 0.35], [0.60, 0.60]]'
  sigmanet trace --params step.json      # the same values as one JSON object

A --params file holds any of the keys x, y, weights, biases, activation,
output_activation, loss, learning_rate; options on the command line override it.
weights[l] is W[l] of shape (inputs, outputs): z = a W + b, rows are samples."""
    ),
)
@click.option(
    "--params",
    metavar="FILE.json",
    help="a JSON object with x, y, weights, biases, ... (options override it)",
)
@click.option("--x", type=FloatList(), help="input (default 1,0.5)")
@click.option("--y", type=FloatList(), help="target (default 1)")
@click.option(
    "--weights",
    type=JSONValue(),
    help="W[1], W[2], ... as a JSON list of (inputs × outputs) matrices",
)
@click.option(
    "--biases", type=JSONValue(), help="b[1], b[2], ... as a JSON list of vectors (default zeros)"
)
@click.option(
    "--sizes",
    type=IntList(),
    help="layer widths from input to output, for drawn weights (default 2,3,1)",
)
@click.option("--activation", metavar="NAME", help="hidden activation (default sigmoid)")
@click.option(
    "--output-activation", metavar="NAME", help="output activation (default: --activation)"
)
@click.option("--loss", type=click.Choice(("squared_error", "log_loss")), help="the loss")
@click.option(
    "--learning-rate",
    type=FiniteFloat(min=0, min_open=True),
    metavar="ETA",
    help="default 0.5",
)
@click.option("--seed", type=int, help="seed of drawn weights (default 0)")
def command(**options: Any) -> int:
    """One forward and backward pass of a tiny network with every intermediate value, beside
    the formulas."""
    return run(cmd_trace, options)
