"""The ``sigmanet`` command starts without loading what no command has asked for yet."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: what the help of no command needs: each takes from a few tenths of a second to seconds
HEAVY = ("sklearn", "scipy", "numba", "matplotlib", "pyarrow", "pandas")
#: packages of the test extra only: `make demo` installs the core dependencies without them
TEST_ONLY = ("pytest", "hypothesis", "mpmath", "pandas", "pyarrow", "dask", "matplotlib")

DRIVER = """
import json, sys
from sigmanet.cli import main
status = main(sys.argv[1:])
sys.stdout.flush()
print(json.dumps([status, sorted(name for name in {watched!r} if name in sys.modules)]),
      file=sys.stderr)
"""


def _run(argv: list[str], watched: tuple[str, ...] = HEAVY) -> tuple[int, list[str], str]:
    """Run ``sigmanet ARGV`` in a new interpreter: its status, which of ``watched`` it loaded,
    and its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", DRIVER.format(watched=sorted(set(watched))), *argv],
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


def test_the_demo_runs_without_the_packages_of_the_test_extra():
    # as in `make demo`'s environment, which has the core dependencies only: each test-only
    # package is made impossible to import (scikit-learn imports pandas when it can)
    blocked = f"""
import sys

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {TEST_ONLY!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
"""
    result = subprocess.run(
        [sys.executable, "-c", blocked + DRIVER.format(watched=["sklearn"]), "demo"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    status, loaded = json.loads(result.stderr.strip().splitlines()[-1])
    assert status == 0, result.stderr
    assert loaded == ["sklearn"]
    assert "held-out images" in result.stdout
