"""Performance regression verdicts on distributions, not on single numbers.

The old rule (one new sample against one baseline number, fail when more than 10% worse)
cries wolf on a shared, noisy machine and still misses real 10% losses, because one
sample carries the whole noise of the machine. Here both sides are sets of repetitions:

- the effect is the ratio of medians, oriented so that a ratio below 1 is always worse
  (new/baseline for throughput, baseline/new for latency or seconds);
- its uncertainty is a percentile bootstrap interval of that ratio;
- a Mann-Whitney rank test gives the p-value (exact when there are no ties);
- the threshold (default 10%) is the effect size the check must catch, not a cut on a
  raw difference: a change is flagged when it is significant (p < alpha and the interval
  excludes 1) and its point estimate is at least half the threshold, so a true loss of
  the full threshold is caught with high probability while drift smaller than half of
  it is not called a regression;
- "no change" needs the whole interval inside 1 +/- threshold (an effect of the
  threshold's size is ruled out); otherwise the verdict is "too noisy" to tell.

Pure: numbers in, verdicts out (no guest, no files), so it is tested on numbers alone.
"""
import dataclasses
import math
import random
import statistics

from avocado_vexfs.errors import ConfigError

REGRESSION = "regression"
IMPROVEMENT = "improvement"
NO_CHANGE = "no change"
TOO_NOISY = "too noisy"
MIN_REPEATS = 5


@dataclasses.dataclass(eq=False)
class Verdict:
    """The comparison of one metric: verdict, ratio, interval and p-value."""

    metric: str
    verdict: str
    ratio: float
    low: float
    high: float
    p_value: float
    n_baseline: int
    n_new: int
    threshold: float

    def describe(self):
        """One line naming the metric and the numbers behind the verdict."""
        return (f"{self.metric}: {self.verdict}: performance {self.ratio:.3f}x of baseline "
                f"(95% interval {self.low:.3f}-{self.high:.3f}, p={self.p_value:.3g}, "
                f"{self.n_new} new vs {self.n_baseline} baseline samples, "
                f"threshold {self.threshold:.0%})")

    def as_dict(self):
        return dataclasses.asdict(self)


def _check_samples(metric, what, values, minimum):
    values = [float(v) for v in values]
    if len(values) < minimum:
        raise ConfigError(f"{metric}: {len(values)} {what} samples: expected at least "
                          f"{minimum} repeats (raise bench_repeats)")
    if any(v <= 0 or math.isnan(v) for v in values):
        raise ConfigError(f"{metric}: {what} samples {values}: expected positive numbers")
    return values


def ratio_of_medians(baseline, new, higher_is_better=True):
    """Median of ``new`` over median of ``baseline``, inverted for lower-is-better."""
    ratio = statistics.median(new) / statistics.median(baseline)
    return ratio if higher_is_better else 1.0 / ratio


def bootstrap_interval(baseline, new, higher_is_better=True, confidence=0.95,
                       resamples=2000, seed=0):
    """Percentile bootstrap interval of ratio_of_medians; seeded, so reproducible."""
    rng = random.Random(seed)
    ratios = sorted(
        ratio_of_medians(rng.choices(baseline, k=len(baseline)),
                         rng.choices(new, k=len(new)), higher_is_better)
        for _ in range(resamples))
    tail = (1.0 - confidence) / 2.0
    low = ratios[math.floor(tail * (resamples - 1))]
    high = ratios[math.ceil((1.0 - tail) * (resamples - 1))]
    return low, high


def _u_statistic(first, second):
    """Mann-Whitney U of ``first`` (ties count one half) and whether any tie occurred."""
    u_value, ties = 0.0, False
    for a in first:
        for b in second:
            if a > b:
                u_value += 1.0
            elif a == b:
                u_value += 0.5
                ties = True
    return u_value, ties


def _exact_u_counts(m, n):
    """counts[u] = number of orderings of m vs n values with U = u (no ties)."""
    table = {(0, j): [1] for j in range(n + 1)}
    for i in range(1, m + 1):
        table[(i, 0)] = [1]
        for j in range(1, n + 1):
            size = i * j + 1
            row = [0] * size
            for u, count in enumerate(table[(i - 1, j)]):
                row[u + j] += count  # the largest value belongs to the first sample
            for u, count in enumerate(table[(i, j - 1)]):
                row[u] += count
            table[(i, j)] = row
    return table[(m, n)]


def mann_whitney_p(first, second):
    """Two-sided Mann-Whitney p-value: exact without ties, normal approximation with."""
    m, n = len(first), len(second)
    u_value, ties = _u_statistic(first, second)
    if not ties and m * n <= 2500:
        counts = _exact_u_counts(m, n)
        total = float(sum(counts))
        below = sum(counts[:int(u_value) + 1]) / total
        above = sum(counts[int(u_value):]) / total
        return min(1.0, 2.0 * min(below, above))
    pooled = sorted(first + second)
    tie_sizes = [pooled.count(v) for v in set(pooled)]
    size = m + n
    variance = m * n / 12.0 * ((size + 1) - sum(t ** 3 - t for t in tie_sizes)
                               / (size * (size - 1)))
    if variance <= 0:
        return 1.0
    z_value = (abs(u_value - m * n / 2.0) - 0.5) / math.sqrt(variance)
    return min(1.0, math.erfc(max(z_value, 0.0) / math.sqrt(2.0)))


def compare(metric, baseline, new, higher_is_better=True, threshold=0.10, alpha=0.05,
            min_repeats=MIN_REPEATS, resamples=2000, seed=0):
    """The Verdict of ``new`` samples against ``baseline`` samples of one metric."""
    if not 0 < threshold < 1:
        raise ConfigError(f"regression threshold {threshold}: expected a fraction "
                          f"between 0 and 1 (0.10 for 10%)")
    baseline = _check_samples(metric, "baseline", baseline, min_repeats)
    new = _check_samples(metric, "new", new, min_repeats)
    ratio = ratio_of_medians(baseline, new, higher_is_better)
    low, high = bootstrap_interval(baseline, new, higher_is_better, 1.0 - alpha,
                                   resamples, seed)
    p_value = mann_whitney_p(new, baseline)
    significant = p_value < alpha
    if significant and high < 1.0 and ratio <= 1.0 - threshold / 2.0:
        verdict = REGRESSION
    elif significant and low > 1.0 and ratio >= 1.0 + threshold / 2.0:
        verdict = IMPROVEMENT
    elif low >= 1.0 - threshold and high <= 1.0 + threshold:
        verdict = NO_CHANGE
    else:
        verdict = TOO_NOISY
    return Verdict(metric, verdict, ratio, low, high, p_value, len(baseline), len(new),
                   threshold)


def one_sample_rule(baseline_value, new_value, higher_is_better=True, threshold=0.10):
    """The old check, kept to be measured against: one sample vs one number +/- 10%."""
    ratio = new_value / baseline_value if higher_is_better else baseline_value / new_value
    if ratio < 1.0 - threshold:
        return REGRESSION
    if ratio > 1.0 + threshold:
        return IMPROVEMENT
    return NO_CHANGE


def fs_ratio(reference, candidate, higher_is_better=True, resamples=2000, seed=0):
    """Candidate/reference performance (VexFS/ext4) as (ratio, low, high); >1 is faster."""
    reference = [float(v) for v in reference]
    candidate = [float(v) for v in candidate]
    ratio = ratio_of_medians(reference, candidate, higher_is_better)
    low, high = bootstrap_interval(reference, candidate, higher_is_better,
                                   resamples=resamples, seed=seed)
    return ratio, low, high
