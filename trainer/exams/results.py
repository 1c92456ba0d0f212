"""Exam results: the release and review policies, the counted attempt of each candidate (best or last), release,
manual grading of case analysis, and who needs a make-up exam. Services flush; the caller commits once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainer import audit
from trainer.auth.models import User
from trainer.banks.models import Question
from trainer.exams import scoring
from trainer.exams.models import Attempt, AttemptItem, Exam, ExamOverride
from trainer.exams.services import ExamError, aware, grade, invited_user_ids, naive, now_utc

def effective_close(db: Session, exam: Exam) -> datetime:
    """When nobody can sit the exam any more: the latest of its close time, any candidate's own window and any
    open attempt's (possibly extended) deadline."""
    latest = aware(exam.close_at)
    for close_at in db.scalars(select(ExamOverride.close_at).where(ExamOverride.exam_id == exam.id,
                                                                   ExamOverride.close_at.is_not(None))):
        latest = max(latest, aware(close_at))
    deadline = db.scalar(select(func.max(Attempt.deadline_at)).where(Attempt.exam_id == exam.id,
                                                                     Attempt.submitted_at.is_(None)))
    return max(latest, aware(deadline)) if deadline else latest


def results_released(db: Session, exam: Exam, now: datetime | None = None) -> bool:
    now = aware(now or now_utc())
    if exam.release_policy == "immediate":
        return True
    if exam.release_policy == "after_close":
        return now >= effective_close(db, exam)
    return exam.released_at is not None


def review_level(db: Session, exam: Exam, attempt: Attempt, now: datetime | None = None) -> str | None:
    """What the candidate may see of a finished attempt: None (nothing yet), score, right_wrong, full. Answers
    and explanations stay hidden while anyone may still sit the exam (review after close)."""
    now = aware(now or now_utc())
    if attempt.submitted_at is None or attempt.pending_manual or not results_released(db, exam, now):
        return None
    if exam.review_policy == "score":
        return "score"
    if exam.review_after_close and now < effective_close(db, exam):
        return "score"
    return exam.review_policy


def counted_attempts(db: Session, exam: Exam, user_ids: list[int], *,
                     submitted_by: datetime | None = None) -> dict[int, Attempt]:
    """Each user's counted attempt (best or last, per the exam), finished and fully graded; with submitted_by,
    as things stood at that moment (a frozen leaderboard)."""
    by_user: dict[int, list[Attempt]] = {}
    if not user_ids:
        return {}
    stmt = select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id.in_(user_ids),
                                 Attempt.submitted_at.is_not(None), Attempt.pending_manual == 0)
    if submitted_by is not None:
        stmt = stmt.where(Attempt.submitted_at <= naive(submitted_by))
    for a in db.scalars(stmt.order_by(Attempt.number)):
        by_user.setdefault(a.user_id, []).append(a)
    out = {}
    for uid, attempts in by_user.items():
        chosen = scoring.best_or_last([(a.number, a.score or 0.0) for a in attempts], exam.counting)
        out[uid] = next(a for a in attempts if a.number == chosen[0])
    return out


def counted_attempt(db: Session, exam: Exam, user_id: int) -> Attempt | None:
    return counted_attempts(db, exam, [user_id]).get(user_id)


def release(db: Session, actor: User, exam: Exam, *, now: datetime | None = None) -> None:
    exam.released_at = naive(aware(now or now_utc()))
    audit.record(db, actor.id, "exam.release", "exam", exam.id)
    db.flush()


def grade_item(db: Session, actor: User, item: AttemptItem, points: float, comment: str = "") -> None:
    """A person grades a case-analysis answer; the attempt's result is complete once nothing is pending."""
    if db.get(Question, item.question_id).type != "case":
        raise ExamError("只有案例分析题需要人工评分，其他题型由系统自动判分。")
    if not 0 <= points <= item.points:
        raise ExamError(f"得分应在 0–{item.points:g} 之间。")
    attempt = item.attempt
    if attempt.submitted_at is None:
        raise ExamError("答卷尚未提交。")
    old = item.earned
    item.earned, item.graded_by_id, item.grader_comment = float(points), actor.id, (comment or "").strip() or None
    db.flush()
    grade(db, attempt)
    audit.record(db, actor.id, "attempt.grade", "attempt", attempt.id, position=item.position, old=old,
                 new=float(points))
    db.flush()


def missed_or_failed(db: Session, exam: Exam) -> list[int]:
    """Candidates for a make-up exam: invited people who did not pass (or did not sit)."""
    ids = invited_user_ids(db, exam)
    passed_or_pending = set(db.scalars(select(Attempt.user_id).where(
        Attempt.exam_id == exam.id, (Attempt.passed.is_(True)) | (Attempt.pending_manual > 0))))
    return sorted(ids - passed_or_pending)


@dataclass
class ScoreRow:
    """One line of an exam's score sheet (page and Excel)."""
    user: User
    counted: Attempt | None   # the attempt that counts (best or last, finished and graded), if any
    result: str               # 合格 / 不合格 / 缺考 / 待阅卷 / 作答中

    @property
    def minutes_used(self) -> float | None:
        a = self.counted
        return round((a.submitted_at - a.started_at).total_seconds() / 60, 1) if a and a.submitted_at else None


def score_sheet(db: Session, exam: Exam, rows) -> list[ScoreRow]:
    """The score sheet for the monitor rows given (invigilation.monitor, already scoped to the viewer)."""
    counted = counted_attempts(db, exam, [r.user.id for r in rows])
    out = []
    for r in rows:
        a = counted.get(r.user.id)
        if a is not None:
            result = "合格" if a.passed else "不合格"
        elif r.state == "not_started":
            result = "缺考"
        else:
            result = "待阅卷" if r.attempt and r.attempt.pending_manual else "作答中"
        out.append(ScoreRow(r.user, a, result))
    return out
