"""Invigilation: the live monitor of an exam, extra time, another attempt and personal windows, each audited.
Services flush; the caller commits once."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainer import audit
from trainer.auth.models import User
from trainer.exams import timing
from trainer.exams.models import Attempt, AttemptItem, Exam, ExamOverride, FocusEvent
from trainer.exams.services import (ExamError, aware, finalise_expired, invited_user_ids, naive, now_utc,
                                    override_for)

def extend_time(db: Session, actor: User, attempt: Attempt, minutes: int) -> None:
    if not 1 <= minutes <= 240:
        raise ExamError("延长时间应在 1–240 分钟之间。")
    if attempt.submitted_at is not None:
        raise ExamError("答卷已经提交，不能延时。")
    old = attempt.deadline_at
    attempt.deadline_at = old + timedelta(minutes=minutes)
    audit.record(db, actor.id, "attempt.extend", "attempt", attempt.id, minutes=minutes, old=old,
                 new=attempt.deadline_at, user=attempt.user_id)
    db.flush()


def allow_another_attempt(db: Session, actor: User, exam: Exam, user_id: int, *, extra_minutes: int = 0) -> None:
    override = override_for(db, exam.id, user_id)
    if override is None:
        override = ExamOverride(exam_id=exam.id, user_id=user_id, extra_minutes=0, extra_attempts=0)
        db.add(override)
    override.extra_attempts += 1
    override.extra_minutes = max(override.extra_minutes, extra_minutes)
    audit.record(db, actor.id, "exam.extra_attempt", "exam", exam.id, user=user_id,
                 extra_attempts=override.extra_attempts)
    db.flush()


def set_override(db: Session, actor: User, exam: Exam, user_id: int, *, extra_minutes: int,
                 open_at: datetime | None, close_at: datetime | None) -> ExamOverride:
    if not 0 <= extra_minutes <= 240:
        raise ExamError("额外时间应在 0–240 分钟之间。")
    if open_at and close_at and aware(close_at) <= aware(open_at):
        raise ExamError("个别考试窗口的结束时间必须晚于开始时间。")
    override = override_for(db, exam.id, user_id)
    if override is None:
        override = ExamOverride(exam_id=exam.id, user_id=user_id, extra_minutes=0, extra_attempts=0)
        db.add(override)
    override.extra_minutes = extra_minutes
    override.open_at = naive(open_at) if open_at else None
    override.close_at = naive(close_at) if close_at else None
    audit.record(db, actor.id, "exam.override", "exam", exam.id, user=user_id, extra_minutes=extra_minutes,
                 open_at=open_at, close_at=close_at)
    db.flush()
    return override


MONITOR_FOCUS_SHOWN = 5  # the latest focus events listed per candidate on the monitor


@dataclass
class MonitorRow:
    user: User
    attempt: Attempt | None
    answered: int
    total: int
    state: str  # not_started | in_progress | submitted
    seconds_left: int | None
    focus: list[tuple[datetime, str]] = field(default_factory=list)  # the latest tab switches / focus losses


def monitor(db: Session, exam: Exam, unit_ids: set[int] | None, *, now: datetime | None = None,
            finalise: bool = True) -> list[MonitorRow]:
    """Every invited candidate (within the viewer's units) with the state of their latest attempt. Attempts
    past their deadline are finalised first (finalise=False: the caller did that, see exams.jobs)."""
    now = aware(now or now_utc())
    if finalise:
        finalise_expired(db, now=now, exam_id=exam.id)
    ids = invited_user_ids(db, exam)
    users = list(db.scalars(select(User).where(User.id.in_(ids)).order_by(User.login)))
    if unit_ids is not None:
        users = [u for u in users if u.unit_id in unit_ids]
    latest: dict[int, Attempt] = {}
    for a in db.scalars(select(Attempt).where(Attempt.exam_id == exam.id).order_by(Attempt.number)):
        latest[a.user_id] = a
    answered = dict(db.execute(select(AttemptItem.attempt_id, func.count()).where(
        AttemptItem.attempt_id.in_([a.id for a in latest.values()]), AttemptItem.response.is_not(None))
        .group_by(AttemptItem.attempt_id)).all()) if latest else {}
    totals = dict(db.execute(select(AttemptItem.attempt_id, func.count()).where(
        AttemptItem.attempt_id.in_([a.id for a in latest.values()])).group_by(AttemptItem.attempt_id)).all()) \
        if latest else {}
    focus: dict[int, list[tuple[datetime, str]]] = {}
    with_events = [a.id for a in latest.values() if a.focus_events]
    if with_events:
        for attempt_id, at, kind in db.execute(select(FocusEvent.attempt_id, FocusEvent.at, FocusEvent.kind)
                                               .where(FocusEvent.attempt_id.in_(with_events))
                                               .order_by(FocusEvent.at.desc())):
            if len(focus.setdefault(attempt_id, [])) < MONITOR_FOCUS_SHOWN:
                focus[attempt_id].append((at, kind))
    rows = []
    for u in users:
        a = latest.get(u.id)
        if a is None:
            rows.append(MonitorRow(u, None, 0, 0, "not_started", None))
        else:
            state = "submitted" if a.submitted_at else "in_progress"
            left = None if a.submitted_at else timing.seconds_left(now, aware(a.deadline_at))
            rows.append(MonitorRow(u, a, answered.get(a.id, 0), totals.get(a.id, 0), state, left,
                                   sorted(focus.get(a.id, []))))
    return rows
