"""Tests of the ``sigmanet`` command (sigmanet.cli.main), on real bundled datasets."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.metrics import accuracy_score, mean_squared_error

from sigmanet import persistence
from sigmanet.cli import main
from sigmanet.diagnostics import trace_backprop

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """iris (string labels), breast cancer (0/1) and diabetes (regression) as CSV files."""
    root = tmp_path_factory.mktemp("data")
    iris = load_iris()
    labels = iris.target_names[iris.target]
    iris_rows = [
        [*map(repr, row.tolist()), label] for row, label in zip(iris.data, labels, strict=True)
    ]
    cancer = load_breast_cancer()
    cancer_rows = [
        [*map(repr, row.tolist()), int(t)]
        for row, t in zip(cancer.data, cancer.target, strict=True)
    ]
    diabetes = load_diabetes()
    diabetes_rows = [
        [*map(repr, row.tolist()), repr(float(t))]
        for row, t in zip(diabetes.data, diabetes.target, strict=True)
    ]
    return {
        "iris": _write_csv(root / "iris.csv", [*iris.feature_names, "species"], iris_rows),
        "cancer": _write_csv(
            root / "cancer.csv", [*cancer.feature_names, "diagnosis"], cancer_rows
        ),
        "diabetes": _write_csv(
            root / "diabetes.csv", [*diabetes.feature_names, "progression"], diabetes_rows
        ),
        "iris_X": iris.data,
        "iris_y": labels,
        "cancer_X": cancer.data,
        "cancer_y": cancer.target,
        "diabetes_X": diabetes.data,
        "diabetes_y": diabetes.target,
        "root": root,
    }


@pytest.fixture(scope="module")
def iris_model(data):
    """A small MLP trained by the CLI on iris, saved with its preprocessing sidecar."""
    path = data["root"] / "iris.safetensors"
    status = main(
        [
            "train",
            str(data["iris"]),
            "--target",
            "species",
            "--hidden-layer-sizes",
            "8",
            "--activation",
            "tanh",
            "--max-iter",
            "40",
            "--learning-rate-init",
            "0.05",
            "--random-state",
            "0",
            "--standardize",
            "--quiet",
            "--save",
            str(path),
        ]
    )
    assert status == 0
    return path


def _error_line(capsys):
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert "Traceback" not in captured.err
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("sigmanet: error: ")
    return lines[0]


def _metric(text, name):
    match = re.search(rf"{re.escape(name)}\s*│\s*([-0-9.e]+)", text)
    assert match, f"metric {name!r} not found in:\n{text}"
    return float(match.group(1))


def _read_predictions(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


# -- train ----------------------------------------------------------------------------------


def test_train_reports_validation_metrics_and_saves_model_and_sidecar(data, tmp_path, capsys):
    model = tmp_path / "iris.safetensors"
    status = main(
        [
            "train",
            str(data["iris"]),
            "--target",
            "species",
            "--hidden-layer-sizes",
            "8",
            "--max-iter",
            "30",
            "--learning-rate-init",
            "0.05",
            "--random-state",
            "1",
            "--validation-fraction",
            "0.2",
            "--standardize",
            "--save",
            str(model),
        ]
    )
    out, err = capsys.readouterr()
    assert status == 0
    assert "training MLPClassifier on 120 rows x 4 features, validating on 30 rows" in out
    for metric in ("accuracy", "log loss", "precision (macro)", "recall (macro)", "F1 (macro)"):
        _metric(out, metric)
    assert "confusion matrix" in out
    # the progress output is the estimator's, with the validation score we add
    assert "epoch 1:" in err and "val score" in err
    loaded = persistence.load(model)
    assert loaded.n_iter_ == 30
    sidecar = json.loads((tmp_path / "iris.safetensors.preprocessing.json").read_text())
    assert sidecar["target"] == "species"
    assert sidecar["features"] == list(load_iris().feature_names)
    assert sidecar["target_kind"] == "str"
    assert list(loaded.classes_) == ["setosa", "versicolor", "virginica"]


def test_train_metrics_are_those_of_the_saved_model_on_the_hold_out(data, tmp_path, capsys):
    model = tmp_path / "cancer.safetensors"
    status = main(
        [
            "train",
            str(data["cancer"]),
            "--target",
            "diagnosis",
            "--hidden-layer-sizes",
            "8",
            "--max-iter",
            "20",
            "--random-state",
            "3",
            "--standardize",
            "--quiet",
            "--validation-fraction",
            "0.25",
            "--save",
            str(model),
        ]
    )
    out, _ = capsys.readouterr()
    assert status == 0
    # rebuild the stratified hold-out the same way and score the saved model on it
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(data["cancer_y"]))
    train, val = train_test_split(rows, test_size=0.25, random_state=3, stratify=data["cancer_y"])
    sidecar = json.loads((tmp_path / "cancer.safetensors.preprocessing.json").read_text())
    X = (data["cancer_X"] - np.asarray(sidecar["center"])) / np.asarray(sidecar["scale"])
    np.testing.assert_allclose(sidecar["center"], data["cancer_X"][np.sort(train)].mean(axis=0))
    loaded = persistence.load(model)
    expected = accuracy_score(data["cancer_y"][val], loaded.predict(X[val]))
    assert _metric(out, "accuracy") == pytest.approx(expected, abs=1e-6)
    assert _metric(out, "samples") == len(val)


def test_train_regressor_reports_r2_mae_rmse(data, tmp_path, capsys):
    status = main(
        [
            "train",
            str(data["diabetes"]),
            "--target",
            "progression",
            "--model",
            "mlp-regressor",
            "--hidden-layer-sizes",
            "16",
            "--max-iter",
            "10",
            "--learning-rate-init",
            "0.01",
            "--random-state",
            "0",
            "--quiet",
            "--save",
            str(tmp_path / "reg.st"),
        ]
    )
    out, _ = capsys.readouterr()
    assert status == 0
    for metric in ("R²", "MAE", "RMSE"):
        _metric(out, metric)
    assert "accuracy" not in out


def test_train_refuses_to_overwrite_without_force(data, iris_model, capsys):
    before = iris_model.read_bytes()
    args = [
        "train",
        str(data["iris"]),
        "--target",
        "species",
        "--max-iter",
        "2",
        "--quiet",
        "--save",
        str(iris_model),
    ]
    assert main(args) == 1
    line = _error_line(capsys)
    assert "already exists" in line and "--force" in line
    assert iris_model.read_bytes() == before


def test_train_force_overwrites(data, tmp_path, capsys):
    model = tmp_path / "m.st"
    common = [
        "train",
        str(data["iris"]),
        "--target",
        "species",
        "--hidden-layer-sizes",
        "4",
        "--quiet",
        "--random-state",
        "0",
        "--save",
        str(model),
    ]
    assert main([*common, "--max-iter", "2"]) == 0
    assert main([*common, "--max-iter", "3", "--force"]) == 0
    capsys.readouterr()
    assert persistence.load(model).n_iter_ == 3


def test_train_float32(data, tmp_path, capsys):
    model = tmp_path / "f32.st"
    assert (
        main(
            [
                "train",
                str(data["iris"]),
                "--target",
                "species",
                "--float32",
                "--max-iter",
                "3",
                "--quiet",
                "--save",
                str(model),
            ]
        )
        == 0
    )
    capsys.readouterr()
    loaded = persistence.load(model)
    assert loaded.dtype_ == np.float32
    assert all(w.dtype == np.float32 for w in loaded.coefs_)


def test_train_without_validation_split_scores_the_training_data(data, capsys):
    assert (
        main(
            [
                "train",
                str(data["iris"]),
                "--target",
                "species",
                "--max-iter",
                "3",
                "--validation-fraction",
                "0",
                "--quiet",
                "--random-state",
                "0",
            ]
        )
        == 0
    )
    out, _ = capsys.readouterr()
    assert "training data (no validation split" in out
    assert _metric(out, "samples") == 150


def test_train_options_that_do_not_apply_are_usage_errors(data, capsys):
    assert (
        main(
            [
                "train",
                str(data["diabetes"]),
                "--target",
                "progression",
                "--model",
                "mlp-regressor",
                "--alpha",
                "-1",
            ]
        )
        == 2
    )
    assert "--alpha" in _error_line(capsys)
    assert (
        main(["train", str(data["iris"]), "--target", "species", "--hidden-layer-sizes", "8,x"])
        == 2
    )
    assert "positive integers" in _error_line(capsys)
    assert (
        main(
            [
                "train",
                str(data["iris"]),
                "--target",
                "species",
                "--activation",
                "nope",
                "--max-iter",
                "2",
                "--quiet",
            ]
        )
        == 1
    )
    assert "activation" in _error_line(capsys)


def test_train_notes_a_target_that_looks_continuous(data, capsys):
    assert (
        main(
            [
                "train",
                str(data["diabetes"]),
                "--target",
                "progression",
                "--max-iter",
                "1",
                "--validation-fraction",
                "0",
                "--quiet",
                "--hidden-layer-sizes",
                "2",
            ]
        )
        == 0
    )
    _, err = capsys.readouterr()
    assert "--model mlp-regressor" in err


# -- preprocessing --------------------------------------------------------------------------


@pytest.fixture()
def messy(tmp_path):
    """A small classification table with a categorical column, an id and missing values."""
    rng = np.random.default_rng(0)
    rows = []
    for index in range(80):
        colour = ["red", "green", "blue"][index % 3]
        a, b = rng.normal(size=2)
        label = "yes" if a + (colour == "red") > 0.3 else "no"
        a_text = "" if index % 11 == 5 else repr(float(a))
        b_text = "NA" if index % 13 == 7 else repr(float(b))
        rows.append([f"id{index}", a_text, colour, b_text, label])
    return _write_csv(tmp_path / "messy.csv", ["id", "a", "colour", "b", "label"], rows)


def test_categorical_and_missing_values_are_refused_by_default(messy, capsys):
    assert main(["train", str(messy), "--target", "label"]) == 1
    line = _error_line(capsys)
    assert "'id'" in line and "'colour'" in line and "--one-hot-categoricals" in line
    assert "line 2" in line  # the first data row of 'id' is on line 2 of the file
    assert (
        main(
            [
                "train",
                str(messy),
                "--target",
                "label",
                "--drop-columns",
                "id",
                "--one-hot-categoricals",
            ]
        )
        == 1
    )
    line = _error_line(capsys)
    assert "missing values" in line and "'a' (line 7)" in line and "--impute" in line


def test_one_hot_and_imputation_are_saved_and_reapplied(messy, tmp_path, capsys):
    model = tmp_path / "messy.st"
    assert (
        main(
            [
                "train",
                str(messy),
                "--target",
                "label",
                "--drop-columns",
                "id",
                "--one-hot-categoricals",
                "--impute",
                "median",
                "--max-iter",
                "5",
                "--quiet",
                "--random-state",
                "0",
                "--hidden-layer-sizes",
                "4",
                "--save",
                str(model),
            ]
        )
        == 0
    )
    capsys.readouterr()
    sidecar = json.loads((tmp_path / "messy.st.preprocessing.json").read_text())
    assert sidecar["categories"] == {"colour": ["blue", "green", "red"]}
    assert sidecar["feature_names"] == ["a", "colour=blue", "colour=green", "colour=red", "b"]
    assert set(sidecar["fill"]) == {"a", "b", "colour"}

    # new data, columns reordered, one missing 'a' and one missing 'b'
    new = _write_csv(
        tmp_path / "new.csv",
        ["b", "colour", "a"],
        [["0.5", "red", ""], ["", "blue", "-1.0"], ["1.5", "green", "2.0"]],
    )
    assert main(["predict", str(model), str(new), "--proba"]) == 0
    header, rows = _read_predictions(capsys.readouterr().out)
    assert header == ["prediction", "proba_no", "proba_yes"]
    fill_a, fill_b = sidecar["fill"]["a"], sidecar["fill"]["b"]
    X = np.array([[fill_a, 0, 0, 1, 0.5], [-1.0, 1, 0, 0, fill_b], [2.0, 0, 1, 0, 1.5]])
    loaded = persistence.load(model)
    assert [row[0] for row in rows] == list(loaded.predict(X))
    np.testing.assert_allclose(
        [[float(v) for v in row[1:]] for row in rows], loaded.predict_proba(X), rtol=1e-15
    )

    unseen = _write_csv(tmp_path / "unseen.csv", ["a", "colour", "b"], [["1", "purple", "2"]])
    assert main(["predict", str(model), str(unseen)]) == 1
    line = _error_line(capsys)
    assert "'colour'" in line and "'purple'" in line and "line 2" in line


def test_impute_drop_drops_rows_in_training_and_evaluation(messy, tmp_path, capsys):
    model = tmp_path / "drop.st"
    assert (
        main(
            [
                "train",
                str(messy),
                "--target",
                "label",
                "--drop-columns",
                "id",
                "--one-hot-categoricals",
                "--impute",
                "drop",
                "--max-iter",
                "3",
                "--quiet",
                "--validation-fraction",
                "0",
                "--save",
                str(model),
            ]
        )
        == 0
    )
    out, err = capsys.readouterr()
    n_incomplete = len({i for i in range(80) if i % 11 == 5 or i % 13 == 7})
    assert f"dropped {n_incomplete} row(s)" in err
    assert _metric(out, "samples") == 80 - n_incomplete
    assert main(["evaluate", str(model), str(messy), "--target", "label"]) == 0
    out, err = capsys.readouterr()
    assert _metric(out, "samples") == 80 - n_incomplete
    assert "dropped rows with missing values" in err
    assert main(["predict", str(model), str(messy)]) == 1
    assert "missing value" in _error_line(capsys)


# -- predict / evaluate / info --------------------------------------------------------------


def test_predict_writes_one_prediction_per_row_to_stdout(data, iris_model, capsys):
    assert main(["predict", str(iris_model), str(data["iris"])]) == 0
    header, rows = _read_predictions(capsys.readouterr().out)
    assert header == ["prediction"]
    assert len(rows) == 150
    sidecar = json.loads(
        (iris_model.parent / (iris_model.name + ".preprocessing.json")).read_text()
    )
    X = (data["iris_X"] - np.asarray(sidecar["center"])) / np.asarray(sidecar["scale"])
    expected = persistence.load(iris_model).predict(X)
    assert [row[0] for row in rows] == list(expected)
    # a model trained for 40 epochs at η=0.05 has learnt iris
    assert accuracy_score(data["iris_y"], [row[0] for row in rows]) > 0.8


def test_predict_proba_to_a_file(data, iris_model, tmp_path, capsys):
    output = tmp_path / "pred.csv"
    assert (
        main(["predict", str(iris_model), str(data["iris"]), "--proba", "--output", str(output)])
        == 0
    )
    assert "wrote 150 prediction(s)" in capsys.readouterr().err
    header, rows = _read_predictions(output.read_text())
    assert header == ["prediction", "proba_setosa", "proba_versicolor", "proba_virginica"]
    proba = np.array([[float(v) for v in row[1:]] for row in rows])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    best = np.array(header[1:])[np.argmax(proba, axis=1)]
    assert [f"proba_{row[0]}" for row in rows] == list(best)
    assert main(["predict", str(iris_model), str(data["iris"]), "--output", str(output)]) == 1
    assert "--force" in _error_line(capsys)


def test_evaluate_classifier_metrics_match_sklearn(data, iris_model, capsys):
    assert main(["evaluate", str(iris_model), str(data["iris"]), "--target", "species"]) == 0
    out = capsys.readouterr().out
    sidecar = json.loads(
        (iris_model.parent / (iris_model.name + ".preprocessing.json")).read_text()
    )
    X = (data["iris_X"] - np.asarray(sidecar["center"])) / np.asarray(sidecar["scale"])
    model = persistence.load(iris_model)
    from sklearn.metrics import confusion_matrix, f1_score, log_loss

    predicted = model.predict(X)
    assert _metric(out, "accuracy") == pytest.approx(
        accuracy_score(data["iris_y"], predicted), abs=1e-6
    )
    assert _metric(out, "log loss") == pytest.approx(
        log_loss(data["iris_y"], model.predict_proba(X)), rel=1e-5
    )
    assert _metric(out, "F1 (macro)") == pytest.approx(
        f1_score(data["iris_y"], predicted, average="macro"), rel=1e-5
    )
    matrix = confusion_matrix(data["iris_y"], predicted, labels=model.classes_)
    for label, row in zip(model.classes_, matrix, strict=True):
        cells = re.search(rf"│ {label}\s*│([\d\s│]+)│", out).group(1)
        assert [int(v) for v in cells.replace("│", " ").split()] == list(row)


def test_evaluate_regressor_matches_sklearn(data, tmp_path, capsys):
    model = tmp_path / "reg.st"
    assert (
        main(
            [
                "train",
                str(data["diabetes"]),
                "--target",
                "progression",
                "--model",
                "mlp-regressor",
                "--max-iter",
                "5",
                "--quiet",
                "--hidden-layer-sizes",
                "8",
                "--random-state",
                "0",
                "--save",
                str(model),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["evaluate", str(model), str(data["diabetes"]), "--target", "progression"]) == 0
    out = capsys.readouterr().out
    predicted = persistence.load(model).predict(data["diabetes_X"])
    rmse = float(np.sqrt(mean_squared_error(data["diabetes_y"], predicted)))
    assert _metric(out, "RMSE") == pytest.approx(rmse, rel=1e-5)


def test_a_model_saved_from_python_works_without_a_sidecar(data, tmp_path, capsys):
    from sigmanet.estimators import MLPClassifier

    X, y = data["cancer_X"][:, :3], data["cancer_y"]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y)
    path = persistence.save(model, tmp_path / "py.st")
    three = _write_csv(
        tmp_path / "three.csv",
        ["a", "b", "c", "t"],
        [[*map(repr, row.tolist()), int(t)] for row, t in zip(X, y, strict=True)],
    )
    assert main(["evaluate", str(path), str(three), "--target", "t"]) == 0
    out = capsys.readouterr().out
    assert _metric(out, "accuracy") == pytest.approx(accuracy_score(y, model.predict(X)), abs=1e-6)
    # without --target every column is an input: 4 columns for a 3-feature model
    assert main(["predict", str(path), str(three)]) == 1
    line = _error_line(capsys)
    assert "expects 3 input column(s)" in line and "4" in line


def test_info_lists_layers_parameters_and_history(iris_model, capsys):
    assert main(["info", str(iris_model)]) == 0
    out = capsys.readouterr().out
    model = persistence.load(iris_model)
    n_params = sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_)
    assert "MLPClassifier" in out
    assert re.search(rf"parameters\s*│\s*{n_params}\b", out)
    assert "Dense" in out and "Activation(tanh)" in out
    assert "W (4, 8)" in out and "W (8, 3)" in out
    assert f"{model.loss_curve_[-1]:.6g}" in out
    assert "setosa" in out
    assert "standardize" in out  # the sidecar's settings


# -- plot -----------------------------------------------------------------------------------


def test_plot_activations_png_and_svg(tmp_path, capsys):
    png, svg = tmp_path / "act.png", tmp_path / "act.svg"
    assert main(["plot", "activations", "--names", "sigmoid,tanh", "--output", str(png)]) == 0
    assert (
        main(
            ["plot", "activations", "--names", "relu", "--derivatives", "0,1", "--output", str(svg)]
        )
        == 0
    )
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert ElementTree.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    capsys.readouterr()
    assert main(["plot", "activations", "--names", "nope", "--output", str(png)]) == 2
    assert "unknown activation" in _error_line(capsys)
    assert main(["plot", "activations", "--output", str(tmp_path / "act.gif")]) == 2
    assert ".png" in _error_line(capsys)


def test_plot_loss_and_boundary(data, iris_model, tmp_path, capsys):
    loss = tmp_path / "loss.svg"
    assert main(["plot", "loss", str(iris_model), "--output", str(loss)]) == 0
    assert ElementTree.parse(loss).getroot().tag.endswith("svg")

    two = tmp_path / "two.st"
    drop = ",".join(load_iris().feature_names[:2])
    assert (
        main(
            [
                "train",
                str(data["iris"]),
                "--target",
                "species",
                "--drop-columns",
                drop,
                "--max-iter",
                "5",
                "--quiet",
                "--hidden-layer-sizes",
                "4",
                "--save",
                str(two),
            ]
        )
        == 0
    )
    boundary = tmp_path / "boundary.png"
    assert (
        main(
            [
                "plot",
                "boundary",
                str(two),
                str(data["iris"]),
                "--target",
                "species",
                "--output",
                str(boundary),
            ]
        )
        == 0
    )
    assert boundary.read_bytes().startswith(PNG_MAGIC)
    capsys.readouterr()
    assert (
        main(
            [
                "plot",
                "boundary",
                str(iris_model),
                str(data["iris"]),
                "--target",
                "species",
                "--output",
                str(boundary),
            ]
        )
        == 1
    )
    assert "exactly 2" in _error_line(capsys)


def test_plot_gradient_flow_on_the_bundled_digits(tmp_path, capsys):
    output = tmp_path / "flow.png"
    assert main(["plot", "gradient-flow", "--epochs", "1", "--output", str(output)]) == 0
    out = capsys.readouterr().out
    assert output.read_bytes().startswith(PNG_MAGIC)
    ratios = {
        name: float(value) for name, value in re.findall(r"(sigmoid|relu).*first/last = (\S+)", out)
    }
    assert ratios["sigmoid"] * 100 < ratios["relu"]


def test_plot_gradient_flow_on_a_csv(data, tmp_path, capsys):
    output = tmp_path / "flow.svg"
    assert (
        main(
            [
                "plot",
                "gradient-flow",
                "--data",
                str(data["cancer"]),
                "--target",
                "diagnosis",
                "--depth",
                "3",
                "--width",
                "8",
                "--epochs",
                "1",
                "--output",
                str(output),
            ]
        )
        == 0
    )
    assert "cancer.csv" in capsys.readouterr().out
    assert (
        main(["plot", "gradient-flow", "--data", str(data["cancer"]), "--output", str(output)]) == 2
    )
    assert "--target" in _error_line(capsys)


# -- trace and demo -------------------------------------------------------------------------


def test_trace_prints_every_step_beside_the_seed_formulas(capsys):
    assert main(["trace"]) == 0
    out = capsys.readouterr().out
    trace = trace_backprop()
    for formula in (
        "z[l] = a[l-1] W[l] + b[l]",
        "δ = (y - ŷ) σ'(z[2])",
        "σ(z)(1 - σ(z))",
        "dW[1] = a[0]ᵀ dz[1]",
        "Δw_ij = η δ_j x_i",
        "W ← W - η dW",
    ):
        assert formula in out
    assert f"L = ½ Σ (ŷ - y)² = {trace.loss:.6g}" in out
    assert f"[{trace.delta[0, 0]:.6g}]" in out
    after = trace_backprop(
        trace.x,
        trace.y,
        weights=[s.W_new for s in trace.layers],
        biases=[s.b_new for s in trace.layers],
    )
    assert f"loss after the step: {after.loss:.6g}" in out
    assert after.loss < trace.loss


def test_trace_options(capsys):
    assert (
        main(
            [
                "trace",
                "--x",
                "0.05,0.10",
                "--y",
                "0.01,0.99",
                "--sizes",
                "2,2,2",
                "--loss",
                "squared_error",
                "--learning-rate",
                "0.5",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "2-2-2 network" in out
    assert main(["trace", "--x", "1,2,3"]) == 2
    assert "x must have 2 columns" in _error_line(capsys)
    assert main(["trace", "--loss", "log_loss", "--output-activation", "tanh"]) == 2
    _error_line(capsys)


@pytest.mark.parametrize("target", ["2", "-0.5", "0.5,1.5"])
def test_trace_refuses_log_loss_targets_outside_0_1(target, capsys):
    sizes = ["--sizes", "2,3,2"] if "," in target else []
    argv = ["trace", "--loss", "log_loss", "--y", target, *sizes]
    assert main(argv) == 2
    line = _error_line(capsys)
    assert "[0, 1]" in line and "log_loss" in line
    assert main(["trace", "--loss", "log_loss", "--y", "0.25"]) == 0
    assert "loss after the step" in capsys.readouterr().out


def test_demo_trains_on_digits_and_reports_held_out_accuracy(capsys):
    assert main(["demo", "--max-iter", "3"]) == 0
    out = capsys.readouterr().out
    epochs = re.findall(r"epoch\s+(\d+)\s+loss ([0-9.]+)\s+held-out accuracy ([0-9.]+)", out)
    assert [int(e) for e, _, _ in epochs] == [1, 2, 3]
    losses = [float(loss) for _, loss, _ in epochs]
    assert losses[-1] < losses[0]
    assert _metric(out, "samples") == 450
    assert _metric(out, "accuracy") == pytest.approx(float(epochs[-1][2]), abs=1e-3)
    assert "confusion matrix" in out


@pytest.mark.slow
def test_default_demo_reaches_a_good_accuracy(capsys):
    assert main(["demo"]) == 0
    assert _metric(capsys.readouterr().out, "accuracy") > 0.9


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("\n  \n", "the file is empty"),
        ("a,b,target\n", "has a header but no data rows"),
        ("a,b,target\n1,2,0\n3,4\n", "line 3 has 2 field(s), but the header has 3"),
        ("a,b,target\n1,2,0\n3,x,1\n", "'b' (line 3: 'x')"),
        ("a,,target\n1,2,0\n", "column 2 of the header has no name"),
        ("a,a,target\n1,2,0\n", "duplicate column name"),
        ("a,b,target\n1,inf,0\n1,2,1\n", "'b' at line 2 is 'inf', not a finite number"),
        (
            "a,b,label\n1,2,0\n",
            "target column 'target' not found; the columns are: 'a', 'b', 'label'",
        ),
    ],
)
def test_bad_data_files_give_one_clear_line(tmp_path, capsys, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    assert main(["train", str(path), "--target", "target"]) == 1
    assert message in _error_line(capsys)


def test_missing_and_binary_data_files(tmp_path, capsys):
    assert main(["train", str(tmp_path / "nope.csv"), "--target", "t"]) == 1
    assert "no such file" in _error_line(capsys)
    blob = tmp_path / "blob.csv"
    blob.write_bytes(b"\x00\x01\x02binary")
    assert main(["train", str(blob), "--target", "t"]) == 1
    assert "binary file" in _error_line(capsys)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("a,b\n1,\xe9\n".encode("latin-1"))
    assert main(["train", str(latin), "--target", "b"]) == 1
    assert "UTF-8" in _error_line(capsys)


def test_semicolon_and_tab_delimited_files_are_read(data, tmp_path, capsys):
    text = data["iris"].read_text()
    semicolon = tmp_path / "iris_semicolon.csv"
    semicolon.write_text(text.replace(",", ";"))
    tab = tmp_path / "iris.tsv"
    tab.write_text(text.replace(",", "\t"))
    for path in (semicolon, tab):
        assert main(["train", str(path), "--target", "species", "--max-iter", "1", "--quiet"]) == 0
        assert "4 features" in capsys.readouterr().out


def test_parquet_without_pyarrow_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    # None in sys.modules makes the import fail as it does where pyarrow is not installed
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1")
    assert main(["train", str(path), "--target", "t"]) == 1
    assert "pip install pyarrow" in _error_line(capsys)


def test_parquet_files_train_predict_and_evaluate(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    pandas = pytest.importorskip("pandas")
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame.rename(columns={"target": "species"})
    data = tmp_path / "iris.parquet"
    frame.to_parquet(data)
    model = tmp_path / "iris.safetensors"
    args = ["train", str(data), "--target", "species", "--max-iter", "50", "--standardize"]
    assert main([*args, "--random-state", "0", "--quiet", "--save", str(model)]) == 0
    capsys.readouterr()
    out_file = tmp_path / "predictions.csv"
    assert main(["predict", str(model), str(data), "--output", str(out_file)]) == 0
    predictions = pandas.read_csv(out_file)
    assert len(predictions) == 150
    assert main(["evaluate", str(model), str(data), "--target", "species"]) == 0
    assert "accuracy" in capsys.readouterr().out
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    assert main(["train", str(broken), "--target", "species"]) == 1
    assert "not a readable Parquet file" in _error_line(capsys)


def test_files_that_are_not_sigmanet_models(data, tmp_path, capsys):
    for command in (["info"], ["predict"], ["evaluate"]):
        extra = [str(data["iris"])] if command[0] != "info" else []
        target = ["--target", "species"] if command[0] == "evaluate" else []
        assert main([*command, str(data["iris"]), *extra, *target]) == 1
        line = _error_line(capsys)
        assert "iris.csv" in line
    assert main(["info", str(tmp_path / "missing.st")]) == 1
    assert "does not exist" in _error_line(capsys)


def test_a_broken_sidecar_is_reported(data, iris_model, tmp_path, capsys):
    copy = tmp_path / "copy.st"
    copy.write_bytes(iris_model.read_bytes())
    (tmp_path / "copy.st.preprocessing.json").write_text("{not json")
    assert main(["predict", str(copy), str(data["iris"])]) == 1
    assert "preprocessing" in _error_line(capsys)
    (tmp_path / "copy.st.preprocessing.json").write_text('{"format": "other"}')
    assert main(["predict", str(copy), str(data["iris"])]) == 1
    assert "not a sigmanet preprocessing file" in _error_line(capsys)


def test_evaluate_names_missing_columns_and_bad_labels(data, iris_model, tmp_path, capsys):
    assert main(["evaluate", str(iris_model), str(data["iris"]), "--target", "kind"]) == 1
    assert "'kind' not found" in _error_line(capsys)
    partial = _write_csv(
        tmp_path / "partial.csv", ["sepal length (cm)", "species"], [["5.1", "setosa"]]
    )
    assert main(["evaluate", str(iris_model), str(partial), "--target", "species"]) == 1
    assert "'sepal width (cm)'" in _error_line(capsys)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["fly"],
        ["train"],
        ["train", "x.csv"],
        ["train", "x.csv", "--target", "t", "--model", "forest"],
        ["train", "x.csv", "--target", "t", "--max-iter", "0"],
        ["train", "x.csv", "--target", "t", "--validation-fraction", "1"],
        ["predict", "m.st"],
        ["plot"],
        ["plot", "activations"],
        ["trace", "--sizes", "2,-1"],
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, capsys):
    assert main(argv) == 2
    line = _error_line(capsys)
    assert "--help" in line


@pytest.mark.parametrize(
    "command",
    [
        ["train"],
        ["predict"],
        ["evaluate"],
        ["info"],
        ["plot"],
        ["plot", "activations"],
        ["plot", "loss"],
        ["plot", "boundary"],
        ["plot", "gradient-flow"],
        ["trace"],
        ["demo"],
        [],
    ],
)
def test_every_help_has_an_example(command, capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "example" in out
    assert "sigmanet" in out


def test_python_dash_m_runs_the_command():
    result = subprocess.run(
        [sys.executable, "-m", "sigmanet", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.strip().startswith("sigmanet ")


def test_evaluate_refuses_labels_the_model_does_not_know(iris_model, tmp_path, capsys):
    header = [*load_iris().feature_names, "species"]
    odd = _write_csv(tmp_path / "odd.csv", header, [["5.1", "3.5", "1.4", "0.2", "daisy"]])
    assert main(["evaluate", str(iris_model), str(odd), "--target", "species"]) == 1
    line = _error_line(capsys)
    assert "daisy" in line and "setosa" in line


def test_plot_boundary_of_a_standardised_model_uses_the_data_units(data, tmp_path, capsys):
    model = tmp_path / "std2.st"
    drop = ",".join(load_iris().feature_names[:2])
    assert (
        main(
            [
                "train",
                str(data["iris"]),
                "--target",
                "species",
                "--drop-columns",
                drop,
                "--standardize",
                "--max-iter",
                "5",
                "--quiet",
                "--save",
                str(model),
            ]
        )
        == 0
    )
    output = tmp_path / "std2.svg"
    assert (
        main(
            [
                "plot",
                "boundary",
                str(model),
                str(data["iris"]),
                "--target",
                "species",
                "--output",
                str(output),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert ElementTree.parse(output).getroot().tag.endswith("svg")
    # the figure is drawn in raw units: the wrapper standardises before predicting
    from sigmanet.cli import _ScaledInputs

    sidecar = json.loads((tmp_path / "std2.st.preprocessing.json").read_text())
    loaded = persistence.load(model)
    raw = data["iris_X"][:, 2:]
    shown = _ScaledInputs(loaded, sidecar["center"], sidecar["scale"])
    scaled = (raw - np.asarray(sidecar["center"])) / np.asarray(sidecar["scale"])
    np.testing.assert_array_equal(shown.predict(raw), loaded.predict(scaled))
    np.testing.assert_allclose(shown.predict_proba(raw), loaded.predict_proba(scaled))


def test_linear_models_train_from_the_command_line(data, tmp_path, capsys):
    from sigmanet.estimators import ESTIMATORS

    if "LogisticRegression" not in ESTIMATORS:
        pytest.skip("sigmanet.LogisticRegression is not in this tree yet")
    model = tmp_path / "logistic.st"
    assert (
        main(
            [
                "train",
                str(data["cancer"]),
                "--target",
                "diagnosis",
                "--model",
                "logistic",
                "--standardize",
                "--alpha",
                "1",
                "--random-state",
                "0",
                "--quiet",
                "--save",
                str(model),
            ]
        )
        == 0
    )
    out, _ = capsys.readouterr()
    assert _metric(out, "accuracy") > 0.9
    loaded = persistence.load(model)
    assert loaded.C == 1.0
    assert (
        main(
            [
                "train",
                str(data["cancer"]),
                "--target",
                "diagnosis",
                "--model",
                "logistic",
                "--hidden-layer-sizes",
                "4",
            ]
        )
        == 2
    )
    assert "does not apply" in _error_line(capsys)


# -- outputs never overwrite inputs ---------------------------------------------------------


def test_train_save_onto_the_training_data_is_refused_even_with_force(data, tmp_path, capsys):
    copy = tmp_path / "iris.csv"
    copy.write_bytes(data["iris"].read_bytes())
    before = copy.read_bytes()
    link = tmp_path / "hard_link.csv"
    link.hardlink_to(copy)
    common = ["train", str(copy), "--target", "species", "--max-iter", "2", "--quiet"]
    for target in (copy, tmp_path / "." / "iris.csv", link):
        assert main([*common, "--save", str(target), "--force"]) == 1
        line = _error_line(capsys)
        assert "training data file" in line and "even with --force" in line
    assert copy.read_bytes() == before
    # the same through the installed entry point, as a user types it
    result = subprocess.run(
        [sys.executable, "-m", "sigmanet", *common, "--save", str(copy), "--force"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1
    assert "training data file" in result.stderr and "Traceback" not in result.stderr
    assert copy.read_bytes() == before


def test_predict_output_onto_its_data_or_model_is_refused_even_with_force(
    data, iris_model, tmp_path, capsys
):
    table = tmp_path / "iris.csv"
    table.write_bytes(data["iris"].read_bytes())
    model = tmp_path / "model.st"
    model.write_bytes(iris_model.read_bytes())
    for output, role in ((table, "data file"), (model, "model file")):
        before = output.read_bytes()
        args = ["predict", str(model), str(table), "--output", str(output), "--force"]
        assert main(args) == 1
        line = _error_line(capsys)
        assert role in line and "even with --force" in line
        assert output.read_bytes() == before
    picture = tmp_path / "loss.png"
    picture.write_bytes(model.read_bytes())
    assert main(["plot", "loss", str(picture), "--output", str(picture)]) == 1
    assert "model file" in _error_line(capsys)


# -- a numeric column with a few bad cells ---------------------------------------------------


@pytest.fixture()
def penguins(tmp_path):
    """Body masses in grams (95 distinct values), one of them typed with its unit: '4250g'."""
    rng = np.random.default_rng(1)
    rows = []
    for index in range(96):
        species = ["Adelie", "Gentoo"][index % 2]
        mass = 3500 + 25 * index + (900 if species == "Gentoo" else 0)
        rows.append([species, repr(float(rng.normal(40, 3))), str(mass)])
    rows[40][2] = "4250g"  # line 42 of the file
    return _write_csv(tmp_path / "penguins.csv", ["species", "bill", "body_mass_g"], rows)


@pytest.mark.parametrize("one_hot", [False, True])
def test_a_numeric_column_with_a_stray_cell_is_reported_not_one_hot_encoded(
    penguins, one_hot, tmp_path, capsys
):
    model = tmp_path / "m.st"
    argv = ["train", str(penguins), "--target", "species", "--quiet", "--save", str(model)]
    assert main([*argv, *(["--one-hot-categoricals"] if one_hot else [])]) == 1
    line = _error_line(capsys)
    assert "'body_mass_g' holds numbers" in line
    assert "1 cell(s)" in line and "line 42: '4250g'" in line
    assert "--impute" in line and "--drop-columns body_mass_g" in line
    assert not model.exists()


def test_a_stray_cell_in_new_data_is_reported_with_its_line(penguins, tmp_path, capsys):
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(penguins.read_text().replace("4250g", "4250"))
    model = tmp_path / "m.st"
    argv = ["train", str(fixed), "--target", "species", "--max-iter", "2", "--quiet"]
    assert main([*argv, "--save", str(model)]) == 0
    capsys.readouterr()
    assert main(["predict", str(model), str(penguins)]) == 1
    line = _error_line(capsys)
    assert "'body_mass_g' holds numbers" in line and "line 42: '4250g'" in line
