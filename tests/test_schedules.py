"""Tests of sigmanet.schedules: exact values, scikit-learn parity, validation, registry."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

from sigmanet import schedules
from sigmanet.optimizers import GradientDescent
from sigmanet.schedules import (
    Adaptive,
    Annealed,
    Constant,
    CosineAnnealing,
    ExponentialDecay,
    InverseScaling,
    Schedule,
    StepDecay,
)

ALL = [
    Constant(0.1),
    InverseScaling(0.1, power_t=0.25, per_epoch=False),
    Adaptive(0.1, patience=3),
    StepDecay(0.1, step_size=3, gamma=0.5),
    ExponentialDecay(0.1, gamma=0.9),
    CosineAnnealing(0.1, t_max=20, min_learning_rate=0.001),
    Annealed(a=2.0, b=3.0, c=0.001),
]
ALL_IDS = [s.name for s in ALL]


# -- Annealed: "Machine Learning in Action" ----------------------------------------------


def test_annealed_exact_values():
    annealed = Annealed()
    assert annealed(0, 0, 0) == 4.0 / 1.0 + 0.01
    assert annealed(0, 0, 0) == pytest.approx(4.01, rel=1e-15)
    assert annealed(2, 3, 123) == 4.0 / 6.0 + 0.01
    assert annealed(0, 1, 1) == 4.0 / 2.0 + 0.01
    assert Annealed(a=1.0, b=2.0, c=0.5)(1, 1, 0) == 1.0 / 4.0 + 0.5


def test_annealed_reproduces_the_book_loop():
    # stocGradDescent1: for j in range(numIter): for i in range(m): alpha = 4/(1.0+j+i)+0.01
    annealed = Annealed()
    m = 7
    samples = 0
    for j in range(5):
        for i in range(m):
            assert annealed(j, i, samples) == 4 / (1.0 + j + i) + 0.01
            samples += 1


@settings(max_examples=1000, deadline=None)
@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_annealed_decreases_within_and_across_epochs_and_stays_above_c(epoch, step):
    annealed = Annealed()
    value = annealed(epoch, step, 0)
    assert annealed(epoch, step + 1, 0) < value
    assert annealed(epoch + 1, step, 0) < value
    assert value > 0.01
    assert value <= 4.01


# -- step, exponential, cosine, constant ---------------------------------------------------


def test_step_decay_values():
    schedule = StepDecay(learning_rate=0.5, step_size=10, gamma=0.1)
    for epoch in range(10):
        assert schedule(epoch, 3, 1000) == 0.5
    for epoch in range(10, 20):
        assert schedule(epoch, 0, 0) == 0.5 * 0.1
    assert schedule(25, 0, 0) == 0.5 * 0.1**2
    assert schedule(10**6, 0, 0) == 0.0  # underflows quietly to 0
    assert StepDecay(1.0, step_size=1, gamma=1.0)(50, 0, 0) == 1.0


def test_exponential_decay_values():
    schedule = ExponentialDecay(learning_rate=0.2, gamma=0.95)
    assert schedule(0, 5, 10) == 0.2
    assert schedule(1, 0, 0) == 0.2 * 0.95
    assert schedule(10, 0, 0) == 0.2 * 0.95**10
    values = [schedule(e, 0, 0) for e in range(100)]
    assert all(a > b for a, b in itertools.pairwise(values))


def test_cosine_annealing_endpoints_and_shape():
    schedule = CosineAnnealing(learning_rate=0.3, t_max=10, min_learning_rate=0.1)
    assert schedule(0, 0, 0) == pytest.approx(0.3, rel=1e-15)
    assert schedule(5, 0, 0) == pytest.approx(0.2, rel=1e-15)
    assert schedule(10, 0, 0) == 0.1
    assert schedule(11, 0, 0) == 0.1
    assert schedule(1000, 7, 0) == 0.1
    assert schedule(2, 0, 0) == pytest.approx(0.1 + 0.1 * (1 + math.cos(math.pi * 0.2)))
    values = [schedule(e, 0, 0) for e in range(12)]
    assert all(a > b for a, b in itertools.pairwise(values[:11]))
    assert values[10] == values[11]
    # Annealing to 0 is allowed and the optimizer accepts the 0.
    to_zero = CosineAnnealing(learning_rate=1.0, t_max=4)
    assert to_zero(4, 0, 0) == 0.0
    optimizer = GradientDescent(learning_rate=1.0)
    optimizer.learning_rate = to_zero(4, 0, 0)
    assert optimizer.learning_rate == 0.0


def test_constant():
    schedule = Constant(0.25)
    assert {schedule(e, s, n) for e, s, n in [(0, 0, 0), (5, 3, 100), (99, 0, 10**9)]} == {0.25}


# -- inverse scaling: scikit-learn's formula --------------------------------------------


def run_epochs(n_samples: int, batch_size: int, epochs: int):
    """(epoch, step, samples_seen) as the training loop produces them."""
    samples_seen = 0
    for epoch in range(epochs):
        for step, start in enumerate(range(0, n_samples, batch_size)):
            yield epoch, step, samples_seen
            samples_seen += min(batch_size, n_samples - start)


@pytest.mark.parametrize(("n_samples", "batch_size"), [(10, 3), (7, 7), (5, 1)])
@pytest.mark.parametrize("power_t", [0.5, 0.25, 1.0])
def test_inverse_scaling_per_epoch_matches_sklearn_mlp(n_samples, batch_size, power_t):
    # scikit-learn's MLP: learning_rate starts at learning_rate_init; after each epoch,
    # t_ += n_samples and iteration_ends(t_) sets learning_rate_init / (t_ + 1) ** power_t.
    sk = SGDOptimizer([np.zeros(1)], 0.1, lr_schedule="invscaling", power_t=power_t)
    ours = InverseScaling(0.1, power_t=power_t)
    t_ = 0
    previous_epoch = 0
    for epoch, step, seen in run_epochs(n_samples, batch_size, epochs=6):
        if epoch != previous_epoch:
            t_ += n_samples
            sk.iteration_ends(t_)
            previous_epoch = epoch
        assert ours(epoch, step, seen) == sk.learning_rate
    assert sk.learning_rate < 0.1


def test_inverse_scaling_per_step_formula():
    # η = η₀ / (s + 1)^power_t with s the samples seen before the batch; with batch size 1
    # this is SGDClassifier's eta0 / t^power_t, its t counting samples from 1.
    schedule = InverseScaling(0.1, power_t=0.5, per_epoch=False)
    assert schedule(0, 0, 0) == 0.1
    for epoch, step, seen in run_epochs(10, 3, epochs=3):
        assert schedule(epoch, step, seen) == 0.1 / (seen + 1) ** 0.5
    assert schedule(0, 0, 99) == pytest.approx(0.01, rel=1e-15)
    assert InverseScaling(0.1, power_t=0.0, per_epoch=False)(3, 2, 1000) == 0.1


def test_inverse_scaling_per_epoch_state():
    schedule = InverseScaling(1.0, power_t=1.0)
    assert schedule(0, 0, 0) == 1.0
    assert schedule(0, 1, 50) == 1.0  # frozen for the epoch
    assert schedule(1, 0, 100) == 1.0 / 101
    state = schedule.state_dict()
    resumed = InverseScaling(1.0, power_t=1.0)
    resumed.load_state_dict(state)
    assert resumed(1, 5, 400) == schedule(1, 5, 400) == 1.0 / 101
    schedule.reset()
    assert schedule(1, 3, 300) == 1.0 / 301  # no epoch start known: uses this call's count
    with pytest.raises(ValueError, match="keys"):
        resumed.load_state_dict({"epoch": 1})


# -- adaptive: scikit-learn's rule ----------------------------------------------------------


def test_adaptive_divides_by_five_after_patience_bad_epochs():
    schedule = Adaptive(learning_rate=0.1, patience=2, tol=1e-4)
    seen = []
    for epoch, loss in enumerate([1.0, 0.9, 0.8, 0.79995, 0.7999, 0.5, 0.49999, 0.4, 0.3]):
        seen.append(schedule(epoch, 0, 0))
        schedule.on_epoch_end(epoch, loss)
    seen.append(schedule(9, 0, 0))
    # Epochs 3 (0.79995) and 4 (0.7999) improve the best by less than tol: two bad epochs,
    # so η drops after epoch 4. Epoch 6 is one bad epoch only, then 0.4 improves: no drop.
    assert seen == [0.1] * 5 + [0.1 * 0.2] * 5
    assert schedule.bad_epochs == 0
    assert schedule.best_loss == 0.3


def test_adaptive_improvement_of_exactly_tol_counts():
    # scikit-learn counts a bad epoch only when loss > best_loss - tol.
    schedule = Adaptive(learning_rate=0.1, patience=1, tol=0.25)
    schedule.on_epoch_end(0, 1.0)
    schedule.on_epoch_end(1, 0.75)
    assert schedule.bad_epochs == 0
    assert schedule(2, 0, 0) == 0.1
    schedule.on_epoch_end(2, 0.5 + 2.0**-40)
    assert schedule(3, 0, 0) == pytest.approx(0.02)


def test_adaptive_keeps_the_rate_while_loss_decreases():
    schedule = Adaptive(learning_rate=0.1, patience=1, tol=1e-3)
    for epoch in range(50):
        schedule.on_epoch_end(epoch, 1.0 - 0.01 * epoch)
        assert schedule(epoch + 1, 0, 0) == 0.1


def test_adaptive_counts_nan_and_increase_as_bad_and_floors_at_minimum():
    schedule = Adaptive(learning_rate=1e-3, factor=0.2, patience=1, min_learning_rate=1e-4)
    schedule.on_epoch_end(0, 1.0)
    schedule.on_epoch_end(1, float("nan"))
    assert schedule(2, 0, 0) == pytest.approx(2e-4)
    schedule.on_epoch_end(2, 2.0)
    assert schedule(3, 0, 0) == 1e-4
    assert not schedule.exhausted
    schedule.on_epoch_end(3, 3.0)
    assert schedule(4, 0, 0) == 1e-4
    assert schedule.exhausted
    schedule.reset()
    assert schedule(0, 0, 0) == 1e-3
    assert not schedule.exhausted
    assert schedule.best_loss == math.inf


def sklearn_adaptive_rates(losses, learning_rate, n_iter_no_change, tol):
    """scikit-learn's MLP loop: _update_no_improvement_count, then trigger_stopping."""
    optimizer = SGDOptimizer([np.zeros(1)], learning_rate, lr_schedule="adaptive")
    best_loss = np.inf
    count = 0
    rates = []
    for loss in losses:
        if loss > best_loss - tol:
            count += 1
        else:
            count = 0
        if loss < best_loss:
            best_loss = loss
        if count > n_iter_no_change:
            if optimizer.trigger_stopping("", verbose=False):
                break
            count = 0
        rates.append(optimizer.learning_rate)
    return rates


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(0.0, 10.0), min_size=1, max_size=40),
    st.integers(0, 4),
)
def test_adaptive_matches_sklearn_rule(losses, n_iter_no_change):
    # sklearn reduces η when the count exceeds n_iter_no_change: patience = n_iter_no_change + 1.
    expected = sklearn_adaptive_rates(losses, 0.1, n_iter_no_change, 1e-4)
    schedule = Adaptive(0.1, patience=n_iter_no_change + 1, tol=1e-4, min_learning_rate=0.0)
    for epoch, want in enumerate(expected):
        schedule.on_epoch_end(epoch, losses[epoch])
        assert schedule(epoch + 1, 0, 0) == pytest.approx(want, rel=1e-15)


def test_adaptive_state_round_trip():
    schedule = Adaptive(0.1, patience=2)
    for epoch, loss in enumerate([1.0, 1.0, 1.0, 0.5, 0.6]):
        schedule.on_epoch_end(epoch, loss)
    resumed = Adaptive(0.1, patience=2)
    resumed.load_state_dict(schedule.state_dict())
    for epoch, loss in enumerate([0.6, 0.7, 0.1, 0.2, 0.3], start=5):
        schedule.on_epoch_end(epoch, loss)
        resumed.on_epoch_end(epoch, loss)
        assert resumed(epoch, 0, 0) == schedule(epoch, 0, 0)
    assert resumed.state_dict() == schedule.state_dict()
    with pytest.raises(ValueError, match="keys"):
        resumed.load_state_dict({"best_loss": 1.0})


def test_adaptive_rejects_a_non_numeric_loss():
    with pytest.raises(TypeError, match="loss"):
        Adaptive().on_epoch_end(0, "low")


# -- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "kwargs", "name"),
    [
        (Constant, {"learning_rate": 0.0}, "learning_rate"),
        (Constant, {"learning_rate": float("nan")}, "learning_rate"),
        (InverseScaling, {"learning_rate": -1.0}, "learning_rate"),
        (InverseScaling, {"power_t": -0.5}, "power_t"),
        (Adaptive, {"factor": 1.0}, "factor"),
        (Adaptive, {"factor": 0.0}, "factor"),
        (Adaptive, {"patience": 0}, "patience"),
        (Adaptive, {"tol": -1e-4}, "tol"),
        (Adaptive, {"learning_rate": 0.01, "min_learning_rate": 0.1}, "min_learning_rate"),
        (StepDecay, {"step_size": 0}, "step_size"),
        (StepDecay, {"gamma": 0.0}, "gamma"),
        (StepDecay, {"gamma": 1.5}, "gamma"),
        (ExponentialDecay, {"gamma": -0.5}, "gamma"),
        (ExponentialDecay, {"learning_rate": float("inf")}, "learning_rate"),
        (CosineAnnealing, {"t_max": 0}, "t_max"),
        (CosineAnnealing, {"learning_rate": 0.01, "min_learning_rate": 0.1}, "min_learning_rate"),
        (CosineAnnealing, {"min_learning_rate": -0.1}, "min_learning_rate"),
        (Annealed, {"a": 0.0}, "a"),
        (Annealed, {"b": 0.0}, "b"),
        (Annealed, {"c": -0.01}, "c"),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(cls, kwargs, name):
    with pytest.raises(ValueError, match=f"^{name} "):
        cls(**kwargs)


@pytest.mark.parametrize(
    ("cls", "kwargs", "name"),
    [
        (StepDecay, {"step_size": 2.5}, "step_size"),
        (Adaptive, {"patience": True}, "patience"),
        (InverseScaling, {"per_epoch": "yes"}, "per_epoch"),
        (Constant, {"learning_rate": "0.1"}, "learning_rate"),
    ],
)
def test_parameters_of_the_wrong_type_raise_type_error(cls, kwargs, name):
    with pytest.raises(TypeError, match=name):
        cls(**kwargs)


@pytest.mark.parametrize("schedule", ALL, ids=ALL_IDS)
def test_call_validates_its_arguments_and_returns_a_python_float(schedule):
    value = schedule(np.int64(3), np.int32(2), np.uint64(40))
    assert type(value) is float
    assert value > 0
    with pytest.raises(ValueError, match="epoch"):
        schedule(-1, 0, 0)
    with pytest.raises(ValueError, match="step"):
        schedule(0, -2, 0)
    with pytest.raises(ValueError, match="samples_seen"):
        schedule(0, 0, -5)
    with pytest.raises(TypeError, match="step"):
        schedule(0, 1.5, 0)
    with pytest.raises(TypeError, match="epoch"):
        schedule(True, 0, 0)


# -- registry and config ----------------------------------------------------------------


def test_names():
    assert schedules.names() == [
        "adaptive",
        "annealed",
        "constant",
        "cosine",
        "exponential",
        "invscaling",
        "step",
    ]


@pytest.mark.parametrize("schedule", ALL, ids=ALL_IDS)
def test_get_config_round_trip_through_get(schedule):
    config = schedule.get_config()
    rebuilt = schedules.get(schedule.name, **config)
    assert type(rebuilt) is type(schedule)
    assert rebuilt.get_config() == config
    for epoch, step, seen in [(0, 0, 0), (3, 1, 50), (40, 2, 1000)]:
        assert rebuilt(epoch, step, seen) == type(schedule)(**config)(epoch, step, seen)
    assert type(schedule).__name__ in repr(schedule)


def test_get_by_name_and_errors():
    assert type(schedules.get("Cosine", t_max=5)) is CosineAnnealing
    assert type(schedules.get("annealed")) is Annealed
    with pytest.raises(ValueError, match="Unknown learning-rate schedule 'linear'") as info:
        schedules.get("linear")
    for valid in schedules.names():
        assert repr(valid) in str(info.value)
    with pytest.raises(TypeError, match=r"unexpected parameter\(s\) \['gamma'\].*t_max"):
        schedules.get("cosine", gamma=0.5)
    constant = Constant(0.1)
    assert schedules.get(constant) is constant
    with pytest.raises(ValueError, match="instance"):
        schedules.get(constant, learning_rate=0.2)
    with pytest.raises(TypeError, match="name or a Schedule"):
        schedules.get(0.1)


def test_stateless_schedules_have_empty_state():
    schedule = StepDecay()
    assert schedule.state_dict() == {}
    schedule.load_state_dict({})
    with pytest.raises(ValueError, match="no state"):
        schedule.load_state_dict({"x": 1})
    schedule.on_epoch_end(0, 1.0)  # a no-op
    schedule.reset()
    assert schedule(0, 0, 0) == 0.01


def test_base_class_defines_no_rate():
    with pytest.raises(NotImplementedError):
        Schedule()(0, 0, 0)


def test_schedule_drives_an_optimizer():
    # The training loop's protocol: set η before every step from (epoch, step, samples_seen).
    schedule = Annealed()
    optimizer = GradientDescent(learning_rate=1.0)
    w = np.zeros(1)
    expected = 0.0
    for epoch, step, seen in run_epochs(4, 1, epochs=3):
        optimizer.learning_rate = schedule(epoch, step, seen)
        optimizer.step([w], [np.ones(1)])
        expected -= 4 / (1.0 + epoch + step) + 0.01
    assert w[0] == pytest.approx(expected, rel=1e-14)
