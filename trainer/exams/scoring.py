"""Exam scoring: items, totals, section totals, pass/fail and which attempt counts.

Pure: no Flask, no database. Grading itself belongs to the question type registry
(`trainer.banks.types`); this module only adds up. An item whose `earned` is None waits for a
person (案例分析) and is counted as pending, not as zero.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from trainer.banks.types import POLICIES, get_type

__all__ = ["COUNTING_POLICIES", "ItemResult", "best_or_last", "passed", "score_item", "section_totals", "total"]

COUNTING_POLICIES = ("best", "last")
_EPSILON = 1e-9


@dataclass(frozen=True)
class ItemResult:
    """One graded (or still ungraded) item of an attempt."""

    position: int
    section: int
    points: float
    earned: float | None   # None: needs a person


def _tidy(value: float) -> float:
    """Round away float noise (0.1 + 0.2) in sums of points."""
    return round(float(value), 6)


def score_item(qtype: str, answer: Any, response: Any, points: float,
               policy: str = "all_or_nothing") -> float | None:
    """Points earned for one item, or None when a person has to grade it.

    No response earns 0, whatever the type; so does an empty 案例分析 answer (nothing for a person
    to read). Everything else is graded by the type's own `grade`.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown grading policy: {policy!r}")
    kind = get_type(qtype)
    if response is None:
        return 0.0
    if not kind.auto_graded and isinstance(response, str) and not response.strip():
        return 0.0
    return kind.grade(answer, response, points, policy)


def total(results: Iterable[ItemResult]) -> tuple[float, float, int]:
    """(earned, max, pending): points earned on graded items, points of all items, items awaiting a person."""
    earned = maximum = 0.0
    pending = 0
    for item in results:
        maximum += item.points
        if item.earned is None:
            pending += 1
        else:
            earned += item.earned
    return _tidy(earned), _tidy(maximum), pending


def section_totals(results: Iterable[ItemResult], section_titles: Sequence[str]) -> list[tuple[str, float, float]]:
    """(title, earned, max) per section, in the order of section_titles; pending items count 0 earned.

    Items whose section index has no title raise IndexError (the paper and the template disagree).
    """
    earned = [0.0] * len(section_titles)
    maximum = [0.0] * len(section_titles)
    for item in results:
        if not 0 <= item.section < len(section_titles):
            raise IndexError(f"item {item.position} belongs to section {item.section}, "
                             f"but there are {len(section_titles)} sections")
        maximum[item.section] += item.points
        if item.earned is not None:
            earned[item.section] += item.earned
    return [(title, _tidy(e), _tidy(m)) for title, e, m in zip(section_titles, earned, maximum)]


def passed(earned: float, max_points: float, pass_mark: float) -> bool:
    """Whether earned reaches the pass mark, given in points of 100 (earned is scaled to 100 first).

    Reaching the mark exactly passes (60 of 100 with pass_mark 60; 36 of 60 as well).
    """
    if not max_points > 0:
        raise ValueError("max_points must be > 0")
    if not 0 <= pass_mark <= 100:
        raise ValueError("pass_mark must be between 0 and 100")
    # earned / max * 100 >= mark, without dividing (36 / 60 * 100 is not exactly 60 in floating point)
    return earned * 100.0 >= pass_mark * max_points - _EPSILON * max(1.0, max_points)


def best_or_last(attempt_scores: Sequence[tuple[int, float]], policy: str) -> tuple[int, float] | None:
    """The attempt that counts: the highest score ("best"; on a tie the earlier attempt) or the
    highest attempt number ("last"). None when there are no (finished) attempts."""
    if policy not in COUNTING_POLICIES:
        raise ValueError(f"unknown counting policy: {policy!r}")
    if not attempt_scores:
        return None
    if policy == "last":
        return max(attempt_scores, key=lambda a: a[0])
    return min(attempt_scores, key=lambda a: (-a[1], a[0]))
