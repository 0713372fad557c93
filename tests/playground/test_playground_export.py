"""What the playground exports: the data, the model file, the Python script."""

from __future__ import annotations

import contextlib
import io
import runpy

import numpy as np
import pytest

import sigmanet
from sigmanet.playground import Config, Session, export
from sigmanet.playground.datasets import parse_csv


def test_the_data_csv_uploads_back_to_the_same_points_and_split():
    session = Session(Config(dataset="moons", noise=0.2, train_ratio=0.3))
    X, y, is_train = parse_csv(export.data_csv(session))
    np.testing.assert_array_equal(X, session.points)
    np.testing.assert_array_equal(y, session.labels)
    other = Session()
    other.set_upload(X, y, is_train)
    np.testing.assert_array_equal(other.train_index, session.train_index)
    np.testing.assert_array_equal(other.test_index, session.test_index)
    assert other.config.dataset == "upload"


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"dataset": "three_class", "hidden": (5, 3), "activations": ("relu", "sigmoid")},
        {"dropout": 0.3, "features": ("x1", "x2", "x1x2", "sin(x1)"), "optimizer": "adam"},
    ],
)
def test_the_model_file_predicts_what_the_playground_shows(settings, tmp_path):
    session = Session(Config(**settings))
    for _ in range(3):
        session.train_epoch()
    path = tmp_path / "model.safetensors"
    path.write_bytes(export.model_bytes(session))
    classifier = sigmanet.load(path)
    points = np.random.default_rng(0).uniform(-6, 6, (50, 2))
    np.testing.assert_allclose(
        classifier.predict_proba(session.inputs(points)), session.probabilities(points), rtol=1e-12
    )
    assert classifier.n_iter_ == 3 and len(classifier.loss_curve_) == 3


def test_no_model_file_for_the_squared_error_or_without_hidden_layers():
    with pytest.raises(ValueError, match="log loss"):
        export.model_bytes(Session(Config(loss="squared_error")))
    with pytest.raises(ValueError, match="hidden layer"):
        export.model_bytes(Session(Config(hidden=(), activations=())))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("upload", [False, True])
def test_the_python_script_runs_and_trains_the_same_set_up(upload, tmp_path, monkeypatch):
    session = Session(
        Config(
            features=("x1", "x2", "x1^2", "x2^2"),
            hidden=(4,),
            activations=("tanh",),
            optimizer="momentum",
            regularization="l2",
            regularization_rate=0.01,
        )
    )
    if upload:
        X, y, is_train = parse_csv(export.data_csv(session))
        session.set_upload(X, y, is_train)
        (tmp_path / "playground-data.csv").write_text(export.data_csv(session))
    for _ in range(2):
        session.train_epoch()
    script = tmp_path / "playground_run.py"
    script.write_text(export.python_snippet(session))
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace = runpy.run_path(str(script))
    clf = namespace["clf"]
    assert clf.hidden_layer_sizes == [4] and clf.alpha == 0.01 and clf.momentum == 0.9
    assert clf.n_features_in_ == 4 and clf.max_iter == 2
    assert "train accuracy" in out.getvalue() and "test accuracy" in out.getvalue()
    np.testing.assert_array_equal(namespace["is_train"].nonzero()[0], session.train_index)
