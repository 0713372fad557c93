"""``sigmanet playground``: serve the playground page on this machine."""

from __future__ import annotations

from typing import Any

import click

from sigmanet.cli._command import CONTEXT_SETTINGS, examples, run


def _serve(args: Any, stdout: Any, stderr: Any) -> int:
    from sigmanet.playground.command import run as serve

    return serve(args, stdout, stderr)


@click.command(
    "playground",
    context_settings=CONTEXT_SETTINGS,
    short_help="a live laboratory in the browser",
    epilog=examples(
        """examples:
  sigmanet playground
  sigmanet playground --port 8765 --no-browser"""
    ),
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    metavar="N",
    help="port to listen on (default: a free one)",
)
@click.option(
    "--host",
    type=click.Choice(("127.0.0.1", "localhost")),
    default="127.0.0.1",
    help="loopback address to listen on (default 127.0.0.1)",
)
@click.option("--no-browser", is_flag=True, help="print the URL without opening a browser")
def command(**options: Any) -> int:
    """Serve the playground, a page where you build a small network, train it on 2-D data and
    watch backpropagation work: the decision boundary, the losses, each unit's output, the
    gradient per layer, the numbers of a single step. It runs on this machine only (127.0.0.1);
    Ctrl-C stops it."""
    return run(_serve, options)
