"""``sigmanet playground``: a live laboratory in the browser for sigmoid networks.

A local page where a learner builds a small network, trains it on two-dimensional data and
watches what backpropagation does: the decision boundary forming, the losses falling, each
unit's output, the gradient shrinking layer by layer in deep sigmoid networks, and the numbers
of a single step beside their formulas. Every number is sigmanet's own arithmetic.

The server is the standard library's (threads, server-sent events, small JSON posts); the
page is plain HTML, CSS and JavaScript shipped in this package, with nothing fetched from the
network. :class:`Playground` runs it from Python; ``sigmanet playground`` from the shell.
"""

from __future__ import annotations

from sigmanet.playground.config import Config
from sigmanet.playground.server import Playground
from sigmanet.playground.session import Session

__all__ = ["Config", "Playground", "Session"]
