"""Unit tests for trainer.reports.statistics (item analysis, test statistics, histograms, unit rates)."""
from __future__ import annotations

import math

import pytest

from trainer.reports.statistics import (
    FLAG_LOW_EFFICIENCY,
    FLAG_NEGATIVE_DISCRIMINATION,
    RATE_LABELS,
    UNANSWERED,
    UnitCounts,
    bin_labels,
    default_bins,
    distractors,
    histogram,
    item_analysis,
    rates,
    rollup,
    test_statistics as compute_test_statistics,
    unit_average_all_members,
)

# --------------------------------------------------------------------------- the worked example
#
# 5 attempts (A-E) x 5 items: Q1-Q4 are worth 1 point, Q5 is worth 2 points (max total 6).
#
#          Q1 Q2 Q3 Q4 Q5 | total T
#     A     1  1  1  0  2 |  5
#     B     1  1  0  1  2 |  5
#     C     1  0  1  0  1 |  3
#     D     0  1  0  1  1 |  3
#     E     0  0  0  1  0 |  1
#
# Sums of squared deviations are written S; the sample variance is S / (n - 1) = S / 4.
#
# Test level:
#   mean T = 17 / 5 = 3.4;  sorted 1 3 3 5 5, median 3;  min 1, max 5
#   deviations 1.6 1.6 -0.4 -0.4 -2.4;  S_T = 2.56 + 2.56 + 0.16 + 0.16 + 5.76 = 11.2
#   var T = 11.2 / 4 = 2.8;  SD = sqrt(2.8) = 1.673320
#
# Facility (mean / max): Q1 3/5 = 0.6, Q2 0.6, Q3 2/5 = 0.4, Q4 0.6, Q5 (2+2+1+1+0)/5 / 2 = 1.2 / 2 = 0.6
#
# Item variances: a 0/1 item with facility p has S = n p (1 - p) = 5 x 0.24 = 1.2, var = 0.3
#   (the same for p = 0.6 and p = 0.4), SD = sqrt(0.3) = 0.547723.
#   Q5: scores 2 2 1 1 0, mean 1.2, deviations 0.8 0.8 -0.2 -0.2 -1.2,
#       S = 0.64 + 0.64 + 0.04 + 0.04 + 1.44 = 2.8, var = 0.7, SD / max = sqrt(0.7) / 2 = 0.418330
#
# Q1, corrected item-total correlation (item x against the rest R = T - x):
#   x = 1 1 1 0 0 (mean 0.6), R = 4 4 2 3 1 (mean 2.8)
#   dx = 0.4 0.4 0.4 -0.6 -0.6;  dR = 1.2 1.2 -0.8 0.2 -1.8
#   S_xR = 0.48 + 0.48 - 0.32 - 0.12 + 1.08 = 1.6;  S_x = 1.2;  S_R = 1.44 + 1.44 + 0.64 + 0.04 + 3.24 = 6.8
#   D = 100 x 1.6 / sqrt(1.2 x 6.8) = 100 x 1.6 / sqrt(8.16) = 100 x 1.6 / 2.856571 = 56.0112
#   efficiency: pair both sorted ascending: x 0 0 1 1 1 with R 1 2 3 4 4,
#   dx -0.6 -0.6 0.4 0.4 0.4, dR -1.8 -0.8 0.2 1.2 1.2, S_max = 1.08 + 0.48 + 0.08 + 0.48 + 0.48 = 2.6
#   DE = 100 x 1.6 / 2.6 = 61.5385  (the (n - 1) of both covariances cancels)
# Q2: x = 1 1 0 1 0, R = 4 4 3 2 1 (mean 2.8), dR = 1.2 1.2 0.2 -0.8 -1.8,
#   S_xR = 0.48 + 0.48 - 0.12 - 0.32 + 1.08 = 1.6 and S_R = 6.8, sorted R 1 2 3 4 4: same as Q1,
#   D = 56.0112, DE = 61.5385.
#
# Q3, uncorrelated with the rest:
#   x = 1 0 1 0 0 (mean 0.4), R = 4 5 2 3 1 (mean 3)
#   dx = 0.6 -0.4 0.6 -0.4 -0.4;  dR = 1 2 -1 0 -2
#   S_xR = 0.6 - 0.8 - 0.6 + 0 + 0.8 = 0  ->  D = 0, DE = 0  ->  flagged: efficiency below 15
#
# Q4, the better candidates miss it (negative discrimination):
#   x = 0 1 0 1 1 (mean 0.6), R = 5 4 3 2 0 (mean 2.8)
#   dx = -0.6 0.4 -0.6 0.4 0.4;  dR = 2.2 1.2 0.2 -0.8 -2.8
#   S_xR = -1.32 + 0.48 - 0.12 - 0.32 - 1.12 = -2.4;  S_R = 4.84 + 1.44 + 0.04 + 0.64 + 7.84 = 14.8
#   D = 100 x -2.4 / sqrt(1.2 x 14.8) = 100 x -2.4 / sqrt(17.76) = 100 x -2.4 / 4.214262 = -56.9495
#   sorted: x 0 0 1 1 1 with R 0 2 3 4 5: dx -0.6 -0.6 0.4 0.4 0.4, dR -2.8 -0.8 0.2 1.2 2.2,
#   S_max = 1.68 + 0.48 + 0.08 + 0.48 + 0.88 = 3.6;  DE = 100 x -2.4 / 3.6 = -66.6667
#   -> flagged twice: negative discrimination and efficiency below 15
#
# Q5: R = 3 3 2 2 1 = x + 1 exactly, so D = 100 and DE = 100.
#
# Cronbach's alpha, k = 5 items:
#   sum of item variances = 4 x 0.3 + 0.7 = 1.9
#   alpha = 5/4 x (1 - 1.9 / 2.8) = 1.25 x 0.9 / 2.8 = 45/112 = 0.401786
#   ER = 100 x sqrt(1 - 45/112) = 100 x sqrt(67/112) = 100 x sqrt(0.598214) = 77.3443 (%)
#   SE = ER / 100 x SD = 0.773443 x 1.673320 = 1.294218 (points)
#
# Skewness and kurtosis (Moodle's k-statistics, n = 5):
#   m2 = 11.2 / 5 = 2.24
#   m3 = (2 x 1.6^3 + 2 x (-0.4)^3 + (-2.4)^3) / 5 = (8.192 - 0.128 - 13.824) / 5 = -1.152
#   m4 = (2 x 1.6^4 + 2 x 0.4^4 + 2.4^4) / 5 = (13.1072 + 0.0512 + 33.1776) / 5 = 9.2672
#   k2 = 5 x 2.24 / 4 = 2.8;  k3 = 25 x -1.152 / (4 x 3) = -2.4
#   skewness = k3 / k2^1.5 = -2.4 / 4.685296 = -0.512241
#   k4 = 25 x (6 x 9.2672 - 3 x 4 x 2.24^2) / (4 x 3 x 2) = 25 x (55.6032 - 60.2112) / 24 = -4.8
#   kurtosis = k4 / k2^2 = -4.8 / 7.84 = -0.612245
#
# Pass mark 50 % of 6 = 3 points: 5, 5, 3, 3 pass (3 is exactly on the mark), 1 fails -> 4/5 = 0.8.

MATRIX = [
    [1, 1, 1, 0, 2],
    [1, 1, 0, 1, 2],
    [1, 0, 1, 0, 1],
    [0, 1, 0, 1, 1],
    [0, 0, 0, 1, 0],
]
MAX_POINTS = [1, 1, 1, 1, 2]
KEYS = ["Q1", "Q2", "Q3", "Q4", "Q5"]
TOTALS = [5, 5, 3, 3, 1]


def _by_key(matrix=MATRIX, max_points=MAX_POINTS, keys=KEYS):
    return {s.item: s for s in item_analysis(matrix, max_points, keys)}


def test_worked_example_facility_and_sd():
    """Facility is mean/max and SD is the sample SD of score/max, as worked out by hand above."""
    stats = _by_key()
    assert [stats[k].facility for k in KEYS] == pytest.approx([0.6, 0.6, 0.4, 0.6, 0.6])
    assert [stats[k].sd for k in KEYS[:4]] == pytest.approx([0.547723] * 4, abs=1e-6)
    assert stats["Q5"].sd == pytest.approx(0.418330, abs=1e-6)
    assert all(s.n == 5 for s in stats.values())


def test_worked_example_discrimination_and_efficiency():
    """Discrimination is the corrected item-total correlation x 100; efficiency compares with sorted pairs."""
    stats = _by_key()
    assert stats["Q1"].discrimination == pytest.approx(100 * 1.6 / math.sqrt(8.16))
    assert stats["Q1"].discrimination == pytest.approx(56.0112, abs=1e-4)
    assert stats["Q1"].efficiency == pytest.approx(100 * 1.6 / 2.6)
    assert stats["Q2"].discrimination == pytest.approx(56.0112, abs=1e-4)
    assert stats["Q3"].discrimination == pytest.approx(0.0, abs=1e-9)
    assert stats["Q3"].efficiency == pytest.approx(0.0, abs=1e-9)
    assert stats["Q4"].discrimination == pytest.approx(-56.9495, abs=1e-4)
    assert stats["Q4"].efficiency == pytest.approx(-66.6667, abs=1e-4)
    assert stats["Q5"].discrimination == pytest.approx(100.0)
    assert stats["Q5"].efficiency == pytest.approx(100.0)


def test_worked_example_flags():
    """A negatively discriminating item is flagged (区分度为负); efficiency below 15 is flagged too."""
    stats = _by_key()
    assert stats["Q4"].flagged
    assert stats["Q4"].flags == (FLAG_NEGATIVE_DISCRIMINATION, FLAG_LOW_EFFICIENCY)
    assert FLAG_NEGATIVE_DISCRIMINATION == "区分度为负" and FLAG_LOW_EFFICIENCY == "区分效率低于15"
    assert stats["Q3"].flags == (FLAG_LOW_EFFICIENCY,)
    assert not stats["Q1"].flagged and stats["Q1"].flags == ()
    assert not stats["Q5"].flagged


def test_worked_example_test_statistics():
    """Mean, median, SD, range, pass rate, alpha, ER, SE, skewness and kurtosis match the hand calculation."""
    t = compute_test_statistics(TOTALS, 6, 50, MATRIX, MAX_POINTS)
    assert t.n == 5
    assert t.mean == pytest.approx(3.4)
    assert t.median == 3
    assert t.sd == pytest.approx(math.sqrt(2.8))
    assert (t.min, t.max) == (1, 5)
    assert t.pass_rate == pytest.approx(0.8)
    assert t.alpha == pytest.approx(45 / 112)
    assert t.error_ratio == pytest.approx(77.3443, abs=1e-4)
    assert t.standard_error == pytest.approx(1.294218, abs=1e-6)
    assert t.skewness == pytest.approx(-0.512241, abs=1e-6)
    assert t.kurtosis == pytest.approx(-0.612245, abs=1e-6)


def test_test_statistics_without_matrix_has_no_alpha():
    """Without the item matrix there is no alpha, ER or SE; the rest is still computed."""
    t = compute_test_statistics(TOTALS, 6, 60)
    assert t.alpha is None and t.error_ratio is None and t.standard_error is None
    assert t.pass_rate == pytest.approx(0.4)
    assert t.sd == pytest.approx(1.673320, abs=1e-6)


# --------------------------------------------------------------------------- edge cases


def test_one_candidate_leaves_spread_statistics_undefined():
    """With one attempt, SD, discrimination, efficiency, alpha, skewness and kurtosis are None."""
    stats = item_analysis([[1, 0, 2]], [1, 1, 2], ["a", "b", "c"])
    assert [s.facility for s in stats] == [1.0, 0.0, 1.0]
    assert all(s.sd is None and s.discrimination is None and s.efficiency is None for s in stats)
    assert not any(s.flagged for s in stats)
    t = compute_test_statistics([3], 4, 60, [[1, 0, 2]], [1, 1, 2])
    assert (t.n, t.mean, t.median, t.min, t.max, t.pass_rate) == (1, 3, 3, 3, 3, 1.0)
    assert t.sd is None and t.alpha is None and t.error_ratio is None and t.standard_error is None
    assert t.skewness is None and t.kurtosis is None


def test_all_right_and_all_wrong_have_no_correlations():
    """When everyone scores full marks (or nothing), facility is 1 (or 0) and nothing is divided by zero."""
    for score, facility in ((1, 1.0), (0, 0.0)):
        matrix = [[score, score, score * 2]] * 4
        stats = item_analysis(matrix, [1, 1, 2], [1, 2, 3])
        assert [s.facility for s in stats] == [facility] * 3
        assert [s.sd for s in stats] == [0.0] * 3
        assert all(s.discrimination is None and s.efficiency is None and not s.flagged for s in stats)
        t = compute_test_statistics([sum(r) for r in matrix], 4, 60, matrix, [1, 1, 2])
        assert t.sd == 0.0
        assert t.alpha is None and t.error_ratio is None and t.standard_error is None
        assert t.skewness is None and t.kurtosis is None


def test_constant_item_is_undefined_but_others_are_not():
    """An item everyone got right has no discrimination; the other items are still analysed."""
    matrix = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [1, 0, 0]]
    constant, second, third = item_analysis(matrix, [1, 1, 1], ["c", "s", "t"])
    assert constant.facility == 1.0 and constant.discrimination is None and not constant.flagged
    assert second.discrimination is not None and second.discrimination > 0
    assert third.discrimination is not None and third.discrimination > 0


def test_no_attempts_and_missing_cells():
    """No attempts gives None everywhere; a None cell or a short row counts as 0 points."""
    (empty,) = item_analysis([], [1], ["x"])
    assert (empty.n, empty.facility, empty.sd, empty.discrimination) == (0, None, None, None)
    t = compute_test_statistics([], 10, 60, [], [1, 1])
    assert t.n == 0 and t.mean is None and t.median is None and t.pass_rate is None and t.alpha is None
    padded = item_analysis([[1, None], [1]], [1, 1], ["a", "b"])
    assert [s.facility for s in padded] == [1.0, 0.0]
    with pytest.raises(ValueError):
        item_analysis([[1, 1, 1]], [1, 1], ["a", "b"])


# --------------------------------------------------------------------------- distributions


def test_histogram_default_bins_put_100_in_the_last_bin():
    """Default bins are [0,10) ... [90,100]; 100 lands in the last bin and out-of-range values are dropped."""
    assert default_bins()[0] == (0, 10) and default_bins()[-1] == (90, 100) and len(default_bins()) == 10
    counts = histogram([0, 9.99, 10, 59.5, 60, 89.9, 90, 99.9, 100, 100.5, -1])
    #                   0-9 10-19 ... 50-59 60-69 70-79 80-89 90-100
    assert counts == [2, 1, 0, 0, 0, 1, 1, 0, 1, 3]
    assert histogram([]) == [0] * 10


def test_histogram_custom_bins_and_labels():
    """Custom bins work the same way, and labels read as whole scores (0–59, 60–79, 80–100)."""
    bins = [(0, 60), (60, 80), (80, 100)]
    assert histogram([59, 60, 79.5, 80, 100], bins) == [1, 2, 2]
    assert bin_labels(bins) == ["0–59", "60–79", "80–100"]
    assert bin_labels()[0] == "0–9" and bin_labels()[-1] == "90–100"


def test_distractor_counts():
    """Each chosen letter is counted (a multiple answer counts each letter once); None is 未作答."""
    counts = distractors(["A", "b", "AC", None, "", "CA", "E", "A,A"], 4)
    assert counts == {"A": 4, "B": 1, "C": 2, "D": 0, "E": 1, UNANSWERED: 2}
    assert list(counts) == ["A", "B", "C", "D", "E", "未作答"]
    assert distractors([], 2) == {"A": 0, "B": 0, "未作答": 0}


# --------------------------------------------------------------------------- units


def test_rates_and_zero_denominators():
    """参学率 and 参考率 are over members, 合格率 and 平均分 over participants; a zero denominator gives None."""
    r = rates(members=10, studied=8, sat=5, passed=4, score_sum=410.0)
    assert r == pytest.approx({"study_rate": 0.8, "sit_rate": 0.5, "pass_rate": 0.8, "mean_score": 82.0})
    assert set(r) == set(RATE_LABELS) and RATE_LABELS["pass_rate"] == "合格率"
    assert rates(0, 0, 0, 0, 0.0) == {"study_rate": None, "sit_rate": None, "pass_rate": None, "mean_score": None}
    none_sat = rates(6, 3, 0, 0, 0.0)
    assert none_sat["study_rate"] == 0.5 and none_sat["sit_rate"] == 0.0
    assert none_sat["pass_rate"] is None and none_sat["mean_score"] is None


def test_rollup_over_a_three_level_tree():
    """A unit's counts include all its descendants: 局 <- 大队 <- 中队, with units that have no counts."""
    tree = {1: None, 2: 1, 3: 1, 4: 2, 5: 2, 6: 3, 7: 1}  # 局 1; 大队 2, 3; 中队 4, 5 (of 2), 6 (of 3); 股室 7
    per_unit = {
        1: (2, 2, 2, 2, 180.0),
        2: (1, 1, 1, 0, 50.0),
        4: (5, 4, 3, 2, 240.0),
        5: (4, 2, 2, 2, 170.0),
        6: (6, 6, 5, 4, 400.0),
    }
    sums = rollup(tree, per_unit)
    assert sums[4] == (5, 4, 3, 2, 240.0)
    assert sums[2] == (1 + 5 + 4, 1 + 4 + 2, 1 + 3 + 2, 0 + 2 + 2, 50.0 + 240.0 + 170.0)
    assert sums[3] == (6, 6, 5, 4, 400.0)
    assert sums[7] == UnitCounts() == (0, 0, 0, 0, 0.0)
    assert sums[1] == (18, 15, 13, 10, 1040.0)
    assert sums[1].members == 18 and rates(*sums[1])["pass_rate"] == pytest.approx(10 / 13)
    assert set(sums) == set(tree)


def test_rollup_survives_a_cycle():
    """A (corrupt) cyclic tree is walked once per unit instead of forever."""
    sums = rollup({1: 2, 2: 1}, {1: (1, 1, 1, 1, 90.0)})
    assert sums[1] == sums[2] == (1, 1, 1, 1, 90.0)


def test_unit_average_counts_non_participants_as_zero():
    """The all-member average divides by every member, a non-participant (None) counting as 0."""
    assert unit_average_all_members({1: 90.0, 2: 80.0, 3: None, 4: 0.0}) == pytest.approx(42.5)
    assert unit_average_all_members({1: None}) == 0.0
    assert unit_average_all_members({}) is None
