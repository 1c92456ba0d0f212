"""Demo exams: one open now for all staff and one closed exam with results, so a new user can try both sides."""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainer.auth.models import Unit, User
from trainer.banks.models import Question
from trainer.demo import data
from trainer.exams import services as svc
from trainer.exams.models import Exam

OPEN_TITLE = "岗位大练兵 法律知识测试（演示，进行中）"
CLOSED_TITLE = "行政处罚法专项测试（演示，已结束）"


def _right_response(q: Question, order: list[int]):
    """The canonical right answer, in the form the save path takes (displayed letters for choices)."""
    answer = q.answer_value
    if q.type in ("single", "multiple"):
        from trainer.banks.types import canonical_to_display
        return canonical_to_display(answer, order) if order else answer
    if q.type == "judge":
        return "true" if answer else "false"
    if q.type == "blank":
        return [variants[0] for variants in answer]
    return "（演示作答）"


def _wrong_response(q: Question, order: list[int]):
    if q.type in ("single", "multiple"):
        right = set(_right_response(q, order))
        return next(letter for letter in "ABCDEFGH"[:len(q.option_list)] if letter not in right)
    if q.type == "judge":
        return "false" if q.answer_value else "true"
    if q.type == "blank":
        return ["不清楚"] * len(q.answer_value)
    return "（演示作答）"


def seed_exams(db: Session, now: datetime | None = None) -> dict[str, int]:
    """Create the two demo exams if the question banks are loaded and the exams do not exist yet."""
    now = svc.aware(now or svc.now_utc())
    if db.scalar(select(func.count()).select_from(Question).where(Question.status == "published")) == 0:
        return {"exams": 0, "attempts": 0}
    admin = db.scalar(select(User).where(User.login == data.ADMIN[0]))
    bureau = db.scalar(select(Unit).where(Unit.name == data.BUREAU))
    if admin is None or bureau is None:
        return {"exams": 0, "attempts": 0}
    created = attempts = 0
    if db.scalar(select(Exam.id).where(Exam.title == OPEN_TITLE)) is None:
        exam, errors, _ = svc.save_exam(db, admin, svc.ExamData(
            title=OPEN_TITLE, open_at=now - timedelta(hours=1), close_at=now + timedelta(days=14),
            time_limit_minutes=60, pass_mark=60, unit_ids=(bureau.id,), release_policy="immediate",
            review_policy="full", review_after_close=False, multiple_policy="partial",
            instructions="本次测试共 50 题，满分 100 分，限时 60 分钟。答案随答随存，网络中断不会丢失。",
            sections=[{"title": "一、单项选择题", "type": "single", "count": 25, "points": 2},
                      {"title": "二、多项选择题", "type": "multiple", "count": 10, "points": 2},
                      {"title": "三、判断题", "type": "judge", "count": 15, "points": 2}]))
        if exam is not None:
            svc.set_status(db, admin, exam, "published")
            created += 1
    if db.scalar(select(Exam.id).where(Exam.title == CLOSED_TITLE)) is None:
        opened = now - timedelta(days=10)
        exam, errors, _ = svc.save_exam(db, admin, svc.ExamData(
            title=CLOSED_TITLE, open_at=opened, close_at=now - timedelta(days=3), time_limit_minutes=30,
            pass_mark=60, unit_ids=(bureau.id,), release_policy="after_close", review_policy="full",
            sections=[{"title": "一、单项选择题", "type": "single", "count": 10, "points": 5, "laws": ["行政处罚法"]},
                      {"title": "二、判断题", "type": "judge", "count": 10, "points": 5, "laws": ["行政处罚法"]}]))
        if exam is not None:
            svc.set_status(db, admin, exam, "published")
            created += 1
            attempts = _history(db, exam, opened)
    db.flush()
    return {"exams": created, "attempts": attempts}


def _history(db: Session, exam: Exam, opened: datetime) -> int:
    """Most staff sat the closed exam; skill differs by person so some pass and some fail."""
    rng = random.Random(2026)
    staff = list(db.scalars(select(User).where(User.role == "staff", User.is_demo.is_(True)).order_by(User.login)))
    count = 0
    for user in staff:
        if rng.random() < 0.18:  # did not sit
            continue
        start = opened + timedelta(days=rng.randint(0, 5), hours=rng.randint(1, 10), minutes=rng.randint(0, 59))
        attempt = svc.start_attempt(db, user, exam, now=start)
        skill = rng.uniform(0.45, 0.95)
        questions = {q.id: q for q in db.scalars(select(Question).where(
            Question.id.in_([i.question_id for i in attempt.items])))}
        for i, item in enumerate(attempt.items):
            q = questions[item.question_id]
            order = json.loads(item.option_order or "[]")
            response = _right_response(q, order) if rng.random() < skill else _wrong_response(q, order)
            svc.save_answer(db, user.id, attempt.id, item.position, 1, response,
                            now=start + timedelta(seconds=40 * (i + 1)))
        db.expire(attempt)
        svc.submit(db, attempt, now=start + timedelta(minutes=rng.randint(8, 25)))
        count += 1
    return count


DRIVE_TITLE = "2026年度岗位大练兵・业务大比武（演示）"


def seed_drive(db: Session, now: datetime | None = None) -> int:
    """The demo drive: the four course laws and 城管执法实务, both demo exams, default weights."""
    from zoneinfo import ZoneInfo

    from trainer.contest.services import DriveData, save_drive
    from trainer.reports.models import Drive
    from trainer.study.models import Course
    if db.scalar(select(Drive.id).where(Drive.title == DRIVE_TITLE)) is not None:
        return 0
    admin = db.scalar(select(User).where(User.login == data.ADMIN[0]))
    if admin is None:
        return 0
    today = svc.aware(now or svc.now_utc()).astimezone(ZoneInfo("Asia/Shanghai")).date()
    courses = [c.id for c in db.scalars(select(Course).where(
        Course.key.in_(["宪法", "行政处罚法", "行政许可法", "行政强制法", "chengguan-shiwu"])))]
    exams = [e.id for e in db.scalars(select(Exam).where(Exam.title.in_([OPEN_TITLE, CLOSED_TITLE])))]
    save_drive(db, admin, DriveData(title=DRIVE_TITLE, start_date=today - timedelta(weeks=8),
                                    end_date=today + timedelta(weeks=4), course_ids=courses, exam_ids=exams))
    return 1
