"""Tests of sigmanet.plotting: headless figures saved as PNG, SVG and PDF."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_iris  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sigmanet import activations  # noqa: E402
from sigmanet.diagnostics import GradientFlowRecorder  # noqa: E402
from sigmanet.estimators import MLPClassifier, MLPRegressor  # noqa: E402
from sigmanet.plotting import (  # noqa: E402
    plot_activations,
    plot_decision_boundary,
    plot_gradient_flow,
    plot_loss_curve,
    save_figure,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _no_pyplot_figures_left():
    yield
    # the functions build figures without pyplot, so nothing may be left registered there
    assert plt.get_fignums() == []
    plt.close("all")


def _check_png(path):
    data = path.read_bytes()
    assert len(data) > 1000
    assert data.startswith(PNG_MAGIC)


def _check_svg(path):
    root = ElementTree.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(list(root.iter())) > 20  # more than an empty canvas


def _save_both(figure, tmp_path, name):
    png, svg = tmp_path / f"{name}.png", tmp_path / f"{name}.svg"
    assert save_figure(figure, png) == png
    save_figure(figure, svg)
    _check_png(png)
    _check_svg(svg)


def _fit(model, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few epochs: ConvergenceWarning is expected
        return model.fit(X, y, **kwargs)


# -- activations ----------------------------------------------------------------------------


def test_activation_curves_are_the_registered_functions(tmp_path):
    x = np.linspace(-5, 5, 101)
    figure = plot_activations(("sigmoid", "tanh", "relu"), x=x)
    assert isinstance(figure, Figure)
    axes = figure.axes
    assert len(axes) == 3
    for ax, order in zip(axes, (0, 1, 2), strict=True):
        lines = {
            line.get_label(): line
            for line in ax.get_lines()
            if not line.get_label().startswith("_")
        }
        assert set(lines) == {"sigmoid", "tanh", "relu"}
        for name, line in lines.items():
            act = activations.get(name)
            expected = [act, act.derivative, act.second_derivative][order](x)
            np.testing.assert_allclose(line.get_xdata(), x)
            np.testing.assert_allclose(line.get_ydata(), expected)
    # the point of the vanishing gradient: σ' peaks at 0.25 at x = 0, and the figure says so
    texts = [t.get_text() for t in axes[1].texts]
    assert any("σ'(0) = 0.25" in text for text in texts)
    _save_both(figure, tmp_path, "activations")


def test_activation_names_may_be_a_comma_string_and_orders_a_subset():
    figure = plot_activations("sigmoid, softplus", derivatives=(1,))
    assert len(figure.axes) == 1
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert "sigmoid" in labels and "softplus" in labels
    # softplus' = σ: the two derivative curves coincide where plotted
    by_label = {line.get_label(): line.get_ydata() for line in figure.axes[0].get_lines()}
    np.testing.assert_allclose(by_label["softplus"], activations.sigmoid(np.linspace(-6, 6, 601)))


def test_a_missing_derivative_is_left_out_and_named(monkeypatch):
    class NoSecond:
        def __call__(self, x):
            return np.tanh(x)

        def derivative(self, x):
            return 1 - np.tanh(x) ** 2

        def second_derivative(self, x):
            raise NotImplementedError

    real_get = activations.get
    monkeypatch.setattr(
        activations, "get", lambda name, **kw: NoSecond() if name == "custom" else real_get(name)
    )
    figure = plot_activations(["custom", "sigmoid"], derivatives=(0, 2))
    second = figure.axes[1]
    assert [line.get_label() for line in second.get_lines() if line.get_label() == "custom"] == []
    assert "not provided: custom" in second.get_title()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"names": ["softmax"]}, "not elementwise"),
        ({"names": ["nope"]}, "Unknown activation"),
        ({"names": []}, "at least one"),
        ({"derivatives": (3,)}, "derivatives"),
        ({"derivatives": (1, 1)}, "derivatives"),
        ({"x": [1.0]}, "at least 2"),
        ({"x": [0.0, np.inf]}, "finite"),
    ],
)
def test_plot_activations_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_activations(**kwargs)


# -- loss curves ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_loss_curve_draws_training_and_validation_loss(iris, tmp_path):
    X, y = iris
    model = _fit(
        MLPClassifier((8,), max_iter=15, random_state=0),
        X[::2],
        y[::2],
        validation_data=(X[1::2], y[1::2]),
    )
    figure = plot_loss_curve(model)
    ax, score_ax = figure.axes  # validation data also records a score per epoch
    assert len(model.validation_scores_) == 15
    np.testing.assert_allclose(score_ax.get_lines()[0].get_ydata(), model.validation_scores_)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["training loss"].get_ydata(), model.loss_curve_)
    np.testing.assert_allclose(lines["validation loss"].get_ydata(), model.validation_loss_curve_)
    np.testing.assert_array_equal(lines["training loss"].get_xdata(), np.arange(1, 16))
    _save_both(figure, tmp_path, "loss")


def test_loss_curve_adds_a_score_panel_with_early_stopping(iris):
    X, y = iris
    model = _fit(MLPClassifier((8,), max_iter=12, early_stopping=True, random_state=0), X, y)
    figure = plot_loss_curve(model, log_scale=True)
    assert len(figure.axes) == 2
    assert figure.axes[0].get_yscale() == "log"
    np.testing.assert_allclose(figure.axes[1].get_lines()[0].get_ydata(), model.validation_scores_)


def test_loss_curve_of_an_unfitted_model_is_an_error():
    with pytest.raises(ValueError, match="fit it first"):
        plot_loss_curve(MLPClassifier())


# -- decision boundary ----------------------------------------------------------------------


def test_binary_decision_boundary_shows_probability_and_the_half_contour(tmp_path):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X[:, [0, 1]])
    model = _fit(MLPClassifier((8,), max_iter=40, random_state=0), X, y)
    figure = plot_decision_boundary(model, X, y, resolution=50, feature_names=["radius", "texture"])
    ax = figure.axes[0]
    assert ax.get_xlabel() == "radius" and ax.get_ylabel() == "texture"
    assert len(ax.collections) >= 2  # filled probability and the sample scatter
    accuracy = float(np.mean(model.predict(X) == y))
    assert f"{accuracy:.3f}" in ax.get_title()
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["0", "1"]
    _save_both(figure, tmp_path, "boundary")


def test_multiclass_decision_boundary_with_string_labels(iris, tmp_path):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    X2 = X[:, 2:]
    model = _fit(MLPClassifier((8,), max_iter=30, random_state=0), X2, names)
    figure = plot_decision_boundary(model, X2, names, resolution=40)
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert legend == ["setosa", "versicolor", "virginica"]
    save_figure(figure, tmp_path / "regions.pdf")
    assert (tmp_path / "regions.pdf").read_bytes().startswith(b"%PDF")


def test_decision_boundary_refuses_what_it_cannot_draw(iris):
    X, y = iris
    model = _fit(MLPClassifier((4,), max_iter=5, random_state=0), X, y)
    with pytest.raises(ValueError, match="exactly 2 feature columns"):
        plot_decision_boundary(model, X, y)
    with pytest.raises(ValueError, match="trained on 4 features"):
        plot_decision_boundary(model, X[:, :2], y)
    with pytest.raises(ValueError, match="shape"):
        plot_decision_boundary(model, X[:, :2], y[:10])
    regressor = _fit(
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0), X[:, :2], X[:, 2]
    )
    with pytest.raises(ValueError, match="not a fitted classifier"):
        plot_decision_boundary(regressor, X[:, :2], y)


# -- gradient flow --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorders():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    result = {}
    for activation in ("sigmoid", "relu"):
        recorder = GradientFlowRecorder()
        _fit(
            MLPClassifier((16,) * 4, activation=activation, alpha=0.0, max_iter=2, random_state=0),
            X,
            y,
            callbacks=[recorder],
        )
        result[activation] = recorder
    return result


def test_gradient_flow_plots_each_recorder_per_layer_and_per_epoch(recorders, tmp_path):
    figure = plot_gradient_flow(recorders, title="sigmoid vs relu")
    layer_ax, ratio_ax = figure.axes
    assert layer_ax.get_yscale() == "log"
    lines = {line.get_label(): line for line in layer_ax.get_lines()}
    for name, recorder in recorders.items():
        np.testing.assert_allclose(lines[name].get_ydata(), recorder.history.mean(axis=0))
    ratios = {
        line.get_label(): line for line in ratio_ax.get_lines() if line.get_label() in recorders
    }
    np.testing.assert_allclose(ratios["sigmoid"].get_ydata(), recorders["sigmoid"].ratio())
    assert figure._suptitle.get_text() == "sigmoid vs relu"
    _save_both(figure, tmp_path, "flow")


def test_gradient_flow_accepts_one_recorder_an_array_or_a_labelled_list(recorders):
    single = plot_gradient_flow(recorders["relu"], labels=["relu net"])
    assert [line.get_label() for line in single.axes[0].get_lines()] == ["relu net"]
    array = plot_gradient_flow(recorders["sigmoid"].history)
    np.testing.assert_allclose(
        array.axes[0].get_lines()[0].get_ydata(), recorders["sigmoid"].history.mean(axis=0)
    )
    listed = plot_gradient_flow(list(recorders.values()), labels=["a", "b"])
    assert [line.get_label() for line in listed.axes[0].get_lines()] == ["a", "b"]
    with pytest.raises(ValueError, match="one entry per recorder"):
        plot_gradient_flow(list(recorders.values()), labels=["a"])


def test_gradient_flow_rejects_an_empty_record():
    with pytest.raises(ValueError, match="at least one epoch"):
        plot_gradient_flow(GradientFlowRecorder())
    with pytest.raises(ValueError, match="no gradient histories"):
        plot_gradient_flow({})


def test_save_figure_refuses_an_unknown_extension(tmp_path):
    figure = plot_activations(["relu"], derivatives=(0,))
    with pytest.raises(ValueError, match=r"\.png, \.svg, \.pdf"):
        save_figure(figure, tmp_path / "picture.jpeg")
    assert not (tmp_path / "picture.jpeg").exists()


def test_gradients_through_time_draws_one_line_per_cell(tmp_path):
    from sigmanet.diagnostics import gradients_through_time
    from sigmanet.plotting import plot_gradients_through_time

    norms = gradients_through_time(("rnn", "lstm"), steps=30, units=8)
    figure = plot_gradients_through_time(norms, title="demo")
    (ax,) = figure.axes
    assert ax.get_yscale() == "log"
    lines = {line.get_label(): line for line in ax.lines}
    assert set(lines) == {"tanh RNN", "LSTM"}
    # x counts the steps back from the loss; y is the norm at that step
    np.testing.assert_array_equal(lines["LSTM"].get_xdata(), np.arange(30)[::-1])
    np.testing.assert_array_equal(lines["LSTM"].get_ydata(), norms["lstm"])
    save_figure(figure, tmp_path / "through_time.svg")
    computed = plot_gradients_through_time(cells=("gru",), steps=5, units=3)
    assert [line.get_label() for line in computed.axes[0].lines] == ["GRU"]
    with pytest.raises(ValueError, match="non-empty 1-D array"):
        plot_gradients_through_time({"rnn": np.ones((2, 2))})
    with pytest.raises(ValueError, match="only used when norms is not given"):
        plot_gradients_through_time(norms, steps=3)
