"""Tests of ``sigmanet export``: a model file as an ONNX graph that computes what it computes."""

from __future__ import annotations

import csv
import pathlib
import warnings

import numpy as np
import onnxruntime
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

import sigmanet
from sigmanet.cli import main

SOIL = np.array(["clay", "sand", "loam"] * 50, dtype=object)


@pytest.fixture(scope="module")
def iris_model(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """``sigmanet train`` on a CSV file with a categorical column, saved."""
    folder = tmp_path_factory.mktemp("export")
    X, y = load_iris(return_X_y=True)
    data = folder / "iris.csv"
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["sepal_length", "sepal_width", "petal_length", "petal_width", "soil", "species"]
        )
        for row, soil, label in zip(X, SOIL, y, strict=True):
            writer.writerow([*row, soil, label])
    model = folder / "iris.safetensors"
    status = main(
        [
            "train",
            str(data),
            "--target",
            "species",
            "--one-hot-categoricals",
            "--standardize",
            "--hidden-layer-sizes",
            "6",
            "--max-iter",
            "50",
            "--save",
            str(model),
            "--quiet",
        ]
    )
    assert status == 0
    return model


def test_export_writes_a_graph_that_predicts_as_the_model(
    iris_model: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "iris.onnx"
    assert main(["export", str(iris_model), "--to", "onnx", "--output", str(output)]) == 0
    assert f"wrote {output}: inputs sepal_length (float" in capsys.readouterr().err
    model = sigmanet.load(iris_model)
    session = onnxruntime.InferenceSession(str(output), providers=["CPUExecutionProvider"])
    names = [graph_input.name for graph_input in session.get_inputs()]
    assert names == ["sepal_length", "sepal_width", "petal_length", "petal_width", "soil"]
    X, _ = load_iris(return_X_y=True)
    soil = np.array(["clay", "sand"] * 75, dtype=object)
    table = np.empty((150, 5), dtype=object)
    table[:, :4] = X
    table[:, 4] = soil
    dtype = np.dtype((session.get_inputs()[0].type == "tensor(float)" and np.float32) or np.float64)
    feeds = {name: X[:, i : i + 1].astype(dtype) for i, name in enumerate(names[:4])}
    feeds["soil"] = soil[:, None]
    label, probabilities = session.run(None, feeds)
    assert (label == model.predict(table)).all()
    np.testing.assert_allclose(probabilities, model.predict_proba(table), rtol=1e-5, atol=1e-5)


def test_export_never_overwrites_without_force(
    iris_model: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "taken.onnx"
    output.write_bytes(b"mine")
    assert main(["export", str(iris_model), "--to", "onnx", "--output", str(output)]) == 1
    assert "already exists; pass --force" in capsys.readouterr().err
    assert output.read_bytes() == b"mine"
    command = ["export", str(iris_model), "--to", "onnx", "--output", str(output), "--force"]
    assert main(command) == 0
    assert output.read_bytes() != b"mine"


def test_export_refuses_to_write_over_the_model(
    iris_model: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = iris_model.read_bytes()
    command = ["export", str(iris_model), "--to", "onnx", "--output", str(iris_model), "--force"]
    assert main(command) == 1
    assert "would destroy it" in capsys.readouterr().err
    assert iris_model.read_bytes() == before


def test_export_usage_and_model_errors(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = str(tmp_path / "m.onnx")
    assert main(["export", "missing.safetensors", "--to", "tflite", "--output", output]) == 2
    assert "'tflite' is not 'onnx'" in capsys.readouterr().err
    assert (
        main(["export", str(tmp_path / "missing.safetensors"), "--to", "onnx", "--output", output])
        == 1
    )
    assert "does not exist" in capsys.readouterr().err
    sequences = np.random.default_rng(0).normal(size=(10, 3, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        rnn = sigmanet.RNNClassifier(hidden_size=2, max_iter=1).fit(sequences, np.arange(10) % 2)
    saved = sigmanet.save(rnn, tmp_path / "rnn.safetensors")
    assert main(["export", str(saved), "--to", "onnx", "--output", output]) == 1
    assert "recurrent networks have no ONNX export" in capsys.readouterr().err
    assert not pathlib.Path(output).exists()
