"""The ``sigmanet playground`` command: its options and what it does."""

from __future__ import annotations

import argparse
import webbrowser
from typing import Any

__all__ = ["add_parser", "run"]

DESCRIPTION = """\
Serve the playground, a page where you build a small network, train it on 2-D data and watch
backpropagation work: the decision boundary, the losses, each unit's output, the gradient per
layer, the numbers of a single step. It runs on this machine only (127.0.0.1); Ctrl-C stops it.
"""

EXAMPLES = """\
examples:
  sigmanet playground
  sigmanet playground --port 8765 --no-browser
"""


def add_parser(subparsers: Any, formatter_class: Any) -> argparse.ArgumentParser:
    """Add the ``playground`` command to the ``sigmanet`` parser's sub-commands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "playground",
        help="a live laboratory in the browser",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=formatter_class,
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=0,
        metavar="N",
        help="port to listen on (default: a free one)",
    )
    parser.add_argument(
        "--host",
        choices=("127.0.0.1", "localhost"),
        default="127.0.0.1",
        help="loopback address to listen on (default 127.0.0.1)",
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="print the URL without opening a browser"
    )
    return parser


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number; got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535; got {text!r}")
    return value


def run(args: argparse.Namespace, stdout: Any, stderr: Any) -> int:
    """Serve until interrupted."""
    from sigmanet.playground.server import Playground

    playground = Playground(host=args.host, port=args.port)
    print(f"sigmanet playground: {playground.url}  (Ctrl-C to stop)", file=stdout, flush=True)
    if not args.no_browser:
        webbrowser.open(playground.url)
    try:
        playground.serve_forever()
    except KeyboardInterrupt:  # Ctrl-C is how it is meant to stop
        print("sigmanet playground: stopped", file=stdout)
    return 0
