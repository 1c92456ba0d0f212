"""Exam operations: set up exams, start attempts, save answers (the hot path), submit, grade, finalise at the
deadline. Results and release: exams.results; the monitor and per-candidate arrangements: exams.invigilation.
Services flush; the caller commits once."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trainer import audit
from trainer.auth.models import User
from trainer.banks.models import Bank, Citation, Question
from trainer.banks.types import ResponseError, display_to_canonical, get_type
from trainer.db import utcnow
from trainer.exams import paper, scoring, timing
from trainer.exams.models import Attempt, AttemptItem, Exam, ExamInvite, ExamOverride, FocusEvent
from trainer.laws.models import Article, Chapter, Law
from trainer.security import unit_subtree_ids


class ExamError(ValueError):
    """A request that cannot be honoured; str() is a Chinese message. Nothing is changed."""


class SaveRejected(ExamError):
    """A save that arrives too late or for a finished attempt (HTTP 409)."""


def aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def naive(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


def now_utc() -> datetime:
    return aware(utcnow())


# ---- the question pool -------------------------------------------------------------------------------

def _pool_filter():
    return (Question.is_latest.is_(True), Question.status == "published", Question.needs_review.is_(False),
            or_(Question.source != "generated", Question.is_promoted.is_(True)))


def build_pool(db: Session) -> list[paper.PoolQuestion]:
    """Every question usable in exams: latest, published, not flagged for review, not generated unless promoted."""
    rows = db.execute(select(Question.id, Question.key, Question.type, Question.difficulty, Question.tags,
                             Question.options, Bank.slug)
                      .join(Bank, Bank.id == Question.bank_id)
                      .where(*_pool_filter())).all()
    cites: dict[int, list[tuple[str, int | None]]] = {}
    for qid, law, number in db.execute(select(Citation.question_id, Citation.law_short_title,
                                              Citation.article_number)):
        cites.setdefault(qid, []).append((law, number))
    chapter_of = {(short, number): ordinal for short, number, ordinal in db.execute(
        select(Law.short_title, Article.number, Chapter.ordinal).join(Article, Article.law_id == Law.id)
        .join(Chapter, Article.chapter_id == Chapter.id).where(Law.status == "current"))}
    pool = []
    for qid, key, qtype, difficulty, tags, options, bank in rows:
        c = cites.get(qid, [])
        pool.append(paper.PoolQuestion(
            question_id=qid, key=key, type=qtype, difficulty=difficulty,
            laws=frozenset(law for law, _ in c),
            chapters=frozenset((law, chapter_of[(law, n)]) for law, n in c if (law, n) in chapter_of),
            tags=frozenset(json.loads(tags or "[]")), bank=bank, option_count=len(json.loads(options or "[]"))))
    return pool


def template_of(exam: Exam) -> paper.Template:
    data = exam.template_dict
    sections = tuple(paper.Section(
        title=s.get("title") or "", type=s["type"], count=int(s["count"]), points=float(s["points"]),
        laws=tuple(s.get("laws") or ()), chapters=tuple(tuple(c) for c in s.get("chapters") or ()),
        tags=tuple(s.get("tags") or ()), difficulties=tuple(s.get("difficulties") or ()),
        banks=tuple(s.get("banks") or ())) for s in data.get("sections", []))
    return paper.Template(sections=sections, fixed=tuple(data.get("fixed") or ()))


# ---- setting up --------------------------------------------------------------------------------------

@dataclass
class ExamData:
    title: str
    open_at: datetime
    close_at: datetime
    sections: list[dict]
    instructions: str = ""
    time_limit_minutes: int | None = 60
    pass_mark: float = 60.0
    max_attempts: int = 1
    counting: str = "best"
    release_policy: str = "immediate"
    review_policy: str = "right_wrong"
    review_after_close: bool = True
    multiple_policy: str = "all_or_nothing"
    focus_policy: str = "record"
    focus_limit: int = 3
    unit_ids: tuple[int, ...] = ()
    user_ids: tuple[int, ...] = ()
    makeup_of_id: int | None = None
    fixed: tuple[int, ...] = ()  # a fixed paper: these question ids for everyone (order still shuffled)


def fixed_ids_for_keys(db: Session, keys: list[str]) -> tuple[list[int], dict[str, int], list[str]]:
    """For a fixed paper: the usable current version of each question key, how many of each type, and a message
    per key that cannot be used."""
    if not keys:
        return [], {}, []
    rows = {key: (qid, qtype) for key, qid, qtype in db.execute(
        select(Question.key, Question.id, Question.type).where(Question.key.in_(keys), *_pool_filter()))}
    per_type: dict[str, int] = {}
    for _, qtype in rows.values():
        per_type[qtype] = per_type.get(qtype, 0) + 1
    errors = [f"题目编号 {k} 不存在，或不是已发布的可用于考试的题目。" for k in keys if k not in rows]
    return [rows[k][0] for k in keys if k in rows], per_type, errors


def check_exam(db: Session, data: ExamData) -> tuple[list[str], list[str]]:
    """(errors, warnings) for exam settings and its paper template."""
    errors: list[str] = []
    if not data.title.strip() or len(data.title) > 128:
        errors.append("请填写考试名称（不超过 128 字）。")
    if aware(data.close_at) <= aware(data.open_at):
        errors.append("结束时间必须晚于开始时间。")
    if data.time_limit_minutes is not None and not 1 <= data.time_limit_minutes <= 600:
        errors.append("考试时长应在 1–600 分钟之间。")
    if not 0 < data.pass_mark <= 100:
        errors.append("及格分应在 0–100 之间。")
    if not 1 <= data.max_attempts <= 10:
        errors.append("允许作答次数应在 1–10 之间。")
    choices = {"counting": ("best", "last"), "release_policy": ("immediate", "after_close", "manual"),
               "review_policy": ("score", "right_wrong", "full"), "multiple_policy": ("all_or_nothing", "partial"),
               "focus_policy": ("record", "warn", "submit")}
    for name, allowed in choices.items():
        if getattr(data, name) not in allowed:
            errors.append(f"设置 {name} 无效。")
    if not data.unit_ids and not data.user_ids:
        errors.append("请至少选择一个参考单位或人员。")
    if not data.sections:
        errors.append("组卷规则至少需要一个部分。")
        return errors, []
    try:
        template = paper.Template(sections=tuple(paper.Section(
            title=s.get("title") or "", type=s["type"], count=int(s["count"]), points=float(s["points"]),
            laws=tuple(s.get("laws") or ()), chapters=tuple(tuple(c) for c in s.get("chapters") or ()),
            tags=tuple(s.get("tags") or ()), difficulties=tuple(s.get("difficulties") or ()),
            banks=tuple(s.get("banks") or ())) for s in data.sections), fixed=tuple(int(i) for i in data.fixed))
    except (KeyError, ValueError, TypeError):
        return errors + ["组卷规则格式不正确。"], []
    for i, s in enumerate(template.sections, 1):
        if s.count < 1 or s.points <= 0:
            errors.append(f"第{i}部分的题数和每题分值必须大于 0。")
    paper_errors, warnings = paper.check_template(template, build_pool(db))
    return errors + paper_errors, warnings


def save_exam(db: Session, actor: User, data: ExamData, exam: Exam | None = None) -> tuple[Exam | None, list[str],
                                                                                            list[str]]:
    errors, warnings = check_exam(db, data)
    if errors:
        return None, errors, warnings
    if exam is not None and db.scalar(select(func.count()).select_from(Attempt).where(Attempt.exam_id == exam.id)):
        errors = ["已有人开始作答，组卷规则和参考人员不能再修改；如需调整请使用个别延时或补考。"]
        return None, errors, warnings
    fields = dict(title=data.title.strip(), instructions=data.instructions.strip(), open_at=naive(data.open_at),
                  close_at=naive(data.close_at), time_limit_minutes=data.time_limit_minutes,
                  pass_mark=data.pass_mark, max_attempts=data.max_attempts, counting=data.counting,
                  release_policy=data.release_policy, review_policy=data.review_policy,
                  review_after_close=data.review_after_close, multiple_policy=data.multiple_policy,
                  focus_policy=data.focus_policy, focus_limit=data.focus_limit,
                  template=json.dumps({"sections": data.sections, **({"fixed": list(data.fixed)} if data.fixed else {})},
                                      ensure_ascii=False),
                  makeup_of_id=data.makeup_of_id)
    if exam is None:
        exam = Exam(created_by_id=actor.id, status="draft", **fields)
        db.add(exam)
        action = "exam.create"
    else:
        for k, v in fields.items():
            setattr(exam, k, v)
        exam.invites.clear()
        action = "exam.update"
    db.flush()
    for uid in data.unit_ids:
        exam.invites.append(ExamInvite(unit_id=uid))
    for uid in data.user_ids:
        exam.invites.append(ExamInvite(user_id=uid))
    audit.record(db, actor.id, action, "exam", exam.id, title=exam.title)
    db.flush()
    return exam, [], warnings


def set_status(db: Session, actor: User, exam: Exam, status: str) -> None:
    if status not in ("draft", "published", "archived"):
        raise ExamError("状态无效。")
    old, exam.status = exam.status, status
    audit.record(db, actor.id, "exam.status", "exam", exam.id, old=old, new=status)
    db.flush()


def invited_user_ids(db: Session, exam: Exam) -> set[int]:
    unit_ids = [i.unit_id for i in exam.invites if i.unit_id]
    users = {i.user_id for i in exam.invites if i.user_id}
    if unit_ids:
        units = unit_subtree_ids(db, unit_ids)
        users |= set(db.scalars(select(User.id).where(User.unit_id.in_(units), User.active.is_(True))))
    return users


def is_invited(db: Session, exam: Exam, user: User) -> bool:
    if any(i.user_id == user.id for i in exam.invites):
        return True
    unit_ids = [i.unit_id for i in exam.invites if i.unit_id]
    return bool(unit_ids) and user.unit_id in unit_subtree_ids(db, unit_ids)


def override_for(db: Session, exam_id: int, user_id: int) -> ExamOverride | None:
    return db.scalar(select(ExamOverride).where(ExamOverride.exam_id == exam_id, ExamOverride.user_id == user_id))


def window(exam: Exam, override: ExamOverride | None) -> tuple[datetime, datetime]:
    open_at = override.open_at if override and override.open_at else exam.open_at
    close_at = override.close_at if override and override.close_at else exam.close_at
    return aware(open_at), aware(close_at)


def attempts_allowed(exam: Exam, override: ExamOverride | None) -> int:
    return exam.max_attempts + (override.extra_attempts if override else 0)


# ---- taking ------------------------------------------------------------------------------------------

def open_attempt(db: Session, exam_id: int, user_id: int) -> Attempt | None:
    return db.scalar(select(Attempt).where(Attempt.exam_id == exam_id, Attempt.user_id == user_id,
                                           Attempt.submitted_at.is_(None)))


def start_attempt(db: Session, user: User, exam: Exam, *, now: datetime | None = None,
                  pool: list[paper.PoolQuestion] | None = None) -> Attempt:
    """Start (or resume) the candidate's attempt. Exactly one attempt is created even if start is pressed twice
    or in two tabs: the (exam, user, number) unique constraint decides, and the loser resumes the winner's.
    `pool` (build_pool, read before the write transaction: ~8 ms) keeps that work out of the write lock."""
    now = aware(now or now_utc())
    if exam.status != "published":
        raise ExamError("考试尚未发布。")
    if not is_invited(db, exam, user):
        raise ExamError("您不在本场考试的参考名单中。")
    current = open_attempt(db, exam.id, user.id)
    if current is not None:
        finalise_if_expired(db, current, exam, now)
        if current.submitted_at is None:
            return current
    override = override_for(db, exam.id, user.id)
    open_at, close_at = window(exam, override)
    state = timing.window_state(now, open_at, close_at)
    if state == "upcoming":
        raise ExamError("考试尚未开始。")
    if state == "closed":
        raise ExamError("考试已经结束。")
    done = db.scalar(select(func.count()).select_from(Attempt).where(Attempt.exam_id == exam.id,
                                                                    Attempt.user_id == user.id)) or 0
    if done >= attempts_allowed(exam, override):
        raise ExamError("您的作答次数已用完。")
    number = done + 1
    try:
        drawn = paper.draw(template_of(exam), build_pool(db) if pool is None else pool, seed=f"exam:{exam.id}:user:{user.id}:attempt:{number}")
    except paper.PaperError as exc:  # the pool shrank after publishing (questions retired or flagged)
        raise ExamError(f"试卷无法生成，请联系考务人员：{exc}") from None
    deadline = timing.deadline(now, exam.time_limit_minutes, close_at, override.extra_minutes if override else 0)
    attempt = Attempt(exam_id=exam.id, user_id=user.id, number=number, started_at=naive(now),
                      deadline_at=naive(deadline), max_score=sum(d.points for d in drawn))
    try:
        with db.begin_nested():
            db.add(attempt)
            db.flush()
            db.add_all([AttemptItem(attempt_id=attempt.id, position=d.position, section=d.section,
                                    question_id=d.question_id, points=d.points,
                                    option_order=json.dumps(list(d.option_order))) for d in drawn])
            db.flush()
    except IntegrityError:
        existing = db.scalar(select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == user.id,
                                                   Attempt.number == number))
        if existing is None:
            raise
        return existing
    return attempt


def attempt_for(db: Session, user: User, attempt_id: int) -> Attempt:
    attempt = db.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise ExamError("答卷不存在，或不是您的答卷。")
    return attempt


def _normalise(question: Question, item_order: list[int], raw):
    qtype = get_type(question.type)
    if raw is None or raw == "" or raw == []:
        return None
    try:
        if question.type in ("single", "multiple"):
            displayed = qtype.normalise(raw, option_count=len(item_order) or len(question.option_list))
            return "".join(sorted(display_to_canonical(displayed, item_order) if item_order else displayed))
        if question.type == "blank":
            return list(qtype.normalise(raw, blank_count=len(question.answer_value)))
        return qtype.normalise(raw)
    except ResponseError as exc:
        raise ExamError(f"答案格式不正确：{exc}") from None


def save_answer(db: Session, user_id: int, attempt_id: int, position: int, seq: int, raw, *,
                now: datetime | None = None, flagged: bool | None = None) -> dict:
    """The hot path: store one answer if its sequence number is newer than the stored one. A stale or replayed
    save is acknowledged but changes nothing. Saves after the deadline's grace get SaveRejected (409)."""
    now = aware(now or now_utc())
    row = db.execute(select(Attempt.user_id, Attempt.deadline_at, Attempt.submitted_at, Attempt.exam_id)
                     .where(Attempt.id == attempt_id).with_for_update()).first()
    if row is None or row.user_id != user_id:
        raise ExamError("答卷不存在，或不是您的答卷。")
    deadline = aware(row.deadline_at)
    if row.submitted_at is not None:
        raise SaveRejected("答卷已经提交，不能再修改。")
    if not timing.save_allowed(now, deadline):
        raise SaveRejected("考试时间已到，答卷已自动提交，此后的修改未能保存。")
    item = db.execute(select(AttemptItem.id, AttemptItem.seq, AttemptItem.option_order, AttemptItem.question_id)
                      .where(AttemptItem.attempt_id == attempt_id, AttemptItem.position == position)).first()
    if item is None:
        raise ExamError("这道题不在您的试卷中。")
    if not isinstance(seq, int) or seq < 1:
        raise ExamError("保存序号无效。")
    values: dict = {}
    if raw is not ...:
        question = db.get(Question, item.question_id)
        response = _normalise(question, json.loads(item.option_order or "[]"), raw)
        values["response"] = None if response is None else json.dumps(response, ensure_ascii=False)
    if flagged is not None:
        values["flagged"] = bool(flagged)
    saved = False
    if timing.accept_save(item.seq, seq) and values:
        result = db.execute(update(AttemptItem).where(AttemptItem.id == item.id, AttemptItem.seq < seq)
                            .values(seq=seq, saved_at=naive(now), **values))
        saved = result.rowcount == 1
        if saved:
            db.execute(update(Attempt).where(Attempt.id == attempt_id).values(last_saved_at=naive(now)))
    return {"saved": saved, "seq": max(seq, item.seq) if saved else item.seq,
            "seconds_left": timing.seconds_left(now, deadline)}


def submit(db: Session, attempt: Attempt, *, by: str = "candidate", now: datetime | None = None,
           actor_id: int | None = None) -> bool:
    """Finalise an attempt with its last saved answers. Returns False if it was already finalised (a save or a
    second submit racing this one never produces two results)."""
    now = aware(now or now_utc())
    result = db.execute(update(Attempt).where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
                        .values(submitted_at=naive(now), finalised_by=by))
    if result.rowcount != 1:
        db.refresh(attempt)
        return False
    db.refresh(attempt)
    grade(db, attempt)
    if by in ("invigilator", "focus"):
        audit.record(db, actor_id, "attempt.force_submit" if by == "invigilator" else "attempt.focus_submit",
                     "attempt", attempt.id, exam=attempt.exam_id, user=attempt.user_id)
    db.flush()
    return True


def grade(db: Session, attempt: Attempt) -> None:
    exam = db.get(Exam, attempt.exam_id)
    questions = {q.id: q for q in db.scalars(select(Question).where(
        Question.id.in_([i.question_id for i in attempt.items])))}
    results = []
    for item in attempt.items:
        q = questions[item.question_id]
        if item.graded_by_id is None:  # a person's grade stands
            answer = q.answer_value
            if q.type == "blank":
                answer = tuple(tuple(v) for v in answer)
            response = json.loads(item.response) if item.response else None
            if q.type == "blank" and response is not None:
                response = tuple(response)
            item.earned = scoring.score_item(q.type, answer, response, item.points, exam.multiple_policy)
        results.append(scoring.ItemResult(item.position, item.section, item.points, item.earned))
    earned, max_points, pending = scoring.total(results)
    attempt.score, attempt.max_score, attempt.pending_manual = earned, max_points, pending
    attempt.passed = None if pending else scoring.passed(earned, max_points, exam.pass_mark)


def finalise_if_expired(db: Session, attempt: Attempt, exam: Exam | None = None, now: datetime | None = None) -> bool:
    now = aware(now or now_utc())
    if attempt.submitted_at is None and timing.is_expired(now, aware(attempt.deadline_at)):
        return submit(db, attempt, by="timeout", now=now)
    return False


def expired_attempt_ids(db: Session, *, now: datetime | None = None, exam_id: int | None = None) -> list[int]:
    """Open attempts past their deadline and grace."""
    now = aware(now or now_utc())
    cutoff = naive(now - timedelta(seconds=timing.GRACE_SECONDS))
    stmt = select(Attempt.id).where(Attempt.submitted_at.is_(None), Attempt.deadline_at < cutoff)
    if exam_id is not None:
        stmt = stmt.where(Attempt.exam_id == exam_id)
    return list(db.scalars(stmt.order_by(Attempt.id)))


def finalise_expired(db: Session, *, now: datetime | None = None, exam_id: int | None = None,
                     ids: list[int] | None = None) -> int:
    """Finalise attempts past their deadline and grace (all of them, or those of `ids` still expired).
    Grading takes a few ms per attempt: callers that may meet many commit in batches (exams.jobs)."""
    now = aware(now or now_utc())
    cutoff = naive(now - timedelta(seconds=timing.GRACE_SECONDS))
    stmt = select(Attempt).where(Attempt.submitted_at.is_(None), Attempt.deadline_at < cutoff)
    if exam_id is not None:
        stmt = stmt.where(Attempt.exam_id == exam_id)
    if ids is not None:
        stmt = stmt.where(Attempt.id.in_(ids))
    count = 0
    for attempt in db.scalars(stmt.execution_options(populate_existing=True)).all():
        count += submit(db, attempt, by="timeout", now=now)
    return count


def record_focus(db: Session, user: User, attempt_id: int, kind: str, *, now: datetime | None = None) -> dict:
    """Record a tab switch / focus loss. Policy: record only, warn, or submit after N."""
    attempt = attempt_for(db, user, attempt_id)
    if attempt.submitted_at is not None:
        raise SaveRejected("答卷已经提交。")
    if kind not in ("hidden", "blur"):
        raise ExamError("事件类型无效。")
    now = aware(now or now_utc())
    db.add(FocusEvent(attempt_id=attempt.id, at=naive(now), kind=kind))
    db.execute(update(Attempt).where(Attempt.id == attempt.id).values(focus_events=Attempt.focus_events + 1))
    db.refresh(attempt)
    exam = db.get(Exam, attempt.exam_id)
    action = "record"
    if exam.focus_policy == "warn":
        action = "warn"
    elif exam.focus_policy == "submit":
        action = "warn"
        if attempt.focus_events >= exam.focus_limit:
            submit(db, attempt, by="focus", now=now)
            action = "submitted"
    db.flush()
    return {"count": attempt.focus_events, "limit": exam.focus_limit, "action": action}


def exams_for(db: Session, user: User, *, now: datetime | None = None) -> list[tuple[Exam, str, list[Attempt]]]:
    """Published exams the user is invited to, with their window state and the user's attempts."""
    now = aware(now or now_utc())
    out = []
    for exam in db.scalars(select(Exam).where(Exam.status == "published").order_by(Exam.open_at.desc())):
        if not is_invited(db, exam, user):
            continue
        override = override_for(db, exam.id, user.id)
        open_at, close_at = window(exam, override)
        attempts = list(db.scalars(select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == user.id)
                                   .order_by(Attempt.number)))
        out.append((exam, timing.window_state(now, open_at, close_at), attempts))
    return out
