"""Exam and unit statistics: item analysis, test statistics, histograms, distractors, unit rates.

Pure: no Flask, no database, standard library only. The item and test statistics follow Moodle's
quiz statistics report ("Quiz statistics calculations"): sample (n - 1) variances throughout, the
discrimination index is the corrected item-total correlation (item against the rest of the test),
discriminative efficiency compares the covariance with the largest one the two score distributions
allow, and skewness/kurtosis use Moodle's k-statistics. Anything undefined (one candidate, zero
variance, an empty denominator) is None; nothing here divides by zero or raises on such data.
"""
from __future__ import annotations

import math
import statistics
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = [
    "FLAG_LOW_EFFICIENCY", "FLAG_NEGATIVE_DISCRIMINATION", "MIN_EFFICIENCY", "RATE_LABELS", "UNANSWERED",
    "ItemStats", "TestStats", "UnitCounts", "bin_labels", "default_bins", "distractors", "histogram",
    "item_analysis", "rates", "rollup", "test_statistics", "unit_average_all_members",
]

FLAG_NEGATIVE_DISCRIMINATION = "区分度为负"
FLAG_LOW_EFFICIENCY = "区分效率低于15"
MIN_EFFICIENCY = 15.0          # Moodle marks an item with discriminative efficiency below 15 % as dubious
UNANSWERED = "未作答"
RATE_LABELS = {"study_rate": "参学率", "sit_rate": "参考率", "pass_rate": "合格率", "mean_score": "平均分"}
_EPSILON = 1e-9


@dataclass(frozen=True)
class ItemStats:
    """Moodle-style statistics of one item (question position) over all attempts."""

    item: Any                       # the caller's key (question id, position, ...)
    n: int                          # attempts analysed
    facility: float | None          # mean score / max score, 0..1
    sd: float | None                # sample SD of score / max score
    discrimination: float | None    # corrected item-total correlation x 100, -100..100
    efficiency: float | None        # discriminative efficiency, % of the largest covariance possible
    flagged: bool
    flags: tuple[str, ...]          # Chinese reasons, empty when the item looks sound


@dataclass(frozen=True)
class TestStats:
    """Statistics of the test as a whole; scores are in the units of the totals given."""

    n: int
    mean: float | None
    median: float | None
    sd: float | None                # sample SD
    min: float | None
    max: float | None
    pass_rate: float | None         # share of attempts at or above the pass mark, 0..1
    alpha: float | None             # Cronbach's alpha (Moodle: coefficient of internal consistency), <= 1
    error_ratio: float | None       # 100 x sqrt(1 - alpha), in %
    standard_error: float | None    # error_ratio / 100 x sd, in score units
    skewness: float | None
    kurtosis: float | None          # excess kurtosis (0 for a normal distribution)


class UnitCounts(NamedTuple):
    """The counts of one unit (or a unit and its descendants) that the unit rates are made from."""

    members: int = 0
    studied: int = 0
    sat: int = 0
    passed: int = 0
    score_sum: float = 0.0


# --------------------------------------------------------------------------- small helpers

def _variance(values: Sequence[float]) -> float | None:
    """Sample variance (exact for constant data, so zero really is zero), None below two values."""
    return statistics.variance(values) if len(values) >= 2 else None


def _rows(matrix: Sequence[Sequence[float | None]], k: int) -> list[list[float]]:
    """The score matrix as floats, k columns wide: a missing cell (None or a short row) is 0."""
    rows = []
    for row in matrix:
        if len(row) > k:
            raise ValueError(f"a row has {len(row)} scores but there are only {k} items")
        rows.append([float(v or 0.0) for v in row] + [0.0] * (k - len(row)))
    return rows


def _flags(discrimination: float | None, efficiency: float | None) -> tuple[str, ...]:
    """Why an item is dubious: negative discrimination, or efficiency below MIN_EFFICIENCY."""
    flags = []
    if discrimination is not None and discrimination < -_EPSILON:
        flags.append(FLAG_NEGATIVE_DISCRIMINATION)
    if efficiency is not None and efficiency < MIN_EFFICIENCY - _EPSILON:
        flags.append(FLAG_LOW_EFFICIENCY)
    return tuple(flags)


# --------------------------------------------------------------------------- item analysis

def item_analysis(matrix: Sequence[Sequence[float | None]], max_points: Sequence[float],
                  keys: Sequence[Any]) -> list[ItemStats]:
    """Facility, SD, discrimination and efficiency of each item (column) over the attempts (rows)."""
    k = len(max_points)
    if len(keys) != k:
        raise ValueError(f"{len(keys)} keys for {k} items")
    rows = _rows(matrix, k)
    n = len(rows)
    result = []
    for i, (key, top) in enumerate(zip(keys, max_points)):
        xs = [row[i] for row in rows]
        rest = [math.fsum(row[:i] + row[i + 1:]) for row in rows]
        var_x = _variance(xs)
        facility = statistics.fmean(xs) / top if n and top > 0 else None
        sd = math.sqrt(var_x) / top if var_x is not None and top > 0 else None
        discrimination = efficiency = None
        var_rest = _variance(rest)
        if var_x and var_rest:          # both defined and non-zero
            cov = statistics.covariance(xs, rest)
            discrimination = max(-100.0, min(100.0, 100.0 * cov / math.sqrt(var_x * var_rest)))
            cov_max = statistics.covariance(sorted(xs), sorted(rest))
            if cov_max > _EPSILON:
                efficiency = 100.0 * cov / cov_max
        flags = _flags(discrimination, efficiency)
        result.append(ItemStats(key, n, facility, sd, discrimination, efficiency, bool(flags), flags))
    return result


# --------------------------------------------------------------------------- test statistics

def _shape(values: Sequence[float]) -> tuple[float | None, float | None]:
    """Skewness (n > 2) and excess kurtosis (n > 3) with Moodle's k-statistics; None when undefined."""
    n = len(values)
    if n < 3:
        return None, None
    mean = statistics.fmean(values)
    m2, m3, m4 = (math.fsum((v - mean) ** p for v in values) / n for p in (2, 3, 4))
    k2 = n * m2 / (n - 1)
    if k2 <= _EPSILON:
        return None, None
    k3 = n * n * m3 / ((n - 1) * (n - 2))
    skewness = k3 / k2 ** 1.5
    if n < 4:
        return skewness, None
    k4 = n * n * ((n + 1) * m4 - 3 * (n - 1) * m2 * m2) / ((n - 1) * (n - 2) * (n - 3))
    return skewness, k4 / (k2 * k2)


def _alpha(matrix: Sequence[Sequence[float | None]], max_points: Sequence[float] | None) -> float | None:
    """Cronbach's alpha k/(k-1) x (1 - sum of item variances / variance of the totals), or None."""
    k = len(max_points) if max_points is not None else max((len(row) for row in matrix), default=0)
    rows = _rows(matrix, k)
    if k < 2 or len(rows) < 2:
        return None
    var_total = statistics.variance([math.fsum(row) for row in rows])
    if var_total <= _EPSILON:
        return None
    item_vars = math.fsum(statistics.variance([row[i] for row in rows]) for i in range(k))
    return k / (k - 1) * (1 - item_vars / var_total)


def test_statistics(totals: Sequence[float], max_total: float, pass_mark_pct: float,
                    matrix: Sequence[Sequence[float | None]] | None = None,
                    max_points: Sequence[float] | None = None) -> TestStats:
    """Mean, median, SD, range, pass rate, shape and (with the item matrix) alpha, ER and SE."""
    values = [float(t) for t in totals]
    n = len(values)
    sd = statistics.stdev(values) if n >= 2 else None
    pass_rate = None
    if n and max_total > 0:
        passed = sum(1 for v in values if v * 100 >= pass_mark_pct * max_total - _EPSILON)
        pass_rate = passed / n
    skewness, kurtosis = _shape(values)
    alpha = _alpha(matrix, max_points) if matrix is not None else None
    error_ratio = standard_error = None
    if alpha is not None:
        error_ratio = 100.0 * math.sqrt(max(0.0, 1.0 - alpha))
        if sd is not None:
            standard_error = error_ratio / 100.0 * sd
    return TestStats(
        n=n,
        mean=statistics.fmean(values) if n else None,
        median=statistics.median(values) if n else None,
        sd=sd,
        min=min(values) if n else None,
        max=max(values) if n else None,
        pass_rate=pass_rate,
        alpha=alpha,
        error_ratio=error_ratio,
        standard_error=standard_error,
        skewness=skewness,
        kurtosis=kurtosis,
    )


test_statistics.__test__ = False  # type: ignore[attr-defined]  # its name is not a pytest test

# --------------------------------------------------------------------------- distributions

def default_bins() -> list[tuple[float, float]]:
    """Ten bins on a 100 scale: [0, 10), [10, 20) ... [90, 100] (the last one includes 100)."""
    return [(float(low), float(low + 10)) for low in range(0, 100, 10)]


def histogram(values: Sequence[float], bins: Sequence[tuple[float, float]] | None = None) -> list[int]:
    """How many values fall in each bin; bins are [low, high) except the last, which is [low, high].

    Values outside every bin are not counted.
    """
    bins = default_bins() if bins is None else list(bins)
    counts = [0] * len(bins)
    last = len(bins) - 1
    for value in values:
        for i, (low, high) in enumerate(bins):
            if low <= value < high or (i == last and value == high):
                counts[i] += 1
                break
    return counts


def bin_labels(bins: Sequence[tuple[float, float]] | None = None) -> list[str]:
    """Labels for the bins as whole scores show them: "0–9", "10–19" ... "90–100"."""
    bins = default_bins() if bins is None else list(bins)

    def num(x: float) -> str:
        return f"{x:g}"

    labels = []
    for i, (low, high) in enumerate(bins):
        whole = float(low).is_integer() and float(high).is_integer()
        top = high if i == len(bins) - 1 or not whole else high - 1
        labels.append(f"{num(low)}–{num(top)}")
    return labels


def distractors(choices: Sequence[str | None], option_count: int) -> dict[str, int]:
    """How often each option letter was chosen; a multiple answer ("AC") counts each letter once.

    Keys: "A", "B", ... for option_count options (zeros included), any letter beyond them that
    still turned up, then UNANSWERED ("未作答") for None or a response without a letter.
    """
    letters = string.ascii_uppercase[:option_count]
    counts = dict.fromkeys(letters, 0)
    unanswered = 0
    for choice in choices:
        chosen = dict.fromkeys(ch.upper() for ch in (choice or "") if ch in string.ascii_letters)
        if not chosen:
            unanswered += 1
        for letter in chosen:
            counts[letter] = counts.get(letter, 0) + 1
    result = {letter: counts[letter] for letter in letters}
    result.update((letter, counts[letter]) for letter in sorted(set(counts) - set(letters)))
    result[UNANSWERED] = unanswered
    return result


# --------------------------------------------------------------------------- units

def rates(members: int, studied: int, sat: int, passed: int, score_sum: float) -> dict[str, float | None]:
    """参学率 studied/members, 参考率 sat/members, 合格率 passed/sat, 平均分 score_sum/sat (None on 0).

    Keys are those of RATE_LABELS; the rates are fractions 0..1.
    """
    return {
        "study_rate": studied / members if members else None,
        "sit_rate": sat / members if members else None,
        "pass_rate": passed / sat if sat else None,
        "mean_score": score_sum / sat if sat else None,
    }


def rollup(tree: Mapping[int, int | None],
           per_unit: Mapping[int, Sequence[float]]) -> dict[int, UnitCounts]:
    """Each unit's counts plus those of all its descendants (tree: unit id -> parent id or None).

    Every unit of the tree (and of per_unit) gets an entry; a unit without counts adds zeros.
    A cycle in the tree is walked once, never forever.
    """
    sums: dict[int, list[float]] = {unit: [0, 0, 0, 0, 0.0] for unit in (*tree, *per_unit)}
    for unit, counts in per_unit.items():
        seen = set()
        node: int | None = unit
        while node is not None and node not in seen:
            seen.add(node)
            total = sums.setdefault(node, [0, 0, 0, 0, 0.0])
            for i, value in enumerate(counts):
                total[i] += value
            node = tree.get(node)
    return {unit: UnitCounts(*total) for unit, total in sums.items()}


def unit_average_all_members(member_scores: Mapping[Any, float | None]) -> float | None:
    """The average over ALL members, a non-participant (None) counting as zero; None without members."""
    if not member_scores:
        return None
    return math.fsum(score or 0.0 for score in member_scores.values()) / len(member_scores)
