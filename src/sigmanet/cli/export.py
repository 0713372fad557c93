"""``sigmanet export``: a model file as an ONNX graph, for serving without Python."""

from __future__ import annotations

from typing import Any

import click

from sigmanet.cli._command import CONTEXT_SETTINGS, examples, run
from sigmanet.cli._errors import CommandError
from sigmanet.cli._files import _refuse_overwriting_inputs
from sigmanet.cli._models import load_model

#: The formats ``--to`` takes.
FORMATS = ("onnx",)


def _describe(graph: Any) -> str:
    """``inputs X (float32, 4 columns); outputs label, probabilities``."""
    from onnx import helper

    inputs = []
    for value in graph.input:
        tensor = value.type.tensor_type
        dtype = helper.tensor_dtype_to_np_dtype(tensor.elem_type)
        kind = "string" if dtype.kind == "O" else dtype.name
        width = tensor.shape.dim[1].dim_value
        inputs.append(f"{value.name} ({kind}{f', {width} columns' if width > 1 else ''})")
    outputs = ", ".join(value.name for value in graph.output)
    return f"inputs {', '.join(inputs)}; outputs {outputs}"


def cmd_export(args: Any, stdout: Any, stderr: Any) -> int:
    _refuse_overwriting_inputs("--output", args.output, {"model file": args.model})
    model = load_model(args.model)
    try:
        from sigmanet.io.onnx import to_onnx

        proto = to_onnx(model, args.output, overwrite=args.force)
    except FileExistsError as error:
        raise CommandError(f"{args.output} already exists; pass --force to overwrite it") from error
    except FileNotFoundError as error:
        raise CommandError(f"cannot write {args.output}: {error}") from error
    except ValueError as error:
        raise CommandError(f"{args.model}: {error}") from error
    print(f"wrote {args.output}: {_describe(proto.graph)}", file=stderr)
    return 0


@click.command(
    "export",
    context_settings=CONTEXT_SETTINGS,
    short_help="write a saved model as ONNX",
    epilog=examples(
        """example:
  sigmanet export iris.safetensors --to onnx --output iris.onnx

The graph holds the whole pipeline (the preprocessing and the estimator); a model with
categorical columns takes one input per column. See sigmanet.io.onnx for its inputs and
outputs. Needs the onnx package: pip install "sigmanet[onnx]"."""
    ),
)
@click.argument("model", metavar="MODEL")
@click.option("--to", "to", type=click.Choice(FORMATS), required=True, help="the format to write")
@click.option("--output", metavar="FILE", required=True, help="the file to write")
@click.option("--force", is_flag=True, help="overwrite an existing FILE")
def command(**options: Any) -> int:
    """Write the model file MODEL, its preprocessing included, as one ONNX graph in FILE."""
    return run(cmd_export, options)
