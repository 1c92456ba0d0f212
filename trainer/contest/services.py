"""Drive standings from the database: individual and unit leaderboards, optionally as of the freeze."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainer import audit
from trainer.auth.models import Unit, User
from trainer.contest import scoring
from trainer.exams.models import Exam
from trainer.exams.results import counted_attempts
from trainer.practice.models import PracticeItem
from trainer.reports.models import Drive
from trainer.study.models import Course, Module, ModuleProgress

LOCAL = ZoneInfo("Asia/Shanghai")


class DriveError(ValueError):
    """str() is a Chinese message."""


@dataclass
class Standings:
    drive: Drive
    as_of: datetime
    frozen: bool
    people: list[tuple[int, scoring.PersonScore]]
    units: list[tuple[int, scoring.UnitScore]]
    users: dict[int, User]
    unit_names: dict[int, str]


def _local_day_sql(db: Session):
    """The Asia/Shanghai date of a stored UTC answer time, computed by the database (UTC+8 all year: China has no
    daylight saving time), so the leaderboard groups answers per person and day without fetching every row."""
    if db.get_bind().dialect.name == "sqlite":
        return func.date(PracticeItem.answered_at, "+8 hours")
    from sqlalchemy import Date, cast, text
    return cast(PracticeItem.answered_at + text("interval '8 hours'"), Date)


def _utc_naive(d: date, end: bool = False) -> datetime:
    moment = datetime.combine(d + timedelta(days=1) if end else d, datetime.min.time(), LOCAL)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def standings(db: Session, drive: Drive, *, as_of: datetime | None = None, frozen_view: bool = False) -> Standings:
    """Everyone's drive score. With frozen_view (staff after the freeze), data after freeze_at is ignored."""
    now = (as_of or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    frozen = bool(frozen_view and drive.freeze_at and drive.freeze_at <= now)
    cutoff = min(now, drive.freeze_at) if frozen else now
    start, end = _utc_naive(drive.start_date), _utc_naive(drive.end_date, end=True)
    cutoff = min(cutoff, end)
    users = {u.id: u for u in db.scalars(select(User).where(User.role == "staff", User.active.is_(True)))}
    ids = list(users)
    course_ids = [c.id for c in drive.courses]
    total_modules = db.scalar(select(func.count()).select_from(Module).where(Module.course_id.in_(course_ids))) \
        if course_ids else 0
    studied = dict(db.execute(
        select(ModuleProgress.user_id, func.count()).join(Module, Module.id == ModuleProgress.module_id)
        .where(Module.course_id.in_(course_ids or [-1]), ModuleProgress.studied_at.is_not(None),
               ModuleProgress.studied_at <= cutoff).group_by(ModuleProgress.user_id)).all())
    right: dict[int, dict[date, int]] = defaultdict(dict)
    day = _local_day_sql(db)
    for uid, d, n in db.execute(select(PracticeItem.user_id, day, func.count()).where(
            PracticeItem.is_correct.is_(True), PracticeItem.answered_at >= start,
            PracticeItem.answered_at <= cutoff).group_by(PracticeItem.user_id, day)):
        right[uid][d if isinstance(d, date) else date.fromisoformat(str(d))] = n
    exam_scores: dict[int, list[float | None]] = {uid: [] for uid in ids}
    time_used: dict[int, int] = defaultdict(int)
    passed_any: dict[int, bool] = defaultdict(bool)
    for exam in drive.exams:
        counted = counted_attempts(db, exam, ids, submitted_by=cutoff)
        for uid in ids:
            a = counted.get(uid)
            exam_scores[uid].append(a.score_100 if a else None)
            if a:
                time_used[uid] += int((a.submitted_at - a.started_at).total_seconds())
                passed_any[uid] |= bool(a.passed)
    local_cutoff = cutoff.replace(tzinfo=timezone.utc).astimezone(LOCAL).date()  # days are local, like answers
    days = max(1, (min(local_cutoff, drive.end_date) - drive.start_date).days + 1)
    weights = scoring.Weights(drive.exam_weight, drive.study_weight, drive.practice_weight, drive.practice_daily_cap)
    people = [scoring.score(scoring.PersonInput(
        uid, users[uid].unit_id, tuple(exam_scores[uid]), studied.get(uid, 0), total_modules or 0,
        tuple(sorted(right[uid].items())), time_used[uid]), weights, days) for uid in ids]
    by_unit: dict[int, list[scoring.PersonScore]] = defaultdict(list)
    for p in people:
        if p.unit_id is not None:
            by_unit[p.unit_id].append(p)
    unit_scores = []
    for unit_id, members in by_unit.items():
        sat = [p for p in members if any(s is not None for s in exam_scores[p.user_id])]
        unit_scores.append(scoring.unit_score(
            unit_id, members, sum(1 for p in members if studied.get(p.user_id)), len(sat),
            sum(1 for p in sat if passed_any[p.user_id]),
            sum(max(s for s in exam_scores[p.user_id] if s is not None) for p in sat)))
    names = dict(db.execute(select(Unit.id, Unit.name)).all())
    return Standings(drive, cutoff, frozen, scoring.rank(people), scoring.rank_units(unit_scores, drive.unit_sort),
                     users, names)


def current_drive(db: Session) -> Drive | None:
    today = datetime.now(LOCAL).date()
    drive = db.scalar(select(Drive).where(Drive.start_date <= today, Drive.end_date >= today)
                      .order_by(Drive.start_date.desc()).limit(1))
    return drive or db.scalar(select(Drive).order_by(Drive.start_date.desc()).limit(1))


@dataclass
class DriveData:
    title: str
    start_date: date
    end_date: date
    course_ids: list[int]
    exam_ids: list[int]
    exam_weight: float = 60.0
    study_weight: float = 20.0
    practice_weight: float = 20.0
    practice_daily_cap: int = 20
    unit_sort: str = "average"
    freeze_at: datetime | None = None


def save_drive(db: Session, actor: User, data: DriveData, drive: Drive | None = None) -> Drive:
    if not data.title.strip():
        raise DriveError("请填写练兵周期名称。")
    if data.end_date < data.start_date:
        raise DriveError("结束日期不能早于开始日期。")
    weights = (data.exam_weight, data.study_weight, data.practice_weight)
    if any(w < 0 for w in weights) or abs(sum(weights) - 100) > 0.01:
        raise DriveError("考试、学习、练习三项权重应为非负数，合计 100。")
    if not 1 <= data.practice_daily_cap <= 500:
        raise DriveError("每日练习计分上限应在 1–500 之间。")
    if data.unit_sort not in ("average", "study_rate", "sit_rate", "pass_rate", "mean_score"):
        raise DriveError("单位排序方式无效。")
    if drive is None:
        drive = Drive(title=data.title.strip(), start_date=data.start_date, end_date=data.end_date)
        db.add(drive)
    for name in ("exam_weight", "study_weight", "practice_weight", "practice_daily_cap", "unit_sort", "freeze_at",
                 "start_date", "end_date"):
        setattr(drive, name, getattr(data, name))
    drive.title = data.title.strip()
    drive.courses = list(db.scalars(select(Course).where(Course.id.in_(data.course_ids or [-1]))))
    drive.exams = list(db.scalars(select(Exam).where(Exam.id.in_(data.exam_ids or [-1]))))
    db.flush()
    audit.record(db, actor.id, "drive.save", "drive", drive.id, title=drive.title, weights=weights,
                 freeze_at=data.freeze_at)
    db.flush()
    return drive


