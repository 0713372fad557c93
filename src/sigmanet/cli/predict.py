"""``sigmanet predict``: predictions of a saved model for a data file, as CSV."""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path
from typing import Any

import click
import numpy as np

from sigmanet.cli._command import CONTEXT_SETTINGS, examples, run
from sigmanet.cli._data import (
    _cells_checked,
    as_model_input,
    prepare_inputs,
    read_for_model,
)
from sigmanet.cli._errors import CommandError
from sigmanet.cli._files import _refuse_overwriting_inputs
from sigmanet.cli._models import _load_for_data
from sigmanet.cli._output import _emit_warnings, _format_number


def cmd_predict(args: Any, stdout: Any, stderr: Any) -> int:
    if args.output:
        _refuse_overwriting_inputs(
            "--output", args.output, {"data file": args.data, "model file": args.model}
        )
    model, inputs = _load_for_data(args.model)
    # the ID column is read beside the model's inputs, as the text it is ("007" stays so); a
    # model that does not name its input columns reads every column but the ID column
    table = read_for_model(
        args.data,
        model,
        inputs,
        args.id_column,
        progress=stderr,
        what="--id-column",
        as_text=[args.id_column] if args.id_column is not None else [],
    )
    ids: list[str] | None = None
    if args.id_column is not None:
        ids = table.texts(args.id_column)
    X, _ = prepare_inputs(table, model, inputs, args.id_column, drop_incomplete=False)
    X = as_model_input(model, inputs, X)
    if args.proba and not hasattr(model, "predict_proba"):
        raise CommandError(f"{args.model}: this model has no class probabilities (--proba)")
    with warnings.catch_warnings(record=True) as caught, _cells_checked():
        warnings.simplefilter("always")
        predicted = np.asarray(model.predict(X))
        proba = np.asarray(model.predict_proba(X)) if args.proba else None
    _emit_warnings(caught, stderr)

    header: list[str]
    if predicted.ndim == 1:
        header = ["prediction"]
        columns = [predicted]
    else:
        header = [f"prediction_{index}" for index in range(predicted.shape[1])]
        columns = list(predicted.T)
    if proba is not None:
        header += [f"proba_{label}" for label in np.asarray(model.classes_).tolist()]
        columns += list(proba.T)
    if ids is not None:
        header.insert(0, args.id_column)
        columns.insert(0, np.asarray(ids, dtype=object))

    def write(handle: Any) -> None:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for values in zip(*columns, strict=True):
            writer.writerow([_format_number(value) for value in values])

    if args.output:
        output = Path(args.output)
        if output.exists() and not args.force:
            raise CommandError(f"{output} already exists; pass --force to overwrite it")
        text = io.StringIO(newline="")
        write(text)
        from sigmanet.persistence import write_atomically

        try:
            write_atomically(output, text.getvalue().encode("utf-8"), overwrite=args.force)
        except FileExistsError as error:
            raise CommandError(f"{output} already exists; pass --force to overwrite it") from error
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror or error}") from error
        print(f"wrote {len(predicted)} prediction(s) to {output}", file=stderr)
    else:
        write(stdout)
    return 0


@click.command(
    "predict",
    context_settings=CONTEXT_SETTINGS,
    short_help="predict with a saved model",
    epilog=examples(
        """example:
  sigmanet predict iris.safetensors new_flowers.csv --proba --output predictions.csv
  sigmanet predict model.safetensors customers.csv --id-column customer_id"""
    ),
)
@click.argument("model", metavar="MODEL")
@click.argument("data", metavar="DATA")
@click.option("--output", metavar="FILE", help="CSV file to write (default: stdout)")
@click.option("--proba", is_flag=True, help="add class probability columns")
@click.option(
    "--id-column",
    metavar="COLUMN",
    help="copy this column of DATA (an identifier) as the first column of the output",
)
@click.option("--force", is_flag=True, help="overwrite an existing FILE")
def command(**options: Any) -> int:
    """Write the predictions of the model file MODEL for DATA as CSV (one row per input row)."""
    return run(cmd_predict, options)
