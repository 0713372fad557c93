"""``python -m sigmanet.cli``: the same as the ``sigmanet`` command."""

import sys

from sigmanet.cli import main

if __name__ == "__main__":
    sys.exit(main())
