"""Unit tests for trainer.practice.scheduling (FSRS mistake book) with a fixed clock."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fsrs import Card, Scheduler, State

from trainer.practice.scheduling import (
    DEFAULT_SCHEDULER,
    card_from_json,
    card_to_json,
    due_today,
    end_of_local_day,
    is_due,
    new_card,
    review,
)

NOW = datetime(2024, 3, 1, 2, 0, tzinfo=timezone.utc)    # 10:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")


def graduate(now=NOW):
    """A card entered by a wrong answer, then answered right until it is in the Review state."""
    card_json, due = review(None, False, now)
    while card_from_json(card_json).state != State.Review:
        card_json, due = review(card_json, True, due)
    return card_json, due


def test_default_scheduler_is_fixed_and_unfuzzed():
    """The module scheduler uses fsrs defaults, 90 % retention and no fuzzing."""
    assert DEFAULT_SCHEDULER.desired_retention == 0.9
    assert DEFAULT_SCHEDULER.enable_fuzzing is False
    assert DEFAULT_SCHEDULER.parameters == Scheduler().parameters


def test_wrong_answer_creates_card_due_within_a_day():
    """A first wrong answer creates a learning card due after the first learning step (minutes)."""
    card_json, due = review(None, False, NOW)
    card = card_from_json(card_json)
    assert card.state == State.Learning and card.step == 0
    assert due == NOW + DEFAULT_SCHEDULER.learning_steps[0]
    assert NOW < due < NOW + timedelta(days=1)
    assert card.last_review == NOW and card.due == due


def test_new_card_is_due_now():
    """new_card gives a Learning card due at the given instant, id derived from it."""
    card = new_card(NOW)
    assert card.state == State.Learning and card.due == NOW and card.last_review is None
    assert card.card_id == int(NOW.timestamp() * 1000)
    assert is_due(card.due, NOW)


def test_correct_reviews_push_due_later_each_time():
    """Each right answer on time moves the due date later, and the intervals grow."""
    card_json, due = review(None, False, NOW)
    intervals = []
    at = due
    for _ in range(7):
        card_json, next_due = review(card_json, True, at)
        intervals.append(next_due - at)
        assert next_due > at
        at = next_due
    assert intervals == sorted(intervals) and intervals[-1] > intervals[0]
    assert intervals[-1] > timedelta(days=7)
    assert card_from_json(card_json).state == State.Review


def test_wrong_review_sends_card_back():
    """A wrong answer on a Review card puts it into relearning, due minutes later."""
    card_json, due = graduate()
    for _ in range(3):
        card_json, due = review(card_json, True, due)
    long_interval = due - card_from_json(card_json).last_review
    again_json, again_due = review(card_json, False, due)
    card = card_from_json(again_json)
    assert card.state == State.Relearning
    assert again_due - due == DEFAULT_SCHEDULER.relearning_steps[0]
    assert again_due - due < long_interval
    # the lapse lowers stability, so the next right answer gives a shorter interval than before
    _recovered_json, recovered_due = review(again_json, True, again_due)
    assert recovered_due - again_due < long_interval


def test_results_are_deterministic():
    """The same history at the same times gives the same card and due date."""
    assert graduate() == graduate()


def test_json_round_trip():
    """card_to_json / card_from_json keep every field, with UTC datetimes."""
    card_json, _due = review(None, False, NOW)
    card_json, _due = review(card_json, True, NOW + timedelta(minutes=1))
    card = card_from_json(card_json)
    assert card_to_json(card) == card_json
    assert card.to_dict() == json.loads(card_json)
    assert card.due.tzinfo is timezone.utc and card.last_review.tzinfo is timezone.utc
    assert isinstance(card, Card)


def test_naive_datetimes_rejected():
    """Naive datetimes raise ValueError everywhere."""
    naive = datetime(2024, 3, 1, 2, 0)
    with pytest.raises(ValueError):
        review(None, False, naive)
    with pytest.raises(ValueError):
        new_card(naive)
    with pytest.raises(ValueError):
        is_due(naive, NOW)
    with pytest.raises(ValueError):
        due_today(NOW, naive)


def test_other_timezones_converted_to_utc():
    """An aware non-UTC time is the same instant: due dates come back in UTC."""
    local_now = NOW.astimezone(SHANGHAI)
    assert review(None, False, local_now) == review(None, False, NOW)
    assert review(None, False, local_now)[1].tzinfo is timezone.utc


def test_custom_scheduler_is_used():
    """A scheduler passed in replaces the default (here: a 5-minute first step)."""
    custom = Scheduler(learning_steps=(timedelta(minutes=5),), enable_fuzzing=False)
    _json, due = review(None, False, NOW, scheduler=custom)
    assert due == NOW + timedelta(minutes=5)


def test_correct_answer_without_card_still_schedules():
    """A right answer with no card yet creates one and rates it Good (next learning step)."""
    card_json, due = review(None, True, NOW)
    assert card_from_json(card_json).step == 1
    assert due == NOW + DEFAULT_SCHEDULER.learning_steps[1]


def test_is_due():
    """A card is due at and after its due time, not before."""
    assert is_due(NOW, NOW)
    assert is_due(NOW - timedelta(seconds=1), NOW)
    assert not is_due(NOW + timedelta(seconds=1), NOW)


def test_due_today_around_local_midnight():
    """Due today means before the next Shanghai midnight (16:00 UTC)."""
    now = datetime(2024, 3, 1, 15, 0, tzinfo=timezone.utc)           # 23:00 on 1 March in Shanghai
    midnight = datetime(2024, 3, 1, 16, 0, tzinfo=timezone.utc)      # 00:00 on 2 March in Shanghai
    assert end_of_local_day(now) == midnight
    assert due_today(midnight - timedelta(seconds=1), now)
    assert not due_today(midnight, now)
    assert due_today(now - timedelta(days=3), now)                   # overdue counts
    after = datetime(2024, 3, 1, 16, 30, tzinfo=timezone.utc)        # 00:30 on 2 March in Shanghai
    assert due_today(midnight, after)
    assert due_today(datetime(2024, 3, 2, 15, 59, tzinfo=timezone.utc), after)
    assert not due_today(datetime(2024, 3, 2, 16, 0, tzinfo=timezone.utc), after)


def test_due_today_in_utc_differs():
    """The local day decides: at 23:00 Shanghai a card due 01:00 Shanghai tomorrow is not due today, though UTC says so."""
    now = datetime(2024, 3, 1, 15, 0, tzinfo=timezone.utc)
    due = datetime(2024, 3, 1, 17, 0, tzinfo=timezone.utc)
    assert not due_today(due, now)
    assert due_today(due, now, tz=ZoneInfo("UTC"))
