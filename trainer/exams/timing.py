"""Exam time limits: deadlines, the grace period for late saves, exam windows and save ordering.

Pure: no Flask, no database. All datetimes must be timezone-aware (the database keeps UTC; a naive
value is a bug in the caller, so it raises ValueError instead of being guessed). Results are UTC.

The server is the clock: `deadline` is computed once when an attempt starts and stored; a save that
arrives up to GRACE_SECONDS after it (network latency, the browser's last autosave) is still
accepted, and after that the attempt is finalised.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

__all__ = [
    "GRACE_SECONDS", "WINDOW_STATES", "accept_save", "deadline", "is_expired", "save_allowed",
    "seconds_left", "window_state",
]

GRACE_SECONDS = 30
WINDOW_STATES = ("upcoming", "open", "closed")


def _aware(value: datetime, name: str) -> datetime:
    """The value in UTC; ValueError for a naive datetime."""
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got a naive datetime")
    return value.astimezone(timezone.utc)


def deadline(started_at: datetime, time_limit_minutes: int | None, close_at: datetime,
             extra_minutes: int = 0) -> datetime:
    """When the attempt ends: start + limit + extra minutes, but never after the exam closes.

    Without a time limit the attempt runs until close_at (extra minutes then change nothing:
    extra time lengthens the limit, it does not keep the exam open).
    """
    start = _aware(started_at, "started_at")
    close = _aware(close_at, "close_at")
    if extra_minutes < 0:
        raise ValueError("extra_minutes must be >= 0")
    if time_limit_minutes is None:
        return close
    if time_limit_minutes <= 0:
        raise ValueError("time_limit_minutes must be > 0 (None for no limit)")
    return min(start + timedelta(minutes=time_limit_minutes + extra_minutes), close)


def _grace(grace: float) -> timedelta:
    if grace < 0:
        raise ValueError("grace must be >= 0")
    return timedelta(seconds=grace)


def save_allowed(now: datetime, deadline: datetime, grace: float = GRACE_SECONDS) -> bool:
    """Whether an answer save arriving at `now` is still accepted (up to `grace` seconds late, inclusive)."""
    return _aware(now, "now") <= _aware(deadline, "deadline") + _grace(grace)


def is_expired(now: datetime, deadline: datetime, grace: float = GRACE_SECONDS) -> bool:
    """Whether the attempt is past its deadline and grace, so the server finalises it."""
    return not save_allowed(now, deadline, grace)


def seconds_left(now: datetime, deadline: datetime) -> int:
    """Whole seconds until the deadline (rounded down, never negative); for the on-screen countdown."""
    remaining = (_aware(deadline, "deadline") - _aware(now, "now")).total_seconds()
    return max(0, int(remaining))


def window_state(now: datetime, open_at: datetime, close_at: datetime) -> str:
    """"upcoming" before open_at, "open" from open_at (inclusive) to close_at (exclusive), then "closed"."""
    current = _aware(now, "now")
    opens = _aware(open_at, "open_at")
    closes = _aware(close_at, "close_at")
    if closes <= opens:
        raise ValueError("close_at must be after open_at")
    if current < opens:
        return "upcoming"
    if current < closes:
        return "open"
    return "closed"


def accept_save(stored_seq: int | None, incoming_seq: int) -> bool:
    """Whether a save with incoming_seq may overwrite the stored one: only a strictly newer sequence wins.

    The browser numbers its saves; a replayed request (same number) or a stale one that arrives late
    (lower number) must not overwrite a newer answer. None means nothing has been stored yet.
    """
    if isinstance(incoming_seq, bool) or not isinstance(incoming_seq, int):
        return False
    if stored_seq is None:
        return True
    return incoming_seq > stored_seq
