"""Tests of the selection rule of benchmarks/time_series_accuracy.py (no fit, no aeon).

The script chooses, for each data set and cell, the candidate with the best mean validation
accuracy, a tie going to the earlier candidate in ``CANDIDATES``; a "lowest loss" candidate
reads the fit of its twin without the callback.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "time_series_accuracy.py"


@pytest.fixture(scope="module")
def tsa():
    spec = importlib.util.spec_from_file_location("time_series_accuracy", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_choose_takes_the_best_mean_per_data_set_and_cell(tsa):
    first, second, third = list(tsa.CANDIDATES)[:3]
    means = {
        (first, "A", "lstm"): 0.90,
        (second, "A", "lstm"): 0.95,
        (third, "A", "lstm"): 0.93,
        (first, "A", "gru"): 0.97,
        (second, "A", "gru"): 0.95,
        (third, "A", "gru"): 0.96,
        (first, "B", "lstm"): 0.80,
        (second, "B", "lstm"): 0.81,
        (third, "B", "lstm"): 0.82,
    }
    assert tsa.choose(means) == {
        ("A", "lstm"): second,
        ("A", "gru"): first,
        ("B", "lstm"): third,
    }


def test_choose_breaks_a_tie_for_the_earlier_candidate_whatever_the_order_given(tsa):
    names = list(tsa.CANDIDATES)
    early, late = names[1], names[-1]
    # the same mean reached by two different sums of fold accuracies: equal to rounding
    tied = (0.7 + 0.8 + 0.9) / 3
    means = {(late, "A", "gru"): (0.9 + 0.8 + 0.7) / 3, (early, "A", "gru"): tied}
    assert means[late, "A", "gru"] > tied  # by rounding only
    assert tsa.choose(means) == {("A", "gru"): early}
    # a strictly better later candidate still wins
    means[late, "A", "gru"] = tied + 1 / 150
    assert tsa.choose(means) == {("A", "gru"): late}


def test_shared_fits_pairs_each_lowest_loss_candidate_with_its_twin(tsa):
    names = list(tsa.CANDIDATES)
    fits = tsa.shared_fits(names)
    # every candidate is read from exactly one fit
    assert sorted(n for group in fits.values() for n in group) == sorted(names)
    for fitted, group in fits.items():
        plain = [
            {k: v for k, v in tsa.CANDIDATES[n].items() if k != tsa.KEEP_LOWEST_LOSS} for n in group
        ]
        assert all(p == plain[0] for p in plain)
        # the fitted one carries the callback whenever one of its readers needs it
        needs = any(tsa.KEEP_LOWEST_LOSS in tsa.CANDIDATES[n] for n in group)
        assert (tsa.KEEP_LOWEST_LOSS in tsa.CANDIDATES[fitted]) == needs
    assert len(fits) < len(names)  # the list has twins: fewer fits than candidates
    # alone, a twin is fitted by itself
    lone = next(n for n in names if tsa.KEEP_LOWEST_LOSS not in tsa.CANDIDATES[n])
    assert tsa.shared_fits([lone]) == {lone: [lone]}
