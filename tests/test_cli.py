"""Tests of the ``sigmanet`` command (sigmanet.cli.main), on real bundled datasets."""

from __future__ import annotations

import csv
import io
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from sigmanet import persistence
from sigmanet.cli import main
from sigmanet.diagnostics import trace_backprop
from sigmanet.preprocessing import StableStandardScaler

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LEGACY = pathlib.Path(__file__).parent / "data" / "cli_0_1_0"


def _steps(model):
    """Every step nested in a fitted pipeline (column transformers and target transformers)."""
    found = [model]
    for _, inner in getattr(model, "steps", []):
        found += _steps(inner)
    for _, inner, _ in getattr(model, "transformers_", []):
        if not isinstance(inner, str):
            found += _steps(inner)
    if getattr(model, "regressor_", None) is not None:
        found += _steps(model.regressor_)
    return found


def _step(model, cls):
    (step,) = [step for step in _steps(model) if isinstance(step, cls)]
    return step


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
    """A small MLP trained by the CLI on standardised iris, saved as one pipeline file."""
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


def test_train_reports_validation_metrics_and_saves_one_pipeline_file(data, tmp_path, capsys):
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
    assert "epoch  1/30  loss " in err and "validation score" in err
    # one file: the preprocessing and the model as one scikit-learn pipeline, no sidecar
    assert sorted(path.name for path in tmp_path.iterdir()) == ["iris.safetensors"]
    loaded = persistence.load(model)
    assert isinstance(loaded, Pipeline)
    assert [name for name, _ in loaded.steps] == ["preprocessing", "model"]
    assert loaded[-1].n_iter_ == 30
    assert list(loaded.feature_names_in_) == list(load_iris().feature_names)
    assert list(loaded.classes_) == ["setosa", "versicolor", "virginica"]
    # Python users get a pipeline that takes the file's columns as they are
    assert accuracy_score(data["iris_y"], loaded.predict(data["iris_X"])) > 0.8


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
    loaded = persistence.load(model)
    scaler = _step(loaded, StableStandardScaler)
    np.testing.assert_allclose(scaler.mean_, data["cancer_X"][np.sort(train)].mean(axis=0))
    expected = accuracy_score(data["cancer_y"][val], loaded.predict(data["cancer_X"][val]))
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
    assert persistence.load(model)[-1].n_iter_ == 3


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
    loaded = persistence.load(model)[-1]
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
                "--validation-fraction",
                "0",
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
    loaded = persistence.load(model)
    assert list(loaded.feature_names_in_) == ["a", "colour", "b"]
    encoder = _step(loaded, OneHotEncoder)
    assert [list(c) for c in encoder.categories_] == [["blue", "green", "red"]]
    assert list(loaded[0].get_feature_names_out()) == [
        "a",
        "b",
        "colour_blue",
        "colour_green",
        "colour_red",
    ]
    # the fill values are the medians of the training rows (all rows: no validation split)
    table = list(csv.DictReader(io.StringIO(messy.read_text(encoding="utf-8"))))
    medians = [
        np.median([float(row[name]) for row in table if row[name] not in ("", "NA")])
        for name in ("a", "b")
    ]
    numeric_imputer = next(
        s for s in _steps(loaded) if isinstance(s, SimpleImputer) and s.strategy == "median"
    )
    np.testing.assert_array_equal(numeric_imputer.statistics_, medians)

    # new data, columns reordered, one missing 'a' and one missing 'b'
    new = _write_csv(
        tmp_path / "new.csv",
        ["b", "colour", "a"],
        [["0.5", "red", ""], ["", "blue", "-1.0"], ["1.5", "green", "2.0"]],
    )
    assert main(["predict", str(model), str(new), "--proba"]) == 0
    header, rows = _read_predictions(capsys.readouterr().out)
    assert header == ["prediction", "proba_no", "proba_yes"]
    raw = np.array(
        [[np.nan, "red", 0.5], [-1.0, "blue", np.nan], [2.0, "green", 1.5]], dtype=object
    )
    encoded = np.array(
        [[medians[0], 0.5, 0, 0, 1], [-1.0, medians[1], 1, 0, 0], [2.0, 1.5, 0, 1, 0]]
    )
    assert [row[0] for row in rows] == list(loaded.predict(raw))
    np.testing.assert_array_equal(loaded[-1].predict_proba(encoded), loaded.predict_proba(raw))
    np.testing.assert_allclose(
        [[float(v) for v in row[1:]] for row in rows], loaded.predict_proba(raw), rtol=1e-15
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
    expected = persistence.load(iris_model).predict(data["iris_X"])
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
    X = data["iris_X"]
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
    model = persistence.load(iris_model)[-1]
    n_params = sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_)
    assert "MLPClassifier" in out
    assert re.search(rf"parameters\s*│\s*{n_params}\b", out)
    assert "Dense" in out and "Activation(tanh)" in out
    assert "W (4, 8)" in out and "W (8, 3)" in out
    assert f"{model.loss_curve_[-1]:.6g}" in out
    assert "setosa" in out
    assert "preprocessing (stored in the model file)" in out
    assert re.search(r"standardize\s*│\s*sepal length \(cm\)", out)


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


def test_trace_prints_every_step_beside_the_formulas(capsys):
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


def _train_report(data, report, *extra):
    argv = ["train", str(data["iris"]), "--target", "species", "--hidden-layer-sizes", "6"]
    argv += ["--max-iter", "15", "--random-state", "0", "--standardize", "--quiet"]
    argv += ["--report", str(report)]
    return main([*argv, *extra])


def test_train_report_is_written_deterministically_and_never_overwritten(data, tmp_path, capsys):
    report = tmp_path / "report.html"
    assert _train_report(data, report) == 0
    first = report.read_bytes()
    page = first.decode("utf-8")
    run = json.loads(page.split('id="sigmanet-run">')[1].split("</script>")[0])
    assert run["config"]["command"] == "train"
    assert run["config"]["options"]["target"] == "species"
    assert run["config"]["options"]["hidden_layer_sizes"] == [6]
    assert run["model"]["class"] == "MLPClassifier"
    assert run["metrics"]["evaluated_on"] == "validation data"
    assert run["history"]["gradient_flow"]["layers"] == ["W1 (4→6)", "W2 (6→3)"]
    assert "<td>petal length (cm)</td>" in page
    capsys.readouterr()

    assert _train_report(data, report) == 1
    assert "already exists; pass --force" in _error_line(capsys)
    assert report.read_bytes() == first
    assert _train_report(data, report, "--force") == 0
    assert report.read_bytes() == first  # the same run gives the same bytes
    capsys.readouterr()
    assert _train_report(data, tmp_path / "missing" / "report.html") == 1
    assert "its directory does not exist" in _error_line(capsys)


# Mazur, "A Step by Step Backpropagation Example" (2015): a 2-2-2 sigmoid network with squared
# error; the figures below are those printed in the post.
_MAZUR = {
    "x": [0.05, 0.10],
    "y": [0.01, 0.99],
    "weights": [[[0.15, 0.25], [0.20, 0.30]], [[0.40, 0.50], [0.45, 0.55]]],
    "biases": [[0.35, 0.35], [0.60, 0.60]],
    "learning_rate": 0.5,
}


def _check_mazur_figures(out: str) -> None:
    assert "2-2-2 network" in out
    assert "Weights and biases as given." in out
    assert "L = ½ Σ (ŷ - y)² = 0.298371" in out
    update = out[out.index("UPDATE") :]
    # W[2] row 0 is (w5, w7), W[1] row 0 is (w1, w3); printed to 6 significant digits
    assert "W[2] = [[0.358916, 0.511301]" in update
    assert "W[1] = [[0.149781, 0.249751]" in update


def test_trace_reproduces_the_published_example_from_options(capsys):
    argv = ["trace", "--x", "0.05,0.10", "--y", "0.01,0.99", "--learning-rate", "0.5"]
    argv += ["--weights", json.dumps(_MAZUR["weights"]), "--biases", json.dumps(_MAZUR["biases"])]
    assert main(argv) == 0
    _check_mazur_figures(capsys.readouterr().out)


def test_trace_reads_a_json_file_and_options_override_it(tmp_path, capsys):
    path = tmp_path / "step.json"
    path.write_text(json.dumps(_MAZUR), encoding="utf-8")
    assert main(["trace", "--params", str(path)]) == 0
    _check_mazur_figures(capsys.readouterr().out)
    assert main(["trace", "--params", str(path), "--learning-rate", "0.25"]) == 0
    out = capsys.readouterr().out
    assert "η (learning rate) = 0.25" in out
    assert "W[2] = [[0.358916" not in out


def test_trace_of_several_samples_shows_the_mean(tmp_path, capsys):
    values = {**_MAZUR, "x": [[0.05, 0.10], [1.0, 2.0]], "y": [[0.01, 0.99], [1.0, 0.0]]}
    path = tmp_path / "two.json"
    path.write_text(json.dumps(values), encoding="utf-8")
    assert main(["trace", "--params", str(path)]) == 0
    out = capsys.readouterr().out
    trace = trace_backprop(
        values["x"], values["y"], weights=values["weights"], biases=values["biases"]
    )
    assert "2 samples" in out
    assert f"L = (1/m) Σ_rows ½ Σ (ŷ - y)² = {trace.loss:.6g}" in out
    assert "dW[l] = a[l-1]ᵀ dz[l] / m" in out


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("{", [], "not valid JSON (line 1"),
        ("[1, 2]", [], "must hold a JSON object"),
        ('{"wieghts": []}', [], "unknown key(s) 'wieghts'"),
        ('{"weights": [[[1, 2]]], "biases": [[1]]}', [], "biases[0] must have shape (2,)"),
        ('{"weights": [[[1, 2]], [[3], [4], [5]]]}', [], "must match"),
        ('{"weights": "abc"}', [], "weights"),
        ('{"biases": [[1]]}', [], "without weights"),
        ("{}", ["--weights", "[[1"], "'--weights': must be JSON"),
    ],
)
def test_trace_rejects_bad_parameters_with_one_clear_line(
    tmp_path, capsys, content, extra, message
):
    path = tmp_path / "step.json"
    path.write_text(content, encoding="utf-8")
    assert main(["trace", "--params", str(path), *extra]) == 2
    assert message in _error_line(capsys)


def test_trace_names_a_missing_params_file(tmp_path, capsys):
    assert main(["trace", "--params", str(tmp_path / "missing.json")]) == 2
    assert "cannot read --params file" in _error_line(capsys)


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


def test_a_model_with_the_separate_preprocessing_file_of_0_1_0_is_refused_clearly(
    data, iris_model, tmp_path, capsys
):
    # written by sigmanet 0.1.0's `sigmanet train iris.csv --target species --standardize
    # --hidden-layer-sizes 4 --max-iter 20 --learning-rate-init 0.05 --random-state 0 --save`
    for name in ("iris.safetensors", "iris.safetensors.preprocessing.json"):
        (tmp_path / name).write_bytes((LEGACY / name).read_bytes())
    legacy = tmp_path / "iris.safetensors"
    for argv in (
        ["predict", str(legacy), str(data["iris"])],
        ["evaluate", str(legacy), str(data["iris"]), "--target", "species"],
        ["info", str(legacy)],
    ):
        assert main(argv) == 1
        line = _error_line(capsys)
        assert "iris.safetensors.preprocessing.json" in line
        assert "train the model again" in line and "inside the model file" in line
    # the model file itself still loads (a bare estimator): only the pairing is refused
    assert persistence.load(legacy).n_features_in_ == 4
    # training again onto it replaces the model, and says the old separate file is unused
    argv = ["train", str(data["iris"]), "--target", "species", "--max-iter", "2", "--quiet"]
    assert main([*argv, "--save", str(legacy), "--force"]) == 0
    err = capsys.readouterr().err
    assert "iris.safetensors.preprocessing.json belongs to the model this one replaced" in err
    assert main(["predict", str(legacy), str(data["iris"])]) == 0
    assert len(_read_predictions(capsys.readouterr().out)[1]) == 150
    # a pipeline file ignores a stale separate file next to it
    copy = tmp_path / "new.st"
    copy.write_bytes(iris_model.read_bytes())
    (tmp_path / "new.st.preprocessing.json").write_text("{not json")
    assert main(["predict", str(copy), str(data["iris"])]) == 0
    assert len(_read_predictions(capsys.readouterr().out)[1]) == 150


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


def test_plot_boundary_of_a_standardised_model_uses_the_data_units(
    data, tmp_path, capsys, monkeypatch
):
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
    from sigmanet import plotting

    drawn = {}
    draw = plotting.plot_decision_boundary

    def spy(estimator, X, y, **kwargs):
        drawn.update(estimator=estimator, X=X)
        return draw(estimator, X, y, **kwargs)

    monkeypatch.setattr(plotting, "plot_decision_boundary", spy)
    output = tmp_path / "std2.svg"
    argv = ["plot", "boundary", str(model), str(data["iris"]), "--target", "species"]
    assert main([*argv, "--output", str(output)]) == 0
    capsys.readouterr()
    assert ElementTree.parse(output).getroot().tag.endswith("svg")
    # the whole pipeline is drawn over the data as they are in the file (centimetres), so
    # the axes are in the data's units, not standardised values around 0
    assert isinstance(drawn["estimator"], Pipeline)
    np.testing.assert_array_equal(drawn["X"], data["iris_X"][:, 2:])
    assert _step(drawn["estimator"], StableStandardScaler).mean_[0] > 3


def test_linear_models_train_from_the_command_line(data, tmp_path, capsys):
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
    loaded = persistence.load(model)[-1]
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


# -- target scaling -------------------------------------------------------------------------


@pytest.fixture()
def balances(tmp_path):
    """A regression target in the tens of thousands (an account balance, say)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = 50000 + 20000 * (X @ [1.0, -2.0, 0.5]) + 1000 * rng.normal(size=300)
    rows = [[*map(repr, row.tolist()), repr(float(t))] for row, t in zip(X, y, strict=True)]
    return _write_csv(tmp_path / "balances.csv", ["a", "b", "c", "balance"], rows), X, y


def test_scale_target_lets_an_mlp_regressor_learn_a_target_in_thousands(balances, tmp_path, capsys):
    path, X, y = balances
    model = tmp_path / "balances.st"
    common = [
        "train",
        str(path),
        "--target",
        "balance",
        "--model",
        "mlp-regressor",
        "--standardize",
        "--hidden-layer-sizes",
        "16",
        "--max-iter",
        "200",
        "--learning-rate-init",
        "0.01",
        "--random-state",
        "0",
        "--quiet",
    ]
    assert main(common) == 0
    unscaled = _metric(capsys.readouterr().out, "R²")
    assert main([*common, "--scale-target", "--save", str(model)]) == 0
    out = capsys.readouterr().out
    assert "(standardised target)" in out
    scaled = _metric(out, "R²")
    # the same network learns the balance only when the target is standardised
    assert unscaled < 0.5 < 0.95 < scaled

    loaded = persistence.load(model)
    assert isinstance(loaded[-1], TransformedTargetRegressor)
    predicted = loaded.predict(X)
    assert abs(np.mean(predicted) - np.mean(y)) < 0.05 * np.std(y)  # in the target's units
    assert main(["evaluate", str(model), str(path), "--target", "balance"]) == 0
    from sklearn.metrics import r2_score

    assert _metric(capsys.readouterr().out, "R²") == pytest.approx(r2_score(y, predicted), rel=1e-5)
    assert main(["info", str(model)]) == 0
    assert re.search(r"scale target\s*│\s*yes", capsys.readouterr().out)


def test_scale_target_is_for_regressors_only(data, capsys):
    argv = ["train", str(data["iris"]), "--target", "species", "--scale-target"]
    assert main(argv) == 2
    assert "--scale-target applies to regressors" in _error_line(capsys)


# -- extreme magnitudes ---------------------------------------------------------------------


def test_standardize_is_exact_near_1e300_and_at_the_largest_floats(data, tmp_path, capsys):
    # iris times 2^996 (about 1e300): an exact power of two, so the standardised columns, the
    # training and the predictions must be bit-identical to those of iris itself
    factor = 2.0**996
    labels = data["iris_y"]
    header = [*load_iris().feature_names, "species"]

    def write(name, X):
        rows = [[*map(repr, row.tolist()), label] for row, label in zip(X, labels, strict=True)]
        return _write_csv(tmp_path / name, header, rows)

    plain, huge = write("plain.csv", data["iris_X"]), write("huge.csv", data["iris_X"] * factor)
    options = ["--standardize", "--hidden-layer-sizes", "8", "--max-iter", "30", "--quiet"]
    options += ["--learning-rate-init", "0.05", "--random-state", "0"]
    probabilities = []
    for path in (plain, huge):
        model = tmp_path / f"{path.stem}.st"
        assert (
            main(["train", str(path), "--target", "species", *options, "--save", str(model)]) == 0
        )
        capsys.readouterr()
        assert main(["predict", str(model), str(path), "--proba"]) == 0
        out, err = capsys.readouterr()
        assert "warning" not in err.replace("maximum iterations", "")
        probabilities.append(out)
        scaler = _step(persistence.load(model), StableStandardScaler)
        assert np.all(np.isfinite(scaler.scale_)) and np.all(scaler.scale_ > 0)
    assert probabilities[0] == probabilities[1]
    assert sorted(path.name for path in tmp_path.glob("*.json")) == []

    # values up to the largest floats, of both signs: no warning, a loadable file
    rng = np.random.default_rng(0)
    largest = np.finfo(np.float64).max
    big, tiny = rng.uniform(-1, 1, 150) * largest, rng.uniform(-1, 1, 150) * 1e-300
    extreme = np.column_stack([big, data["iris_X"][:, 2], tiny])
    rows = [[*map(repr, row.tolist()), label] for row, label in zip(extreme, labels, strict=True)]
    path = _write_csv(tmp_path / "extreme.csv", ["big", "petal", "tiny", "species"], rows)
    model = tmp_path / "extreme.st"
    argv = ["train", str(path), "--target", "species", *options, "--save", str(model)]
    assert main([*argv, "--validation-fraction", "0"]) == 0  # the scaler sees every row
    capsys.readouterr()
    assert main(["evaluate", str(model), str(path), "--target", "species"]) == 0
    assert _metric(capsys.readouterr().out, "accuracy") > 0.6  # petal length alone separates
    standardised = _step(persistence.load(model), StableStandardScaler).transform(extreme)
    np.testing.assert_allclose(standardised.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(standardised.std(axis=0), 1, rtol=1e-12)


def test_imputing_columns_near_the_largest_floats(tmp_path, capsys):
    rng = np.random.default_rng(0)
    big = rng.uniform(-1, 1, 60) * np.finfo(np.float64).max
    other = rng.normal(size=60)
    rows = [
        [repr(float(b)), repr(float(x)), "yes" if x > 0 else "no"]
        for b, x in zip(big, other, strict=True)
    ]
    rows[3][0] = ""
    path = _write_csv(tmp_path / "extreme.csv", ["big", "x", "label"], rows)
    argv = ["train", str(path), "--target", "label", "--standardize", "--max-iter", "3", "--quiet"]
    # a mean of these values is representable, but scikit-learn's imputer sums them first
    assert main([*argv, "--impute", "mean"]) == 1
    line = _error_line(capsys)
    assert "'big'" in line and "too large to average" in line and "--impute median" in line
    model = tmp_path / "median.st"
    every_row = ["--validation-fraction", "0"]  # the median of all rows but the missing one
    assert main([*argv, "--impute", "median", *every_row, "--save", str(model)]) == 0
    capsys.readouterr()
    imputer = _step(persistence.load(model), SimpleImputer)
    assert imputer.statistics_[0] == np.median(np.delete(big, 3))


@pytest.mark.parametrize("model", ["logistic", "softmax", "mlp-classifier"])
def test_a_classifier_refuses_a_continuous_target_before_training(data, model, tmp_path, capsys):
    rows = [
        [*map(repr, row.tolist()), repr(float(t) / 400)]
        for row, t in zip(data["diabetes_X"], data["diabetes_y"], strict=True)
    ]
    path = _write_csv(tmp_path / "fraction.csv", [f"x{i}" for i in range(10)] + ["y"], rows)
    assert main(["train", str(path), "--target", "y", "--model", model, "--quiet"]) == 1
    out = capsys.readouterr()
    assert "training" not in out.out  # refused before any training
    line = out.err.strip().splitlines()[-1]
    assert line.startswith("sigmanet: error: ") and "not whole" in line and "line 2" in line
    assert "--model mlp-regressor" in line


def test_a_pipeline_fitted_on_a_data_frame_in_python_reads_files_by_column_name(tmp_path, capsys):
    pandas = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sigmanet.estimators import MLPClassifier

    rng = np.random.default_rng(0)
    frame = pandas.DataFrame(
        {
            "a": rng.normal(size=80),
            "colour": rng.choice(["blue", "red"], 80),
            "b": rng.normal(size=80),
        }
    )
    y = (frame["a"] + (frame["colour"] == "red") > 0.5).astype(int)
    encode = ColumnTransformer(
        [("numbers", StandardScaler(), ["a", "b"]), ("colours", OneHotEncoder(), ["colour"])]
    )
    model = make_pipeline(
        encode, MLPClassifier((4,), max_iter=300, learning_rate_init=0.05, random_state=0)
    ).fit(frame, y)
    path = persistence.save(model, tmp_path / "frame.st")
    data = tmp_path / "data.csv"
    frame[["b", "colour", "a"]].assign(t=y).to_csv(data, index=False)  # another column order
    assert main(["predict", str(path), str(data)]) == 0
    _, rows = _read_predictions(capsys.readouterr().out)
    assert [int(row[0]) for row in rows] == model.predict(frame).tolist()
    assert main(["evaluate", str(path), str(data), "--target", "t"]) == 0
    accuracy = accuracy_score(y, model.predict(frame))
    assert _metric(capsys.readouterr().out, "accuracy") == pytest.approx(accuracy, abs=1e-6)
    frame.loc[3, "colour"] = "green"
    frame.to_csv(data, index=False)
    assert main(["predict", str(path), str(data)]) == 1
    line = _error_line(capsys)
    assert "'colour' at line 5 has category 'green'" in line


def test_train_and_predict_near_1e300_as_separate_processes_print_no_warning(data, tmp_path):
    # warnings reach stderr here as a user sees them (no test harness turning them into errors)
    rows = [
        [*map(repr, (row * 1e300).tolist()), label]
        for row, label in zip(data["iris_X"], data["iris_y"], strict=True)
    ]
    path = _write_csv(tmp_path / "huge.csv", [*load_iris().feature_names, "species"], rows)
    model = tmp_path / "huge.st"

    def run(*argv):
        return subprocess.run(
            [sys.executable, "-m", "sigmanet", *argv],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    trained = run(
        "train", str(path), "--target", "species", "--standardize", "--solver", "lbfgs",
        "--hidden-layer-sizes", "8", "--random-state", "0", "--quiet", "--save", str(model),
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    predicted = run("predict", str(model), str(path), "--proba")
    assert predicted.returncode == 0, predicted.stderr
    for result in (trained, predicted):
        assert "Warning" not in result.stderr and "warning" not in result.stderr
    _, lines = _read_predictions(predicted.stdout)
    proba = np.array([[float(v) for v in line[1:]] for line in lines])
    assert np.all(np.isfinite(proba))
    assert accuracy_score(data["iris_y"], [line[0] for line in lines]) > 0.9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.csv", "huge.st"]


def test_a_failed_predict_output_leaves_the_old_file_whole_and_no_temporary_file(
    data, iris_model, tmp_path, capsys, monkeypatch
):
    output = tmp_path / "predictions.csv"
    output.write_text("the previous predictions\n")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    # the new predictions are all written, to a temporary file, when flushing them fails
    monkeypatch.setattr(os, "fsync", disk_full)
    argv = ["predict", str(iris_model), str(data["iris"]), "--output", str(output), "--force"]
    assert main(argv) == 1
    assert "No space left on device" in _error_line(capsys)
    assert output.read_text() == "the previous predictions\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["predictions.csv"]
    monkeypatch.undo()
    assert main(argv) == 0
    capsys.readouterr()
    assert len(_read_predictions(output.read_text())[1]) == 150
    assert sorted(path.name for path in tmp_path.iterdir()) == ["predictions.csv"]


def test_a_category_only_in_the_validation_rows_is_encoded_not_an_error(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = [
        [["red", "blue"][index % 2], repr(float(x)), "yes" if x > 0 else "no"]
        for index, x in enumerate(rng.normal(size=20))
    ]
    rows[7][0] = "violet"  # one row: in the validation half for some seeds, not for others
    path = _write_csv(tmp_path / "rare.csv", ["colour", "x", "label"], rows)
    argv = ["train", str(path), "--target", "label", "--one-hot-categoricals", "--quiet"]
    argv += ["--max-iter", "2", "--validation-fraction", "0.5"]
    for seed in range(6):
        model = tmp_path / f"rare{seed}.st"
        assert main([*argv, "--random-state", str(seed), "--save", str(model)]) == 0, seed
        assert _metric(capsys.readouterr().out, "samples") == 10
        encoder = _step(persistence.load(model), OneHotEncoder)
        assert [list(c) for c in encoder.categories_] == [["blue", "red", "violet"]]


def test_a_column_whose_only_values_fall_in_the_validation_rows_is_named(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = [[repr(float(x)), "", "yes" if x > 0 else "no"] for x in rng.normal(size=20)]
    rows[7][1] = "3.5"  # the only value of 'sparse'
    path = _write_csv(tmp_path / "sparse.csv", ["x", "sparse", "label"], rows)
    argv = ["train", str(path), "--target", "label", "--impute", "mean", "--quiet"]
    argv += ["--max-iter", "2", "--validation-fraction", "0.5"]
    outcomes = set()
    for seed in range(6):
        status = main([*argv, "--random-state", str(seed)])
        captured = capsys.readouterr()
        if status == 1:
            assert "'sparse' has no values in the training rows" in captured.err
            assert "--validation-fraction 0" in captured.err
        else:
            assert status == 0 and "Warning" not in captured.err
        outcomes.add(status)
    assert outcomes == {0, 1}  # the value was in the training half for some seeds only


def test_a_failed_plot_leaves_the_old_picture_whole_and_no_temporary_file(
    tmp_path, capsys, monkeypatch
):
    output = tmp_path / "act.png"
    output.write_bytes(b"the previous picture")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    argv = ["plot", "activations", "--names", "sigmoid", "--output", str(output)]
    assert main(argv) == 1
    assert "already exists; pass --force" in _error_line(capsys)
    argv.append("--force")
    assert main(argv) == 1
    assert "No space left on device" in _error_line(capsys)
    assert output.read_bytes() == b"the previous picture"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["act.png"]
    monkeypatch.undo()
    assert main(argv) == 0
    capsys.readouterr()
    assert output.read_bytes().startswith(PNG_MAGIC)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["act.png"]


# -- signals and pipes: exit as a well-behaved Unix tool does ----------------------------------


def test_a_closed_output_pipe_ends_predict_quietly_with_sigpipes_status(iris_model, tmp_path):
    # 20,000 rows of predictions are far more than a pipe holds, so predict is still writing
    # when its reader, like `head -1`, has read one line and gone.
    iris = load_iris()
    rows = [list(map(repr, row.tolist())) for row in np.tile(iris.data, (134, 1))]
    big = _write_csv(tmp_path / "big.csv", iris.feature_names, rows)
    with subprocess.Popen(
        [sys.executable, "-m", "sigmanet", "predict", str(iris_model), str(big), "--proba"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as producer:
        first = producer.stdout.readline()
        producer.stdout.close()
        status = producer.wait(timeout=120)
        err = producer.stderr.read().decode()
    assert first.decode().startswith("prediction,proba_")
    assert err == ""  # no traceback, no "Exception ignored" at exit
    assert status == 141  # 128 + SIGPIPE, what a shell reports for `cat` in the same place


def test_ctrl_c_during_training_without_save_ends_with_status_130_one_line(tmp_path):
    # Ctrl-C once the command has said that training starts (so the interrupt lands inside
    # main(), not in interpreter start-up); the fit asked for far more epochs than it gets.
    iris = load_iris()
    rows = [
        [*map(repr, row.tolist()), label]
        for row, label in zip(np.tile(iris.data, (100, 1)), np.tile(iris.target, 100), strict=True)
    ]
    big = _write_csv(tmp_path / "big.csv", [*iris.feature_names, "species"], rows)
    command = [sys.executable, "-u", "-m", "sigmanet", "train", str(big), "--target", "species"]
    command += ["--max-iter", "100000", "--quiet"]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # a shell starts background jobs with SIGINT ignored, which Python would keep
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as process:
        first = process.stdout.readline().decode()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    assert first.startswith("training MLPClassifier on 13500 rows")
    assert process.returncode == 130
    assert err.decode().splitlines() == ["sigmanet: interrupted"]
    assert list(tmp_path.iterdir()) == [big]  # nothing written


@pytest.mark.parametrize(
    ("model", "extra"),
    [
        ("mlp-classifier", ["--learning-rate-init", "1e6"]),  # Adam: the loss reaches ~1e16
        ("logistic", ["--solver", "gd", "--learning-rate-init", "1e6"]),  # a fixed step
        ("softmax", ["--solver", "sgd", "--learning-rate-init", "1e3", "--standardize"]),
    ],
)
def test_a_finite_divergence_is_one_error_line_with_advice(model, extra, data, tmp_path, capsys):
    saved = tmp_path / "diverged.st"
    command = ["train", str(data["cancer"]), "--target", "diagnosis", "--model", model]
    command += ["--random-state", "0", "--quiet"]
    command += [*extra, "--save", str(saved)]
    assert main(command) == 1
    line = _error_line(capsys)
    assert "diverged at" in line and "exceeds 10000 times" in line
    assert "a smaller --learning-rate-init" in line
    assert ("--standardize" in line) == ("--standardize" not in extra)
    assert not saved.exists()  # nothing is saved from a diverged fit


# -- recurrent networks ----------------------------------------------------------------------


def test_plot_gradients_through_time(tmp_path, capsys):
    output = tmp_path / "through_time.png"
    assert main(["plot", "gradients-through-time", "--steps", "60", "--output", str(output)]) == 0
    assert output.read_bytes().startswith(PNG_MAGIC)
    rows = dict(re.findall(r"^\s+(rnn|lstm)\s+(.*)$", capsys.readouterr().out, re.MULTILINE))
    rnn, lstm = ([float(v) for v in rows[cell].split()] for cell in ("rnn", "lstm"))
    assert rnn[0] == pytest.approx(lstm[0])  # the same gradient at the loss
    assert lstm[-1] > 100 * rnn[-1]  # 59 steps back the LSTM keeps far more of it
    assert main(["plot", "gradients-through-time", "--cells", "rnn,cnn", "--output", str(output)])
    assert "unknown cell(s) ['cnn']" in _error_line(capsys)


def test_info_shows_the_recurrent_layers(tmp_path, capsys):
    from sigmanet import RNNClassifier

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((12, 3, 7)), np.arange(12) % 2
    model = RNNClassifier("gru", hidden_size=4, bidirectional=True, max_iter=2, random_state=0)
    with pytest.warns(Warning):  # two epochs do not converge
        model.fit(X, y)
    path = persistence.save(model, tmp_path / "gru.safetensors")
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "RNNClassifier" in out and "GRU(tanh)" in out and "Dense" in out
    assert "W_ih (12, 3)" in out and "W_hh (12, 4)" in out
    assert "[216]" in out  # 2 directions × (12·3 + 12·4 + 12 + 12)
    assert re.search(r"n_channels_\)\s*│\s*3\b", out)
    assert re.search(r"cell\s*│\s*'?gru", out)
