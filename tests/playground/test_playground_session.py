"""The playground's session: settings, frames, a single step, divergence (no server)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigmanet import losses
from sigmanet.layers import Dense
from sigmanet.network import Sequential
from sigmanet.optimizers import GradientDescent
from sigmanet.playground import Config, Session
from sigmanet.playground.config import OPTIMIZERS, SCHEDULES, activation_choices, merge
from sigmanet.playground.session import CURVE_POINTS, HEATMAP_SIZE, THUMBNAIL_SIZE
from sigmanet.training import train

DIVERGING = Config(
    features=("x1^2", "x2^2", "x1x2"),
    hidden=(8, 8, 8),
    activations=("identity",) * 3,
    learning_rate=10.0,
)


def _copy_of(session: Session, parameters: np.ndarray) -> Sequential:
    network = session.build_network()
    network.flat_parameters()[...] = parameters
    return network


def _batch(session: Session, rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
    points = session.points[rows]
    return session.inputs(points), session.targets(session.labels[rows])


# -- settings ----------------------------------------------------------------------------------


def test_merge_validates_every_field_and_names_it():
    config = Config()
    assert merge(config, {"learning_rate": 0.1}).learning_rate == 0.1
    for update, message in [
        ({"learning_rate": "fast"}, "learning_rate must be a number"),
        ({"learning_rate": 0}, "greater than 0"),
        ({"noise": 0.9}, "noise must be between 0.0 and 0.5"),
        ({"hidden": [1, 2, 3, 4, 5, 6, 7]}, "at most 6"),
        ({"hidden": [9]}, "between 1 and 8"),
        ({"hidden": [True]}, "must be an integer"),
        ({"features": []}, "non-empty list"),
        ({"features": ["x3"]}, "features must be one of"),
        ({"activations": ["softmax", "tanh"]}, "activation must be one of"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"colour": "red"}, "Unknown setting 'colour'"),
        ({"hidden": [2], "activations": ["tanh", "relu"]}, "2 entries but there are 1"),
        ([1, 2], "JSON object"),
    ]:
        with pytest.raises(ValueError, match=message):
            merge(config, update)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*Config().to_dict(), "other"]),
        _JSON | st.sampled_from(["tanh", "adam", "x1", "circle", "l2"]),
        max_size=4,
    )
)
def test_any_json_settings_give_a_valid_config_or_a_value_error(update):
    try:
        config = merge(Config(), update)
    except ValueError as error:
        assert str(error)
        return
    assert len(config.activations) == len(config.hidden)
    assert merge(config, config.to_dict()) == config  # what the page sends back is accepted


def test_activation_choices_come_from_the_registry_without_aliases():
    choices = activation_choices()
    assert {"sigmoid", "tanh", "relu", "gelu", "identity"} <= set(choices)
    assert "logistic" not in choices and "swish" not in choices


def test_hidden_layers_added_or_removed_keep_one_activation_each():
    config = merge(Config(hidden=(4,), activations=("relu",)), {"hidden": [4, 3, 2]})
    assert config.activations == ("relu", "relu", "relu")
    assert merge(config, {"hidden": [4]}).activations == ("relu",)


def test_a_bad_setting_changes_nothing():
    session = Session()
    before = session.config
    parameters = session.network.flat_parameters().copy()
    with pytest.raises(ValueError, match="batch_size"):
        session.configure({"learning_rate": 0.1, "batch_size": 0})
    assert session.config == before
    np.testing.assert_array_equal(session.network.flat_parameters(), parameters)


def test_what_a_setting_touches_decides_what_starts_over():
    session = Session()
    initial = session.initial_parameters.copy()
    session.train_epoch()
    session.configure({"learning_rate": 0.1})  # same initial weights, training starts over
    assert session.epoch == 0
    np.testing.assert_array_equal(session.network.flat_parameters(), initial)
    session.train_epoch()
    session.configure({"batch_size": 5, "regularization_rate": 0.01})  # applies from now on
    assert session.epoch == 1
    session.configure({"seed": 7})  # new initial weights
    assert not np.array_equal(session.initial_parameters, initial)
    version = session.data_version
    session.configure({"noise": 0.2})
    assert session.data_version == version + 1


def test_reset_restores_the_same_initial_weights_and_counters():
    session = Session()
    initial = session.network.flat_parameters().copy()
    for _ in range(3):
        session.train_epoch()
    session.step()
    assert session.updates > 0
    assert not np.array_equal(session.network.flat_parameters(), initial)
    session.reset()
    np.testing.assert_array_equal(session.network.flat_parameters(), initial)
    assert (session.epoch, session.updates, session.last_step) == (0, 0, None)
    assert len(session.train_losses) == 1


def test_zeros_initializer_gives_every_unit_of_a_layer_the_same_weights():
    session = Session(Config(initializer="zeros", hidden=(3,), activations=("tanh",)))
    for _ in range(3):
        session.train_epoch()
    W = session.network.weight_matrices()[0]
    np.testing.assert_array_equal(W, 0.0)  # tanh(0) = 0 and zero outgoing weights: no gradient


# -- training ----------------------------------------------------------------------------------


def test_time_per_epoch_comes_from_the_clock():
    ticks = iter([10.0, 10.25, 20.0, 20.5])
    session = Session(Config(n_samples=40), clock=lambda: next(ticks))
    session.train_epoch()
    assert session.epoch_seconds == 0.25
    session.train_epoch()
    assert session.frame()["epoch_seconds"] == 0.5


def test_an_epoch_is_sigmanet_train_with_the_same_arguments():
    config = Config(hidden=(3,), activations=("tanh",), batch_size=16, learning_rate=0.1)
    session = Session(config)
    copy = _copy_of(session, session.initial_parameters)
    session.train_epoch()
    X = session.inputs(session.points[session.train_index])
    y = session.targets(session.labels[session.train_index])
    history = train(
        copy,
        losses.BinaryCrossEntropyWithLogits(),
        GradientDescent(learning_rate=0.1),
        X,
        y,
        epochs=1,
        batch_size=16,
        random_state=np.random.default_rng([config.seed, 0]),
        blas_threads=1,
    )
    np.testing.assert_array_equal(session.network.flat_parameters(), copy.flat_parameters())
    assert session.updates == history.steps


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"dataset": "three_class"},
        {"loss": "squared_error"},
        {"dataset": "three_class", "loss": "squared_error", "hidden": [5, 4, 3]},
        {"regularization": "l2", "regularization_rate": 0.3},
        {"hidden": [], "activations": []},
    ],
)
def test_step_numbers_equal_the_gradients_of_sequential_backward(settings):
    session = Session(merge(Config(batch_size=7, activations=("sigmoid", "tanh")), settings))
    session.train_epoch()  # not at the initial weights
    before = session.network.flat_parameters().copy()
    assert session.step()
    record = session.last_step
    assert record is not None and len(record["rows"]) == 7

    network = _copy_of(session, before)
    X, y = _batch(session, record["rows"])
    output = network.forward(X, training=True)
    value, grad = session.loss.value_and_gradient(y, output)
    network.backward(grad)
    assert record["loss"] == pytest.approx(float(value), rel=1e-15)
    dense = [layer for layer in network.layers if isinstance(layer, Dense)]
    assert len(record["layers"]) == len(dense)
    l2 = session.config.regularization_rate if session.config.regularization == "l2" else 0.0
    eta = record["learning_rate"]
    np.testing.assert_array_equal(record["y"], y[0])
    a = X  # the whole batch; the record holds its first row
    layers = network.layers
    for entry, layer in zip(record["layers"], dense, strict=True):
        W, b = layer.params["W"], layer.params["b"]
        np.testing.assert_array_equal(entry["W"], W)
        np.testing.assert_array_equal(entry["a_prev"], a[0])
        z = a @ W + b
        np.testing.assert_allclose(entry["z"], z[0], rtol=1e-13, atol=1e-15)
        dW = layer.grads["W"] + (l2 / 7) * W
        np.testing.assert_allclose(entry["dW"], dW, rtol=1e-13, atol=1e-16)
        np.testing.assert_array_equal(entry["db"], layer.grads["b"])
        np.testing.assert_allclose(entry["W_new"], W - eta * dW, rtol=1e-13, atol=1e-16)
        following = layers[layers.index(layer) + 1 :]
        if following and hasattr(following[0], "activation"):
            activation = following[0].activation
            a = activation(z)
            np.testing.assert_allclose(entry["a"], a[0], rtol=1e-14)
            np.testing.assert_allclose(entry["g_prime"], activation.derivative(z[0]), rtol=1e-15)
        else:
            assert entry["g_prime"] is None  # logits: the loss is fused with the sigmoid/softmax
    # dz of the output layer, first row: ∂L/∂z of the batch's mean loss (fused: p - y over m;
    # the squared error through its sigmoid: (ŷ - y)/m ⊙ σ'(z), the delta rule)
    out = record["layers"][-1]
    expected = grad[0] if out["g_prime"] is None else grad[0] * np.asarray(out["g_prime"])
    np.testing.assert_allclose(out["dz"], expected, rtol=1e-14)
    # and the network now holds the new weights
    np.testing.assert_array_equal(dense[0].params["W"].shape, np.shape(record["layers"][0]["W"]))
    np.testing.assert_array_equal(
        session.network.weight_matrices()[-1], record["layers"][-1]["W_new"]
    )


def test_the_output_error_is_the_delta_rule_for_the_squared_error():
    session = Session(
        Config(loss="squared_error", batch_size=1, hidden=(2,), activations=("tanh",))
    )
    session.step()
    out = session.last_step["layers"][-1]
    y = np.asarray(session.last_step["y"])  # one sample: the batch is its first row
    a = np.asarray(out["a"])
    # ℓ = ½(ŷ - y)², ŷ = σ(z): dz = (ŷ - y) σ'(z) = -δ
    np.testing.assert_allclose(out["dz"], (a - y) * np.asarray(out["g_prime"]), rtol=1e-14)


def test_a_full_batch_step_is_the_update_train_makes():
    session = Session(Config(batch_size=2000, optimizer="adam", learning_rate=0.01))
    copy = _copy_of(session, session.initial_parameters)
    session.step()
    X = session.inputs(session.points[session.train_index])
    y = session.targets(session.labels[session.train_index])
    optimizer, _ = session.make_optimizer()
    train(copy, session.loss, optimizer, X, y, epochs=1, batch_size=None, shuffle=False)
    np.testing.assert_allclose(
        session.network.flat_parameters(), copy.flat_parameters(), rtol=1e-12, atol=1e-15
    )
    assert session.epoch == 1 and session.updates == 1


def test_steps_walk_through_the_epoch_and_count_it():
    session = Session(Config(n_samples=40, train_ratio=0.5, batch_size=6))
    seen = []
    for _ in range(3):
        session.step()
        seen += session.last_step["rows"]
    assert session.epoch == 0 and len(seen) == 18 == len(set(seen))
    session.step()  # the last 2 of the 20 training rows end the epoch
    seen += session.last_step["rows"]
    assert sorted(seen) == session.train_index.tolist()
    assert (session.epoch, session.updates, len(session.train_losses)) == (1, 4, 2)
    again = []
    for _ in range(4):  # the next epoch: every row once more, in a new order
        session.step()
        again += session.last_step["rows"]
    assert sorted(again) == sorted(seen) and again != seen and session.epoch == 2


def test_steps_feed_the_gradient_flow_record_epoch_by_epoch():
    session = Session(Config(n_samples=40, train_ratio=0.5, batch_size=6))
    session.train_epoch()
    means = []
    for _ in range(4):  # one whole epoch of steps
        session.step()
        means.append([np.mean(np.abs(layer["dW"])) for layer in session.last_step["layers"]])
    session.step()  # the start of the next epoch is not an epoch yet
    values = session.frame()["flow"]["values"]
    assert len(values) == 2
    np.testing.assert_allclose(values[1], np.mean(means, axis=0), rtol=1e-12)


def test_l1_shrinks_small_weights_to_exactly_zero():
    session = Session(
        Config(regularization="l1", regularization_rate=0.3, learning_rate=0.3, batch_size=50)
    )
    for _ in range(20):
        session.train_epoch()
    weights = np.concatenate([W.ravel() for W in session.network.weight_matrices()])
    assert np.sum(weights == 0.0) > 0


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("schedule", SCHEDULES)
def test_every_optimizer_and_schedule_trains_and_steps(optimizer, schedule):
    session = Session(Config(optimizer=optimizer, schedule=schedule, n_samples=60))
    assert session.train_epoch() and session.step()
    assert session.updates == 4 and np.isfinite(session.train_losses).all()
    json.dumps(session.frame(), allow_nan=False)


def test_annealed_schedule_sets_the_rate_of_each_step():
    session = Session(Config(schedule="annealed", batch_size=10))
    session.step()
    assert session.last_step["learning_rate"] == pytest.approx(4 / (1 + 0 + 0) + 0.01)
    session.step()
    assert session.last_step["learning_rate"] == pytest.approx(4 / (1 + 0 + 1) + 0.01)


# -- divergence --------------------------------------------------------------------------------


def test_a_diverging_epoch_pauses_with_a_message_and_finite_frames():
    session = Session(DIVERGING)
    session.playing = True
    results = [session.train_epoch() for _ in range(5)]
    assert results[-1] is False or False in results
    assert session.playing is False
    assert "diverged" in session.message and "lower the learning rate" in session.message
    assert np.isfinite(session.network.flat_parameters()).all()
    frame = session.frame()
    json.dumps(frame, allow_nan=False)
    assert frame["message"] == session.message and frame["state"] == "paused"


def test_a_diverging_step_pauses_and_keeps_finite_parameters():
    session = Session(DIVERGING)
    for _ in range(50):
        if not session.step():
            break
    assert session.message is not None and "diverged" in session.message
    assert np.isfinite(session.network.flat_parameters()).all()
    json.dumps(session.frame(), allow_nan=False)


def test_every_epoch_is_judged_against_the_runs_first_start(monkeypatch):
    # Each epoch is its own train() call; the divergence rule must compare every one with the
    # loss at the start of the run, or a loss growing slowly (a few times per epoch) is never
    # caught before it overflows.
    import sigmanet.playground.session as module

    passed = []

    def spy(*args, **kwargs):
        passed.append(kwargs.get("divergence_reference"))
        return train(*args, **kwargs)

    monkeypatch.setattr(module, "train", spy)
    session = Session(Config(hidden=(4,), activations=("tanh",), learning_rate=0.03))
    for _ in range(4):
        assert session.train_epoch()
    first = session.divergence_reference
    assert first is not None and np.isfinite(first)
    assert passed == [None, first, first, first]
    session.reset()
    assert session.divergence_reference is None
    session.train_epoch()
    assert passed[-1] is None


def test_reset_after_divergence_clears_the_message():
    session = Session(DIVERGING)
    while session.train_epoch():
        pass
    session.reset()
    assert session.message is None


# -- frames ------------------------------------------------------------------------------------


def _pixels(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.uint8)


@pytest.mark.parametrize("dataset", ["circle", "three_class"])
def test_a_frame_has_everything_the_page_draws(dataset):
    session = Session(Config(dataset=dataset, hidden=(3, 2), activations=("tanh", "relu")))
    session.train_epoch()
    frame = session.frame()
    json.dumps(frame, allow_nan=False)
    classes = 2 if dataset == "circle" else 3
    heat = _pixels(frame["heatmap"]["data"])
    channels = frame["heatmap"]["channels"]
    assert channels == (1 if classes == 2 else 3)
    assert heat.size == HEATMAP_SIZE**2 * channels
    assert [len(layer) for layer in frame["units"]] == [3, 2]
    assert all(_pixels(unit).size == THUMBNAIL_SIZE**2 for unit in frame["units"][0])
    assert [np.shape(w["W"]) for w in frame["weights"]] == [(2, 3), (3, 2), (2, channels)]
    assert frame["loss"]["epochs"] == [0, 1]
    test_metrics = frame["metrics"]["test"]
    assert np.sum(test_metrics["confusion"]) == session.test_index.size
    assert len(frame["z_histograms"]) == 3
    assert frame["flow"]["names"] == ["W1 (2→3)", "W2 (3→2)", f"W3 (2→{channels})"]
    assert len(frame["flow"]["values"]) == 1


def test_the_heat_map_is_the_networks_probability_over_the_plane():
    session = Session()
    for _ in range(5):
        session.train_epoch()
    heat = _pixels(session.frame()["heatmap"]["data"]).reshape(HEATMAP_SIZE, HEATMAP_SIZE)
    # the top-left corner of the grid is the point (-6, 6), approximately
    corner = session.probabilities(np.array([[-6 + 6 / HEATMAP_SIZE, 6 - 6 / HEATMAP_SIZE]]))
    assert heat[0, 0] == round(corner[0, 1] * 255)


def test_long_curves_are_thinned_but_keep_the_last_epoch():
    session = Session(Config(n_samples=40, batch_size=20))
    session.train_losses = [1.0 / (i + 1) for i in range(5000)]
    session.test_losses = list(session.train_losses)
    loss = session.frame()["loss"]
    assert len(loss["epochs"]) <= CURVE_POINTS
    assert loss["epochs"][-1] == 4999 and loss["train"][-1] == session.train_losses[-1]


def test_the_comparisons_start_from_the_same_initial_weights():
    session = Session(Config(hidden=(4, 4, 4), activations=("tanh",) * 3, n_samples=100))
    session.compare_activations()
    runs = session.comparison["runs"]
    assert set(runs) == {"sigmoid", "relu"}
    for run in runs.values():
        assert len(run["loss"]) == 40 and len(run["flow"]) == 40 and len(run["names"]) == 4
    # deep sigmoid: the first layer's gradient is far smaller than the last one's
    first, last = runs["sigmoid"]["flow"][-1][0], runs["sigmoid"]["flow"][-1][-1]
    assert first < last / 5
    session.compare_descent()
    runs = session.comparison["runs"]
    updates = sorted(run["updates"] for run in runs.values())
    assert updates[0] == 40  # batch: one update per epoch
    assert updates[-1] == 40 * session.train_index.size  # stochastic: one per sample
