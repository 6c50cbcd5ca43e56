"""Regression verdicts on distributions (avocado_vexfs/bench/stats.py), on numbers alone."""
import random

import pytest

from avocado_vexfs.bench import stats
from avocado_vexfs.errors import ConfigError


def noisy(center, count, spread=0.04, seed=1):
    rng = random.Random(seed)
    return [rng.gauss(center, center * spread) for _ in range(count)]


def test_mann_whitney_exact_matches_hand_count():
    # total separation of 5 vs 5: 2 of the 252 orderings are as extreme (two-sided)
    assert stats.mann_whitney_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(2 / 252)
    assert stats.mann_whitney_p([1, 3, 5, 7, 9], [2, 4, 6, 8, 10]) > 0.5


def test_mann_whitney_with_ties_uses_normal_approximation():
    p_value = stats.mann_whitney_p([1, 1, 2, 2, 3], [3, 4, 4, 5, 5])
    assert 0.005 < p_value < 0.05
    assert stats.mann_whitney_p([2] * 5, [2] * 5) == 1.0


def test_ratio_is_oriented_so_below_one_is_worse():
    assert stats.ratio_of_medians([100] * 5, [90] * 5, higher_is_better=True) == 0.9
    assert stats.ratio_of_medians([100] * 5, [125] * 5, higher_is_better=False) == 0.8


@pytest.mark.parametrize("factor, higher_is_better, verdict", [
    (0.85, True, stats.REGRESSION),
    (1.15, True, stats.IMPROVEMENT),
    (1.0, True, stats.NO_CHANGE),
    (1.2, False, stats.REGRESSION),  # latency up 20%
    (0.8, False, stats.IMPROVEMENT),
])
def test_verdicts_on_quiet_samples(factor, higher_is_better, verdict):
    baseline = noisy(100.0, 10, spread=0.02, seed=2)
    new = [v * factor for v in noisy(100.0, 5, spread=0.02, seed=3)]
    result = stats.compare("seq_write write_bw", baseline, new, higher_is_better)
    assert result.verdict == verdict, result.describe()
    assert result.low <= result.ratio <= result.high


def test_wild_noise_is_too_noisy_not_a_regression():
    baseline = noisy(100.0, 5, spread=0.30, seed=4)
    new = noisy(95.0, 5, spread=0.30, seed=5)
    assert stats.compare("m", baseline, new).verdict == stats.TOO_NOISY


def test_small_significant_drift_is_not_a_regression():
    baseline = noisy(100.0, 10, spread=0.005, seed=6)
    new = noisy(97.0, 5, spread=0.005, seed=7)  # 3% slower: below half the threshold
    result = stats.compare("m", baseline, new)
    assert result.p_value < 0.05 and result.verdict == stats.NO_CHANGE


def test_describe_names_metric_and_numbers():
    result = stats.compare("small_write write_bw", [100] * 4 + [101], [80, 81, 79, 80, 82])
    line = result.describe()
    assert line.startswith("small_write write_bw: regression: performance 0.")
    assert "interval" in line and "p=" in line and "5 new vs 5 baseline" in line


@pytest.mark.parametrize("baseline, new, message", [
    ([1, 2, 3], [1, 2, 3, 4, 5], r"m: 3 baseline samples: expected at least 5 repeats"),
    ([1, 2, 3, 4, 5], [], r"m: 0 new samples: expected at least 5"),
    ([1, 2, 3, 4, 0], [1, 2, 3, 4, 5], r"expected positive numbers"),
])
def test_bad_samples_are_one_line(baseline, new, message):
    with pytest.raises(ConfigError, match=message):
        stats.compare("m", baseline, new)


def test_threshold_must_be_a_fraction():
    with pytest.raises(ConfigError, match=r"threshold 10: expected a fraction"):
        stats.compare("m", [1] * 5, [1] * 5, threshold=10)


def test_old_rule_and_fs_ratio():
    assert stats.one_sample_rule(100, 89) == stats.REGRESSION
    assert stats.one_sample_rule(100, 91) == stats.NO_CHANGE
    assert stats.one_sample_rule(100, 120, higher_is_better=False) == stats.REGRESSION
    ratio, low, high = stats.fs_ratio([100] * 5, [50, 52, 48, 50, 50])
    assert ratio == 0.5 and low <= 0.5 <= high


def test_bootstrap_is_reproducible():
    base, new = noisy(100, 8, seed=8), noisy(90, 6, seed=9)
    assert stats.bootstrap_interval(base, new) == stats.bootstrap_interval(base, new)
