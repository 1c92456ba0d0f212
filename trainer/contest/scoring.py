"""The drive score (练兵分) and the leaderboards, pure.

A person's drive score (0–100) = exam part × exam weight + study part × study weight + practice part × practice
weight (weights in percent). Exam part: the mean of the counted exam scores over the drive's exams (an exam not
sat counts 0). Study part: modules studied of the drive's courses. Practice part: right answers per day, each day
capped, over the days of the drive so far, so steady daily study scores full marks and grinding does not.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Weights:
    exam: float = 60.0
    study: float = 20.0
    practice: float = 20.0
    daily_cap: int = 20


@dataclass(frozen=True)
class PersonInput:
    user_id: int
    unit_id: int | None
    exam_scores: tuple[float | None, ...]     # per drive exam, on 100, None = not sat
    modules_studied: int
    modules_total: int
    right_per_day: tuple[tuple[date, int], ...]
    time_used_seconds: int = 0                # exam time used (tie-breaker)


@dataclass(frozen=True)
class PersonScore:
    user_id: int
    unit_id: int | None
    total: float
    exam: float
    study: float
    practice: float
    time_used_seconds: int
    participated: bool


def exam_part(scores: tuple[float | None, ...]) -> float:
    return sum(s or 0.0 for s in scores) / len(scores) if scores else 0.0


def study_part(studied: int, total: int) -> float:
    return 100.0 * min(studied, total) / total if total else 0.0


def practice_part(right_per_day, cap: int, days: int) -> float:
    if days <= 0 or cap <= 0:
        return 0.0
    return 100.0 * sum(min(n, cap) for _, n in right_per_day) / (cap * days)


def score(p: PersonInput, w: Weights, days: int) -> PersonScore:
    e, s = exam_part(p.exam_scores), study_part(p.modules_studied, p.modules_total)
    pr = min(100.0, practice_part(p.right_per_day, w.daily_cap, days))
    total = (w.exam * e + w.study * s + w.practice * pr) / ((w.exam + w.study + w.practice) or 1.0)
    participated = p.modules_studied > 0 or any(x is not None for x in p.exam_scores) or bool(p.right_per_day)
    return PersonScore(p.user_id, p.unit_id, round(total, 2), round(e, 2), round(s, 2), round(pr, 2),
                       p.time_used_seconds, participated)


def rank(people: list[PersonScore]) -> list[tuple[int, PersonScore]]:
    """Individual leaderboard: drive score, then exam score, then less time used; ties share a rank."""
    ordered = sorted(people, key=lambda p: (-p.total, -p.exam, p.time_used_seconds, p.user_id))
    out, last, last_rank = [], None, 0
    for i, p in enumerate(ordered, 1):
        key = (p.total, p.exam, p.time_used_seconds)
        last_rank = last_rank if key == last else i
        last = key
        out.append((last_rank, p))
    return out


@dataclass(frozen=True)
class UnitScore:
    unit_id: int
    members: int
    average: float          # over ALL members, non-participants counting as zero
    study_rate: float | None
    sit_rate: float | None
    pass_rate: float | None
    mean_score: float | None  # of those who sat


def unit_score(unit_id: int, members: list[PersonScore], studied: int, sat: int, passed: int,
               exam_sum: float) -> UnitScore:
    n = len(members)
    return UnitScore(unit_id, n, round(sum(p.total for p in members) / n, 2) if n else 0.0,
                     studied / n if n else None, sat / n if n else None, passed / sat if sat else None,
                     round(exam_sum / sat, 2) if sat else None)


def rank_units(units: list[UnitScore], key: str = "average") -> list[tuple[int, UnitScore]]:
    if key not in ("average", "study_rate", "sit_rate", "pass_rate", "mean_score"):
        raise ValueError(f"unknown sort key {key!r}")
    ordered = sorted(units, key=lambda u: (-(getattr(u, key) or 0.0), -u.average, u.unit_id))
    out, last, last_rank = [], None, 0
    for i, u in enumerate(ordered, 1):  # ties share a rank, as on the individual board
        tie = (getattr(u, key) or 0.0, u.average)
        last_rank = last_rank if tie == last else i
        last = tie
        out.append((last_rank, u))
    return out
