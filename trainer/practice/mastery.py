"""Article mastery (条文掌握度), weakest articles and daily-practice streaks.

Pure: no Flask, no database. The caller counts a user's answers to the questions citing an article
and passes the counts plus the most recent outcomes (oldest first, newest last).
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import date, timedelta
from typing import TypeVar

__all__ = [
    "MASTERED_MIN_ACCURACY", "MASTERED_MIN_ANSWERED", "MASTERED_RECENT_RIGHT", "MASTERY_LABELS",
    "WEAK_MAX_ACCURACY", "WEAK_MIN_ANSWERED", "WEAK_RECENT_WRONG", "mastery", "streak", "weakest",
]

MASTERY_LABELS = {"none": "未练习", "weak": "薄弱", "learning": "学习中", "mastered": "已掌握"}

# "mastered": at least 3 answers, at least 80 % right, and the 2 newest answers right.
MASTERED_MIN_ANSWERED = 3
MASTERED_MIN_ACCURACY = 0.8
MASTERED_RECENT_RIGHT = 2
# "weak": at least 2 answers with under 60 % right, or the 2 newest answers both wrong.
WEAK_MIN_ANSWERED = 2
WEAK_MAX_ACCURACY = 0.6        # strictly below this is weak
WEAK_RECENT_WRONG = 2

K = TypeVar("K", bound=Hashable)


def _check_counts(answered: int, correct: int) -> None:
    if answered < 0 or correct < 0 or correct > answered:
        raise ValueError(f"invalid counts: answered={answered}, correct={correct}")


def mastery(answered: int, correct: int, recent: list[bool]) -> str:
    """The mastery level ("none", "weak", "learning", "mastered") of one article for one user.

    `recent` holds the newest outcomes, oldest first. Fewer than two recent outcomes never satisfy
    the "last two right" rule of "mastered" nor the "last two wrong" rule of "weak".
    """
    _check_counts(answered, correct)
    if answered == 0:
        return "none"
    accuracy = correct / answered
    last_right = len(recent) >= MASTERED_RECENT_RIGHT and all(recent[-MASTERED_RECENT_RIGHT:])
    last_wrong = len(recent) >= WEAK_RECENT_WRONG and not any(recent[-WEAK_RECENT_WRONG:])
    if answered >= MASTERED_MIN_ANSWERED and accuracy >= MASTERED_MIN_ACCURACY and last_right:
        return "mastered"
    if (answered >= WEAK_MIN_ANSWERED and accuracy < WEAK_MAX_ACCURACY) or last_wrong:
        return "weak"
    return "learning"


def weakest(stats: Iterable[tuple[K, int, int]], limit: int = 10, min_answered: int = 2) -> list[K]:
    """Keys of the weakest articles: lowest accuracy first, ties more answers first, then input order.

    `stats` holds (key, answered, correct); keys with fewer than `min_answered` answers are left out.
    """
    if limit <= 0:
        return []
    rows = []
    for key, answered, correct in stats:
        _check_counts(answered, correct)
        if answered >= max(min_answered, 1):
            rows.append((correct / answered, -answered, key))
    rows.sort(key=lambda row: row[:2])   # stable: equal rows keep the input order
    return [key for _acc, _neg, key in rows[:limit]]


def streak(days: set[date], today: date) -> int:
    """Consecutive days with daily practice completed, ending today, or yesterday if today is not done yet."""
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count
