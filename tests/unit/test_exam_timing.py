"""Unit tests for trainer.exams.timing (deadlines, grace period, exam windows, save ordering)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from trainer.exams.timing import (
    GRACE_SECONDS, accept_save, deadline, is_expired, save_allowed, seconds_left, window_state,
)

UTC = timezone.utc
SHANGHAI = timezone(timedelta(hours=8))
START = datetime(2024, 5, 10, 1, 0, tzinfo=UTC)
CLOSE = datetime(2024, 5, 10, 4, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- deadline

def test_deadline_is_start_plus_limit():
    """With a limit that ends before closing time, the deadline is start + limit."""
    assert deadline(START, 90, CLOSE) == START + timedelta(minutes=90)


def test_deadline_adds_extra_minutes():
    """Extra time (e.g. 延时 for one candidate) lengthens the limit."""
    assert deadline(START, 90, CLOSE, extra_minutes=15) == START + timedelta(minutes=105)


def test_deadline_is_capped_by_close():
    """A late start cannot run past close_at, extra time included."""
    late = CLOSE - timedelta(minutes=30)
    assert deadline(late, 90, CLOSE) == CLOSE
    assert deadline(START, 170, CLOSE, extra_minutes=20) == CLOSE


def test_deadline_without_limit_is_close():
    """No time limit: the attempt runs until the exam closes; extra minutes do not extend closing."""
    assert deadline(START, None, CLOSE) == CLOSE
    assert deadline(START, None, CLOSE, extra_minutes=30) == CLOSE


def test_deadline_is_returned_in_utc():
    """Aware datetimes in another zone are accepted; the result is UTC."""
    result = deadline(START.astimezone(SHANGHAI), 60, CLOSE.astimezone(SHANGHAI))
    assert result == START + timedelta(minutes=60)
    assert result.utcoffset() == timedelta(0)


def test_deadline_rejects_naive_and_nonsense_values():
    """Naive datetimes, non-positive limits and negative extra time raise ValueError."""
    with pytest.raises(ValueError):
        deadline(START.replace(tzinfo=None), 60, CLOSE)
    with pytest.raises(ValueError):
        deadline(START, 60, CLOSE.replace(tzinfo=None))
    with pytest.raises(ValueError):
        deadline(START, 0, CLOSE)
    with pytest.raises(ValueError):
        deadline(START, 60, CLOSE, extra_minutes=-5)


# --------------------------------------------------------------------------- grace

def test_grace_boundary_is_exactly_thirty_seconds():
    """A save exactly 30 s after the deadline is accepted; one microsecond later the attempt is expired."""
    end = START + timedelta(minutes=60)
    assert GRACE_SECONDS == 30
    at_limit = end + timedelta(seconds=30)
    assert save_allowed(at_limit, end) and not is_expired(at_limit, end)
    just_after = at_limit + timedelta(microseconds=1)
    assert not save_allowed(just_after, end) and is_expired(just_after, end)


def test_saves_before_the_deadline_are_allowed():
    """Before and at the deadline saving is allowed and nothing is expired."""
    end = START + timedelta(minutes=60)
    for now in (START, end - timedelta(seconds=1), end):
        assert save_allowed(now, end)
        assert not is_expired(now, end)


def test_custom_grace():
    """The grace period can be set per call (0 = none)."""
    end = START + timedelta(minutes=60)
    assert not save_allowed(end + timedelta(seconds=1), end, grace=0)
    assert save_allowed(end + timedelta(seconds=50), end, grace=60)
    with pytest.raises(ValueError):
        save_allowed(end, end, grace=-1)


def test_grace_functions_reject_naive_datetimes():
    """A naive now or deadline is a caller bug: ValueError."""
    end = START + timedelta(minutes=60)
    with pytest.raises(ValueError):
        save_allowed(end.replace(tzinfo=None), end)
    with pytest.raises(ValueError):
        is_expired(end, end.replace(tzinfo=None))


# --------------------------------------------------------------------------- seconds_left

def test_seconds_left_counts_down_and_never_goes_negative():
    """Whole seconds to the deadline, rounded down; 0 once it has passed."""
    end = START + timedelta(minutes=10)
    assert seconds_left(START, end) == 600
    assert seconds_left(end - timedelta(seconds=1, milliseconds=500), end) == 1
    assert seconds_left(end, end) == 0
    assert seconds_left(end + timedelta(seconds=20), end) == 0
    assert seconds_left(START.astimezone(SHANGHAI), end) == 600


# --------------------------------------------------------------------------- window_state

def test_window_states():
    """Before open_at upcoming; from open_at (inclusive) open; from close_at (inclusive) closed."""
    assert window_state(START - timedelta(seconds=1), START, CLOSE) == "upcoming"
    assert window_state(START, START, CLOSE) == "open"
    assert window_state(CLOSE - timedelta(microseconds=1), START, CLOSE) == "open"
    assert window_state(CLOSE, START, CLOSE) == "closed"
    assert window_state(CLOSE + timedelta(days=1), START, CLOSE) == "closed"


def test_window_state_validates_its_input():
    """A window that closes before it opens, or a naive datetime, raises ValueError."""
    with pytest.raises(ValueError):
        window_state(START, CLOSE, START)
    with pytest.raises(ValueError):
        window_state(START.replace(tzinfo=None), START, CLOSE)


# --------------------------------------------------------------------------- accept_save

def test_accept_save_only_takes_strictly_newer_sequence_numbers():
    """A newer save overwrites; a replayed (equal) or stale (lower) sequence number is rejected."""
    assert accept_save(0, 1)
    assert accept_save(5, 6)
    assert accept_save(5, 1_700_000_000_000)
    assert not accept_save(5, 5)
    assert not accept_save(5, 4)


def test_accept_save_first_save_and_garbage():
    """Nothing stored yet accepts any number; a non-integer sequence is rejected."""
    assert accept_save(None, 0)
    assert not accept_save(1, "2")
    assert not accept_save(1, True)
