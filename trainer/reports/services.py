"""Supervisor reports: roster coverage with the four rates rolled up the unit tree, unit comparison, knowledge by
article, individual records, exam analysis. Every query is scoped to the viewer's units (admins: all)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from trainer.auth.models import Unit, User
from trainer.exams.models import Attempt, AttemptItem, Exam
from trainer.exams.results import counted_attempts
from trainer.exams.services import invited_user_ids
from trainer.practice.models import ArticleStat, PracticeItem, PracticeSession, ReviewCard
from trainer.reports import statistics
from trainer.security import visible_unit_ids
from trainer.study.models import Course, Module, ModuleProgress

LOCAL = ZoneInfo("Asia/Shanghai")


class ReportError(ValueError):
    """str() is a Chinese message."""


# ---- scope -------------------------------------------------------------------------------------------

def scoped_units(db: Session, viewer: User) -> list[tuple[Unit, int]]:
    """Units the viewer may see, in tree order with depth (depth relative to the visible roots)."""
    from trainer.auth.services import unit_tree
    allowed = visible_unit_ids(db, viewer)
    tree = unit_tree(db)
    if allowed is None:
        return tree
    out = []
    for unit, depth in tree:
        if unit.id in allowed:
            out.append((unit, depth))
    if out:
        base = min(d for _, d in out)
        out = [(u, d - base) for u, d in out]
    return out


def staff_in_scope(db: Session, viewer: User, unit_id: int | None = None) -> list[User]:
    """Active staff of the viewer's units (optionally one unit and its sub-units, which must be in scope)."""
    allowed = visible_unit_ids(db, viewer)
    stmt = select(User).where(User.active.is_(True), User.role == "staff").order_by(User.login)
    if unit_id is not None:
        from trainer.security import unit_subtree_ids
        subtree = unit_subtree_ids(db, [unit_id])
        if allowed is not None and unit_id not in allowed:
            raise ReportError("您无权查看该单位。")
        stmt = stmt.where(User.unit_id.in_(subtree))
    elif allowed is not None:
        stmt = stmt.where(User.unit_id.in_(allowed or {-1}))
    return list(db.scalars(stmt))


def user_in_scope(db: Session, viewer: User, user_id: int) -> User:
    user = db.get(User, user_id)
    allowed = visible_unit_ids(db, viewer)
    if user is None or (allowed is not None and user.unit_id not in allowed):
        raise ReportError("人员不存在，或不在您主管的单位。")
    return user


# ---- roster coverage ---------------------------------------------------------------------------------

@dataclass
class PersonCoverage:
    user: User
    studied: dict[int, int] = field(default_factory=dict)   # course id -> modules studied
    exams: dict[int, Attempt | None] = field(default_factory=dict)  # exam id -> counted attempt
    seconds: int = 0
    last_activity: datetime | None = None

    def studied_any(self, course_ids) -> bool:
        return any(self.studied.get(c, 0) for c in course_ids)

    def sat_any(self, exam_ids) -> bool:
        return any(self.exams.get(e) is not None for e in exam_ids)


@dataclass
class UnitRates:
    unit: Unit
    depth: int
    members: int
    studied: int
    sat: int
    passed: int
    score_sum: float

    @property
    def rates(self) -> dict:
        return statistics.rates(self.members, self.studied, self.sat, self.passed, self.score_sum)


def coverage(db: Session, viewer: User, courses: list[Course], exams: list[Exam],
             unit_id: int | None = None) -> tuple[list[PersonCoverage], list[UnitRates]]:
    """Who has studied / sat / passed, and the four rates per unit rolled up the tree (中队 → 大队 → 局).
    参考率 and 合格率 count a person who sat / passed any of the selected exams (their counted attempt)."""
    people = staff_in_scope(db, viewer, unit_id)
    ids = [u.id for u in people]
    rows = {u.id: PersonCoverage(u) for u in people}
    course_ids = [c.id for c in courses]
    if ids and course_ids:
        for uid, cid, n in db.execute(
                select(ModuleProgress.user_id, Module.course_id, func.count())
                .join(Module, Module.id == ModuleProgress.module_id)
                .where(ModuleProgress.user_id.in_(ids), ModuleProgress.studied_at.is_not(None),
                       Module.course_id.in_(course_ids))
                .group_by(ModuleProgress.user_id, Module.course_id)):
            rows[uid].studied[cid] = n
    if ids:
        for uid, secs, last in db.execute(
                select(ModuleProgress.user_id, func.sum(ModuleProgress.seconds_spent),
                       func.max(ModuleProgress.last_visited_at))
                .where(ModuleProgress.user_id.in_(ids)).group_by(ModuleProgress.user_id)):
            rows[uid].seconds, rows[uid].last_activity = int(secs or 0), last
        for uid, last in db.execute(select(PracticeItem.user_id, func.max(PracticeItem.answered_at))
                                    .where(PracticeItem.user_id.in_(ids)).group_by(PracticeItem.user_id)):
            if last and (rows[uid].last_activity is None or last > rows[uid].last_activity):
                rows[uid].last_activity = last
    for exam in exams:
        counted = counted_attempts(db, exam, ids)
        for uid in ids:
            rows[uid].exams[exam.id] = counted.get(uid)
    exam_ids = [e.id for e in exams]
    per_unit: dict[int, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0])
    for row in rows.values():
        counts = per_unit[row.user.unit_id]
        counts[0] += 1
        counts[1] += 1 if row.studied_any(course_ids) else 0
        sat = [row.exams[e] for e in exam_ids if row.exams.get(e) is not None]
        if sat:
            counts[2] += 1
            counts[3] += 1 if any(a.passed for a in sat) else 0
            counts[4] += max(a.score_100 or 0.0 for a in sat)
    units = scoped_units(db, viewer)
    tree = {u.id: u.parent_id for u, _ in units}
    rolled = statistics.rollup(tree, {k: tuple(v) for k, v in per_unit.items()})
    unit_rows = [UnitRates(u, d, *[rolled.get(u.id, (0, 0, 0, 0, 0.0))[i] for i in range(5)]) for u, d in units]
    if unit_id is not None:
        from trainer.security import unit_subtree_ids
        keep = unit_subtree_ids(db, [unit_id])
        unit_rows = [r for r in unit_rows if r.unit.id in keep]
    return list(rows.values()), unit_rows


def behind(rows: list[PersonCoverage], courses: list[Course], exams: list[Exam]) -> list[tuple[PersonCoverage, str]]:
    """The 催学 list: people who have not studied, or have not sat, or failed."""
    out = []
    course_ids, exam_ids = [c.id for c in courses], [e.id for e in exams]
    for row in rows:
        reasons = []
        if course_ids and not row.studied_any(course_ids):
            reasons.append("未学习")
        if exam_ids and not row.sat_any(exam_ids):
            reasons.append("未参考")
        elif exam_ids and not any(row.exams[e].passed for e in exam_ids if row.exams.get(e)):
            reasons.append("未合格")
        if reasons:
            out.append((row, "、".join(reasons)))
    return out


# ---- trend -------------------------------------------------------------------------------------------

def weekly_trend(db: Session, viewer: User, since: date, weeks: int = 8) -> list[tuple[date, int, int]]:
    """Per week (starting Monday): people in scope who studied or practised that week, and answers given."""
    ids = [u.id for u in staff_in_scope(db, viewer)]
    start = since - timedelta(days=since.weekday())
    out = []
    for w in range(weeks):
        a = datetime.combine(start + timedelta(weeks=w), datetime.min.time(), LOCAL).astimezone(timezone.utc)
        b = a + timedelta(weeks=1)
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
        active = set(db.scalars(select(PracticeItem.user_id).where(
            PracticeItem.user_id.in_(ids), PracticeItem.answered_at >= a, PracticeItem.answered_at < b).distinct()))
        active |= set(db.scalars(select(ModuleProgress.user_id).where(
            ModuleProgress.user_id.in_(ids), ModuleProgress.last_visited_at >= a,
            ModuleProgress.last_visited_at < b).distinct()))
        answers = db.scalar(select(func.count()).select_from(PracticeItem).where(
            PracticeItem.user_id.in_(ids), PracticeItem.answered_at >= a, PracticeItem.answered_at < b)) or 0
        out.append((start + timedelta(weeks=w), len(active), answers))
    return out


# ---- knowledge ---------------------------------------------------------------------------------------

@dataclass
class ArticleAccuracy:
    law: str
    article: int
    answered: int
    correct: int
    chapter: str | None = None

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


def knowledge(db: Session, user_ids: list[int], law: str | None = None) -> list[ArticleAccuracy]:
    """Accuracy per article over the given people (from the per-article practice statistics)."""
    if not user_ids:
        return []
    stmt = (select(ArticleStat.law_short_title, ArticleStat.article_number, func.sum(ArticleStat.answered),
                   func.sum(ArticleStat.correct))
            .where(ArticleStat.user_id.in_(user_ids))
            .group_by(ArticleStat.law_short_title, ArticleStat.article_number))
    if law:
        stmt = stmt.where(ArticleStat.law_short_title == law)
    from trainer.laws.models import Article, Chapter, Law
    chapters = dict(((s, n), t) for s, n, t in db.execute(
        select(Law.short_title, Article.number, Chapter.title).join(Article, Article.law_id == Law.id)
        .join(Chapter, Article.chapter_id == Chapter.id).where(Law.status == "current")))
    return [ArticleAccuracy(s, n, int(a or 0), int(c or 0), chapters.get((s, n)))
            for s, n, a, c in db.execute(stmt.order_by(ArticleStat.law_short_title, ArticleStat.article_number))]


def weakest(rows: list[ArticleAccuracy], limit: int = 20, min_answered: int = 5) -> list[ArticleAccuracy]:
    eligible = [r for r in rows if r.answered >= min_answered]
    return sorted(eligible, key=lambda r: (r.accuracy, -r.answered))[:limit]


def by_chapter(rows: list[ArticleAccuracy]) -> list[tuple[str, str, int, int]]:
    agg: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        k = (r.law, r.chapter or "—")
        agg[k][0] += r.answered
        agg[k][1] += r.correct
    return [(law, ch, a, c) for (law, ch), (a, c) in agg.items()]


# ---- individual record -------------------------------------------------------------------------------

@dataclass
class Record:
    user: User
    modules: list[tuple[Course, Module, ModuleProgress | None]]
    practice_answered: int
    practice_correct: int
    attempts: list[Attempt]
    mistakes: int
    sessions: int


def record(db: Session, user: User) -> Record:
    courses = list(db.scalars(select(Course).order_by(Course.ordinal)))
    progress = {p.module_id: p for p in db.scalars(select(ModuleProgress).where(ModuleProgress.user_id == user.id))}
    modules = [(c, m, progress.get(m.id)) for c in courses for m in c.modules]
    answered, correct = db.execute(select(func.count(), func.sum(case((PracticeItem.is_correct.is_(True), 1),
                                                                     else_=0)))
                                   .where(PracticeItem.user_id == user.id,
                                          PracticeItem.answered_at.is_not(None))).one()
    attempts = list(db.scalars(select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.started_at)))
    mistakes = db.scalar(select(func.count()).select_from(ReviewCard).where(ReviewCard.user_id == user.id,
                                                                           ReviewCard.removed_at.is_(None))) or 0
    sessions = db.scalar(select(func.count()).select_from(PracticeSession).where(
        PracticeSession.user_id == user.id)) or 0
    return Record(user, modules, int(answered or 0), int(correct or 0), attempts, mistakes, sessions)


# ---- exam analysis -----------------------------------------------------------------------------------

@dataclass
class ExamAnalysis:
    exam: Exam
    test: statistics.TestStats | None
    histogram: list[tuple[str, int]]
    items: list[tuple]  # (question, ItemStats, distractors dict, times)


def exam_analysis(db: Session, viewer: User, exam: Exam) -> ExamAnalysis:
    """Score distribution and item analysis over the finished attempts of people in the viewer's scope.
    Papers are drawn per candidate, so each question is analysed over the attempts that contained it, against
    the rest of those attempts' scores (the corrected item-total correlation)."""
    from trainer.banks.models import Question
    allowed = visible_unit_ids(db, viewer)
    stmt = select(Attempt).join(User, User.id == Attempt.user_id).where(
        Attempt.exam_id == exam.id, Attempt.submitted_at.is_not(None), Attempt.pending_manual == 0)
    if allowed is not None:
        stmt = stmt.where(User.unit_id.in_(allowed or {-1}))
    attempts = list(db.scalars(stmt))
    if not attempts:
        return ExamAnalysis(exam, None, [], [])
    totals = [a.score_100 or 0.0 for a in attempts]
    items = list(db.execute(select(AttemptItem.attempt_id, AttemptItem.question_id, AttemptItem.earned,
                                   AttemptItem.points, AttemptItem.response, AttemptItem.position)
                            .where(AttemptItem.attempt_id.in_([a.id for a in attempts]))))
    # For α the test's items are its slots (positions), as Moodle does for random questions.
    slots = sorted({row[5] for row in items})
    row_of = {a.id: i for i, a in enumerate(attempts)}
    matrix = [[0.0] * len(slots) for _ in attempts]
    slot_max = [0.0] * len(slots)
    slot_index = {s: i for i, s in enumerate(slots)}
    for attempt_id, _, earned, points, _, position in items:
        j = slot_index[position]
        matrix[row_of[attempt_id]][j] = earned or 0.0
        slot_max[j] = max(slot_max[j], points)
    scale = [100.0 / (a.max_score or 1.0) for a in attempts]
    matrix = [[v * scale[i] for v in row] for i, row in enumerate(matrix)]
    test = statistics.test_statistics(totals, 100.0, exam.pass_mark, matrix=matrix,
                                      max_points=[m * max(scale) for m in slot_max])
    bins = statistics.default_bins()
    hist = statistics.histogram(totals, bins)
    labels = statistics.bin_labels(bins)
    score = {a.id: (a.score or 0.0) for a in attempts}
    max_score = {a.id: a.max_score for a in attempts}
    per_q: dict[int, list] = defaultdict(list)
    for attempt_id, qid, earned, points, response, _position in items:
        per_q[qid].append((earned or 0.0, points, score[attempt_id] - (earned or 0.0),
                           max_score[attempt_id] - points, response))
    questions = {q.id: q for q in db.scalars(select(Question).where(Question.id.in_(list(per_q))))}
    out = []
    import json
    for qid, rows in per_q.items():
        matrix = [[e, rest] for e, _, rest, _, _ in rows]
        stats = statistics.item_analysis(matrix, [rows[0][1], max(r[3] for r in rows) or 1.0],
                                         [questions[qid].key, "rest"])[0]
        q = questions[qid]
        choices = [json.loads(r[4]) if r[4] else None for r in rows]
        dist = statistics.distractors([c if isinstance(c, str) else None for c in choices], len(q.option_list)) \
            if q.type in ("single", "multiple") else {}
        out.append((q, stats, dist, len(rows)))
    out.sort(key=lambda t: (not t[1].flagged, t[1].facility if t[1].facility is not None else 1.0))
    return ExamAnalysis(exam, test, list(zip(labels, hist)), out)


def exams_in_scope(db: Session) -> list[Exam]:
    return list(db.scalars(select(Exam).where(Exam.status != "draft").order_by(Exam.open_at.desc())))


def invited_in_scope(db: Session, viewer: User, exam: Exam) -> set[int]:
    allowed = visible_unit_ids(db, viewer)
    ids = invited_user_ids(db, exam)
    if allowed is None:
        return ids
    return set(db.scalars(select(User.id).where(User.id.in_(ids), User.unit_id.in_(allowed or {-1}))))
