"""``sigmanet train``'s model options, the split, the seed, progress and Ctrl-C; ``evaluate``'s
metrics per class; ``info``'s coefficients; ``predict --id-column``."""

from __future__ import annotations

import csv
import io
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

from sigmanet import persistence
from sigmanet.cli import main
from sigmanet.cli.train import LOSSES, SCHEDULES, SOLVERS
from sigmanet.estimators import ESTIMATORS
from sigmanet.preprocessing import InputColumns


def _write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    data = load_iris()
    labels = data.target_names[data.target]
    rows = [[*map(repr, row.tolist()), label] for row, label in zip(data.data, labels, strict=True)]
    path = tmp_path_factory.mktemp("iris") / "iris.csv"
    return _write_csv(path, [*data.feature_names, "species"], rows)


@pytest.fixture(scope="module")
def cancer(tmp_path_factory):
    data = load_breast_cancer()
    rows = [
        [f"id{index}", *map(repr, row.tolist()), int(target)]
        for index, (row, target) in enumerate(zip(data.data, data.target, strict=True))
    ]
    path = tmp_path_factory.mktemp("cancer") / "cancer.csv"
    return _write_csv(path, ["patient", *data.feature_names, "diagnosis"], rows)


def _model(path):
    """The estimator at the end of a saved pipeline."""
    model = persistence.load(path)
    return model.steps[-1][1]


def _error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sigmanet: error: "), err
    return err[0]


def _metric(text, name):
    match = re.search(rf"{re.escape(name)}\s*│\s*([-0-9.e]+)", text)
    assert match, f"metric {name!r} not found in:\n{text}"
    return float(match.group(1))


# -- the tables of choices are the estimators' own -----------------------------------------------


def test_the_solver_loss_and_schedule_choices_are_the_estimators():
    from sigmanet.estimators import _parameters, linear

    for name, solvers in SOLVERS.items():
        expected = (
            linear.SOLVERS
            if name in ("LogisticRegression", "SoftmaxRegression")
            else (
                "lbfgs",
                *_parameters.STOCHASTIC_SOLVERS,
            )
        )
        assert set(solvers) == set(expected), name
    assert set(SCHEDULES) == set(_parameters.LEARNING_RATES)
    for name, losses in LOSSES.items():
        for loss in losses:
            ESTIMATORS[name](loss=loss)._validate_params()  # accepted
        with pytest.raises(ValueError):
            ESTIMATORS[name](loss="nope")._validate_params()


# -- options reach the estimator's parameters -----------------------------------------------------


def test_model_options_map_to_the_estimators_parameters(iris, tmp_path, capsys):
    saved = tmp_path / "m.st"
    argv = ["train", str(iris), "--target", "species", "--hidden-layer-sizes", "8,6"]
    argv += ["--activation", "tanh,relu", "--dropout", "0.1,0", "--solver", "sgd"]
    argv += ["--schedule", "invscaling", "--class-weight", "setosa=2,versicolor=1,virginica=1"]
    argv += ["--loss", "log_loss", "--batch-size", "full", "--early-stopping"]
    argv += ["--n-iter-no-change", "3", "--tol", "0.001", "--max-iter", "5", "--quiet"]
    assert main([*argv, "--save", str(saved)]) == 0
    capsys.readouterr()
    params = _model(saved).get_params()
    assert params["hidden_layer_sizes"] == (8, 6)
    assert params["activation"] == ("tanh", "relu")
    assert params["dropout"] == (0.1, 0.0)
    assert params["solver"] == "sgd" and params["learning_rate"] == "invscaling"
    assert params["class_weight"] == {"setosa": 2.0, "versicolor": 1.0, "virginica": 1.0}
    assert params["batch_size"] == "full" and params["early_stopping"] is True
    assert params["n_iter_no_change"] == 3 and params["tol"] == 0.001


def test_class_weight_labels_take_the_targets_type(cancer, tmp_path, capsys):
    saved = tmp_path / "m.st"
    argv = ["train", str(cancer), "--target", "diagnosis", "--drop-columns", "patient"]
    argv += ["--model", "logistic", "--standardize", "--quiet", "--save", str(saved)]
    assert main([*argv, "--class-weight", "0=3,1=1"]) == 0
    capsys.readouterr()
    assert _model(saved).get_params()["class_weight"] == {0: 3.0, 1: 1.0}
    assert main([*argv, "--force", "--class-weight", "balanced"]) == 0
    capsys.readouterr()
    assert _model(saved).get_params()["class_weight"] == "balanced"
    assert main([*argv, "--force", "--class-weight", "2=1"]) == 1
    assert "does not hold; its classes: 0, 1" in _error_line(capsys)


def test_linear_models_take_a_schedule_with_its_initial_rate(iris, tmp_path, capsys):
    saved = tmp_path / "m.st"
    argv = ["train", str(iris), "--target", "species", "--model", "softmax", "--solver", "sgd"]
    argv += ["--standardize", "--max-iter", "3", "--quiet", "--save", str(saved)]
    assert main([*argv, "--schedule", "step", "--learning-rate-init", "0.05"]) == 0
    capsys.readouterr()
    params = _model(saved).get_params()
    assert (params["learning_rate"], params["learning_rate_init"]) == ("step", 0.05)
    assert main([*argv, "--schedule", "annealed", "--learning-rate-init", "0.05"]) == 2
    assert "leave out --learning-rate-init" in _error_line(capsys)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--model", "logistic", "--solver", "adamw"], "--solver adamw does not apply"),
        (["--model", "logistic", "--batch-size", "full"], "--solver lbfgs (the default)"),
        (["--loss", "poisson"], "its choices: log_loss, hinge"),
        (["--model", "softmax", "--loss", "hinge"], "--loss hinge does not apply"),
        (["--model", "logistic", "--dropout", "0.5"], "--dropout does not apply"),
        (["--hidden-layer-sizes", "4,4", "--activation", "a,b,c"], "3 values for 2 hidden"),
        (["--dropout", "1"], "0<=x<1"),
        (["--class-weight", "yes"], "LABEL=WEIGHT"),
        (["--solver", "newton"], "'newton' is not one of"),
        (["--split", "chronological", "--early-stopping"], "leave out one of the two"),
        (["--random-state", "-1"], "x>=0"),
    ],
)
def test_options_that_do_not_fit_are_usage_errors(iris, capsys, extra, message):
    assert main(["train", str(iris), "--target", "species", *extra]) == 2
    assert message in _error_line(capsys)


# -- the split, the seed ---------------------------------------------------------------------------


def test_a_chronological_split_holds_out_the_last_rows(cancer, tmp_path, capsys):
    saved = tmp_path / "m.st"
    argv = ["train", str(cancer), "--target", "diagnosis", "--drop-columns", "patient"]
    argv += ["--model", "logistic", "--standardize", "--quiet", "--save", str(saved)]
    assert main([*argv, "--split", "chronological", "--validation-fraction", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "validating on the last 114 rows" in out  # ceil(0.2 * 569)
    # the hold-out metrics are those of the saved model on the file's last 114 rows
    lines = cancer.read_text(encoding="utf-8").splitlines()
    tail = tmp_path / "tail.csv"
    tail.write_text("\n".join([lines[0], *lines[-114:]]) + "\n", encoding="utf-8")
    assert main(["evaluate", str(saved), str(tail)]) == 0
    evaluated = capsys.readouterr().out
    for name in ("samples", "accuracy", "log loss", "ROC AUC"):
        assert _metric(evaluated, name) == pytest.approx(_metric(out, name), rel=1e-9)


def test_the_seed_is_drawn_printed_saved_and_repeats_the_run(iris, tmp_path, capsys):
    first, second = tmp_path / "a.st", tmp_path / "b.st"
    argv = ["train", str(iris), "--target", "species", "--hidden-layer-sizes", "4"]
    argv += ["--max-iter", "5", "--quiet"]
    assert main([*argv, "--save", str(first)]) == 0
    out = capsys.readouterr().out
    seed = int(re.search(r", seed (\d+)\n", out).group(1))
    assert _model(first).get_params()["random_state"] == seed
    assert main(["info", str(first)]) == 0
    assert re.search(rf"seed \(random_state\)\s*│\s*{seed}\s", capsys.readouterr().out)
    assert main([*argv, "--random-state", str(seed), "--save", str(second)]) == 0
    capsys.readouterr()
    for a, b in zip(_model(first).coefs_, _model(second).coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


# -- progress and numbers ----------------------------------------------------------------------


def test_progress_off_a_terminal_is_a_few_plain_lines(iris, capsys):
    argv = ["train", str(iris), "--target", "species", "--hidden-layer-sizes", "4"]
    argv += ["--max-iter", "300", "--n-iter-no-change", "1000", "--random-state", "0"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("epoch")]
    # the first epoch, every 15th (ceil(300 / 20)) and the last
    assert [int(line.split()[1].split("/")[0]) for line in lines] == [1, *range(15, 301, 15)]
    for line in lines:
        for number in re.findall(r"(?:loss|score) (\S+)", line):
            mantissa = number.lstrip("-").split("e")[0]
            assert len(mantissa.replace(".", "").lstrip("0")) <= 6, line  # 6 significant digits


def test_large_numbers_are_printed_for_reading():
    from sigmanet.cli._output import _fmt
    from sigmanet.cli._progress import status_text

    assert _fmt(40491970184992.531250) == "4.0492e+13"
    assert status_text({"loss": 40491970184992.53, "validation_score": 0.123456789}) == (
        "loss 4.0492e+13  validation score 0.123457"
    )


# -- Ctrl-C ----------------------------------------------------------------------------------------


def test_ctrl_c_with_save_keeps_the_model_trained_so_far_and_says_so(tmp_path):
    iris = load_iris()
    rows = [
        [*map(repr, row.tolist()), label]
        for row, label in zip(np.tile(iris.data, (100, 1)), np.tile(iris.target, 100), strict=True)
    ]
    big = _write_csv(tmp_path / "big.csv", [*iris.feature_names, "species"], rows)
    saved = tmp_path / "model.st"
    command = [sys.executable, "-u", "-m", "sigmanet", "train", str(big), "--target", "species"]
    command += ["--max-iter", "100000", "--quiet", "--save", str(saved)]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as process:
        first = process.stdout.readline().decode()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=300)
    assert first.startswith("training MLPClassifier on 13500 rows")
    assert process.returncode == 130
    lines = err.decode().splitlines()
    assert lines[0].startswith("sigmanet: interrupted: finishing the epoch under way")
    assert re.fullmatch(
        r"sigmanet: interrupted: saved the model trained so far \(the weights after epoch "
        rf"(\d+)\) to {re.escape(str(saved))}",
        lines[-1],
    )
    epochs = int(re.search(r"epoch (\d+)\)", lines[-1]).group(1))
    assert "Traceback" not in err.decode()
    assert "accuracy" in out.decode()  # the hold-out metrics of what was saved
    model = _model(saved)
    assert model.n_iter_ == epochs < 100000


# -- evaluate ----------------------------------------------------------------------------------


def test_evaluate_takes_the_target_from_the_model_and_reports_per_class_and_auc(
    cancer, tmp_path, capsys
):
    saved = tmp_path / "m.st"
    argv = ["train", str(cancer), "--target", "diagnosis", "--drop-columns", "patient"]
    assert (
        main([*argv, "--model", "logistic", "--standardize", "--quiet", "--save", str(saved)]) == 0
    )
    capsys.readouterr()
    assert main(["evaluate", str(saved), str(cancer)]) == 0
    out = capsys.readouterr().out
    data = load_breast_cancer()
    model = persistence.load(saved)
    import pandas as pd

    frame = pd.read_csv(cancer)
    proba = model.predict_proba(frame[list(data.feature_names)].to_numpy())[:, 1]
    # printed to 6 significant digits
    assert _metric(out, "ROC AUC") == pytest.approx(roc_auc_score(data.target, proba), rel=1e-5)
    predicted = model.predict(frame[list(data.feature_names)].to_numpy())
    precision, recall, f1, support = precision_recall_fscore_support(data.target, predicted)
    for label in (0, 1):
        cells = re.search(
            rf"│ {label}\s*│\s*(\S+)\s*│\s*(\S+)\s*│\s*(\S+)\s*│\s*(\d+)\s*│",
            out.split("per class")[1],
        )
        assert float(cells.group(1)) == pytest.approx(precision[label], abs=1e-6)
        assert float(cells.group(2)) == pytest.approx(recall[label], abs=1e-6)
        assert float(cells.group(3)) == pytest.approx(f1[label], abs=1e-6)
        assert int(cells.group(4)) == support[label]


def test_evaluate_asks_for_the_target_when_the_model_does_not_record_it(iris, tmp_path, capsys):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from sigmanet import MLPClassifier

    data = load_iris()
    saved = tmp_path / "python.st"
    model = MLPClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a few epochs are enough here
        model.fit(data.data, data.target)
    persistence.save(model, saved)
    assert main(["evaluate", str(saved), str(iris)]) == 2
    assert "give it with --target COLUMN" in _error_line(capsys)


def test_a_confusion_matrix_of_many_classes_becomes_its_largest_confusions():
    from rich.console import Console

    from sigmanet.cli._output import print_classification

    labels = [f"c{index}" for index in range(30)]
    matrix = np.diag(np.full(30, 10))
    matrix[3, 7] = 5
    matrix[8, 1] = 2
    buffer = io.StringIO()
    print_classification(Console(file=buffer, width=120), [("samples", 307)], matrix, labels)
    text = buffer.getvalue()
    assert "largest confusions (30 classes" in text and "7 misclassified in all" in text
    rows = re.findall(r"│ (c\d+)\s*│ (c\d+)\s*│\s*(\d+) │", text)
    assert rows == [("c3", "c7", "5"), ("c8", "c1", "2")]
    assert "true \\ pred" not in text


# -- info, predict ---------------------------------------------------------------------------


def test_info_lists_coefficients_by_feature_name(cancer, tmp_path, capsys):
    saved = tmp_path / "m.st"
    argv = ["train", str(cancer), "--target", "diagnosis", "--drop-columns", "patient"]
    assert main([*argv, "--model", "logistic", "--quiet", "--save", str(saved)]) == 0
    capsys.readouterr()
    assert main(["info", str(saved)]) == 0
    out = capsys.readouterr().out
    model = _model(saved)
    data = load_breast_cancer()
    for name, weight in zip(data.feature_names, model.coef_[0], strict=True):
        assert _metric(out, name) == pytest.approx(weight, rel=1e-5)
    assert re.search(r"target column\s*│\s*diagnosis", out)


def test_predict_passes_an_id_column_through(cancer, tmp_path, capsys):
    saved = tmp_path / "m.st"
    argv = ["train", str(cancer), "--target", "diagnosis", "--drop-columns", "patient"]
    assert main([*argv, "--model", "logistic", "--quiet", "--save", str(saved)]) == 0
    capsys.readouterr()
    assert main(["predict", str(saved), str(cancer), "--id-column", "patient", "--proba"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["patient", "prediction", "proba_0", "proba_1"]
    assert [row[0] for row in rows[1:]] == [f"id{index}" for index in range(569)]
    assert main(["predict", str(saved), str(cancer), "--id-column", "nope"]) == 1
    assert "--id-column 'nope' not found" in _error_line(capsys)


def test_the_model_file_records_the_target_column(iris, tmp_path, capsys):
    saved = tmp_path / "m.st"
    assert (
        main(
            [
                "train",
                str(iris),
                "--target",
                "species",
                "--max-iter",
                "2",
                "--quiet",
                "--save",
                str(saved),
            ]
        )
        == 0
    )
    capsys.readouterr()
    (columns,) = [
        step for step in persistence.load(saved)[0].steps if isinstance(step[1], InputColumns)
    ]
    assert columns[1].target == "species"
