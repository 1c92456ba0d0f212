"""Unit tests for trainer.exams.scoring (item scores, totals, section totals, pass/fail, counting attempt)."""
from __future__ import annotations

import pytest

from trainer.banks.types import PARTIAL_FRACTION
from trainer.exams.scoring import ItemResult, best_or_last, passed, score_item, section_totals, total

# --------------------------------------------------------------------------- score_item


def test_single_and_judge_are_right_or_wrong():
    """Single and judge items earn full points when right, 0 otherwise."""
    assert score_item("single", "B", "B", 2, "all_or_nothing") == 2.0
    assert score_item("single", "B", "C", 2, "all_or_nothing") == 0.0
    assert score_item("judge", False, False, 1.5, "partial") == 1.5
    assert score_item("judge", False, True, 1.5, "partial") == 0.0


def test_multiple_all_or_nothing():
    """Under all_or_nothing a multiple item needs exactly the correct letters."""
    assert score_item("multiple", "ABD", "ABD", 3, "all_or_nothing") == 3.0
    assert score_item("multiple", "ABD", "AB", 3, "all_or_nothing") == 0.0


def test_multiple_partial_credit():
    """Under partial, 少选得分 (a strict subset earns PARTIAL_FRACTION) and 错选不得分 (any wrong letter earns 0)."""
    assert score_item("multiple", "ABD", "AB", 4, "partial") == 4 * PARTIAL_FRACTION == 2.0
    assert score_item("multiple", "ABD", "ABD", 4, "partial") == 4.0
    assert score_item("multiple", "ABD", "ABC", 4, "partial") == 0.0
    assert score_item("multiple", "ABD", "ABCD", 4, "partial") == 0.0


def test_blank_accepts_variants_and_splits_points():
    """A blank matches any accepted variant (width/space folded); points are split over the blanks."""
    answer = (("二百元", "200元"), ("十五日", "15日"))
    assert score_item("blank", answer, ("２００元", "十五日"), 4, "all_or_nothing") == 4.0
    assert score_item("blank", answer, ("200 元", "三十日"), 4, "all_or_nothing") == 2.0
    assert score_item("blank", answer, ("", ""), 4, "all_or_nothing") == 0.0


def test_case_is_pending_unless_blank():
    """A case answer waits for a person (None); an empty or missing one earns 0 at once."""
    assert score_item("case", "参考答案", "当事人违反了……", 20, "all_or_nothing") is None
    assert score_item("case", "参考答案", "", 20, "all_or_nothing") == 0.0
    assert score_item("case", "参考答案", "   \n", 20, "all_or_nothing") == 0.0
    assert score_item("case", "参考答案", None, 20, "all_or_nothing") == 0.0


def test_no_response_earns_zero_for_every_type():
    """An unanswered item earns 0, whatever its type."""
    for qtype, answer in (("single", "A"), ("multiple", "AB"), ("judge", True), ("blank", (("x",),))):
        assert score_item(qtype, answer, None, 2, "partial") == 0.0


def test_score_item_rejects_unknown_type_and_policy():
    """An unknown type raises KeyError and an unknown policy ValueError, even for a blank response."""
    with pytest.raises(KeyError):
        score_item("essay", "x", "x", 1, "all_or_nothing")
    with pytest.raises(ValueError):
        score_item("single", "A", None, 1, "generous")


# --------------------------------------------------------------------------- totals

ITEMS = [
    ItemResult(position=1, section=0, points=2.0, earned=2.0),
    ItemResult(position=2, section=0, points=2.0, earned=0.0),
    ItemResult(position=3, section=1, points=3.0, earned=1.5),
    ItemResult(position=4, section=2, points=20.0, earned=None),
    ItemResult(position=5, section=2, points=20.0, earned=12.5),
]


def test_total_sums_earned_max_and_pending():
    """Earned counts graded items only, max counts every item, pending counts items awaiting a person."""
    assert total(ITEMS) == (16.0, 47.0, 1)
    assert total([]) == (0.0, 0.0, 0)


def test_total_is_free_of_float_noise():
    """Sums like 0.1 + 0.2 come out clean."""
    items = [ItemResult(i, 0, 0.1, 0.1) for i in range(1, 4)]
    assert total(items) == (0.3, 0.3, 0)


def test_section_totals_follow_the_titles():
    """One (title, earned, max) per section in order; an empty section gives zeros; pending earns nothing yet."""
    titles = ["单选题", "多选题", "案例分析题", "判断题"]
    assert section_totals(ITEMS, titles) == [
        ("单选题", 2.0, 4.0), ("多选题", 1.5, 3.0), ("案例分析题", 12.5, 40.0), ("判断题", 0.0, 0.0)]


def test_section_totals_reject_unknown_sections():
    """An item of a section without a title means paper and template disagree: IndexError."""
    with pytest.raises(IndexError):
        section_totals(ITEMS, ["单选题", "多选题"])


# --------------------------------------------------------------------------- passed

def test_pass_mark_boundary_out_of_100():
    """60 of 100 passes with pass mark 60; 59.5 does not."""
    assert passed(60, 100, 60)
    assert not passed(59.5, 100, 60)


def test_pass_mark_is_scaled_when_max_is_not_100():
    """With max ≠ 100 the score is scaled to 100 first: 36/60 and 72/120 pass exactly, 35.9/60 fails."""
    assert passed(36, 60, 60)
    assert passed(72, 120, 60)
    assert passed(0.6 * 3, 3, 60)
    assert not passed(35.9, 60, 60)
    assert passed(150, 150, 100)
    assert passed(0, 80, 0)


def test_passed_validates_inputs():
    """A paper worth nothing or a pass mark outside 0..100 is refused."""
    with pytest.raises(ValueError):
        passed(0, 0, 60)
    with pytest.raises(ValueError):
        passed(50, 100, 101)
    with pytest.raises(ValueError):
        passed(50, 100, float("nan"))


# --------------------------------------------------------------------------- best_or_last

def test_best_takes_the_highest_score_earliest_on_ties():
    """"best" counts the highest score; among equal scores the earlier attempt."""
    scores = [(1, 72.0), (2, 88.0), (3, 88.0), (4, 65.0)]
    assert best_or_last(scores, "best") == (2, 88.0)


def test_last_takes_the_highest_attempt_number():
    """"last" counts the latest attempt even if it is worse, regardless of list order."""
    assert best_or_last([(2, 88.0), (3, 40.0), (1, 95.0)], "last") == (3, 40.0)


def test_best_or_last_edge_cases():
    """No attempts gives None; an unknown policy raises ValueError."""
    assert best_or_last([], "best") is None
    assert best_or_last([], "last") is None
    with pytest.raises(ValueError):
        best_or_last([(1, 50.0)], "average")
