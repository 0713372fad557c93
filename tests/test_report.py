"""Tests of sigmanet.report: a self-contained, deterministic HTML training report."""

from __future__ import annotations

import html
import json
import os
import re

import numpy as np
import pytest
from sklearn.datasets import make_moons

from sigmanet import LogisticRegression, MLPClassifier, MLPRegressor
from sigmanet.diagnostics import GradientFlowRecorder
from sigmanet.report import RUN_DATA_ID, build_report, write_report

# short fits on purpose: the report, not the model, is under test
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _moons_fit(seed: int = 0):
    X, y = make_moons(200, noise=0.25, random_state=0)
    recorder = GradientFlowRecorder()
    clf = MLPClassifier((8, 8), max_iter=15, early_stopping=True, random_state=seed)
    clf.fit(X, y, callbacks=[recorder])
    return clf, X, y, recorder


def _embedded_run(page: str) -> dict:
    match = re.search(
        rf'<script type="application/json" id="{RUN_DATA_ID}">(.*?)</script>', page, re.S
    )
    assert match is not None
    return json.loads(match.group(1))


def test_report_embeds_the_run_as_json():
    clf, X, y, recorder = _moons_fit()
    page = build_report(
        clf,
        X,
        y,
        X_val=X[:40],
        y_val=y[:40],
        gradient_flow=recorder,
        config={"command": "sigmanet train moons.csv </script><b>"},
    )
    run = _embedded_run(page)
    assert set(run) == {"config", "data", "history", "metrics", "model", "title", "versions"}
    # a "</script>" in the configuration cannot end the JSON block early
    assert run["config"]["command"] == "sigmanet train moons.csv </script><b>"
    np.testing.assert_array_equal(run["history"]["loss_curve"], clf.loss_curve_)
    np.testing.assert_array_equal(
        run["history"]["validation_scores"], np.asarray(clf.validation_scores_)
    )
    np.testing.assert_array_equal(
        run["history"]["gradient_flow"]["mean_abs_gradient"], recorder.history
    )
    assert run["model"]["class"] == "MLPClassifier"
    assert run["model"]["parameters"]["hidden_layer_sizes"] == [8, 8]
    assert run["model"]["weight_shapes"] == [[2, 8], [8, 8], [8, 1]]
    assert run["model"]["n_parameters"] == 2 * 8 + 8 + 8 * 8 + 8 + 8 + 1
    assert run["data"]["training_rows"] == 200 and run["data"]["validation_rows"] == 40
    assert run["data"]["class_counts"] == {"0": 100, "1": 100}
    accuracy = float(np.mean(clf.predict(X[:40]) == y[:40]))
    assert run["metrics"]["accuracy"] == pytest.approx(accuracy)
    matrix = np.asarray(run["metrics"]["confusion_matrix"])
    assert matrix.sum() == 40 and np.trace(matrix) == round(accuracy * 40)
    assert {"sigmanet", "numpy", "scipy", "scikit-learn", "python"} <= set(run["versions"])
    for section in ("Data", "Model", "Loss and validation curves", "Gradient flow"):
        assert f"<h2>{section}</h2>" in page
    assert "<h2>Decision regions</h2>" in page  # two features
    assert page.count("<svg") == 4  # loss, validation score, gradient flow, regions


def test_report_is_self_contained():
    clf, X, y, recorder = _moons_fit()
    page = build_report(clf, X, y, gradient_flow=recorder)
    # no element loads anything: no src= or href= attributes, no <link>, no url(...) in CSS
    assert not re.search(r"\s(src|href)\s*=", page, re.I)
    assert "<link" not in page.lower() and "url(" not in page.lower()
    # the only address is the SVG namespace, an identifier that is never fetched
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}


def test_report_is_deterministic():
    first = build_report(*_moons_fit()[:3])
    second = build_report(*_moons_fit()[:3])
    assert first == second
    # and it does depend on the model
    assert build_report(*_moons_fit(seed=1)[:3]) != first


def test_report_of_a_regressor_and_of_a_linear_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    target = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=60)
    reg = MLPRegressor(hidden_layer_sizes=(6,), max_iter=20, random_state=0).fit(X, target)
    run = _embedded_run(build_report(reg, X, target, feature_names=["a", "b", "c"]))
    assert run["metrics"]["evaluated_on"] == "training data"
    assert set(run["metrics"]) >= {"r2", "mae", "rmse"}
    assert run["data"]["target"]["min"] == pytest.approx(target.min())
    page = build_report(reg, X, target, feature_names=["a", "b", "c"])
    assert "Decision regions" not in page and "<td>a</td>" in page

    y = (X[:, 0] > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    run = _embedded_run(build_report(clf, X, y))
    assert run["model"]["weight_shapes"] == [list(np.shape(clf.coef_))]


def test_report_of_a_multilabel_classifier():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X.sum(axis=1) > 1]).astype(int)
    clf = MLPClassifier((8,), max_iter=30, random_state=0).fit(X, Y)
    page = build_report(clf, X, Y, X_val=X[:20], y_val=Y[:20])
    run = _embedded_run(page)
    assert run["data"]["label_counts"] == Y.sum(axis=0).tolist()
    predicted = clf.predict(X[:20])
    assert run["metrics"]["subset_accuracy"] == pytest.approx(
        np.mean(np.all(predicted == Y[:20], axis=1))
    )
    assert run["metrics"]["hamming_loss"] == pytest.approx(np.mean(predicted != Y[:20]))
    # no single confusion matrix or decision regions for independent labels
    assert "confusion_matrix" not in run["metrics"] and "Decision regions" not in page


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": np.ones(4)}, "2-D"),
        ({"y": np.ones(3)}, "same number of rows"),
        ({"X_val": np.ones((2, 2))}, "both X_val and y_val"),
        ({"feature_names": ["only one"]}, "feature_names has 1 names"),
    ],
)
def test_report_rejects_bad_input(kwargs, message):
    clf = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]], [0, 0, 1, 1])
    arguments = {"X": np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]]), "y": [0, 0, 1, 1]}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        build_report(clf, **arguments)


def test_write_report_never_overwrites_unless_asked(tmp_path):
    clf, X, y, _ = _moons_fit()
    path = tmp_path / "report.html"
    path.write_text("keep me", encoding="utf-8")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_report(path, clf, X, y)
    assert path.read_text(encoding="utf-8") == "keep me"
    write_report(path, clf, X, y, overwrite=True)
    assert path.read_text(encoding="utf-8") == build_report(clf, X, y)
    assert sorted(os.listdir(tmp_path)) == ["report.html"]  # no temporary file left behind
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_report(tmp_path / "missing" / "r.html", clf, X, y)
    with pytest.raises(IsADirectoryError):
        write_report(tmp_path, clf, X, y)


def test_a_failed_report_leaves_nothing_behind(tmp_path):
    clf, X, y, _ = _moons_fit()
    with pytest.raises(ValueError, match="feature_names"):
        write_report(tmp_path / "r.html", clf, X, y, feature_names=["a"])
    assert os.listdir(tmp_path) == []


# -- in a real browser ----------------------------------------------------------------------


def test_report_renders_in_headless_chromium_without_errors_or_network(tmp_path, browser):
    clf, X, y, recorder = _moons_fit()
    path = write_report(
        tmp_path / "report.html", clf, X, y, X_val=X[:40], y_val=y[:40], gradient_flow=recorder
    )
    errors: list[str] = []
    requests: list[str] = []
    context = browser.new_context()
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        title = page.title()
        headings = page.eval_on_selector_all("h2", "nodes => nodes.map(n => n.textContent)")
        run = page.evaluate(f"JSON.parse(document.getElementById('{RUN_DATA_ID}').textContent)")
        boxes = page.eval_on_selector_all(
            "svg",
            "nodes => nodes.map(n => { const r = n.getBoundingClientRect();"
            " return [r.width, r.height]; })",
        )
        drawn = page.eval_on_selector_all("svg polyline, svg rect, svg circle", "n => n.length")
        screenshot = page.screenshot(full_page=True)
    finally:
        context.close()
    assert errors == []
    assert requests == [path.as_uri()]  # the page itself and nothing else
    assert title == "sigmanet training report: MLPClassifier"
    assert headings == [
        "Data",
        "Model",
        "Loss and validation curves",
        "Metrics (validation data)",
        "Gradient flow",
        "Decision regions",
    ]
    np.testing.assert_array_equal(run["history"]["loss_curve"], clf.loss_curve_)
    assert len(boxes) == 4 and all(width > 100 and height > 100 for width, height in boxes)
    assert drawn > 50
    assert screenshot[:8] == b"\x89PNG\r\n\x1a\n" and len(screenshot) > 10_000
    assert html.unescape(title) == title
