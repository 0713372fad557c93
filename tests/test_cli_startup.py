"""The ``sigmanet`` command starts without loading what no command has asked for yet."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: what the help of no command needs: each takes from a few tenths of a second to seconds
HEAVY = ("sklearn", "scipy", "numba", "matplotlib", "pyarrow", "pandas")

DRIVER = """
import json, sys
from sigmanet.cli import main
status = main(sys.argv[1:])
sys.stdout.flush()
print(json.dumps([status, sorted(name for name in {heavy!r} if name in sys.modules)]),
      file=sys.stderr)
"""


def _run(argv: list[str]) -> tuple[int, list[str], str]:
    result = subprocess.run(
        [sys.executable, "-c", DRIVER.format(heavy=HEAVY), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    status, loaded = json.loads(result.stderr.strip().splitlines()[-1])
    return status, loaded, result.stdout


COMMANDS = [
    [],
    ["train"],
    ["predict"],
    ["evaluate"],
    ["info"],
    ["plot"],
    ["plot", "activations"],
    ["plot", "boundary"],
    ["plot", "gradient-flow"],
    ["trace"],
    ["demo"],
    ["playground"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command) or "sigmanet")
def test_help_loads_no_heavy_library(command):
    status, loaded, out = _run([*command, "--help"])
    assert status == 0
    assert "Usage: sigmanet" in out
    assert loaded == []


def test_version_and_usage_errors_load_no_heavy_library():
    assert _run(["--version"])[:2] == (0, [])
    assert _run(["train", "data.csv", "--max-iter", "0"])[:2] == (2, [])


def test_the_driver_sees_a_heavy_library_when_a_command_runs(tmp_path):
    # the check above can fail: a command that does its work loads scikit-learn
    status, loaded, _ = _run(["demo", "--max-iter", "1"])
    assert status == 0
    assert "sklearn" in loaded
