"""FSRS scheduling for the mistake book (错题本).

Pure: no Flask, no database, no wall clock. A question enters the book when it is answered wrongly;
from then on each answer to it is a review rated Good (right) or Again (wrong) by the `fsrs`
package. The card is stored as JSON (the package's own `Card.to_dict` form) next to its due time.

All datetimes are timezone-aware; they are converted to UTC (fsrs insists on `timezone.utc`),
and naive ones are rejected with ValueError.
"""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS

__all__ = [
    "DEFAULT_SCHEDULER", "LOCAL_TZ", "card_from_json", "card_to_json", "due_today", "end_of_local_day", "is_due",
    "new_card", "review",
]

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

DESIRED_RETENTION = 0.9
LEARNING_STEPS = (timedelta(minutes=1), timedelta(minutes=10))
RELEARNING_STEPS = (timedelta(minutes=10),)
MAXIMUM_INTERVAL_DAYS = 36500

# Fixed parameters and no fuzzing: the same history always gives the same due date, in tests and
# across worker processes.
DEFAULT_SCHEDULER = Scheduler(
    parameters=DEFAULT_PARAMETERS,
    desired_retention=DESIRED_RETENTION,
    learning_steps=LEARNING_STEPS,
    relearning_steps=RELEARNING_STEPS,
    maximum_interval=MAXIMUM_INTERVAL_DAYS,
    enable_fuzzing=False,
)


def _utc(value: datetime, name: str = "datetime") -> datetime:
    """The same instant in `timezone.utc`; ValueError for a naive datetime."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got a naive datetime")
    return value.astimezone(timezone.utc)


def card_to_json(card: Card) -> str:
    """The card as a JSON string (fsrs `Card.to_dict`)."""
    return json.dumps(card.to_dict(), sort_keys=True)


def card_from_json(s: str) -> Card:
    """A card from `card_to_json` output (fsrs `Card.from_dict`)."""
    card = Card.from_dict(json.loads(s))
    card.due = _utc(card.due, "card due")
    if card.last_review is not None:
        card.last_review = _utc(card.last_review, "card last_review")
    return card


def new_card(now: datetime) -> Card:
    """A fresh card in the Learning state, due now.

    The card id is derived from `now` (epoch milliseconds, as fsrs does) so no wall clock is read.
    """
    now = _utc(now, "now")
    return Card(card_id=int(now.timestamp() * 1000), state=State.Learning, due=now)


def review(card_json: str | None, correct: bool, now: datetime, *,
           scheduler: Scheduler | None = None) -> tuple[str, datetime]:
    """Rate one answer: Good if correct, else Again. Returns (new card JSON, its due datetime in UTC).

    With no card yet (a wrong answer outside the mistake book) the card is created at `now` and
    rated immediately, so it comes back after the first learning step.
    """
    now = _utc(now, "now")
    scheduler = scheduler or DEFAULT_SCHEDULER
    card = card_from_json(card_json) if card_json else new_card(now)
    rating = Rating.Good if correct else Rating.Again
    updated, _log = scheduler.review_card(card, rating, review_datetime=now)
    return card_to_json(updated), _utc(updated.due, "card due")


def is_due(due: datetime, now: datetime) -> bool:
    """Whether a card due at `due` may be reviewed at `now`."""
    return _utc(due, "due") <= _utc(now, "now")


def end_of_local_day(now: datetime, tz: ZoneInfo = LOCAL_TZ) -> datetime:
    """The next local midnight after `now`, in UTC."""
    local_date = _utc(now, "now").astimezone(tz).date()
    return datetime.combine(local_date + timedelta(days=1), time(0), tzinfo=tz).astimezone(timezone.utc)


def due_today(due: datetime, now: datetime, tz: ZoneInfo = LOCAL_TZ) -> bool:
    """Whether `due` falls before the end of the local day containing `now` (overdue cards included)."""
    return _utc(due, "due") < end_of_local_day(now, tz)
