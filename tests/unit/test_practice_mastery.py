"""Unit tests for trainer.practice.mastery (article mastery levels, weakest articles, streaks)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from trainer.practice.mastery import (
    MASTERED_MIN_ACCURACY,
    MASTERED_MIN_ANSWERED,
    MASTERY_LABELS,
    WEAK_MAX_ACCURACY,
    mastery,
    streak,
    weakest,
)

TODAY = date(2024, 3, 15)


# --------------------------------------------------------------------------- mastery

def test_labels_cover_every_level():
    """Each level returned by mastery has a Chinese label."""
    assert MASTERY_LABELS == {"none": "未练习", "weak": "薄弱", "learning": "学习中", "mastered": "已掌握"}


def test_thresholds_are_the_documented_ones():
    """The module constants hold the documented thresholds."""
    assert (MASTERED_MIN_ANSWERED, MASTERED_MIN_ACCURACY, WEAK_MAX_ACCURACY) == (3, 0.8, 0.6)


def test_never_answered_is_none():
    """No answers means not practised."""
    assert mastery(0, 0, []) == "none"


def test_mastered_at_the_thresholds():
    """Three answers, 80 % right and the last two right is mastered."""
    assert mastery(3, 3, [True, True, True]) == "mastered"
    assert mastery(5, 4, [False, True, True, True, True]) == "mastered"


def test_not_mastered_below_the_answer_count():
    """Two right answers are not enough for mastered."""
    assert mastery(2, 2, [True, True]) == "learning"


def test_not_mastered_below_the_accuracy():
    """Under 80 % right is not mastered even with the last two right."""
    assert mastery(4, 3, [False, True, True, True]) == "learning"     # 75 %


def test_not_mastered_when_last_answer_wrong():
    """A wrong newest answer blocks mastered despite high accuracy."""
    assert mastery(10, 9, [True, True, False]) == "learning"


def test_not_mastered_without_recent_outcomes():
    """Without two recent outcomes the last-two rule cannot be met."""
    assert mastery(5, 5, [True]) == "learning"
    assert mastery(5, 5, []) == "learning"


def test_weak_by_low_accuracy():
    """Two or more answers under 60 % right is weak."""
    assert mastery(2, 1, [False, True]) == "weak"                     # 50 %
    assert mastery(5, 2, [False, True, False, False, True]) == "weak"  # 40 %


def test_weak_accuracy_boundary():
    """Exactly 60 % right is not weak by accuracy."""
    assert mastery(5, 3, [False, False, True, True, True]) == "learning"


def test_single_wrong_answer_is_learning():
    """One wrong answer alone is learning, not weak (too few answers, no two recent wrongs)."""
    assert mastery(1, 0, [False]) == "learning"


def test_weak_when_last_two_wrong():
    """The two newest answers wrong is weak even with good overall accuracy."""
    assert mastery(10, 8, [True, False, False]) == "weak"


def test_learning_in_between():
    """Neither mastered nor weak is learning."""
    assert mastery(3, 2, [True, False, True]) == "learning"


def test_invalid_counts_rejected():
    """Negative counts or more right than answered raise ValueError."""
    for answered, correct in ((-1, 0), (2, 3), (2, -1)):
        with pytest.raises(ValueError):
            mastery(answered, correct, [])


# --------------------------------------------------------------------------- weakest

def test_weakest_lowest_accuracy_first():
    """Articles are ordered by accuracy, lowest first."""
    stats = [("a", 10, 9), ("b", 4, 1), ("c", 5, 3), ("d", 2, 0)]
    assert weakest(stats) == ["d", "b", "c", "a"]


def test_weakest_ties_more_answered_first():
    """Equal accuracy: the article with more answers comes first, then input order."""
    stats = [("few", 2, 1), ("many", 10, 5), ("mid", 4, 2), ("mid2", 4, 2)]
    assert weakest(stats) == ["many", "mid", "mid2", "few"]


def test_weakest_requires_min_answered():
    """Articles with fewer than min_answered answers are left out."""
    stats = [("one", 1, 0), ("two", 2, 0), ("none", 0, 0)]
    assert weakest(stats) == ["two"]
    assert weakest(stats, min_answered=1) == ["two", "one"]
    assert weakest(stats, min_answered=0) == ["two", "one"]


def test_weakest_limit():
    """At most limit keys are returned."""
    stats = [(i, 10, i) for i in range(10)]
    assert weakest(stats, limit=3) == [0, 1, 2]
    assert weakest(stats, limit=0) == []
    assert weakest([]) == []


# --------------------------------------------------------------------------- streak

def days_back(*offsets):
    return {TODAY - timedelta(days=o) for o in offsets}


def test_streak_ending_today():
    """Consecutive days up to and including today count."""
    assert streak(days_back(0, 1, 2), TODAY) == 3


def test_streak_today_not_yet_done():
    """If today is not done yet the streak ending yesterday still counts."""
    assert streak(days_back(1, 2, 3, 4), TODAY) == 4


def test_streak_broken_by_gap():
    """A missed day ends the streak."""
    assert streak(days_back(0, 1, 3, 4, 5), TODAY) == 2
    assert streak(days_back(1, 3, 4), TODAY) == 1


def test_streak_zero_when_neither_today_nor_yesterday():
    """Last practice two days ago or never: no streak."""
    assert streak(days_back(2, 3, 4), TODAY) == 0
    assert streak(set(), TODAY) == 0


def test_streak_ignores_future_days():
    """Days after today do not extend the streak."""
    assert streak(days_back(-1, 0), TODAY) == 1


def test_streak_across_month_boundary():
    """The count runs across month ends."""
    days = {date(2024, 3, 2), date(2024, 3, 1), date(2024, 2, 29), date(2024, 2, 28)}
    assert streak(days, date(2024, 3, 2)) == 4
