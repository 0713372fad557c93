"""The ``sigmanet`` group of commands, and :func:`main`, which runs it and returns the status.

A command's module is imported only when that command runs (or shows its help), so the
program starts without loading what other commands need.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Sequence

import click

from sigmanet.cli._command import (
    CONTEXT_SETTINGS,
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    examples,
)
from sigmanet.cli._errors import PROG, CommandError, UsageError

__all__ = ["COMMANDS", "EXIT_BROKEN_PIPE", "EXIT_INTERRUPTED", "main"]

#: Each command, with its one-line help: the module ``sigmanet.cli.<name>`` defines ``command``.
COMMANDS = {
    "train": "train a model on a CSV/Parquet file",
    "predict": "predict with a saved model",
    "evaluate": "score a saved model on labelled data",
    "info": "describe a saved model",
    "export": "write a saved model as ONNX",
    "plot": "draw a figure (needs matplotlib)",
    "trace": "one backpropagation step, printed",
    "demo": "train on scikit-learn's digits and report",
    "playground": "a live laboratory in the browser",
}


class _Commands(click.Group):
    """A group that imports a command's module when the command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"sigmanet.cli.{cmd_name}")
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # the one-line help from the table, so listing the commands imports none of them
        with formatter.section("Commands"):
            formatter.write_dl(list(COMMANDS.items()))


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from sigmanet._version import __version__

    click.echo(f"{PROG} {__version__}")
    ctx.exit()


@click.group(
    cls=_Commands,
    name=PROG,
    context_settings=CONTEXT_SETTINGS,
    no_args_is_help=False,
    epilog=examples(
        """examples:
  sigmanet demo
  sigmanet train data.csv --target label --save model.safetensors
  sigmanet predict model.safetensors new.csv --output predictions.csv
  sigmanet trace

Run 'sigmanet COMMAND --help' for a command's options."""
    ),
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def root() -> None:
    """sigmanet: the sigmoid family of models from first principles."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sigmanet`` command with ``argv`` (default ``sys.argv[1:]``); return its status.

    0 on success, 1 for a data or model error, 2 for a usage error. Errors are printed as one
    line on stderr, ``sigmanet: error: ...``, without a traceback. As shells report a process
    ended by a signal: 130 (128 + SIGINT) after Ctrl-C, and 141 (128 + SIGPIPE), silently, when
    the reader of stdout has gone (``sigmanet predict ... | head -1``).
    """
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        try:
            # click's parsing and dispatch without click.main's own handling of Ctrl-C, closed
            # pipes and exit statuses, which differ from the ones promised above
            with root.make_context(PROG, args) as ctx:
                status = root.invoke(ctx)
        except click.exceptions.Exit as exit_:  # --help and --version
            return int(exit_.exit_code)
        except click.UsageError as error:
            where = error.ctx.command_path if error.ctx is not None else PROG
            raise UsageError(f"{error.format_message()} (see '{where} --help')") from error
        except click.ClickException as error:
            raise CommandError(error.format_message()) from error
        sys.stdout.flush()  # a closed pipe is reported here, not as an error at interpreter exit
        return int(status or 0)
    except UsageError as error:
        print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except CommandError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout has gone (`sigmanet predict ... | head -1`): the rest is not
        # wanted. Stop quietly, as cat or grep do when SIGPIPE ends them; what is still
        # buffered goes to /dev/null, so that Python's flush at exit cannot fail again.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as error:
        from sigmanet.exceptions import SigmanetError

        if isinstance(error, SigmanetError | ValueError | OSError | ImportError):
            print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
            return 1
        raise


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    if isinstance(error, OSError) and error.filename and error.strerror:
        text = f"{error.filename}: {error.strerror}"
    return " ".join(text.split())
