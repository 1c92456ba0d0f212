"""Finalising expired attempts in short write transactions (the periodic job in every server process, the
monitor and score pages). Not a service: it commits, a few attempts at a time, so that a thousand attempts
expiring together never hold the database's write lock for more than a moment."""
from __future__ import annotations

from datetime import datetime

from trainer import db
from trainer.exams import services as svc

BATCH = 10


def finalise_expired_in_batches(*, exam_id: int | None = None, batch: int = BATCH,
                                now: datetime | None = None) -> int:
    """Finalise every attempt past its deadline and grace; returns how many this call finalised (attempts
    another process finalised meanwhile are skipped: submit is a conditional update)."""
    session = db.session
    now = svc.aware(now or svc.now_utc())
    ids = svc.expired_attempt_ids(session, exam_id=exam_id, now=now)
    session.commit()
    done = 0
    for start in range(0, len(ids), batch):
        with db.write_transaction(session):
            done += svc.finalise_expired(session, ids=ids[start:start + batch], now=now)
    return done
