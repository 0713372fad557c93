"""The README's command lines run as written, in an empty directory, and again after that."""

from __future__ import annotations

import pathlib
import re
import shlex

import pytest

from sigmanet.cli import main

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def readme_commands() -> list[list[str]]:
    """The command lines of the README's block in "The command line", as argument lists."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The command line\n") :]
    block = re.search(r"```console\n(.*?)```", section, re.DOTALL)
    assert block, "the command-line section has no console block"
    joined = block.group(1).replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        assert line.startswith("$ sigmanet "), line
        commands.append(shlex.split(line[2:], comments=True)[1:])
    return commands


def test_the_readme_has_the_commands_it_promises():
    commands = readme_commands()
    names = {argv[0] for argv in commands}
    assert names >= {"demo", "train", "predict", "evaluate", "info", "plot", "trace"}
    assert commands[0][:2] == ["demo", "--write-data"]  # the data first


def test_the_readme_commands_run_twice_in_an_empty_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for attempt in (1, 2):
        for argv in readme_commands():
            status = main(argv)
            captured = capsys.readouterr()
            assert status == 0, f"run {attempt}: sigmanet {shlex.join(argv)}\n{captured.err}"
            assert "error" not in captured.err, captured.err
    written = sorted(path.name for path in tmp_path.iterdir())
    assert not [name for name in written if name.endswith(".sigmanet-tmp")]
    for name in ("iris.safetensors", "predictions.csv", "regions.png", "report.html"):
        assert name in written


@pytest.mark.parametrize("argv", [["demo", "--write-data", "."]])
def test_writing_the_example_data_again_needs_force(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 0
    assert main(argv) == 1
    assert "pass --force to overwrite" in capsys.readouterr().err
