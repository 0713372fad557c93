"""What the ``sigmanet playground`` command does; its options are in :mod:`sigmanet.cli`."""

from __future__ import annotations

import webbrowser
from typing import Any

__all__ = ["run"]


def run(args: Any, stdout: Any, stderr: Any) -> int:
    """Serve until interrupted.

    ``args`` has ``host``, ``port`` and ``no_browser``, the command's options.
    """
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
