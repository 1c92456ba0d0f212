"""Unit tests for trainer.contest.scoring (pure): the drive score (练兵分) and its parts and weights, the daily cap on
practice, who counts as a participant, the individual leaderboard (shared ranks, tie-breakers) and the unit
leaderboard (average over all members, sort keys)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from trainer.contest.scoring import (
    PersonInput,
    PersonScore,
    UnitScore,
    Weights,
    exam_part,
    practice_part,
    rank,
    rank_units,
    score,
    study_part,
    unit_score,
)

D0 = date(2026, 3, 2)
W = Weights()  # 60 / 20 / 20, 20 right answers a day at most


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def person(uid: int = 1, unit: int | None = 10, exams=(), studied: int = 0, total: int = 10, per_day=(),
           time_used: int = 0) -> PersonInput:
    return PersonInput(uid, unit, tuple(exams), studied, total, tuple(per_day), time_used)


def ps(uid: int, total: float, exam: float = 0.0, time_used: int = 0, unit: int | None = 10,
       participated: bool = True) -> PersonScore:
    return PersonScore(uid, unit, total, exam, 0.0, 0.0, time_used, participated)


# ---- the parts -------------------------------------------------------------------------------------

def test_exam_part_is_the_mean_over_the_drive_exams_with_an_exam_not_sat_counting_zero():
    """Exam part: mean of the exam scores over all the drive's exams; an exam not sat (None) counts 0."""
    assert exam_part((80.0, None)) == 40.0
    assert exam_part((80.0, 60.0, 100.0)) == 80.0
    assert exam_part((None, None)) == 0.0
    assert exam_part(()) == 0.0


def test_study_part_is_the_share_of_modules_studied_and_never_passes_100():
    """Study part: 100 × modules studied / modules of the drive's courses, capped at 100; 0 without modules."""
    assert study_part(3, 12) == 25.0
    assert study_part(12, 12) == 100.0
    assert study_part(15, 12) == 100.0
    assert study_part(3, 0) == 0.0


def test_practice_part_counts_right_answers_per_day_over_the_days_so_far():
    """Practice part: Σ min(right that day, cap) / (cap × days of the drive so far)."""
    assert practice_part([(day(0), 10), (day(1), 20)], 20, 4) == pytest.approx(100 * 30 / 80)
    assert practice_part([], 20, 4) == 0.0
    assert practice_part([(day(0), 5)], 20, 0) == 0.0      # no days yet
    assert practice_part([(day(0), 5)], 0, 3) == 0.0       # no cap configured


def test_grinding_200_answers_in_one_day_counts_only_the_daily_cap():
    """200 right answers on one day count as the cap (20): 20 / (20 × 10 days) = 10, not 100."""
    grind = person(per_day=[(day(0), 200)])
    s = score(grind, W, days=10)
    assert s.practice == 10.0
    assert practice_part([(day(0), 200)], 20, 10) == practice_part([(day(0), 20)], 20, 10)


def test_steady_daily_practice_reaches_full_marks():
    """The cap's worth of right answers every day of the drive so far gives the full 100 practice points."""
    steady = person(per_day=[(day(i), 20) for i in range(10)])
    assert score(steady, W, days=10).practice == 100.0
    more = person(per_day=[(day(i), 35) for i in range(10)])          # more than the cap every day: still 100
    assert score(more, W, days=10).practice == 100.0
    gap = person(per_day=[(day(i), 20) for i in range(10) if i != 4])  # one day missed
    assert score(gap, W, days=10).practice == 90.0


def test_practice_part_never_exceeds_100_in_the_score():
    """The score clamps the practice part at 100 even if more days were practised than the drive has had."""
    s = score(person(per_day=[(day(i), 20) for i in range(3)]), W, days=2)
    assert s.practice == 100.0


def test_total_is_the_weighted_sum_of_the_three_parts():
    """Total = (exam × w_exam + study × w_study + practice × w_practice) / Σw, parts and total rounded to 2."""
    p = person(exams=(80.0, None), studied=3, total=12, per_day=[(day(0), 10), (day(1), 20)])
    s = score(p, W, days=4)
    assert (s.exam, s.study, s.practice) == (40.0, 25.0, 37.5)
    assert s.total == pytest.approx((60 * 40 + 20 * 25 + 20 * 37.5) / 100) == 36.5
    other = score(p, Weights(exam=20, study=50, practice=30, daily_cap=20), days=4)
    assert other.total == pytest.approx((20 * 40 + 50 * 25 + 30 * 37.5) / 100)


def test_weights_are_relative_to_their_sum():
    """Weights not adding to 100 are normalised by their sum (30/10/10 scores like 60/20/20)."""
    p = person(exams=(70.0,), studied=5, total=10, per_day=[(day(0), 20)])
    assert score(p, Weights(30, 10, 10, 20), days=2).total == score(p, W, days=2).total
    assert score(p, Weights(0, 0, 0, 20), days=2).total == 0.0   # no weight at all: 0, not a division error


def test_only_exam_weight_makes_the_total_the_exam_part():
    """With all the weight on exams the drive score is the exam part."""
    p = person(exams=(90.0, 70.0), studied=10, total=10, per_day=[(day(0), 20)])
    assert score(p, Weights(100, 0, 0, 20), days=1).total == 80.0


def test_full_marks_everywhere_is_100():
    """Every part at 100 gives 100."""
    p = person(exams=(100.0, 100.0), studied=8, total=8, per_day=[(day(i), 20) for i in range(5)])
    assert score(p, W, days=5).total == 100.0


def test_score_carries_identity_and_time_used():
    """The score keeps the person's id, unit and exam time used (for the tie-breaker)."""
    s = score(person(uid=7, unit=3, exams=(50.0,), time_used=1234), W, days=1)
    assert (s.user_id, s.unit_id, s.time_used_seconds) == (7, 3, 1234)


# ---- participation -----------------------------------------------------------------------------------

def test_someone_with_no_activity_is_not_a_participant():
    """No module studied, no exam sat, no right answer: not a participant, and scores 0."""
    s = score(person(exams=(None, None)), W, days=5)
    assert s.participated is False
    assert s.total == 0.0


@pytest.mark.parametrize("p", [
    person(studied=1),
    person(exams=(None, 0.0)),                   # sat and scored 0: participated
    person(per_day=[(day(0), 1)]),
], ids=["studied", "sat-with-zero", "practised"])
def test_any_activity_makes_a_participant(p):
    """Studying a module, sitting an exam (even scoring 0) or practising makes a participant."""
    assert score(p, W, days=5).participated is True


# ---- individual leaderboard ----------------------------------------------------------------------------

def test_rank_orders_by_drive_score():
    """Higher drive score first; ranks 1, 2, 3."""
    ranked = rank([ps(1, 50.0), ps(2, 90.0), ps(3, 70.0)])
    assert [(r, p.user_id) for r, p in ranked] == [(1, 2), (2, 3), (3, 1)]


def test_full_ties_share_a_rank_and_the_next_rank_skips():
    """Same score, exam score and time used: the same rank; the next person's rank counts everyone above."""
    ranked = rank([ps(1, 80.0, 70.0, 600), ps(2, 80.0, 70.0, 600), ps(3, 90.0), ps(4, 10.0)])
    assert [(r, p.user_id) for r, p in ranked] == [(1, 3), (2, 1), (2, 2), (4, 4)]


def test_equal_drive_score_is_broken_by_exam_score():
    """Same drive score: the higher exam score ranks first."""
    ranked = rank([ps(1, 80.0, exam=60.0), ps(2, 80.0, exam=90.0)])
    assert [(r, p.user_id) for r, p in ranked] == [(1, 2), (2, 1)]


def test_equal_drive_and_exam_score_is_broken_by_less_time_used():
    """Same drive and exam score: less exam time used ranks first."""
    ranked = rank([ps(1, 80.0, 70.0, 1800), ps(2, 80.0, 70.0, 900), ps(3, 80.0, 70.0, 1200)])
    assert [(r, p.user_id) for r, p in ranked] == [(1, 2), (2, 3), (3, 1)]


def test_exam_score_outranks_time_used():
    """The exam score decides before the time: a slower candidate with a better exam ranks first."""
    ranked = rank([ps(1, 80.0, 70.0, 100), ps(2, 80.0, 75.0, 3000)])
    assert [p.user_id for _, p in ranked] == [2, 1]


def test_rank_of_nobody_is_empty():
    """No people, no leaderboard."""
    assert rank([]) == []


def test_rank_uses_the_rounded_totals():
    """Totals are rounded to 2 decimals by score(), so people differing below that tie."""
    a = score(person(uid=1, exams=(100 / 3,)), Weights(100, 0, 0, 20), days=1)
    b = score(person(uid=2, exams=(33.333,)), Weights(100, 0, 0, 20), days=1)
    assert a.total == b.total == 33.33
    assert a.exam == b.exam
    assert [r for r, _ in rank([a, b])] == [1, 1]


# ---- units ----------------------------------------------------------------------------------------

def test_unit_average_is_over_all_members_with_non_participants_at_zero():
    """全员平均练兵分: the mean over ALL members; a non-participant counts as 0 (not left out)."""
    members = [ps(1, 90.0), ps(2, 0.0, participated=False), ps(3, 60.0)]
    u = unit_score(10, members, studied=2, sat=2, passed=1, exam_sum=150.0)
    assert u.average == 50.0
    assert u.members == 3


def test_unit_rates():
    """参学率 studied/members, 参考率 sat/members, 合格率 passed/sat, 平均分 exam sum/sat."""
    members = [ps(i, 10.0) for i in range(1, 5)]
    u = unit_score(10, members, studied=3, sat=2, passed=1, exam_sum=150.0)
    assert (u.study_rate, u.sit_rate, u.pass_rate, u.mean_score) == (0.75, 0.5, 0.5, 75.0)


def test_unit_where_nobody_sat_has_no_pass_rate_or_mean_score():
    """Nobody sat: 合格率 and 平均分 are undefined (None), not 0."""
    u = unit_score(10, [ps(1, 0.0, participated=False)], studied=0, sat=0, passed=0, exam_sum=0.0)
    assert (u.study_rate, u.sit_rate, u.pass_rate, u.mean_score) == (0.0, 0.0, None, None)
    assert u.average == 0.0


def test_unit_without_members():
    """An empty unit: average 0 and every rate None (no division by zero)."""
    u = unit_score(10, [], 0, 0, 0, 0.0)
    assert (u.members, u.average, u.study_rate, u.sit_rate, u.pass_rate, u.mean_score) == (0, 0.0, None, None,
                                                                                         None, None)


def _units() -> list[UnitScore]:
    #            id  n  average study sit   pass  mean
    return [UnitScore(1, 5, 40.0, 0.9, 0.5, 0.6, 70.0),
            UnitScore(2, 5, 60.0, 0.5, 0.9, 0.4, 80.0),
            UnitScore(3, 5, 50.0, 0.7, 0.7, 0.9, 60.0),
            UnitScore(4, 5, 30.0, 0.3, 0.0, None, None)]


@pytest.mark.parametrize("key, order", [
    ("average", [2, 3, 1, 4]),
    ("study_rate", [1, 3, 2, 4]),
    ("sit_rate", [2, 3, 1, 4]),
    ("pass_rate", [3, 1, 2, 4]),
    ("mean_score", [2, 1, 3, 4]),
])
def test_rank_units_by_each_key(key, order):
    """The unit leaderboard sorts by the drive's chosen key, highest first; an undefined rate sorts last."""
    ranked = rank_units(_units(), key)
    assert [u.unit_id for _, u in ranked] == order
    assert [r for r, _ in ranked] == [1, 2, 3, 4]


def test_rank_units_default_key_is_the_average():
    """Without a key the units are ranked by 全员平均练兵分."""
    assert [u.unit_id for _, u in rank_units(_units())] == [2, 3, 1, 4]


def test_rank_units_breaks_a_tie_on_the_key_by_the_average():
    """Two units with the same 合格率: the higher 全员平均练兵分 ranks first."""
    units = [UnitScore(1, 5, 40.0, 0.5, 0.5, 0.8, 70.0), UnitScore(2, 5, 60.0, 0.5, 0.5, 0.8, 70.0)]
    assert [u.unit_id for _, u in rank_units(units, "pass_rate")] == [2, 1]


def test_rank_units_refuses_an_unknown_key():
    """An unknown sort key is a ValueError, not a silent default."""
    with pytest.raises(ValueError):
        rank_units(_units(), "members")
    with pytest.raises(ValueError):
        rank_units([], "")
